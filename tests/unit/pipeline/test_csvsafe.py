"""CSV formula injection: no CSV coprod writes starts a text cell with a formula, numbers stay
numbers, and coprod reads back exactly what it wrote."""
import csv
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import random_cases

from coprod.pipeline.csvsafe import neutralise, restore
from coprod.pipeline.io import read_results, write_csv

SRC = Path(__file__).resolve().parents[3] / "src" / "coprod"
#: what a spreadsheet runs: a cell starting with one of these, unless it is a plain number
FORMULA_START = re.compile(r"^[=+\-@\t\r]")
NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
NASTY = ['=HYPERLINK("http://example.invalid","click")', "+1+cmd|' /C calc'!A0", "-2+3",
         "@SUM(A1)", "\t=1", "\r=1", "'=1", "''-x", "'", "-", "=", "plain", "-0.5", "+3",
         "1e-3", "-inf", "a=b", "it's", ""]


def risky_cells(path: Path) -> list[tuple[int, str]]:
    """(row, cell) of every cell of a CSV file (header included) that a spreadsheet would run."""
    with open(path, encoding="utf-8", newline="") as fh:
        return [(i, c) for i, row in enumerate(csv.reader(fh)) for c in row
                if FORMULA_START.match(c) and not NUMBER.match(c)]


@pytest.mark.parametrize("text", NASTY)
def test_neutralised_text_reads_back_as_written(text):
    safe = neutralise(text)
    assert not (FORMULA_START.match(safe) and not NUMBER.match(safe)), safe
    assert restore(safe) == text
    assert (safe == text) == (not FORMULA_START.match(text.lstrip("'")) or bool(
        NUMBER.match(text)))


def test_write_csv_neutralises_text_not_numbers(tmp_path):
    df = pd.DataFrame({"label": NASTY, "estimate": [-0.5] * len(NASTY),
                       "n": range(-3, len(NASTY) - 3)})
    df["=SUM(1)"] = "x"  # a column name is a cell too
    write_csv(df, tmp_path / "t.csv")
    assert risky_cells(tmp_path / "t.csv") == []
    back = read_results(tmp_path / "t.csv")
    assert list(back.columns) == list(df.columns)
    assert back["label"].tolist() == NASTY
    assert back["estimate"].tolist() == [-0.5] * len(NASTY)  # numbers as numbers
    assert back["n"].tolist() == list(range(-3, len(NASTY) - 3))
    raw = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert "\n\"'=HYPERLINK" in raw and '"\'-inf"' in raw  # quoted: a text has a \r


def test_a_table_without_formulas_is_written_as_before(tmp_path):
    """The neutralising is invisible for ordinary tables: the same bytes as pandas' own."""
    df = pd.DataFrame({"group": ["UK", "FR"], "level": ["-1", "a-b"], "x": [-1.5, 2.0],
                       "flag": ["", "lonely_psu"]})
    write_csv(df, tmp_path / "a.csv")
    df.to_csv(tmp_path / "b.csv", index=False, lineterminator="\n")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()


def test_every_csv_writer_is_io_write_csv():
    """One writer: a CSV written anywhere else in the package would bypass the neutralising."""
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 60  # every layer's modules (survey/, pipeline/, report/), not the top only
    offenders = [f"{p.name}:{i}" for p in files if p.stem != "csvsafe"
                 for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
                 if re.search(r"\.to_csv\(|csv\.writer|DictWriter", line)]
    assert offenders == []


@pytest.mark.filterwarnings("ignore:Glyph:UserWarning")  # the figures draw the tab and CR
def test_no_csv_of_the_stages_starts_a_cell_with_a_formula(tmp_path):
    """Codebook labels and levels, group names, claims (text, ids, sources), report words and
    titles, grid names and a model's message all start with a formula, through the cleaning,
    result, display-table and findings CSVs; none is written as one, and each reads back."""
    import _hostile

    built = _hostile.build(tmp_path / "stages", kind="formula")
    _clean_with_formulas(tmp_path / "clean")
    files = sorted(p for p in tmp_path.rglob("*.csv") if p.parent.name != "raw")
    names = {p.name for p in files}
    assert {"coefficients.csv", "fit.csv", "predictions.csv", "prevalence.csv",
            "descriptives.csv", "contrast.csv", "check.csv", "findings.csv", "cleaning.csv",
            "models_pooled_any.csv", "cleaning_log.csv", "cleaning_summary.csv"} <= names, names
    risky = {str(p.relative_to(tmp_path)): risky_cells(p)[:3] for p in files}
    assert not {k: v for k, v in risky.items() if v}
    # the payloads got there, made inert
    written = "\n".join(p.read_text(encoding="utf-8") for p in files)
    for start in ("'=", "'+", "'-", "'@"):
        assert start in written, start
    # and coprod reads them back as they were given
    check = read_results(tmp_path / "stages" / "check.csv")
    assert any(c.startswith('=HYPERLINK("http://example.invalid/?') for c in check["claim"])
    groups = set(read_results(tmp_path / "stages" / "prevalence.csv")["group"])
    assert groups == {*built["groups"].values(), "pooled"}  # and the whole sample's rows
    log = read_results(tmp_path / "clean" / "cleaning_log.csv")
    assert "=RAW+1" in set(log["value"].astype(str)), log
    assert "=1+1 UK" in set(log["group"].astype(str))


