"""Write tests/data/golden/mi_survey.csv: M = 5 multiply imputed copies of one seeded survey.

Run from anywhere: .venv/bin/python tools/make_mi_survey.py
Why simulated: R's reference numbers for Rubin's rules over design-based logistic models
(mitools::MIcombine of svyglm fits, tools/golden_mi.R) need a stratified cluster design with a
binary outcome, covariates with missing values, several completed (imputed) copies that differ
only in the imputed cells, and a domain.

The survey: 800 respondents in 3 strata (`stratum` S1..S3) with 10-15 PSUs each (`psu`, labels
unique across strata: "S1-01", ...), 6 or more respondents per PSU. The file is LONG (stacked):
the 5 completed datasets one after the other, 5 x 800 rows, rows in the same order in each.
Columns:

  imp              1..5: the imputation (completed dataset)
  id               1..800: the respondent (the same in every imputation)
  stratum          S1..S3
  psu              "<stratum>-<nn>"
  weight           sampling weight: stratum base x PSU factor x person factor, 4 decimals
  region           "north" / "south": the domain. It crosses the strata; 70% of PSUs lie
                   wholly in one region, the others are mixed
  age              integer 18..85
  female           0 / 1
  efficacy         0.0..10.0, one decimal. 120 cells (15%) were missing (more often among the
                   old); in each imputation they are filled from a linear regression on age,
                   female, y, educ and region fitted to the complete rows, with the regression
                   parameters drawn from their posterior (proper imputation) plus normal noise
  efficacy_missing 1 if efficacy was missing (imputed), else 0
  educ             "low" / "mid" / "high" (reference "low"). 64 cells (8%) were missing; in
                   each imputation they are drawn from the observed shares within the cell of
                   (age < 45) x y, the shares themselves drawn from Dirichlet(counts + 1)
  educ_missing     1 if educ was missing (imputed), else 0
  y                0 / 1: logistic model in age, female, efficacy, educ, region and a PSU
                   random effect (sd 0.4), from the true (never missing) values

Observed cells are identical in every imputation; only the imputed cells differ. educ is
imputed first, and efficacy then uses the completed educ. Nothing but numpy's seeded generators
is random: default_rng(20261221) for the survey, default_rng([20261221, imp]) for imputation
imp. Values are rounded before they are written, so the CSV is exact and rerunning gives the
same file.
"""
import csv
from pathlib import Path

import numpy as np
from golden_design import draw_people, draw_psus

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "golden" / "mi_survey.csv"

SEED = 20261221
N = 800
M = 5
STRATA = ["S1", "S2", "S3"]
BASE_WEIGHT = {"S1": 150.0, "S2": 320.0, "S3": 540.0}
SOUTH_SHARE = {"S1": 0.3, "S2": 0.5, "S3": 0.7}    # P(a PSU is southern), by stratum
EDUC_LEVELS = ["low", "mid", "high"]
MISSING_EFFICACY = 120                              # 15% of 800
MISSING_EDUC = 64                                   # 8% of 800
MIN_PER_PSU = 6


def impute(imp, age, female, y, south, efficacy, educ_code, miss_eff, miss_educ):
    """One completed copy of (efficacy, educ_code); the observed cells are left as they are."""
    rng = np.random.default_rng([SEED, imp])
    educ_c = educ_code.copy()
    # educ: observed shares within (age < 45) x y, shares drawn from Dirichlet(counts + 1)
    young = age < 45
    for cell_young in (False, True):
        for cell_y in (0, 1):
            in_cell = (young == cell_young) & (y == cell_y)
            counts = np.bincount(educ_code[in_cell & ~miss_educ], minlength=3)
            shares = rng.dirichlet(counts + 1.0)
            todo = np.flatnonzero(in_cell & miss_educ)
            educ_c[todo] = rng.choice(3, size=todo.size, p=shares)
    # efficacy: normal linear regression on the complete rows, parameters drawn from their
    # posterior (flat prior), then the imputed value = x'beta* + N(0, sigma*^2), clipped, rounded
    X = np.column_stack([np.ones(age.size), age - 50.0, female, y, educ_c == 1, educ_c == 2,
                         south]).astype(float)
    cc = ~miss_eff & ~miss_educ
    Xc, ec = X[cc], efficacy[cc]
    xtx_inv = np.linalg.inv(Xc.T @ Xc)
    beta_hat = xtx_inv @ Xc.T @ ec
    rss = float(((ec - Xc @ beta_hat) ** 2).sum())
    dof = int(cc.sum()) - X.shape[1]
    sigma2 = rss / rng.chisquare(dof)
    beta = rng.multivariate_normal(beta_hat, sigma2 * xtx_inv, method="cholesky")
    eff_c = efficacy.copy()
    todo = np.flatnonzero(miss_eff)
    eff_c[todo] = np.clip(np.round(X[todo] @ beta + rng.normal(0.0, np.sqrt(sigma2), todo.size),
                                   1), 0.0, 10.0)
    return eff_c, educ_c


