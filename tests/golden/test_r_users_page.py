"""Every example of the page "For R survey users" (docs/r_users.md) against R.

The page pairs each R call with its coprod twin: a marker ``<!-- example: <id>; compare:
<quantities>[; needs: <function>(<arguments>)] -->`` heads an R block and a
Python block; ``<!-- setup -->`` heads a block that only prepares (data, designs).
``tools/golden_r_users.R`` runs the R blocks in page order and writes what each visible call
prints into tests/data/golden/r_users_reference.csv (R 4.2.2, survey 4.1.1); here the Python
blocks run in page order in one namespace, every top-level expression's value (as at R's
console: assignments print nothing) is read as a table, and the quantities the marker names are
compared row by row: estimates and plain values to 1e-8 (relative to max(1, |R|)), standard
errors, design effects, statistics, p-values, interval ends and dispersions to 1e-6
(relative), degrees of freedom equal (Rubin's, not whole numbers, to 1e-6). An example whose ``needs`` names a function (or an
argument) that coprod.survey does not have yet is skipped, saying which.
"""
from __future__ import annotations

import ast
import inspect
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

import coprod.survey

PAGE = ROOT / "docs" / "r_users.md"
REF = ROOT / "tests" / "data" / "golden" / "r_users_reference.csv"
MARKER = re.compile(r"^<!-- (setup|example: (.*?)) -->$")
EXACT = {"df", "ddf"}
TOLERANCE = {"estimate": 1e-8, "value": 1e-8}   # others 1e-6
QUANTITIES = {"estimate", "std_error", "deff", "statistic", "df", "ddf", "p_value", "conf_low",
              "conf_high", "dispersion", "value"}


@dataclass
class Block:
    kind: str                       # "setup" or "example"
    id: str = ""
    compare: list[str] = field(default_factory=list)
    needs: str = ""
    r: str = ""
    python: str = ""


def parse_page(text: str) -> list[Block]:
    """The page's marked blocks in order: an example's marker takes the next R block and the
    next Python block, a setup marker the next block (its R block is R's only)."""
    lines = text.splitlines()
    blocks: list[Block] = []
    current: Block | None = None
    i = 0
    while i < len(lines):
        m = MARKER.match(lines[i])
        if m:
            current = Block("setup") if m.group(1) == "setup" else example_marker(m.group(2))
            blocks.append(current)
        elif lines[i].startswith("```") and lines[i] != "```":
            language = lines[i][3:].strip()
            j = lines.index("```", i + 1)
            code = "\n".join(lines[i + 1:j])
            if current is not None and language in ("r", "python"):
                if not getattr(current, language):
                    setattr(current, language, code)
                if current.kind == "setup" or (current.r and current.python):
                    current = None
            i = j
        i += 1
    return blocks


def example_marker(body: str) -> Block:
    """``<id>; compare: a b; needs: f(x, y)`` as a Block."""
    block = Block("example", id=body.split(";")[0].strip())
    for part in body.split(";")[1:]:
        key, _, value = part.partition(":")
        key, value = key.strip(), value.strip()
        if key == "compare":
            block.compare = value.split()
        elif key == "needs":
            block.needs = value
        else:
            raise AssertionError(f"example {block.id}: unknown marker key {key!r}")
    return block


BLOCKS = parse_page(PAGE.read_text(encoding="utf-8"))
EXAMPLES = [b for b in BLOCKS if b.kind == "example"]


def missing(needs: str) -> str:
    """Why an example cannot run yet ('' if it can): the function of ``needs`` is not in
    coprod.survey, or lacks one of the arguments."""
    if not needs:
        return ""
    name, _, args = needs.partition("(")
    name = name.strip()
    if name not in coprod.survey.__all__:
        return f"coprod.survey.{name} does not exist yet (issue 28, being built)"
    wanted = [a.strip() for a in args.rstrip(")").split(",") if a.strip()]
    params = inspect.signature(getattr(coprod.survey, name)).parameters
    absent = [a for a in wanted if a not in params]
    if absent:
        return f"coprod.survey.{name} has no argument {', '.join(absent)} yet (issue 28)"
    return ""


def run_block(code: str, namespace: dict[str, Any]) -> list[Any]:
    """Run ``code`` statement by statement; the values of its top-level expressions (None, as
    R's invisible, left out)."""
    values = []
    for statement in ast.parse(code).body:
        if isinstance(statement, ast.Expr):
            value = eval(compile(ast.Expression(statement.value), "<page>", "eval"), namespace)
            if value is not None:
                values.append(value)
        else:
            exec(compile(ast.Module([statement], []), "<page>", "exec"), namespace)
    return values


@pytest.fixture(scope="module")
def outcomes() -> dict[str, tuple[str, Any]]:
    """Each example's outcome after running the page's Python blocks in order from the
    repository root (the page reads its data by relative path): ("ok", values), ("skip",
    reason) or ("error", exception)."""
    namespace: dict[str, Any] = {"__name__": "r_users_page"}
    out: dict[str, tuple[str, Any]] = {}
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        for block in BLOCKS:
            if block.kind == "setup":
                if block.python:
                    run_block(block.python, namespace)
                continue
            reason = missing(block.needs)
            if reason:
                out[block.id] = ("skip", reason)
                continue
            try:
                out[block.id] = ("ok", run_block(block.python, namespace))
            except Exception as e:  # reported by the example's own test
                out[block.id] = ("error", e)
    finally:
        os.chdir(cwd)
    return out


