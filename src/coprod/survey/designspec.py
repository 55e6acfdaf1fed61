"""A design's arguments in words: which need which others, the variance a design implies, and
the calibration totals file.

Why apart from :mod:`coprod.survey.design`: the pipeline checks its config at start-up, before
any job runs, and that check must not import numpy or pandas (half a second per Snakemake start);
:func:`coprod.survey.design.make_design` raises the same messages for callers of the library,
naming its arguments where the pipeline names its config keys.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def key_errors(design: Mapping[str, Any], key: Callable[[str], str] = str) -> list[str]:
    """The stages of a design set without the arguments they need (``ssu`` needs ``psu``;
    ``fpc2`` needs ``ssu`` and ``fpc``), one message each; ``design`` maps the arguments of
    :func:`coprod.survey.design.make_design` to their values.

    ``key`` names an argument in the messages: by default as the argument itself (what
    ``make_design`` raises), while the pipeline's start-up check, which reports them before any
    data is read, names them as its config keys (``lambda k: f"design.{k}"``)."""
    ssu, fpc2 = design.get("ssu"), design.get("fpc2")
    errors = []
    if ssu and not design.get("psu"):
        errors.append(f"{key('ssu')}: {ssu!r} names second-stage units, which need first-stage "
                      f"clusters: set {key('psu')} too")
    if fpc2 and not ssu:
        errors.append(f"{key('fpc2')}: {fpc2!r} gives second-stage population sizes, which "
                      f"need second-stage units: set {key('ssu')} (and {key('psu')}) too")
    if fpc2 and not design.get("fpc"):
        errors.append(f"{key('fpc2')}: {fpc2!r} needs {key('fpc')} too: without first-stage "
                      "population sizes the first stage is with replacement and the second "
                      "stage adds nothing (R cannot express this design either)")
    return errors


def variance_kind(*, fpc: bool, ssu: bool) -> str:
    """The Taylor variance a design implies, in words (R's rules: a second stage counts only
    with first-stage population sizes)."""
    if not fpc:
        return "with-replacement design: ultimate clusters"
    if ssu:
        return ("two-stage design without replacement: between-PSU and within-PSU "
                "components with finite-population corrections")
    return "design without replacement: finite-population correction at the first stage"


GRAND_TOTAL = ("Intercept", "(Intercept)", "total")  # variable names of a grand-total row


def read_totals(path: str | os.PathLike[str]) -> tuple[dict[str, dict[str, float]], list[str]]:
    """A calibration totals CSV (columns variable, level, total) as {variable: {level: total}},
    and one message per row whose total is not a non-negative number. Read with the csv module:
    the start-up check and the estimates read it alike, and start-up pays for no pandas."""
    import csv
    import math

    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"variable", "level", "total"} <= set(rows[0]):
        return {}, [f"{path}: needs the columns variable, level, total"]
    totals: dict[str, dict[str, float]] = {}
    errors = []
    for i, r in enumerate(rows, 2):
        try:
            t = float(r["total"])
        except (TypeError, ValueError):
            t = float("nan")
        if not (math.isfinite(t) and t >= 0):
            errors.append(f"{path}: row {i}: total {r['total']!r} of {r['variable']} "
                          f"{r['level']!r} is not a non-negative number")
        totals.setdefault(r["variable"], {})[r["level"]] = t
    return totals, errors


def totals_error(totals: Mapping[str, Mapping[str, float]], variables: Iterable[str],
                 path: str | os.PathLike[str]) -> str | None:
    """Every margin (and the grand total, if given) must add up to the same population."""
    grand = next((sum(totals[k].values()) for k in GRAND_TOTAL if k in totals), None)
    sums = {v: sum(totals[v].values()) for v in variables if v in totals}
    values = ([grand] if grand is not None else []) + list(sums.values())
    if any(abs(x - values[0]) > 1e-9 * max(abs(values[0]), 1) for x in values):
        parts = ([f"grand total: {grand:g}"] if grand is not None else []) + [
            f"{v}: {x:g}" for v, x in sums.items()]
        return f"{path}: the margins add up to different populations ({', '.join(parts)})"
    return None
