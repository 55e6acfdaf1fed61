"""Write tests/data/golden/fpc_survey.csv: a seeded two-stage survey for the fpc golden cases.

Why simulated: R's reference numbers (tools/golden_designs.R) need a design with population
sizes at both stages, a large sampling fraction (so the finite-population correction matters),
missing values and a stratum with a single PSU. Rerunning this gives the same file.

Columns: stratum (6 strata), N0 (persons in the stratum's population), psu, ssu (households nested in PSUs), N1 (PSUs in the stratum's
population) and f1 (the same as a sampling fraction), M2 (households in the PSU's population)
and f2, weight (inverse inclusion probability times household size), region (a domain that
cuts across strata), psu_l (PSUs with those of stratum S5 merged into one, a lonely stratum), ssu_l
(households with one PSU's merged into one), age (some missing), female, efficacy, y (0/1,
some missing).
"""
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "golden" / "fpc_survey.csv"


def main() -> None:
    rng = np.random.default_rng(20261201)
    rows = []
    for h in range(6):
        N1 = int(rng.integers(6, 14))
        n1 = int(rng.integers(3, 6))       # a large share of the stratum's PSUs
        for i in range(n1):
            M2 = int(rng.integers(5, 25))
            m2 = int(rng.integers(2, 6))
            for j in range(m2):
                size = int(rng.integers(1, 7))
                for _ in range(size):
                    rows.append({"stratum": f"S{h}", "psu": f"P{i}", "ssu": f"H{j}",
                                 "N1": N1, "f1": n1 / N1, "M2": M2, "f2": m2 / M2,
                                 "weight": round(N1 / n1 * M2 / m2 * size
                                                 * rng.uniform(0.8, 1.25), 4)})
    d = pd.DataFrame(rows)
    n = len(d)
    d.insert(0, "id", np.arange(1, n + 1))
    # population size in persons per stratum (for the design without clusters)
    n_h = d.groupby("stratum")["id"].transform("size")
    d["N0"] = (n_h * d.groupby("stratum")["id"].transform(lambda s: rng.uniform(1.5, 4))).round()
    d["region"] = rng.choice(["north", "south"], n, p=[0.4, 0.6])
    d["age"] = rng.integers(18, 90, n).astype(float)
    d["female"] = rng.integers(0, 2, n)
    d["efficacy"] = rng.integers(0, 4, n)
    eta = -2.0 + 0.025 * d["age"] + 0.3 * d["female"] + 0.4 * d["efficacy"]
    eta += d.groupby(["stratum", "psu"])["id"].transform(lambda s: rng.normal(0, 0.5))
    d["y"] = (rng.uniform(size=n) < 1 / (1 + np.exp(-eta))).astype(float)
    d.loc[rng.choice(n, 25, replace=False), "age"] = np.nan
    d.loc[rng.choice(n, 15, replace=False), "y"] = np.nan
    # stratum S5 made lonely: all its PSUs one PSU (for lonely_psu cases)
    d["psu_l"] = np.where(d["stratum"] == "S5", "P0", d["psu"])
    # PSU S0/P0 with all its households merged into one (a lonely SSU at stage 2)
    d["ssu_l"] = np.where((d["stratum"] == "S0") & (d["psu"] == "P0"), "H0", d["ssu"])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    d.to_csv(OUT, index=False, na_rep="NA", float_format="%.10g")
    print(f"wrote {OUT} ({n} rows)")


if __name__ == "__main__":
    main()
