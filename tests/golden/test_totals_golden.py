"""Totals and ratios against R's survey (tools/golden_totals.R, R 4.2.2 / survey 4.1.1):
``svytotal`` of numeric and factor variables (with missing values, ``na.rm = TRUE``) and
``svyratio``, with design effects, on Taylor designs with population sizes (one and two stages),
on JK1 and BRR replicate designs (from the replicate weights R built) and on a post-stratified
design, on the whole sample and in a domain. Tolerances: estimates 1e-8, SEs and design effects
1e-6 (relative), df equal."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from coprod.survey import (
    calibrate,
    calibration_spec,
    make_design,
    make_replicate_design,
    svy_ratio,
    svy_total,
)

GOLDEN = ROOT / "tests" / "data" / "golden"
REF = pd.read_csv(GOLDEN / "totals_reference.csv", keep_default_na=False, na_values=["NA"],
                  dtype={"level": str})
TAYLOR = {"clus_fpc": dict(psu="psu", fpc="N1"),
          "two_stage": dict(psu="psu", ssu="ssu", fpc="N1", fpc2="M2")}
REPLICATE = {"JK1_mse0": ("jk1_", "JK1", False), "JK1_mse1": ("jk1_", "JK1", True),
             "BRR_mse0": ("brr_", "BRR", False)}
CASES = sorted({(c, d) for c, d in zip(REF["case"], REF["domain"])})


@pytest.fixture(scope="module")
def fpc_data():
    d = pd.read_csv(GOLDEN / "fpc_survey.csv")
    d["yf"] = d["y"].map({0: "no", 1: "yes"})  # R: factor(y, 0:1, c("no", "yes"))
    return d


@pytest.fixture(scope="module")
def rep_data():
    d = pd.read_csv(GOLDEN / "replicate_survey.csv").merge(
        pd.read_csv(GOLDEN / "replicate_weights.csv"), on="id", validate="one_to_one")
    d["country"] = pd.Categorical(d["country"], categories=["AA", "BB", "CC"])
    d["agegrp"] = pd.Categorical(d["agegrp"], categories=["18-34", "35-54", "55+"])
    return d


def design(case, domain, fpc_data, rep_data):
    """The case's design, restricted to the domain (R's subset)."""
    if case in TAYLOR:
        des = make_design(fpc_data, weights="weight", strata="stratum", lonely_psu="fail",
                          keep_data=True, **TAYLOR[case])
        return des if domain == "all" else des.domain(fpc_data["region"] == domain)
    if case in REPLICATE:
        prefix, kind, mse = REPLICATE[case]
        des = make_replicate_design(rep_data, weights="weight", replicates=f"^{prefix}\\d+$",
                                    type=kind, mse=mse, keep_data=True)
    else:
        assert case == "poststrat"
        base = make_design(rep_data, weights="weight", strata="country", psu="psu",
                           lonely_psu="fail", keep_data=True)
        des = calibrate(base, rep_data, calibration_spec(
            method="poststrat", variables=["agegrp"], totals=str(GOLDEN / "calibration_totals.csv")))
    return des if domain == "all" else des.domain(rep_data["country"] == domain)


def check(out: pd.DataFrame, ref: pd.DataFrame):
    assert list(out.index) == list(ref["term"])
    assert list(out["level"]) == list(ref["level"])
    np.testing.assert_allclose(out["estimate"], ref["estimate"], rtol=0,
                               atol=1e-8 * max(1.0, ref["estimate"].abs().max()))
    np.testing.assert_allclose(out["std_error"], ref["std_error"], rtol=1e-6, atol=1e-12)
    assert (out["df"].to_numpy() == ref["df"].to_numpy()).all()
    # NaN and inf where R has them; a zero SE (a calibrated margin) is zero to rounding
    np.testing.assert_allclose(out["deff"], ref["deff"], rtol=1e-6, atol=1e-12)


def test_every_reference_case_is_tested():
    assert set(REF["case"]) == set(TAYLOR) | set(REPLICATE) | {"poststrat"}


@pytest.mark.parametrize("case, domain", CASES)
def test_totals_equal_svytotal(case, domain, fpc_data, rep_data):
    des = design(case, domain, fpc_data, rep_data)
    ref = REF[(REF["case"] == case) & (REF["domain"] == domain)]
    for statistic, deff in (("total", True), ("total_deff_replace", "replace")):
        r = ref[ref["statistic"] == statistic]
        for variable in dict.fromkeys(r["variable"]):
            out = svy_total(variable, des, deff=deff)
            check(out, r[r["variable"] == variable])
            assert (out["variable"] == variable).all()


@pytest.mark.parametrize("case, domain", CASES)
def test_ratios_equal_svyratio(case, domain, fpc_data, rep_data):
    des = design(case, domain, fpc_data, rep_data)
    ref = REF[(REF["case"] == case) & (REF["domain"] == domain) & (REF["statistic"] == "ratio")]
    assert len(ref)
    for variable in ref["variable"]:
        num, den = variable.split("/")
        check(svy_ratio(num, den, des, deff=True), ref[ref["variable"] == variable])


def test_estimates_do_not_depend_on_the_replicate_type(rep_data):
    """JK1 and BRR share the full-sample weights: same estimates, different SEs (as R)."""
    jk, brr = (design(c, "all", None, rep_data) for c in ("JK1_mse0", "BRR_mse0"))
    a, b = svy_total("agegrp", jk), svy_total("agegrp", brr)
    np.testing.assert_allclose(a["estimate"], b["estimate"], rtol=1e-14)
    assert not np.allclose(a["std_error"], b["std_error"])
