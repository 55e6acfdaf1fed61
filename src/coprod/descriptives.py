"""Weighted descriptive statistics by group with design-based 95% confidence intervals.

Why design-based: the published tables are weighted, and the intervals must reflect the survey
design (weights, strata, clusters), not a simple random sample. Each group is a *domain* of the
full design (the other groups stay in the design, as survey::subset does), and a respondent with
a missing answer is outside the domain for that variable (as svymean(..., na.rm = TRUE)).

* Proportions (outcomes and category levels): an intercept-only design-based logistic model per
  domain (:func:`coprod.survey.fit_svy_logit`); the inverse logit of the intercept's interval is
  exactly ``survey::svyciprop(method = "logit")`` and stays inside 0-1.
* Means: the ratio estimator with its Taylor-linearised variance, computed here.
"""
from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from . import dist
from scipy.special import expit

from .errors import ConfigError, DataError, ModelError

log = logging.getLogger("coprod.descriptives")
GROUP = "country"
PREVALENCE_COLUMNS = ["group", "outcome", "kind", "domain", "label", "n", "events", "estimate",
                      "std_error", "conf_low", "conf_high", "note"]
DESCRIPTIVE_COLUMNS = ["group", "group_n", "variable", "label", "level", "stat", "n", "estimate",
                       "std_error", "conf_low", "conf_high", "note"]


def svy_mean(y, data: pd.DataFrame, design: dict, domain=None, conf_level: float = 0.95) -> dict:
    """Weighted domain mean with a Taylor-linearised standard error and a t interval.

    Why no model: a mean is a ratio of two totals; its linearised variance uses the same design
    engine as the models (:func:`coprod.survey.design_cov`), so both agree on the design.
    """
    from .survey import design_cov, design_df, make_design

    y = np.asarray(pd.to_numeric(pd.Series(y), errors="coerce"), dtype=float)
    dom = np.ones(len(y), bool) if domain is None else np.asarray(domain, bool)
    rows = np.flatnonzero(dom & ~np.isnan(y))
    out = {"n": len(rows), "estimate": np.nan, "std_error": np.nan, "conf_low": np.nan,
           "conf_high": np.nan}
    if not len(rows):
        return out
    d = make_design(data, weights=design.get("weights"), strata=design.get("strata"),
                    psu=design.get("psu"), lonely_psu=design.get("lonely_psu", "adjust"))
    w, yy = d.weights[rows], y[rows]
    total = w.sum()
    mean = float((w * yy).sum() / total)
    if design.get("model_based"):
        df = len(rows) - 1
        se = float(np.std(yy, ddof=1) / np.sqrt(len(rows))) if df > 0 else np.nan
    else:
        df = design_df(d, rows)
        se = float(np.sqrt(design_cov(d, rows, w * (yy - mean) / total)[0, 0]))
    t = dist.t_ppf(0.5 + conf_level / 2, max(df, 1))
    out.update(estimate=mean, std_error=se, conf_low=mean - t * se, conf_high=mean + t * se)
    return out


def svy_proportion(y, data: pd.DataFrame, design: dict, domain=None,
                   conf_level: float = 0.95) -> dict:
    """Weighted domain proportion of a 0/1 variable with a logit interval (svyciprop 'logit')."""
    from .survey import fit_svy_logit

    y = pd.to_numeric(pd.Series(np.asarray(y, dtype=object)), errors="coerce").to_numpy(float)
    dom = np.ones(len(y), bool) if domain is None else np.asarray(domain, bool)
    inside = dom & ~np.isnan(y)
    n, events = int(inside.sum()), int(np.nansum(np.where(inside, y, 0)))
    out = {"n": n, "events": events, "estimate": np.nan, "std_error": np.nan,
           "conf_low": np.nan, "conf_high": np.nan, "note": ""}
    if n == 0:
        out["note"] = "no answers"
        return out
    if events in (0, n):  # no variation: the logit interval does not exist
        out.update(estimate=float(events == n), note="no variation: interval not estimable")
        return out
    frame = pd.DataFrame({"coprod_y": np.where(inside, y, 0.0)})
    for key in ("weights", "strata", "psu"):
        if design.get(key):
            frame[design[key]] = data[design[key]].to_numpy()
    try:
        res = fit_svy_logit(frame, "coprod_y ~ 1", weights=design.get("weights"),
                            strata=design.get("strata"), psu=design.get("psu"),
                            domain=inside,
                            model_based=design.get("model_based", False),
                            lonely_psu=design.get("lonely_psu", "adjust"), conf_level=conf_level)
    except ModelError as exc:
        out["note"] = f"not estimable: {exc}"
        return out
    row = res.tidy().set_index("term").loc["Intercept"]
    p = float(expit(row["estimate"]))
    out.update(estimate=p, std_error=float(row["std_error"]) * p * (1 - p),
               conf_low=float(expit(row["conf_low"])), conf_high=float(expit(row["conf_high"])))
    return out


