"""The minimal hand-written alternative to the pipeline, for benchmarks/run.py to time against.

What a careful analyst would write without coprod: read the five SPSS files, undo the vendor
quirks the codebook describes (per-country missing codes, duplicates, missing weights, DK's year
of birth, CZ's reversed gender, DE's renamed item, FR's item not asked), build the covariates and
the outcomes, and fit the eight pooled models of the pipeline (each outcome on the same covariates
plus country effects) with the same design-based standard errors: weights, strata = country, each respondent a PSU, Taylor linearisation (the sandwich
A^-1 B A^-1 with B from the scores centred within strata, n_h/(n_h - 1)). The fit is statsmodels'
GLM with ``var_weights``; the sandwich is a few lines of numpy.

It does NOT do what the pipeline also does: the 40 per-country models, AMEs, predictions,
contrasts, the cleaning log and checks, the report. benchmarks/run.py compares it with the
pipeline restricted to the pooled models (the clean job and the pooled sample's job, which also
computes their AMEs, predictions and contrast), and checks that both give the same numbers.

    python benchmarks/baseline.py [--raw data/raw] [--out coefficients.csv]
"""
import argparse
import time

T0 = time.perf_counter()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyreadstat  # noqa: E402
import statsmodels.api as sm  # noqa: E402

T_IMPORT = time.perf_counter()

COUNTRIES = ["UK", "FR", "DE", "DK", "CZ"]
MISSING = {"UK": (8, 9), "FR": (98, 99), "DE": (-1, -2), "DK": (8, 9), "CZ": (97, 99)}
ITEMS = {"individual_safety": ["Q1A", "Q1B", "Q1C"], "collective_safety": ["Q1D"],
         "individual_environment": ["Q2A", "Q2B", "Q2C"], "collective_environment": ["Q2D"],
         "individual_health": ["Q3A", "Q3B", "Q3C"], "collective_health": ["Q3D"]}
SCALES = {"self_efficacy": (["Q10A", "Q10B", "Q10C"], 4),
          "performance": (["Q11A", "Q11B", "Q11C"], 5),
          "outcome_perception": (["Q12A", "Q12B", "Q12C"], 4)}
YES_NO = {"informed": ["Q13A", "Q13B", "Q13C"], "consulted": ["Q14A", "Q14B", "Q14C"]}
CATEGORIES = {"education": ("Q52", {1: "low", 2: "medium", 3: "high"}),
              "employment": ("Q53", {1: "employed", 2: "unemployed", 3: "retired", 4: "inactive"}),
              "urban": ("Q54", {1: "urban", 2: "rural"})}
REFERENCE = {"gender": "man", "education": "low", "employment": "employed", "urban": "rural",
             "informed": "no", "consulted": "no", "country": "UK"}
OUTCOMES = [f"{kind}_{domain}" for domain in ("any", "safety", "environment", "health")
            for kind in ("individual", "collective")]
COVARIATES = ["age", "gender", "self_efficacy", "education", "employment", "urban", "performance",
              "outcome_perception", "informed", "consulted", "country"]


def any_positive(block: pd.DataFrame) -> pd.Series:
    """1 if any answered item is positive, 0 if all answered ones are not, NaN if none answered."""
    return pd.Series(np.where((block == 1).any(axis=1), 1.0,
                              np.where(block.notna().any(axis=1), 0.0, np.nan)), block.index)


def clean_country(path: str, country: str) -> pd.DataFrame:
    raw, _ = pyreadstat.read_sav(path, user_missing=True)
    raw = raw.rename(columns={"Q2_GRUPPE": "Q2D"})
    raw = raw[~raw.duplicated(keep="first")]
    raw = raw[~raw["RESPID"].duplicated(keep=False)]
    raw = raw[raw["WGT"].notna() & (raw["WGT"] > 0) & np.isfinite(raw["WGT"])]
    codes = raw.replace(list(MISSING[country]), np.nan)  # don't know / refused
    out = pd.DataFrame({"respondent_id": raw["RESPID"], "weight": raw["WGT"],
                        "country": country}, index=raw.index)
    age = 2008 - raw["Q50"] if country == "DK" else raw["Q50"]  # DK: year of birth
    out["age"] = age.where(age.between(18, 105))
    gender = {1: "woman", 2: "man"} if country == "CZ" else {1: "man", 2: "woman"}
    out["gender"] = codes["Q51"].map(gender)
    for name, (col, labels) in CATEGORIES.items():
        out[name] = codes[col].map(labels)
    for name, (cols, top) in SCALES.items():
        block = codes[cols].where((codes[cols] >= 1) & (codes[cols] <= top))
        out[name] = block.mean(axis=1).where(block.notna().sum(axis=1) >= 2)
    for name, cols in YES_NO.items():
        out[name] = any_positive(codes[cols]).map({1.0: "yes", 0.0: "no"})
    for name, cols in ITEMS.items():  # 1 often, 2 sometimes, 3 never; "often" counts
        block = codes.reindex(columns=cols).where(codes.reindex(columns=cols).isin([1, 2, 3]))
        out[name] = any_positive(block.where(block.isna(), (block == 1).astype(float)))
    for kind in ("individual", "collective"):
        parts = out[[f"{kind}_{d}" for d in ("safety", "environment", "health")]]
        out[f"{kind}_any"] = any_positive(parts)
    return out


def design_based_fit(data: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Weighted logit with Taylor-linearised SEs: strata = country, each respondent a PSU."""
    frame = data[[outcome, *COVARIATES, "weight"]]
    complete = frame.notna().all(axis=1).to_numpy()
    X = frame[COVARIATES].copy()
    for var, ref in REFERENCE.items():
        levels = [ref] + sorted(set(X[var].dropna()) - {ref})
        X[var] = pd.Categorical(X[var], categories=levels)
    X = sm.add_constant(pd.get_dummies(X, drop_first=True, dtype=float))
    y, w = data[outcome].to_numpy(float), data["weight"].to_numpy(float)
    fit = sm.GLM(y[complete], X[complete], family=sm.families.Binomial(),
                 var_weights=w[complete]).fit()
    A_inv = fit.cov_params().to_numpy()  # (X' W X)^-1
    U = np.zeros((len(data), X.shape[1]))  # scores; incomplete rows stay in the design as zeros
    U[complete] = X[complete].to_numpy() * (w[complete] * (y[complete] - fit.mu))[:, None]
    B = np.zeros((X.shape[1],) * 2)
    for _, rows in data.groupby("country", sort=False).indices.items():
        n_h, Uh = len(rows), U[rows]
        dev = Uh - Uh.mean(axis=0)
        B += n_h / (n_h - 1) * dev.T @ dev
    se = np.sqrt(np.diag(A_inv @ B @ A_inv))
    return pd.DataFrame({"outcome": outcome, "term": X.columns, "estimate": fit.params.to_numpy(),
                         "std_error": se})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", default="data/raw", help="folder of the five <C>_2008.sav files")
    parser.add_argument("--out", default=None, help="write the coefficients here (CSV)")
    args = parser.parse_args(argv)
    t = {"import": T_IMPORT - T0}
    t1 = time.perf_counter()
    data = pd.concat([clean_country(f"{args.raw}/{c}_2008.sav", c) for c in COUNTRIES],
                     ignore_index=True)
    t["read+clean"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    coefs = pd.concat([design_based_fit(data, o) for o in OUTCOMES], ignore_index=True)
    t["fit"] = time.perf_counter() - t1
    if args.out:
        coefs.to_csv(args.out, index=False)
    print(f"baseline: {len(data)} respondents; " + ", ".join(f"{k} {v:.2f} s" for k, v in t.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
