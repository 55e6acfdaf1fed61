"""Small hand-made tidy tables shaped like the model stage's outputs, for the report tests.

Why hand-made: the report tests must not depend on the other stages (or their runtime); these
tables have the documented columns and a few awkward cases (a failed model, a flagged one, a
level name with an underscore and a per-cent sign).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from catalogue import safe_load

OUTCOMES = ["individual_any", "collective_any"]
SAMPLES = ["pooled", "UK", "FR"]
COVARIATES = ["age", "gender", "self_efficacy", "education"]
REFERENCE = {"gender": "man", "education": "low", "country": "UK"}
LEVELS = {"gender": ["man", "woman"], "education": ["low", "medium", "high_100%"],
          "country": ["UK", "FR"]}
LABELS = {"age": "Age (years)", "gender": "Gender", "self_efficacy": "Self-efficacy (1-4)",
          "education": "Education", "country": "Country",
          "individual_any": "Individual co-production, any domain",
          "collective_any": "Collective co-production, any domain"}
WORDS = {"individual": "Individual", "collective": "Collective", "any": "Any domain",
         "safety": "Community safety", "pooled": "All countries (pooled)"}

# log-odds per (outcome, term); the signs follow the published directions
BETA = {
    "individual_any": {"Intercept": -1.0, "age": 0.02, "gender[T.woman]": 0.45,
                       "self_efficacy": 0.30, "education[T.medium]": 0.05,
                       "education[T.high_100%]": -0.02, "country[T.FR]": 0.10},
    "collective_any": {"Intercept": -2.0, "age": -0.015, "gender[T.woman]": 0.01,
                       "self_efficacy": 0.90, "education[T.medium]": 0.20,
                       "education[T.high_100%]": 0.35, "country[T.FR]": -0.20},
}
SE = {"Intercept": 0.2, "age": 0.004, "gender[T.woman]": 0.08, "self_efficacy": 0.06,
      "education[T.medium]": 0.1, "education[T.high_100%]": 0.1, "country[T.FR]": 0.1}


def _parts(term):
    if "[T." in term:
        var, level = term.split("[T.")
        return var, level[:-1]
    return term, ""


def coefficients(failed=(("collective_any", "FR"),)) -> pd.DataFrame:
    rows = []
    for sample in SAMPLES:
        for o in OUTCOMES:
            if (o, sample) in failed:
                continue
            for term, b in BETA[o].items():
                if term.startswith("country") and sample != "pooled":
                    continue
                se = SE[term] * (1 if sample == "pooled" else 2.2)
                var, level = _parts(term)
                lab = "Intercept" if var == "Intercept" else (
                    f"{LABELS[var]}: {level}" if level else LABELS[var])
                rows.append({"outcome": o, "sample": sample, "term": term, "variable": var,
                             "level": level, "label": lab, "estimate": b, "std_error": se,
                             "df_resid": 4990, "statistic": b / se,
                             "p_value": 0.0001 if abs(b / se) > 3.3 else 0.3,
                             "conf_low": b - 1.96 * se, "conf_high": b + 1.96 * se,
                             "flag": ""})
    df = pd.DataFrame(rows)
    df["odds_ratio"] = np.exp(df["estimate"])
    df["or_conf_low"] = np.exp(df["conf_low"])
    df["or_conf_high"] = np.exp(df["conf_high"])
    return df


def fit(failed=(("collective_any", "FR"),), flagged=(("individual_any", "UK"),)) -> pd.DataFrame:
    rows = []
    for sample in SAMPLES:
        for o in OUTCOMES:
            n = 5000 if sample == "pooled" else 1000
            status, msg, flags = "ok", "", 0
            if (o, sample) in flagged:
                status, msg, flags = "flagged", "lonely_psu: strata with a single PSU", 1
            if (o, sample) in failed:
                rows.append({"outcome": o, "sample": sample, "status": "failed",
                             "message": "the outcome is 0 for all 1000 respondents",
                             "n_flags": 1})
                continue
            rows.append({"outcome": o, "sample": sample, "status": status, "message": msg,
                         "n": n - 12, "weighted_n": n * 1.01, "events": n // 3, "clusters": n,
                         "strata": 5, "df_resid": n - 5, "log_likelihood": -1000.0,
                         "pseudo_r2": 0.081, "aic": 2020.0, "n_excluded_missing": 12,
                         "converged": True, "n_flags": flags})
    return pd.DataFrame(rows)


def excluded(failed=(("collective_any", "FR"),), by=(("age", 5), ("self_efficacy", 9))
             ) -> pd.DataFrame:
    """Who each model excluded for which missing variable (results/models/excluded.csv): ``by``
    in every model that did not fail (a respondent may miss both: 12 excluded in all)."""
    rows = [{"outcome": o, "sample": s, "variable": v, "n_excluded": n}
            for s in SAMPLES for o in OUTCOMES if (o, s) not in failed for v, n in by]
    return pd.DataFrame(rows, columns=["outcome", "sample", "variable", "n_excluded"])


def predictions(failed=(("collective_any", "FR"),)) -> pd.DataFrame:
    rows = []
    for sample in SAMPLES:
        for o in OUTCOMES:
            if (o, sample) in failed:
                continue
            b = BETA[o]
            for age in (20, 40, 60, 80):
                for g in ("man", "woman"):
                    eta = b["Intercept"] + b["age"] * age + (b["gender[T.woman]"] if g == "woman" else 0) + b["self_efficacy"] * 2.5
                    p = 1 / (1 + np.exp(-eta))
                    rows.append({"outcome": o, "sample": sample, "grid": "age_by_gender",
                                 "age": age, "gender": g, "self_efficacy": np.nan,
                                 "predicted": p, "std_error": 0.02, "conf_low": p - 0.04,
                                 "conf_high": p + 0.04})
            for e in (1, 2, 3, 4):
                eta = b["Intercept"] + b["age"] * 50 + b["self_efficacy"] * e
                p = 1 / (1 + np.exp(-eta))
                rows.append({"outcome": o, "sample": sample, "grid": "self_efficacy", "age": np.nan,
                             "gender": np.nan, "self_efficacy": e, "predicted": p,
                             "std_error": 0.02, "conf_low": p - 0.04, "conf_high": p + 0.04})
    return pd.DataFrame(rows)


def contrast(failed_samples=("FR",)) -> pd.DataFrame:
    """Difference collective minus individual (log-odds), per term and sample, plus a joint test."""
    rows = []
    for sample in SAMPLES:
        if sample in failed_samples:
            rows.append({"sample": sample, "status": "failed",
                         "message": "the outcome is 0 for all respondents"})
            continue
        for term in BETA["individual_any"]:
            if term == "Intercept" or (term.startswith("country") and sample != "pooled"):
                continue
            d = BETA["collective_any"][term] - BETA["individual_any"][term]
            se = SE[term] * 1.2
            var, level = _parts(term)
            rows.append({"sample": sample, "status": "ok", "message": "", "term": term,
                         "label": f"{LABELS[var]}: {level}" if level else LABELS[var],
                         "difference": d, "std_error": se, "conf_low": d - 1.96 * se,
                         "conf_high": d + 1.96 * se, "statistic": d / se,
                         "p_value": 0.0001 if abs(d / se) > 3.3 else 0.4})
        rows.append({"sample": sample, "status": "ok", "message": "", "term": "joint",
                     "label": "all covariates", "statistic": 25.0, "p_value": 0.00001})
    return pd.DataFrame(rows)


def prevalence(groups=(("UK", 0.0), ("FR", -0.05)), whole: bool | None = None
               ) -> pd.DataFrame:
    """prevalence.csv as the descriptives rule writes it: the whole sample's rows first
    (``pooled``; ``whole``: default with two or more groups), then each group's."""
    rows = []
    if whole if whole is not None else len(groups) > 1:
        groups = (("pooled", sum(s for _, s in groups) / len(groups)), *groups)
    for g, shift in groups:
        for o, p in (("individual_any", 0.7), ("collective_any", 0.2),
                     ("individual_safety", 0.5), ("collective_safety", 0.1)):
            kind, dom = o.split("_")
            rows.append({"group": g, "outcome": o, "kind": kind, "domain": dom, "label": o,
                         "n": 990, "events": int(990 * (p + shift)), "estimate": p + shift,
                         "std_error": 0.015, "conf_low": p + shift - 0.03,
                         "conf_high": p + shift + 0.03, "note": ""})
    return pd.DataFrame(rows)


