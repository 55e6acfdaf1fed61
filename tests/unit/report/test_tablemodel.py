"""The table model: cells keep their numbers, one decimals rule per column and kind of number,
and every renderer (tidy CSV, display CSV, HTML, JSON) reads the same model."""
from __future__ import annotations

import math

import pytest

from coprod.report.tabledata import display_frame, tidy_frame
from coprod.report.tablehtml import fragment_html, table_html
from coprod.report.tablemodel import (
    Cell,
    Column,
    Row,
    Table,
    build,
    cell_text,
    column_digits,
    from_json,
    interval_digits,
    to_json,
)


def _or(est, lo, hi, p=0.5):
    return Cell("estimate", math.log(est), math.log(lo), math.log(hi), p_value=p,
                scale="log_odds", show="exp", null=1.0)


def small() -> Table:
    cols = [Column("Individual", span="UK", codes={"outcome": "ind", "sample": "UK"}),
            Column("Collective", span="UK", codes={"outcome": "col", "sample": "UK"})]
    return build("m", "Odds ratios <b>", cols, [
        (Row("Age", codes={"term": "age", "variable": "age"}),
         [_or(1.5, 1.2, 1.9, p=0.001), Cell("na")]),
        (Row("Education", "variable", codes={"variable": "education"}),
         [Cell("test", p_value=0.0004, statistic=3.25, df_num=2, df_den=50, scale="F"),
          Cell("blank")]),
        (Row("low", "level", codes={"variable": "education", "level": "low"}),
         [Cell("ref"), Cell("ref")]),
        (Row("n", "foot"), [Cell("count", 4281.0, scale="n"), Cell("count", 1000.0, scale="n")]),
    ], notes=("A note & more",))


def test_an_interval_that_excludes_the_null_never_shows_it():
    # 0.99 [0.98, 0.9996]: at 2 decimals the upper bound would read 1.00
    c = _or(0.99, 0.98, 0.9996)
    assert interval_digits([c], 2) == 4
    assert str(cell_text(c, 4)) == "0.9900 [0.9800, 0.9996]"
    # one that includes 1 keeps the table's decimals
    assert interval_digits([_or(0.99, 0.97, 1.004)], 2) == 2


def test_one_number_of_decimals_per_column_and_kind():
    t = build("d", "c", [Column("A")], [
        (Row("x"), [_or(1.03, 1.01, 1.05)]),
        (Row("y"), [_or(1.022, 1.0004, 1.05)]),  # needs 4 decimals: so does x
        (Row("share"), [Cell("estimate", 0.5, 0.4, 0.6, scale="proportion", show="percent")]),
    ], scale_digits={"proportion": 1})
    assert column_digits(t, 0) == {"log_odds": 4, "proportion": 1}
    texts = display_frame(t)["A"].tolist()
    assert texts == ["1.0300 [1.0100, 1.0500]", "1.0220 [1.0004, 1.0500]", "50.0 [40.0, 60.0]"]


def test_the_tidy_frame_keeps_full_precision_and_codes():
    tidy = tidy_frame(small())
    age = tidy[(tidy["term"] == "age") & (tidy["outcome"] == "ind")].iloc[0]
    assert age["estimate"] == math.log(1.5) and age["shown_as"] == "exp"
    assert age["sample"] == "UK" and age["text"] == "1.50 [1.20, 1.90]"
    test = tidy[tidy["kind"] == "test"].iloc[0]
    assert (test["statistic"], test["df_num"], test["df_den"], test["p_value"]) == \
        (3.25, 2, 50, 0.0004)
    assert test["text"] == "p < 0.001"
    assert "blank" not in set(tidy["kind"])  # a blank cell is no datum


def test_html_escapes_and_spans():
    html = table_html(small())
    assert '<th scope="colgroup" colspan="2">UK</th>' in html
    assert "<caption>" not in html  # the page sets the caption outside the scroll box
    frag = fragment_html(small(), notice="Synthetic")
    assert "<caption>Odds ratios &lt;b&gt;</caption>" in frag
    assert '<p class="table-note">Synthetic</p>' in frag
    assert "A note &amp; more" in frag


def test_json_round_trip():
    t = small()
    assert from_json(to_json(t)) == t
    inf = build("i", "c", [Column("A")], [(Row("x"), [Cell("number", math.inf, scale="F")])])
    assert from_json(to_json(inf)).cells[0][0].estimate == math.inf


def test_a_malformed_table_is_refused():
    with pytest.raises(ValueError, match="has 1 cells for 2 columns"):
        build("bad", "c", [Column("A"), Column("B")], [(Row("x"), [Cell("na")])])
    with pytest.raises(ValueError, match="kind 'wrong'"):
        Cell("wrong")


def test_what_occurs_in_a_table_decides_its_legends():
    seen = small().occurring()
    assert {"estimate", "na", "test", "ref", "count"} <= seen and "\u2020" not in seen
    flagged = build("f", "c", [Column("A")], [
        (Row("x"), [Cell("estimate", 0.1, 0.0, 0.2, marks=("\u2020",))])])
    assert "\u2020" in flagged.occurring()


def test_the_page_sets_caption_and_notes_outside_the_scroll_box():
    """A table model goes on the page as a block whose caption and notes are not part of the
    table element (the page puts them outside the box that scrolls): the notice first."""
    from coprod.report.report import model_table_item

    block = model_table_item(small(), notice="Synthetic")
    assert block.caption == "Odds ratios <b>" and "<caption>" not in str(block.html)
    assert block.notes == ("Synthetic", "A note & more")
    assert "A note" not in str(block.html)
    assert model_table_item(small(), notes=()).notes == ()
