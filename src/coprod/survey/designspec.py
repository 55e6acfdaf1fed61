"""The ``design:`` section of a config in words: which keys need which others, and the variance
a design implies.

Why apart from :mod:`coprod.survey.design`: the Snakefile checks the config at start-up, before any
job runs, and that check must not import numpy or pandas (half a second per Snakemake start);
:func:`coprod.survey.design.make_design` raises the same messages for callers of the library.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any


def key_errors(design: Mapping[str, Any]) -> list[str]:
    """The design keys set without the keys they need, one message each; shared by
    :func:`make_design` and the config check (which reports them before any data is read)."""
    ssu, fpc2 = design.get("ssu"), design.get("fpc2")
    errors = []
    if ssu and not design.get("psu"):
        errors.append(f"design.ssu: {ssu!r} names second-stage units, which need first-stage "
                      "clusters: set design.psu too")
    if fpc2 and not ssu:
        errors.append(f"design.fpc2: {fpc2!r} gives second-stage population sizes, which need "
                      "second-stage units: set design.ssu (and design.psu) too")
    if design.get("replicates"):
        errors += _replicate_errors(design)
    elif design.get("replicate_type"):
        errors.append(f"design.replicate_type: {design['replicate_type']!r} needs "
                      "design.replicates (the codebook variable of the replicate weights)")
    if design.get("as_replicates") and design.get("replicates"):
        errors.append("design.as_replicates: the data already have replicate weights "
                      "(design.replicates); set one of the two to null")
    if design.get("as_replicates") and (design.get("ssu") or design.get("model_based")):
        errors.append("design.as_replicates: replicates are made from the first stage only, "
                      "without design.ssu, and not with design.model_based")
    if design.get("calibration") and design.get("model_based"):
        errors.append("design.calibration: calibrated weights need design-based standard "
                      "errors; set design.model_based to false")
    if fpc2 and not design.get("fpc"):
        errors.append(f"design.fpc2: {fpc2!r} needs design.fpc too: without first-stage "
                      "population sizes the first stage is with replacement and the second "
                      "stage adds nothing (R cannot express this design either)")
    return errors


def _replicate_errors(design: Mapping[str, Any]) -> list[str]:
    rep, kind = design["replicates"], design.get("replicate_type")
    errors = []
    if not kind:
        errors.append(f"design.replicates: {rep!r} needs design.replicate_type (BRR, Fay, JK1, "
                      "JKn, bootstrap, successive-difference or other)")
    if not design.get("weights"):
        errors.append(f"design.replicates: {rep!r} needs design.weights, the full-sample "
                      "weights")
    for key in ("strata", "psu", "fpc", "ssu", "fpc2"):
        if design.get(key):
            errors.append(f"design.{key}: {design[key]!r} cannot be used with replicate weights "
                          "(design.replicates): they replace strata and clusters; set it to "
                          "null")
    if design.get("model_based"):
        errors.append("design.model_based: true cannot be used with replicate weights")
    if kind == "Fay" and design.get("fay_rho") is None:
        errors.append("design.fay_rho: replicate_type Fay needs Fay's rho (in [0, 1))")
    rho = design.get("fay_rho")
    if rho is not None and not 0 <= rho < 1:
        errors.append(f"design.fay_rho: {rho!r} is outside [0, 1)")
    if rho is not None and kind not in (None, "Fay"):
        errors.append(f"design.fay_rho: only for replicate_type Fay, not {kind}")
    if kind == "JKn" and not design.get("replicate_rscales"):
        errors.append("design.replicate_rscales: replicate_type JKn needs one rscale per "
                      "replicate ((n_h - 1)/n_h of the stratum whose PSU it drops)")
    if kind == "other" and design.get("replicate_scale") is None:
        errors.append("design.replicate_scale: replicate_type other needs its scale (the data "
                      "producer's documentation gives it)")
    if kind == "successive-difference" and design.get("replicate_scale") is not None:
        errors.append("design.replicate_scale: successive-difference replicates have the scale "
                      "4/R; remove design.replicate_scale")
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
