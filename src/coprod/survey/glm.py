"""Design-based logistic regression: the Python twin of R's ``svyglm(family = quasibinomial())``.

Why this module exists: co-production surveys are weighted, stratified and sometimes clustered, so
plain logistic regression gives the right point estimates but the wrong standard errors. Here
point estimates are the weighted maximum pseudo-likelihood estimates (what ``glm`` with prior
weights gives) and the covariance is the Taylor-linearisation sandwich ``A^-1 B A^-1`` with ``B``
the design covariance of the scores (:mod:`coprod.survey.variance`, which knows strata, clusters,
finite-population corrections and two stages, exactly as the survey package does). Domains
keep the whole design: rows outside the domain, and rows dropped because a model variable is
missing, contribute zero scores but their PSUs still count, which is what ``svyglm`` on
``subset(design, ...)`` does.

The fitted model is a :class:`coprod.survey.results.SvyGlmResult` (``summary()``, ``conf_int()``,
R's term names). The design is a :class:`coprod.survey.design.SurveyDesign`, built once and taken
by every estimator, in R's one call style: ``svy_logit(formula, design)``
(:mod:`coprod.survey.callstyle`; the data-first call of earlier versions still runs, with a
DeprecationWarning). :func:`fit_svy_logit` is the engine's entry, not public: the pipeline
calls it with its own frame and a design built apart. The fit is Newton-Raphson/IRLS on the
p x p normal equations (vectorised numpy); the tests check it against ``statsmodels`` GLM
(binomial, ``var_weights``) and against R's numbers in ``tests/data/golden``. The model frame
(formula, terms, checks) is :mod:`coprod.survey.modelframe`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError, ModelError
from . import dist, newton
from .callstyle import check_call, keeps_data_first
from .design import (  # noqa: F401 (re-exported)
    LONELY_PSU_OPTIONS,
    Design,
    SurveyDesign,
    check_model_based,
    domain_mask,
    make_design,
)
from .families import FAMILIES, GAUSSIAN, LOGIT, POISSON, Family, logit_null_by_sums
from .framechecks import (
    check_rank,
    drop_empty_columns,
    extreme_dummies,
    first_pass_rank_check,
    mle_certified,
    separation_terms,
)
from .modelframe import (  # noqa: F401
    ModelFrame,
    PreparedFrame,
    build_model_frame,
    formula_ready,
    kept_frame,
    model_rows_data,
    row_local,
    term_table,
)
from .newton import GlmPass, irls, irls_logit, newton_from, newton_many
from .replicate import ReplicateDesign, unit_column
from .results import SvyGlmResult as SvyGlmResult  # re-exported: the fit's result
from .results import SvyLogitResult as SvyLogitResult
from .variance import (  # noqa: F401
    RowUnits,
    design_cov,
    design_df,
    every_row,
    lonely_strata,
    n_distinct,
    score_cov,
    weighted_gram,
)

AnyDesign = SurveyDesign | ReplicateDesign  # what the estimators take

# --------------------------------------------------------------------------------------------
# Fit
# --------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------
# The engine shared with contrast.py: fit a model matrix under the design
# --------------------------------------------------------------------------------------------
def fit_matrix(X: np.ndarray, y: np.ndarray, rows: np.ndarray, design: AnyDesign, names: list[str],
               *, model_based: bool = False, conf_level: float = 0.95,
               terms: pd.DataFrame | None = None, flags: list[dict[str, Any]] | None = None,
               check_separation: bool = True, domain_rows: np.ndarray | None = None,
               family: Family = LOGIT) -> SvyGlmResult:
    """Fit ``y ~ X`` for the design rows ``rows`` (already complete and in the domain).

    ``rows`` may repeat a design row (stacked data): its scores are then summed in its PSU.
    ``domain_rows``: every row of the domain, complete or not (a replicate design's degrees
    of freedom count them, as R's svyglm does); default ``rows``. ``family``: LOGIT (0/1
    outcomes, R's quasibinomial), POISSON (counts, R's quasipoisson) or GAUSSIAN (R's gaussian:
    no outcome check, no separation, no events).
    """
    logit, count = family is LOGIT, family is POISSON
    flags = list(flags or [])
    every = every_row(rows, design.n)  # a model of every row of the design, in order
    w = _row_weights(design, rows, every)
    p = X.shape[1]
    if len(y) == 0:
        raise ModelError("no respondents left in this sample (domain and complete cases)")
    events = int(y.sum()) if logit else int((y > 0).sum()) if count else None
    if logit and (events == 0 or events == len(y)):
        raise ModelError(f"the outcome is {int(y[0])} for all {len(y)} respondents in this "
                         "sample; a logistic model cannot be estimated")
    if count and events == 0:
        raise ModelError(f"the count is 0 for all {len(y)} respondents in this sample; a "
                         "count model cannot be estimated")
    if family is GAUSSIAN or len(y) <= newton.BLOCKED_FROM:
        # the rank check's Gram: every information of a linear model (else only proved full
        # rank)
        fit = irls(X, y, w, family=family, gram=check_rank(X, w, names, gram=family is GAUSSIAN))
    else:  # large data: proved from the first pass's information (no product of its own)
        fit = irls(X, y, w, family=family, check=first_pass_rank_check(X, w, names, family))
    beta, converged, n_iter = fit.beta, fit.converged, fit.n_iter
    eta, mu = fit.last.eta, fit.last.mu
    term_flags: dict[str, str] = {}
    if not converged:
        flags.append({"flag": "non_convergence",
                      "detail": f"the fit did not converge in {n_iter} iterations"})
        term_flags = {t: "not_converged" for t in names}
    if check_separation and count:
        zero = extreme_dummies(X, names, lambda rows: not (y[rows] > 0).any())
        if zero:
            flags.append({"flag": "separation",
                          "detail": f"every count is 0 among the respondents at one level of "
                                    f"the terms {zero}: their estimates diverge and are not "
                                    "reported. Merge sparse levels."})
            term_flags.update({t: "separation" for t in zero})
    # (the largest |eta| without an n-long temporary: max(eta.max(), -eta.min()) exactly)
    if check_separation and logit and (not converged or max(eta.max(), -eta.min()) > 15):
        # a converged fit usually proves on its own that there is no separation (cheap);
        # otherwise the linear programs decide
        signs = None if converged and mle_certified(X, y, w, mu) else separation_terms(X, y)
        if signs is not None:
            arrow = {1: "+inf", -1: "-inf", 2: "+/-inf"}
            involved = [names[j] for j in np.flatnonzero(signs)]
            detail = ", ".join(f"{names[j]} -> {arrow[signs[j]]}" for j in np.flatnonzero(signs))
            flags.append({"flag": "separation",
                          "detail": f"(quasi-)complete separation: the outcome is perfectly "
                                    f"predicted along the terms {involved}; their estimates "
                                    f"diverge ({detail}) and are not reported. Merge sparse "
                                    "levels or use penalised (Firth) regression."})
            for t in involved:
                term_flags[t] = "separation"
    # covariance
    A = fit.last.information  # X' diag(w var(mu)) X at the estimate
    try:
        A_inv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        A_inv = np.linalg.pinv(A)
    n_used = len(y)
    deff = thetas = None
    # the rows' PSUs, looked up once: the variance, the counts, the degrees of freedom
    units = None if isinstance(design, ReplicateDesign) else RowUnits.of(design, rows, every)
    if model_based:
        cov = A_inv * float(w.mean())  # constant weights of any value: as unweighted
        df_resid = n_used - p
    elif isinstance(design, ReplicateDesign):
        thetas, bad = replicate_fits(X, y, design.rows_of(rows), beta, family=family,
                                     exponent=design.weight_exponent, first=fit.last)
        if bad:
            flags.append({"flag": "replicate_non_convergence",
                          "detail": f"{bad} of {design.replicates} replicate fits did not "
                                    "converge"})
        cov = design.variance(thetas, beta)
        deff = _coef_deff(cov, A_inv, y, mu, w, p, family)
        df_resid = design.degf(rows if domain_rows is None else domain_rows) + 1 - p
    else:
        assert units is not None  # (a linearisation design)
        resid = np.subtract(y, mu)
        resid *= w  # w (y - mu), in place
        B = score_cov(design, rows, X, resid, units=units)
        cov = A_inv @ B @ A_inv
        deff = _coef_deff(cov, A_inv, y, mu, w, p, family)
        df_resid = units.degf(design, rows, w) + 1 - p
        lonely = lonely_strata(design, rows, units)
        if lonely:
            flags.append({"flag": "lonely_psu",
                          "detail": f"strata with a single PSU: {lonely}; variance handled with "
                                    f"lonely_psu={design.lonely_psu!r}"})
    if units is None:
        n_clusters = n_strata = None
        if df_resid < 1:
            raise ModelError(f"no residual degrees of freedom: the replicate weights have rank "
                             f"{df_resid + p} for {p} coefficients; use fewer terms")
    else:
        n_clusters, n_strata = units.n_clusters, units.n_strata
    if df_resid < 1:
        raise ModelError(f"no residual degrees of freedom: {n_clusters} "
                         f"PSU(s) in {n_strata} stratum/strata for "
                         f"{p} coefficients; use fewer terms or a larger sample")
    epp_base = p - (1 if "Intercept" in names else 0)
    minority = min(events, n_used - events) if events is not None else 0
    if logit and epp_base > 0 and minority / epp_base < 10:
        flags.append({"flag": "low_events_per_parameter",
                      "detail": f"{minority} respondents in the rarer outcome class for "
                                f"{epp_base} parameters ({minority / epp_base:.1f} per "
                                "parameter, fewer than 10): estimates may be biased and "
                                "unstable"})
    # large logit fits: the last pass's deviance, -2 x the log-likelihood of 0/1 outcomes
    # (the same function summed in blocks: coprod.survey.newton), not a pass more; the null
    # model's from two sums
    llf = (-0.5 * fit.last.deviance if logit and len(y) > newton.BLOCKED_FROM
           else family.loglik(y, eta, w))
    llnull = (logit_null_by_sums(y, w) if logit and len(y) > newton.BLOCKED_FROM
              else family.null_loglik(y, w))
    dist.check_finite(names, beta, cov, term_flags, flags)
    if terms is None:
        terms = pd.DataFrame({"term": names, "model_term": names, "variable": "", "level": "",
                              "factor": "", "categorical": False})
    stats_ = {
        "n": n_used, "weighted_n": design.population_scale(float(w.sum())), "events": events,
        "clusters": n_clusters, "strata": n_strata,
        "df_resid": int(df_resid), "log_likelihood": design.population_scale(llf),
        "pseudo_r2": _gaussian_r2(y, eta, w) if family is GAUSSIAN
        else 1.0 - llf / llnull if llnull != 0 else float("nan"),
        "aic": -2.0 * design.population_scale(llf) + 2 * p, "n_excluded_missing": 0,
        "converged": bool(converged),
        "n_iter": int(n_iter), "model_based": bool(model_based),
        "lonely_psu": design.lonely_psu, **_deff_stats(deff, names, term_flags, n_used),
    }
    return SvyGlmResult(
        formula="", params=pd.Series(beta, index=names, name="estimate"),
        cov=pd.DataFrame(cov, index=names, columns=names), df_resid=int(df_resid),
        conf_level=conf_level, model_based=model_based, converged=converged, n_iter=n_iter,
        flags=flags, term_flags=term_flags, terms=terms.reset_index(drop=True), X=X, y=y, w=w,
        rows=rows, design=design, stats=stats_, deff=deff, replicate_params=thetas,
        family=family, domain_rows=domain_rows)


def _row_weights(design: AnyDesign, rows: np.ndarray, every: bool) -> np.ndarray:
    """The fit's weights: the design's unit weights (weights/2**e, scale-free:
    :func:`coprod.survey.design.unit_exponent`) of ``rows``; for every row of the design in
    order (``every``), the design's array itself (read-only), not a copy."""
    if not every:
        return cast(np.ndarray, design.unit_weights[rows])
    w: np.ndarray = design.unit_weights.view()
    w.flags.writeable = False
    return w


