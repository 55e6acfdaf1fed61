"""The survey design a config describes: the one place that turns a ``design:`` section into
a design object (linearisation or replicate, calibrated or not).

Why its own module: the design classes and the calibration sit below it and do not know each
other's construction; only this builder knows every key of the section.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from ..survey.calibrate import calibrate, calibration_spec
from ..survey.design import SurveyDesign, make_design
from ..survey.replicate import ReplicateDesign, as_replicate, make_replicate_design
from .designkeys import design_columns as design_columns  # re-exported
from .designkeys import replicate_pattern


def design_from_config(data: pd.DataFrame, design: dict[str, Any], *,
                       rename: Callable[[str], str] | None = None) -> Any:
    """The design of a config's ``design:`` section (column names mapped by ``rename``): a
    :class:`SurveyDesign`, or a replicate design when ``design.replicates`` is set."""
    rename = rename or (lambda name: name)

    def col(key: str) -> str | None:
        name = design.get(key)
        return rename(name) if name else None

    spec = calibration_spec(design.get("calibration"))
    built = _uncalibrated(data, design, col)
    conv = design.get("as_replicates")
    if conv:  # replicate weights from the strata and PSUs (R's as.svrepdesign)
        built = as_replicate(built, conv["type"], replicates=int(conv.get("replicates", 50)),
                             seed=conv.get("seed", 2026), mse=bool(conv.get("mse", False)))
    return built if spec is None else calibrate(built, data, spec)


def _uncalibrated(data: pd.DataFrame, design: dict[str, Any],
                  col: Callable[[str], str | None]) -> SurveyDesign | ReplicateDesign:
    if design.get("replicates"):
        return make_replicate_design(
            data, weights=col("weights"), replicates=replicate_pattern(design["replicates"]),
            type=design.get("replicate_type"), scale=design.get("replicate_scale"),
            rscales=design.get("replicate_rscales"), rho=design.get("fay_rho"),
            mse=bool(design.get("mse", False)),
            combined=bool(design.get("combined_weights", True)),
            deff=design.get("deff", "srswor"), keep_data=True)
    return make_design(data, weights=col("weights"), strata=col("strata"), psu=col("psu"),
                       fpc=col("fpc"), ssu=col("ssu"), fpc2=col("fpc2"),
                       lonely_psu=design.get("lonely_psu", "adjust"),
                       deff=design.get("deff", "srswor"), keep_data=True)


def design_weights(config: dict[str, Any], clean_table: str) -> dict[str, Any] | None:
    """The weights before and after calibration (None without calibration), for Methods."""
    d = config.get("design") or {}
    if not d.get("calibration"):
        return None
    from ..survey.calibrate import weights_summary
    from .io import read_table

    data = read_table(clean_table)
    built = design_from_config(data[design_columns(d, data.columns)], d)
    pos = built.weights_before > 0
    ratio = built.weights[pos] / built.weights_before[pos]
    return {"before": weights_summary(built.weights_before), "after":
            weights_summary(built.weights), "ratio": (float(ratio.min()), float(ratio.max()))}
