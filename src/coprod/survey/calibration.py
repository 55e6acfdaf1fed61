"""Calibrated weights: post-stratification, raking and (bounded) linear or raking calibration to
population totals, as R's ``postStratify``, ``rake`` and ``calibrate``.

Why the variance must know: calibrated weights are estimated from the sample, and estimates
that are correlated with the calibration variables gain precision. With a linearisation design
the influence values of an estimate are replaced by their residuals from the calibration
variables before the design's variance sum (R's ``svyrecvar``): within post-strata, by sweeps
over the raking margins, or by the weighted regression residuals of GREG calibration. A
replicate design instead calibrates every replicate's weights anew, so the replicates carry the
calibration into the variance.

Totals come per margin: each calibration variable's population total of every level (and, if
given, the grand total, which every margin must then match).
"""
from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar, cast, overload

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .designspec import totals_error
from .greg import grake, linear_g

METHODS = ("poststrat", "rake", "linear", "raking")
D = TypeVar("D")  # a design (not imported: the designs import this module)


# -- the variance adjustments of a calibrated linearisation design ----------------------------

def _indicator(codes: np.ndarray) -> Any:
    """The (levels x rows) 0/1 matrix of a grouping, sparse: group sums of any n x k matrix in
    one product instead of a scatter per row."""
    from scipy import sparse

    n = len(codes)
    return sparse.csr_matrix((np.ones(n), (codes, np.arange(n))),
                             shape=(int(codes.max()) + 1, n))


@dataclass(frozen=True, eq=False)
class PostStrata:
    """R's post-stratification: influence values minus their old-weighted post-stratum mean."""

    codes: np.ndarray   # (n,) post-stratum of each row
    oldw: np.ndarray
    neww: np.ndarray

    def adjust(self, Z: np.ndarray) -> np.ndarray:
        psw = np.where((self.neww == 0) & (self.oldw == 0), 1.0, self.neww)
        onehot = _indicator(self.codes)
        means = (onehot @ (Z * (self.oldw / psw)[:, None])) / (onehot @ self.oldw)[:, None]
        return cast(np.ndarray, Z - means[self.codes] * psw[:, None])


@dataclass(frozen=True, eq=False)
class Raking:
    """R's raking adjustment: ten sweeps over the margins, each removing the unweighted mean of
    z / w within the margin's levels (w: the weights after that margin's post-stratification in
    the final raking pass)."""

    margins: tuple[tuple[np.ndarray, np.ndarray], ...]  # ((codes, psw), ...)

    def adjust(self, Z: np.ndarray) -> np.ndarray:
        """The sweeps only ever subtract ``psw_m`` times a per-level value of margin m, so they
        are run on those per-level values (levels x columns) through the margins' cross
        tables, and applied to the rows once: two passes over Z instead of sixty."""
        ks = [int(c.max()) + 1 for c, _ in self.margins]
        counts = [np.bincount(c, minlength=k) for (c, _), k in zip(self.margins, ks)]
        base = [(_indicator(c) @ (Z / psw[:, None])) / n[:, None]
                for (c, psw), n in zip(self.margins, counts)]
        cross = {}  # cross[m, j][a, b]: mean over level a of m of psw_j / psw_m on level b of j
        for m, (cm, pm) in enumerate(self.margins):
            for j, (cj, pj) in enumerate(self.margins):
                t = np.bincount(cm * ks[j] + cj, weights=pj / pm, minlength=ks[m] * ks[j])
                cross[m, j] = t.reshape(ks[m], ks[j]) / counts[m][:, None]
        coef = [np.zeros((k, Z.shape[1])) for k in ks]
        for _ in range(10):
            for m in range(len(self.margins)):
                mean = base[m] - sum(cross[m, j] @ coef[j] for j in range(len(self.margins)))
                coef[m] = coef[m] + mean
        for (c, psw), cm in zip(self.margins, coef):
            Z = Z - psw[:, None] * cm[c]
        return Z


@dataclass(frozen=True, eq=False)
class Greg:
    """R's GREG calibration (``calibrate``, any calfun and bounds): residuals of z / w from the
    calibration variables weighted by the old weights, times w (w = g sqrt(old weights))."""

    A: np.ndarray   # (n, q) model matrix times sqrt(old weights)
    w: np.ndarray   # (n,) g * sqrt(old weights)
    Q: np.ndarray = field(init=False, repr=False)  # orthonormal basis of A (set below)

    def __post_init__(self) -> None:  # the projection's orthonormal basis, once per design
        object.__setattr__(self, "Q", np.linalg.qr(self.A)[0])

    def adjust(self, Z: np.ndarray) -> np.ndarray:
        Y = Z / self.w[:, None]
        return cast(np.ndarray, (Y - self.Q @ (self.Q.T @ Y)) * self.w[:, None])


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


