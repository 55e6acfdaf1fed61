"""The stratified, clustered design of the seeded golden surveys (tools/make_*_survey.py).

Why shared: the surveys behind R's reference numbers draw the same kind of design -- PSUs per
stratum, PSU sizes, weights, a region domain that crosses the strata -- in the same order of
random draws; each script draws its own outcomes and PSU effects between the two steps below.
"""
from __future__ import annotations

import numpy as np


def draw_psus(rng: np.random.Generator, strata: list[str], psus: tuple[int, int], n: int,
              min_per_psu: int) -> dict:
    """PSUs per stratum (``psus`` = numpy's integers(low, high) bounds), labels unique across
    strata ("S1-01", ...), sizes adding up to ``n`` with at least ``min_per_psu`` each, and a
    weight factor per PSU."""
    n_psu = {h: int(rng.integers(*psus)) for h in strata}
    labels = [f"{h}-{k:02d}" for h in strata for k in range(1, n_psu[h] + 1)]
    stratum_of = [lab.split("-")[0] for lab in labels]
    m = len(labels)
    share = rng.gamma(4.0, 1.0, m)
    sizes = min_per_psu + rng.multinomial(n - min_per_psu * m, share / share.sum())
    assert sizes.sum() == n and sizes.min() >= min_per_psu
    return {"n_psu": n_psu, "labels": labels, "stratum_of": stratum_of, "m": m,
            "sizes": sizes, "factor": rng.uniform(0.6, 1.6, m)}


def draw_people(rng: np.random.Generator, psus: dict, *, n: int, south_share: dict,
                base_weight: dict) -> dict:
    """Each respondent's stratum, PSU, weight (stratum base x PSU factor x person factor, 4
    decimals), region (70% of PSUs lie wholly in one region, the others are mixed), age
    18..85 and sex."""
    m = psus["m"]
    whole = rng.uniform(size=m) < 0.7
    south_psu = np.array([rng.uniform() < south_share[h] for h in psus["stratum_of"]])
    idx = np.repeat(np.arange(m), psus["sizes"])
    stratum = np.array(psus["stratum_of"])[idx]
    weight = np.round(np.array([base_weight[h] for h in stratum]) * psus["factor"][idx]
                      * rng.uniform(0.7, 1.4, n), 4)
    mixed_south = rng.uniform(size=n) < 0.5
    south = np.where(whole[idx], south_psu[idx], mixed_south)
    return {"psu_idx": idx, "stratum": stratum, "psu": np.array(psus["labels"])[idx],
            "weight": weight, "south": south, "region": np.where(south, "south", "north"),
            "age": rng.integers(18, 86, n), "female": rng.integers(0, 2, n)}
