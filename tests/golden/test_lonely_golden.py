"""A lonely PSU under lonely_psu="adjust" on calibrated designs, against R's survey 4.1.1
(tools/golden_lonely.R, tests/data/golden/lonely_reference.csv).

The design is replicate_survey's with PSU BB-06 in a stratum of its own. R's ``onestrat()``
leaves such a stratum's PSU total uncentred under "adjust"; centring it at the grand mean of
the PSU totals gives the same variance only when the summed values add up to zero, which
calibration residuals after raking, bounded or raking-distance calibration do not. Uncalibrated
(``none``), post-stratified and linear calibration are the controls (their sums are zero).
Through the engine's API: make_design, calibration_spec + calibrate, svy_mean, svy_proportion,
svy_logit. Tolerances: estimates 1e-8, SEs 1e-6 (relative), df equal.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from coprod.survey import (calibrate, calibration_spec, design_df, make_design, svy_logit,
                           svy_mean, svy_proportion)

GOLDEN = ROOT / "tests" / "data" / "golden"
TOTALS = GOLDEN / "calibration_totals.csv"
METHODS = {"none": None,
           "poststrat": {"method": "poststrat", "variables": ["agegrp"]},
           "rake": {"method": "rake", "variables": ["agegrp", "sex"]},
           "linear": {"method": "linear", "variables": ["agegrp", "sex"]},
           "bounded": {"method": "linear", "variables": ["agegrp", "sex"], "bounds": [0.7, 1.4]},
           "raking_calfun": {"method": "raking", "variables": ["agegrp", "sex"]}}
REF = pd.read_csv(GOLDEN / "lonely_reference.csv", keep_default_na=False, dtype={"level": str})


@pytest.fixture(scope="module")
def data():
    d = pd.read_csv(GOLDEN / "replicate_survey.csv")
    d["country"] = pd.Categorical(d["country"], categories=["AA", "BB", "CC"])
    d["agegrp"] = pd.Categorical(d["agegrp"], categories=["18-34", "35-54", "55+"])
    d["lstratum"] = np.where(d["psu"] == "BB-06", "BB-lonely", d["country"].astype(str))
    return d


def design(data, method):
    base = make_design(data, weights="weight", strata="lstratum", psu="psu",
                       lonely_psu="adjust", keep_data=True)
    if METHODS[method] is None:
        return base
    return calibrate(base, data, calibration_spec(**METHODS[method], totals=str(TOTALS),
                                                  epsilon=1e-12))


def test_every_reference_case_is_tested():
    assert set(REF["calibration"]) == set(METHODS)
    assert set(REF["domain"]) == {"whole", "BB"}


@pytest.mark.parametrize("domain", ["whole", "BB"])
@pytest.mark.parametrize("method", list(METHODS))
def test_lonely_adjust_on_calibrated_designs_equals_r(data, method, domain):
    d = design(data, method)
    assert d.n_psu.tolist().count(1) == 1  # one lonely stratum
    case = REF[REF["case"] == f"{method}_{domain}"]
    mask = None if domain == "whole" else (data["country"] == "BB").to_numpy()
    d_dom = d if mask is None else d.domain(mask)
    formula = "individual ~ age + female + efficacy" + (" + country" if domain == "whole" else "")
    tidy = svy_logit(formula, d_dom).set_index("term")
    ref = case[case["estimator"] == "model"]
    terms = ["Intercept" if v == "Intercept" else f"{v}[T.{lv}]" if lv else v
             for v, lv in zip(ref["variable"], ref["level"])]
    assert sorted(tidy.index) == sorted(terms)
    np.testing.assert_allclose(tidy.loc[terms, "estimate"], ref["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(tidy.loc[terms, "std_error"], ref["std_error"], rtol=1e-6)
    assert (tidy.loc[terms, "df_resid"].to_numpy() == ref["df"].to_numpy()).all()
    for estimator, v, fn in (("mean", "age", svy_mean), ("proportion", "individual",
                                                           svy_proportion)):
        r = case[case["estimator"] == estimator].iloc[0]
        out = fn(data[v], d, mask)
        assert out["estimate"] == pytest.approx(r["estimate"], abs=1e-8)
        assert out["std_error"] == pytest.approx(r["std_error"], rel=1e-6)
        assert out["n"] == r["n"]
        rows = np.flatnonzero(data[v].notna().to_numpy() & (True if mask is None else mask))
        assert design_df(d, rows) == r["df"]