def _groups(data: pd.DataFrame) -> list[str]:
    col = data[GROUP]
    cats = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col.unique()
    return [str(c) for c in cats if (col.astype(str) == str(c)).any()]


def prevalence(data: pd.DataFrame, outcomes: list[str], design: dict, *,
               conf_level: float = 0.95, labels: dict | None = None) -> pd.DataFrame:
    """Weighted share doing each outcome, by group, with design-based intervals."""
    from .tables import split_outcomes

    labels = labels or {}
    split = split_outcomes(list(outcomes))
    missing = [o for o in outcomes if o not in data.columns]
    if missing:
        raise DataError(f"prevalence: outcomes {missing} are not columns of the clean table")
    rows = []
    groups = data[GROUP].astype(str).to_numpy()
    for g in _groups(data):
        for o in outcomes:
            kind, domain = split[o]
            r = svy_proportion(data[o].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
                               data, design, groups == g, conf_level)
            rows.append({"group": g, "outcome": o, "kind": kind, "domain": domain,
                         "label": labels.get(o, o), **r})
    return pd.DataFrame(rows, columns=PREVALENCE_COLUMNS)


def describe(data: pd.DataFrame, variables: list[str], design: dict, *,
             conf_level: float = 0.95, labels: dict | None = None) -> pd.DataFrame:
    """By group: weighted % of each category level or weighted mean, 95% CI, unweighted n."""
    labels = labels or {}
    missing = [v for v in variables if v not in data.columns]
    if missing:
        raise ConfigError(f"report.descriptives.variables: {missing} are not columns of the "
                          "clean table")
    rows = []
    groups = data[GROUP].astype(str).to_numpy()
    for g in _groups(data):
        dom = groups == g
        base = {"group": g, "group_n": int(dom.sum())}
        for v in variables:
            col = data[v]
            lab = labels.get(v, v)
            if isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == object:
                levels = (list(col.cat.categories) if isinstance(col.dtype, pd.CategoricalDtype)
                          else sorted(col.dropna().unique()))
                for lv in levels:
                    ind = np.where(col.isna(), np.nan, (col.astype(object) == lv).astype(float))
                    r = svy_proportion(ind, data, design, dom, conf_level)
                    r.pop("events")
                    rows.append({**base, "variable": v, "label": lab, "level": str(lv),
                                 "stat": "percent", **r})
            else:
                r = svy_mean(col.astype("Float64").to_numpy(dtype=float, na_value=np.nan),
                             data, design, dom, conf_level)
                rows.append({**base, "variable": v, "label": lab, "level": "", "stat": "mean",
                             "note": "", **r})
    return pd.DataFrame(rows, columns=DESCRIPTIVE_COLUMNS)


def run_descriptives(*, table, outcomes, variables, design, conf_level, prevalence_csv,
                     descriptives_csv):
    """The descriptives rule: prevalence of each outcome and the covariates, by group."""
    from .io import read_table, write_csv

    data = read_table(table)
    labels = data.attrs.get("labels", {})
    prev = prevalence(data, list(outcomes), dict(design), conf_level=conf_level, labels=labels)
    desc = describe(data, list(variables), dict(design), conf_level=conf_level, labels=labels)
    write_csv(prev, prevalence_csv)
    write_csv(desc, descriptives_csv)
    log.info("prevalence: %d rows; descriptives: %d rows", len(prev), len(desc))
