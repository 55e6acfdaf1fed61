"""R's ``calibrate(design, formula, population, calfun=, bounds=)``: calibration to the totals of
a model formula's columns, categorical and numeric (the GREG estimator with a continuous total),
on linearisation and replicate designs, as R's survey 4.1.1.

Why apart from :mod:`coprod.survey.calibration`: that module calibrates to totals per margin
(the pipeline's totals file, every level of a few categorical variables); R's call names its
totals after R's model-matrix columns (``(Intercept)``, ``stypeH``, ``api99``:
:mod:`coprod.survey.calformula`), so a numeric variable's total, an interaction's or a formula
without intercept are calibrations too. Both end in the same design fields
(:func:`coprod.survey.calweights.with_calibration`) and the same variance adjustment (R's GREG
residuals, :class:`coprod.survey.calweights.Greg`).

As R: unbounded linear calibration is R's closed form (``regcalibrate``); any other (bounds, the
raking or logit distance) is R's ``grake`` iteration (:mod:`coprod.survey.greg`). A full-sample
calibration that does not converge stops (R: "Calibration failed") unless ``force=True``, which
keeps the last iteration's weights after a :class:`CalibrationWarning`; a replicate's that does
not converge keeps its last iteration's weights, as R does, and the replicates are named in one
warning (R warns once per replicate). ``trim`` is R's: g-weights outside it are set to its ends
and the trimmed weight is spread over the others (the totals are then no longer met exactly).
"""
from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .calformula import CalMatrix, model_matrix
from .calweights import CalibrationWarning, Greg, input_rule, with_calibration
from .greg import CALFUNS, grake_fit, linear_g


@dataclass(frozen=True, eq=False)
class FormulaCalibration:
    """A calibration by R's ``calibrate`` call, kept on the design so that a design rebuilt on
    a subset of rows (``drop_rows``) is calibrated to the same totals (:meth:`apply`)."""

    formula: str
    population: dict[str, float]   # R's column names -> totals
    calfun: str = "linear"
    bounds: tuple[float, float] = (-math.inf, math.inf)
    epsilon: float = 1e-7
    maxit: int = 50
    trim: tuple[float, float] | None = None
    force: bool = False
    variance: Any = None
    method: str = "calibrate"

    def apply(self, design: Any, data: pd.DataFrame) -> Any:
        return calibrate_formula(design, self.formula, self.population, calfun=self.calfun,
                                 bounds=self.bounds, epsilon=self.epsilon, maxit=self.maxit,
                                 trim=self.trim, force=self.force, variance=self.variance,
                                 data=data)


def design_data(design: Any, data: pd.DataFrame | None) -> pd.DataFrame:
    """The data of the design's rows: ``data`` if given, else the design's own (built with
    ``keep_data=True``); either way one row per row of the design."""
    frame = data if data is not None else getattr(design, "data", None)
    if frame is None:
        raise ConfigError("data: the design was built without its data; build it with "
                          "keep_data=True or give data=", argument="data")
    if len(frame) != design.n:
        raise ConfigError(f"data: {len(frame)} rows for a design of {design.n} rows",
                          argument="data")
    return frame.reset_index(drop=True) if data is not None else frame


def cal_names(formula: str, design: Any, data: pd.DataFrame | None = None) -> list[str]:
    """R's ``cal_names``: the names of the totals that ``calibrate(design, formula, ...)``
    needs, in order (R's model-matrix columns)."""
    return model_matrix(design_data(design, data), formula).names


def _population(population: Any, cm: CalMatrix) -> np.ndarray:
    """The totals in the model matrix's column order: named by R's column names or the
    formulaic ones ({name: total}, a Series), or unnamed in that order (a sequence, or one
    number for a one-column formula), checked (one total per column, finite, not negative
    for a column that is never negative)."""
    expect = ", ".join(cm.names)
    if isinstance(population, numbers.Real):
        population = [population]
    if isinstance(population, (Mapping, pd.Series)):
        pos = {n: i for i, n in enumerate(cm.names)} | {
            n: i for i, n in enumerate(cm.formulaic)}
        given = dict(population.items())
        unknown = [k for k in given if k not in pos]
        if unknown:
            raise ConfigError(f"population: {', '.join(map(repr, unknown))} not a column of "
                              f"the formula's model matrix; the totals needed are {expect}",
                              argument="population")
        values = np.full(len(cm.names), np.nan)
        for k, v in given.items():
            values[pos[k]] = _number(v, str(k))
        missing = [cm.names[i] for i in np.flatnonzero(np.isnan(values))]
        if missing:
            raise ConfigError(f"population: no total for {', '.join(missing)}; the totals "
                              f"needed are {expect}", argument="population")
    else:
        seq = list(np.asarray(population, dtype=object).reshape(-1)) \
            if population is not None else []
        if len(seq) != len(cm.names):
            raise ConfigError(f"population: {len(seq)} total(s) for the {len(cm.names)} "
                              f"columns of the formula's model matrix ({expect})",
                              argument="population")
        values = np.array([_number(v, n) for v, n in zip(seq, cm.names)])
    bad = [cm.names[i] for i in np.flatnonzero(cm.nonnegative & (values < 0))]
    if bad:
        raise ConfigError(f"population: the total of {', '.join(bad)} is negative, but the "
                          "column is never negative: no weights reach it",
                          argument="population")
    return values


