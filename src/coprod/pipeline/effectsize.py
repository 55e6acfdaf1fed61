"""Effect sizes per standard deviation and which covariate is the strongest (the rule of
:data:`coprod.pipeline.effectrule.EFFECT_RULE`), with delta-method standard errors.

Why here and at the model stage: the sizes are averages of counterfactual predictions over the
model's respondents, which only the fit has; downstream stages read the table.

* numeric covariate: E = AME x SD, the average marginal effect exactly as
  :func:`coprod.survey.margins.average_marginal_effects` computes it (the same code), times the
  design-weighted SD of the covariate among the model's rows; signed.
* categorical covariate (and a numeric 0/1 one), as a whole: with m_l the average prediction
  with everyone set to level l and s_l the weighted share of level l among the model's rows,
  E = sqrt(sum_l s_l (m_l - mbar)^2), mbar = sum_l s_l m_l. Its gradient is
  sum_l s_l (m_l - mbar) dm_l / E (the mbar term drops out: the deviations sum to 0). For two
  levels E = |m_1 - m_0| sqrt(s_0 s_1) = |AME| x SD of the indicator. The shares are fixed.
* the comparison: the largest |E| against each other, d = |E_top| - |E_k|, its SE from
  g C g' with C = G V G' (V the fit's design-based covariance), t on the model's df.

Scales: a logit model's probability; a count model's expected count; an ordinal model's
probability of the highest category. The SDs treat the sample's covariates as fixed, as the
AMEs do.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..survey import dist
from ..survey.glm import SvyLogitResult
from ..survey.margins import (  # Counterfactual, derivative: still its names (coprod.compat)
    Counterfactual,  # noqa: F401
    average_predictions,
    averages,
    derivative,  # noqa: F401
    known,
    ordinal_average,
    require_spec,
    slopes,
    variable_kinds,
)
from ..survey.ordinal import SvyOlrResult
from .effectrule import EFFECT_COLUMNS, SCALES, is_zero
from .estimable import BLOCKING_FLAGS

#: fit flags under which nothing is compared (the estimates support nothing): the project's one
#: rule of "not estimable" (coprod.pipeline.estimable)
FLAGGED_NOTE = "not compared: the model is flagged ("


def _present(col: pd.Series, levels: list) -> list:
    """The levels that some respondent of the model has (an empty level has no share)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.array.codes
        seen = np.zeros(len(col.array.categories), dtype=bool)
        seen[codes[codes >= 0]] = True
        # the categories as a list: iterating a text Index goes value by value through arrow
        there = {c for c, s in zip(col.array.categories.tolist(), seen) if s}
    else:
        there = set(col.dropna().astype(object))
    return [lv for lv in levels if lv in there]


