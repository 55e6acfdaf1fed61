"""Design-based quantiles with their intervals: R's ``svyquantile`` (survey 4.1.1, its default
``qrule = "math"``), taking a design object as every estimator of the engine does.

Why Woodruff's interval: a quantile is not a smooth function of totals, so it has no Taylor
linearisation of its own; R's default (``interval.type = "mean"``, for Taylor and replicate
designs alike) turns the interval of a *proportion* into one for the quantile. For the quantile
``q`` of probability ``p``:

1. ``q = Q(p)``, with ``Q`` the weighted quantile rule (``qrule``, below);
2. ``m``: the design-based mean of ``1[x <= q]`` in the domain, with its standard error (the
   design's linearisation, calibration included, or its replicates);
3. an interval ``(p_lo, p_hi)`` for that proportion: ``m -+ t se`` ("mean"), or through the
   logit ("xlogit") or arcsine-square-root ("asin") scale by the delta method, or a beta
   interval on the effective sample size ("beta", Korn and Graubard's), as R's ``svyciprop``;
4. the quantile's interval ``(Q(p_lo), Q(p_hi))`` (NaN where ``p_lo < 0`` or ``p_hi > 1``), and
   its standard error the interval's width over ``2 t`` (R's ``SE()`` of svyquantile).

``t`` is Student's on the design's degrees of freedom of the rows used (R's ``degf``), or the
normal quantile for ``df = inf``. Replicate designs also have ``interval_type = "quantile"``:
the quantile of each replicate, their replicate variance, ``q -+ t se`` (R's ``repCI``; R warns
that jackknife replicates may not give valid standard errors for quantiles).

The rules (R's ``qrule_math`` and ``qrule_school``, via ``survey:::qs``): sort ``x``, cumulate the
weights; ``pos`` is the last value whose cumulated share is ``<= p`` (the *first* when there is
none: R's ``last()`` returns 1, so a ``p`` below the first value's share gives the *second*
value, a quirk kept for equality with R); "math" is ``x[pos]`` when the share there equals ``p``
exactly, else ``x[pos + 1]`` (the inverse of the weighted distribution function); "school" the
midpoint of the two when equal. Cumulated sums are accumulated in extended precision, as R's
``cumsum`` and ``sum`` are, so that "equals ``p`` exactly" is decided as R decides it. Zero
weights are dropped first, and missing values are outside the domain (R's ``na.rm = TRUE``).

Not supported: R's other rules ("shahvaish", "hf1".."hf9") and Taylor designs'
``interval.type = "score"`` (Francisco and Fuller's, by root finding); for replicate designs R
4.1.1 ignores "beta", "xlogit" and "asin" (it computes "mean"), which are refused here.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from ..errors import ConfigError, DataError, ModelError, clip
from . import dist
from .design import SurveyDesign
from .replicate import ReplicateDesign
from .totals import is_categorical, rows_in_domain, variable_column
from .variance import design_cov, design_df

AnyDesign = SurveyDesign | ReplicateDesign
TAYLOR_INTERVALS = ("mean", "beta", "xlogit", "asin")
REPLICATE_INTERVALS = ("mean", "quantile")
QRULES = ("math", "school")
COLUMNS = ["variable", "quantile", "estimate", "std_error", "df", "conf_low", "conf_high", "n"]


def svy_quantile(y: str | Sequence[str] | npt.ArrayLike, design: AnyDesign,
                 quantiles: float | Sequence[float] = (0.5,), *, ci: bool = True,
                 interval_type: str = "mean", alpha: float = 0.05, qrule: str = "math",
                 df: float | None = None, domain: str | npt.ArrayLike | None = None
                 ) -> pd.DataFrame:
    """Weighted quantiles of ``y`` with Woodruff's interval (R's ``svyquantile(~y, design,
    quantiles, alpha=, interval.type=, qrule=, df=, na.rm = TRUE, ci = TRUE)``).

    ``y``: a numeric column of the design's data (a design built with ``keep_data=True``),
    several (a list of names: R's ``~api99 + api00``) or the values, one per row;
    ``quantiles``: probabilities strictly between 0 and 1; ``interval_type``: "mean" (R's
    default), "beta", "xlogit" or "asin" for a Taylor design, "mean" or "quantile" for a
    replicate design; ``alpha``: 1 - the interval's level; ``qrule``: "math" (R's default) or
    "school"; ``df``: the degrees of freedom of the interval (default the design's, of the rows
    with a value in the domain; ``inf`` for normal quantiles); ``domain``: a boolean mask or a
    0/1 column, within the design's own domain. ``ci=False``: the quantiles alone (NaN for the
    rest).

    Returns a DataFrame indexed by R's names (``api00.0.25``: variable, ".", probability) with
    the columns ``variable``, ``quantile`` (the probability), ``estimate``, ``std_error`` (the
    interval's width over 2 t, as R's ``SE()``), ``df``, ``conf_low``, ``conf_high`` and ``n``
    (respondents with a value in the domain). The module says how each number is computed.
    """
    probs = _probabilities(quantiles)
    kinds = REPLICATE_INTERVALS if isinstance(design, ReplicateDesign) else TAYLOR_INTERVALS
    if interval_type not in kinds:
        what = "a replicate" if isinstance(design, ReplicateDesign) else "a Taylor"
        extra = (" (R 4.1.1 computes 'mean' for the others)"
                 if isinstance(design, ReplicateDesign) and interval_type in TAYLOR_INTERVALS
                 else "")
        raise ConfigError(f"interval_type: {interval_type!r} is not one of {kinds} for {what} "
                          f"design{extra}", argument="interval_type")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha: must be between 0 and 1, not {alpha!r}", argument="alpha")
    if qrule not in QRULES:
        raise ConfigError(f"qrule: {qrule!r} is not one of {QRULES}", argument="qrule")
    check_df(df)
    names = [y] if isinstance(y, str) or not _is_name_list(y) else list(cast(Sequence[str], y))
    frames = [_one_variable(v, design, probs, ci, interval_type, alpha, qrule, df, domain)
              for v in names]
    return pd.concat(frames) if len(frames) > 1 else frames[0]


def _is_name_list(y: Any) -> bool:
    return isinstance(y, (list, tuple)) and len(y) > 0 and all(isinstance(v, str) for v in y)


def _probabilities(quantiles: float | Sequence[float]) -> np.ndarray:
    probs = np.atleast_1d(np.asarray(quantiles, dtype=float))
    if probs.ndim != 1 or not len(probs):
        raise ConfigError("quantiles: give one or more probabilities", argument="quantiles")
    bad = probs[~((probs > 0) & (probs < 1))]
    if len(bad):
        raise ConfigError(f"quantiles: each must be strictly between 0 and 1, not {bad[0]:g}",
                          argument="quantiles")
    return probs


def check_df(df: float | None) -> None:
    """``df``: None (the design's) or a positive number of degrees of freedom (``inf``: the
    normal distribution)."""
    if df is None:
        return
    if isinstance(df, bool) or not isinstance(df, (int, float, np.integer, np.floating)) \
            or not df > 0:
        raise ConfigError(f"df: must be a positive number (or inf), not {df!r}", argument="df")


def numeric_values(y: str | npt.ArrayLike, design: AnyDesign, argument: str, needs: str
                   ) -> tuple[np.ndarray, str]:
    """The variable as floats over the design's rows (NaN: missing) and its name; text or a
    Categorical is an error naming the argument and what needs numbers."""
    col, name = variable_column(y, design, argument)
    if is_categorical(col):
        text = col.dropna()
        example = f" (e.g. {clip(text.iloc[0], 40)!r})" if len(text) else ""
        raise DataError(f"{argument}: {clip(name)!r} is text or categorical{example}; {needs}",
                        argument=argument)
    return cast(np.ndarray, pd.to_numeric(col).to_numpy(dtype=float, na_value=np.nan)), name


def degf(design: AnyDesign, idx: np.ndarray) -> int:
    """R's ``degf`` of the design restricted to the rows ``idx``."""
    if isinstance(design, ReplicateDesign):
        return design.degf(idx)
    return design_df(design, idx)