def descriptives() -> pd.DataFrame:
    """descriptives.csv of two groups: the whole sample's rows first, as the rule writes it."""
    rows = []
    for g in ("pooled", "UK", "FR"):
        base = {"group": g, "group_n": 2000 if g == "pooled" else 1000, "note": ""}
        rows.append({**base, "variable": "age", "label": "Age (years)", "level": "",
                     "stat": "mean", "n": 998, "estimate": 47.5, "std_error": 0.5,
                     "conf_low": 46.5, "conf_high": 48.5})
        for lv, p in (("man", 0.48), ("woman", 0.52)):
            rows.append({**base, "variable": "gender", "label": "Gender", "level": lv,
                         "stat": "percent", "n": 1000, "estimate": p, "std_error": 0.015,
                         "conf_low": p - 0.03, "conf_high": p + 0.03})
    return pd.DataFrame(rows)


# effect sizes per SD (probability scale) and their SEs, per outcome: for individual
# co-production age and self-efficacy cannot be told apart; for collective, self-efficacy is
# clearly the strongest
SIZES = {
    "individual_any": {"age": (0.09, 17.0), "gender": (0.05, None),
                       "self_efficacy": (0.07, 0.8), "education": (0.01, None)},
    "collective_any": {"age": (-0.03, 17.0), "gender": (0.001, None),
                       "self_efficacy": (0.08, 0.8), "education": (0.025, None)},
}