def _shares(col: pd.Series, levels: list, w: np.ndarray) -> np.ndarray:
    """The weight of each level (the same rows summed in the same order whichever way they
    are found: a categorical's codes, a pass over integers, or the values themselves)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.array.codes
        where = {lv: i for i, lv in enumerate(col.array.categories.tolist())}
        return np.array([float(w[codes == where[lv]].sum()) if lv in where else 0.0
                         for lv in levels])
    if isinstance(col.dtype, np.dtype) and col.dtype.kind in "biuf":
        values = col.to_numpy()  # numbers compared as numbers: the same rows as objects
    else:
        values = col.astype(object).to_numpy()
    return np.array([float(w[values == lv].sum()) for lv in levels])


def _computations(result: SvyLogitResult | SvyOlrResult, theta: np.ndarray, w: np.ndarray
                  ) -> dict[str, Any]:
    """name -> f(columns, h) of margins.averages for this fit: the code of ame.csv."""
    if isinstance(result, SvyOlrResult):
        olr = result
        return {"ordinal": lambda cols, h: ordinal_average(olr, theta, w, cols),
                "ordinal_top": lambda cols, h: ordinal_average(olr, theta, w, cols, top=True)}
    slope = slopes(result, theta, w)
    return {"derivative": lambda cols, h: slope(h, cols),
            "average": lambda cols, h: average_predictions(result, theta, w, cols)}


def effect_sizes(result: SvyLogitResult | SvyOlrResult, exclude: tuple = (), joint: bool = True
                 ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Each right-hand-side variable's size E (``exclude`` aside): a frame (variable, kind,
    sd, joint_p), the sizes (k,) and their gradients in the fit's parameters (k, p).
    ``joint``: the joint tests of the categories' levels (:func:`_levels_differ`; else their
    p-values NaN: an imputed dataset after the first, whose sizes alone Rubin's rules read)."""
    require_spec(result)
    md = result.model_data
    assert md is not None  # require_spec
    kinds = variable_kinds(result)
    variables = [v for v in result.variables if v not in set(exclude)]
    w = result.w / result.w.sum()
    theta = result.params.to_numpy()
    # the same requests as the AMEs' (margins.averages): a fit's AMEs then reuse these
    ordinal = isinstance(result, SvyOlrResult)
    compute = _computations(result, theta, w)
    jobs: list[tuple[Any, str, Any]] = []
    plan: dict[str, Any] = {}
    col = {var: md[var] for var in variables}  # each column looked up once
    xs = {var: col[var].to_numpy(dtype=float) for var in variables
          if kinds[var]["kind"] == "continuous"}
    for var in variables:
        if kinds[var]["kind"] == "continuous":
            x = xs[var]
            sd_x = np.std(x)
            h = 1e-4 * (sd_x if sd_x > 0 else 1.0)  # margins' step
            request: tuple[list[dict], str | None] = ([{var: h}, {var: -h}], var)
            plan[var] = h
        else:
            levels = _present(col[var], kinds[var]["levels"])
            request = ([{var: lv} for lv in levels], None)
            plan[var] = levels
        name = "ordinal" if ordinal else \
            "derivative" if kinds[var]["kind"] == "continuous" else "average"
        if ordinal and known(result, theta, w, request, name) is None:
            name = "ordinal_top"  # the AMEs' averages of every category are not there
        jobs.append((request, name, functools.partial(compute[name], h=plan[var])))
    done = dict(zip(variables, averages(result, theta, w, jobs)))
    info, est, grads = [], [], []
    V = result.cov.to_numpy(dtype=float)
    for var in variables:
        if kinds[var]["kind"] == "continuous":
            x = xs[var]
            sd = float(np.sqrt(max(w @ (x - w @ x) ** 2, 0.0)))
            if ordinal:  # central differences, as margins' ordinal
                pbar, G = done[var]
                h = plan[var]
                ame, g = (pbar[0, -1] - pbar[1, -1]) / (2 * h), (G[0, -1] - G[1, -1]) / (2 * h)
            else:
                ame, g = done[var]
            info.append((var, "numeric", sd, np.nan))
            est.append(ame * sd)
            grads.append(g * sd)
            continue
        levels = plan[var]
        if ordinal:  # the highest category
            pbar3, G3 = done[var]
            m, G = pbar3[:, -1], G3[:, -1, :]
        else:
            m, G = done[var]
        share = _shares(col[var], levels, w)
        share = share / share.sum()
        dev = m - share @ m
        e = float(np.sqrt(max(share @ dev ** 2, 0.0)))
        info.append((var, "factor", np.nan,
                     _levels_differ(m, G, V, result) if joint else np.nan))
        est.append(e)
        grads.append((share * dev) @ G / e if not is_zero(e) else np.full(G.shape[1], np.nan))
    p = len(theta)
    return (pd.DataFrame(info, columns=["variable", "kind", "sd", "joint_p"]),
            np.array(est, dtype=float),
            np.array(grads, dtype=float).reshape(len(est), p))


def _levels_differ(m: np.ndarray, G: np.ndarray, V: np.ndarray,
                   result: SvyLogitResult | SvyOlrResult) -> float:
    """The p-value of the Wald test that a category's average predictions are all equal (its
    levels make no difference), on the fit's own covariance: F on (levels - 1, df) as
    regTermTest, chi-square for model-based errors.

    Why: a category's spread adds the noise of every level, so with many levels and no
    effect it is biased upward and its own interval excludes 0; without this gate a 20-level
    category of pure noise was called the strongest in half of simulated surveys. A category
    is the strongest only when this test rejects too."""
    L = len(m)
    if L < 2:
        return float("nan")
    A = np.hstack([np.eye(L - 1), -np.ones((L - 1, 1))])
    d = A @ m
    S = A @ G @ V @ G.T @ A.T
    try:
        stat = float(d @ np.linalg.solve(S, d))
    except np.linalg.LinAlgError:
        return float("nan")
    if not np.isfinite(stat):
        return float("nan")
    if result.model_based or not np.isfinite(result.df_resid):
        return float(dist.chi2_sf(stat, L - 1))
    return float(dist.f_sf(stat / (L - 1), L - 1, result.df_resid))


