"""The few distribution functions the estimators need, from scipy.special.

Why not scipy.stats: importing it costs about half a second, paid by every Snakemake job; these
are the same functions (scipy.stats calls them underneath).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from ..errors import ModelError


def t_sf(x: npt.ArrayLike, df: npt.ArrayLike) -> Any:
    """P(T > x) for Student's t with ``df`` degrees of freedom."""
    return special.stdtr(df, -np.asarray(x, dtype=float))


def t_ppf(q: npt.ArrayLike, df: npt.ArrayLike) -> Any:
    return special.stdtrit(df, q)


def norm_sf(x: npt.ArrayLike) -> Any:
    return special.ndtr(-np.asarray(x, dtype=float))


def norm_ppf(q: npt.ArrayLike) -> Any:
    return special.ndtri(q)


def f_sf(x: npt.ArrayLike, dfn: npt.ArrayLike, dfd: npt.ArrayLike) -> Any:
    return special.fdtrc(dfn, dfd, x)


def chi2_sf(x: npt.ArrayLike, df: npt.ArrayLike) -> Any:
    return special.chdtrc(df, x)


def wald(est: npt.ArrayLike, se: npt.ArrayLike, df: npt.ArrayLike, conf_level: float = 0.95,
         model_based: bool = False) -> dict[str, Any]:
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


COEFFICIENT_COLUMNS = ["term", "estimate", "std_error", "df_resid", "statistic", "p_value",
                       "conf_low", "conf_high", "odds_ratio", "or_conf_low", "or_conf_high",
                       "deff", "flag"]


def coefficient_table(terms: Sequence[str], est: npt.ArrayLike, cov: npt.ArrayLike, df: float,
                      conf_level: float, model_based: bool, term_flags: dict[str, str],
                      ratio: npt.ArrayLike | None = None, deff: npt.ArrayLike | None = None
                      ) -> pd.DataFrame:
    """One row per term (COEFFICIENT_COLUMNS): estimate, SE, t (z if model-based), p,
    interval, exp(estimate) and its interval (only where ``ratio``, a mask, is true: not for
    an ordinal model's cut-points), design effect and flag. A term flagged for separation
    keeps its row with every number empty: its estimate diverges.

    Why built in numpy and framed once: every imputed dataset and specification makes one,
    and filling a DataFrame column by column costs more than the fit."""
    est = np.array(est, dtype=float)
    se = np.sqrt(np.clip(np.diag(np.asarray(cov, dtype=float)), 0, None))
    w = wald(est, se, df, conf_level, model_based)
    with np.errstate(over="ignore"):
        ratios = [np.exp(est), np.exp(w["conf_low"]), np.exp(w["conf_high"])]
    if ratio is not None:
        ratios = [np.where(ratio, r, np.nan) for r in ratios]
    flags = [term_flags.get(t, "") for t in terms]
    values = {"estimate": est, "std_error": se, "statistic": w["statistic"],
              "p_value": w["p_value"], "conf_low": w["conf_low"], "conf_high": w["conf_high"],
              "odds_ratio": ratios[0], "or_conf_low": ratios[1], "or_conf_high": ratios[2],
              "deff": np.full(len(est), np.nan) if deff is None
              else np.array(deff, dtype=float)}
    sep = np.array(["separation" in f for f in flags], dtype=bool)
    if sep.any():
        for k, v in values.items():
            values[k] = np.where(sep, np.nan, v)
    return pd.DataFrame({"term": list(terms), **values, "df_resid": df, "flag": flags},
                        columns=COEFFICIENT_COLUMNS)


def check_finite(terms: Sequence[str], est: npt.ArrayLike, cov: npt.ArrayLike,
                 term_flags: dict[str, str], flags: list[dict[str, Any]]) -> None:
    """A fit whose numbers are not finite is never reported as ok: a NaN or infinite estimate
    stops the model (ModelError: its tables say failed, naming the terms), a NaN or infinite
    variance flags the terms (``non_finite``). Terms already flagged (separation, no
    convergence) are left to that flag, which empties their numbers."""
    est = np.asarray(est, dtype=float)
    var = np.diag(np.asarray(cov, dtype=float))
    todo = [j for j, t in enumerate(terms) if not term_flags.get(t)]
    bad_est = [terms[j] for j in todo if not np.isfinite(est[j])]
    if bad_est:
        raise ModelError(f"the fit gave no finite estimate for the terms {bad_est}; nothing "
                         "of this model can be reported")
    bad_se = [terms[j] for j in todo if not np.isfinite(var[j])]
    if bad_se:
        flags.append({"flag": "non_finite",
                      "detail": f"the standard errors of the terms {bad_se} are not finite "
                                "numbers; their tests and intervals are not reported"})
        term_flags.update({t: "non_finite" for t in bad_se})
