"""Is a covariate's effect on one outcome different from its effect on another?

Why: the study asks whether, e.g., self-efficacy matters more for collective than for
individual co-production. The two outcomes come from the same respondents, so their estimates
are correlated and two separate confidence intervals cannot be compared. We stack the data (two
rows per respondent, one per outcome), fit one model in which each outcome has its own
intercept and slopes (a block-diagonal model matrix = full outcome-by-covariate interactions),
and cluster the variance on the design's PSUs (the respondent when there is no PSU), so the
covariance between a respondent's two answers enters the standard error of each difference.
"""
from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import DataError, ModelError
from . import dist
from .design import SurveyDesign, domain_mask, make_design
from .framechecks import drop_empty_columns
from .glm import SvyLogitResult, fit_matrix
from .modelframe import build_model_frame, term_table
from .replicate import ReplicateDesign
from .variance import design_df, score_cov, weighted_gram

_COLUMNS = ["kind", "term", "variable", "level", "estimate_a", "std_error_a", "estimate_b",
            "std_error_b", "difference", "std_error", "df_num", "df_resid", "statistic",
            "p_value", "conf_low", "conf_high", "flag"]
_VALUES = ["estimate_a", "std_error_a", "estimate_b", "std_error_b", "difference", "std_error",
           "statistic", "p_value", "conf_low", "conf_high"]


def _outcome(data: pd.DataFrame, name: str) -> np.ndarray:
    if name not in data.columns:
        raise DataError(f"outcome column {name!r} is not in the data")
    y = pd.to_numeric(data[name], errors="coerce").astype("Float64").to_numpy(
        dtype=float, na_value=np.nan)
    bad = ~np.isnan(y) & ~np.isin(y, (0.0, 1.0))
    bad |= np.isnan(y) & data[name].notna().to_numpy()
    if bad.any():
        raise ModelError(f"outcome {name!r} must be coded 0/1; found {data[name][bad].iloc[0]!r}")
    return cast(np.ndarray, y)


