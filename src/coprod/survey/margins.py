"""Average marginal effects and predicted probabilities from a design-based logistic model.

Why: odds ratios are hard to read and not comparable across models with different baseline
rates; effects on the probability scale ("women are 4 points more likely to take part") are
what the report shows. Both quantities are weighted averages over the model's (domain) sample,
so they estimate population averages. Standard errors use the delta method: the gradient of
the weighted average with respect to the coefficients times the design-based covariance. They
treat the covariate distribution of the sample as fixed (as Stata's ``margins`` default does);
they do not add the sampling variability of the covariates themselves.
"""
from __future__ import annotations

import functools
import itertools
import weakref
from collections.abc import Callable, Sequence
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit, logit

from ..errors import ModelError
from . import dist
from .counterfactual import Change, Columns
from .counterfactual import Counterfactual as Counterfactual  # re-exported: effectsize's
from .glm import SvyLogitResult
from .modelframe import categorical_factors, row_local  # noqa: F401 (row_local re-exported)
from .ordinal import SvyOlrResult

_Fit = SvyLogitResult | SvyOlrResult  # a fit of the logistic family or an ordinal one

Grid = dict[str, list[Any]]  # variable -> the values to set it to

_AME_COLUMNS = ["variable", "contrast", "estimate", "std_error", "df_resid", "statistic",
                "p_value", "conf_low", "conf_high", "flag"]


def _require_spec(result: _Fit) -> None:
    if result.spec is None or result.model_data is None:
        raise ModelError("margins need a result of svy_glm, svy_logit or svy_poisson (a "
                         "formula fit)")


def variable_kinds(result: _Fit) -> dict[str, dict[str, Any]]:
    """Each right-hand-side variable: "categorical" (levels, reference), "binary" (numeric 0/1,
    effect of 1 vs 0) or "continuous" (derivative). Worked out once per fit (a pass over each
    numeric column; the effect sizes, the AMEs and every prediction grid ask)."""
    _require_spec(result)
    store = _data_memo(result)
    if "kinds" not in store:
        store["kinds"] = _variable_kinds(result)
    return {v: {k: (list(x) if isinstance(x, list) else x) for k, x in info.items()}
            for v, info in store["kinds"].items()}


def _variable_kinds(result: _Fit) -> dict[str, dict[str, Any]]:
    assert result.model_data is not None  # _require_spec
    spec = result.spec
    cats = categorical_factors(spec)
    kinds: dict[str, dict[str, Any]] = {}
    for v in result.variables:
        info = None
        for factor, fvars in spec.factor_variables.items():
            if v in fvars and str(factor) in cats:
                info = cats[str(factor)]
                break
        if info is not None:
            kinds[v] = {"kind": "categorical", "levels": info["levels"],
                        "reference": info["reference"]}
            continue
        col = result.model_data[v]
        vals = pd.unique(col.to_numpy(dtype=float))
        if set(vals.tolist()) <= {0.0, 1.0} and len(vals) == 2:
            kinds[v] = {"kind": "binary", "levels": [0, 1], "reference": 0}
        else:
            kinds[v] = {"kind": "continuous"}
    return kinds


# --------------------------------------------------------------------------------------------
# Reuse within one fit
# --------------------------------------------------------------------------------------------
# Why: a model job asks the same counterfactual averages more than once -- the effect sizes
# (coprod.pipeline.effectsize) average the predictions at every level of a category and take the
# derivative of every numeric covariate, and the AMEs then ask for exactly the same lists --
# each a few passes over the model matrix (seconds on a million rows). Kept per fit (freed with
# it), keyed by the request, the coefficients and the weights, so a repeat returns the very
# arrays the first call computed (read-only), and the numbers cannot differ.
_MEMO: dict[int, dict[Any, Any]] = {}


def _memo(result: _Fit) -> dict[Any, Any]:
    key = id(result)
    store = _MEMO.get(key)
    if store is None:
        store = _MEMO[key] = {}
        weakref.finalize(result, _MEMO.pop, key, None)
    return store


# What the margins take of a fit's data alone -- its variables' kinds, the groups of distinct
# rows, each request's counterfactual columns -- depends on the model data, the spec and the
# kept columns, not on the coefficients or the weights: kept for every fit of the very same
# objects (the fits of one model frame with other weights share them, a specification curve's
# weighted and unweighted models: coprod.survey.modelframe.kept_frame), freed with the data.
_DATA_MEMO: dict[int, tuple[Any, Any, Any, dict[Any, Any]]] = {}