# -- the calibrations -------------------------------------------------------------------------

def poststratify_weights(w: np.ndarray, codes: np.ndarray, totals_vec: np.ndarray) -> np.ndarray:
    """Post-stratified weights: w times (population / weighted sample) of the row's cell."""
    k = len(totals_vec)
    cell = np.bincount(codes, weights=w, minlength=k)
    return cast(np.ndarray, w * (totals_vec / cell)[codes])


@overload
def rake_weights(w: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]],
                 epsilon: float = ..., maxit: int = ..., record: Literal[False] = ...
                 ) -> np.ndarray: ...
@overload
def rake_weights(w: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]],
                 epsilon: float = ..., maxit: int = ..., *, record: Literal[True]
                 ) -> tuple[np.ndarray, list[np.ndarray]]: ...
def rake_weights(w: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]],
                 epsilon: float = 1e-10, maxit: int = 100, record: bool = False
                 ) -> np.ndarray | tuple[np.ndarray, list[np.ndarray]]:
    """R's ``rake``: post-stratify on each margin in turn until the joint table of the margins
    changes by less than ``epsilon`` times the weights' sum. ``margins``: [(codes, totals)].
    With ``record``, also each margin's weights after its step in the final pass.

    Not converged in ``maxit`` passes: a :class:`CalibrationWarning` with the last pass's
    change, and the weights after the last pass, as R's ``rake`` (which warns "Raking did not
    converge" and returns its design)."""
    raked = _rake(w, margins, epsilon, maxit)
    if not raked.converged:
        warnings.warn(raked.message(), CalibrationWarning, stacklevel=2)
    return (raked.weights, raked.steps) if record else raked.weights


class CalibrationWarning(UserWarning):
    """An iterative calibration stopped at its limit of iterations before its tolerance: the
    weights of its last iteration are used, as R does (after a warning too). A caller that
    wants it to stop the run makes it an error: ``warnings.simplefilter("error",
    CalibrationWarning)``."""


@dataclass(frozen=True, eq=False)
class _Raked:
    """One raking's weights, each margin's weights in the last pass, and whether (and by how
    much) the last pass still changed the margins' joint table."""

    weights: np.ndarray
    steps: list[np.ndarray]
    change: float       # largest change of a cell of the joint table in the last pass
    tolerance: float
    passes: int

    @property
    def converged(self) -> bool:
        return self.change < self.tolerance

    def message(self, which: str = "", whose: str = "the margins'") -> str:
        """The warning: ``which`` names replicates (empty: the full sample), ``whose`` the
        table whose change is quoted."""
        return (f"raking{which} did not converge in {self.passes} passes over the margins: the "
                f"last pass changed {whose} joint table by {self.change:.3g} (tolerance "
                f"{self.tolerance:.3g}); the weights after the last pass are used, as R's rake "
                "does. Raise maxit (or epsilon); margins that leave cells of their joint table "
                "empty can make the totals reachable only in the limit")


def _rake(w: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]], epsilon: float,
          maxit: int) -> _Raked:
    """R's ``rake`` loop (see :func:`rake_weights`); the change is measured before the old table
    is replaced, so that a message can say how far the last pass was from converging."""
    tol = epsilon * w.sum() if epsilon < 1 else epsilon
    joint = np.ravel_multi_index([c for c, _ in margins], [len(t) for _, t in margins])
    size = int(np.prod([len(t) for _, t in margins]))
    old = np.bincount(joint, weights=w, minlength=size)
    steps: list[np.ndarray] = []
    change = float("inf")
    passes = 0
    while passes < maxit:
        passes += 1
        steps = []
        for codes, tot in margins:
            w = poststratify_weights(w, codes, tot)
            steps.append(w)
        new = np.bincount(joint, weights=w, minlength=size)
        change = float(np.max(np.abs(old - new)))
        if change < tol:
            break
        old = new
    return _Raked(w, steps, change, float(tol), passes)


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