def _number(value: Any, name: str) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x):
        raise ConfigError(f"population: the total of {name} is {value!r}, not a number",
                          argument="population")
    return x


Pair = tuple[float, float]


def _checked(calfun: str, bounds: Sequence[float], epsilon: float, maxit: int,
             trim: Sequence[float] | None) -> tuple[Pair, Pair | None]:
    """The arguments that are not data, checked; the bounds and trim as pairs of floats."""
    if calfun not in CALFUNS:
        raise ConfigError(f"calfun: {calfun!r} is not one of {', '.join(CALFUNS)}",
                          argument="calfun")
    lim = [float(b) for b in bounds] if bounds is not None else [-math.inf, math.inf]
    if len(lim) != 2 or not lim[0] < 1 < lim[1]:
        raise ConfigError(f"bounds: {list(bounds)} must be (lower, upper) with lower < 1 < "
                          "upper: limits of the g-weights, new weight / old weight",
                          argument="bounds")
    if calfun == "logit" and not all(map(math.isfinite, lim)):
        raise ConfigError(f"bounds: logit calibration needs finite bounds, not {lim}",
                          argument="bounds")
    if not (isinstance(epsilon, (int, float)) and math.isfinite(epsilon) and epsilon > 0):
        raise ConfigError(f"epsilon: {epsilon!r} must be a positive number (the tolerance)",
                          argument="epsilon")
    if not (isinstance(maxit, (int, np.integer)) and not isinstance(maxit, bool) and maxit >= 1):
        raise ConfigError(f"maxit: {maxit!r} must be a whole number of at least 1",
                          argument="maxit")
    cut = None
    if trim is not None:
        t = [float(x) for x in trim]
        if len(t) != 2 or not t[0] < 1 < t[1]:
            raise ConfigError(f"trim: {list(trim)} must be (lower, upper) with lower < 1 < "
                              "upper (limits of the g-weights)", argument="trim")
        cut = (t[0], t[1])
    return (lim[0], lim[1]), cut


def _sigma2(variance: Any, mm: np.ndarray) -> np.ndarray | None:
    """R's ``variance``: one number per row, or per column of the model matrix (sigma2 = X v);
    positive."""
    if variance is None:
        return None
    v = np.asarray(variance, dtype=float).reshape(-1)
    if len(v) == mm.shape[0]:
        s = v
    elif len(v) == mm.shape[1]:
        s = mm @ v
    else:
        raise ConfigError(f"variance: {len(v)} number(s); give one per row ({mm.shape[0]}) or "
                          f"per column of the formula's model matrix ({mm.shape[1]})",
                          argument="variance")
    if not (np.isfinite(s).all() and (s > 0).all()):
        raise ConfigError("variance: the working model's variances (per row) must be "
                          "positive", argument="variance")
    return s


def _trimmed(g: np.ndarray, w: np.ndarray, trim: tuple[float, float]) -> np.ndarray:
    """R's trimming: g outside ``trim`` set to its ends, the weight removed (or added) spread
    over the other rows in proportion to their weights."""
    lo, hi = trim
    outside = (g < lo) | (g > hi)
    if not outside.any():
        return g
    gnew = np.clip(g, lo, hi)
    gnew[~outside] += ((g - gnew) * w).sum() / w[~outside].sum()
    return cast(np.ndarray, gnew)


