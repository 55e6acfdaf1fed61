"""Weighted descriptive statistics by group with design-based 95% confidence intervals: the
prevalence and descriptives tables.

Why design-based: the published tables are weighted, and the intervals must reflect the survey
design (weights, strata, clusters), not a simple random sample. The config's ``design:`` section
is built into a design object once per table (:mod:`coprod.pipeline.designconfig`); each group
is a domain of it, and each cell one call of the engine's estimators
(:func:`coprod.survey.means.svy_proportion` for outcomes and category levels,
:func:`coprod.survey.means.svy_mean` for numbers).

The whole sample: with two or more groups, each table starts with rows for every respondent
(``group`` = ``pooled``, the name models.samples gives all groups together), estimated on the
whole design -- R's ``svymean(~y, design)``, not a mean of the groups' estimates -- by the same
estimators, so that its interval and df follow the same rule as a group's (the PSUs and strata
of the respondents answering). With one group those rows would repeat the group's, so there
are none.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from ..names import POOLED
from ..survey.means import svy_mean, svy_proportion
from .designkeys import DesignSettings, typed_design
from .io import group_column as _group_col

log = logging.getLogger("coprod.pipeline.descriptives")
#: the columns of prevalence.csv and descriptives.csv; ``df``: the degrees of freedom of the
#: interval beside it (t; inf for a model-based z interval; empty without an interval)
PREVALENCE_COLUMNS = ["group", "outcome", "kind", "domain", "label", "n", "events", "estimate",
                      "std_error", "conf_low", "conf_high", "df", "note", "deff", "n_effective"]
DESCRIPTIVE_COLUMNS = ["group", "group_n", "variable", "label", "level", "stat", "n", "estimate",
                       "std_error", "conf_low", "conf_high", "df", "note", "deff",
                       "n_effective"]


def _design(data: pd.DataFrame, design: DesignSettings, built: Any = None) -> Any:
    """The encoded design (:func:`coprod.pipeline.designconfig.design_from_config`); built once
    per table by the callers that estimate many statistics, since encoding a million rows costs
    more than a statistic."""
    if built is not None:
        return built
    from .designconfig import design_from_config

    return design_from_config(data, design)


#: the ``group`` of the whole-sample rows (every respondent, on the whole design): the name
#: models.samples gives all groups together, worded by report.words like the pooled models
WHOLE_SAMPLE = POOLED


def _groups(data: pd.DataFrame) -> list[str]:
    col = data[_group_col(data)]
    cats = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col.unique()
    return [str(c) for c in cats if (col.astype(str) == str(c)).any()]


def _samples(data: pd.DataFrame) -> list[tuple[str, np.ndarray | None]]:
    """(name, domain) of each table's rows: the whole sample first (domain None: the whole
    design) when the table has two or more groups, then each group (a domain of the design).
    One group gets no whole-sample rows: they would repeat its own."""
    groups = _groups(data)
    if len(groups) < 2:
        whole: list[tuple[str, np.ndarray | None]] = []
    elif WHOLE_SAMPLE in groups:  # its rows and the whole sample's would share one name
        raise DataError(f"descriptives: a group is named '{WHOLE_SAMPLE}', the name of the "
                        f"whole sample's rows; rename the group in the codebook")
    else:
        whole = [(WHOLE_SAMPLE, None)]
    col = data[_group_col(data)].astype(str).to_numpy()
    return whole + [(g, col == g) for g in groups]


def prevalence(data: pd.DataFrame, outcomes: list[str], design: DesignSettings, *,
               conf_level: float = 0.95, labels: dict | None = None,
               built=None) -> pd.DataFrame:
    """Weighted share doing each outcome, in the whole sample (two or more groups) and by
    group, with design-based intervals."""
    design = typed_design(design, "prevalence")
    from .vocab import split_outcomes

    labels = labels or {}
    split = split_outcomes(list(outcomes))
    missing = [o for o in outcomes if o not in data.columns]
    if missing:
        raise DataError(f"prevalence: outcomes {missing} are not columns of the clean table")
    rows = []
    built = _design(data, design, built)
    model_based = bool(design.model_based)
    values = {o: data[o].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
              for o in outcomes}
    for g, dom in _samples(data):
        for o in outcomes:
            kind, domain = split[o]
            r = svy_proportion(values[o], built, dom, conf_level, model_based=model_based)
            rows.append({"group": g, "outcome": o, "kind": kind, "domain": domain,
                         "label": labels.get(o, o), **r})
    return pd.DataFrame(rows, columns=PREVALENCE_COLUMNS)


def describe(data: pd.DataFrame, variables: list[str], design: DesignSettings, *,
             conf_level: float = 0.95, labels: dict | None = None,
             built=None) -> pd.DataFrame:
    """In the whole sample (two or more groups) and by group: weighted % of each category
    level or weighted mean, 95% CI, unweighted n."""
    design = typed_design(design, "describe")
    labels = labels or {}
    missing = [v for v in variables if v not in data.columns]
    if missing:
        raise ConfigError(f"report.descriptives.variables: {missing} are not columns of the "
                          "clean table")
    rows = []
    built = _design(data, design, built)
    model_based = bool(design.model_based)
    indicators = {v: _indicators(data[v]) for v in variables}
    for g, dom in _samples(data):
        base = {"group": g, "group_n": len(data) if dom is None else int(dom.sum())}
        for v in variables:
            lab = labels.get(v, v)
            if isinstance(indicators[v], dict):
                for lv, ind in indicators[v].items():
                    r = svy_proportion(ind, built, dom, conf_level, model_based=model_based)
                    r.pop("events")
                    rows.append({**base, "variable": v, "label": lab, "level": str(lv),
                                 "stat": "percent", **r})
            else:
                r = svy_mean(indicators[v], built, dom, conf_level, model_based=model_based)
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


def run_descriptives(*, table, outcomes, variables, design, conf_level, prevalence_csv=None,
                     descriptives_csv=None):
    """The descriptives rule: prevalence of each outcome and the covariates, in the whole
    sample and by group. A file given as None is not written (no 0/1 outcome, or no variable
    to describe: no empty table)."""
    from .io import read_table, write_csv

    data = read_table(table)
    labels = data.attrs.get("labels", {})
    built = _design(data, design)  # encoded once for both tables
    prev = prevalence(data, list(outcomes), design, conf_level=conf_level, labels=labels,
                      built=built)
    desc = describe(data, list(variables), design, conf_level=conf_level, labels=labels,
                    built=built)
    for frame, path in ((prev, prevalence_csv), (desc, descriptives_csv)):
        if path is not None:
            write_csv(frame, path)
    log.info("prevalence: %d rows; descriptives: %d rows", len(prev), len(desc))
