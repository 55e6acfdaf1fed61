"""Write tests/data/golden/missing_survey.csv: design_survey.csv with covariates and outcomes missing.

Run from anywhere: .venv/bin/python tools/make_missing_survey.py
Reads tests/data/golden/design_survey.csv (496 respondents, strata `country` AA/BB/CC, 36 PSUs)
and writes the same rows and columns with values blanked (an empty cell) at random, each column
independently: 30 of `age` (6%), 20 of `female` (4%), 40 of `efficacy` (8%), 15 of `individual`
(3%) and 15 of `collective` (3%). In addition every respondent of PSU BB-05 (8 rows) loses one of
age, female or efficacy (chosen at random), so that PSU has no complete row for either outcome:
dropping incomplete rows before the design is built removes a whole PSU from stratum BB, which
is where the two ways of treating incomplete rows (tools/golden_incomplete.R) part company.
Seeded; rerunning gives the same file. Checks that every stratum keeps at least two PSUs with
complete rows for each outcome's model.
"""
from pathlib import Path

import numpy as np
import pandas as pd

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "data" / "golden"
SRC = GOLDEN / "design_survey.csv"
OUT = GOLDEN / "missing_survey.csv"

SHARES = {"age": 0.06, "female": 0.04, "efficacy": 0.08, "individual": 0.03, "collective": 0.03}
COVARIATES = ["age", "female", "efficacy"]
EMPTY_PSU = "BB-05"


def main() -> None:
    rng = np.random.default_rng(20261215)
    d = pd.read_csv(SRC)
    n = len(d)
    for col in SHARES:
        d[col] = d[col].astype("Int64")          # integers that can be missing, written as 87
    for col, share in SHARES.items():
        rows = rng.choice(n, int(round(share * n)), replace=False)
        d.loc[rows, col] = pd.NA
    # one PSU with no complete row: each of its respondents misses one covariate
    for i in np.flatnonzero((d["psu"] == EMPTY_PSU).to_numpy()):
        if not d.loc[i, COVARIATES].isna().any():
            d.loc[i, rng.choice(COVARIATES)] = pd.NA
    for y in ("individual", "collective"):
        complete = d[[y, *COVARIATES]].notna().all(axis=1)
        psus = d[complete].groupby("country")["psu"].nunique()
        assert (psus >= 2).all() and len(psus) == 3, (y, psus)
        assert not complete[d["psu"] == EMPTY_PSU].any()
    d.to_csv(OUT, index=False, na_rep="")
    counts = ", ".join(f"{c} {int(d[c].isna().sum())}" for c in SHARES)
    print(f"wrote {OUT} ({n} rows; missing: {counts})")


if __name__ == "__main__":
    main()
