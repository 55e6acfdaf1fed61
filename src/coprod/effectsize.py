"""Effect sizes per standard deviation and which covariate is the strongest (the rule of
:data:`coprod.effectrule.EFFECT_RULE`), with delta-method standard errors.

Why here and at the model stage: the sizes are averages of counterfactual predictions over the
model's respondents, which only the fit has; downstream stages read the table.

* numeric covariate: E = AME x SD, the average marginal effect exactly as
  :func:`coprod.margins.average_marginal_effects` computes it (the same code), times the
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

from typing import Any

import numpy as np
import pandas as pd

from . import dist
from .effectrule import EFFECT_COLUMNS, SCALES, is_zero
from .margins import (
    _average_predictions,
    _Counterfactual,
    _derivative,
    _ordinal_average,
    _require_spec,
    variable_kinds,
)
from .ordinal import SvyOlrResult
from .survey import SvyLogitResult

#: fit flags under which nothing is compared (the estimates support nothing)
BLOCKING_FLAGS = ("separation", "non_convergence")


def _present(col: pd.Series, levels: list) -> list:
    """The levels that some respondent of the model has (an empty level has no share)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = np.unique(col.cat.codes.to_numpy())
        there = set(col.cat.categories[codes[codes >= 0]])
    else:
        there = set(col.dropna().astype(object))
    return [lv for lv in levels if lv in there]


def _shares(col: pd.Series, levels: list, w: np.ndarray) -> np.ndarray:
    values = col.astype(object).to_numpy()
    return np.array([float(w[values == lv].sum()) for lv in levels])


def effect_sizes(result: SvyLogitResult | SvyOlrResult, exclude: tuple = ()
                 ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Each right-hand-side variable's size E (``exclude`` aside): a frame (variable, kind,
    sd), the sizes (k,) and their gradients in the fit's parameters (k, p)."""
    _require_spec(result)
    md = result.model_data
    assert md is not None  # _require_spec
    kinds = variable_kinds(result)
    variables = [v for v in result.variables if v not in set(exclude)]
    w = result.w / result.w.sum()
    ordinal = isinstance(result, SvyOlrResult)
    theta = result.params.to_numpy()
    cf = _Counterfactual(result)
    requests: list[tuple[list[dict], str | None]] = []
    plan: dict[str, Any] = {}
    for var in variables:
        if kinds[var]["kind"] == "continuous":
            x = md[var].to_numpy(dtype=float)
            h = 1e-4 * (np.std(x) if np.std(x) > 0 else 1.0)  # margins' step
            requests.append(([{var: h}, {var: -h}], var))
            plan[var] = h
        else:
            levels = _present(md[var], kinds[var]["levels"])
            requests.append(([{var: lv} for lv in levels], None))
            plan[var] = levels
    columns = dict(zip(variables, cf.columns_many(requests)))
    if not ordinal:
        beta = theta
        mu = result.family.mean(result.X @ beta)
        s = result.family.variance(mu)
    info, est, grads = [], [], []
    for var in variables:
        if kinds[var]["kind"] == "continuous":
            x = md[var].to_numpy(dtype=float)
            sd = float(np.sqrt(max(w @ (x - w @ x) ** 2, 0.0)))
            if ordinal:  # central differences, as margins' ordinal effects
                pbar, G = _ordinal_average(result, theta, w, columns[var])
                h = plan[var]
                ame, g = (pbar[0, -1] - pbar[1, -1]) / (2 * h), (G[0, -1] - G[1, -1]) / (2 * h)
            else:
                ame, g = _derivative(result, beta, w, mu, s, columns[var], plan[var])
            info.append((var, "numeric", sd))
            est.append(ame * sd)
            grads.append(g * sd)
            continue
        levels = plan[var]
        if ordinal:
            pbar3, G3 = _ordinal_average(result, theta, w, columns[var])
            m, G = pbar3[:, -1], G3[:, -1, :]
        else:
            m, G = _average_predictions(result, theta, w, columns[var])
        share = _shares(md[var], levels, w)
        share = share / share.sum()
        dev = m - share @ m
        e = float(np.sqrt(max(share @ dev ** 2, 0.0)))
        info.append((var, "factor", np.nan))
        est.append(e)
        grads.append((share * dev) @ G / e if not is_zero(e) else np.full(G.shape[1], np.nan))
    p = len(theta)
    return (pd.DataFrame(info, columns=["variable", "kind", "sd"]), np.array(est, dtype=float),
            np.array(grads, dtype=float).reshape(len(est), p))


def _blocked(result: SvyLogitResult | SvyOlrResult) -> str:
    """Why nothing is compared in this fit, or ''."""
    found = [f for f in result.flags if f["flag"] in BLOCKING_FLAGS]
    if not result.converged and not any(f["flag"] == "non_convergence" for f in found):
        found.append({"flag": "non_convergence", "detail": "the fit did not converge"})
    return "; ".join(f"{f['flag'].replace('_', ' ')}: {f['detail']}" for f in found)


def covariate_effects(result: SvyLogitResult | SvyOlrResult, *, exclude: tuple = (),
                      labels: dict | None = None) -> pd.DataFrame:
    """The effects table of one fit (:data:`coprod.effectrule.EFFECT_COLUMNS` without outcome
    and sample), its rows' covariance C = G V G' in ``attrs["cov"]`` (nested tuples; what
    Rubin's rules combine across imputed datasets)."""
    info, est, G = effect_sizes(result, exclude)
    V = result.cov.to_numpy()
    ok = np.all(np.isfinite(G), axis=1)
    Gz = np.where(ok[:, None], G, 0.0)
    C = Gz @ V @ Gz.T
    C[~ok, :] = np.nan
    C[:, ~ok] = np.nan
    family = "ordinal" if isinstance(result, SvyOlrResult) else result.family.name
    out = judge(info, est, C, df=result.df_resid, conf_level=result.conf_level,
                model_based=result.model_based, blocked=_blocked(result),
                scale=SCALES.get(family, family))
    out["label"] = [str((labels or {}).get(v, v)) for v in out["variable"]]
    # a tuple, not an array: pandas compares attrs when it joins frames
    out.attrs["cov"] = tuple(map(tuple, C.tolist()))
    out.attrs["df_resid"] = float(result.df_resid)  # the complete-data df of Rubin's rules
    return out


