"""Seeded simulator of the SYNTHETIC stand-in for the 2008 five-nation co-production survey.

Why: the real microdata (Parrado, Van Ryzin, Bovaird & Loeffler 2013; Bovaird et al. 2015) are
not public, so the pipeline ships simulated raw SPSS files with the same design (five countries,
three service domains, the published covariates) and with the kind of vendor quirks a real
multi-country file has. Every quirk is undone by an entry in ``config/codebook.yaml``, never by code.

The generating model is built so that "the pooled model's confidence intervals cover the
generating values" is a valid test: ``individual_any`` and ``collective_any`` are drawn FIRST as
exact logistic draws on the harmonised covariates, computed exactly as the cleaning computes them
(after don't-know/refused are set missing); the domains and the items are then filled in so that
the cleaning's threshold rule (default ``often``) gives back exactly those draws.

Everything here is synthetic. Nothing may be cited as a finding about a real country.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
from scipy.special import expit, ndtr, ndtri

COUNTRIES: tuple[str, ...] = ("UK", "FR", "DE", "DK", "CZ")
DOMAINS: tuple[str, ...] = ("safety", "environment", "health")
SURVEY_YEAR = 2008
DEFAULT_SEED = 2008
DEFAULT_SIZES: dict[str, int] = {"UK": 1020, "FR": 1005, "DE": 1010, "DK": 990, "CZ": 975}

#: Level names of the harmonised categorical covariates, in code order (code = index + 1).
EDUCATION_LEVELS = ("low", "medium", "high")
EMPLOYMENT_LEVELS = ("employed", "unemployed", "retired", "inactive")
ACTIVITY_LEVELS = ("often", "sometimes", "never")  # raw codes 1, 2, 3

#: The TRUE logistic coefficients of the two "any domain" outcomes on the harmonised covariates.
#: Reference levels: man, low education, employed, rural, informed no, consulted no, UK.
#: age in years; self_efficacy (1-4), performance (1-5), outcome_perception (1-4) are the means of
#: the domain items. Slopes are common to all countries; countries differ by intercept only.
GENERATING_VALUES: dict[str, dict] = {
    "individual_any": {
        "Intercept": -1.35,
        "age": 0.025,
        "self_efficacy": 0.35,
        "performance": 0.10,
        "outcome_perception": -0.30,
        "gender": {"woman": 0.45},
        "education": {"medium": 0.15, "high": 0.25},
        "employment": {"unemployed": -0.10, "retired": 0.15, "inactive": 0.10},
        "urban": {"urban": -0.15},
        "informed": {"yes": 0.35},
        "consulted": {"yes": 0.35},
        "country": {"FR": -0.30, "DE": 0.25, "DK": 0.45, "CZ": -0.30},
    },
    "collective_any": {
        "Intercept": -3.30,
        "age": -0.018,
        "self_efficacy": 0.90,
        "performance": -0.05,
        "outcome_perception": -0.35,
        "gender": {"woman": 0.0},
        "education": {"medium": 0.25, "high": 0.50},
        "employment": {"unemployed": -0.20, "retired": 0.20, "inactive": -0.10},
        "urban": {"urban": -0.20},
        "informed": {"yes": 0.40},
        "consulted": {"yes": 0.50},
        "country": {"FR": -0.30, "DE": 0.25, "DK": 0.30, "CZ": -0.40},
    },
}

#: Every generating parameter (the README's tables are made from this dict).
PARAMS: dict = {
    "seed": DEFAULT_SEED,
    "survey_year": SURVEY_YEAR,
    "countries": list(COUNTRIES),
    "domains": list(DOMAINS),
    "sizes": dict(DEFAULT_SIZES),
    "generating_values": GENERATING_VALUES,
    # Gaussian-copula correlation between the two "any" outcomes: co-producers of one kind are
    # more often co-producers of the other, while each margin stays an exact logistic draw.
    "outcome_copula_rho": 0.40,
    "demographics": {
        # age = 18 + floor(73 * Beta(a, b)), i.e. 18-90 years
        "age_beta": {"UK": [1.40, 1.90], "FR": [1.40, 1.90], "DE": [1.50, 1.80],
                     "DK": [1.45, 1.85], "CZ": [1.35, 1.90]},
        "p_woman": {"UK": 0.52, "FR": 0.53, "DE": 0.52, "DK": 0.51, "CZ": 0.52},
        # shares (low, medium, high); older respondents have less education (slope per decade)
        "education_shares": {"UK": [0.30, 0.40, 0.30], "FR": [0.32, 0.40, 0.28],
                             "DE": [0.18, 0.57, 0.25], "DK": [0.25, 0.42, 0.33],
                             "CZ": [0.15, 0.70, 0.15]},
        "education_age_slope_per_decade": -0.25,
        # employment probabilities (employed, unemployed, retired, inactive) by age band
        "employment_by_age": {"18-24": [0.45, 0.10, 0.00, 0.45],
                              "25-54": [0.78, 0.07, 0.01, 0.14],
                              "55-64": [0.50, 0.05, 0.35, 0.10],
                              "65+": [0.05, 0.00, 0.88, 0.07]},
        "p_urban": {"UK": 0.78, "FR": 0.70, "DE": 0.72, "DK": 0.68, "CZ": 0.64},
    },
    "attitudes": {
        # latent person score + domain shift + item noise, cut at the thresholds
        "efficacy": {"country_mean": {"UK": 0.0, "FR": -0.10, "DE": 0.10, "DK": 0.30, "CZ": -0.40},
                     "education_shift": [0.0, 0.15, 0.30],
                     "domain_shift": [0.0, 0.20, 0.10], "item_noise": 0.8,
                     "thresholds": [-1.2, -0.1, 1.0]},
        "performance": {"country_mean": {"UK": 0.0, "FR": -0.10, "DE": 0.10, "DK": 0.50,
                                         "CZ": -0.50},
                        "domain_shift": [0.0, 0.10, -0.10], "item_noise": 0.8,
                        "thresholds": [-1.6, -0.6, 0.4, 1.4]},
        "outcome": {"country_mean": {"UK": 0.0, "FR": 0.0, "DE": 0.20, "DK": 0.40, "CZ": -0.20},
                    "performance_loading": 0.30, "health_age_slope_per_decade": -0.15,
                    "domain_shift": [0.10, 0.0, 0.10], "item_noise": 0.8,
                    "thresholds": [-1.3, -0.2, 0.9]},
        # P(yes) = expit(country + domain + 1.2 * latent); latent correlates with efficacy
        "informed": {"country": {"UK": -1.5, "FR": -1.7, "DE": -1.6, "DK": -1.3, "CZ": -1.9},
                     "domain": [0.0, 0.2, 0.1], "loading": 1.2, "efficacy_loading": 0.3},
        "consulted": {"country": {"UK": -2.6, "FR": -2.8, "DE": -2.7, "DK": -2.3, "CZ": -3.0},
                      "domain": [0.0, 0.1, -0.1], "loading": 1.2, "informed_loading": 0.5},
    },
    # P(don't know), P(refused) per item, the same in every country (only the codes differ)
    "missingness": {
        "efficacy": [0.030, 0.005], "performance": [0.045, 0.005], "outcome": [0.020, 0.005],
        "informed": [0.020, 0.003], "consulted": [0.020, 0.003],
        "education": [0.000, 0.004], "employment": [0.000, 0.003], "urban": [0.002, 0.000],
        # activity items: only items that do not decide the outcome can be missing
        "individual_item": [0.010, 0.003], "collective_item": [0.005, 0.002],
    },
    # Don't know to a whole attitude block, missing at random (MAR): given what the imputation
    # model sees (age, education, both 0/1 outcomes) it is random; overall it is not, since
    # respondents who co-produce less -- and so have lower efficacy -- say "don't know" more.
    # logit P = intercept + age_per_decade * (age - 50) / 10 + education[low, medium, high]
    #           + individual_any * y_ind + collective_any * y_col. Drawn from a child stream of
    # the country's generator, so every other draw is unchanged.
    "block_nonresponse": {
        "efficacy": {"intercept": -2.0, "age_per_decade": 0.25, "education": [0.5, 0.0, -0.5],
                     "individual_any": -0.6, "collective_any": -1.2},
        "performance": {"intercept": -2.7, "age_per_decade": 0.15, "education": [0.3, 0.0, -0.3],
                        "individual_any": -0.3, "collective_any": -0.6},
    },
    # Given any = 1, which domains are positive: at least one, each with
    # logit q_d = intercept_d + country_d + age_per_decade_d * (age - 50) / 10 + woman_d * woman.
    "domain_selection": {
        "individual": {"intercept": [-0.30, 1.10, 0.20],
                       "country": {"UK": [0.30, 0.0, 0.0], "FR": [0.0, -0.20, 0.30],
                                   "DE": [-0.20, 0.40, 0.0], "DK": [0.0, 0.40, -0.10],
                                   "CZ": [-0.30, -0.30, 0.20]},
                       "age_per_decade": [0.10, 0.15, -0.10], "woman": [0.0, 0.20, 0.30]},
        "collective": {"intercept": [-0.20, 0.20, -0.60],
                       "country": {"UK": [0.30, 0.0, 0.0], "FR": [-0.20, 0.0, 0.30],
                                   "DE": [0.0, 0.40, 0.0], "DK": [0.0, 0.30, 0.20],
                                   "CZ": [0.20, -0.30, -0.20]},
                       "age_per_decade": [0.10, 0.0, 0.05], "woman": [-0.20, 0.0, 0.20]},
    },
    # Items that do not decide the domain: in a positive domain P(often), P(sometimes) (rest
    # never); in a negative domain P(sometimes) (rest never). Per domain, per item 1-3.
    "item_profiles": {
        "individual_positive": {"safety": [[0.40, 0.35], [0.60, 0.25], [0.25, 0.40]],
                                "environment": [[0.65, 0.25], [0.50, 0.35], [0.40, 0.35]],
                                "health": [[0.45, 0.40], [0.35, 0.40], [0.40, 0.35]]},
        "individual_negative": {"safety": [0.55, 0.60, 0.40],
                                "environment": [0.60, 0.65, 0.50],
                                "health": [0.65, 0.60, 0.50]},
        # in a negative domain of a collective co-producer: P(sometimes) (rest never)
        "collective_negative": {"safety": 0.15, "environment": 0.20, "health": 0.12},
    },
    # The highest collective frequency (never < sometimes < often) follows a proportional-odds
    # model with collective_any's linear predictor eta: P(often) = expit(eta) (the 0/1 outcome)
    # and P(sometimes or more) = expit(eta + sometimes_shift); so its cut-points (R's svyolr
    # sign) are -(Intercept + shift) and -Intercept, its coefficients collective_any's.
    "collective_frequency": {"sometimes_shift": 1.90},
    # Post-stratification weights: cell factor exp(tilt) over age group x gender x education,
    # times a country multiplier, divided by the mean, clipped, renormalised to mean 1.
    "weights": {"age_groups": ["18-34", "35-54", "55+"],
                "tilt_age": [0.40, 0.0, -0.25], "tilt_man": 0.10,
                "tilt_education": [0.50, 0.0, -0.60],
                "country_multiplier": {"UK": 1.0, "FR": 1.1, "DE": 0.9, "DK": 0.8, "CZ": 1.3},
                "clip": [0.3, 3.5], "decimals": 6},
    "quirks": {
        "missing_codes": {"UK": {"dont_know": 8, "refused": 9},
                          "FR": {"dont_know": 98, "refused": 99},
                          "DE": {"dont_know": -1, "refused": -2},
                          "DK": {"dont_know": 8, "refused": 9},
                          "CZ": {"dont_know": 97, "refused": 99}},
        "declare_user_missing": ["FR", "DE", "CZ"],
        "year_of_birth": ["DK"],
        "not_asked": {"FR": ["ind_health_3"]},
        "rename": {"DE": {"coll_environment_1": "Q2_GRUPPE"}},
        "gender_reversed": ["CZ"],
        "duplicates": {"FR": 3, "CZ": 2},
        "impossible_ages": {"UK": [7, 130], "DE": [214, 9, 150], "DK": [7, 214]},
        "missing_weight": {"DE": 2},
        "extra_columns": ["REGION"],
    },
    # fixed creation date/time written into every .sav header (byte-identical regeneration)
    "header_date": "01 May 08", "header_time": "00:00:00",
}

# --- raw layout ---------------------------------------------------------------------------------
#: Default raw (vendor) name of each harmonised variable; a country may rename (see PARAMS).
RAW_NAMES: dict[str, str] = {"respondent_id": "RESPID"}
for _k, _d in enumerate(DOMAINS, start=1):
    for _j, _letter in enumerate("ABC", start=1):
        RAW_NAMES[f"ind_{_d}_{_j}"] = f"Q{_k}{_letter}"
    RAW_NAMES[f"coll_{_d}_1"] = f"Q{_k}D"
for _block, _stem in ((10, "efficacy"), (11, "performance"), (12, "outcome"), (13, "informed"),
                      (14, "consulted")):
    for _k, _d in enumerate(DOMAINS):
        RAW_NAMES[f"{_stem}_{_d}"] = f"Q{_block}{'ABC'[_k]}"
RAW_NAMES.update({"age": "Q50", "gender": "Q51", "education": "Q52", "employment": "Q53",
                  "urban": "Q54", "weight": "WGT"})

ACTIVITY_WORDING: dict[str, list[str]] = {
    "safety": ["Keep an eye on neighbours' homes when they are away",
               "Lock doors and windows / secure your property",
               "Report suspicious behaviour or crime to the police",
               "Work with others in a group or organisation to improve community safety"],
    "environment": ["Separate rubbish for recycling",
                    "Save energy or water at home",
                    "Keep the street or pavement in front of your home clean",
                    "Work with others in a group or organisation to improve the local environment"],
    "health": ["Eat healthily",
               "Take regular exercise",
               "Go for health check-ups / follow your doctor's advice",
               "Work with others in a group or organisation to improve health (e.g. patient group)"],
}
_DOMAIN_WORDS = {"safety": "community safety", "environment": "the local environment",
                 "health": "health"}
_OUTCOME_WORDS = {"safety": ("How safe is your neighbourhood",
                             ["Not at all safe", "Not very safe", "Fairly safe", "Very safe"]),
                  "environment": ("How clean is your local environment",
                                  ["Not at all clean", "Not very clean", "Fairly clean",
                                   "Very clean"]),
                  "health": ("How good is your health",
                             ["Not at all good", "Not very good", "Fairly good", "Very good"])}


def raw_name(code: str, harmonised: str) -> str:
    """The raw column name of a harmonised variable in one country (after renames)."""
    return PARAMS["quirks"]["rename"].get(code, {}).get(harmonised, RAW_NAMES[harmonised])


def sizes_for_total(n_total: int) -> dict[str, int]:
    """Split ``n_total`` respondents over the countries in proportion to the default sizes."""
    if n_total < len(COUNTRIES) * 20:
        raise ValueError(f"n_total must be at least {len(COUNTRIES) * 20}, got {n_total}")
    base = np.array([DEFAULT_SIZES[c] for c in COUNTRIES], dtype=float)
    sizes = np.floor(base / base.sum() * n_total).astype(int)
    sizes[0] += n_total - sizes.sum()
    return dict(zip(COUNTRIES, (int(s) for s in sizes)))


def country_rng(seed: int, code: str) -> np.random.Generator:
    """One independent stream per country, so a country's data do not depend on the others'."""
    return np.random.default_rng([int(seed), COUNTRIES.index(code)])


# --- helpers -----------------------------------------------------------------------------------
def _cat(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Vectorised categorical draw: ``probs`` is (n, k); returns indices 0..k-1."""
    cum = np.cumsum(np.asarray(probs, dtype=float), axis=1)
    cum = cum / cum[:, -1:]
    u = rng.random(cum.shape[0])
    return (u[:, None] > cum[:, :-1]).sum(axis=1)