def replicate_fits(X: np.ndarray, y: np.ndarray, W: np.ndarray, beta: np.ndarray,
                   threads: int | None = None, family: Family = LOGIT, exponent: int = 0,
                   first: GlmPass | None = None) -> tuple[np.ndarray, int]:
    """The model refitted with each replicate's weights (columns of ``W``), from the
    full-sample estimate as R's svyglm does; returns (R x p estimates, fits not converged).

    Why plain Newton steps: a replicate's estimate is within a few standard errors of the
    full-sample one, where Newton converges quadratically, so two or three steps reach machine
    precision without the deviance checks of :func:`irls_logit` (a fit that misbehaves falls
    back to it). Replicates run on ``threads`` threads (numpy releases the GIL in the sums);
    default: the job's (``OMP_NUM_THREADS``, which Snakemake sets), else 1. ``exponent``: the
    design's weight exponent; each replicate's weights are divided by ``2**exponent`` as the
    full-sample weights were (:func:`coprod.survey.replicate.unit_column`). ``first``: the
    full-sample fit's last pass (its linear predictor and means are every refit's first).
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    n_rep = W.shape[1]
    empty = np.flatnonzero(~(W.sum(axis=0) > 0))
    if len(empty):  # R's svyglm stops too ("NAs in V(mu)"): such a replicate has no estimate
        raise ModelError(f"replicate weight(s) {', '.join(str(r + 1) for r in empty[:5])} "
                         "are zero for every respondent of this model: the sample (or domain) "
                         "lies inside the PSUs those replicates delete; no replicate variance")
    threads = threads or int(os.environ.get("COPROD_THREADS")
                             or os.environ.get("OMP_NUM_THREADS") or 1)
    thetas = np.empty((n_rep, len(beta)))
    ok = np.ones(n_rep, bool)

    def fit(r: int) -> None:
        w = unit_column(W, r, exponent)
        b, converged = newton_from(X, y, w, beta, family=family, first=first)
        if not converged:
            b, converged, _ = irls_logit(X, y, w, start=beta, family=family)
        thetas[r], ok[r] = b, converged

    def fit_many(cols: np.ndarray) -> None:
        thetas[cols], ok[cols] = newton_many(X, y, W, beta, family=family, exponent=exponent,
                                             first=first, columns=cols)
        for r in cols[~ok[cols]]:  # a misbehaving refit: the full IRLS, as one at a time
            thetas[r], ok[r], _ = irls_logit(X, y, unit_column(W, r, exponent), start=beta,
                                             family=family)

    if len(y) > newton.BLOCKED_FROM:  # large data: all refits together (newton_many)
        groups = np.array_split(np.arange(n_rep), min(threads, n_rep))
        with newton.one_blas_thread():  # the threads share out the replicates instead
            if len(groups) > 1:
                with ThreadPoolExecutor(max_workers=len(groups)) as pool:
                    list(pool.map(fit_many, groups))
            else:
                fit_many(groups[0])
    elif threads > 1 and n_rep > 1:
        with ThreadPoolExecutor(max_workers=min(threads, n_rep)) as pool:
            list(pool.map(fit, range(n_rep)))
    else:
        for r in range(n_rep):
            fit(r)
    return thetas, int((~ok).sum())


def _coef_deff(cov: npt.NDArray[np.float64], A_inv: npt.NDArray[np.float64],
               y: npt.NDArray[np.float64], mu: npt.NDArray[np.float64], w: npt.NDArray[np.float64],
               p: int, family: Family = LOGIT) -> np.ndarray:
    """Design effect of each coefficient, as R's ``svyglm(deff = TRUE)``: the design variance
    over the variance of a weighted glm with its dispersion estimated (Pearson chi-square of
    the rows with a positive weight over their residual df), which is what a with-replacement
    simple random sample of the same size would give."""
    if len(w) and float(w.min()) > 0:  # every weight positive (no mask to count them)
        df_r = len(w) - p
    else:
        pos = w > 0
        df_r = int(pos.sum()) - p
        if df_r + p < len(w):
            w, y, mu = w[pos], y[pos], mu[pos]
    with np.errstate(divide="ignore", invalid="ignore"):
        phi = _pearson(y, mu, w, family) / df_r if df_r > 0 else np.nan
        return np.diag(cov) / (phi * np.diag(A_inv))


def _pearson(y: np.ndarray, mu: np.ndarray, w: np.ndarray, family: Family) -> float:
    """The Pearson statistic ``sum w (y - mu)^2 / var(mu)``, in place; beyond
    :data:`coprod.survey.newton.BLOCKED_FROM` rows a block of rows at a time, in cache (as
    the blocked passes: six passes over a million rows cost more in memory traffic than in
    arithmetic; the sum rounds otherwise, last bits of the design effects)."""
    n = len(y)
    step = n if n <= newton.BLOCKED_FROM else newton.BLOCK * 4
    buf = np.empty(min(step, n))
    total = 0.0
    for a in range(0, n, max(step, 1)):
        b = min(a + step, n)
        t = np.subtract(y[a:b], mu[a:b], out=buf[:b - a])
        np.square(t, out=t)
        np.multiply(w[a:b], t, out=t)
        np.divide(t, family.variance(mu[a:b]), out=t)
        total += float(t.sum())
    return total


def _deff_stats(deff: npt.NDArray[np.float64] | None, names: list[str], term_flags: dict[str, str],
                n_used: int) -> dict[str, float]:
    """Mean design effect of the non-intercept coefficients and the effective sample size it
    implies (n / mean deff); NaN for model-based fits."""
    if deff is None:
        return {"deff_mean": float("nan"), "n_effective": float("nan")}
    use = [j for j, t in enumerate(names) if t != "Intercept" and not term_flags.get(t)
           and np.isfinite(deff[j])]
    mean = float(np.mean(deff[use])) if use else float("nan")
    return {"deff_mean": mean, "n_effective": n_used / mean if mean > 0 else float("nan")}



def _gaussian_r2(y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> float:
    """A linear model's (weighted) R squared, 1 - RSS / TSS, where a GLM reports McFadden's."""
    tss = GAUSSIAN.deviance(y, np.full(len(y), np.average(y, weights=w)), w)
    return 1.0 - GAUSSIAN.deviance(y, eta, w) / tss if tss > 0 else float("nan")


def fit_svy_logit(data: pd.DataFrame | str, formula: str | AnyDesign | None = None, *,
                  design: AnyDesign | None = None,
                  weights: str | None = None, strata: str | None = None, psu: str | None = None,
                  fpc: str | None = None, ssu: str | None = None, fpc2: str | None = None,
                  domain: str | npt.ArrayLike | None = None, model_based: bool = False,
                  lonely_psu: str = "fail", conf_level: float = 0.95,
                  family: Family | str = LOGIT, prepared: dict[Any, Any] | None = None
                  ) -> SvyGlmResult:
    """Fit a design-based logistic (or, ``family="count"``, quasi-Poisson; ``"gaussian"``,
    linear) regression and keep what margins/contrasts need: the engine's entry.

    Why not public: it takes three call styles, for the pipeline and the tests -- ``(formula,
    design)``, ``(data, formula, design=design)`` (a frame of the design's rows, such as the
    pipeline's aliased one) and ``(data, formula, weights=..., strata=..., ...)`` (the design
    built here: ``weights``, ``strata``, ``psu``, ``fpc``, ``ssu``, ``fpc2``, ``lonely_psu`` as
    :func:`coprod.survey.make_design`'s). Users call :func:`svy_logit`,
    :func:`svy_poisson` or :func:`coprod.survey.svy_glm` with a formula and a design.
    ``prepared``: a dict the caller keeps beside ``data`` (never changed), where the model
    frame of each (formula, family, domain) is kept for the next fit of other weights
    (:func:`coprod.survey.modelframe.kept_frame`).
    """
    family = _family(family)
    data, formula, design = _resolve(data, formula, design, weights=weights, strata=strata,
                                     psu=psu, fpc=fpc, ssu=ssu, fpc2=fpc2,
                                     lonely_psu=lonely_psu)
    if not 0 < conf_level < 1:
        raise ConfigError(f"conf_level must be between 0 and 1, not {conf_level!r}")
    if model_based and family is GAUSSIAN:  # lm's errors: dispersion and t on n - p, not glm's
        raise ConfigError("model_based: plain-glm errors are for the logit and count families; "
                          "a gaussian fit has design-based errors only", argument="model_based")
    if model_based:
        check_model_based(design)
    whole = domain is None and design.in_domain is None
    in_domain = design.domain_rows(None if domain is None else domain_mask(data, domain))
    made = kept_frame(prepared, data, ("logit", formula, family.name, whole,
                                       in_domain.tobytes()),
                      lambda: _logit_frame(data, formula, whole, in_domain, family))
    res = fit_matrix(made.X, made.y, made.rows, design, made.names, model_based=model_based,
                     conf_level=conf_level, terms=made.terms, flags=made.flags,
                     domain_rows=made.domain_rows, family=family)
    res.formula = formula
    res.spec, res.keep = made.spec, made.keep
    res.variables, res.outcome = made.variables, made.outcome
    res.model_data = made.model_data
    res.stats["n_excluded_missing"] = made.n_excluded
    return res


def _logit_frame(data: pd.DataFrame, formula: str, whole: bool, in_domain: np.ndarray,
                 family: Family) -> PreparedFrame:
    """What :func:`fit_svy_logit` fits of the data: everything but the weights."""
    mf = build_model_frame(data, formula, subset=None if whole else in_domain,
                           binary=family is LOGIT)
    rows = mf.complete
    X, y = mf.X, mf.y
    terms = term_table(mf.spec)
    keep, flags = drop_empty_columns(X, terms, mf.spec)
    if len(keep) < X.shape[1]:
        X = np.asfortranarray(X[:, keep])
    terms = terms.iloc[keep].reset_index(drop=True)
    assert y is not None and mf.outcome is not None  # a formula with an outcome
    if family is POISSON:
        _check_counts(y, mf.outcome)
    n_excluded = int(in_domain.sum() - len(rows))
    return PreparedFrame(
        X=X, y=y, rows=rows, names=terms["term"].tolist(), terms=terms, flags=flags,
        # the domain's rows, complete or not: the complete ones when none is missing (a subset
        # of them, as many)
        domain_rows=rows if n_excluded == 0 else np.flatnonzero(in_domain), spec=mf.spec,
        keep=keep, variables=mf.variables, outcome=mf.outcome,
        model_data=model_rows_data(data, mf.variables, rows), n_excluded=n_excluded)


def _family(family: Family | str) -> Family:
    if isinstance(family, Family):
        return family
    if family not in FAMILIES:
        raise ConfigError(f"family: {family!r} is not a family; use one of "
                          f"{', '.join(repr(f) for f in FAMILIES)}", argument="family")
    return FAMILIES[family]


def _check_counts(y: np.ndarray, outcome: str) -> None:
    """A count model needs whole numbers >= 0 (R's quasipoisson would fit anything)."""
    bad = y[(y < 0) | (y != np.round(y))]
    if len(bad):
        raise ModelError(f"count outcome {outcome!r}: {len(bad)} value(s) are negative or not "
                         f"whole numbers (e.g. {bad[0]:g}); a count model needs 0, 1, 2, ...")


def _resolve(data: pd.DataFrame | str, formula: str | AnyDesign | None,
             design: AnyDesign | None, **design_args: Any
             ) -> tuple[pd.DataFrame, str, AnyDesign]:
    """(data, formula, design) from either call style: ``(formula, design)`` as R's
    ``svyglm(formula, design)``, or ``(data, formula, weights=..., ...)`` (design built here),
    or ``(data, formula, design=design)``."""
    if isinstance(data, str) and isinstance(formula, (SurveyDesign, ReplicateDesign)):
        data, formula, design = formula.data, data, formula
        if data is None:
            raise ConfigError("design: this design was built without its data; build it with "
                              "keep_data=True", argument="design")
    if not isinstance(formula, str):
        raise ConfigError(f"formula: {formula!r} is not a formula; write it as a string such "
                          "as 'y ~ x1 + x2'", argument="formula")
    if design is None:
        design = make_design(data, **design_args)
    elif design.n != len(data):
        raise ConfigError(f"the design has {design.n} rows but the data {len(data)}; build "
                          "the design from the same data")
    return data, formula, design


def _old_table(family: str) -> Callable[..., pd.DataFrame]:
    """The data-first call's old answer: the design built for the call, the tidy table."""
    def table(data: pd.DataFrame, formula: str, **kwargs: Any) -> pd.DataFrame:
        return fit_svy_logit(data, formula, family=family, **kwargs).tidy()
    return table


@keeps_data_first(_old_table("logit"))
def svy_logit(formula: str, design: AnyDesign, *, domain: str | npt.ArrayLike | None = None,
              model_based: bool = False, conf_level: float = 0.95) -> SvyGlmResult:
    """Design-based logistic regression, as R's ``svyglm(formula, design,
    family = quasibinomial())``: :func:`coprod.survey.svy_glm` with that family.

    Estimates are weighted (pseudo-)maximum-likelihood log-odds; standard errors come from the
    survey design (Taylor linearisation: PSU totals of the scores, centred within strata; or
    the replicate weights), and tests and intervals use t on the design's degrees of freedom
    (PSUs - strata - non-intercept terms), so they are honest about clustering and few PSUs.

    Parameters
    ----------
    formula : str
        ``"outcome ~ age + gender + Q('odd name')"``; the outcome is 0/1. Categorical columns
        use their first category (pandas Categorical order) as the reference.
    design : SurveyDesign or ReplicateDesign
        A design built with its data: :func:`coprod.survey.svydesign`,
        :func:`coprod.survey.svrepdesign`, or ``make_design(data, ..., keep_data=True)``
        (weights, strata, clusters, fpc, the lonely-PSU rule: R's ``"fail"`` by default),
        calibrated or restricted to a domain (``design.domain(mask)``) as you like.
    domain : str or array-like, optional
        Name of a 0/1 column or a boolean mask: estimate for this subpopulation while keeping
        the whole design (never subset the data yourself: that understates the SEs).
    model_based : bool
        Plain glm standard errors (unweighted data only).
    conf_level : float
        The level of the intervals of ``tidy()``.

    Returns
    -------
    SvyGlmResult
        The fitted model: ``params``, ``cov``, ``df_resid``, ``conf_int()``, ``summary()``
        (R's), ``tidy()`` -- one row per term: ``term, estimate, std_error, df_resid,
        statistic, p_value, conf_low, conf_high, odds_ratio, or_conf_low, or_conf_high, deff,
        flag``; terms caught in (quasi-)separation are flagged and their numbers left empty.

    Notes
    -----
    Earlier versions also took ``svy_logit(data, formula, weights=..., strata=..., ...)``
    and returned the ``tidy()`` table; that call still runs, for one release, with a
    DeprecationWarning that writes out its replacement.

    Examples
    --------
    >>> design = make_design(df, weights="weight", strata="country", keep_data=True)
    >>> fit = svy_logit("collective_any ~ age + gender + self_efficacy",
    ...                 design.domain(df["country"] == "FR"))
    >>> fit.tidy()                                  # the coefficient table
    """
    check_call("svy_logit", formula, design)
    return fit_svy_logit(formula, design, domain=domain, model_based=model_based,
                         conf_level=conf_level, family=LOGIT)


@keeps_data_first(_old_table("count"))
def svy_poisson(formula: str, design: AnyDesign, *, domain: str | npt.ArrayLike | None = None,
                model_based: bool = False, conf_level: float = 0.95) -> SvyGlmResult:
    """Design-based quasi-Poisson regression of a count, as R's ``svyglm(formula, design,
    family = quasipoisson())``: :func:`coprod.survey.svy_glm` with that family.

    Arguments as :func:`svy_logit`'s; the outcome is a count (0, 1, 2, ...). In ``tidy()``,
    ``exp(estimate)`` is a rate ratio (columns ``rate_ratio``, ``rr_conf_low``,
    ``rr_conf_high``). The data-first call of earlier versions (``svy_poisson(data, formula,
    weights=..., ...)``, which returned the table) still runs for one release, with a
    DeprecationWarning.

    Returns
    -------
    SvyGlmResult
        The fitted model (``tidy()``, ``summary()``, ``conf_int()``).
    """
    check_call("svy_poisson", formula, design)
    return fit_svy_logit(formula, design, domain=domain, model_based=model_based,
                         conf_level=conf_level, family=POISSON)
