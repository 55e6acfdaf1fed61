"""Calibrated weights to totals per margin, the pipeline's calibration: post-stratification,
raking and (bounded) linear or raking calibration to every level's population total of a few
categorical variables (a totals CSV or a dict: :func:`calibration_spec`), as R's
``postStratify``, ``rake`` and ``calibrate``; and :func:`calibrate`, the one entry point, which
also takes R's call (a formula and its totals: :mod:`coprod.survey.rcalibrate`).

The weights and the variance adjustments are in :mod:`coprod.survey.calweights`, R's grake in
:mod:`coprod.survey.greg`. Totals come per margin: each calibration variable's population total
of every level (and, if given, the grand total, which every margin must then match).
"""
from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .calweights import CalibrationWarning as CalibrationWarning
from .calweights import Greg as Greg
from .calweights import PostStrata as PostStrata
from .calweights import Raked, input_rule, rake_passes, with_calibration
from .calweights import Raking as Raking
from .calweights import poststratify_weights as poststratify_weights
from .calweights import rake_weights as rake_weights
from .designspec import totals_error
from .greg import grake, linear_g

METHODS = ("poststrat", "rake", "linear", "raking")
D = TypeVar("D")  # a design (not imported: the designs import this module)



# -- the totals and the model matrix ----------------------------------------------------------

def read_totals(path: str | os.PathLike[str]) -> dict[str, dict[str, float]]:
    """A totals CSV (columns ``variable, level, total``; a row with variable ``Intercept`` or
    ``total`` and no level is the grand total) as {variable: {level: total}} without the grand
    total, checked: non-negative numbers, and every margin adding up to the same population."""
    from .designspec import GRAND_TOTAL
    from .designspec import read_totals as read_rows

    try:
        totals, errors = read_rows(path)
    except FileNotFoundError:
        raise ConfigError(f"totals: {path}: file not found", argument="totals") from None
    margins = [v for v in totals if v not in GRAND_TOTAL]
    mismatch = totals_error(totals, margins, path) if totals else None
    if errors or mismatch:
        raise ConfigError("\n".join([*errors, *([mismatch] if mismatch else [])]))
    return {v: totals[v] for v in margins}


@dataclass(frozen=True, eq=False)
class _Margin:
    """One calibration variable, encoded once per design: its levels, each row's level number
    and the levels' population totals."""

    var: str
    levels: list[str]
    codes: np.ndarray
    totals: np.ndarray


def _margin(data: pd.DataFrame, var: str, tot: dict[str, float], path: str) -> _Margin:
    """One calibration variable as a :class:`_Margin`. A level with a total of 0 and no
    respondents is left out (as R); with respondents it is refused (their weights would become
    0, R: "strata in sample absent from population")."""
    levels = _ordered_levels(data, var, tot)
    col = data[var].astype(str) if var in data.columns else None
    present = set(col.unique()) if col is not None else set()
    zero = [lv for lv in levels if tot[lv] == 0]
    bad = [lv for lv in zero if lv in present]
    if bad:
        raise DataError(f"calibration: level(s) {bad} of '{var}' have respondents but a "
                        f"population total of 0 in {path}")
    levels = [lv for lv in levels if lv not in zero]
    return _Margin(var, levels, _codes(data, var, levels, path),
                   np.array([tot[lv] for lv in levels]))


def _codes(data: pd.DataFrame, var: str, levels: list[str], path: str) -> np.ndarray:
    """Each row's level number; every level needs respondents and every respondent a level."""
    if var not in data.columns:
        raise ConfigError(f"{path}: '{var}' is not a column of the data")
    col = data[var]
    if col.isna().any():
        raise DataError(f"calibration variable '{var}' is missing for "
                        f"{int(col.isna().sum())} respondent(s); calibration needs it for all")
    pos = {lv: k for k, lv in enumerate(levels)}
    # through the categories (a million rows, a handful of levels): no per-row lookups
    cat = col.astype(str).astype("category") if not isinstance(
        col.dtype, pd.CategoricalDtype) else col
    cats = [str(c) for c in cat.cat.categories]
    lookup = np.array([pos.get(c, -1) for c in cats], dtype=np.int64)
    codes = lookup[cat.cat.codes.to_numpy()]
    if (codes < 0).any():
        bad = sorted({cats[i] for i in np.unique(cat.cat.codes.to_numpy()[codes < 0])})[:5]
        raise ConfigError(f"{path}: level(s) {bad} of '{var}' are in the data but have no "
                          "population total")
    empty = [lv for lv, k in pos.items() if not (codes == k).any()]
    if empty:
        raise DataError(f"calibration: level(s) {empty} of '{var}' have a population total but "
                        "no respondents")
    return cast(np.ndarray, codes)