def blocked_reason(result: SvyLogitResult | SvyOlrResult) -> str:
    """Why nothing is compared in this fit, or ''."""
    found = [f for f in result.flags if f["flag"] in BLOCKING_FLAGS]
    if not result.converged and not any(f["flag"] == "non_convergence" for f in found):
        found.append({"flag": "non_convergence", "detail": "the fit did not converge"})
    return "; ".join(f"{f['flag'].replace('_', ' ')}: {f['detail']}" for f in found)


def effect_arrays(result: SvyLogitResult | SvyOlrResult, exclude: tuple = (),
                  joint: bool = True) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """The sizes of :func:`effect_sizes` and their covariance C = G V G' (a size whose
    gradient is not finite: its row and column NaN), nothing judged yet: what an imputed
    dataset's fit gives Rubin's rules."""
    info, est, G = effect_sizes(result, exclude, joint)
    V = result.cov.to_numpy()
    ok = np.all(np.isfinite(G), axis=1)
    Gz = np.where(ok[:, None], G, 0.0)
    C = Gz @ V @ Gz.T
    C[~ok, :] = np.nan
    C[:, ~ok] = np.nan
    return info, est, C


def covariate_effects(result: SvyLogitResult | SvyOlrResult, *, exclude: tuple = (),
                      labels: dict | None = None,
                      arrays: tuple[pd.DataFrame, np.ndarray, np.ndarray] | None = None
                      ) -> pd.DataFrame:
    """The effects table of one fit (:data:`coprod.pipeline.effectrule.EFFECT_COLUMNS` without
    outcome
    and sample), its rows' covariance C = G V G' in ``attrs["cov"]`` (nested tuples; what
    Rubin's rules combine across imputed datasets). ``arrays``: the fit's
    :func:`effect_arrays` (of the same ``exclude``) when the caller has them already."""
    info, est, C = effect_arrays(result, exclude) if arrays is None else arrays
    family = "ordinal" if isinstance(result, SvyOlrResult) else result.family.name
    out = judge(info, est, C, df=result.df_resid, conf_level=result.conf_level,
                model_based=result.model_based, blocked=blocked_reason(result),
                scale=SCALES.get(family, family))
    out["label"] = [str((labels or {}).get(v, v)) for v in out["variable"]]
    # a tuple, not an array: pandas compares attrs when it joins frames
    out.attrs["cov"] = tuple(map(tuple, C.tolist()))
    out.attrs["df_resid"] = float(result.df_resid)  # the complete-data df of Rubin's rules
    return out


