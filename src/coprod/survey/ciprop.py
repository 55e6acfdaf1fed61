"""Confidence intervals for a proportion: R's ``svyciprop`` (survey 4.1.1) with each of its
methods, taking a design object as every estimator of the engine does.

Why several methods: the plain interval ``p -+ t se`` ("mean") leaves 0-1 for rare outcomes;
R offers intervals on a transformed scale. Every method reports the same estimate (the weighted
share ``p``) and standard error (``svymean``'s); they differ in the interval:

* "logit" (R's default): the intercept-only design-based logistic model, ``expit(b -+ t
  se_b)``. On a Taylor design ``se_b = se / (p (1 - p))`` exactly (the model's sandwich is the
  mean's linearisation); on a replicate design ``se_b`` is the replicates' spread of their own
  logits (R refits the model per replicate).
* "xlogit", "asin": the delta method on the logit or ``asin(sqrt(p))`` scale (R's
  ``svycontrast``), mapped back.
* "beta": Korn and Graubard's: a Clopper-Pearson interval on the effective sample size ``p (1 -
  p) / var``, times ``(qt(alpha/2, nrow - 1) / qt(alpha/2, degf))^2`` (``nrow``: R's rows of the
  domain's design, see :func:`coprod.survey.quantiles.r_nrow`; ``degf``: the design's).
* "likelihood": the profile likelihood of the logistic model, scaled by the design effect
  (Rao-Scott), as R's ``confint(svyglm, method = "likelihood")``: R profiles the deviance on a
  grid of up to 9 steps each side of ``b`` and interpolates an interpolating spline through the
  grid (:mod:`coprod.survey.profile` transcribes that: the same grid, dispersion and spline, so
  the same interval). Taylor designs only: R 4.1.1 gives NA on replicate designs.

``t`` is Student's on ``df`` degrees of freedom (R's default ``degf(design)``: of the domain's
rows, those without a value included, as R's svyciprop), or the normal's for ``df = inf``.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from ..errors import ConfigError, DataError, ModelError, clip
from . import profile
from .design import SurveyDesign
from .quantiles import (
    check_df,
    crit,
    degf,
    mean_variance,
    numeric_values,
    proportion_interval,
    r_nrow,
)
from .replicate import ReplicateDesign
from .totals import COLUMNS, rows_in_domain

AnyDesign = SurveyDesign | ReplicateDesign
METHODS = ("logit", "likelihood", "asin", "beta", "mean", "xlogit")


def svy_ciprop(y: str | npt.ArrayLike, design: AnyDesign, method: str = "logit",
               level: float = 0.95, *, df: float | None = None,
               domain: str | npt.ArrayLike | None = None) -> pd.DataFrame:
    """A proportion with its confidence interval by ``method`` (R's ``svyciprop(~y, design,
    method, level, df)``): "logit" (R's default), "likelihood" (Taylor designs), "asin",
    "beta", "mean" or "xlogit"; the module says what each computes.

    ``y``: a 0/1 (or True/False) column of the design's data or values, one per row (R's
    ``~I(ell == 0)`` is ``data["ell"] == 0``); missing values are outside the domain.
    ``level``: the interval's level; ``df``: its degrees of freedom (default the design's, of
    the domain; ``inf``: normal quantiles); ``domain``: a boolean mask or a 0/1 column.

    Returns one row indexed by the variable's name, with :func:`coprod.survey.svy_total`'s
    columns: ``estimate`` (the weighted share), ``std_error`` (svymean's, as R's ``SE()``),
    ``df``, ``conf_low``, ``conf_high``, ``n`` (respondents with a value in the domain).
    """
    if method not in METHODS:
        raise ConfigError(f"method: {method!r} is not one of {METHODS}", argument="method")
    if not 0 < level < 1:
        raise ConfigError(f"level: must be between 0 and 1, not {level!r}", argument="level")
    check_df(df)
    if method == "likelihood" and isinstance(design, ReplicateDesign):
        raise ConfigError("method: 'likelihood' needs a Taylor design (R 4.1.1 gives NA for a "
                          "replicate design); use 'logit' or 'beta'", argument="method")
    values, name = numeric_values(y, design, "y", "a proportion needs 0/1 values")
    other = values[~np.isnan(values) & (values != 0) & (values != 1)]
    if len(other):
        raise DataError(f"y: {clip(name)!r} has the value {other[0]:g}; a proportion needs "
                        f"values 0/1 (or True/False), {len(other)} other value(s)",
                        argument="y")
    rows = rows_in_domain(design, domain)
    idx = np.flatnonzero(rows & ~np.isnan(values))
    yy = values[idx]
    try:
        p, var = mean_variance(design, idx, yy)
    except ModelError as exc:
        raise ModelError(f"y: {exc} ({len(idx)} respondents with a value)",
                         argument="y") from None
    design_degf = degf(design, np.flatnonzero(rows))
    dfree = float(design_degf if df is None else df)
    alpha = 1 - level
    if method in ("mean", "xlogit", "asin", "beta"):
        lo, hi = proportion_interval(p, var, method, alpha, dfree, r_nrow(design, rows),
                                     design_degf)
    elif method == "logit":
        lo, hi = _logit(design, idx, yy, p, var, alpha, dfree)
    else:
        assert isinstance(design, SurveyDesign)
        b, se_b = float(np.log(p / (1 - p))), float(np.sqrt(var)) / (p * (1 - p))
        fit = _fit_rows(design, rows, values)
        lo, hi = profile.likelihood_interval(b, se_b, *fit, level, dfree)
    return pd.DataFrame({"variable": name, "level": "", "estimate": p,
                         "std_error": float(np.sqrt(var)), "df": dfree, "conf_low": lo,
                         "conf_high": hi, "n": len(idx)},
                        index=pd.Index([name], name="term"))[COLUMNS]


def _logit(design: AnyDesign, idx: np.ndarray, yy: np.ndarray, p: float, var: float,
           alpha: float, df: float) -> tuple[float, float]:
    """R's ``confint(svyglm(y ~ 1, family = quasibinomial), ddf = df)``, mapped back."""
    b = float(np.log(p / (1 - p)))
    if isinstance(design, ReplicateDesign):
        p_r = design.means(idx, yy)
        with np.errstate(divide="ignore", invalid="ignore"):
            var_b = float(design.variance(np.log(p_r / (1 - p_r)), np.array([b]))[0, 0])
    else:
        var_b = var / (p * (1 - p)) ** 2
    if not df > 0:
        return float("nan"), float("nan")
    se = float(np.sqrt(var_b))
    return (float(special.expit(b + se * crit(alpha / 2, df))),
            float(special.expit(b + se * crit(1 - alpha / 2, df))))


def _fit_rows(design: SurveyDesign, rows: np.ndarray, values: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of R's svyglm fit in the domain: ``y``, the model's prior weights (the
    design weights over their mean, the mean taken before the rows without a value leave, as
    R's svyglm) and the design weights (R's ``svyvar`` of the Pearson residuals). A calibrated
    design keeps the rows outside the domain at weight zero (R's ``subset``)."""
    frame = np.ones(design.n, bool) if design.adjustments else rows
    w = np.where(rows, design.unit_weights, 0.0)[frame]
    y = values[frame]
    prior = w / w.mean()
    fit = ~np.isnan(y)
    return y[fit], prior[fit], w[fit]