def _clean_with_formulas(tmp: Path) -> None:
    """The cleaning stage on a raw file whose column names, group name, a level and a label
    start with formulas (an unmapped raw column is listed by name in the cleaning log)."""
    import yaml

    from coprod.pipeline.stages import run_clean

    (tmp / "raw").mkdir(parents=True)
    pd.DataFrame({"ID": ["r1", "r2", "r3", "r4"], "W": [1.0, 1.0, 2.0, 1.0],
                  "SEX": [1, 2, 2, 8], "=RAW+1": [1, 2, 3, 4]}).to_csv(tmp / "raw" / "uk.csv",
                                                                   index=False)
    cb = {"survey": "toy", "group_label": "@Country",
          "defaults": {"missing": {8: "dont_know"}},
          "variables": {"respondent_id": {"raw": "ID", "role": "id"},
                        "weight": {"raw": "W", "role": "weight"},
                        "gender": {"raw": "SEX", "type": "category", "label": "+Gender",
                                   "codes": {1: "-man", 2: "@woman"}}},
          "groups": {"=1+1 UK": {"file": "raw/uk.csv"}}}
    (tmp / "codebook.yaml").write_text(yaml.safe_dump(cb), encoding="utf-8")
    run_clean(codebook=tmp / "codebook.yaml", threshold="often", table=tmp / "t.parquet",
              log_csv=tmp / "cleaning_log.csv", summary_csv=tmp / "cleaning_summary.csv",
              summary_md=tmp / "cleaning_summary.md", root=tmp)


def test_a_formula_after_spaces_is_inert_too():
    """Spreadsheets may trim leading spaces on import (found by review)."""
    from coprod.pipeline.csvsafe import neutralise, restore

    for text in (' =HYPERLINK("http://x","y")', "  +1+2", " @SUM(A1)"):
        assert neutralise(text).startswith("'") and restore(neutralise(text)) == text
    assert neutralise(" plain") == " plain" and neutralise("-0.5") == "-0.5"


def test_only_columns_with_a_text_that_could_change_are_mapped():
    """The quick pass of a frame (csvsafe._apply) skips a column unless a text in it starts
    with a character neutralise or restore changes a text for; so that set must hold the
    first character of every text either changes (all one- and two-character texts of the
    characters that matter, and the NASTY ones)."""
    from coprod.pipeline.csvsafe import _ESCAPED_FIRST, _RISKY_FIRST, neutralise_frame

    chars = "'= +-@\t\r\n\"a0.,;|"
    texts = [*NASTY, *chars, *(a + b for a in chars for b in chars),
             *(a + b + c for a in chars for b in chars for c in "=-1")]
    assert {t[0] for t in texts if neutralise(t) is not t} <= _RISKY_FIRST
    assert {t[0] for t in texts if restore(t) is not t} <= _ESCAPED_FIRST
    frame = pd.DataFrame({"plain": ["a", "b"], "risky": ["a", "=1"], "n": [-1.0, 2.0]})
    out = neutralise_frame(frame)
    assert out["risky"].tolist() == ["a", "'=1"] and out["plain"].tolist() == ["a", "b"]
    safe = frame[["plain", "n"]]
    assert neutralise_frame(safe) is safe  # nothing to change: the frame itself


def _slow_bytes(df, tmp_path, **kw) -> bytes:
    """What csvsafe.to_csv writes: every text cell through the neutralising pass."""
    from coprod.pipeline.csvsafe import to_csv

    to_csv(df, tmp_path / "slow.csv", lineterminator="\n", **kw)
    return (tmp_path / "slow.csv").read_bytes()


