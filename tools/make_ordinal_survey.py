"""Write tests/data/golden/ordinal_survey.csv: a seeded survey with an ordinal and a count outcome.

Run from anywhere: .venv/bin/python tools/make_ordinal_survey.py
Why simulated: R's reference numbers for svyolr (proportional odds), quasi-Poisson svyglm and
binary cuts of the ordinal outcome (tools/golden_ordinal.R) need a stratified cluster design with
an ordered outcome, a count outcome, a factor covariate, a domain and some missing values.

1,500 respondents in 4 strata (`stratum` S1..S4) with 15-25 PSUs each (`psu`, labels unique
across strata: "S1-01", ...), 8 or more respondents per PSU. Columns:

  id        1..1500
  stratum   S1..S4
  psu       "<stratum>-<nn>"
  weight    sampling weight: stratum base x PSU factor x person factor, rounded to 4 decimals
  region    "north" / "south": the domain. It crosses the strata; 70% of PSUs lie wholly in
            one region, the others are mixed, so the south domain lacks some PSUs
  age       integer 18..85
  female    0 / 1
  efficacy  1, 1.5, ..., 4 (half points); 45 cells (3%) empty (missing)
  educ      "low" / "mid" / "high" (reference "low"), more "high" among the young
  freq      "never" < "rarely" < "sometimes" < "often": proportional odds (logit) model,
            P(freq <= k) = logistic(cut_k - eta), with a PSU random effect (sd 0.5)
  count     integer 0..9: Poisson with a log-linear mean and a PSU random effect (sd 0.3),
            capped at 9

Nothing but numpy's seeded generator is random (default_rng(20261220)); values are rounded
before they are written, so the CSV is exact and rerunning gives the same file.
"""
import csv
from pathlib import Path

import numpy as np
from golden_design import draw_people, draw_psus

OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "golden" / "ordinal_survey.csv"

N = 1500
STRATA = ["S1", "S2", "S3", "S4"]
BASE_WEIGHT = {"S1": 120.0, "S2": 260.0, "S3": 410.0, "S4": 650.0}
SOUTH_SHARE = {"S1": 0.2, "S2": 0.4, "S3": 0.6, "S4": 0.8}   # P(a PSU is southern), by stratum
FREQ_LEVELS = ["never", "rarely", "sometimes", "often"]
CUTS = np.array([-1.0, 0.6, 2.0])                               # logit P(freq <= k) = cut_k - eta
EDUC_LEVELS = ["low", "mid", "high"]
MISSING_EFFICACY = 45                                           # 3% of 1,500
MIN_PER_PSU = 8


def main() -> None:
    rng = np.random.default_rng(20261220)

    # ---- design: strata, PSUs, PSU sizes ---------------------------------------------------
    design = draw_psus(rng, STRATA, (15, 26), N, MIN_PER_PSU)   # drawn in golden_design
    m, n_psu = design["m"], design["n_psu"]
    psu_effect_freq = rng.normal(0.0, 0.5, m)
    psu_effect_count = rng.normal(0.0, 0.3, m)

    # ---- people ----------------------------------------------------------------------------
    people = draw_people(rng, design, n=N, south_share=SOUTH_SHARE, base_weight=BASE_WEIGHT)
    psu_idx, stratum, psu, weight = (people[k] for k in ("psu_idx", "stratum", "psu", "weight"))
    south, region, age, female = (people[k] for k in ("south", "region", "age", "female"))
    efficacy = np.clip(np.round(rng.normal(2.5, 0.7, N) * 2) / 2, 1.0, 4.0)
    # education: younger people more often "high"
    young = (age < 45).astype(float)
    p_educ = np.column_stack([0.40 - 0.15 * young, 0.35 + 0.0 * young, 0.25 + 0.15 * young])
    u = rng.uniform(size=N)
    educ_code = (u[:, None] > np.cumsum(p_educ, axis=1)[:, :2]).sum(axis=1)   # 0, 1, 2
    educ = np.array(EDUC_LEVELS)[educ_code]

    # ordinal outcome: latent eta + logistic noise, cut at CUTS
    eta = (0.02 * (age - 50) + 0.35 * female + 0.6 * (efficacy - 2.5)
           + 0.4 * (educ_code == 1) + 0.9 * (educ_code == 2)
           + 0.3 * south + psu_effect_freq[psu_idx])
    latent = eta + rng.logistic(0.0, 1.0, N)
    freq_code = (latent[:, None] > CUTS[None, :]).sum(axis=1)       # 0..3
    freq = np.array(FREQ_LEVELS)[freq_code]

    # count outcome: Poisson, capped at 9
    log_mu = (0.4 + 0.008 * (age - 50) - 0.2 * female + 0.25 * (efficacy - 2.5)
              + 0.15 * (educ_code == 1) + 0.3 * (educ_code == 2) + psu_effect_count[psu_idx])
    count = np.minimum(rng.poisson(np.exp(log_mu)), 9)

    # missing efficacy (after the outcomes used it)
    missing = np.zeros(N, dtype=bool)
    missing[rng.choice(N, MISSING_EFFICACY, replace=False)] = True

    # ---- checks ----------------------------------------------------------------------------
    assert (weight > 0).all() and age.min() >= 18 and age.max() <= 85
    for h in STRATA:   # every stratum keeps >= 2 PSUs with complete rows, whole and south
        in_h = stratum == h
        assert len(set(psu[in_h & ~missing])) >= 2
        assert len(set(psu[in_h & ~missing & south])) >= 2, h
    for sub in (np.ones(N, dtype=bool), south):   # every level present, whole and south
        assert len(set(freq[sub & ~missing])) == 4 and len(set(educ[sub & ~missing])) == 3
    # no PSU loses all its respondents to the missing efficacy values
    assert len(set(psu[~missing])) == m

    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["id", "stratum", "psu", "weight", "region", "age", "female", "efficacy",
                    "educ", "freq", "count"])
        for i in range(N):
            w.writerow([i + 1, stratum[i], psu[i], f"{weight[i]:.4f}", region[i], int(age[i]),
                        int(female[i]), "" if missing[i] else f"{efficacy[i]:g}", educ[i],
                        freq[i], int(count[i])])
    levels = {lv: int((freq == lv).sum()) for lv in FREQ_LEVELS}
    print(f"wrote {OUT} ({N} rows, {m} PSUs {n_psu}, south {int(south.sum())}, "
          f"efficacy missing {int(missing.sum())}, freq {levels}, "
          f"count mean {count.mean():.3f} max {count.max()}, "
          f"weight {weight.min():.4f}..{weight.max():.4f})")


if __name__ == "__main__":
    main()
