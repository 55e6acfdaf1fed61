"""Joint Wald tests of model terms: R's ``regTermTest(model, ~term, method = "Wald")``.

Why: a covariate with several levels (education, employment, the group) has one interval per
level but one question -- "is the variable related at all?" -- which papers answer with a joint
test. The statistic is ``F = b' V^-1 b / k`` on (k, design df), with ``b`` the k coefficients of
the term, ``V`` their design-based covariance and the denominator df the model's residual df
(PSUs - strata - terms, or R's ``degf`` for replicate designs), exactly as ``regTermTest``;
model-based fits (unweighted data) use the same F on n - p df.

``df``: as regTermTest's. ``None`` (its default) takes the model's residual df as above; a
number is the denominator df of the F; ``math.inf`` (R's ``df = Inf``) gives the chi-square
test R returns then: ``statistic`` is the Wald chi-square ``b' V^-1 b`` itself (R prints
``Chisq = ... on k df``), ``df_den`` is inf and the p-value is the chi-square's on k df, for
users who want large-sample (normal) inference, as R's ``svyglm`` users sometimes do.

Works on any fitted result with ``params``, ``cov``, ``df_resid``, ``terms`` (columns ``term``,
``model_term``, ``variable``) and ``term_flags``: the logit, count and ordinal models alike.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, ModelError
from . import dist

if TYPE_CHECKING:
    from .glm import SvyLogitResult
    from .ordinal import SvyOlrResult

TEST_COLUMNS = ["test", "terms", "statistic", "df_num", "df_den", "p_value", "flag"]


def _denominator(result: SvyLogitResult | SvyOlrResult, df: float | None) -> float:
    """The test's denominator df: the model's (an int, as ever) or the caller's ``df``."""
    if df is None:
        return int(result.df_resid)
    if isinstance(df, bool) or not isinstance(df, (int, float, np.integer, np.floating)) \
            or np.isnan(df) or df <= 0:
        raise ConfigError(f"df: {df!r} is not a number of degrees of freedom; use None (the "
                          "model's residual df), a positive number or math.inf (a chi-square "
                          "test)", argument="df")
    return float(df) if np.isinf(df) else df


def joint_test(result: SvyLogitResult | SvyOlrResult, terms: list[str], name: str = "",
               df: float | None = None) -> dict[str, Any]:
    """The joint Wald F test that the coefficients ``terms`` (column names) are all zero; with
    ``df=math.inf`` the chi-square test (statistic: the chi-square, not divided by k)."""
    ddf = _denominator(result, df)
    missing = [t for t in terms if t not in result.params.index]
    if missing:
        raise ModelError(f"joint test {name!r}: term(s) {missing} are not in the model")
    b = result.params[terms].to_numpy()
    V = result.cov.loc[terms, terms].to_numpy()
    k = len(terms)
    flagged = sorted({result.term_flags.get(t, "") for t in terms} - {""})
    row = {"test": name, "terms": ";".join(terms), "statistic": np.nan, "df_num": k,
           "df_den": ddf, "p_value": np.nan, "flag": ",".join(flagged)}
    if flagged or not np.isfinite(b).all() or not np.isfinite(V).all():
        return row
    try:
        chisq = float(b @ np.linalg.solve(V, b))
    except np.linalg.LinAlgError:
        row["flag"] = "singular"
        return row
    if np.isinf(ddf):  # R: list(chisq = , df = k, p = pchisq(chisq, k, lower.tail = FALSE))
        row["statistic"] = chisq
        row["p_value"] = float(dist.chi2_sf(chisq, k))
        return row
    F = chisq / k
    row["statistic"] = F
    row["p_value"] = float(dist.f_sf(F, k, ddf))
    return row


def term_tests(result: SvyLogitResult | SvyOlrResult, groups: dict[str, list[str]] | None = None,
               df: float | None = None) -> pd.DataFrame:
    """One row per multi-column term of the model (a factor with three or more levels, an
    interaction of factors) and per named group of variables (``{"name": [var, ...]}``: all the
    columns of those variables' main effects), as R's regTermTest "Wald"; ``df`` as
    regTermTest's (None: the model's; ``math.inf``: chi-square tests)."""
    ddf = _denominator(result, df)
    terms = result.terms
    rows = []
    for model_term, block in terms.groupby("model_term", sort=False):
        if len(block) > 1:
            rows.append(joint_test(result, block["term"].tolist(), str(model_term), df))
    for name, variables in (groups or {}).items():
        cols: list[str] = []
        gone = []
        for v in variables:
            hit = terms.loc[terms["variable"] == v, "term"].tolist()
            cols += hit
            if not hit:  # e.g. its one non-reference level is empty in this sample
                gone.append(v)
        if gone:  # the test of fewer variables than named would answer another question
            rows.append({"test": name, "terms": ";".join(cols), "statistic": np.nan,
                         "df_num": len(cols), "df_den": ddf,
                         "p_value": np.nan,
                         "flag": f"not_in_model: {', '.join(gone)}"})
            continue
        rows.append(joint_test(result, cols, name, df))
    return pd.DataFrame(rows, columns=TEST_COLUMNS)
