"""The few distribution functions the estimators need, from scipy.special.

Why not scipy.stats: importing it costs about half a second, paid by every Snakemake job; these
are the same functions (scipy.stats calls them underneath).
"""
from __future__ import annotations

import numpy as np
from scipy import special


def t_sf(x, df):
    """P(T > x) for Student's t with ``df`` degrees of freedom."""
    return special.stdtr(df, -np.asarray(x, dtype=float))


def t_ppf(q, df):
    return special.stdtrit(df, q)


def norm_sf(x):
    return special.ndtr(-np.asarray(x, dtype=float))


def norm_ppf(q):
    return special.ndtri(q)


def f_sf(x, dfn, dfd):
    return special.fdtrc(dfn, dfd, x)


def chi2_sf(x, df):
    return special.chdtrc(df, x)


def wald(est, se, df, conf_level: float = 0.95, model_based: bool = False) -> dict:
    """t (or z for model-based fits) statistic, two-sided p and interval for estimates and SEs.

    One place for what the coefficient table, the marginal effects and the predictions share;
    a zero SE (a separated or dropped term) gives NaN, not a division warning.
    """
    est, se = np.asarray(est, dtype=float), np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(se > 0, est / np.where(se > 0, se, 1.0), np.nan)
    if model_based:
        p, q = 2 * norm_sf(np.abs(stat)), norm_ppf(0.5 + conf_level / 2)
    else:
        p, q = 2 * t_sf(np.abs(stat), df), t_ppf(0.5 + conf_level / 2, df)
    return {"statistic": stat, "p_value": p, "conf_low": est - q * se,
            "conf_high": est + q * se, "q": q}
