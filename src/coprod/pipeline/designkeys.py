"""The ``design:`` section of a config: its keys, the columns it uses, and what it implies for
the words (weighted or not, the variance in words).

Why apart from :mod:`coprod.pipeline.designconfig` (which builds the design): the Snakefile
reads these at every start, and they must not import numpy or pandas (half a second per
Snakemake start). Which keys need which others (:func:`design_key_errors`): the engine's rules
for the stages of a design (:func:`coprod.survey.designspec.key_errors`, which ``make_design``
shares, here naming config keys instead of arguments) and the config's own, for the keys that
choose between designs (replicate weights, ``as_replicates``, ``calibration``, ``model_based``).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..survey.designspec import key_errors

#: every key of the config's ``design:`` section (workflow/schemas/config.schema.yaml), in the
#: order the model jobs receive them (a new order would rerun every model job once)
DESIGN_KEYS = ("weights", "strata", "psu", "fpc", "ssu", "fpc2", "lonely_psu", "deff",
               "model_based", "incomplete", "replicates", "replicate_type", "replicate_scale",
               "replicate_rscales", "fay_rho", "mse", "combined_weights", "calibration",
               "as_replicates")


def design_settings(design: Mapping[str, Any]) -> dict[str, Any]:
    """Every design key of a validated config's ``design:`` section (unset ones None): what
    each model job needs, as the workflow passes it (params) and as tests call the stages."""
    return {k: design.get(k) for k in DESIGN_KEYS}


def weighted(design: Mapping[str, Any]) -> bool:
    """Do the estimates use unequal weights? (weights given, or weights calibrated to totals:
    "weighted %" in tables, figures and the report.)"""
    return bool(design.get("weights") or design.get("calibration"))


def replicate_pattern(name: str) -> str:
    """The clean-table columns of a codebook variable with ``role: replicates``: the matched
    raw columns become ``<name>_1`` ... ``<name>_R``."""
    import re

    return f"^{re.escape(str(name))}_[0-9]+$"


def design_columns(design: Mapping[str, Any], columns: Sequence[str] = ()) -> list[str]:
    """The clean-table columns a config's design uses (the replicate weights only when the
    table's ``columns`` are given: they are many, and only the design needs them)."""
    import re

    cols = [design[k] for k in ("weights", "strata", "psu", "fpc", "ssu", "fpc2")
            if design.get(k)]
    cols += list((design.get("calibration") or {}).get("variables") or [])
    if design.get("replicates") and len(columns):
        rx = re.compile(replicate_pattern(design["replicates"]))
        cols += [c for c in columns if rx.fullmatch(str(c))]
    return cols


def variance_words(design: Mapping[str, Any]) -> str:
    """The Taylor variance a config's design implies, in words (the engine's rule: a second
    stage counts only with first-stage population sizes)."""
    from ..survey.designspec import variance_kind

    return variance_kind(fpc=bool(design.get("fpc")), ssu=bool(design.get("ssu")))


def design_key_errors(design: Mapping[str, Any]) -> list[str]:
    """The keys of a config's ``design:`` section set without the keys they need, or together
    with keys they exclude, one message each, naming the config keys (the start-up check)."""
    errors = key_errors(design, key=lambda k: f"design.{k}")
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
