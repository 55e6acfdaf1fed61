"""Write tests/data/golden/replicate_survey.csv: missing_survey.csv plus calibration and BRR columns.

Run from anywhere: .venv/bin/python tools/make_replicate_survey.py
Reads tests/data/golden/missing_survey.csv (496 respondents, strata `country` AA/BB/CC, 36 PSUs,
some values missing) and tests/data/golden/design_survey.csv (the same rows, complete), and
writes missing_survey's columns unchanged (same rows, same order, same text) followed by:

  agegrp    "18-34", "35-54" or "55+", cut from design_survey's COMPLETE age (so it is never
            missing, as calibration variables must be): 103 / 145 / 248 respondents
  sex       "man" (female == 0) or "woman" (female == 1), from design_survey's complete female
  vstratum  half-sample (BRR / Fay) variance stratum, e.g. "AA-h1"
  vpsu      1 or 2: the half of the variance stratum the respondent's PSU belongs to

The pairing for BRR: within each country the PSUs are taken in the order of their labels and
paired consecutively: (AA-00, AA-01) -> AA-h1, (AA-02, AA-03) -> AA-h2, ... AA has 12 PSUs
(6 vstrata), but BB has 9 and CC 15, an odd number, so the country's last three PSUs form its
last vstratum with the first of them as vpsu 1 and the other two merged into vpsu 2
(BB-h4: BB-06 | BB-07 + BB-08; CC-h7: CC-12 | CC-13 + CC-14). 6 + 4 + 7 = 17 vstrata, each with
exactly 2 vpsu. Nothing here is random (no seed is needed); rerunning gives the same file.
"""
from pathlib import Path

import pandas as pd

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "data" / "golden"
SRC = GOLDEN / "missing_survey.csv"
COMPLETE = GOLDEN / "design_survey.csv"
OUT = GOLDEN / "replicate_survey.csv"

INTEGER_COLUMNS = ["age", "female", "efficacy", "individual", "collective"]
AGE_BREAKS = [(34, "18-34"), (54, "35-54"), (200, "55+")]   # upper bound (inclusive), label


def age_group(age: int) -> str:
    for upper, label in AGE_BREAKS:
        if age <= upper:
            return label
    raise ValueError(age)


def half_samples(psus: list[str]) -> list[tuple[str, int]]:
    """(vstratum number, vpsu) for each PSU of one country, PSUs in label order."""
    n = len(psus)
    out = []
    for k in range(n):
        h = min(k // 2, n // 2 - 1)                 # an odd last PSU joins the last pair
        vpsu = 1 if (k == 2 * h) else 2
        out.append((h + 1, vpsu))
    return out


def main() -> None:
    d = pd.read_csv(SRC, dtype={c: "Int64" for c in INTEGER_COLUMNS})
    full = pd.read_csv(COMPLETE)
    assert len(d) == len(full) == 496
    assert (d["id"].to_numpy() == full["id"].to_numpy()).all()
    assert (d["psu"].to_numpy() == full["psu"].to_numpy()).all()
    assert full[["age", "female"]].notna().all().all()

    d["agegrp"] = [age_group(int(a)) for a in full["age"]]
    d["sex"] = ["woman" if f == 1 else "man" for f in full["female"]]

    vstratum, vpsu = {}, {}
    for country, rows in d.groupby("country", sort=True):
        psus = sorted(rows["psu"].unique())
        for psu, (h, half) in zip(psus, half_samples(psus)):
            vstratum[psu] = f"{country}-h{h}"
            vpsu[psu] = half
    d["vstratum"] = d["psu"].map(vstratum)
    d["vpsu"] = d["psu"].map(vpsu)

    halves = d.groupby("vstratum")["vpsu"].nunique()
    assert (halves == 2).all() and len(halves) == 17, halves
    # the sampling strata nest the variance strata
    assert (d.groupby("vstratum")["country"].nunique() == 1).all()

    d.to_csv(OUT, index=False, na_rep="")
    # missing_survey's columns are copied unchanged, character for character
    old = SRC.read_text().splitlines()
    new = OUT.read_text().splitlines()
    ncol = len(old[0].split(","))
    assert [",".join(line.split(",")[:ncol]) for line in new] == old
    groups = d["agegrp"].value_counts().sort_index().to_dict()
    print(f"wrote {OUT} ({len(d)} rows; agegrp {groups}; {len(halves)} vstrata)")


if __name__ == "__main__":
    main()