def main() -> None:
    rng = np.random.default_rng(SEED)

    # ---- design: strata, PSUs, PSU sizes ---------------------------------------------------
    design = draw_psus(rng, STRATA, (10, 16), N, MIN_PER_PSU)   # drawn in golden_design
    m, n_psu = design["m"], design["n_psu"]
    psu_effect = rng.normal(0.0, 0.4, m)

    # ---- people ----------------------------------------------------------------------------
    people = draw_people(rng, design, n=N, south_share=SOUTH_SHARE, base_weight=BASE_WEIGHT)
    psu_idx, stratum, psu, weight = (people[k] for k in ("psu_idx", "stratum", "psu", "weight"))
    south, region, age, female = (people[k] for k in ("south", "region", "age", "female"))
    young = (age < 45).astype(float)
    p_educ = np.column_stack([0.40 - 0.15 * young, 0.35 + 0.0 * young, 0.25 + 0.15 * young])
    u = rng.uniform(size=N)
    educ_code = (u[:, None] > np.cumsum(p_educ, axis=1)[:, :2]).sum(axis=1)   # 0, 1, 2
    efficacy = np.clip(np.round(5.0 + 0.6 * (educ_code == 1) + 1.2 * (educ_code == 2)
                                - 0.015 * (age - 50) + 0.3 * female
                                + rng.normal(0.0, 1.6, N), 1), 0.0, 10.0)
    eta = (-0.4 + 0.02 * (age - 50) + 0.3 * female + 0.35 * (efficacy - 5.0)
           + 0.4 * (educ_code == 1) + 0.8 * (educ_code == 2) + 0.3 * south
           + psu_effect[psu_idx])
    y = (rng.uniform(size=N) < 1.0 / (1.0 + np.exp(-eta))).astype(int)

    # ---- missing cells (after y used the true values): efficacy more often among the old ----
    p_miss = np.exp(0.02 * (age - 50))
    miss_eff = np.zeros(N, dtype=bool)
    miss_eff[rng.choice(N, MISSING_EFFICACY, replace=False, p=p_miss / p_miss.sum())] = True
    miss_educ = np.zeros(N, dtype=bool)
    miss_educ[rng.choice(N, MISSING_EDUC, replace=False)] = True

    completed = [impute(imp, age, female, y, south, efficacy, educ_code, miss_eff, miss_educ)
                 for imp in range(1, M + 1)]

    # ---- checks ----------------------------------------------------------------------------
    assert (weight > 0).all() and age.min() >= 18 and age.max() <= 85
    assert all(10 <= n_psu[h] <= 15 for h in STRATA)
    for h in STRATA:   # every stratum has >= 2 PSUs with southern respondents
        assert len(set(psu[(stratum == h) & south])) >= 2, h
    for eff_c, educ_c in completed:
        assert (eff_c[~miss_eff] == efficacy[~miss_eff]).all()
        assert (educ_c[~miss_educ] == educ_code[~miss_educ]).all()
        for sub in (np.ones(N, dtype=bool), south):   # every educ level and both y, whole/south
            assert len(set(educ_c[sub])) == 3 and len(set(y[sub])) == 2
    for a in range(M):  # the imputed cells differ between imputations
        for b in range(a):
            assert (completed[a][0][miss_eff] != completed[b][0][miss_eff]).any()
            assert (completed[a][1][miss_educ] != completed[b][1][miss_educ]).any()

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["imp", "id", "stratum", "psu", "weight", "region", "age", "female",
                    "efficacy", "efficacy_missing", "educ", "educ_missing", "y"])
        for imp, (eff_c, educ_c) in enumerate(completed, start=1):
            for i in range(N):
                w.writerow([imp, i + 1, stratum[i], psu[i], f"{weight[i]:.4f}", region[i],
                            int(age[i]), int(female[i]), f"{eff_c[i]:.1f}", int(miss_eff[i]),
                            EDUC_LEVELS[educ_c[i]], int(miss_educ[i]), int(y[i])])
    imputed_means = [f"{c[0][miss_eff].mean():.3f}" for c in completed]
    print(f"wrote {OUT} ({M} x {N} rows, {m} PSUs {n_psu}, south {int(south.sum())}, "
          f"y = 1: {int(y.sum())}, efficacy missing {int(miss_eff.sum())} (imputed means "
          f"{', '.join(imputed_means)}; true {efficacy[miss_eff].mean():.3f}), educ missing "
          f"{int(miss_educ.sum())}, both {int((miss_eff & miss_educ).sum())}, "
          f"weight {weight.min():.4f}..{weight.max():.4f})")


if __name__ == "__main__":
    main()