def calibrate_formula(design: Any, formula: str, population: Any, *, calfun: str = "linear",
                      bounds: Sequence[float] = (-math.inf, math.inf), epsilon: float = 1e-7,
                      maxit: int = 50, trim: Sequence[float] | None = None, force: bool = False,
                      variance: Any = None, data: pd.DataFrame | None = None) -> Any:
    """R's ``calibrate(design, formula, population, calfun=, bounds=, maxit=, epsilon=,
    trim=, force=, variance=)`` (see :func:`coprod.survey.calibrate`).

    ``formula``: ``"~ stype + api99"`` (categorical and numeric variables, interactions,
    ``- 1`` without intercept; :mod:`coprod.survey.calformula`); ``population``: the totals of
    the model matrix's columns, ``{"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018,
    "api99": 3914069}`` (R's names, :func:`cal_names`, or formulaic's ``stype[T.H]``), or
    unnamed in that order; ``calfun``: "linear", "raking" or "logit" (which needs finite
    bounds); ``bounds``: (lower, upper) limits of the g-weights around 1; ``variance``: R's
    heteroskedasticity of the working model (one number per row, or per column: sigma2 = X
    variance; linear unbounded calibration with ``variance=1`` on ``~ x - 1`` is the ratio
    estimator)."""
    lim, cut = _checked(calfun, bounds, epsilon, maxit, trim)
    frame = design_data(design, data)
    cm = model_matrix(frame, formula)
    pop = _population(population, cm)
    spec = FormulaCalibration(formula, dict(zip(cm.names, map(float, pop))), calfun, lim,
                              float(epsilon), int(maxit), cut, bool(force), variance)
    mm = cm.X
    empty = ~(mm != 0).any(axis=0)
    if (empty & (pop != 0)).any():
        names = [cm.names[i] for i in np.flatnonzero(empty & (pop != 0))]
        raise DataError(f"population: {', '.join(names)} has a total but no row of the data "
                        "has it", argument="population")
    mm, pop = mm[:, ~empty], pop[~empty]  # R: columns of zeros with a total of 0 are left out
    sigma2 = _sigma2(variance, mm)
    closed = calfun == "linear" and not np.isfinite(lim).any()
    size = float(pop[0]) if cm.names[0] == "(Intercept)" else 0.0
    prepare = input_rule(design, size, None if closed else (mm, pop), lim)

    def one(w: np.ndarray, which: str) -> tuple[np.ndarray, np.ndarray, float | None]:
        """Calibrated weights of one weight vector, its g and (not converged) its misfit."""
        w = prepare(w)
        if closed:
            try:
                g = linear_g(mm, w, pop, sigma2)
            except np.linalg.LinAlgError:
                raise DataError(f"formula: the columns of {formula!r} are collinear in "
                                f"{which} ({', '.join(cm.names)}): no calibration",
                                argument="formula") from None
            return w * g, g, None
        fit = grake_fit(mm, w, pop, calfun, lim, epsilon, maxit, sigma2)
        g = fit.g if cut is None else _trimmed(fit.g, w, cut)
        return w * g, g, fit.failed

    new, g, failed = one(design.weights, "the sample")
    if failed is not None:
        text = (f"calibration (calfun {calfun!r}, bounds {list(lim)}) did not converge in "
                f"{maxit} iterations: largest relative misfit {failed:.3g} (epsilon {epsilon:g})")
        if not (force or cut):
            raise DataError(f"{'bounds' if np.isfinite(lim).any() else 'maxit'}: {text}; "
                            "loosen the bounds, raise maxit, or give force=True to keep the "
                            "last iteration's weights (R's force=TRUE)",
                            argument="bounds" if np.isfinite(lim).any() else "maxit")
        warnings.warn(f"{text}; the last iteration's weights are used "
                      f"({'trimmed, as R' if cut else 'force=True'})",
                      CalibrationWarning, stacklevel=3)
    if hasattr(design, "repweights"):
        reps, fails = [], []
        for r in range(design.replicates):
            wr, _, fr = one(design.repweights[:, r], f"replicate {r + 1}")
            reps.append(wr)
            if fr is not None:
                fails.append((r + 1, fr))
        if fails:
            shown = ", ".join(str(r) for r, _ in fails[:10]) + (", ..." if len(fails) > 10
                                                                 else "")
            warnings.warn(f"calibration of replicate(s) {shown} ({len(fails)} of "
                          f"{design.replicates}) did not converge in {maxit} iterations "
                          f"(largest relative misfit {max(f for _, f in fails):.3g}); their "
                          "last iteration's weights are used, as R's calibrate does",
                          CalibrationWarning, stacklevel=3)
        return with_calibration(design, new, spec, repweights=np.column_stack(reps))
    w = prepare(design.weights)
    whalf = np.sqrt(w)
    if closed and sigma2 is not None:
        adjust = Greg(mm * (whalf / np.sqrt(sigma2))[:, None], g * whalf * np.sqrt(sigma2))
    else:
        adjust = Greg(mm * whalf[:, None], g * whalf)
    return with_calibration(design, new, spec, adjust=adjust)
