"""Honest flags and clear errors from coprod.survey.glm instead of silent failures."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import random_cases

import coprod.survey.glm as survey
from coprod.errors import ConfigError, DataError, ModelError
from coprod.survey.glm import fit_svy_logit, svy_logit

DATA = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "golden" / "design_survey.csv")
KW = {"weights": "weight", "strata": "country", "psu": "psu"}


def logit(data, formula, *, domain=None, model_based=False, **design):
    """``svy_logit(formula, design)`` on ``make_design(data, **design)``, built in the call
    (as the data-first call of earlier versions did: its errors come from either)."""
    d = survey.make_design(data, keep_data=True, **design)
    return svy_logit(formula, d, domain=domain, model_based=model_based)


def flags_of(res, name):
    return [f for f in res.flags if f["flag"] == name]


@pytest.fixture()
def sample():
    rng = np.random.default_rng(11)
    n = 600
    d = pd.DataFrame({
        "x": rng.normal(size=n),
        "edu": pd.Categorical(rng.choice(["low", "mid", "high"], n),
                              categories=["low", "mid", "high", "phd"]),
        "region": rng.choice(["north", "south"], n),
        "w": rng.uniform(0.5, 2.0, n),
    })
    d["y"] = (rng.random(n) < 0.4).astype(int)
    return d


def test_no_flags_on_a_well_behaved_model():
    res = fit_svy_logit(DATA, "individual ~ age + female + efficacy + country", **KW)
    assert res.flags == [] and res.converged
    assert (res.tidy()["flag"] == "").all()


def test_quasi_complete_separation_is_flagged_not_reported(sample):
    sample.loc[sample["edu"] == "high", "y"] = 0  # nobody with high education takes part
    res = fit_svy_logit(sample, "y ~ x + edu", weights="w")
    sep = flags_of(res, "separation")
    assert len(sep) == 1 and "edu[T.high]" in sep[0]["detail"] and "-inf" in sep[0]["detail"]
    assert abs(res.params["edu[T.high]"]) > 15  # what the raw fit "converged" to
    tidy = res.tidy().set_index("term")
    assert tidy.loc["edu[T.high]", "flag"] == "separation"
    assert tidy.loc["edu[T.high]", ["estimate", "std_error", "odds_ratio", "or_conf_low",
                                     "p_value"]].isna().all()
    assert tidy.loc[["x", "edu[T.mid]"], "flag"].eq("").all()
    assert tidy.loc[["x", "edu[T.mid]"], "std_error"].notna().all()


def test_complete_separation_on_a_continuous_covariate(sample):
    sample["y"] = (sample["x"] > 0.1).astype(int)
    res = fit_svy_logit(sample, "y ~ x + region", weights="w")
    sep = flags_of(res, "separation")
    assert sep and "'x'" in sep[0]["detail"]
    assert res.tidy().set_index("term").loc["x", "flag"] == "separation"


def test_strong_effect_without_separation_is_not_flagged():
    rng = np.random.default_rng(5)
    x = rng.uniform(-30, 30, 3000)
    d = pd.DataFrame({"x": x, "y": (rng.random(3000) < 1 / (1 + np.exp(-x))).astype(int)})
    res = fit_svy_logit(d, "y ~ x")
    assert np.abs(res.X @ res.params.to_numpy()).max() > 15  # the LP check did run
    assert not flags_of(res, "separation")


def test_non_convergence_is_flagged(monkeypatch):
    real = survey.irls
    monkeypatch.setattr(survey, "irls", lambda X, y, w, **kw: real(X, y, w, max_iter=2, **kw))
    res = fit_svy_logit(DATA, "individual ~ age + female + efficacy + country", **KW)
    assert not res.converged and flags_of(res, "non_convergence")
    assert res.fit_stats()["converged"] is False
    assert (res.tidy()["flag"] == "not_converged").all()


def test_empty_level_is_dropped_with_a_flag(sample):
    res = fit_svy_logit(sample, "y ~ x + edu", weights="w")  # "phd" never occurs
    (flag,) = flags_of(res, "empty_level")
    assert "edu" in flag["detail"] and "'phd'" in flag["detail"]
    assert "edu[T.phd]" not in res.tidy()["term"].tolist()


def test_level_missing_only_in_the_domain_is_flagged(sample):
    sample["edu"] = sample["edu"].astype(str)  # plain strings: levels learned from all rows
    sample.loc[(sample["region"] == "north") & (sample["edu"] == "mid"), "edu"] = "low"
    res = fit_svy_logit(sample, "y ~ x + edu", weights="w", domain=sample["region"] == "north")
    (flag,) = flags_of(res, "empty_level")
    assert "'mid'" in flag["detail"]
    out = res.tidy()
    assert "edu[T.mid]" not in out["term"].tolist()
    assert not ((out["odds_ratio"] == 1) & (out["or_conf_low"] == 1)).any()


def test_empty_reference_level_is_an_error(sample):
    with pytest.raises(ModelError, match=r"reference level 'low' of 'edu'"):
        fit_svy_logit(sample, "y ~ x + edu", weights="w", domain=sample["edu"] != "low")


def test_low_events_per_parameter(sample):
    sample["y"] = 0
    sample.loc[sample.index[:25], "y"] = 1
    res = fit_svy_logit(sample, "y ~ x + edu + region", weights="w")
    (flag,) = flags_of(res, "low_events_per_parameter")
    assert "25" in flag["detail"] and "4 parameters" in flag["detail"]


def test_singular_design_names_the_collinear_terms(sample):
    sample["x2"] = 2 * sample["x"] + 1
    with pytest.raises(ModelError, match=r"singular design.*'x'.*'x2'"):
        logit(sample, "y ~ x + x2 + edu", weights="w")
    sample["is_north"] = (sample["region"] == "north").astype(float)
    with pytest.raises(ModelError, match=r"region\[T.south\].*is_north|is_north"):
        logit(sample, "y ~ x + region + is_north", weights="w")


def test_a_covariate_constant_in_the_domain_is_singular():
    with pytest.raises(ModelError, match="female"):
        logit(DATA, "individual ~ age + female", domain="female", **KW)


def lonely_data():
    d = DATA.copy()
    d.loc[d["psu"] == "AA-00", "country"] = "ZZ"  # stratum ZZ holds a single PSU
    return d


def test_lonely_psu_fail_names_the_stratum():
    with pytest.raises(ModelError, match="'ZZ'"):
        fit_svy_logit(lonely_data(), "individual ~ age + female", lonely_psu="fail", **KW)


def test_lonely_psu_options_are_flagged_and_differ():
    d = lonely_data()
    out = {}
    for opt in ("adjust", "remove", "certainty"):
        res = fit_svy_logit(d, "individual ~ age + female", lonely_psu=opt, **KW)
        (flag,) = flags_of(res, "lonely_psu")
        assert "ZZ" in flag["detail"] and opt in flag["detail"]
        assert res.fit_stats()["lonely_psu"] == opt
        out[opt] = np.sqrt(np.diag(res.cov))
    np.testing.assert_allclose(out["remove"], out["certainty"])
    assert np.all(out["adjust"] > out["remove"])
    # a lonely stratum outside the domain is irrelevant
    res = fit_svy_logit(d, "individual ~ age + female", lonely_psu="fail",
                        domain=d["country"] != "ZZ", **KW)
    assert not flags_of(res, "lonely_psu")


def test_input_errors(sample):
    with pytest.raises(ConfigError, match="lonely_psu"):
        logit(sample, "y ~ x", lonely_psu="averge")
    bad = sample.copy()
    bad.loc[3, "w"] = np.nan
    with pytest.raises(DataError, match="'w'"):
        logit(bad, "y ~ x", weights="w")
    with pytest.raises(DataError, match="'nope'"):
        logit(sample, "y ~ x", strata="nope")
    sample["y3"] = sample["y"] * 2
    with pytest.raises(ModelError, match="0/1"):
        logit(sample, "y3 ~ x")
    sample["y0"] = 0
    with pytest.raises(ModelError, match="all 600"):
        logit(sample, "y0 ~ x")
    with pytest.raises(ModelError, match="agee"):
        logit(sample, "y ~ agee")
    with pytest.raises(ModelError, match="unweighted"):
        logit(sample, "y ~ x", weights="w", model_based=True)
    with pytest.raises(ModelError, match="degrees of freedom"):
        logit(DATA, "individual ~ age + female + efficacy", domain=DATA["psu"] == "AA-00",
              **KW)


def test_empty_interaction_cell_is_dropped_with_a_flag(sample):
    sample["edu"] = sample["edu"].cat.remove_unused_categories()
    sample.loc[(sample["region"] == "south") & (sample["edu"] == "high"), "edu"] = "mid"
    res = fit_svy_logit(sample, "y ~ x + region + region:edu", weights="w")
    (flag,) = flags_of(res, "empty_level")
    assert "'region[south]:edu[T.high]'" in flag["detail"]
    assert len(res.params) == 6  # Intercept, x, region[T.south], 3 non-empty cells


def _separation_per_coefficient(X, y):
    """Reference: Konis's check with two LPs for every coefficient (max and min of d_j over the
    cone of separating directions in the unit box), as coprod did before the null-space step."""
    from scipy import optimize

    As = X * (2.0 * y - 1.0)[:, None]
    scale = np.abs(As).max(axis=0)
    scale[scale == 0] = 1.0
    As = As / scale
    p = As.shape[1]

    def best(c):
        r = optimize.linprog(c, A_ub=-As, b_ub=np.zeros(len(As)), bounds=[(-1, 1)] * p,
                             method="highs")
        return None if r.status != 0 else r.x

    d = best(-As.sum(axis=0))
    if d is None or (As @ d).max() < 1e-6:
        return None
    signs = np.zeros(p, dtype=int)
    for j in range(p):
        e = np.eye(p)[j]
        hi, lo = best(-e), best(e)
        up, down = hi is not None and hi[j] > 1e-6, lo is not None and lo[j] < -1e-6
        signs[j] = 2 if (up and down) else (1 if up else (-1 if down else 0))
    return signs if signs.any() else None


def test_separation_signs_equal_the_per_coefficient_lps():
    """The fast check (one LP for the separable rows, then only the coefficients in the null
    space of the others, each LP over the rows it needs) gives the same signs as two LPs per
    coefficient over every row, on random problems with no, quasi-complete and complete
    separation."""
    from coprod.survey.framechecks import find_separation

    rng = np.random.default_rng(11)
    kinds = set()
    for k in range(66):  # the last few large enough for several rounds of cutting planes
        n, p = int(rng.integers(30, 300) if k < 60 else rng.integers(1500, 3000)), \
            int(rng.integers(2, 7))
        X = np.c_[np.ones(n), (rng.random((n, p - 1)) < rng.uniform(0.03, 0.5)).astype(float)]
        X[:, 1] = rng.normal(size=n) if rng.random() < 0.5 else X[:, 1]
        y = (rng.random(n) < 1 / (1 + np.exp(-X @ rng.normal(0, 2, p)))).astype(float)
        kind = int(rng.integers(0, 3))
        if kind == 1:
            y[X[:, -1] == 1] = 1.0                  # a level with every outcome 1
        elif kind == 2:
            y = (X[:, 1] > 0).astype(float)         # complete separation on one column
        ref, fast = _separation_per_coefficient(X, y), find_separation(X, y)
        assert (ref is None) == (fast is None)
        if ref is not None:
            assert (ref == fast).all(), (ref, fast)
            kinds.add(kind)
    assert kinds >= {1, 2}  # the separated cases were really exercised


def test_a_converged_fit_certifies_no_separation_only_when_there_is_none():
    """The shortcut before the linear programs (Stiemke's lemma from the fitted
    probabilities) never clears a separated problem and clears nearly every other one, also
    those with fitted log-odds beyond 15 (the ones that would otherwise need the LPs)."""
    from coprod.survey.framechecks import find_separation, mle_certified
    from coprod.survey.glm import irls_logit

    rng = np.random.default_rng(5)
    separated = cleared_wrongly = clean = cleared = extreme = 0
    problems = random_cases(full=200, fast=80)
    for _ in range(problems):
        n, p = int(rng.integers(30, 400)), int(rng.integers(2, 8))
        X = np.c_[np.ones(n), (rng.random((n, p - 1)) < rng.uniform(0.02, 0.5)).astype(float)]
        if rng.random() < 0.6:
            X[:, 1] = rng.normal(size=n) * rng.choice([1, 10, 30])
        eta0 = np.clip(X @ rng.normal(0, rng.choice([1, 3, 8]), p), -700, 700)
        y = (rng.random(n) < 1 / (1 + np.exp(-eta0))).astype(float)
        kind = int(rng.integers(0, 4))
        if kind == 1:
            y[X[:, -1] == 1] = 1.0                  # a level with every outcome 1
        elif kind == 2:
            y = (X[:, 1] > 0).astype(float)         # complete separation on one column
        if y.min() == y.max() or np.linalg.matrix_rank(X) < p:
            continue
        w = rng.uniform(0.2, 3, n)
        beta, converged, _ = irls_logit(X, y, w)
        eta = X @ beta
        mu = 0.5 * (1 + np.tanh(eta / 2))           # the logistic function without overflow
        ok = converged and mle_certified(X, y, w, mu)
        if find_separation(X, y) is not None:
            separated += 1
            cleared_wrongly += ok
        else:
            clean += 1
            cleared += ok
            extreme += ok and np.abs(eta).max() > 15
    assert separated > 0.4 * problems and clean > 0.2 * problems
    assert cleared_wrongly == 0
    assert cleared >= 0.95 * clean and extreme > 0.05 * problems