def _data_memo(result: _Fit) -> dict[Any, Any]:
    md = result.model_data
    if md is None:  # (no data: nothing to share)
        return {}
    key = id(md)
    hit = _DATA_MEMO.get(key)
    if hit is not None and hit[0]() is md and hit[1] is result.spec and hit[2] is result.keep:
        return hit[3]
    store: dict[Any, Any] = {}
    if hit is None or hit[0]() is not md:  # (another fit's spec of the same data: replaced)
        weakref.finalize(md, _DATA_MEMO.pop, key, None)
    _DATA_MEMO[key] = (weakref.ref(md), result.spec, result.keep, store)
    return store


def counterfactual(result: _Fit) -> Counterfactual:
    """A :class:`Counterfactual` of the fit that shares the fit's groups of distinct rows with
    the others (the store holds no reference to the fit itself, so it is freed with it)."""
    cf = Counterfactual(result)
    cf._groups = _data_memo(result).setdefault("groups", cf._groups)
    return cf


Request = tuple[list[Change], str | None]  # (changes, shift) as Counterfactual.columns_many


def _request_key(request: Request) -> tuple[Any, ...]:
    changes, shift = request
    return (shift, tuple(tuple((k, type(v).__name__, repr(v)) for k, v in ch.items())
                         for ch in changes))


def _key(name: str, theta: np.ndarray, w: np.ndarray, request: Request,
         fit: tuple[Any, ...] | None = None) -> tuple[Any, ...]:
    """A job's key in the fit's store; ``fit``: :func:`_fit_key` of ``theta`` and ``w``, when
    the caller has it (one per call of :func:`averages`, not one per job)."""
    return (name, *(fit or _fit_key(theta, w)), _request_key(request))


def _fit_key(theta: np.ndarray, w: np.ndarray) -> tuple[Any, ...]:
    return (theta.tobytes(), len(w), float(w.sum()))


def known(result: _Fit, theta: np.ndarray, w: np.ndarray, request: Request, name: str
          ) -> Any:
    """What :func:`averages` has already computed for the job ``(request, name)``, or None."""
    return _memo(result).get(_key(name, theta, w, request))


def averages(result: _Fit, theta: np.ndarray, w: np.ndarray,
             jobs: list[tuple[Request, str, Callable[[list[Columns]], Any]]]) -> list[Any]:
    """For each job ``(request, name, compute)``: ``compute(columns)`` of the request's
    counterfactual columns (``name`` says what ``compute`` is: "average", "derivative" or
    "ordinal"), each at most once per fit, coefficients ``theta`` and weights ``w``; the
    columns of those not yet known from one call of :meth:`Counterfactual.columns_many`
    (kept for the fits of the same data, :func:`_data_memo`)."""
    store = _memo(result)
    fit = _fit_key(theta, w)
    keys = [_key(name, theta, w, request, fit) for request, name, _ in jobs]
    todo = [i for i, k in enumerate(keys) if k not in store]
    if todo:
        shared = _data_memo(result)
        wanted = [("columns", _request_key(jobs[i][0])) for i in todo]
        new = list(dict.fromkeys(k for k in wanted if k not in shared))
        if new:
            at = {k: i for k, i in zip(wanted, todo)}
            for k, cols in zip(new, counterfactual(result).columns_many(
                    [jobs[at[k]][0] for k in new])):
                for part in cols:  # shared by the fits of the data: never changed in place
                    for a in part:
                        if isinstance(a, np.ndarray):
                            a.flags.writeable = False
                shared[k] = cols
        for i, k in zip(todo, wanted):
            cols = shared[k]
            value = jobs[i][2](cols)
            for a in value if isinstance(value, tuple) else (value,):
                if isinstance(a, np.ndarray):
                    a.flags.writeable = False  # shared by the callers: never changed in place
            store[keys[i]] = value
    return [store[k] for k in keys]


def slopes(result: SvyLogitResult, beta: np.ndarray, w: np.ndarray
           ) -> Callable[[float, list[Columns]], tuple[float, np.ndarray]]:
    """:func:`_derivative` with the fit's mean and variance at ``beta`` worked out on first use
    (a pass over the model matrix that a fit whose every derivative is known skips)."""
    at: list[np.ndarray] = []

    def slope(h: float, columns: list[Columns]) -> tuple[float, np.ndarray]:
        if not at:
            mu = result.family.mean(result.X @ beta)
            at.extend((mu, result.family.variance(mu)))
        return _derivative(result, beta, w, at[0], at[1], columns, h)
    return slope