def judge(info: pd.DataFrame, est: np.ndarray, C: np.ndarray, *, df: float,
          conf_level: float, model_based: bool = False, blocked: str = "",
          scale: str = "probability", intervals: dict | None = None,
          rank_sizes: np.ndarray | None = None) -> pd.DataFrame:
    """Rank the sizes and compare the largest with each other (the rule). ``intervals``:
    the sizes' and the differences' (estimate, SE, low, high) already combined (imputed data),
    keyed "effect" and "diff" (by variable); without it Wald intervals from ``C``. Built on
    arrays, one frame at the end (a specification curve judges thousands of fits)."""
    k = len(est)
    names = [str(v) for v in info["variable"]]
    se = np.sqrt(np.clip(np.diag(C), 0, None)) if k else np.zeros(0)
    w = dist.wald(est, se, df, conf_level, model_based)
    effect, low, high = np.asarray(est, dtype=float), w["conf_low"], w["conf_high"]
    if intervals is not None:
        effect, se, low, high = (np.array([intervals["effect"][v][j] for v in names],
                                          dtype=float) for j in range(4))
    factor = (info["kind"] == "factor").to_numpy()
    # a factor's size cannot be below 0: its interval stops there
    low = np.where(factor, np.clip(low, 0, None), low)
    rank, diff, diff_low, diff_high = (np.full(k, np.nan) for _ in range(4))
    verdict, note = ["not compared"] * k, [""] * k
    # the sizes ranked: |E|; on imputed data the mean of the imputations' |E|, the quantity
    # whose differences are tested (a sign that flips across imputations shrinks |mean E|)
    size = np.abs(effect) if rank_sizes is None else np.asarray(rank_sizes, dtype=float)
    zero = factor & np.array([is_zero(x) for x in est], dtype=bool)
    usable = ~zero & np.isfinite(size) & np.isfinite(np.diag(C) if k else np.zeros(0))
    if blocked:
        note = [f"{FLAGGED_NOTE}{blocked})"] * k
    else:
        for i in np.flatnonzero(zero):
            note[i] = "no change at all: its size has no standard error"
        if usable.sum() < 2:
            for i in np.flatnonzero(usable):
                note[i] = "no other covariate to compare with"
        else:
            order = sorted(np.flatnonzero(usable), key=lambda i: -size[i])  # ties: by order
            rank[order] = np.arange(1, len(order) + 1)
            t = order[0]
            sign = np.where(factor, 1.0, np.sign(est))
            sign[sign == 0] = 1.0
            q = float(w["q"])
            for i in order[1:]:
                if intervals is not None:
                    d, _, lo, hi = intervals["diff"](names[t], names[i])
                else:
                    d = size[t] - size[i]
                    var = C[t, t] + C[i, i] - 2 * sign[t] * sign[i] * C[t, i]
                    s_d = float(np.sqrt(max(var, 0.0)))
                    lo, hi = d - q * s_d, d + q * s_d
                diff[i], diff_low[i], diff_high[i] = d, lo, hi
                verdict[i] = "smaller" if lo > 0 else "similar"
                note[i] = (f"clearly smaller than {names[t]}" if lo > 0 else
                           f"cannot be told apart from {names[t]}")
            alike = [names[i] for i in order[1:] if verdict[i] == "similar"]
            joint = (info["joint_p"].to_numpy(dtype=float) if "joint_p" in info.columns
                     else np.full(k, np.nan))
            if factor[t] and not joint[t] < 1 - conf_level:  # NaN (unknown) does not pass
                verdict[t] = "similar"
                note[t] = ("the largest, but its levels cannot be told apart (joint test p = "
                           f"{joint[t]:.2g}): a category's spread adds every level's noise")
            elif alike:
                verdict[t] = "similar"
                note[t] = "the largest, but cannot be told apart from " + ", ".join(alike)
            else:
                closest = min(order[1:], key=lambda i: diff[i])  # the first of equals
                verdict[t] = "strongest"
                note[t] = (f"clearly larger than every other covariate (the closest: "
                           f"{names[closest]})")
    made = {"scale": scale, "effect": effect, "std_error": se, "conf_low": low,
            "conf_high": high, "rank": rank, "diff": diff, "diff_low": diff_low,
            "diff_high": diff_high, "verdict": verdict, "note": note}
    return _columns(info, made)


def _columns(info: pd.DataFrame, made: dict[str, Any]) -> pd.DataFrame:
    """``info`` with the columns ``made``, in the columns of the effects table (no outcome or
    sample; the label empty). One frame built at once: a table of a few rows was mostly
    pandas' cost of adding its columns one by one (a table without rows as it always was:
    its empty columns' dtypes are pandas' own)."""
    cols = [c for c in EFFECT_COLUMNS if c not in ("outcome", "sample")]
    if not len(info):
        out = info.copy()
        for c, values in made.items():
            out[c] = values
        return out.reindex(columns=cols)
    text = {c: pd.Series([made[c]] * len(info) if isinstance(made[c], str) else made[c],
                         index=info.index, dtype="str")
            for c in ("scale", "verdict", "note")}
    return pd.DataFrame({c: text[c] if c in text else made[c] if c in made else info[c]
                         if c in info.columns else np.full(len(info), np.nan) for c in cols},
                        index=info.index)


def combine_imputed(tables: list[pd.DataFrame], *, df_complete: float, conf_level: float,
                    blocked: str = "") -> pd.DataFrame:
    """The effects of M imputed datasets' fits combined by Rubin's rules: each size, and each
    difference of absolute sizes from the top one (top: the largest mean |E|), is pooled with
    its own Barnard-Rubin df; the verdicts as :func:`judge` gives them. ``tables``: the
    per-dataset tables of :func:`covariate_effects` (same variables, same order)."""
    return _combine(tables[0], [ImputedSizes.of(t) for t in tables], df_complete=df_complete,
                    conf_level=conf_level, blocked=blocked)


