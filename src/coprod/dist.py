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
