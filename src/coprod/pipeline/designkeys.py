"""The ``design:`` section of a config: its keys, the columns it uses, and what it implies for
the words (weighted or not, the variance in words).

Why apart from :mod:`coprod.pipeline.designconfig` (which builds the design): the Snakefile
reads these at every start, and they must not import numpy or pandas (half a second per
Snakemake start). The rules on which keys need which others are the engine's
(:func:`coprod.survey.designspec.key_errors`): the config check and ``make_design`` share them.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

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