def _combine(first: pd.DataFrame, parts: list[ImputedSizes], *, df_complete: float,
             conf_level: float, blocked: str = "") -> pd.DataFrame:
    """:func:`combine_imputed` of ``parts``, ``first`` the first dataset's table (its
    variables, kinds, labels and scale)."""
    from ..survey.mi import rubin

    Q = np.array([p.effect for p in parts])
    Cs = [p.cov for p in parts]
    U = np.array([np.diag(C) for C in Cs])
    info = first[["variable", "kind", "sd"]].copy()
    info["sd"] = np.mean([p.sd for p in parts], axis=0)
    names = list(info["variable"])
    factor = (info["kind"] == "factor").to_numpy()
    with np.errstate(invalid="ignore"):
        eff = rubin(Q, U, df_complete, conf_level)
    intervals: dict[str, Any] = {"effect": {
        v: (eff["estimate"][i], eff["std_error"][i], eff["conf_low"][i], eff["conf_high"][i])
        for i, v in enumerate(names)}}

    def diff(top: str, other: str) -> tuple:
        a, b = names.index(top), names.index(other)
        d, u = [], []
        for q_m, C in zip(Q, Cs):
            sa = 1.0 if factor[a] else (np.sign(q_m[a]) or 1.0)
            sb = 1.0 if factor[b] else (np.sign(q_m[b]) or 1.0)
            d.append(abs(q_m[a]) - abs(q_m[b]))
            u.append(C[a, a] + C[b, b] - 2 * sa * sb * C[a, b])
        r = rubin(np.array(d)[:, None], np.array(u)[:, None], df_complete, conf_level)
        return (float(r["estimate"][0]), float(r["std_error"][0]), float(r["conf_low"][0]),
                float(r["conf_high"][0]))

    intervals["diff"] = diff
    C = np.mean(Cs, axis=0)  # only its finiteness is read: the intervals are Rubin's
    out = judge(info, eff["estimate"], C, df=df_complete, conf_level=conf_level,
                blocked=blocked, scale=str(first["scale"].iloc[0]) if len(first) else "",
                intervals=intervals, rank_sizes=np.mean(np.abs(Q), axis=0))
    out["label"] = list(first["label"])
    return out


@dataclass
class ImputedSizes:
    """What Rubin's rules take of one imputed dataset's effects table: its ``imputation``,
    variables, sizes, their covariance (``attrs["cov"]``), SDs and the first row's note
    (where a flagged fit says so). Why not the table: the imputed models make these of each
    dataset's fit without judging it (:mod:`coprod.pipeline.imputedmodels`)."""

    imputation: Any
    variables: list
    effect: np.ndarray
    cov: np.ndarray
    sd: np.ndarray
    note: str

    @classmethod
    def of(cls, t: pd.DataFrame) -> ImputedSizes:
        """Those of a table of :func:`covariate_effects` (with its ``imputation``, if any)."""
        return cls(t["imputation"].iloc[0] if len(t) and "imputation" in t.columns else None,
                   list(t["variable"]), t["effect"].to_numpy(dtype=float),
                   np.asarray(t.attrs["cov"], dtype=float).reshape(len(t), len(t)),
                   t["sd"].to_numpy(dtype=float), str(t["note"].iloc[0]) if len(t) else "")


def combined_model_effects(tables: list[pd.DataFrame], *, conf_level: float,
                           parts: list[ImputedSizes] | None = None) -> pd.DataFrame:
    """One model's effects table over its imputed datasets (each with its ``imputation``; one
    dataset: its own table). The complete-data df of Rubin's rules is the model's, as for the
    coefficients; a fit flagged in any dataset (separation, non-convergence) compares
    nothing. ``parts``: the datasets' sizes (the first that of ``tables[0]``) when only the
    first dataset's table was made."""
    first = tables[0]
    if len(tables if parts is None else parts) == 1 or not len(first):
        return first.reindex(columns=EFFECT_COLUMNS)
    parts = [ImputedSizes.of(t) for t in tables] if parts is None else parts
    flagged = [(p.imputation, p.note) for p in parts
               if len(p.variables) and p.note.startswith(FLAGGED_NOTE)]
    blocked = "" if not flagged else \
        f"imputation {flagged[0][0]}: {flagged[0][1].removeprefix(FLAGGED_NOTE).rstrip(')')}"
    if any(p.variables != list(first["variable"]) for p in parts):
        return first.assign(**{c: np.nan for c in ("effect", "std_error", "conf_low",
                                                   "conf_high", "rank", "diff", "diff_low",
                                                   "diff_high")},
                            verdict="not compared",
                            note="the imputed datasets' models do not have the same "
                                 "covariates").reindex(columns=EFFECT_COLUMNS)
    out = _combine(first, parts, df_complete=float(first.attrs.get("df_resid", np.inf)),
                   conf_level=conf_level, blocked=blocked)
    out.insert(0, "outcome", first["outcome"].iloc[0])
    out.insert(1, "sample", first["sample"].iloc[0])
    return out.reindex(columns=EFFECT_COLUMNS)