@pytest.fixture(scope="module")
def reference() -> pd.DataFrame:
    return pd.read_csv(REF, keep_default_na=False, na_values=["NA"],
                       dtype={"term": str, "example": str})


def table(value: Any) -> pd.DataFrame:
    """A coprod result as a table with the reference's quantity names."""
    if isinstance(value, coprod.survey.SvySummary):
        cf = value.coefficients
        out = pd.DataFrame({"estimate": cf.iloc[:, 0], "std_error": cf.iloc[:, 1],
                            "statistic": cf.iloc[:, 2], "p_value": cf.iloc[:, 3]})
        out["df"] = value.df_resid
        out["dispersion"] = np.nan if value.dispersion is None else value.dispersion
        return out
    if isinstance(value, coprod.survey.SvyModelResult):
        out = value.tidy().rename(columns={"df_resid": "df"})
        if "df" not in out:
            out["df"] = value.df_resid
        return out
    if isinstance(value, dict):
        scalar = all(np.ndim(v) == 0 for v in value.values())
        value = pd.DataFrame([value] if scalar else value)
    if isinstance(value, pd.DataFrame):
        if len(value.columns) == 2 and all(str(c).endswith("%") for c in value.columns):
            return pd.DataFrame({"conf_low": value.iloc[:, 0], "conf_high": value.iloc[:, 1]})
        return value.rename(columns={"df_num": "df", "df_den": "ddf"})
    if isinstance(value, int | float | np.integer | np.floating):
        return pd.DataFrame({"value": [value]})
    raise AssertionError(f"no table for a value of type {type(value).__name__}")


def close(ours: np.ndarray, r: np.ndarray, quantity: str) -> np.ndarray:
    """Elementwise agreement (NaN with NaN, inf with inf)."""
    same = (np.isnan(ours) & np.isnan(r)) | (ours == r)
    if quantity in EXACT and np.all(np.isinf(r) | (r == np.round(r))):
        return same  # a design's df (Rubin's df are not whole numbers)
    tol = TOLERANCE.get(quantity, 1e-6)
    scale = np.maximum(1.0, np.abs(r)) if quantity in TOLERANCE else np.abs(r)
    with np.errstate(invalid="ignore"):
        return same | (np.abs(ours - r) <= tol * scale)


@pytest.mark.parametrize("example", EXAMPLES, ids=[b.id for b in EXAMPLES])
def test_example_equals_r(example: Block, outcomes, reference) -> None:
    status, result = outcomes[example.id]
    if status == "skip":
        pytest.skip(f"{example.id}: {result}")
    if status == "error":
        raise AssertionError(f"example {example.id} failed: {result!r}") from result
    ref = reference[reference["example"] == example.id]
    n_calls = ref["call"].max()
    assert len(result) == n_calls, (
        f"{example.id}: the Python block prints {len(result)} values, the R block {n_calls}")
    for call, value in enumerate(result, 1):
        ours = table(value)
        r = ref[ref["call"] == call]
        n_rows = r["row"].max()
        assert len(ours) == n_rows, f"{example.id} call {call}: {len(ours)} rows, R {n_rows}"
        for quantity in example.compare:
            assert quantity in ours.columns, f"{example.id} call {call}: no {quantity} in {list(ours.columns)}"
            rq = r[r["quantity"] == quantity].sort_values("row")
            assert len(rq) == n_rows, f"{example.id} call {call}: R has no {quantity}"
            want = rq["value"].to_numpy(float)
            got = ours[quantity].to_numpy(float)
            ok = close(got, want, quantity)
            assert ok.all(), (f"{example.id} call {call} {quantity}: coprod {got[~ok]} vs R "
                              f"{want[~ok]} (terms {rq['term'].to_numpy()[~ok]})")


def test_page_and_reference_in_step(reference) -> None:
    """Every example of the page has R's numbers (rerun tools/golden_r_users.R after editing
    an R block), every example names what it compares, and R's numbers belong to examples."""
    ids = [b.id for b in EXAMPLES]
    assert len(ids) == len(set(ids)), "duplicate example ids"
    assert set(reference["example"]) == set(ids)
    for b in EXAMPLES:
        assert b.r and b.python, f"{b.id}: an example needs an R block and a Python block"
        assert b.compare and set(b.compare) <= QUANTITIES, f"{b.id}: compare {b.compare}"
    assert set(reference["quantity"]) <= QUANTITIES


def test_page_r_blocks_are_the_reference_script_input() -> None:
    """The R script reads the page itself: the markers it reads are the ones parsed here."""
    script = (ROOT / "tools" / "golden_r_users.R").read_text(encoding="utf-8")
    assert '"docs/r_users.md"' in script
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", b.id) for b in EXAMPLES)


def test_pending_examples_only_where_a_function_is_missing(outcomes) -> None:
    """Skips come from ``needs`` alone, and most of the page runs today."""
    skipped = {i for i, (status, _) in outcomes.items() if status == "skip"}
    assert skipped <= {b.id for b in EXAMPLES if b.needs}
    assert len(skipped) < len(EXAMPLES) / 2