def _scatter(C: np.ndarray, inv: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    """Per-respondent ``C @ b`` (``C`` on distinct rows, ``inv`` mapping rows to them)."""
    out = cast(np.ndarray, C @ b)
    return out if inv is None else out[inv]


def _sums(C: np.ndarray, inv: np.ndarray | None, v: np.ndarray) -> np.ndarray:
    """``v @ C_full`` (``C_full = C[inv]``) without building ``C_full``."""
    if inv is None:
        return cast(np.ndarray, v @ C)
    return cast(np.ndarray, np.bincount(inv, weights=v, minlength=C.shape[0]) @ C)


def _average_predictions(result: SvyLogitResult, beta: np.ndarray, w: np.ndarray,
                         cfs: list[Columns],
                         batch: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """For each counterfactual (all changing the same columns): the weighted average predicted
    probability ``w @ mu`` and its gradient in beta, ``(w * mu * (1 - mu)) @ X_cf``. The
    gradients of a batch come from one matrix product, i.e. one pass over ``X``."""
    X = result.X
    other = _other_part(result, beta, cfs[0][0])
    pbar = np.empty(len(cfs))
    G = np.empty((len(cfs), X.shape[1]))
    for start in range(0, len(cfs), batch):
        part = cfs[start:start + batch]
        Vm = np.empty((len(part), X.shape[0]))
        for i, (cols, C, inv) in enumerate(part):
            mu = result.family.mean(other + _scatter(C, inv, beta[cols]))
            pbar[start + i] = w @ mu
            np.multiply(w, result.family.variance(mu), out=Vm[i])
        G[start:start + len(part)] = Vm @ X
        for i, (cols, C, inv) in enumerate(part):
            G[start + i, cols] = _sums(C, inv, Vm[i])
    return pbar, G


def _other_part(result: _Fit, beta: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``X @ beta`` without the columns ``cols`` (the part a counterfactual leaves as is)."""
    b = beta.copy()
    b[cols] = 0.0
    return cast(np.ndarray, result.X @ b)


def _inference(est: npt.ArrayLike, se: npt.ArrayLike, result: _Fit) -> dict[str, Any]:
    return dist.wald(est, se, result.df_resid, result.conf_level, result.model_based)


def _derivative(result: SvyLogitResult, beta: np.ndarray, w: np.ndarray, mu: np.ndarray,
                s: np.ndarray, columns: Sequence[Columns], h: float
                ) -> tuple[float, np.ndarray]:
    """A continuous variable's average marginal effect ``w @ (s * dlin)`` and its gradient in
    beta, from the columns of the variable shifted by +h and -h (``columns``; the derivative
    of X is zero outside the columns of the terms that involve the variable). Shared with
    :mod:`coprod.pipeline.effectsize`, so an effect per SD is exactly ame.csv's effect times the
    SD."""
    (cols, Cp, inv), (_, Cm, _) = columns
    dC = (Cp - Cm) / (2 * h)
    dlin = _scatter(dC, inv, beta[cols])
    est = w @ (s * dlin)
    grad = (w * s * result.family.curvature(mu) * dlin) @ result.X
    grad[cols] += _sums(dC, inv, w * s)
    return est, grad


def _separated_variables(result: SvyLogitResult) -> set[str]:
    flagged = {t for t, f in result.term_flags.items() if "separation" in f}
    out: set[str] = set()
    for _, row in result.terms.iterrows():
        if row["term"] in flagged:
            out.update(v for v in row["variable"].split(":") if v)
    return out


def average_marginal_effects(result: _Fit, variables: list[str] | None = None
                             ) -> pd.DataFrame:
    """Weighted average marginal effects on the probability scale with delta-method SEs.

    Continuous variables: the average derivative dP/dx ("per unit"). Categorical variables: the
    average difference in predicted probability between each level and the reference level,
    everyone else's covariates unchanged ("woman vs man"). Numeric 0/1 variables: "1 vs 0".
    Tests and intervals use t on the model's df (normal for model-based fits).
    """
    if isinstance(result, SvyOlrResult):  # the effects on each category's probability
        return ordinal_marginal_effects(result, variables)
    _require_spec(result)
    kinds = variable_kinds(result)
    variables = list(kinds) if variables is None else list(variables)
    unknown = [v for v in variables if v not in kinds]
    if unknown:
        raise ModelError(f"variables {unknown} are not on the right-hand side of "
                         f"{result.formula!r} (model variables: {list(kinds)})")
    beta = result.params.to_numpy()
    V = result.cov.to_numpy()
    w = result.w / result.w.sum()
    md = result.model_data
    assert md is not None  # _require_spec
    separated = _separated_variables(result)
    slope = slopes(result, beta, w)
    # the counterfactual columns every variable needs, from one call of the formula engine
    jobs: list[tuple[Request, str, Callable[[list[Columns]], Any]]] = []
    plan: dict[str, Any] = {}  # var -> its step h (continuous) or its levels
    for var in variables:
        if kinds[var]["kind"] == "continuous":
            x = md[var].to_numpy(dtype=float)
            h = 1e-4 * (np.std(x) if np.std(x) > 0 else 1.0)
            jobs.append((([{var: h}, {var: -h}], var), "derivative",
                         functools.partial(slope, h)))
            plan[var] = h
        else:
            ref = kinds[var]["reference"]
            col = md[var]
            if isinstance(col.dtype, pd.CategoricalDtype):
                codes = np.unique(col.cat.codes.to_numpy())
                present = set(col.cat.categories[codes[codes >= 0]])
            else:
                present = set(col.dropna().astype(object))
            levels = [lv for lv in kinds[var]["levels"]  # an empty level has no effect to report
                      if lv != ref and lv in present]
            jobs.append((([{var: ref}] + [{var: lv} for lv in levels], None), "average",
                         lambda cols: _average_predictions(result, beta, w, cols)))
            plan[var] = levels
    done = dict(zip(variables, averages(result, beta, w, jobs)))
    rows = []
    for var in variables:
        if kinds[var]["kind"] == "continuous":
            slope_, grad = done[var]
            rows.append((var, "per unit", slope_, grad))
        else:
            ref = kinds[var]["reference"]
            pbar, G = done[var]
            for i, level in enumerate(plan[var], start=1):
                rows.append((var, f"{level} vs {ref}", pbar[i] - pbar[0], G[i] - G[0]))
    if not rows:
        return pd.DataFrame(columns=_AME_COLUMNS)
    est = np.array([r[2] for r in rows])
    G = np.array([r[3] for r in rows])
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", G, V, G), 0, None))
    inf = _inference(est, se, result)
    out = pd.DataFrame({"variable": [r[0] for r in rows], "contrast": [r[1] for r in rows],
                        "estimate": est, "std_error": se, "df_resid": result.df_resid,
                        **{k: inf[k] for k in ("statistic", "p_value", "conf_low", "conf_high")}})
    out["flag"] = ["separation" if v in separated else "" for v in out["variable"]]
    return out[_AME_COLUMNS]


def _check_grid(result: _Fit, grid: Grid) -> None:
    """Every grid variable is on the model's right-hand side, every category value a level."""
    _require_spec(result)
    kinds = variable_kinds(result)
    for var, values in grid.items():
        if var not in kinds:
            raise ModelError(f"grid variable {var!r} is not on the right-hand side of "
                             f"{result.formula!r} (model variables: {list(kinds)})")
        if kinds[var]["kind"] == "categorical":
            bad = [v for v in values if v not in kinds[var]["levels"]]
            if bad:
                raise ModelError(f"grid values {bad} are not levels of {var!r} "
                                 f"(levels: {kinds[var]['levels']})")


def predict_margins(result: SvyLogitResult, grid: Grid) -> pd.DataFrame:
    """Average predicted probability with every respondent set to each combination of ``grid``.

    E.g. ``{"age": [20, 40, 60], "gender": ["man", "woman"]}`` gives six rows. Each is the
    weighted mean over the model's sample of P(y=1) with those variables fixed and the others
    as observed. The interval is computed on the logit of the average and transformed back, so
    it stays inside [0, 1]; ``std_error`` is the delta-method SE on the probability scale. An
    empty grid gives the sample's own average predicted probability.
    """
    _check_grid(result, grid)
    beta = result.params.to_numpy()
    V = result.cov.to_numpy()
    w = result.w / result.w.sum()
    names = list(grid)
    combos = list(itertools.product(*(list(grid[v]) for v in names)))
    if names:
        request = ([dict(zip(names, combo)) for combo in combos], None)
        pbar, G = averages(result, beta, w, [(request, "average", lambda cfs: _average_predictions(
            result, beta, w, cfs))])[0]
    else:
        mu = result.family.mean(result.X @ beta)
        pbar, G = (np.array([w @ mu]),
                   ((w * result.family.variance(mu)) @ result.X)[None, :])
    pred = np.array([float(x) for x in pbar])
    se = np.array([float(np.sqrt(max(g @ V @ g, 0.0))) for g in G])
    q = _inference(pred, se, result)["q"]
    fam = result.family
    se_link = se / fam.variance(pred)  # the delta method on the link scale (logit or log)
    out = pd.DataFrame(combos, columns=names)
    out["predicted"] = pred
    out["std_error"] = se
    out["conf_low"] = fam.mean(fam.link(pred) - q * se_link)
    out["conf_high"] = fam.mean(fam.link(pred) + q * se_link)
    out["flag"] = "separation" if any(f["flag"] == "separation" for f in result.flags) else ""
    return out


# --------------------------------------------------------------------------------------------
# Ordinal models: the probability of each category
# --------------------------------------------------------------------------------------------
def _ordinal_average(result: SvyOlrResult, theta: np.ndarray, w: np.ndarray, cfs: list[Columns],
                     top: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """For each counterfactual: the weighted average probability of each category, (c, K),
    and its gradient in (beta, zeta), (c, K, p + q); with ``top``, the gradient of the highest
    category's alone, (c, 1, p + q) (what the effect sizes use: a pass over the model matrix
    per category saved)."""
    p = result.n_coef
    beta, zeta = theta[:p], theta[p:]
    q = len(zeta)
    X = result.X
    other = _other_part(result, beta, cfs[0][0]) if len(cfs[0][0]) else X @ beta
    pbar = np.empty((len(cfs), q + 1))
    G = np.empty((len(cfs), 1 if top else q + 1, p + q))
    probs = np.empty((len(other), q + 1))
    for i, (cols, C, inv) in enumerate(cfs):
        eta = other + (_scatter(C, inv, beta[cols]) if len(cols) else 0.0)
        cum = expit(zeta[None, :] - eta[:, None])                    # (n, q)
        dens = cum * (1 - cum)                                        # f at each cut
        # P_k = F_k - F_(k-1) with F_0 = 0 and F_K = 1, each difference taken as written
        # (the very operations of np.diff on the padded array, without building it)
        np.subtract(cum[:, 0], 0.0, out=probs[:, 0])
        np.subtract(cum[:, 1:], cum[:, :-1], out=probs[:, 1:q])
        np.subtract(1.0, cum[:, q - 1], out=probs[:, q])
        pbar[i] = w @ probs
        for k in range(q if top else 0, q + 1):
            # dP_k / d eta = -(f_k - f_(k-1)), f_0 = f_K = 0, as written
            lo = dens[:, k - 1] if k > 0 else 0.0
            hi = dens[:, k] if k < q else 0.0
            v = w * -np.subtract(hi, lo)
            g = v @ X
            if len(cols):
                g[cols] = _sums(C, inv, v)
            at = 0 if top else k
            G[i, at, :p] = g
            G[i, at, p:] = 0.0
            if k < q:
                G[i, at, p + k] += w @ dens[:, k]
            if k > 0:
                G[i, at, p + k - 1] -= w @ dens[:, k - 1]
    return pbar, G


def _ordinal_rows(result: SvyOlrResult, keys: list[tuple[str, str, Any]], est: np.ndarray,
                  G: np.ndarray) -> pd.DataFrame:
    V = result.cov.to_numpy()
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", G, V, G), 0, None))
    inf = _inference(est, se, result)
    out = pd.DataFrame(keys, columns=["variable", "contrast", "category"])
    out["estimate"] = est
    out["std_error"] = se
    out["df_resid"] = result.df_resid
    for k in ("statistic", "p_value", "conf_low", "conf_high"):
        out[k] = inf[k]
    out["flag"] = ""
    return out


def ordinal_marginal_effects(result: SvyOlrResult, variables: list[str] | None = None
                             ) -> pd.DataFrame:
    """Average marginal effects on the probability of each category of an ordinal model
    (columns as :func:`average_marginal_effects` plus ``category``): the average derivative
    for continuous variables (a central difference of the average predictions, step 1e-4 of
    the variable's SD), the difference from the reference level otherwise; delta-method SEs.
    The effects on the K categories sum to zero."""
    _require_spec(result)
    kinds = variable_kinds(result)
    variables = list(kinds) if variables is None else list(variables)
    theta = result.params.to_numpy()
    w = result.w / result.w.sum()
    md = result.model_data
    assert md is not None  # _require_spec
    def average(cfs: list[Columns]) -> tuple[np.ndarray, np.ndarray]:
        return _ordinal_average(result, theta, w, cfs)

    jobs: list[tuple[Request, str, Callable[[list[Columns]], Any]]] = []
    plan: dict[str, Any] = {}  # var -> its step h (continuous) or its levels
    for var in variables:
        if kinds[var]["kind"] == "continuous":
            x = md[var].to_numpy(dtype=float)
            h = 1e-4 * (np.std(x) if np.std(x) > 0 else 1.0)
            jobs.append((([{var: h}, {var: -h}], var), "ordinal", average))
            plan[var] = h
        else:
            ref = kinds[var]["reference"]
            present = set(md[var].dropna().astype(object)) if not isinstance(
                md[var].dtype, pd.CategoricalDtype) else set(md[var].dropna().unique())
            levels = [lv for lv in kinds[var]["levels"] if lv != ref and lv in present]
            jobs.append((([{var: ref}] + [{var: lv} for lv in levels], None), "ordinal",
                         average))
            plan[var] = levels
    keys, ests, grads = [], [], []
    for var, (pbar, G) in zip(variables, averages(result, theta, w, jobs)):
        if kinds[var]["kind"] == "continuous":
            h = plan[var]
            for k, cat in enumerate(result.levels):
                keys.append((var, "per unit", cat))
                ests.append((pbar[0, k] - pbar[1, k]) / (2 * h))
                grads.append((G[0, k] - G[1, k]) / (2 * h))
        else:
            ref = kinds[var]["reference"]
            for i, level in enumerate(plan[var], start=1):
                for k, cat in enumerate(result.levels):
                    keys.append((var, f"{level} vs {ref}", cat))
                    ests.append(pbar[i, k] - pbar[0, k])
                    grads.append(G[i, k] - G[0, k])
    if not keys:
        return pd.DataFrame(columns=[*_AME_COLUMNS[:2], "category", *_AME_COLUMNS[2:]])
    return _ordinal_rows(result, keys, np.array(ests), np.array(grads))


def ordinal_predictions(result: SvyOlrResult, grid: Grid) -> pd.DataFrame:
    """Average predicted probability of each category with every respondent set to each
    combination of ``grid`` (one row per combination and category); intervals on the logit
    scale, as :func:`predict_margins`."""
    _check_grid(result, grid)
    theta = result.params.to_numpy()
    w = result.w / result.w.sum()
    names = list(grid)
    combos = list(itertools.product(*(list(grid[v]) for v in names)))
    if names:
        request = ([dict(zip(names, c)) for c in combos], None)
        pbar, G = averages(result, theta, w, [(request, "ordinal", lambda cfs: _ordinal_average(
            result, theta, w, cfs))])[0]
    else:
        combos = [()]
        pbar, G = _ordinal_average(result, theta, w,
                                   [(np.zeros(0, dtype=np.int64), np.zeros((1, 0)), None)])
    V = result.cov.to_numpy()
    rows = []
    for i, combo in enumerate(combos):
        for k, cat in enumerate(result.levels):
            g = G[i, k]
            rows.append((*combo, cat, pbar[i, k], float(np.sqrt(max(g @ V @ g, 0.0)))))
    out = pd.DataFrame(rows, columns=[*names, "category", "predicted", "std_error"])
    pred, se = out["predicted"].to_numpy(), out["std_error"].to_numpy()
    q = _inference(pred, se, result)["q"]
    se_logit = se / (pred * (1 - pred))
    out["conf_low"] = expit(logit(pred) - q * se_logit)
    out["conf_high"] = expit(logit(pred) + q * se_logit)
    out["flag"] = ""
    return out


# the counterfactual machinery coprod.pipeline.effectsize shares (public names: the interface
# between modules; Counterfactual is imported above from coprod.survey.counterfactual), so an
# effect size is computed by the same code as ame.csv
average_predictions = _average_predictions
ordinal_average = _ordinal_average
derivative = _derivative
require_spec = _require_spec
