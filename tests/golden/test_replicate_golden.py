"""Replicate-weight designs against R's survey (tools/golden_replicate.R): seven replicate types,
with and without mse, models, means and proportions, whole sample and a domain, from the
replicate weights R built (tests/data/golden/replicate_weights.csv)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, replicate_reference

from coprod.survey.glm import fit_svy_logit
from coprod.survey.means import svy_mean, svy_proportion
from coprod.survey.replicate import make_replicate_design

GOLDEN = ROOT / "tests" / "data" / "golden"
PREFIX = {"JK1": "jk1_", "JKn": "jkn_", "bootstrap": "boot_", "BRR": "brr_", "Fay": "fay_",
          "successive-difference": "boot_", "other": "boot_"}


@pytest.fixture(scope="module")
def data():
    d = pd.read_csv(GOLDEN / "replicate_survey.csv")
    w = pd.read_csv(GOLDEN / "replicate_weights.csv")
    d = d.merge(w, on="id", validate="one_to_one")
    d["country"] = pd.Categorical(d["country"], categories=["AA", "BB", "CC"])
    return d


@pytest.fixture(scope="module")
def reference():
    return replicate_reference()


def scales(kind: str):
    s = pd.read_csv(GOLDEN / "replicate_scales.csv")
    s = s[s["type"] == kind].sort_values("rscale_index")
    return float(s["scale"].iloc[0]), s["rscale"].to_numpy(), s


def design_of(data, kind: str, mse: bool):
    """Built as a user's config would: R's documented defaults where R has them."""
    scale, rscales, _ = scales(kind)
    kw = {}
    if kind in ("JKn", "bootstrap", "other"):
        kw["scale"] = scale
    if kind in ("JKn", "other"):
        kw["rscales"] = rscales
    if kind == "Fay":
        kw["rho"] = 0.5
    return make_replicate_design(data, weights="weight", replicates=f"^{PREFIX[kind]}\\d+$",
                                 type=kind, mse=mse, keep_data=True, **kw)


CASES = [(k, m, part) for k in PREFIX for m in (False, True) for part in ("whole", "BB")]


@pytest.mark.parametrize("kind, mse, part", CASES)
def test_replicate_models_equal_r(data, reference, kind, mse, part):
    d = design_of(data, kind, mse)
    ref = reference[(reference["case"] == f"{kind}_mse{int(mse)}_{part}")
                    & (reference["estimator"] == "model")]
    formula = "individual ~ age + female + efficacy" + (" + country" if part == "whole" else "")
    res = fit_svy_logit(formula, d if part == "whole" else d.domain(data["country"] == "BB"))
    tidy = res.tidy().set_index("term")
    terms = ["Intercept" if v == "Intercept" else f"{v}[T.{lv}]" if lv else v
             for v, lv in zip(ref["variable"], ref["level"])]
    assert sorted(tidy.index) == sorted(terms)
    np.testing.assert_allclose(tidy.loc[terms, "estimate"], ref["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(tidy.loc[terms, "std_error"], ref["std_error"], rtol=1e-6)
    assert (tidy.loc[terms, "df_resid"].to_numpy() == ref["df"].to_numpy()).all()
    assert res.stats["n"] == ref["n"].iloc[0]


@pytest.mark.parametrize("kind, mse, part", CASES)
def test_replicate_means_and_proportions_equal_r(data, reference, kind, mse, part):
    d = design_of(data, kind, mse)
    case = reference[reference["case"] == f"{kind}_mse{int(mse)}_{part}"]
    dom = None if part == "whole" else (data["country"] == "BB").to_numpy()
    mean = svy_mean(data["age"], d, dom)
    ref = case[case["estimator"] == "mean"].iloc[0]
    assert mean["estimate"] == pytest.approx(ref["estimate"], abs=1e-10)
    assert mean["std_error"] == pytest.approx(ref["std_error"], rel=1e-6)
    assert mean["n"] == ref["n"]
    prop = svy_proportion(data["individual"], d, dom)
    ref = case[case["estimator"] == "proportion"].iloc[0]
    assert prop["estimate"] == pytest.approx(ref["estimate"], abs=1e-10)
    assert prop["std_error"] == pytest.approx(ref["std_error"], rel=1e-6)
    assert prop["n"] == ref["n"]


@pytest.mark.parametrize("kind", list(PREFIX))
def test_replicate_degrees_of_freedom_equal_r(data, kind):
    _, _, s = scales(kind)
    d = design_of(data, kind, False)
    rows = np.arange(len(data))
    assert d.degf(rows) == s["degf"].iloc[0]
    assert d.degf(np.flatnonzero(data["country"] == "BB")) == s["degf_BB"].iloc[0]
    assert d.scale == pytest.approx(s["scale"].iloc[0], rel=1e-14)


@pytest.mark.parametrize("kind", ["JK1", "Fay"])
def test_contrast_on_a_replicate_design_uses_the_replicates(data, kind):
    """The contrast's per-outcome SEs are the separate replicate fits' SEs, and the difference's
    variance is the replicate variance of the differences (computed here by hand)."""
    from coprod.survey.contrast import contrast_test
    from coprod.survey.glm import replicate_fits

    d = design_of(data, kind, False)
    df = data.assign(collective=data["collective"].astype(float),
                     individual=data["individual"].astype(float))
    table, info = contrast_test(df, ("individual", "collective"), "age + female + efficacy",
                                design=d)
    t = table[table["kind"] == "term"].set_index("term")
    both = df[["individual", "collective"]].notna().all(axis=1).to_numpy()
    for y, col in (("individual", "std_error_a"), ("collective", "std_error_b")):
        res = fit_svy_logit(df, f"{y} ~ age + female + efficacy", design=d.domain(both))
        assert not res.flags
        np.testing.assert_allclose(t[col], res.tidy().set_index("term").loc[t.index,
                                                                         "std_error"], rtol=1e-10)
    ok = df[["individual", "collective", "age", "female", "efficacy"]].notna().all(axis=1)
    X = np.column_stack([np.ones(ok.sum()), df.loc[ok, ["age", "female", "efficacy"]]])
    rows = np.flatnonzero(ok)
    fits = {}
    for y in ("individual", "collective"):
        full = fit_svy_logit(df, f"{y} ~ age + female + efficacy", design=d.domain(ok))
        fits[y] = (full.params.to_numpy(), replicate_fits(X, df.loc[ok, y].to_numpy(),
                                                         d.repweights[rows],
                                                         full.params.to_numpy())[0])
    diff_r = fits["collective"][1] - fits["individual"][1]
    diff = fits["collective"][0] - fits["individual"][0]
    se = np.sqrt(np.diag(d.variance(diff_r, diff)))
    np.testing.assert_allclose(t["std_error"].to_numpy(), se, rtol=1e-8)
    assert (t["df_resid"] == d.degf(np.arange(len(df))) + 1 - 8).all()


@pytest.mark.parametrize("kind", ["JK1", "JKn"])
def test_conversion_from_a_linearisation_design_equals_r(data, kind):
    """as_replicate gives R's as.svrepdesign replicate weights, column for column, and its
    scale and rscales (replicate_scales.csv)."""
    from coprod.survey.design import make_design
    from coprod.survey.replicate import as_replicate

    base = make_design(data, weights="weight", strata=None if kind == "JK1" else "country",
                       psu="psu", keep_data=True)
    rep = as_replicate(base, kind)
    cols = [c for c in data.columns if c.startswith(PREFIX[kind])]
    np.testing.assert_allclose(rep.repweights, data[cols].to_numpy(), rtol=1e-12, atol=1e-12)
    scale, rscales, _ = scales(kind)
    assert rep.scale == pytest.approx(scale, rel=1e-12)
    np.testing.assert_allclose(rep.rscales, rscales, rtol=1e-12)


def test_bootstrap_conversion_is_seeded_and_has_r_scale(data):
    from coprod.survey.design import make_design
    from coprod.survey.replicate import as_replicate

    base = make_design(data, weights="weight", strata="country", psu="psu", keep_data=True)
    a, b = (as_replicate(base, "bootstrap", replicates=50, seed=7) for _ in range(2))
    assert np.array_equal(a.repweights, b.repweights)
    assert not np.array_equal(a.repweights, as_replicate(base, "bootstrap", replicates=50,
                                                          seed=8).repweights)
    scale, _, _ = scales("bootstrap")
    assert a.scale == pytest.approx(scale, rel=1e-12)  # R's n/((n-1)(R-1)), same strata
    # each replicate redraws every stratum's PSUs: per stratum the factors sum to n_h
    f = a.repweights / base.weights[:, None]
    for h in ("AA", "BB", "CC"):
        psus = data.loc[data["country"] == h, "psu"]
        first = ~psus.duplicated()
        assert np.allclose(f[psus.index[first]].sum(axis=0), first.sum())


def test_replicates_without_weight_are_refused_for_models_and_noted_for_means(data):
    """A domain that lies inside one PSU: the JK1 replicate deleting that PSU has no weight
    there. A model stops with a message naming it (R's svyglm fails too); a mean leaves it out
    of the variance and says so (R drops it with a warning)."""
    from coprod.errors import ModelError

    d = design_of(data, "JK1", False)
    dom = (data["psu"] == "AA-00").to_numpy()
    with pytest.raises(ModelError, match="replicate weight\\(s\\) 1 are zero for every "
                                         "respondent of this model"):
        fit_svy_logit("individual ~ age", d.domain(dom))
    mean = svy_mean(data["age"], d, dom)
    assert np.isfinite(mean["std_error"])
    assert mean["note"].startswith("1 replicate(s) have no weight here")


def test_replicates_made_from_the_design_by_config_equal_r(data, reference):
    """design.as_replicates: JKn replicates made from the strata and PSUs give R's
    as.svrepdesign(type = "JKn") estimates (the JKn case, whose weights R made the same way)."""
    from coprod.pipeline.designconfig import design_from_config
    from coprod.pipeline.designkeys import DesignSettings

    d = design_from_config(data, DesignSettings.from_params(
        {"weights": "weight", "strata": "country", "psu": "psu",
         "as_replicates": {"type": "JKn"}}))
    res = fit_svy_logit(data, "individual ~ age + female + efficacy + country", design=d)
    ref = reference[(reference["case"] == "JKn_mse0_whole") & (reference["estimator"] == "model")]
    tidy = res.tidy().set_index("term")
    terms = ["Intercept" if v == "Intercept" else f"{v}[T.{lv}]" if lv else v
             for v, lv in zip(ref["variable"], ref["level"])]
    np.testing.assert_allclose(tidy.loc[terms, "std_error"], ref["std_error"], rtol=1e-6)
    assert (tidy.loc[terms, "df_resid"].to_numpy() == ref["df"].to_numpy()).all()