def judge(info: pd.DataFrame, est: np.ndarray, C: np.ndarray, *, df: float,
          conf_level: float, model_based: bool = False, blocked: str = "",
          scale: str = "probability", intervals: dict | None = None) -> pd.DataFrame:
    """Rank the sizes and compare the largest with each other (the rule). ``intervals``:
    the sizes' and the differences' (estimate, SE, low, high) already combined (imputed data),
    keyed "effect" and "diff" (by variable); without it Wald intervals from ``C``."""
    k = len(est)
    se = np.sqrt(np.clip(np.diag(C), 0, None)) if k else np.zeros(0)
    w = dist.wald(est, se, df, conf_level, model_based)
    out = info.copy()
    out["scale"] = scale
    out["effect"], out["std_error"] = est, se
    out["conf_low"], out["conf_high"] = w["conf_low"], w["conf_high"]
    if intervals is not None:
        for col, key in zip(("effect", "std_error", "conf_low", "conf_high"), range(4)):
            out[col] = [intervals["effect"][v][key] for v in out["variable"]]
    factor = (out["kind"] == "factor").to_numpy()
    # a factor's size cannot be below 0: its interval stops there
    out.loc[factor, "conf_low"] = np.clip(out.loc[factor, "conf_low"].astype(float), 0, None)
    for col in ("rank", "diff", "diff_low", "diff_high"):
        out[col] = np.nan
    out["verdict"], out["note"] = "not compared", ""
    if not k:
        return out.reindex(columns=[c for c in EFFECT_COLUMNS if c not in ("outcome", "sample")])
    size = np.abs(out["effect"].to_numpy(dtype=float))
    zero = factor & np.array([is_zero(x) for x in est])
    usable = ~zero & np.isfinite(size) & np.isfinite(np.diag(C))
    if blocked:
        out["note"] = f"not compared: the model is flagged ({blocked})"
        return _columns(out)
    out.loc[zero, "note"] = "no change at all: its size has no standard error"
    if usable.sum() < 2:
        out.loc[usable, "note"] = "no other covariate to compare with"
        return _columns(out)
    order = sorted(np.flatnonzero(usable), key=lambda i: -size[i])  # stable: ties by order
    out.loc[out.index[order], "rank"] = np.arange(1, len(order) + 1)
    t = order[0]
    sign = np.where(factor, 1.0, np.sign(est))
    sign[sign == 0] = 1.0
    q = float(w["q"])
    names = list(out["variable"])
    for i in order[1:]:
        if intervals is not None:
            d, _, lo, hi = intervals["diff"](names[t], names[i])
        else:
            d = size[t] - size[i]
            var = C[t, t] + C[i, i] - 2 * sign[t] * sign[i] * C[t, i]
            s_d = float(np.sqrt(max(var, 0.0)))
            lo, hi = d - q * s_d, d + q * s_d
        out.loc[out.index[i], ["diff", "diff_low", "diff_high"]] = [d, lo, hi]
        clear = lo > 0
        out.loc[out.index[i], "verdict"] = "smaller" if clear else "similar"
        out.loc[out.index[i], "note"] = (f"clearly smaller than {names[t]}" if clear else
                                         f"cannot be told apart from {names[t]}")
    rest = out.loc[out.index[order[1:]]]
    alike = list(rest.loc[rest["verdict"] == "similar", "variable"])
    if alike:
        out.loc[out.index[t], ["verdict", "note"]] = [
            "similar", "the largest, but cannot be told apart from " + ", ".join(alike)]
    else:
        closest = rest.sort_values("diff", kind="stable").iloc[0]
        out.loc[out.index[t], ["verdict", "note"]] = [
            "strongest", f"clearly larger than every other covariate (the closest: "
                         f"{closest['variable']})"]
    return _columns(out)


def _columns(out: pd.DataFrame) -> pd.DataFrame:
    return out.reindex(columns=[c for c in EFFECT_COLUMNS if c not in ("outcome", "sample")])


def combine_imputed(tables: list[pd.DataFrame], *, df_complete: float, conf_level: float,
                    blocked: str = "") -> pd.DataFrame:
    """The effects of M imputed datasets' fits combined by Rubin's rules: each size, and each
    difference of absolute sizes from the top one (top: the largest mean |E|), is pooled with
    its own Barnard-Rubin df; the verdicts as :func:`judge` gives them. ``tables``: the
    per-dataset tables of :func:`covariate_effects` (same variables, same order)."""
    from .impute import rubin

    first = tables[0]
    Q = np.array([t["effect"].to_numpy(dtype=float) for t in tables])
    Cs = [np.asarray(t.attrs["cov"], dtype=float).reshape(len(t), len(t)) for t in tables]
    U = np.array([np.diag(C) for C in Cs])
    info = first[["variable", "kind", "sd"]].copy()
    info["sd"] = np.mean([t["sd"].to_numpy(dtype=float) for t in tables], axis=0)
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
                intervals=intervals)
    out["label"] = list(first["label"])
    return out