def _text_frames():
    """Frames whose text is risky, almost risky or harmless, in every column type that holds
    text (object, string, the pyarrow string, categorical), with missing cells."""
    cells = [*NASTY, "-1", "-1,5", '"=1"', "a,=b", "x\n=1", "1,-2", " -3", "@", None]
    for kind in ("object", "string", "str", "category"):
        for risky in (cells, ["a", "b,c", "-1", "2.5e-3", None, "x y"]):
            df = pd.DataFrame({"first": risky, "estimate": [-0.5] * len(risky),
                               "n": range(-3, len(risky) - 3), "text": risky[::-1]})
            df["first"] = df["first"].astype(kind)
            yield kind, df
    yield "header", pd.DataFrame({"=SUM(1)": ["a"], "x": [-1.0]})
    yield "header quoted", pd.DataFrame({"=a,b": ["a"], "x": [1.0]})
    yield "cr", pd.DataFrame({"a": ["x\ry", "b"], "x": [float("nan"), -2.0]})
    yield "cr name", pd.DataFrame({"a\rb": ["x"], "x": [1]})
    yield "inf", pd.DataFrame({"x": [float("-inf"), float("nan"), -1e-300], "t": ["-inf", "", "a"]})
    yield "empty", pd.DataFrame({"a": pd.Series([], dtype=object), "=b": pd.Series([], dtype=float)})


@pytest.mark.parametrize("case", list(range(len(list(_text_frames())))))
def test_the_quick_text_is_the_neutralised_one(case, tmp_path):
    """csvsafe.csv_text (pandas' text, kept when one scan finds no cell to neutralise and no
    carriage return) gives exactly the bytes of the cell-by-cell pass, whatever the column
    type, with or without a float format."""
    from coprod.pipeline.csvsafe import csv_text

    kind, df = list(_text_frames())[case]
    for float_format in (None, "%.3f"):
        assert csv_text(df, float_format=float_format).encode("utf-8") == _slow_bytes(
            df, tmp_path, float_format=float_format), (kind, float_format)


#: random tables a run (conftest.random_cases: all of them under make test)
TEXTS = random_cases(full=300, fast=100)


def test_random_texts_give_the_neutralised_bytes(tmp_path):
    """Random short texts of the characters that matter (formula starts, apostrophes, spaces,
    quotes, commas, line ends, digits): the quick text equals the slow pass's bytes."""
    import random

    from coprod.pipeline.csvsafe import csv_text

    rng = random.Random(30)
    chars = "'= +-@\t\r\n\",.e01a"
    for _ in range(TEXTS):
        n = rng.randint(1, 4)
        cols = {f"c{j}": ["".join(rng.choice(chars) for _ in range(rng.randint(0, 4)))
                          for _ in range(n)] for j in range(rng.randint(1, 3))}
        df = pd.DataFrame(cols)
        if rng.random() < 0.3:
            df["x"] = [rng.choice([-1.5, 2.0, float("nan")]) for _ in range(n)]
        if rng.random() < 0.3:
            df = df.astype(rng.choice(["string", "str", "category"]))
        assert csv_text(df).encode("utf-8") == _slow_bytes(df, tmp_path), df.to_dict("list")


def test_an_ordinary_table_is_not_passed_cell_by_cell(monkeypatch):
    """The quick path is taken for a result table of names and (negative) numbers: pandas'
    text is scanned, no column is mapped."""
    from coprod.pipeline import csvsafe

    def refuse(*a, **k):
        raise AssertionError("the cell-by-cell pass ran")

    monkeypatch.setattr(csvsafe, "_apply", refuse)
    df = pd.DataFrame({"term": ["age", "gender[T.woman]", "a, b"], "level": ["-1", "", "x"],
                       "estimate": [-0.5, 1e-20, -3.0], "p_value": [0.5, float("nan"), 1.0]})
    assert csvsafe.csv_text(df) == df.to_csv(index=False, lineterminator="\n")


def test_a_results_file_without_an_apostrophe_reads_as_with_the_restoring(tmp_path,
                                                                         monkeypatch):
    """io.read_results skips the restoring pass for a file without an apostrophe (no cell
    write_csv made inert): the same frame as read with it, and with one the cells restored."""
    from coprod.pipeline import io

    plain = pd.DataFrame({"term": ["a", "-1", "x, y"], "estimate": [-0.5, 1.0, float("nan")],
                          "level": ["", "b", "c"], "flag": ["", "", "lonely"]})
    write_csv(plain, tmp_path / "plain.csv")
    assert not io._may_hold_apostrophe(tmp_path / "plain.csv")
    quick = read_results(tmp_path / "plain.csv", "coefficients")
    monkeypatch.setattr(io, "_may_hold_apostrophe", lambda path: True)
    pd.testing.assert_frame_equal(quick, read_results(tmp_path / "plain.csv", "coefficients"))
    monkeypatch.undo()
    write_csv(pd.DataFrame({"=x": ["=1", "it's"]}), tmp_path / "risky.csv")
    assert io._may_hold_apostrophe(tmp_path / "risky.csv")
    assert read_results(tmp_path / "risky.csv")["=x"].tolist() == ["=1", "it's"]