def contrast_test(data: pd.DataFrame, outcomes: tuple[str, str], rhs: str, *,
                  id_col: str | None = None, weights: str | None = None,
                  strata: str | None = None, psu: str | None = None,
                  domain: str | npt.ArrayLike | None = None,
                  lonely_psu: str = "fail", conf_level: float = 0.95,
                  design: SurveyDesign | None = None,
                  check_tol: float = 1e-8) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Test, term by term, whether the effect on outcome ``b`` differs from that on ``a``.

    ``outcomes = (a, b)``; every difference is **b minus a** on the log-odds scale. Only
    respondents in the domain with both outcomes and all covariates observed are used (the
    others stay in the design, as in a domain analysis, and are counted in the info dict).

    Returns ``(table, info)``. ``table`` rows of ``kind == "term"``: one per coefficient with
    each outcome's estimate and SE, the difference, its design-based SE, t, p and CI on the
    stacked model's df (PSUs - strata + 1 - 2p, what svyglm gives for the stacked data). Rows
    of ``kind == "joint"``: the Wald test per formula term that all its differences are zero
    (``statistic`` = F = W/k on (``df_num`` = k, ``df_resid``); for a factor with k+1 levels
    it tests the k differences at once; chi2 = W is in ``info["joint_tests"]``).
    ``info``: counts, df, joint tests, flags, and the self-check: the stacked model must
    reproduce the two separate fits' coefficients (within ``check_tol``) and design-based SEs
    (relative 1e-6), else ModelError. (Its likelihood separates by outcome, so the stacked
    estimates are the separate fits' and its variance is assembled from their pieces; the check
    then guards the joint variance's diagonal blocks.)
    """
    if len(outcomes) != 2:
        raise ModelError(f"contrast_test compares two outcomes, got {list(outcomes)}")
    a, b = outcomes
    if id_col is not None and id_col not in data.columns:
        raise DataError(f"id column {id_col!r} is not in the data")
    ids = data[id_col] if id_col is not None else pd.Series(range(len(data)))
    if ids.isna().any() or ids.duplicated().any():
        dup = ids[ids.duplicated()].iloc[0] if ids.duplicated().any() else None
        raise DataError(f"id column {id_col!r} must identify respondents uniquely "
                        f"(missing or duplicated, e.g. {dup!r})")
    if design is None:
        design = make_design(data, weights=weights, strata=strata, psu=psu,
                             lonely_psu=lonely_psu)
    whole = domain is None and design.in_domain is None
    in_domain = design.domain_rows(None if domain is None else domain_mask(data, domain))
    ya_all, yb_all = _outcome(data, a), _outcome(data, b)
    mf = build_model_frame(data, rhs.split("~", 1)[-1], subset=None if whole else in_domain)
    covariates_ok = np.zeros(len(data), dtype=bool)
    covariates_ok[mf.complete] = True
    both = ~np.isnan(ya_all) & ~np.isnan(yb_all)
    sel = in_domain[mf.complete] & both[mf.complete]
    rows = mf.complete[sel]
    X = mf.X[sel]
    terms = term_table(mf.spec)
    keep, flags = drop_empty_columns(X, terms, mf.spec)
    X = np.asfortranarray(X[:, keep])
    terms = terms.iloc[keep].reset_index(drop=True)
    names = terms["term"].tolist()
    ya, yb = ya_all[rows], yb_all[rows]
    n, p = X.shape

    fits = {}
    for label, y in (("a", ya), ("b", yb)):
        fits[label] = fit_matrix(X, y, rows, design, names, conf_level=conf_level, terms=terms,
                                 domain_rows=np.flatnonzero(in_domain))
        flags += [{"flag": f["flag"], "detail": f"{outcomes[label == 'b']}: {f['detail']}"}
                  for f in fits[label].flags]
    # The stacked model: rows 0..n-1 answer a, rows n..2n-1 answer b (the same respondents),
    # model matrix [[X, 0], [0, X]]. Its likelihood separates by outcome, so its estimates are
    # the two separate fits and its information matrix is block-diagonal; only the design-based
    # "meat" couples the outcomes, because a respondent's two rows fall in the same PSU and their
    # scores are summed there. So the stacked sandwich is built from the separate fits' pieces
    # in one pass over n rows, instead of refitting a 2n x 2p model (8x the work of a fit).
    beta = np.concatenate([fits["a"].params.to_numpy(), fits["b"].params.to_numpy()])
    if isinstance(design, ReplicateDesign):
        # each replicate refits both outcomes: the covariance of the pair is the replicates'
        V = design.variance(np.hstack([fits["a"].replicate_params,
                                       fits["b"].replicate_params]), beta)
        df = design.degf(np.flatnonzero(in_domain)) + 1 - 2 * p
    else:
        V = _stacked_sandwich(X, rows, design, fits, (ya, yb), p)
        df = design_df(design, rows) + 1 - 2 * p
    clusters, n_strata = fits["a"].stats["clusters"], fits["a"].stats["strata"]
    if df < 1:
        raise ModelError(f"no residual degrees of freedom: {clusters} "
                         f"PSU(s) in {n_strata} stratum/strata for "
                         f"{2 * p} coefficients; use fewer terms or a larger sample")
    separate = np.concatenate([fits["a"].params.to_numpy(), fits["b"].params.to_numpy()])
    se_stacked = np.sqrt(np.diag(V))
    se_separate = np.concatenate([np.sqrt(np.diag(fits[k].cov.to_numpy())) for k in "ab"])
    coef_diff = float(np.max(np.abs(beta - separate) / (1 + np.abs(separate))))
    se_diff = float(np.max(np.abs(se_stacked / se_separate - 1)))
    troubled = any(f["flag"] in ("separation", "non_convergence") for f in flags)
    if not troubled and (coef_diff > check_tol or se_diff > 1e-6):
        raise ModelError(f"the stacked model did not reproduce the separate fits of {a!r} and "
                         f"{b!r} (coefficients differ by {coef_diff:.2e}, SEs by {se_diff:.2e})")

    D = np.hstack([-np.eye(p), np.eye(p)])
    diff = D @ beta
    Vd = D @ V @ D.T
    se = np.sqrt(np.clip(np.diag(Vd), 0, None))
    # a difference without variance (the outcomes agree for everyone): no test, not a t of noise
    degenerate = se <= 1e-7 * (se_stacked[:p] + se_stacked[p:])
    wald = dist.wald(diff, np.where(degenerate, np.nan, se), df, conf_level)
    term_flag = [";".join(sorted({fits[k].term_flags.get(t, "") for k in "ab"} - {""}
                                 | ({"singular"} if degenerate[j] else set())))
                 for j, t in enumerate(names)]
    table = pd.DataFrame({
        "kind": "term", "term": names, "variable": terms["variable"], "level": terms["level"],
        "estimate_a": beta[:p], "std_error_a": se_stacked[:p],
        "estimate_b": beta[p:], "std_error_b": se_stacked[p:],
        "difference": diff, "std_error": se, "df_num": 1, "df_resid": df,
        "statistic": wald["statistic"], "p_value": wald["p_value"],
        "conf_low": wald["conf_low"], "conf_high": wald["conf_high"], "flag": term_flag})
    sep = table["flag"].str.contains("separation")
    table.loc[sep, _VALUES] = np.nan

    joint = []
    for model_term, idx in terms.groupby("model_term", sort=False).groups.items():
        if model_term == "1":
            continue
        J = np.asarray(idx)
        k = len(J)
        V_J = Vd[np.ix_(J, J)]
        if sep.iloc[J].any():
            W = np.nan
        elif degenerate[J].any() or np.linalg.matrix_rank(V_J) < k:
            # e.g. the two outcomes are equal for every respondent: the differences are 0 with
            # no variance, so the joint test does not exist; the term rows stay
            W = np.nan
            if not any(f["flag"] == "singular_difference" for f in flags):
                flags.append({"flag": "singular_difference",
                              "detail": f"the differences of {model_term} have a singular "
                                        "covariance (are the two outcomes equal for every "
                                        "respondent here?): no joint test"})
        else:
            W = float(diff[J] @ np.linalg.solve(V_J, diff[J]))
        reason = "separation" if sep.iloc[J].any() else "singular" if np.isnan(W) else ""
        joint.append({"term": model_term, "variable": terms.at[J[0], "variable"], "df_num": k,
                      "flag": reason,
                      "df_den": df, "F": W / k, "p_value_F": float(dist.f_sf(W / k, k, df)),
                      "chi2": W, "p_value_chi2": float(dist.chi2_sf(W, k))})

    joint_rows = pd.DataFrame([{
        "kind": "joint", "term": j["term"], "variable": j["variable"], "level": "",
        "df_num": j["df_num"], "df_resid": df, "statistic": j["F"], "p_value": j["p_value_F"],
        "flag": j["flag"]} for j in joint],
        columns=_COLUMNS)
    table = pd.concat([table[_COLUMNS], joint_rows], ignore_index=True) if joint else table
    n_domain = int(in_domain.sum())
    info = {
        "outcomes": {"a": a, "b": b}, "difference": f"{b} minus {a} (log-odds scale)",
        "n_respondents": n, "n_excluded": n_domain - n,
        "n_missing_outcome": {a: int((in_domain & np.isnan(ya_all)).sum()),
                              b: int((in_domain & np.isnan(yb_all)).sum())},
        "n_missing_covariates": int((in_domain & ~covariates_ok).sum()),
        "clusters": clusters, "strata": n_strata, "df_resid": df,
        "joint_tests": joint, "flags": flags,
        "check": {"max_rel_coef_diff": coef_diff, "max_rel_se_diff": se_diff},
        "fit_stats": {a: fits["a"].fit_stats(), b: fits["b"].fit_stats()},
    }
    return table[_COLUMNS], info


def _stacked_sandwich(X: np.ndarray, rows: np.ndarray, design: SurveyDesign,
                      fits: dict[str, SvyLogitResult], ys: tuple[np.ndarray, np.ndarray], p: int
                      ) -> np.ndarray:
    """The stacked model's covariance from the separate fits' pieces: block-diagonal bread, and
    the design covariance of both outcomes' scores (a respondent's two rows share a PSU)."""
    A_inv, resid = [], []
    w = design.unit_weights[rows]  # as the fits (coprod.survey.design.unit_exponent)
    for k, y in zip("ab", ys):
        mu = fits[k].fitted
        A = weighted_gram(X, w * mu * (1.0 - mu))
        try:
            A_inv.append(np.linalg.inv(A))
        except np.linalg.LinAlgError:
            A_inv.append(np.linalg.pinv(A))
        resid.append(w * (y - mu))
    bread = np.zeros((2 * p, 2 * p))
    bread[:p, :p], bread[p:, p:] = A_inv
    return cast(np.ndarray, bread @ score_cov(design, rows, X, np.column_stack(resid)) @ bread)
