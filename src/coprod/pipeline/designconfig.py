"""The survey design a config describes: the one place that turns a ``design:`` section into
a design object (linearisation or replicate, calibrated or not).

Why its own module: the design classes and the calibration sit below it and do not know each
other's construction; only this builder knows every key of the section. It is also where the
engine's errors, which name the arguments of its calls (``rho``), are named as the config keys
the user wrote (``design.fay_rho``): :func:`config_keys`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pandas as pd

from ..errors import ConfigError, CoprodError
from ..survey.calibration import CalibrationSpec, calibrate, calibration_spec
from ..survey.design import SurveyDesign, make_design
from ..survey.designspec import key_errors
from ..survey.replicate import ReplicateDesign, as_replicate, make_replicate_design
from .designkeys import Calibration, DesignSettings, replicate_pattern, typed_design
from .designkeys import design_columns as design_columns  # re-exported

#: the config key of each argument of the engine's design builders, per builder
DESIGN_KEYS = {k: f"design.{k}" for k in ("weights", "strata", "psu", "fpc", "ssu", "fpc2",
                                           "lonely_psu", "deff")}
REPLICATE_KEYS = {"weights": "design.weights", "replicates": "design.replicates",
                  "type": "design.replicate_type", "scale": "design.replicate_scale",
                  "rscales": "design.replicate_rscales", "rho": "design.fay_rho",
                  "deff": "design.deff"}
AS_REPLICATE_KEYS = {"design": "design.as_replicates", "type": "design.as_replicates.type",
                     "replicates": "design.as_replicates.replicates"}
CALIBRATION_KEYS = {k: f"design.calibration.{k}" for k in ("method", "totals", "variables",
                                                            "bounds", "epsilon", "maxit")}


@contextmanager
def config_keys(names: Mapping[str, str]) -> Iterator[None]:
    """Re-raise an engine error that names an argument in ``names`` naming its config key
    instead (``rho: ...`` -> ``design.fay_rho: ...``); any other error as it is."""
    try:
        yield
    except CoprodError as exc:
        if exc.argument is not None and exc.argument in names:
            raise exc.renamed(names[exc.argument]) from exc
        raise


def calibration_from_config(cal: Calibration | None) -> CalibrationSpec | None:
    """A config's ``design.calibration`` section as the engine's spec (totals read and
    checked), or None; messages name the config's keys."""
    if not cal:
        return None
    if not cal.totals:  # the config schema requires it; a caller may leave it out
        raise ConfigError(
            "design.calibration.totals: name the CSV file of population totals (columns "
            "variable, level, total)")
    with config_keys(CALIBRATION_KEYS):
        return calibration_spec(str(cal.method), cal.totals, list(cal.variables),
                                bounds=None if cal.bounds is None else list(cal.bounds),
                                epsilon=cal.epsilon, maxit=cal.maxit)


def design_from_config(data: pd.DataFrame, design: DesignSettings, *,
                       rename: Callable[[str], str] | None = None) -> Any:
    """The design of a config's ``design:`` section (column names mapped by ``rename``): a
    :class:`SurveyDesign`, or a replicate design when ``design.replicates`` is set."""
    design = typed_design(design, "design_from_config")
    rename = rename or (lambda name: name)

    def col(key: str) -> str | None:
        name = getattr(design, key)
        return rename(name) if name else None

    spec = calibration_from_config(design.calibration)
    built = _uncalibrated(data, design, col)
    conv = design.as_replicates
    if conv:  # replicate weights from the strata and PSUs (R's as.svrepdesign)
        with config_keys(AS_REPLICATE_KEYS):
            built = as_replicate(built, conv.type, replicates=int(conv.replicates),
                                 seed=conv.seed, mse=bool(conv.mse))
    if spec is None:
        return built
    with config_keys(CALIBRATION_KEYS):
        return calibrate(built, data, spec)


def _uncalibrated(data: pd.DataFrame, design: DesignSettings,
                  col: Callable[[str], str | None]) -> SurveyDesign | ReplicateDesign:
    if design.replicates:
        rscales = design.replicate_rscales
        with config_keys(REPLICATE_KEYS):
            return make_replicate_design(
                data, weights=col("weights"), replicates=replicate_pattern(design.replicates),
                type=design.replicate_type, scale=design.replicate_scale,
                rscales=None if rscales is None else list(rscales), rho=design.fay_rho,
                mse=bool(design.mse), combined=bool(design.combined_weights),
                deff=design.deff, keep_data=True)
    # the engine's rules on which stages need which, in the config's words (its messages name
    # the other arguments too, which a renamed prefix would not reach)
    missing = key_errors({k: design[k] for k in ("psu", "fpc", "ssu", "fpc2")},
                         key=DESIGN_KEYS.__getitem__)
    if missing:
        raise ConfigError(missing[0])
    with config_keys(DESIGN_KEYS):
        return make_design(data, weights=col("weights"), strata=col("strata"), psu=col("psu"),
                           fpc=col("fpc"), ssu=col("ssu"), fpc2=col("fpc2"),
                           lonely_psu=design.lonely_psu, deff=design.deff, keep_data=True)


def design_weights(design: DesignSettings, clean_table: str) -> dict[str, Any] | None:
    """The weights before and after calibration (None without calibration), for Methods:
    ``design`` is the settings' design section
    (:attr:`coprod.pipeline.settings.Settings.design`)."""
    d = design
    if not d.calibration:
        return None
    from ..survey.calibration import weights_summary
    from .io import read_table

    data = read_table(clean_table)
    built = design_from_config(data[design_columns(d, data.columns)], d)
    pos = built.weights_before > 0
    ratio = built.weights[pos] / built.weights_before[pos]
    return {"before": weights_summary(built.weights_before), "after":
            weights_summary(built.weights), "ratio": (float(ratio.min()), float(ratio.max()))}