def effects(failed=(("collective_any", "FR"),)) -> pd.DataFrame:
    """The effects table (results/models/effects.csv) of every model not failed, ranked and
    compared by the engine's own rule (coprod.pipeline.effectsize.judge) from the sizes above."""
    from coprod.pipeline.effectsize import judge

    parts = []
    for sample in SAMPLES:
        for o in OUTCOMES:
            if (o, sample) in failed:
                continue
            sizes = SIZES[o]
            info = pd.DataFrame({"variable": list(sizes),
                                 "kind": ["numeric" if sd else "factor"
                                          for _, sd in sizes.values()],
                                 "sd": [sd if sd else np.nan for _, sd in sizes.values()]})
            se = 0.01 * (1 if sample == "pooled" else 2.2)
            t = judge(info, np.array([e for e, _ in sizes.values()]),
                      np.diag([se ** 2] * len(sizes)), df=4990, conf_level=0.95)
            t["label"] = [LABELS[v] for v in t["variable"]]
            t.insert(0, "outcome", o)
            t.insert(1, "sample", sample)
            parts.append(t)
    return pd.concat(parts, ignore_index=True)


def cleaning_summary() -> pd.DataFrame:
    return pd.DataFrame({"country": ["UK", "FR"], "read": [1010, 1005],
                         "dropped_duplicate_record": [5, 0], "dropped_invalid_weight": [5, 5],
                         "kept": [1000, 1000], "values_set_missing": [120, 80],
                         "values_recoded": [0, 3], "balanced": [True, True]})


def renamed(df: pd.DataFrame, column: str = "region", label: str = "Region") -> pd.DataFrame:
    """A results table of the same survey whose group column is ``column`` (worded ``label``)
    instead of country: terms, variables, labels and a first column named country renamed."""
    df = df.rename(columns={"country": column})
    for col, old, new in (("term", "country[", f"{column}["), ("variable", "country", column),
                          ("label", "Country", label)):
        if col in df.columns:
            df[col] = df[col].astype(str).str.replace(old, new, regex=False)
    return df


def config() -> dict:
    """The project's config, narrowed to the hand-made models above."""
    import copy
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    cfg = safe_load((root / "config" / "config.yaml").read_text())
    cfg = copy.deepcopy(cfg)
    cfg["data"]["codebook"] = str(root / "config" / "codebook.yaml")
    cfg["models"].update(outcomes=list(OUTCOMES), samples=list(SAMPLES),
                         covariates=list(COVARIATES), contrast=list(OUTCOMES))
    cfg["report"]["findings"] = str(root / "config" / "findings.yaml")
    cfg["report"]["tables"]["models"].pop("pooled_domains", None)
    return cfg


def write_inputs(tmp, group_column: str | None = None, group_label: str = "Country",
                 **tables) -> dict:
    """Every input of the tables, figures, findings and report functions, as files in ``tmp``.

    Without ``group_column`` the clean table's metadata is of the older kind (no group_column:
    the group column is its first column, country); with it, the results are :func:`renamed`.
    Keyword arguments replace a result table (``prevalence=...``).
    """
    from coprod.pipeline.io import write_csv, write_table

    tables = {"coefficients": coefficients(), "fit": fit(), "excluded": excluded(),
              "predictions": predictions(),
              "effects": effects(),
              "contrast": contrast(), "prevalence": prevalence(), "descriptives": descriptives(),
              "cleaning_summary": cleaning_summary(), **tables}
    column = group_column or "country"
    paths = {}
    for name, df in tables.items():
        paths[name] = tmp / f"{name}.csv"
        write_csv(renamed(df, column, group_label) if group_column else df, paths[name])
    paths["clean_table"] = tmp / "survey.parquet"
    meta = {"labels": {**LABELS, column: group_label}, "threshold": "often",
            "survey": "Toy survey", "group_label": group_label}
    if group_column:
        meta.update(group_column=group_column, id_column=None)
    write_table(pd.DataFrame({column: ["UK", "FR"], "age": [30.0, 40.0]}),
                paths["clean_table"], meta)
    return paths


def placeholder_outputs(tmp, settings: dict) -> tuple[dict, dict]:
    """Stand-ins for the tables' JSON and the figures' PNG a report needs (for tests that read
    the page's text, not its tables or figures): ({table: path}, {figure: path})."""
    from coprod.pipeline.reportsettings import ReportSettings
    from coprod.report.report import figure_names, table_names
    from coprod.report.tablemodel import Table, to_json

    tables, figs = {}, {}
    for n in table_names(ReportSettings.from_params(settings)):
        tables[n] = tmp / f"{n}.json"
        tables[n].write_text(to_json(Table(name=n, caption=f"Table {n}", columns=(), rows=(),
                                           cells=())))
    for n in figure_names(ReportSettings.from_params(settings)):
        figs[n] = tmp / f"{n}.png"
        figs[n].write_bytes(b"\x89PNG")
    return tables, figs