def _ordered_levels(data: pd.DataFrame, var: str, given: Collection[str]) -> list[str]:
    """The data's level order (a categorical's), then any other level of the totals."""
    col = data[var] if var in data.columns else pd.Series(dtype=object)
    order = [str(c) for c in col.cat.categories] if isinstance(col.dtype, pd.CategoricalDtype) \
        else sorted(map(str, col.dropna().unique()))
    return [lv for lv in order if lv in given] + [lv for lv in given if lv not in order]


def model_matrix(margins: list[_Margin]) -> tuple[np.ndarray, np.ndarray]:
    """R's ``model.matrix(~ v1 + v2 + ...)`` (intercept, then each variable's levels but the
    first) and the population totals of its columns."""
    cols, pop = [np.ones(len(margins[0].codes))], []
    for m in margins:
        for k in range(1, len(m.totals)):
            cols.append((m.codes == k).astype(float))
            pop.append(m.totals[k])
    return np.column_stack(cols), np.array([float(margins[-1].totals.sum()), *pop])


@dataclass(frozen=True)
class CalibrationSpec:
    method: str
    margins: dict[str, dict[str, float]]  # {variable: {level: total}}
    bounds: tuple[float, ...] = (-np.inf, np.inf)
    epsilon: float = 1e-10
    maxit: int = 100
    source: str = "totals"  # where the totals came from (a file), for messages

    def variables(self) -> list[str]:
        return list(self.margins)


def calibration_spec(method: str,
                     totals: str | os.PathLike[str] | Mapping[str, Mapping[str, float]],
                     variables: Sequence[str] | None = None, *,
                     bounds: Sequence[float] | None = None, epsilon: float = 1e-10,
                     maxit: int = 100) -> CalibrationSpec:
    """A calibration for :func:`calibrate`, checked: ``method`` one of "poststrat", "rake"
    (R's ``postStratify``, ``rake``), "linear" or "raking" (R's ``calibrate`` with
    ``calfun`` linear or raking); ``totals`` the population totals, a CSV file (columns
    ``variable, level, total``: :func:`read_totals`) or ``{variable: {level: total}}``;
    ``variables`` the calibration variables (default: every variable of the totals); ``bounds``
    [lower, upper] limits of new / old weight (linear and raking only); ``epsilon`` and
    ``maxit`` the iterations' tolerance and limit. Errors name the argument that is wrong."""
    if method not in METHODS:
        raise ConfigError(f"method: '{method}' is not one of {', '.join(METHODS)}",
                          argument="method")
    if totals is None or (isinstance(totals, str) and not totals):
        raise ConfigError("totals: give the population totals: a CSV file (columns variable, "
                          "level, total) or {variable: {level: total}}", argument="totals")
    if isinstance(totals, Mapping):
        margins, source = _totals_given(totals), "totals"
    else:
        margins, source = read_totals(totals), str(totals)
    chosen = list(margins) if variables is None else list(variables)
    absent = [v for v in chosen if v not in margins]
    if absent or not chosen:
        raise ConfigError(f"variables: no totals for {', '.join(absent) or 'any variable'} in "
                          f"{source} (it has totals for {', '.join(margins) or 'no variable'})",
                          argument="variables")
    margins = {v: margins[v] for v in chosen}
    if method == "poststrat" and len(margins) != 1:
        raise ConfigError(f"method: poststrat takes one variable, the totals give "
                          f"{len(margins)} ({', '.join(margins)}); use rake or linear for "
                          "several margins", argument="method")
    limits = list(bounds) if bounds else [-np.inf, np.inf]
    if len(limits) != 2 or not limits[0] < 1 < limits[1]:
        raise ConfigError(f"bounds: {limits} must be [lower, upper] around 1 (limits of the "
                          "ratio of new to old weights)", argument="bounds")
    if not (isinstance(maxit, (int, np.integer)) and not isinstance(maxit, bool) and maxit >= 1):
        raise ConfigError(f"maxit: {maxit!r} must be a whole number of at least 1 (the limit of "
                          "iterations)", argument="maxit")
    if not (isinstance(epsilon, (int, float)) and math.isfinite(epsilon) and epsilon > 0):
        raise ConfigError(f"epsilon: {epsilon!r} must be a positive number (the tolerance)",
                          argument="epsilon")
    if bounds and method in ("poststrat", "rake"):
        raise ConfigError(f"bounds: not for method {method}; use linear or raking (calibration "
                          "with a raking distance) with bounds", argument="bounds")
    return CalibrationSpec(method=method, margins=margins, bounds=tuple(map(float, limits)),
                           epsilon=float(epsilon), maxit=int(maxit), source=source)


