"""Generated surveys of the shapes a researcher brings (tests/e2e/test_byo.py runs them end to end).

Each shape writes its raw files, codebook, config and claims into a project copy: nothing but
config changes between them.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from conftest import QUICK_FIGURES


def _people(rng, n, groups):
    g = rng.choice(groups, n)
    age = rng.integers(18, 85, n).astype(float)
    female = rng.random(n) < 0.52
    trust = rng.integers(1, 6, n).astype(float)
    eta1 = -1.0 + 0.03 * (age - 45) + 0.4 * female + 0.3 * (trust - 3)
    eta2 = -2.0 - 0.02 * (age - 45) + 0.6 * (trust - 3)
    y1 = (rng.random(n) < 1 / (1 + np.exp(-eta1))).astype(int)
    y2 = (rng.random(n) < 1 / (1 + np.exp(-eta2))).astype(int)
    return pd.DataFrame({"group": g, "age": age, "female": female, "trust": trust, "y1": y1, "y2": y2})


def _claims(outcome_a, outcome_b, age, trust):
    return {"claims": [
        {"id": "age_a", "claim": "Older people do A more.", "covariate": age, "outcome": outcome_a,
         "expected": "positive", "source": "sim"},
        {"id": "trust_b", "claim": "Trust goes with B.", "covariate": trust, "outcome": outcome_b,
         "expected": "positive", "source": "sim"},
    ], "sources": {"sim": "Simulated for the coprod tests."}}


def _config(codebook, findings, outcomes, covariates, refs, samples, design, groups=None):
    return {
        "data": {"codebook": codebook, "synthetic": True},
        **({"groups": groups} if groups else {}),
        "design": design,
        "models": {"outcomes": outcomes, "covariates": covariates, "reference_levels": refs,
                   "samples": samples, "contrast": outcomes[:2],
                   "predictions": {"by_age": {covariates[0]: [20, 40, 60, 80]}}},
        "report": {"title": "A survey of my own", "findings": findings,
                   "figures": {"predictions": [{"grid": "by_age", "x": covariates[0]}],
                               **QUICK_FIGURES},
                   "tables": {"models": {"main": {"title": "Main models", "samples": ["pooled"],
                                                  "outcomes": None}}}},
    }


def twelve_groups_one_parquet(work: Path, rng) -> dict:
    """12 groups (spaces, accents) in one Parquet file, no weights, model-based errors, awkward column
    names, gender coded F/M, outcomes already 0/1, a subset of covariates."""
    names = [f"Région {i} – Über" if i % 2 else f"Zone {i}" for i in range(1, 13)]
    df = _people(rng, 2400, [f"R{i:02d}" for i in range(1, 13)])
    raw = pd.DataFrame({"Resp ID": np.arange(1, len(df) + 1), "Region code": df["group"],
                        "Age (years)": df["age"], "Sex": np.where(df["female"], "F", "M"),
                        "Trust: gov't (1-5)": df["trust"], "Did volunteer?": df["y1"],
                        "Voted?": df["y2"]})
    (work / "data" / "mine").mkdir(parents=True, exist_ok=True)
    raw.to_parquet(work / "data" / "mine" / "all regions.parquet", index=False)
    cb = {"survey": "Twelve regions", "group_label": "Region",
          "variables": {
              "resp id": {"raw": "Resp ID", "role": "id"},
              "age in years": {"raw": "Age (years)", "type": "numeric", "valid_range": [18, 100]},
              "sex": {"raw": "Sex", "type": "category", "codes": {"F": "female", "M": "male"}},
              "trust in government": {"raw": "Trust: gov't (1-5)", "type": "numeric", "valid_range": [1, 5]},
              "volunteered": {"raw": "Did volunteer?", "type": "numeric", "valid_range": [0, 1]},
              "voted": {"raw": "Voted?", "type": "numeric", "valid_range": [0, 1]}},
          "groups": {n: {"file": "data/mine/all regions.parquet", "where": {"Region code": f"R{i:02d}"}}
                     for i, n in enumerate(names, 1)}}
    cfg = _config("config/mine/codebook.yaml", "config/mine/findings.yaml",
                  ["volunteered", "voted"], ["age in years", "sex", "trust in government"],
                  {"sex": "male", "region": names[0]}, ["pooled", names[0], names[-1]],
                  {"weights": None, "strata": None, "psu": None, "model_based": True},
                  groups={"column": "region"})
    return {"codebook": cb, "config": cfg,
            "findings": _claims("volunteered", "voted", "age in years", "trust in government"),
            "groups": names}


def one_group_stata_with_design(work: Path, rng) -> dict:
    """One group in a Stata file, with weights, strata and clusters; ids are text."""
    import pyreadstat

    df = _people(rng, 1500, ["only"])
    stratum = rng.integers(1, 6, len(df))
    psu = stratum * 100 + rng.integers(0, 12, len(df))
    raw = pd.DataFrame({"id": [f"N-{j}" for j in range(len(df))],
                        "w": rng.uniform(0.4, 2.5, len(df)),
                        "strat": stratum, "cluster": psu, "age": df["age"],
                        "sex": np.where(df["female"], 2, 1), "trust": df["trust"],
                        "a": df["y1"], "b": df["y2"]})
    (work / "data" / "mine").mkdir(parents=True, exist_ok=True)
    pyreadstat.write_dta(raw, str(work / "data" / "mine" / "survey.dta"))
    cb = {"survey": "One national sample", "group_label": "Country",
          "variables": {
              "id": {"raw": "id", "role": "id"}, "weight": {"raw": "w", "role": "weight"},
              "stratum": {"raw": "strat", "role": "strata"}, "cluster": {"raw": "cluster", "role": "psu"},
              "age": {"raw": "age", "type": "numeric", "valid_range": [18, 100]},
              "gender": {"raw": "sex", "type": "category", "codes": {1: "man", 2: "woman"}},
              "trust": {"raw": "trust", "type": "numeric", "valid_range": [1, 5]},
              "a": {"raw": "a", "type": "numeric", "valid_range": [0, 1]},
              "b": {"raw": "b", "type": "numeric", "valid_range": [0, 1]}},
          "groups": {"Nation": {"file": "data/mine/survey.dta"}}}
    cfg = _config("config/mine/codebook.yaml", "config/mine/findings.yaml", ["a", "b"],
                  ["age", "gender", "trust"], {"gender": "man"}, ["pooled"],
                  {"weights": "weight", "strata": "stratum", "psu": "cluster"})
    return {"codebook": cb, "config": cfg, "findings": _claims("a", "b", "age", "trust"),
            "groups": ["Nation"]}


#: (Weights with strata and no clusters runs end to end in the bundled run, a file per group
#: too (.sav); one CSV file filtered by group in the examples and the golden survey by config.)
SHAPES = {"twelve-groups-one-parquet-no-weights": twelve_groups_one_parquet,
          "one-group-stata-strata-clusters": one_group_stata_with_design}


def write_shape(work: Path, shape: str, seed: int = 7) -> tuple[Path, dict]:
    spec = SHAPES[shape](work, np.random.default_rng(seed))
    (work / "config" / "mine").mkdir(parents=True, exist_ok=True)
    for name in ("codebook", "config", "findings"):
        (work / "config" / "mine" / f"{name}.yaml").write_text(
            yaml.safe_dump(spec[name], allow_unicode=True, sort_keys=False), encoding="utf-8")
    return work / "config" / "mine" / "config.yaml", spec