def with_calibration(design: D, weights: np.ndarray, spec: Any,
                     adjust: PostStrata | Raking | Greg | None = None,
                     repweights: np.ndarray | None = None) -> D:
    """The design with its calibrated weights (a replicate design: and replicate weights; a
    linearisation design: and the variance adjustment), the calibration recorded (to redo it
    on a subset of rows: :func:`recalibrate`) and the weights before the first calibration."""
    d: Any = design
    if repweights is not None:
        first = not d.calibration
        return cast(D, replace(d, weights=weights, repweights=np.asfortranarray(repweights),
                               calibration=(*d.calibration, spec),
                               weights_before=d.weights if first else d.weights_before,
                               repweights_before=d.repweights if first
                               else d.repweights_before))
    return cast(D, replace(d, weights=weights, adjustments=(*d.adjustments, adjust),
                           calibration=(*d.calibration, spec),
                           weights_before=d.weights if d.weights_before is None
                           else d.weights_before))


_FAR = math.log2(20.0)  # R's grake: totals more than 20 times the weighted sample's


def input_rule(design: Any, population: float, matrix: tuple[np.ndarray, np.ndarray] | None,
               bounds: Sequence[float]) -> Callable[[np.ndarray], np.ndarray]:
    """How a weight vector (the full sample's, each replicate's) enters the calibration.

    Without bounds the calibrated weights do not depend on the scale of the weights given, so
    they are divided by the power of four that brings their sum nearest the population size
    (:func:`_input_exponent`; exact, and nothing for weights already on the population's
    scale): no sum overflows, and raking's tolerance, relative to the weights' sum as R's,
    no longer depends on their scale. With bounds the scale is part of the definition, since
    the bounds limit new / old weight: as R's calibrate, the weights are taken as given unless
    the totals are more than 20 times the weighted sample totals, when they are first
    rescaled by the mean ratio of totals to sample totals; here also when the totals are less
    than a twentieth of them (R then fails to meet the bounds), so that weights x any factor
    far from the population's scale calibrate alike. The ratios are computed from the
    unit-scaled weights (:attr:`coprod.survey.design.DomainMixin.unit_weights`), which cannot
    overflow."""
    e_design = int(design.weight_exponent)
    if matrix is not None and np.isfinite(bounds).any():
        mm, pop = matrix

        def bounded(w: np.ndarray) -> np.ndarray:
            unit = np.ldexp(w, -e_design) if e_design else w
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = pop / (mm.T @ unit)
                log2_scales = np.log2(ratio) - e_design
            if np.min(log2_scales) > _FAR or np.max(log2_scales) < -_FAR:
                return cast(np.ndarray, unit * float(np.mean(ratio)))
            return w

        return bounded
    e = _input_exponent(design, population)
    return lambda w: np.ldexp(w, -e) if e else w


def _input_exponent(design: Any, population: float) -> int:
    """The even power of two ``e`` with ``sum(weights) / 2**e`` nearest ``population`` (0
    without a positive weight or population), computed from the design's unit-scaled weights
    (:attr:`coprod.survey.design.DomainMixin.unit_weights`), whose sum cannot overflow."""
    usum = float(design.unit_weights.sum())
    if not (usum > 0 and population > 0):
        return 0
    log2_ratio = math.log2(usum) + int(design.weight_exponent) - math.log2(population)
    return 2 * math.floor(log2_ratio / 2 + 0.5)


def recalibrate(design: D, data: pd.DataFrame, specs: tuple[Any, ...]) -> D:
    """A design rebuilt on a subset of rows (complete cases), calibrated as the original was,
    to the same totals (a spec of R's calls, :mod:`coprod.survey.rcalibrate`, redoes itself)."""
    for spec in specs:
        design = spec.apply(design, data) if hasattr(spec, "apply") \
            else _calibrate_margins(design, data, spec)
    return design


def _warn_replicates(raked: list[_Raked | None], replicates: int) -> None:
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
                          ) -> tuple[np.ndarray, _Raked | None]:
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
                ) -> tuple[np.ndarray, PostStrata | Raking | Greg | None, _Raked | None]:
    """Calibrated weights of one weight vector, (``record``) the variance adjustment and, for
    raking, the raking itself (whether it converged: the caller warns); ``margins`` and the
    GREG ``matrix`` (model matrix, totals) are encoded once per design."""
    if spec.method == "poststrat":
        (m,) = margins
        new = poststratify_weights(w, m.codes, m.totals)
        return new, PostStrata(m.codes, w, new) if record else None, None
    if spec.method == "rake":
        raked = _rake(w, [(m.codes, m.totals) for m in margins], spec.epsilon, spec.maxit)
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
