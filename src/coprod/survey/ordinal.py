"""Design-based proportional-odds (cumulative logit) regression: the twin of R's ``svyolr``.

Why: co-production questions are asked as frequencies (never / sometimes / often); a binary cut
throws the order away and makes the verdict depend on where the scale is cut. The ordinal model
uses every category, with one coefficient per covariate for all cuts.

Parameterisation (R's ``svyolr`` and ``MASS::polr``, reported as they are)::

    logit P(Y <= k) = zeta_k - x'beta,    k = 1 .. K-1

so a positive coefficient moves respondents to *higher* categories, ``exp(beta)`` is the odds
ratio of being above any cut, and the cut-points ``zeta`` (named ``"never|sometimes"``, ...)
increase. There is no intercept: the cut-points take its place.

Estimates maximise the weighted pseudo-log-likelihood by Newton-Raphson with the exact Hessian
(the log-likelihood is concave in (beta, zeta)), so they reach machine precision where R's
BFGS stops at its ``reltol``. The covariance is the sandwich ``H^-1 B H^-1`` with ``B`` the
design covariance of the row scores (:func:`coprod.survey.variance.design_cov`: strata, clusters,
fpc,
calibration), as R's ``svyrecvar(inffun)``; replicate designs refit with each replicate's
weights, as R's ``svyolr.svyrep.design``. Domains keep the whole design. Degrees of freedom are
R's: the design's (PSUs - strata, or the replicate weights' rank) minus the number of
coefficients (cut-points not counted).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit

from ..errors import ConfigError, ModelError
from . import dist, newton
from .callstyle import check_call
from .design import Design, SurveyDesign, check_model_based, domain_mask
from .framechecks import check_rank, drop_empty_columns, extreme_dummies
from .modelframe import (  # noqa: F401 (formula_ready re-exported: it was imported here)
    PreparedFrame,
    build_model_frame,
    formula_ready,
    kept_frame,
    model_rows_data,
    term_table,
)
from .replicate import ReplicateDesign, unit_column
from .results import SvyModelResult
from .variance import design_cov, design_df, lonely_strata, n_distinct


@dataclass(repr=False)
class SvyOlrResult(SvyModelResult):
    """A fitted design-based proportional-odds model (coefficients first, then cut-points);
    ``conf_int()``, ``summary()`` and R's names from
    :class:`~coprod.survey.results.SvyModelResult`."""

    r_function = "svy_olr"
    estimate_header = "Value"  # svyolr's summary

    levels: list[str]              # the outcome's categories, lowest first
    X: np.ndarray                  # (n_used, p) model matrix without the intercept
    y: np.ndarray                  # category codes 0 .. K-1
    w: np.ndarray                  # weights of the used rows, unit-scaled (unit_weights)
    rows: np.ndarray
    design: Design
    spec: Any = None
    keep: np.ndarray | None = None
    model_data: pd.DataFrame | None = None
    variables: list[str] = field(default_factory=list)
    outcome: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    replicate_params: np.ndarray | None = None
    family: str = "ordinal"

    @property
    def n_coef(self) -> int:
        return cast(int, self.X.shape[1])

    def model_matrix(self, data: pd.DataFrame) -> np.ndarray:
        """Model matrix of new data in the fit's columns (no intercept)."""
        mm = self.spec.get_model_matrix(data.reset_index(drop=True), na_action="ignore")
        return np.asarray(mm, dtype=float)[:, self.keep]

    @property
    def cut_names(self) -> list[str]:
        return cut_names(self.levels)

    def probabilities(self, eta: np.ndarray | None = None) -> np.ndarray:
        """(n, K) probability of each category at linear predictors ``eta`` (default: fitted)."""
        theta = self.params.to_numpy()
        eta = self.X @ theta[:self.n_coef] if eta is None else eta
        return category_probabilities(eta, theta[self.n_coef:])

    def tidy(self, names: str = "formula") -> pd.DataFrame:
        """One row per coefficient (with its odds ratio of a higher category), then one per
        cut-point (on the logit scale, R's sign; no odds ratio). ``names="R"``: R's names."""
        out = dist.coefficient_table(
            self.params.index, self.params.to_numpy(), self.cov.to_numpy(), self.df_resid,
            self.conf_level, self.model_based, self.term_flags,
            ratio=np.arange(len(self.params)) < self.n_coef)
        return out if names == "formula" else self._named(out, names)

    def _confint_df(self) -> float:
        """R's ``confint`` of an svyolr fit is ``confint.default``: normal quantiles."""
        return np.inf

    def fit_stats(self) -> dict[str, Any]:
        return dict(self.stats, flags=list(self.flags))


