"""Combining the analyses of multiply imputed datasets: Rubin's rules with the Barnard-Rubin
small-sample degrees of freedom, as R's ``mitools::MIcombine``.

Why in the engine: combining is statistics on estimates and their variances, whatever made the
imputations (the pipeline's chained equations, or a data producer's published imputations);
the pipeline imputes and fits, and combines here.

:func:`rubin` (with ``df.complete``): the mean of the M estimates; total variance T = W + (1 +
1/M) B (W the mean within-imputation variance, B the between-imputation variance); r = (1 +
1/M) B / W; Rubin's df (M - 1)(1 + 1/r)^2 combined with the observed-data df (Barnard & Rubin
1999) nu_obs = (nu_com + 1)/(nu_com + 3) nu_com W / (W + B) (mitools' form: the paper has W /
T; mitools' df is slightly larger, and coprod equals mitools); the fraction of missing
information (r + 2/(df + 3)) / (r + 1). :func:`mi_combine` takes the fits themselves.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError
from . import dist

MI_COLUMNS = ["estimate", "std_error", "df", "riv", "fmi", "within", "between", "statistic",
              "p_value", "conf_low", "conf_high"]


def rubin(estimates: npt.ArrayLike, variances: npt.ArrayLike, df_complete: float = np.inf,
          conf_level: float = 0.95) -> dict[str, Any]:
    """Rubin's rules for each of p parameters from (M, p) estimates and within-imputation
    variances, with Barnard-Rubin df when ``df_complete`` (the complete-data df) is finite;
    as R's ``mitools::MIcombine``. Returns arrays: estimate, std_error, df, riv (r), fmi,
    within, between, statistic, p_value, conf_low, conf_high."""
    Q = np.asarray(estimates, dtype=float)
    U = np.asarray(variances, dtype=float)
    m = Q.shape[0]
    if m < 2:
        raise ConfigError(f"estimates: {m} imputation(s); Rubin's rules need at least 2",
                          argument="estimates")
    qbar = Q.mean(axis=0)
    within = U.mean(axis=0)
    between = Q.var(axis=0, ddof=1)
    total = within + (1 + 1 / m) * between
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (1 + 1 / m) * between / within
        df = (m - 1) * (1 + 1 / r) ** 2
        if np.isfinite(df_complete):
            # mitools' observed-data df: W / (W + B), where Barnard & Rubin (1999) have
            # W / (W + (1 + 1/M) B) = 1 - lambda; mirrored to equal R (a slightly larger df)
            dfobs = (df_complete + 1) / (df_complete + 3) * df_complete * within / (
                within + between)
            df = 1 / (1 / df + 1 / dfobs)
        fmi = (r + 2 / (df + 3)) / (r + 1)
    se = np.sqrt(total)
    w = dist.wald(qbar, se, df, conf_level)
    return {"estimate": qbar, "std_error": se, "df": df, "riv": r, "fmi": fmi,
            "within": within, "between": between, "statistic": w["statistic"],
            "p_value": w["p_value"], "conf_low": w["conf_low"], "conf_high": w["conf_high"]}


class Fit(Protocol):
    """What :func:`mi_combine` reads of a fit: its estimates and their covariance, by term
    (the engine's :class:`~coprod.survey.glm.SvyLogitResult` and ordinal results)."""

    @property
    def params(self) -> pd.Series: ...

    @property
    def cov(self) -> pd.DataFrame: ...


def mi_combine(fits: Sequence[Fit], df_complete: float = np.inf,
               conf_level: float = 0.95) -> pd.DataFrame:
    """The fits of one model to M imputed datasets combined by :func:`rubin`, one row per
    term (R's ``MIcombine(results)``, which also defaults to ``df.complete = Inf``; give the
    fits' residual df for Barnard-Rubin df). Every fit must have the same terms."""
    if len(fits) < 2:
        raise ConfigError(f"fits: {len(fits)} fit(s); Rubin's rules need at least 2",
                          argument="fits")
    terms = list(fits[0].params.index)
    for k, f in enumerate(fits[1:], 2):
        if list(f.params.index) != terms:
            raise ConfigError(f"fits: fit {k} has other terms than fit 1 ({list(f.params.index)}"
                              f" and {terms})", argument="fits")
    Q = np.array([f.params.to_numpy(dtype=float) for f in fits])
    U = np.array([np.diag(f.cov.loc[terms, terms].to_numpy(dtype=float)) for f in fits])
    return pd.DataFrame(rubin(Q, U, df_complete, conf_level), index=pd.Index(terms, name="term"),
                        columns=MI_COLUMNS)
