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

import itertools

import numpy as np
import pandas as pd
from . import dist
from scipy.special import expit, logit

from .errors import ModelError
from .survey import SvyLogitResult, _categorical_factors

_AME_COLUMNS = ["variable", "contrast", "estimate", "std_error", "df_resid", "statistic",
                "p_value", "conf_low", "conf_high", "flag"]


def _require_spec(result: SvyLogitResult) -> None:
    if result.spec is None or result.model_data is None:
        raise ModelError("margins need a result of fit_svy_logit (a formula fit)")


def variable_kinds(result: SvyLogitResult) -> dict[str, dict]:
    """Each right-hand-side variable: "categorical" (levels, reference), "binary" (numeric 0/1,
    effect of 1 vs 0) or "continuous" (derivative)."""
    _require_spec(result)
    spec = result.spec
    cats = _categorical_factors(spec)
    kinds = {}
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


def _set(frame: pd.DataFrame, values: dict) -> pd.DataFrame:
    """A copy of ``frame`` with each variable in ``values`` set to that value for every row."""
    out = frame.copy(deep=False)
    for var, value in values.items():
        col = frame[var]
        if isinstance(col.dtype, pd.CategoricalDtype):
            out[var] = pd.Categorical(np.full(len(frame), value, dtype=object),
                                      categories=col.cat.categories)
        else:
            out[var] = np.full(len(frame), value)
    return out


def _shift(frame: pd.DataFrame, var: str, h: float) -> pd.DataFrame:
    out = frame.copy(deep=False)
    out[var] = frame[var].to_numpy(dtype=float) + h
    return out


def _inference(est, se, result: SvyLogitResult) -> dict:
    est, se = np.asarray(est, float), np.asarray(se, float)
    stat = est / se
    if result.model_based:
        p = 2 * dist.norm_sf(np.abs(stat))
        q = dist.norm_ppf(0.5 + result.conf_level / 2)
    else:
        p = 2 * dist.t_sf(np.abs(stat), result.df_resid)
        q = dist.t_ppf(0.5 + result.conf_level / 2, result.df_resid)
    return {"statistic": stat, "p_value": p, "conf_low": est - q * se,
            "conf_high": est + q * se, "q": q}


def _separated_variables(result: SvyLogitResult) -> set[str]:
    flagged = {t for t, f in result.term_flags.items() if "separation" in f}
    out: set[str] = set()
    for _, row in result.terms.iterrows():
        if row["term"] in flagged:
            out.update(v for v in row["variable"].split(":") if v)
    return out


def average_marginal_effects(result: SvyLogitResult, variables: list[str] | None = None
                             ) -> pd.DataFrame:
    """Weighted average marginal effects on the probability scale with delta-method SEs.

    Continuous variables: the average derivative dP/dx ("per unit"). Categorical variables: the
    average difference in predicted probability between each level and the reference level,
    everyone else's covariates unchanged ("woman vs man"). Numeric 0/1 variables: "1 vs 0".
    Tests and intervals use t on the model's df (normal for model-based fits).
    """
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
    separated = _separated_variables(result)
    rows = []
    for var in variables:
        info = kinds[var]
        if info["kind"] == "continuous":
            x = md[var].to_numpy(dtype=float)
            h = 1e-4 * (np.std(x) if np.std(x) > 0 else 1.0)
            dX = (result.model_matrix(_shift(md, var, h))
                  - result.model_matrix(_shift(md, var, -h))) / (2 * h)
            mu = expit(result.X @ beta)
            s = mu * (1 - mu)
            dlin = dX @ beta
            est = w @ (s * dlin)
            grad = (w * s * (1 - 2 * mu) * dlin) @ result.X + (w * s) @ dX
            rows.append((var, "per unit", est, grad))
        else:
            ref = info["reference"]
            X0 = result.model_matrix(_set(md, {var: ref}))
            mu0 = expit(X0 @ beta)
            g0 = (w * mu0 * (1 - mu0)) @ X0
            present = set(md[var].dropna().astype(object))
            for level in info["levels"]:
                if level == ref or level not in present:  # an empty level has no effect to report
                    continue
                X1 = result.model_matrix(_set(md, {var: level}))
                mu1 = expit(X1 @ beta)
                est = w @ (mu1 - mu0)
                grad = (w * mu1 * (1 - mu1)) @ X1 - g0
                rows.append((var, f"{level} vs {ref}", est, grad))
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


def predict_margins(result: SvyLogitResult, grid: dict[str, list]) -> pd.DataFrame:
    """Average predicted probability with every respondent set to each combination of ``grid``.

    E.g. ``{"age": [20, 40, 60], "gender": ["man", "woman"]}`` gives six rows. Each is the
    weighted mean over the model's sample of P(y=1) with those variables fixed and the others
    as observed. The interval is computed on the logit of the average and transformed back, so
    it stays inside [0, 1]; ``std_error`` is the delta-method SE on the probability scale. An
    empty grid gives the sample's own average predicted probability.
    """
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
    beta = result.params.to_numpy()
    V = result.cov.to_numpy()
    w = result.w / result.w.sum()
    names = list(grid)
    combos = list(itertools.product(*(list(grid[v]) for v in names)))
    pred, se = [], []
    for combo in combos:
        X = result.model_matrix(_set(result.model_data, dict(zip(names, combo)))) if names \
            else result.X
        mu = expit(X @ beta)
        g = (w * mu * (1 - mu)) @ X
        pred.append(float(w @ mu))
        se.append(float(np.sqrt(max(g @ V @ g, 0.0))))
    pred, se = np.array(pred), np.array(se)
    q = _inference(pred, se, result)["q"]
    se_logit = se / (pred * (1 - pred))
    out = pd.DataFrame(combos, columns=names)
    out["predicted"] = pred
    out["std_error"] = se
    out["conf_low"] = expit(logit(pred) - q * se_logit)
    out["conf_high"] = expit(logit(pred) + q * se_logit)
    out["flag"] = "separation" if any(f["flag"] == "separation" for f in result.flags) else ""
    return out