def _totals_given(totals: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Totals given as a mapping, checked as a file's are (:func:`read_totals`), without the
    grand total."""
    from .designspec import GRAND_TOTAL

    out = {str(v): {str(lv): float(t) for lv, t in levels.items()}
           for v, levels in totals.items()}
    errors = [f"totals: {t!r} for {v} {lv!r} is not a non-negative number"
              for v, levels in out.items() for lv, t in levels.items()
              if not (math.isfinite(t) and t >= 0)]
    margins = [v for v in out if v not in GRAND_TOTAL]
    mismatch = totals_error(out, margins, "totals")
    if errors or mismatch:
        raise ConfigError("\n".join([*errors, *([mismatch] if mismatch else [])]),
                          argument="totals")
    return {v: out[v] for v in margins}


def calibrate(design: Any, formula: Any = None, population: Any = None, *,
              calfun: str = "linear", bounds: Sequence[float] = (-math.inf, math.inf),
              epsilon: float = 1e-7, maxit: int = 50, trim: Sequence[float] | None = None,
              force: bool = False, variance: Any = None, data: pd.DataFrame | None = None,
              spec: CalibrationSpec | None = None) -> Any:
    """The design calibrated to population totals, as R's ``calibrate``: calibrated weights
    and, for a linearisation design, the variance adjustment (R's GREG residuals); for a
    replicate design, every replicate calibrated too.

    R's call: ``calibrate(design, "~stype + api99", {"(Intercept)": 6194, "stypeH": 755,
    "stypeM": 1018, "api99": 3914069}, calfun="linear", bounds=(0.6, 1.6))``: ``formula`` the
    auxiliary variables (categorical and numeric, R's model formula), ``population`` their
    totals named as R's model matrix columns (:func:`coprod.survey.rcalibrate.cal_names`);
    ``calfun`` "linear", "raking" or "logit"; ``bounds`` on the g-weights (new / old weight);
    ``epsilon``, ``maxit``, ``trim``, ``force``, ``variance`` as R's (see
    :func:`coprod.survey.rcalibrate.calibrate_formula`). The variables come from the design
    (built with ``keep_data=True``) or from ``data``.

    The pipeline's call: ``calibrate(design, data, spec)`` with a :class:`CalibrationSpec` of
    :func:`calibration_spec` (totals per margin); ``data`` may be None when the design holds
    its data (``calibrate(design, spec)`` too)."""
    if isinstance(formula, CalibrationSpec) and population is None and spec is None:
        formula, spec = None, formula  # calibrate(design, spec)
    if isinstance(population, CalibrationSpec):  # calibrate(design, data, spec)
        spec = population
    if spec is not None:
        frame = formula if formula is not None else data if data is not None else design.data
        if frame is None:
            raise ConfigError("data: give the data, or build the design with keep_data=True "
                              "(it then holds its data)", argument="data")
        return _calibrate_margins(design, frame, spec)
    from .rcalibrate import calibrate_formula

    return calibrate_formula(design, formula, population, calfun=calfun, bounds=bounds,
                             epsilon=epsilon, maxit=maxit, trim=trim, force=force,
                             variance=variance, data=data)


def _calibrate_margins(design: Any, data: pd.DataFrame, spec: CalibrationSpec) -> Any:
    """:func:`calibrate` with a :class:`CalibrationSpec`. Calibrated weights meet the
    population totals whatever the scale of the weights given; :func:`input_rule` says how the
    weights (and replicate weights, which scale with them) enter, so that no sum overflows and
    the result does not depend on that scale."""
    w0 = design.weights
    margins = [_margin(data, var, tot, spec.source) for var, tot in spec.margins.items()]
    matrix = model_matrix(margins) if spec.method in ("linear", "raking") else None
    prepare = input_rule(design, float(margins[0].totals.sum()), matrix, spec.bounds)
    new, adjust, raked = _calibrated(prepare(w0), margins, matrix, spec, record=True)
    if raked is not None and not raked.converged:
        warnings.warn(raked.message(), CalibrationWarning, stacklevel=3)
    if hasattr(design, "repweights"):  # a replicate design (not imported: it imports this)
        columns = [_replicate_calibrated(design.repweights[:, r], r, margins, matrix, spec,
                                         prepare) for r in range(design.replicates)]
        _warn_replicates([c[1] for c in columns], design.replicates)
        return with_calibration(design, new, spec,
                                repweights=np.column_stack([c[0] for c in columns]))
    return with_calibration(design, new, spec, adjust=adjust)


def recalibrate(design: D, data: pd.DataFrame, specs: tuple[Any, ...]) -> D:
    """A design rebuilt on a subset of rows (complete cases), calibrated as the original was,
    to the same totals (a spec of R's calls, :mod:`coprod.survey.rcalibrate`, redoes itself)."""
    for spec in specs:
        design = spec.apply(design, data) if hasattr(spec, "apply") \
            else _calibrate_margins(design, data, spec)
    return design


def _warn_replicates(raked: list[Raked | None], replicates: int) -> None:
    """One warning for the replicates whose raking did not converge (R rakes them alongside
    the full sample, for as many passes, and never checks them; here each is raked to its own
    convergence, and the ones that stop at maxit are named rather than kept silently)."""
    failed = [(r + 1, k) for r, k in enumerate(raked) if k is not None and not k.converged]
    if failed:
        shown = ", ".join(str(r) for r, _ in failed[:10]) + (", ..." if len(failed) > 10 else "")
        r, worst = max(failed, key=lambda rk: rk[1].change / rk[1].tolerance)
        warnings.warn(worst.message(f" of replicate(s) {shown} ({len(failed)} of {replicates})",
                                    f"replicate {r}'s"), CalibrationWarning, stacklevel=3)


def _replicate_calibrated(w: np.ndarray, r: int, margins: list[_Margin],
                          matrix: tuple[np.ndarray, np.ndarray] | None, spec: CalibrationSpec,
                          prepare: Callable[[np.ndarray], np.ndarray] = lambda w: w
                          ) -> tuple[np.ndarray, Raked | None]:
    """One replicate's weights calibrated (and its raking, for a warning); a level left without
    weight by the replicate (a deleted PSU held all its respondents) stops with its name, as it
    has no calibration."""
    for m in margins:
        empty = np.flatnonzero(~(np.bincount(m.codes, weights=w, minlength=len(m.totals)) > 0))
        if len(empty):
            raise DataError(f"calibration: replicate {r + 1} has no weight in level(s) "
                            f"{[m.levels[k] for k in empty]} of '{m.var}' (its deleted PSUs "
                            "held all their respondents); merge small levels in the codebook")
    new, _, raked = _calibrated(prepare(w), margins, matrix, spec)
    return new, raked


def _calibrated(w: np.ndarray, margins: list[_Margin],
                matrix: tuple[np.ndarray, np.ndarray] | None, spec: CalibrationSpec,
                record: bool = False
                ) -> tuple[np.ndarray, PostStrata | Raking | Greg | None, Raked | None]:
    """Calibrated weights of one weight vector, (``record``) the variance adjustment and, for
    raking, the raking itself (whether it converged: the caller warns); ``margins`` and the
    GREG ``matrix`` (model matrix, totals) are encoded once per design."""
    if spec.method == "poststrat":
        (m,) = margins
        new = poststratify_weights(w, m.codes, m.totals)
        return new, PostStrata(m.codes, w, new) if record else None, None
    if spec.method == "rake":
        raked = rake_passes(w, [(m.codes, m.totals) for m in margins], spec.epsilon, spec.maxit)
        adjust = Raking(tuple((m.codes, s) for m, s in zip(margins, raked.steps)))
        return raked.weights, adjust if record else None, raked
    assert matrix is not None  # linear and raking: calibrate() built it
    mm, pop = matrix
    if spec.method == "linear" and not np.isfinite(spec.bounds).any():
        g = linear_g(mm, w, pop)
    else:
        g = grake(mm, w, pop, "linear" if spec.method == "linear" else "raking", spec.bounds,
                  spec.epsilon, spec.maxit)
    whalf = np.sqrt(w)
    return w * g, Greg(mm * whalf[:, None], g * whalf) if record else None, None


def weights_summary(w: np.ndarray) -> dict[str, float]:
    """Range, sum and Kish's design effect due to weighting (1 + CV^2) of a weight vector."""
    w = np.asarray(w, float)
    w = w[w > 0]
    u = w / w.max()  # the design effect on a scale where squares neither overflow nor vanish
    return {"min": float(w.min()), "max": float(w.max()), "sum": float(w.sum()),
            "deff_weighting": float(len(u) * (u ** 2).sum() / u.sum() ** 2)}
