"""Ordinal (svyolr), count (svyglm quasipoisson) models and joint Wald tests (regTermTest)
against R's survey (tools/golden_ordinal.R on tests/data/golden/ordinal_survey.csv): whole
design and a domain, linearisation and a JKn replicate design; estimates 1e-7, SEs 1e-6 (R was
started at the exact optimum and its Hessian taken with ndeps 1e-5; see the golden README)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from conftest import r_term as r_name

from coprod.survey.design import make_design
from coprod.survey.glm import fit_svy_logit
from coprod.survey.ordinal import fit_svy_olr
from coprod.survey.replicate import as_replicate
from coprod.survey.termtests import term_tests

GOLDEN = ROOT / "tests" / "data" / "golden"
RHS = "age + female + efficacy + educ"


@pytest.fixture(scope="module")
def data():
    d = pd.read_csv(GOLDEN / "ordinal_survey.csv")
    d["freq"] = pd.Categorical(d["freq"], categories=["never", "rarely", "sometimes", "often"],
                               ordered=True)
    d["educ"] = pd.Categorical(d["educ"], categories=["low", "mid", "high"])
    d["south"] = d["region"].eq("south")
    d["sometimes_up"] = (d["freq"].cat.codes >= 2).astype(float)
    d["often"] = (d["freq"].cat.codes == 3).astype(float)
    return d


@pytest.fixture(scope="module")
def design(data):
    return make_design(data, weights="weight", strata="stratum", psu="psu", lonely_psu="fail",
                       keep_data=True)


@pytest.fixture(scope="module")
def reference():
    return pd.read_csv(GOLDEN / "ordinal_reference.csv")


def compare(res, ref: pd.DataFrame, est_tol=1e-7, se_tol=1e-6):
    tidy = res.tidy()
    got = pd.Series(tidy["estimate"].to_numpy(), index=tidy["term"].map(r_name))
    se = pd.Series(tidy["std_error"].to_numpy(), index=got.index)
    assert sorted(got.index) == sorted(ref["term"])
    ref = ref.set_index("term")
    np.testing.assert_allclose(got[ref.index], ref["estimate"], rtol=est_tol, atol=est_tol)
    np.testing.assert_allclose(se[ref.index], ref["std_error"], rtol=se_tol)
    assert res.df_resid == int(ref["df"].iloc[0])


def fit(kind, data, design, domain=None):
    d = design if domain is None else design.domain(data["south"].to_numpy())
    if kind == "olr":
        return fit_svy_olr(data, f"freq ~ {RHS}", design=d)
    outcome = {"pois": "count", "logit": "sometimes_up", "logit_often": "often"}[kind]
    family = "count" if kind == "pois" else "logit"
    return fit_svy_logit(data, f"{outcome} ~ {RHS}", design=d, family=family)


@pytest.mark.parametrize("model", ["olr_full", "olr_domain", "pois_full", "pois_domain",
                                   "logit_full", "logit_often"])
def test_models_equal_r(data, design, reference, model):
    kind, part = model.rsplit("_", 1) if model != "logit_often" else ("logit_often", "full")
    res = fit(kind, data, design, None if part == "full" else "south")
    compare(res, reference[reference["model"] == model])


def test_ordinal_replicate_equals_r(data, design, reference):
    """JKn replicate weights from the same design (as R's as.svrepdesign), every replicate
    refitted to convergence (R's own replicate fits stop at optim's default reltol and are
    stored as olr_jk1_rdefault, up to 0.8% away)."""
    rep = as_replicate(design, "JKn")
    res = fit_svy_olr(data, f"freq ~ {RHS}", design=rep)
    compare(res, reference[reference["model"] == "olr_jk1"])


@pytest.mark.parametrize("model", ["olr_full", "olr_domain", "pois_full", "pois_domain",
                                   "logit_full"])
def test_joint_tests_equal_r(data, design, model):
    ref = pd.read_csv(GOLDEN / "ordinal_tests.csv")
    ref = ref[ref["model"] == model].set_index("test")
    kind, part = model.rsplit("_", 1)
    res = fit(kind, data, design, None if part == "full" else "south")
    got = term_tests(res, {"age+efficacy": ["age", "efficacy"]}).set_index("test")
    assert set(got.index) == set(ref.index)
    for test, row in ref.iterrows():
        assert got.loc[test, "statistic"] == pytest.approx(row["F"], rel=1e-6)
        assert got.loc[test, "df_num"] == row["df1"]
        assert got.loc[test, "df_den"] == row["df2"]
        assert got.loc[test, "p_value"] == pytest.approx(row["p"], rel=1e-5)