def cut_names(levels: list[str]) -> list[str]:
    """R's names of the cut-points: "lower|upper" of each adjacent pair of categories."""
    return [f"{a}|{b}" for a, b in zip(levels[:-1], levels[1:])]


def category_probabilities(eta: np.ndarray, zeta: np.ndarray) -> np.ndarray:
    """(n, K) P(Y = k) from the cumulative probabilities F(zeta_k - eta)."""
    cum = expit(zeta[None, :] - np.asarray(eta)[:, None])
    n = cum.shape[0]
    return np.diff(np.hstack([np.zeros((n, 1)), cum, np.ones((n, 1))]), axis=1)


# --------------------------------------------------------------------------------------------
# Fit
# --------------------------------------------------------------------------------------------
class _Rows:
    """What a fit needs of the rows that does not change between iterations: which cut is
    above and below each row's category, and the open ends -- with the index arrays each
    Newton iteration would otherwise rebuild (a few passes over the rows each)."""

    def __init__(self, y: np.ndarray, q: int):
        self.y, self.q = y, q
        self.up, self.lo = y < q, y > 0
        self.not_up, self.not_lo = ~self.up, ~self.lo
        self.upper = np.minimum(y, q - 1)
        self.lower = np.maximum(y - 1, 0)
        self.idx = np.arange(len(y))
        self.y_up = y[self.up]            # the cut above, of the rows that have one
        self.y_lo = y[self.lo] - 1        # the cut below
        self.both = self.up & self.lo     # rows between two cuts
        self.y_both = y[self.both] - 1
        self.at_up = self.idx[self.up]    # the rows with a cut above, and below
        self.at_lo = self.idx[self.lo]

    def cells(self, width: int, offset: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Flat positions in a C-ordered (rows, ``width``) array of each row's cut above and
        cut below (columns ``offset + cut``): the cells the scores and the information fill."""
        return (self.at_up * width + offset + self.y_up,
                self.at_lo * width + offset + self.y_lo)


def _pieces(X: npt.NDArray[np.float64], rows: _Rows, theta: npt.NDArray[np.float64]
            ) -> tuple[npt.NDArray[np.float64], ...] | None:
    """Per row: probability of its category, the densities f and f' at its two cuts (zero at
    an open end); None when the cut-points are not increasing or a probability is not > 0."""
    p = X.shape[1]
    zeta = theta[p:]
    if np.any(np.diff(zeta) <= 0):
        return None
    eta = X @ theta[:p]
    a = zeta[rows.upper] - eta        # upper cut of the row's category
    b = zeta[rows.lower] - eta        # lower cut
    a[rows.not_up] = np.inf
    b[rows.not_lo] = -np.inf
    Fa, Fb = expit(a), expit(b)
    pr = Fa - Fb
    far = np.flatnonzero((b > 0) & (pr < 1e-4))  # both cuts deep in the upper tail: the
    if len(far):                                  # complements keep the digits
        pr[far] = expit(-b[far]) - expit(-a[far])
    if not np.all(pr > 0):
        return None
    ga, gb = Fa * (1 - Fa), Fb * (1 - Fb)
    ha, hb = ga * (1 - 2 * Fa), gb * (1 - 2 * Fb)
    return pr, ga, gb, ha, hb


def _loglik(w: npt.NDArray[np.float64], pieces: tuple[npt.NDArray[np.float64], ...] | None
            ) -> float:
    return -np.inf if pieces is None else float(w @ np.log(pieces[0]))


def _gradient(X: npt.NDArray[np.float64], rows: _Rows, w: npt.NDArray[np.float64],
              pieces: tuple[npt.NDArray[np.float64], ...]) -> np.ndarray:
    pr, ga, gb, _, _ = pieces
    q = rows.q
    r = -w * (ga - gb) / pr
    gz = (np.bincount(rows.y_up, (w * ga / pr)[rows.up], minlength=q)[:q]
          - np.bincount(rows.y_lo, (w * gb / pr)[rows.lo], minlength=q)[:q])
    return np.concatenate([X.T @ r, gz])


def _scores(X: npt.NDArray[np.float64], rows: _Rows, w: npt.NDArray[np.float64],
            pieces: tuple[npt.NDArray[np.float64], ...]) -> np.ndarray:
    """(n, p + q) row scores of the log-likelihood (the variance needs them row by row)."""
    pr, ga, gb, _, _ = pieces
    q = rows.q
    Z = np.zeros((len(rows.y), X.shape[1] + q))
    np.multiply(X, (-w * (ga - gb) / pr)[:, None], out=Z[:, :X.shape[1]])
    p = X.shape[1]
    at_up, at_lo = rows.cells(p + q, p)
    flat = Z.reshape(-1)  # a view: Z is C-ordered
    flat[at_up] += (w * ga / pr)[rows.up]
    flat[at_lo] -= (w * gb / pr)[rows.lo]
    return Z


def _information(X: npt.NDArray[np.float64], rows: _Rows, w: npt.NDArray[np.float64],
                 pieces: tuple[npt.NDArray[np.float64], ...]) -> np.ndarray:
    """Minus the exact Hessian of the weighted log-likelihood in (beta, zeta) (positive
    definite: each row's log-likelihood is concave in its linear predictor)."""
    pr, ga, gb, ha, hb = pieces
    p, q, y = X.shape[1], rows.q, rows.y
    up, lo = rows.up, rows.lo
    H = np.empty((p + q, p + q))
    pr2 = pr * pr
    d = ga - gb
    # in blocks on large data (no n x p temporary: newton.gram); as before, bit for bit, on small
    H[:p, :p] = newton.gram(X, np.clip(-w * ((ha - hb) / pr - d * d / pr2), 0.0, None))
    # beta x zeta: each row touches the cut above (column y) and the cut below (column y-1)
    M = np.zeros((len(y), q))
    at_up, at_lo = rows.cells(q)
    flat = M.reshape(-1)  # a view: M is C-ordered
    flat[at_up] = (w * (ha / pr - d * ga / pr2))[up]
    flat[at_lo] += (w * (-hb / pr + d * gb / pr2))[lo]
    H[:p, p:] = X.T @ M
    H[p:, :p] = H[:p, p:].T
    diag = (np.bincount(rows.y_up, (w * (-ha / pr + ga * ga / pr2))[up], minlength=q + 1)[:q]
            + np.bincount(rows.y_lo, (w * (hb / pr + gb * gb / pr2))[lo], minlength=q + 1)[:q])
    both = rows.both  # rows between two cuts: the cuts y-1 and y meet there
    off = np.bincount(rows.y_both, (-w * ga * gb / pr2)[both], minlength=q)[:q - 1]
    Hz = np.diag(diag)
    Hz[np.arange(q - 1), np.arange(1, q)] = off
    Hz[np.arange(1, q), np.arange(q - 1)] = off
    H[p:, p:] = Hz
    return H


def _start(y: npt.NDArray[Any], w: npt.NDArray[np.float64], q: int, p: int) -> np.ndarray:
    """The intercept-only fit: no effects, cut-points at the logits of the weighted
    cumulative proportions (exact for that model, and inside the concave region's interior)."""
    share = np.bincount(y, weights=w, minlength=q + 1) / w.sum()
    cum = np.clip(np.cumsum(share)[:q], 1e-10, 1 - 1e-10)
    return np.concatenate([np.zeros(p), np.log(cum / (1 - cum))])


def _warm_start(X: npt.NDArray[np.float64], y: npt.NDArray[Any], w: npt.NDArray[np.float64],
                q: int) -> np.ndarray | None:
    """The fit on an evenly spaced subsample of :data:`coprod.survey.newton.WARM_ROWS` rows,
    or None when it is no safe start: a category missing there, no convergence, or a linear
    predictor or cut-point beyond 30 (a level all in one extreme category, say)."""
    sub = newton.warm_rows(len(y))
    Xs, ys = X[sub], y[sub]
    if np.bincount(ys, minlength=q + 1).min() == 0:
        return None
    theta, converged, _ = newton_olr(Xs, ys, w[sub], q, max_iter=25)
    p = X.shape[1]
    if not converged or not np.isfinite(theta).all() or np.abs(theta[p:]).max() > 30 \
            or (p and np.abs(Xs @ theta[:p]).max() > 30):
        return None
    return theta


def newton_olr(X: npt.NDArray[np.float64], y: npt.NDArray[Any], w: npt.NDArray[np.float64],
               q: int, *, start: npt.NDArray[np.float64] | None = None, max_iter: int = 100,
               tol: float = 1e-12) -> tuple[np.ndarray, bool, int]:
    """Weighted proportional-odds MLE by Newton-Raphson with step halving (keeps the
    cut-points increasing and the log-likelihood rising); stops when the step is below
    ``tol`` relative to the estimates (quadratic convergence: the error is then far smaller).
    Without ``start``, on more than :data:`coprod.survey.newton.BLOCKED_FROM` rows it starts
    from the fit on an evenly spaced subsample, as the GLMs do (3-4 iterations instead of 6;
    the estimates differ from a start at the intercept-only fit in the last bits only)."""
    theta, converged, it, _ = _newton(X, _Rows(y, q), w, start=start, max_iter=max_iter, tol=tol)
    return theta, converged, it


def _newton(X: npt.NDArray[np.float64], rows: _Rows, w: npt.NDArray[np.float64], *,
            start: npt.NDArray[np.float64] | None = None, max_iter: int = 100,
            tol: float = 1e-12
            ) -> tuple[np.ndarray, bool, int, tuple[npt.NDArray[np.float64], ...] | None]:
    """:func:`newton_olr`, and the rows' pieces at the estimate (what the variance starts
    from: the fit does not compute them again)."""
    p, y, q = X.shape[1], rows.y, rows.q
    if start is None and len(y) > newton.BLOCKED_FROM:
        start = _warm_start(X, y, w, q)
    theta = _start(y, w, q, p) if start is None else np.array(start, dtype=float)
    pieces = _pieces(X, rows, theta)
    ll = _loglik(w, pieces)
    converged, it = False, 0
    for it in range(1, max_iter + 1):  # noqa: B007 (iterations are returned)
        if pieces is None:
            break
        g = _gradient(X, rows, w, pieces)
        H = _information(X, rows, w, pieces)
        dg = np.sqrt(np.abs(np.diag(H)))
        dg[dg == 0] = 1.0
        try:
            step = np.linalg.solve(H / np.outer(dg, dg), g / dg) / dg
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        new = theta + step
        new_pieces = _pieces(X, rows, new)
        ll_new = _loglik(w, new_pieces)
        halvings = 0
        while not ll_new >= ll - 1e-12 * (abs(ll) + 1) and halvings < 40:
            step = step / 2
            new = theta + step
            new_pieces = _pieces(X, rows, new)
            ll_new = _loglik(w, new_pieces)
            halvings += 1
        theta, ll, pieces = new, ll_new, new_pieces
        if np.max(np.abs(step) / (1.0 + np.abs(theta))) < tol:
            converged = True
            break
    return theta, converged, it, pieces


def fit_olr_matrix(X: np.ndarray, y: np.ndarray, levels: list[str], rows: np.ndarray,
                   design: Design, names: list[str], *, model_based: bool = False,
                   conf_level: float = 0.95, terms: pd.DataFrame | None = None,
                   flags: list[dict[str, Any]] | None = None, domain_rows: np.ndarray | None = None
                   ) -> SvyOlrResult:
    """Fit the proportional-odds model of category codes ``y`` (0 .. K-1) on ``X`` (no
    intercept) for the design rows ``rows`` (complete and in the domain)."""
    flags = list(flags or [])
    q = len(levels) - 1
    w = design.unit_weights[rows]  # scale-free: weights/2**e (coprod.survey.design.unit_exponent)
    p = X.shape[1]
    if len(y) == 0:
        raise ModelError("no respondents left in this sample (domain and complete cases)")
    counts = np.bincount(y, minlength=q + 1)
    empty = [lv for lv, c in zip(levels, counts) if c == 0]
    if empty:
        raise ModelError(f"the ordinal outcome has no respondents in categor"
                         f"{'y' if len(empty) == 1 else 'ies'} {', '.join(map(repr, empty))} "
                         "in this sample; every category must be observed (merge sparse "
                         "categories in the codebook)")
    if p:  # the intercept and X, column by column (np.column_stack goes row by row)
        X1 = np.empty((len(y), p + 1), order="F")
        X1[:, 0] = 1.0
        X1[:, 1:] = X
        check_rank(X1, w, ["Intercept", *names])
        del X1
    rows_ = _Rows(y, q)
    theta, converged, n_iter, pieces = _newton(X, rows_, w)
    cuts = cut_names(levels)
    all_names = [*names, *cuts]
    term_flags: dict[str, str] = {}
    apart = extreme_dummies(X, names, lambda rows: bool(np.all(y[rows] == 0)
                                                        or np.all(y[rows] == q)))
    if apart:
        flags.append({"flag": "separation",
                      "detail": f"every respondent at one level of the terms {apart} is in the "
                                "lowest (or every one in the highest) category: their "
                                "estimates diverge and are not reported. Merge sparse levels."})
        term_flags.update({t: "separation" for t in apart})
        converged = True if not converged and apart else converged
    if not converged:
        flags.append({"flag": "non_convergence",
                      "detail": f"the fit did not converge in {n_iter} iterations"})
        term_flags = {t: "not_converged" for t in all_names}
    if pieces is None:
        raise ModelError("the ordinal model has no valid estimate (cut-points not increasing)")
    H = _information(X, rows_, w, pieces)
    try:
        H_inv = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        H_inv = np.linalg.pinv(H)
    replicate = isinstance(design, ReplicateDesign)
    thetas = None
    if model_based:
        cov = H_inv * float(w.mean())  # constant weights of any value: as unweighted
        df_resid = len(y) - p - q
    elif isinstance(design, ReplicateDesign):  # (not `replicate`: the type checker narrows)
        thetas, bad = _replicate_fits(X, y, design.rows_of(rows), theta, q,
                                      design.weight_exponent)
        if bad:
            flags.append({"flag": "replicate_non_convergence",
                          "detail": f"{bad} of {design.replicates} replicate fits did not "
                                    "converge"})
        cov = design.variance(thetas, theta)
        df_resid = design.degf(rows if domain_rows is None else domain_rows) - p
    else:
        cov = H_inv @ design_cov(design, rows, _scores(X, rows_, w, pieces)) @ H_inv
        df_resid = design_df(design, rows) - p
        lonely = lonely_strata(design, rows)
        if lonely:
            flags.append({"flag": "lonely_psu",
                          "detail": f"strata with a single PSU: {lonely}; variance handled with "
                                    f"lonely_psu={design.lonely_psu!r}"})
    if df_resid < 1:
        raise ModelError(f"no residual degrees of freedom for {p} coefficients; use fewer "
                         "terms or a larger sample")
    llf = _loglik(w, pieces)
    share = np.bincount(y, weights=w, minlength=q + 1) / w.sum()
    llnull = float(w @ np.log(share[y]))
    dist.check_finite(all_names, theta, cov, term_flags, flags)
    if terms is None:
        terms = pd.DataFrame({"term": names, "model_term": names, "variable": "", "level": "",
                              "factor": "", "categorical": False})
    stats_ = {
        "n": len(y), "weighted_n": design.population_scale(float(w.sum())), "events": None,
        "clusters": None if replicate else n_distinct(design.psu[rows], len(design.psu_stratum)),
        "strata": None if replicate else n_distinct(design.stratum[rows], len(design.n_psu)),
        "df_resid": int(df_resid), "log_likelihood": design.population_scale(llf),
        "pseudo_r2": 1.0 - llf / llnull if llnull != 0 else float("nan"),
        "aic": -2.0 * design.population_scale(llf) + 2 * (p + q), "n_excluded_missing": 0,
        "converged": bool(converged),
        "n_iter": int(n_iter), "model_based": bool(model_based), "lonely_psu": design.lonely_psu,
        "deff_mean": float("nan"), "n_effective": float("nan"),
    }
    return SvyOlrResult(
        formula="", params=pd.Series(theta, index=all_names, name="estimate"),
        cov=pd.DataFrame(cov, index=all_names, columns=all_names), df_resid=int(df_resid),
        conf_level=conf_level, model_based=model_based, converged=converged, n_iter=n_iter,
        flags=flags, term_flags=term_flags, terms=terms.reset_index(drop=True), levels=levels,
        X=X, y=y, w=w, rows=rows, design=design, stats=stats_, replicate_params=thetas)


def _replicate_fits(X: npt.NDArray[np.float64], y: npt.NDArray[Any], W: npt.NDArray[np.float64],
                    theta: npt.NDArray[np.float64], q: int, exponent: int = 0
                    ) -> tuple[np.ndarray, int]:
    """The model refitted with each replicate's weights (on the full-sample weights' scale,
    divided by ``2**exponent``), from the full-sample estimate."""
    out = np.empty((W.shape[1], len(theta)))
    bad = 0
    for r in range(W.shape[1]):
        out[r], ok, _ = newton_olr(X, y, unit_column(W, r, exponent), q, start=theta)
        bad += not ok
    return out, bad


# --------------------------------------------------------------------------------------------
# Formula interface
# --------------------------------------------------------------------------------------------
def ordered_levels(column: pd.Series, name: str) -> list[str]:
    """The categories of an ordinal outcome, lowest first; it must be an ordered categorical
    (or numeric codes, taken in numeric order) with at least three levels."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        if not column.dtype.ordered:
            raise ModelError(f"ordinal outcome {name!r} has no order: declare its levels in "
                             "order (an ordered category) in the codebook")
        levels = [str(c) for c in column.cat.categories]
    elif pd.api.types.is_numeric_dtype(column.dtype):
        levels = [f"{v:g}" for v in np.sort(column.dropna().unique())]
    else:
        raise ModelError(f"ordinal outcome {name!r} has no order: it is text; declare its "
                         "levels in order in the codebook")
    return levels


def fit_svy_olr(data: pd.DataFrame, formula: str, *, design: SurveyDesign,
                domain: str | npt.ArrayLike | None = None, model_based: bool = False,
                conf_level: float = 0.95, prepared: dict[Any, Any] | None = None) -> SvyOlrResult:
    """Fit ``outcome ~ covariates`` as a design-based proportional-odds model (R's
    ``svyolr(formula, design)``); the outcome is an ordered categorical (lowest level first)
    with at least three observed levels. Rows missing a model variable leave the model, not
    the design (as R's ``na.action`` on a design).

    The engine's entry, not public: ``data`` is a frame of the design's rows (the pipeline's,
    with its own column names), so the design need not hold it. Users call
    :func:`svy_olr` ``(formula, design)``. ``prepared``: a dict the caller keeps beside
    ``data`` (never changed), where the model frame is kept for the next fit of other
    weights (:func:`coprod.survey.modelframe.kept_frame`)."""
    if not 0 < conf_level < 1:
        raise ConfigError(f"conf_level must be between 0 and 1, not {conf_level!r}")
    if design.n != len(data):
        raise ConfigError(f"the design has {design.n} rows but the data {len(data)}; build "
                          "the design from the same data")
    if model_based:
        check_model_based(design)
    whole = domain is None and design.in_domain is None
    in_domain = design.domain_rows(None if domain is None else domain_mask(data, domain))
    made = kept_frame(prepared, data, ("ordinal", formula, whole, in_domain.tobytes()),
                      lambda: _olr_frame(data, formula, whole, in_domain))
    assert made.levels is not None  # an ordinal frame's
    res = fit_olr_matrix(made.X, made.y, made.levels, made.rows, design, made.names,
                         model_based=model_based, conf_level=conf_level, terms=made.terms,
                         flags=made.flags, domain_rows=made.domain_rows)
    res.formula = formula
    res.spec, res.keep = made.spec, made.keep
    res.variables = made.variables
    res.outcome = made.outcome
    res.model_data = made.model_data
    res.stats["n_excluded_missing"] = made.n_excluded
    return res


def _olr_frame(data: pd.DataFrame, formula: str, whole: bool, in_domain: np.ndarray
               ) -> PreparedFrame:
    """What :func:`fit_svy_olr` fits of the data: everything but the weights."""
    lhs, rhs = (s.strip() for s in formula.split("~", 1))
    outcome = lhs[3:-2] if lhs.startswith("Q(") else lhs
    if outcome not in data.columns:
        raise ModelError(f"ordinal outcome {outcome!r} is not a column of the data")
    levels = ordered_levels(data[outcome], outcome)
    col = data[outcome]
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(float)
        codes[codes < 0] = np.nan
    else:
        codes = np.searchsorted(np.sort(col.dropna().unique()), col.to_numpy(dtype=float))
        codes = np.where(col.isna(), np.nan, codes.astype(float))
    code_col = "__ordinal_code__"
    frame = data.assign(**{code_col: codes})
    mf = build_model_frame(frame, f"{code_col} ~ {rhs}",
                           subset=None if whole else in_domain, binary=False)
    rows = mf.complete
    assert mf.y is not None  # a formula with an outcome
    present, y = np.unique(mf.y.astype(np.int64), return_inverse=True)
    if len(present) < 3:
        raise ModelError(f"ordinal outcome {outcome!r} has {len(present)} observed level(s) in "
                         "this sample; an ordinal model needs at least 3 (use a logit model "
                         "of a 0/1 cut)")
    terms = term_table(mf.spec)
    keep, flags = drop_empty_columns(mf.X, terms, mf.spec)
    if len(present) < len(levels):  # a category nobody in the sample gave: its cuts coincide
        empty = [lv for i, lv in enumerate(levels) if i not in set(present)]
        flags.append({"flag": "empty_category",
                      "detail": f"no respondent of this sample is in categor"
                                f"{'y' if len(empty) == 1 else 'ies'} {', '.join(empty)}; the "
                                "model uses the other categories"})
        levels = [levels[i] for i in present]
    terms = terms.iloc[keep].reset_index(drop=True)
    has_int = terms["term"].eq("Intercept")
    keep = np.asarray(keep)[~has_int.to_numpy()]
    terms = terms[~has_int].reset_index(drop=True)
    return PreparedFrame(
        X=np.asfortranarray(mf.X[:, keep]), y=y, rows=rows, names=terms["term"].tolist(),
        terms=terms, flags=flags, domain_rows=np.flatnonzero(in_domain), spec=mf.spec,
        keep=keep, variables=mf.variables, outcome=outcome,
        model_data=model_rows_data(data, mf.variables, rows),
        n_excluded=int(in_domain.sum() - len(rows)), levels=levels)


def svy_olr(formula: str, design: SurveyDesign | ReplicateDesign, *,
            domain: str | npt.ArrayLike | None = None, model_based: bool = False,
            conf_level: float = 0.95) -> SvyOlrResult:
    """Design-based proportional-odds model, as R's ``svyolr(formula, design)``.

    Parameters
    ----------
    formula : str
        ``"outcome ~ x1 + x2"``; the outcome is an ordered categorical (lowest level first;
        numeric codes are taken in numeric order) with at least three observed levels.
    design : SurveyDesign or ReplicateDesign
        A design built with its data (:func:`coprod.survey.svydesign`,
        :func:`coprod.survey.svrepdesign`, ``make_design(..., keep_data=True)``), calibrated
        or restricted to a domain as you like. Rows missing a model variable leave the model,
        not the design (as R's ``na.action`` on a design).
    domain : str or array-like, optional
        A 0/1 column or a boolean mask, the same as ``design.domain(domain)``.
    model_based : bool
        Plain (unweighted) maximum-likelihood standard errors.
    conf_level : float
        The level of the intervals of ``tidy()``.

    Returns
    -------
    SvyOlrResult
        The fitted model, in R's parameterisation ``logit P(Y <= k) = zeta_k - x'beta``:
        ``params`` (coefficients, then the cut-points ``"low|mid"``), ``cov``, ``df_resid``,
        ``conf_int()``, ``summary()`` (printed as R's ``summary(svyolr(...))``) and
        ``tidy()``, the table earlier versions returned (one row per coefficient and
        cut-point).

    Examples
    --------
    >>> design = make_design(df, psu="dnum", weights="pw", fpc="fpc", keep_data=True)
    >>> m = svy_olr("mealcat ~ avg.ed + mobility + stype", design)
    >>> m.tidy()
    """
    check_call("svy_olr", formula, design)
    # the engine's annotations name the linearisation design; a replicate design takes the
    # same path (the fit asks isinstance where they differ)
    return fit_svy_olr(design.data, formula, design=cast(SurveyDesign, design), domain=domain,
                       model_based=model_based, conf_level=conf_level)
