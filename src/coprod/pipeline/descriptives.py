"""Weighted descriptive statistics by group with design-based 95% confidence intervals.

Why design-based: the published tables are weighted, and the intervals must reflect the survey
design (weights, strata, clusters), not a simple random sample. Each group is a *domain* of the
full design (the other groups stay in the design, as survey::subset does), and a respondent with
a missing answer is outside the domain for that variable (as svymean(..., na.rm = TRUE)).

* Proportions (outcomes and category levels): an intercept-only design-based logistic model per
  domain (:func:`coprod.survey.glm.fit_svy_logit`); the inverse logit of the intercept's interval is
  exactly ``survey::svyciprop(method = "logit")`` and stays inside 0-1.
* Means: the ratio estimator with its Taylor-linearised variance, computed here.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit

from ..errors import ConfigError, DataError, ModelError
from ..survey import dist
from ..survey.replicate import ReplicateDesign
from .io import group_column as _group_col

log = logging.getLogger("coprod.pipeline.descriptives")
PREVALENCE_COLUMNS = ["group", "outcome", "kind", "domain", "label", "n", "events", "estimate",
                      "std_error", "conf_low", "conf_high", "note", "deff", "n_effective"]
DESCRIPTIVE_COLUMNS = ["group", "group_n", "variable", "label", "level", "stat", "n", "estimate",
                       "std_error", "conf_low", "conf_high", "note", "deff", "n_effective"]


def _design(data: pd.DataFrame, design: dict, built=None):
    """The encoded design (:class:`coprod.survey.glm.Design`); built once per table by the callers
    that estimate many statistics, since encoding a million rows costs more than a statistic."""
    if built is not None:
        return built
    from .designconfig import design_from_config

    return design_from_config(data, design)


def _as_float(y) -> np.ndarray:
    """Values as floats, anything non-numeric as NaN (cheap when already numeric)."""
    arr = np.asarray(y)
    if arr.dtype.kind in "biuf":
        return arr.astype(float, copy=False)
    return pd.to_numeric(pd.Series(arr.astype(object)), errors="coerce").to_numpy(float)


def svy_mean(y, data: pd.DataFrame, design: dict, domain=None, conf_level: float = 0.95, *,
             built=None) -> dict:
    """Weighted domain mean with a Taylor-linearised standard error and a t interval.

    Why no model: a mean is a ratio of two totals; its linearised variance uses the same design
    engine as the models (:func:`coprod.survey.glm.design_cov`), so both agree on the design.
    ``built``: the design already encoded by :func:`coprod.survey.glm.make_design` (optional).
    """
    from ..survey.variance import design_cov, design_df, mean_deff

    y = _as_float(y)
    d = _design(data, design, built)
    dom = d.domain_rows(None if domain is None else np.asarray(domain, bool))
    rows = np.flatnonzero(dom & ~np.isnan(y))
    out: dict[str, Any] = {"n": len(rows), "estimate": np.nan, "std_error": np.nan,
                           "conf_low": np.nan, "conf_high": np.nan, "deff": np.nan,
                           "n_effective": np.nan}
    if not len(rows):
        return out
    w, yy = d.unit_weights[rows], y[rows]  # scale-free (coprod.survey.design.unit_exponent)
    total = w.sum()
    if not total > 0:  # no estimate, and the table says why (not a silent NaN)
        out["note"] = "not estimable: the weights of this domain sum to zero"
        return out
    mean = float((w * yy).sum() / total)
    if len(rows) < 2:  # its variance would be 0: a zero-width interval that claims certainty
        out.update(estimate=mean, note="not estimable: one respondent (an interval needs at "
                                       "least two)")
        return out
    if design.get("model_based"):
        df = len(rows) - 1
        se = float(np.std(yy, ddof=1) / np.sqrt(len(rows))) if df > 0 else np.nan
    elif isinstance(d, ReplicateDesign):  # the mean of each replicate, as R's svymean
        thetas = d.means(rows, yy)
        se = float(np.sqrt(d.variance(thetas, np.array([mean]))[0, 0]))
        df = d.degf(rows)
        if d.discarded(thetas):
            out["note"] = _discarded_note(d.discarded(thetas))
        # mean_deff reads only .weights and .deff, which a replicate design has too (its
        # annotation says SurveyDesign)
        out.update(_deff(mean_deff(d, rows, yy, se ** 2), len(rows)))  # type: ignore[arg-type]
    else:
        df = design_df(d, rows)
        try:
            se = float(np.sqrt(design_cov(d, rows, w * (yy - mean) / total)[0, 0]))
        except ModelError as exc:  # e.g. lonely_psu 'fail': the table says why
            out.update(estimate=mean, note=f"not estimable: {exc}")
            return out
        out.update(_deff(mean_deff(d, rows, yy, se ** 2), len(rows)))
    t = dist.t_ppf(0.5 + conf_level / 2, max(df, 1))
    out.update(estimate=mean, std_error=se, conf_low=mean - t * se, conf_high=mean + t * se)
    return out


def _deff(deff: float, n: int) -> dict:
    """The design effect and the effective sample size it implies (Kish: n / deff)."""
    return {"deff": deff, "n_effective": n / deff if deff > 0 else np.nan}


def svy_proportion(y, data: pd.DataFrame, design: dict, domain=None,
                   conf_level: float = 0.95, *, built=None) -> dict:
    """Weighted domain proportion of a 0/1 variable with a logit interval (svyciprop 'logit').

    That interval comes from the intercept-only design-based logistic model on the domain,
    which has a closed form, computed here without iterating: the estimate is logit(p) of the
    weighted share p, the bread is W p(1 - p) (W: the domain's weight total), the meat the
    design covariance of the scores w (y - p), on the design's degrees of freedom; model-based
    fits use the bread alone and z. tests/unit/report/test_tables.py checks it against the
    fitted model (:func:`coprod.survey.glm.fit_svy_logit`); a prevalence table needs a hundred
    of them.
    """
    from ..survey.variance import design_cov, design_df, mean_deff

    y = _as_float(y)
    d = _design(data, design, built)
    dom = d.domain_rows(None if domain is None else np.asarray(domain, bool))
    inside = dom & ~np.isnan(y)
    rows = np.flatnonzero(inside)
    n = len(rows)
    yy = y[rows]
    out = {"n": n, "events": 0, "estimate": np.nan, "std_error": np.nan,
           "conf_low": np.nan, "conf_high": np.nan, "note": "", "deff": np.nan,
           "n_effective": np.nan}
    if n == 0:
        out["note"] = "no answers"
        return out
    other = yy[(yy != 0) & (yy != 1)]
    if len(other):
        out["note"] = (f"not estimable: a proportion needs values coded 0/1; found "
                       f"{other[0]:g} ({len(other)} value(s))")
        return out
    events = out["events"] = int(yy.sum())
    if events in (0, n):  # no variation: the logit interval does not exist
        out.update(estimate=float(events == n), note="no variation: interval not estimable")
        return out
    try:
        w = d.unit_weights[rows]  # scale-free (coprod.survey.design.unit_exponent)
        model_based = bool(design.get("model_based", False))
        if model_based:
            from ..survey.design import check_model_based

            check_model_based(d)
        total = float(w.sum())
        if not total > 0:
            raise ModelError("the weights of this domain sum to zero")
        p = float((w * yy).sum() / total)
        if not 0 < p < 1:  # every event (or non-event) has weight zero: as no variation
            out.update(estimate=p, note="no variation (weighted): interval not estimable")
            return out
        bread = total * p * (1 - p)
        if model_based:
            var, df = (total / n) / bread, n - 1  # constant weights: as unweighted
        elif isinstance(d, ReplicateDesign):
            var, df, se_p, note = _replicate_proportion(d, rows, yy, p)
            # mean_deff takes a replicate design too (see svy_mean)
            out.update(_deff(mean_deff(d, rows, yy, se_p ** 2), n),  # type: ignore[arg-type]
                       note=note)
        else:
            var = float(design_cov(d, rows, w * (yy - p))[0, 0]) / bread ** 2
            df = design_df(d, rows)
            # the variance of p itself is var * (p (1 - p))^2 (the delta method, exact here)
            out.update(_deff(mean_deff(d, rows, yy, var * (p * (1 - p)) ** 2), n))
        if df < 1:
            raise ModelError(f"no residual degrees of freedom: the domain's {n} respondents are "
                             f"in {df} more PSU(s) than strata")
    except ModelError as exc:
        out["note"] = f"not estimable: {exc}"
        return out
    logit, se = float(np.log(p / (1 - p))), float(np.sqrt(max(var, 0.0)))
    ci = dist.wald(logit, se, df, conf_level, model_based)
    out.update(estimate=p, std_error=se * p * (1 - p),
               conf_low=float(expit(ci["conf_low"])), conf_high=float(expit(ci["conf_high"])))
    if isinstance(d, ReplicateDesign):  # R: svymean's SE is the replicates' SE of p itself
        out["std_error"] = se_p
    return out


def _replicate_proportion(d, rows, yy, p) -> tuple[float, int, float, str]:
    """Replicate variance of logit(p) (the interval: svyciprop's logit method refits the
    intercept-only model per replicate, which is logit of each replicate's share), the df, and
    the replicate SE of p itself (svymean's)."""
    p_r = d.means(rows, yy)
    with np.errstate(divide="ignore", invalid="ignore"):
        logit_r = np.log(p_r / (1 - p_r))
        var = float(d.variance(logit_r, [np.log(p / (1 - p))])[0, 0])
    se_p = float(np.sqrt(d.variance(p_r, [p])[0, 0]))
    notes = []
    if d.discarded(p_r):
        notes.append(_discarded_note(d.discarded(p_r)))
    if np.isinf(logit_r).any():
        notes.append(f"{int(np.isinf(logit_r).sum())} replicate(s) with no events (or only "
                     "events) here: the logit interval is not informative")
    return var, d.degf(rows), se_p, "; ".join(notes)


def _discarded_note(k: int) -> str:
    return (f"{k} replicate(s) have no weight here and were left out of the variance (as R "
            "does, with a warning)")


def _groups(data: pd.DataFrame) -> list[str]:
    col = data[_group_col(data)]
    cats = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col.unique()
    return [str(c) for c in cats if (col.astype(str) == str(c)).any()]


def prevalence(data: pd.DataFrame, outcomes: list[str], design: dict, *,
               conf_level: float = 0.95, labels: dict | None = None,
               built=None) -> pd.DataFrame:
    """Weighted share doing each outcome, by group, with design-based intervals."""
    from .vocab import split_outcomes

    labels = labels or {}
    split = split_outcomes(list(outcomes))
    missing = [o for o in outcomes if o not in data.columns]
    if missing:
        raise DataError(f"prevalence: outcomes {missing} are not columns of the clean table")
    rows = []
    groups = data[_group_col(data)].astype(str).to_numpy()
    built = _design(data, design, built)
    values = {o: data[o].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
              for o in outcomes}
    for g in _groups(data):
        dom = groups == g
        for o in outcomes:
            kind, domain = split[o]
            r = svy_proportion(values[o], data, design, dom, conf_level, built=built)
            rows.append({"group": g, "outcome": o, "kind": kind, "domain": domain,
                         "label": labels.get(o, o), **r})
    return pd.DataFrame(rows, columns=PREVALENCE_COLUMNS)


def describe(data: pd.DataFrame, variables: list[str], design: dict, *,
             conf_level: float = 0.95, labels: dict | None = None,
             built=None) -> pd.DataFrame:
    """By group: weighted % of each category level or weighted mean, 95% CI, unweighted n."""
    labels = labels or {}
    missing = [v for v in variables if v not in data.columns]
    if missing:
        raise ConfigError(f"report.descriptives.variables: {missing} are not columns of the "
                          "clean table")
    rows = []
    groups = data[_group_col(data)].astype(str).to_numpy()
    built = _design(data, design, built)
    indicators = {v: _indicators(data[v]) for v in variables}
    for g in _groups(data):
        dom = groups == g
        base = {"group": g, "group_n": int(dom.sum())}
        for v in variables:
            lab = labels.get(v, v)
            if isinstance(indicators[v], dict):
                for lv, ind in indicators[v].items():
                    r = svy_proportion(ind, data, design, dom, conf_level, built=built)
                    r.pop("events")
                    rows.append({**base, "variable": v, "label": lab, "level": str(lv),
                                 "stat": "percent", **r})
            else:
                r = svy_mean(indicators[v], data, design, dom, conf_level, built=built)
                rows.append({**base, "variable": v, "label": lab, "level": "", "stat": "mean",
                             "note": "", **r})
    return pd.DataFrame(rows, columns=DESCRIPTIVE_COLUMNS)


def _indicators(col: pd.Series):
    """A categorical column as {level: 0/1 indicator, NaN where missing}; a numeric one as
    floats (NaN where missing)."""
    if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object \
            or pd.api.types.is_string_dtype(col.dtype):
        cat = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype(
            pd.CategoricalDtype(sorted(col.dropna().unique())))
        codes = cat.cat.codes.to_numpy()
        missing = codes < 0
        return {lv: np.where(missing, np.nan, (codes == k).astype(float))
                for k, lv in enumerate(cat.cat.categories)}
    return col.astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def run_descriptives(*, table, outcomes, variables, design, conf_level, prevalence_csv,
                     descriptives_csv):
    """The descriptives rule: prevalence of each outcome and the covariates, by group."""
    from .io import read_table, write_csv

    data = read_table(table)
    labels = data.attrs.get("labels", {})
    built = _design(data, dict(design))  # encoded once for both tables
    prev = prevalence(data, list(outcomes), dict(design), conf_level=conf_level, labels=labels,
                      built=built)
    desc = describe(data, list(variables), dict(design), conf_level=conf_level, labels=labels,
                    built=built)
    write_csv(prev, prevalence_csv)
    write_csv(desc, descriptives_csv)
    log.info("prevalence: %d rows; descriptives: %d rows", len(prev), len(desc))
