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

Terms are named as the user knows them (:func:`term_columns`): a coefficient by formulaic's
name (``stype[T.H]``) or R's (``stypeH``), a whole term by its label in either (``stype``,
``region:eff``, ``I(age^2)``; R's ``regTermTest(model, ~stype)``), or a data variable (all its
columns). Works on any fitted result with ``params``, ``cov``, ``df_resid``, ``terms`` (columns
``term``, ``model_term``, ``variable``), ``term_flags`` and R's names (``r_names``,
``r_terms``: :class:`coprod.survey.results.SvyModelResult`): the GLM and ordinal models alike.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, ModelError
from . import dist

if TYPE_CHECKING:
    from .glm import SvyLogitResult
    from .ordinal import SvyOlrResult

TEST_COLUMNS = ["test", "terms", "statistic", "df_num", "df_den", "p_value", "flag"]


def _bare(text: str) -> str:
    return re.sub(r"\s+", "", str(text))


def term_columns(result: SvyLogitResult | SvyOlrResult, name: str) -> list[str]:
    """The coefficients (formulaic's names) that ``name`` means, the first naming that matches:
    a coefficient by formulaic's name (``stype[T.H]``) or R's (``stypeH``, ``(Intercept)``), a
    term by formulaic's label or R's (``stype``, ``region:eff`` / ``I(age ** 2)``,
    ``I(age^2)``: all its columns, as R's ``regTermTest(model, ~stype)``), or a data variable
    (the columns of the terms made of it alone). Spaces do not matter; [] when none."""
    index = [str(t) for t in result.params.index]
    if name in index:
        return [name]
    r_names, r_terms = result.r_names, result.r_terms
    bare = _bare(name)
    for labels in (r_names, None, r_terms):
        if labels is None:  # formulaic's term labels (terms: the coefficients, no cut-points)
            hit = result.terms.loc[result.terms["model_term"].map(_bare) == bare, "term"]
            if len(hit):
                return [str(t) for t in hit]
            continue
        cols = [t for t, lab in zip(index, labels) if _bare(lab) == bare]
        if cols:
            return cols
    return [str(t) for t in result.terms.loc[result.terms["variable"] == name, "term"]]


def _resolve(result: SvyLogitResult | SvyOlrResult, terms: str | Sequence[str], name: str
             ) -> list[str]:
    """The coefficients of ``terms`` (a list of names, or R's ``"~a + b"``), in order, once."""
    wanted = [t.strip() for t in terms.lstrip().lstrip("~").split("+")] \
        if isinstance(terms, str) else [str(t) for t in terms]
    cols: list[str] = []
    missing = []
    for t in wanted:
        hit = term_columns(result, t)
        if not hit:
            missing.append(t)
        cols += [c for c in hit if c not in cols]
    if missing:
        raise ModelError(f"joint test {name!r}: term(s) {missing} are not in the model; name a "
                         "coefficient (stype[T.H] or R's stypeH), a term (stype, a:b) or a "
                         f"variable; the model has {[str(t) for t in result.params.index]}")
    return cols


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


def joint_test(result: SvyLogitResult | SvyOlrResult, terms: str | Sequence[str],
               name: str = "", df: float | None = None) -> dict[str, Any]:
    """The joint Wald F test that the coefficients of ``terms`` are all zero, as R's
    ``regTermTest(model, ~terms)``; with ``df=math.inf`` the chi-square test (statistic: the
    chi-square, not divided by k). ``terms``: names as :func:`term_columns` reads them
    (``["stype"]``, ``["stypeH", "stypeM"]``, ``["stype[T.H]"]``) or R's ``"~stype + ell"``;
    the row's ``terms`` lists the coefficients by formulaic's names."""
    ddf = _denominator(result, df)
    terms = _resolve(result, terms, name)
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


def term_tests(result: SvyLogitResult | SvyOlrResult,
               groups: dict[str, list[str]] | Sequence[str] | str | None = None,
               df: float | None = None) -> pd.DataFrame:
    """One row per multi-column term of the model (a factor with three or more levels, an
    interaction of factors) and per named group of variables (``{"name": [var, ...]}``: all the
    columns of those variables' main effects), as R's regTermTest "Wald"; ``df`` as
    regTermTest's (None: the model's; ``math.inf``: chi-square tests).

    A group may also name coefficients or terms as :func:`term_columns` reads them (R's
    ``stypeH``, formulaic's ``stype[T.H]``, a term ``region:eff``); a list (or one name) tests
    each name on its own, ``["stype", "region:eff"]`` = ``{"stype": ["stype"], ...}``."""
    ddf = _denominator(result, df)
    if isinstance(groups, str):
        groups = [groups]
    if groups is not None and not isinstance(groups, dict):
        groups = {str(g): [str(g)] for g in groups}
    terms = result.terms
    rows = []
    for model_term, block in terms.groupby("model_term", sort=False):
        if len(block) > 1:
            rows.append(joint_test(result, block["term"].tolist(), str(model_term), df))
    for name, variables in (groups or {}).items():
        cols: list[str] = []
        gone = []
        for v in variables:
            hit = terms.loc[terms["variable"] == v, "term"].tolist() or term_columns(result, v)
            cols += [c for c in hit if c not in cols]
            if not hit:  # e.g. its one non-reference level is empty in this sample
                gone.append(v)
        if any(r["test"] == name and r["terms"] == ";".join(cols) for r in rows):
            continue  # a factor named in the list is the test of its term already made above
        if gone:  # the test of fewer variables than named would answer another question
            rows.append({"test": name, "terms": ";".join(cols), "statistic": np.nan,
                         "df_num": len(cols), "df_den": ddf,
                         "p_value": np.nan,
                         "flag": f"not_in_model: {', '.join(gone)}"})
            continue
        rows.append(joint_test(result, cols, name, df))
    return pd.DataFrame(rows, columns=TEST_COLUMNS)