def _cut(x: np.ndarray, thresholds) -> np.ndarray:
    """Ordinal item from a latent score: 1 + number of thresholds below it."""
    return 1 + (x[..., None] > np.asarray(thresholds)).sum(axis=-1)


def _miss_draw(rng: np.random.Generator, shape, rates) -> np.ndarray:
    """0 = answered, 1 = don't know, 2 = refused."""
    u = rng.random(shape)
    dk, ref = rates
    return np.where(u < dk, 1, np.where(u < dk + ref, 2, 0))


def _scale_mean(values: np.ndarray, answered: np.ndarray, min_valid: int = 2) -> np.ndarray:
    """The cleaning's ``mean_of`` with ``min_valid``: mean of answered items, else missing."""
    cnt = answered.sum(axis=1)
    tot = np.where(answered, values, 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt >= min_valid, tot / np.maximum(cnt, 1), np.nan)


def _any_yes(yes: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """The cleaning's ``any_of``: 1 yes if any answered item is yes, 0 if all answered are no,
    NaN if none answered."""
    hit = (yes & answered).any(axis=1)
    some = answered.any(axis=1)
    return np.where(hit, 1.0, np.where(some, 0.0, np.nan))


def linear_predictor(outcome: str, cov: dict[str, np.ndarray], code: str | np.ndarray) -> np.ndarray:
    """Logit of ``outcome`` from GENERATING_VALUES for covariates in numeric form.

    ``cov`` holds arrays: age, woman (0/1), education (0-2), employment (0-3), urban (0/1),
    self_efficacy, performance, outcome_perception, informed (0/1), consulted (0/1).
    """
    g = GENERATING_VALUES[outcome]
    eta = (g["Intercept"] + g["age"] * cov["age"] + g["self_efficacy"] * cov["self_efficacy"]
           + g["performance"] * cov["performance"]
           + g["outcome_perception"] * cov["outcome_perception"]
           + g["gender"]["woman"] * cov["woman"] + g["urban"]["urban"] * cov["urban"]
           + g["informed"]["yes"] * cov["informed"] + g["consulted"]["yes"] * cov["consulted"])
    edu = np.array([0.0] + [g["education"][lv] for lv in EDUCATION_LEVELS[1:]])
    emp = np.array([0.0] + [g["employment"][lv] for lv in EMPLOYMENT_LEVELS[1:]])
    eta = eta + edu[cov["education"]] + emp[cov["employment"]]
    ctry = {c: g["country"].get(c, 0.0) for c in COUNTRIES}
    if isinstance(code, str):
        return eta + ctry[code]
    return eta + np.array([ctry[c] for c in code])


def _at_least_one(q: np.ndarray, active: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Independent Bernoulli(q_d) per domain, conditioned on at least one positive for active
    rows (exact sequential conditioning, no rejection loop); inactive rows are all negative."""
    n, k = q.shape
    pos = np.zeros((n, k), dtype=bool)
    need = active.copy()
    for d in range(k):
        rest_none = np.prod(1.0 - q[:, d + 1:], axis=1)
        p_need = q[:, d] / (1.0 - (1.0 - q[:, d]) * rest_none)
        p = np.where(need, p_need, q[:, d])
        pos[:, d] = active & (u[:, d] < p)
        need &= ~pos[:, d]
    return pos


@dataclass
class CountrySimulation:
    """A country's raw file (with quirks), its harmonised truth and the injected quirks."""

    raw: pd.DataFrame
    truth: pd.DataFrame
    quirks: dict
    #: the covariates the outcomes were drawn from, before the block nonresponse (one row per
    #: respondent, aligned with ``truth``): what a fit without item nonresponse would see
    complete: pd.DataFrame | None = None


# --- the generator ------------------------------------------------------------------------------
def simulate_country_detailed(code: str, n: int, rng: np.random.Generator) -> CountrySimulation:
    """Simulate one country; return the raw frame, the harmonised truth and the quirk record.

    ``truth`` has one row per respondent (no duplicates) with the covariates and outcomes exactly
    as the cleaning should produce them (impossible ages missing, weight NaN where the raw weight
    is missing), plus the true probabilities ``p_individual_any`` and ``p_collective_any``.
    """
    if code not in COUNTRIES:
        raise ValueError(f"unknown country {code!r}; expected one of {', '.join(COUNTRIES)}")
    if n < 20:
        raise ValueError(f"n must be at least 20, got {n}")
    P = PARAMS
    dem, att, mis = P["demographics"], P["attitudes"], P["missingness"]
    qk = P["quirks"]

    # Demographics (true values)
    a, b = dem["age_beta"][code]
    age = 18 + np.floor(73 * rng.beta(a, b, n)).astype(np.int64)
    age = np.clip(age, 18, 90)
    woman = (rng.random(n) < dem["p_woman"][code]).astype(np.int64)
    shares = np.asarray(dem["education_shares"][code])
    slope = dem["education_age_slope_per_decade"]
    z = rng.normal(size=n) + slope * (age - 50) / 10
    sd = np.sqrt(1 + (slope * 1.7) ** 2)
    edu_thr = sd * ndtri(np.cumsum(shares)[:-1])
    education = (z[:, None] > edu_thr).sum(axis=1)
    bands = np.select([age < 25, age < 55, age < 65], [0, 1, 2], 3)
    emp_tab = np.array(list(dem["employment_by_age"].values()))
    employment = _cat(rng, emp_tab[bands])
    urban = (rng.random(n) < dem["p_urban"][code]).astype(np.int64)

    # Attitudes: true item values (before don't know / refused)
    ef = att["efficacy"]
    e_lat = ef["country_mean"][code] + np.asarray(ef["education_shift"])[education] + rng.normal(size=n)
    eff = _cut(e_lat[:, None] + np.asarray(ef["domain_shift"])
               + ef["item_noise"] * rng.normal(size=(n, 3)), ef["thresholds"])
    pf = att["performance"]
    p_lat = pf["country_mean"][code] + rng.normal(size=n)
    perf = _cut(p_lat[:, None] + np.asarray(pf["domain_shift"])
                + pf["item_noise"] * rng.normal(size=(n, 3)), pf["thresholds"])
    oc = att["outcome"]
    o_lat = oc["country_mean"][code] + oc["performance_loading"] * p_lat + rng.normal(size=n)
    o_item = o_lat[:, None] + np.asarray(oc["domain_shift"]) + oc["item_noise"] * rng.normal(size=(n, 3))
    o_item[:, 2] += oc["health_age_slope_per_decade"] * (age - 50) / 10
    outc = _cut(o_item, oc["thresholds"])
    inf_p = att["informed"]
    i_lat = inf_p["efficacy_loading"] * e_lat + np.sqrt(1 - inf_p["efficacy_loading"] ** 2) * rng.normal(size=n)
    informed_items = rng.random((n, 3)) < expit(inf_p["country"][code] + np.asarray(inf_p["domain"])
                                                + inf_p["loading"] * i_lat[:, None])
    con_p = att["consulted"]
    c_lat = con_p["informed_loading"] * i_lat + np.sqrt(1 - con_p["informed_loading"] ** 2) * rng.normal(size=n)
    consulted_items = rng.random((n, 3)) < expit(con_p["country"][code] + np.asarray(con_p["domain"])
                                                 + con_p["loading"] * c_lat[:, None])

    # Don't know / refused
    m_eff = _miss_draw(rng, (n, 3), mis["efficacy"])
    m_perf = _miss_draw(rng, (n, 3), mis["performance"])
    m_outc = _miss_draw(rng, (n, 3), mis["outcome"])
    m_inf = _miss_draw(rng, (n, 3), mis["informed"])
    m_con = _miss_draw(rng, (n, 3), mis["consulted"])
    m_edu = _miss_draw(rng, n, mis["education"])
    m_emp = _miss_draw(rng, n, mis["employment"])
    m_urb = _miss_draw(rng, n, mis["urban"])

    # Harmonised covariates exactly as the cleaning computes them ...
    all3 = np.ones((n, 3), dtype=bool)
    se_h = _scale_mean(eff, m_eff == 0)
    perf_h = _scale_mean(perf, m_perf == 0)
    outc_h = _scale_mean(outc, m_outc == 0)
    inf_h = _any_yes(informed_items, m_inf == 0)
    con_h = _any_yes(consulted_items, m_con == 0)
    # ... and, where the cleaning will have a missing value (the row is then excluded at model
    # time), the complete-data value, so that every row still gets an outcome.
    cov = {
        "age": age.astype(float), "woman": woman, "education": education,
        "employment": employment, "urban": urban,
        "self_efficacy": np.where(np.isnan(se_h), _scale_mean(eff, all3), se_h),
        "performance": np.where(np.isnan(perf_h), _scale_mean(perf, all3), perf_h),
        "outcome_perception": np.where(np.isnan(outc_h), _scale_mean(outc, all3), outc_h),
        "informed": np.where(np.isnan(inf_h), _any_yes(informed_items, all3), inf_h),
        "consulted": np.where(np.isnan(con_h), _any_yes(consulted_items, all3), con_h),
    }
    p_ind = expit(linear_predictor("individual_any", cov, code))
    p_col = expit(linear_predictor("collective_any", cov, code))
    rho = P["outcome_copula_rho"]
    z1 = rng.normal(size=n)
    z2 = rho * z1 + np.sqrt(1 - rho ** 2) * rng.normal(size=n)
    ind_any = ndtr(z1) < p_ind
    col_any = ndtr(z2) < p_col

    # Whole-block don't know, MAR given age, education and the outcomes (see PARAMS)
    blocks = {"efficacy": m_eff, "performance": m_perf}
    u_blk = rng.spawn(1)[0].random((n, len(blocks)))
    for k, (stem, m) in enumerate(blocks.items()):
        b = P["block_nonresponse"][stem]
        lin = (b["intercept"] + b["age_per_decade"] * (age - 50) / 10
               + np.asarray(b["education"])[education]
               + b["individual_any"] * ind_any + b["collective_any"] * col_any)
        m[u_blk[:, k] < expit(lin)] = 1
    se_h = _scale_mean(eff, m_eff == 0)
    perf_h = _scale_mean(perf, m_perf == 0)

    # Which domains are positive
    def domain_q(kind: str) -> np.ndarray:
        s = P["domain_selection"][kind]
        lin = (np.asarray(s["intercept"]) + np.asarray(s["country"][code])
               + np.outer((age - 50) / 10, s["age_per_decade"]) + np.outer(woman, s["woman"]))
        return expit(lin)

    ind_pos = _at_least_one(domain_q("individual"), ind_any, rng.random((n, 3)))
    col_pos = _at_least_one(domain_q("collective"), col_any, rng.random((n, 3)))

    # Activity items: 1 often, 2 sometimes, 3 never; 0 = not asked; negative = DK (-1) / ref (-2)
    not_asked = set(qk["not_asked"].get(code, []))
    prof = P["item_profiles"]
    items: dict[str, np.ndarray] = {}
    for d_i, d in enumerate(DOMAINS):
        names = [f"ind_{d}_{j}" for j in (1, 2, 3)]
        asked = np.array([nm not in not_asked for nm in names])
        asked_idx = np.flatnonzero(asked)
        # the protected item: the one that is "often" in a positive domain (the one that makes it
        # positive) or, in a negative domain, the one that is sure to be answered
        key = asked_idx[np.minimum((rng.random(n) * asked_idx.size).astype(int), asked_idx.size - 1)]
        pos = ind_pos[:, d_i]
        u_val = rng.random((n, 3))
        miss = _miss_draw(rng, (n, 3), mis["individual_item"])
        for j in range(3):
            p_often, p_some = prof["individual_positive"][d][j]
            p_neg_some = prof["individual_negative"][d][j]
            val_pos = np.where(u_val[:, j] < p_often, 1, np.where(u_val[:, j] < p_often + p_some, 2, 3))
            val_neg = np.where(u_val[:, j] < p_neg_some, 2, 3)
            val = np.where(pos, val_pos, val_neg)
            is_key = key == j
            val = np.where(pos & is_key, 1, val)
            val = np.where(~is_key & (miss[:, j] > 0), -miss[:, j], val)
            items[names[j]] = val if asked[j] else np.zeros(n, dtype=np.int64)
    anchor = np.minimum((rng.random(n) * 3).astype(int), 2)
    u_col = rng.random((n, 3))
    m_col = _miss_draw(rng, (n, 3), mis["collective_item"])
    # not a collective co-producer: "sometimes" somewhere with the proportional-odds probability
    # P(sometimes or more | not often); then in the anchor domain (never missing), elsewhere as
    # in a negative domain. The draws are the ones used before (no new random numbers).
    p_some = expit(linear_predictor("collective_any", cov, code)
                   + P["collective_frequency"]["sometimes_shift"])
    q_some = (p_some - p_col) / (1.0 - p_col)
    some = u_col[np.arange(n), anchor] < q_some
    for d_i, d in enumerate(DOMAINS):
        pos = col_pos[:, d_i]
        other = np.where(u_col[:, d_i] < prof["collective_negative"][d], 2, 3)
        quiet = np.where(anchor == d_i, np.where(some, 2, 3), np.where(some, other, 3))
        val = np.where(pos, 1, np.where(col_any, other, quiet))
        protected = pos | (~col_any & (anchor == d_i))
        items[f"coll_{d}_1"] = np.where(~protected & (m_col[:, d_i] > 0), -m_col[:, d_i], val)

    # Post-stratification weights over age group x gender x education cells
    wp = P["weights"]
    agegrp = np.select([age < 35, age < 55], [0, 1], 2)
    f = np.exp(wp["country_multiplier"][code]
               * (np.asarray(wp["tilt_age"])[agegrp] + wp["tilt_man"] * (1 - woman)
                  + np.asarray(wp["tilt_education"])[education]))
    w = np.clip(f / f.mean(), *wp["clip"])
    weight = np.round(w / w.mean(), wp["decimals"])
    region = 1 + (rng.random(n) * 8).astype(int)

    # Respondent ids: country block + running number
    base = 10 ** max(6, len(str(n)))
    respid = (COUNTRIES.index(code) + 1) * base + np.arange(1, n + 1)

    # --- raw frame with the country's codes --------------------------------------------------
    codes = qk["missing_codes"][code]
    dk, ref = float(codes["dont_know"]), float(codes["refused"])

    def with_missing(val: np.ndarray, m: np.ndarray) -> np.ndarray:
        out = np.asarray(val, dtype=float)
        return np.where(m == 1, dk, np.where(m == 2, ref, out))

    raw: dict[str, np.ndarray] = {"RESPID": respid.astype(float), "REGION": region.astype(float)}
    for d in DOMAINS:
        for nm in [f"ind_{d}_{j}" for j in (1, 2, 3)] + [f"coll_{d}_1"]:
            if nm in not_asked:
                continue
            v = items[nm]
            raw[raw_name(code, nm)] = np.where(v == -1, dk, np.where(v == -2, ref, v)).astype(float)
    for stem, vals, m in (("efficacy", eff, m_eff), ("performance", perf, m_perf),
                          ("outcome", outc, m_outc),
                          ("informed", np.where(informed_items, 1, 2), m_inf),
                          ("consulted", np.where(consulted_items, 1, 2), m_con)):
        for d_i, d in enumerate(DOMAINS):
            raw[raw_name(code, f"{stem}_{d}")] = with_missing(vals[:, d_i], m[:, d_i])
    yob = code in qk["year_of_birth"]
    raw[raw_name(code, "age")] = (SURVEY_YEAR - age if yob else age).astype(float)
    reversed_gender = code in qk["gender_reversed"]
    raw[raw_name(code, "gender")] = np.where(woman == 1, 1 if reversed_gender else 2,
                                             2 if reversed_gender else 1).astype(float)
    raw[raw_name(code, "education")] = with_missing(education + 1, m_edu)
    raw[raw_name(code, "employment")] = with_missing(employment + 1, m_emp)
    raw[raw_name(code, "urban")] = with_missing(np.where(urban == 1, 1, 2), m_urb)
    raw[raw_name(code, "weight")] = weight.astype(float)
    frame = pd.DataFrame(raw)

    # --- quirks on specific records (disjoint sets of rows) ---------------------------------
    bad_ages = list(qk["impossible_ages"].get(code, []))
    n_dup = int(qk["duplicates"].get(code, 0))
    n_wmiss = int(qk["missing_weight"].get(code, 0))
    picked = rng.choice(n, size=len(bad_ages) + n_dup + n_wmiss, replace=False)
    rows_age = picked[:len(bad_ages)]
    rows_dup = np.sort(picked[len(bad_ages):len(bad_ages) + n_dup])
    rows_w = np.sort(picked[len(bad_ages) + n_dup:])
    age_col = raw_name(code, "age")
    for r, bad in zip(rows_age, bad_ages):
        frame.loc[r, age_col] = float(SURVEY_YEAR - bad if yob else bad)
    frame.loc[rows_w, raw_name(code, "weight")] = np.nan
    order = np.arange(n)
    if n_dup:
        at = rng.integers(0, n + 1, size=n_dup)
        order = np.insert(order, np.sort(at), rows_dup)
    frame = frame.iloc[order].reset_index(drop=True)

    # --- harmonised truth (what a correct cleaning must produce, one row per respondent) ------
    age_clean = age.astype(float)
    age_clean[rows_age] = np.nan
    weight_clean = weight.astype(float)
    weight_clean[rows_w] = np.nan

    def cat(idx: np.ndarray, levels, m=None) -> pd.Categorical:
        lab = np.asarray(levels, dtype=object)[idx]
        if m is not None:
            lab = np.where(m > 0, None, lab)
        return pd.Categorical(lab, categories=list(levels))

    truth = pd.DataFrame({
        "respondent_id": respid, "country": code, "weight": weight_clean, "age": age_clean,
        "gender": cat(woman, ("man", "woman")), "education": cat(education, EDUCATION_LEVELS, m_edu),
        "employment": cat(employment, EMPLOYMENT_LEVELS, m_emp),
        "urban": cat(1 - urban, ("urban", "rural"), m_urb),
        "self_efficacy": se_h, "performance": perf_h, "outcome_perception": outc_h,
        # numpy's stubs take no None for np.where's object value (it is one at runtime)
        "informed": pd.Categorical(np.where(np.isnan(inf_h), None, np.where(inf_h == 1, "yes", "no")),  # type: ignore[call-overload]
                                   categories=["no", "yes"]),
        "consulted": pd.Categorical(np.where(np.isnan(con_h), None, np.where(con_h == 1, "yes", "no")),  # type: ignore[call-overload]
                                    categories=["no", "yes"]),
    })
    for d_i, d in enumerate(DOMAINS):
        truth[f"individual_{d}"] = ind_pos[:, d_i].astype(float)
        cv = items[f"coll_{d}_1"]
        truth[f"collective_{d}"] = np.where(cv < 0, np.nan, (cv == 1).astype(float))
    truth["individual_any"] = ind_any.astype(float)
    truth["collective_any"] = col_any.astype(float)
    truth["p_individual_any"] = p_ind
    truth["p_collective_any"] = p_col

    quirks = {
        "n_respondents": n, "n_rows": len(frame),
        "missing_codes": dict(codes), "user_missing_declared": code in qk["declare_user_missing"],
        "year_of_birth": yob, "gender_reversed": reversed_gender,
        "not_asked": sorted(not_asked), "rename": dict(qk["rename"].get(code, {})),
        "duplicate_ids": [int(respid[r]) for r in rows_dup],
        "impossible_age_ids": {int(respid[r]): int(bad) for r, bad in zip(rows_age, bad_ages)},
        "missing_weight_ids": [int(respid[r]) for r in rows_w],
    }
    complete = pd.DataFrame({k: cov[k] for k in ("self_efficacy", "performance")})
    return CountrySimulation(raw=frame, truth=truth, quirks=quirks, complete=complete)


def simulate_country(code: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """The raw (vendor-style, with quirks) frame of one country."""
    return simulate_country_detailed(code, n, rng).raw


# --- SPSS metadata ------------------------------------------------------------------------------
def spss_metadata(code: str, columns) -> dict:
    """Variable labels, value labels, user-missing declarations and measures for one file."""
    codes = PARAMS["quirks"]["missing_codes"][code]
    dk, ref = codes["dont_know"], codes["refused"]
    mlab = {dk: "Don't know", ref: "Refused"}
    inv = {v: k for k, v in RAW_NAMES.items()}
    for h, r in PARAMS["quirks"]["rename"].get(code, {}).items():
        inv[r] = h
    col_labels: dict[str, str] = {}
    val_labels: dict[str, dict] = {}
    measure: dict[str, str] = {}
    missing: dict[str, list] = {}
    for col in columns:
        if col == "REGION":
            col_labels[col] = "Region of residence (fieldwork region code)"
            measure[col] = "nominal"
            continue
        h = inv[col]
        with_dk = True
        if h == "respondent_id":
            lab, vl, ms, with_dk = "Respondent number", None, "nominal", False
        elif h == "weight":
            lab, vl, ms, with_dk = "Post-stratification weight (age x gender x education)", None, "scale", False
        elif h == "age":
            if code in PARAMS["quirks"]["year_of_birth"]:
                lab = "Year of birth"
            else:
                lab = "Age in years"
            vl, ms, with_dk = None, "scale", False
        elif h == "gender":
            rev = code in PARAMS["quirks"]["gender_reversed"]
            lab, ms, with_dk = "Gender", "nominal", False
            vl = {1: "Woman", 2: "Man"} if rev else {1: "Man", 2: "Woman"}
        elif h == "education":
            lab, ms = "Highest level of education", "ordinal"
            vl = {1: "Low (lower secondary or less)", 2: "Medium (upper secondary)",
                  3: "High (tertiary)"}
        elif h == "employment":
            lab, ms = "Employment status", "nominal"
            vl = {1: "Employed / self-employed", 2: "Unemployed", 3: "Retired",
                  4: "Inactive (student, looking after home, other)"}
        elif h == "urban":
            lab, ms = "Type of area", "nominal"
            vl = {1: "Urban", 2: "Rural / non-urban"}
        else:
            stem, _, d = h.partition("_")
            if stem in ("ind", "coll"):
                _, dom, j = h.split("_")
                idx = 3 if h.startswith("coll_") else int(j) - 1
                lab = f"How often: {ACTIVITY_WORDING[dom][idx]}"
                vl, ms = {1: "Often", 2: "Sometimes", 3: "Never"}, "ordinal"
            elif stem == "efficacy":
                lab = (f"How much of a difference ordinary citizens can make to improving "
                       f"{_DOMAIN_WORDS[d]}")
                vl = {1: "No difference at all", 2: "A small difference", 3: "Some difference",
                      4: "A big difference"}
                ms = "ordinal"
            elif stem == "performance":
                lab = f"How good a job government does in {_DOMAIN_WORDS[d]}"
                vl = {1: "Very poor", 2: "Poor", 3: "Neither good nor poor", 4: "Good",
                      5: "Very good"}
                ms = "ordinal"
            elif stem == "outcome":
                lab, words = _OUTCOME_WORDS[d]
                vl, ms = dict(enumerate(words, start=1)), "ordinal"
            elif stem in ("informed", "consulted"):
                lab = f"Government has {stem} you about {_DOMAIN_WORDS[d]}"
                vl, ms = {1: "Yes", 2: "No"}, "nominal"
            else:  # pragma: no cover - every raw column is covered above
                raise KeyError(col)
        col_labels[col] = lab
        measure[col] = ms
        if vl is not None or with_dk:
            val_labels[col] = {**(vl or {}), **(mlab if with_dk else {})}
        if with_dk and code in PARAMS["quirks"]["declare_user_missing"]:
            missing[col] = [dk, ref]
    return {"column_labels": col_labels, "variable_value_labels": val_labels,
            "missing_ranges": missing, "variable_measure": measure}


def _fix_header_timestamp(path: Path) -> None:
    """Overwrite the creation date/time in the .sav header with a fixed value.

    Why: ReadStat stamps the wall-clock time into bytes 92-108 of the header, so two runs would
    differ byte-for-byte; with a fixed stamp a regenerated file is byte-identical.
    """
    stamp = (PARAMS["header_date"] + PARAMS["header_time"]).encode("ascii")  # 9 + 8 bytes
    if len(stamp) != 17:
        raise ValueError("header_date must have 9 characters and header_time 8")
    with open(path, "r+b") as fh:
        head = fh.read(109)
        if head[:4] not in (b"$FL2", b"$FL3") or len(head) < 109 or head[94:95] != b" ":
            return  # unknown layout: leave the file as written
        fh.seek(92)
        fh.write(stamp)


def write_country(frame: pd.DataFrame, code: str, path: str | Path) -> Path:
    """Write one country's raw frame as a bytecode-compressed SPSS file (atomically)."""
    path = Path(path)
    meta = spss_metadata(code, frame.columns)
    tmp = path.with_name(path.name + ".tmp")
    pyreadstat.write_sav(
        frame, str(tmp),
        file_label=f"Co-production survey 2008 {code} - SYNTHETIC data",
        note=["SYNTHETIC data made by coprod.pipeline.simulate; not real survey responses.",
              "See data/raw/README.md."],
        row_compress=True,
        column_labels=meta["column_labels"],
        variable_value_labels=meta["variable_value_labels"],
        missing_ranges=meta["missing_ranges"] or None,
        variable_measure=meta["variable_measure"],
    )
    _fix_header_timestamp(tmp)
    os.replace(tmp, path)
    return path


def resolve_sizes(sizes: dict[str, int] | None = None, scale: float | None = None,
                  n_total: int | None = None) -> dict[str, int]:
    """Per-country sizes: explicit ``sizes``, or ``n_total`` split, or the defaults x ``scale``."""
    if sizes is not None:
        out = {**DEFAULT_SIZES, **{k: int(v) for k, v in sizes.items()}}
    elif n_total is not None:
        out = sizes_for_total(int(n_total))
    else:
        out = dict(DEFAULT_SIZES)
    if scale is not None and sizes is None and n_total is None:
        out = {k: max(20, int(round(v * float(scale)))) for k, v in out.items()}
    return out


def simulate_survey(seed: int = DEFAULT_SEED, sizes: dict[str, int] | None = None,
                    scale: float | None = None, n_total: int | None = None
                    ) -> dict[str, CountrySimulation]:
    """Simulate all five countries in memory (one independent stream per country)."""
    sz = resolve_sizes(sizes, scale, n_total)
    return {c: simulate_country_detailed(c, sz[c], country_rng(seed, c)) for c in COUNTRIES}


def injected_quirks(seed: int = DEFAULT_SEED, sizes: dict[str, int] | None = None,
                    scale: float | None = None, n_total: int | None = None) -> dict[str, dict]:
    """The quirks injected for this seed and these sizes (ids of duplicates, impossible ages,
    missing weights, ...), so tests can check the cleaning undoes exactly them."""
    return {c: s.quirks for c, s in simulate_survey(seed, sizes, scale, n_total).items()}


def write_survey(outdir: str | Path, seed: int = DEFAULT_SEED, sizes: dict[str, int] | None = None,
                 scale: float | None = None, n_total: int | None = None) -> dict[str, dict]:
    """Write ``<outdir>/<C>_2008.sav`` for the five countries; return the quirk record.

    ``sizes`` overrides per-country sizes; ``n_total`` splits a total over the countries in
    proportion to the defaults (e.g. 1,000,000 for a benchmark); ``scale`` multiplies the defaults.
    """
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    record = {}
    for code, sim in simulate_survey(seed, sizes, scale, n_total).items():
        path = write_country(sim.raw, code, outdir / f"{code}_{SURVEY_YEAR}.sav")
        record[code] = {**sim.quirks, "file": str(path)}
    return record


def generating_values_markdown() -> str:
    """GENERATING_VALUES as a markdown table (data/raw/README.md shows it; a test keeps the two
    in step)."""
    lines = ["| term | individual_any | collective_any |", "|---|---:|---:|"]
    ind, col = GENERATING_VALUES["individual_any"], GENERATING_VALUES["collective_any"]
    for key, v in ind.items():
        if isinstance(v, dict):
            for lv in v:
                lines.append(f"| {key}: {lv} | {v[lv]:+.3f} | {col[key][lv]:+.3f} |")
        else:
            lines.append(f"| {key} | {v:+.3f} | {col[key]:+.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: write the five synthetic raw SPSS files."""
    parser = argparse.ArgumentParser(
        prog="python -m coprod.pipeline.simulate",
        description=("Write the SYNTHETIC five-nation co-production survey (2008 design) as five "
                     "SPSS files <OUT>/{UK,FR,DE,DK,CZ}_2008.sav, with vendor-style quirks that "
                     "config/codebook.yaml undoes. The data are simulated, not real responses; "
                     "see data/raw/README.md."),
        epilog="example: python -m coprod.pipeline.simulate --out data/raw --seed 2008",
    )
    parser.add_argument("--out", default="data/raw", help="output folder (default: data/raw)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"random seed (default: {DEFAULT_SEED}); same seed, same data")
    parser.add_argument("--n-total", type=int, default=None, metavar="N",
                        help=("total respondents, split over the five countries in proportion "
                              "to the default sizes (default: "
                              + ", ".join(f"{c} {n}" for c, n in DEFAULT_SIZES.items())
                              + f"; {sum(DEFAULT_SIZES.values())} in all), e.g. 1000000 for a "
                              "benchmark"))
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        record = write_survey(args.out, seed=args.seed, n_total=args.n_total)
    except ValueError as exc:
        parser.error(str(exc))
    for q in record.values():
        print(f"{q['file']}: {q['n_rows']} rows ({q['n_respondents']} respondents)")
    print(f"done in {time.perf_counter() - t0:.1f} s (seed {args.seed}; SYNTHETIC data)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