def mean_variance(design: AnyDesign, idx: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The weighted mean of ``y`` (the values of the rows ``idx``) and its variance: R's
    ``svymean`` on the domain (linearised, calibration included, or the replicates' means)."""
    w = design.unit_weights[idx]
    total = float(w.sum())
    if not total > 0:
        raise ModelError("the weights of this domain sum to zero")
    mean = float(w @ y) / total
    if isinstance(design, ReplicateDesign):
        var = float(design.variance(design.means(idx, y), np.array([mean]))[0, 0])
    else:
        var = float(design_cov(design, idx, w * (y - mean) / total)[0, 0])
    return mean, var


def r_nrow(design: AnyDesign, rows: np.ndarray) -> int:
    """R's ``nrow(design)`` of a domain (``rows``, a mask): R's ``subset`` drops the other rows,
    except from a calibrated Taylor design, which keeps them at weight zero."""
    if isinstance(design, SurveyDesign) and design.adjustments:
        return design.n
    return int(np.count_nonzero(rows))


def crit(q: float, df: float) -> float:
    """Student's quantile on ``df`` degrees of freedom (the normal's for ``inf``), R's
    ``qt(q, df)``."""
    return float(dist.norm_ppf(q) if np.isinf(df) else dist.t_ppf(q, df))


def qrule(x: np.ndarray, w: np.ndarray, p: float, rule: str = "math") -> float:
    """R's ``qrule_math`` (or ``qrule_school``) of the values ``x`` with weights ``w``."""
    keep = w != 0
    if not keep.all():
        x, w = x[keep], w[keep]
    n = len(x)
    if n == 0:
        return float("nan")
    order = np.argsort(x, kind="stable")  # R's order(): stable for ties
    xs = x[order]
    # R's cumsum and sum accumulate in long double; sum(w) in the original order
    cumw = np.cumsum(w[order].astype(np.longdouble)).astype(float)
    total = float(np.cumsum(w.astype(np.longdouble))[-1])
    below = np.flatnonzero(cumw <= p * total)
    pos = int(below[-1]) if len(below) else 0  # survey:::last(): 1 (R) when none
    nxt = pos if pos == n - 1 else pos + 1
    if p - cumw[pos] / total == 0:
        return float(xs[pos] if rule == "math" else (xs[pos] + xs[nxt]) / 2)
    return float(xs[nxt])


def proportion_interval(m: float, var: float, method: str, alpha: float, df: float,
                        nrow: int, design_degf: int) -> tuple[float, float]:
    """The interval of a proportion ``m`` with variance ``var`` by ``method`` (mean, xlogit,
    asin, beta), as R's ``woodruffCI`` and ``svyciprop`` compute it; ``nrow`` and
    ``design_degf`` for "beta" only (R's ``nrow(design)`` and ``degf(design)``)."""
    se = float(np.sqrt(var))
    lo, hi = crit(alpha / 2, df), crit(1 - alpha / 2, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "mean":
            return m + se * lo, m + se * hi
        if method == "xlogit":
            eta, d = np.log(m / (1 - m)), se / (m * (1 - m))
            return float(special.expit(eta + d * lo)), float(special.expit(eta + d * hi))
        if method == "asin":
            eta, d = np.arcsin(np.sqrt(m)), se / (2 * np.sqrt(m) * np.sqrt(1 - m))
            return float(np.sin(eta + d * lo) ** 2), float(np.sin(eta + d * hi) ** 2)
        assert method == "beta"
        n_eff = m * (1 - m) / var
        n_eff *= (crit(alpha / 2, nrow - 1) / crit(alpha / 2, design_degf)) ** 2
        return (float(special.betaincinv(n_eff * m, n_eff * (1 - m) + 1, alpha / 2)),
                float(special.betaincinv(n_eff * m + 1, n_eff * (1 - m), 1 - alpha / 2)))


def _one_variable(y: str | npt.ArrayLike, design: AnyDesign, probs: np.ndarray, ci: bool,
                  interval_type: str, alpha: float, rule: str, df: float | None,
                  domain: str | npt.ArrayLike | None) -> pd.DataFrame:
    values, name = numeric_values(y, design, "y", "a quantile needs numbers")
    rows = rows_in_domain(design, domain) & ~np.isnan(values)
    idx = np.flatnonzero(rows)
    w = design.unit_weights[idx]
    if not (w > 0).any():
        raise ModelError(f"y: {clip(name)!r} has no value with a positive weight in this "
                         "domain; there is no quantile", argument="y")
    x = values[idx]
    d = degf(design, idx)
    dfree = float(d if df is None else df)
    out = []
    for p in probs:
        q = qrule(x, w, float(p), rule)
        lo = hi = se = float("nan")
        if ci:
            if interval_type == "quantile":
                assert isinstance(design, ReplicateDesign)
                lo, hi = _replicate_interval(design, idx, x, q, float(p), rule, alpha, dfree)
            else:
                lo, hi = _woodruff(design, idx, x, w, q, float(p), rule, interval_type, alpha,
                                   dfree, r_nrow(design, rows), d)
            se = (hi - lo) / (2 * crit(1 - alpha / 2, dfree))
        out.append((name, float(p), q, se, dfree if df is not None else d, lo, hi, len(idx)))
    frame = pd.DataFrame(out, columns=COLUMNS,
                         index=pd.Index([f"{name}.{p:.15g}" for p in probs], name="term"))
    return frame


def _woodruff(design: AnyDesign, idx: np.ndarray, x: np.ndarray, w: np.ndarray, q: float,
              p: float, rule: str, method: str, alpha: float, df: float, nrow: int,
              design_degf: int) -> tuple[float, float]:
    """R's ``woodruffCI``: the interval of the share at or below ``q``, mapped back through
    the quantile rule (NaN beyond 0 or 1)."""
    try:
        m, var = mean_variance(design, idx, (x <= q).astype(float))
    except ModelError as exc:
        raise ModelError(f"y: {exc}", argument="y") from None
    p_lo, p_hi = proportion_interval(m, var, method, alpha, df, nrow, design_degf)
    lo = float("nan") if np.isnan(p_lo) or p_lo < 0 else qrule(x, w, p_lo, rule)
    hi = float("nan") if np.isnan(p_hi) or p_hi > 1 else qrule(x, w, p_hi, rule)
    return lo, hi


def _replicate_interval(design: ReplicateDesign, idx: np.ndarray, x: np.ndarray, q: float,
                        p: float, rule: str, alpha: float, df: float) -> tuple[float, float]:
    """R's ``repCI``: each replicate's quantile, their replicate variance, ``q -+ t se``."""
    W = design.rows_of(idx)
    reps = np.array([qrule(x, np.ascontiguousarray(W[:, r]), p, rule)
                     for r in range(design.replicates)])
    se = float(np.sqrt(design.variance(reps, np.array([q]))[0, 0]))
    t = crit(1 - alpha / 2, df)
    return q - se * t, q + se * t
