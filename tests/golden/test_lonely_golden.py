"""A lonely PSU under lonely_psu="adjust" on calibrated designs, against R's survey 4.1.1
(tools/golden_lonely.R, tests/data/golden/lonely_reference.csv).

The design is replicate_survey's with PSU BB-06 in a stratum of its own. R's ``onestrat()``
leaves such a stratum's PSU total uncentred under "adjust"; centring it at the grand mean of
the PSU totals gives the same variance only when the summed values add up to zero, which
calibration residuals after raking, bounded or raking-distance calibration do not. Uncalibrated
(``none``), post-stratified and linear calibration are the controls (their sums are zero).
Through the engine's API: make_design, calibration_spec + calibrate, svy_mean, svy_proportion,
svy_logit. Tolerances: estimates 1e-8, SEs 1e-6 (relative), df equal.

``rake_maxit2`` is a rake stopped by maxit = 2 before it converges: R warns and keeps the
weights (and, for the variance, the margins) of its last pass; so does coprod, with a
CalibrationWarning that quotes the last pass's change of the margins' joint table.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from coprod.survey import (
    CalibrationWarning,
    calibrate,
    calibration_spec,
    design_df,
    make_design,
    svy_logit,
    svy_mean,
    svy_proportion,
)

GOLDEN = ROOT / "tests" / "data" / "golden"
TOTALS = GOLDEN / "calibration_totals.csv"
METHODS = {"none": None,
           "poststrat": {"method": "poststrat", "variables": ["agegrp"]},
           "rake": {"method": "rake", "variables": ["agegrp", "sex"]},
           "linear": {"method": "linear", "variables": ["agegrp", "sex"]},
           "bounded": {"method": "linear", "variables": ["agegrp", "sex"], "bounds": [0.7, 1.4]},
           "raking_calfun": {"method": "raking", "variables": ["agegrp", "sex"]},
           "rake_maxit2": {"method": "rake", "variables": ["agegrp", "sex"], "maxit": 2}}
TEXT = ["case", "calibration", "domain", "estimator", "outcome", "term", "variable", "level"]
REF = pd.read_csv(GOLDEN / "lonely_reference.csv", dtype=dict.fromkeys(TEXT, str))
REF[TEXT] = REF[TEXT].fillna("")


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
    spec = calibration_spec(**METHODS[method], totals=str(TOTALS), epsilon=1e-12)
    if method != "rake_maxit2":
        return calibrate(base, data, spec)
    with pytest.warns(CalibrationWarning, match="raking did not converge in 2 passes"):
        return calibrate(base, data, spec)


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
    tidy = svy_logit(formula, d_dom).tidy().set_index("term")
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


def test_a_rake_stopped_by_maxit_warns_with_its_last_change_and_keeps_its_weights(data):
    """R's rake warns "Raking did not converge after 2 iterations" and returns the design of
    its last pass (whose numbers the test above checks against R's); coprod's warning quotes
    the change of that pass (R's delta, from the reference), not 0, and no longer blames the
    totals (which calibration_spec has already checked)."""
    change = REF.loc[REF["estimator"] == "last_change", "estimate"].item()
    base = make_design(data, weights="weight", strata="lstratum", psu="psu",
                       lonely_psu="adjust", keep_data=True)
    spec = calibration_spec("rake", str(TOTALS), ["agegrp", "sex"], epsilon=1e-12, maxit=2)
    with pytest.warns(CalibrationWarning) as caught:
        stopped = calibrate(base, data, spec)
    (warning,) = caught
    text = str(warning.message)
    assert text.startswith(f"raking did not converge in 2 passes over the margins: the last "
                           f"pass changed the margins' joint table by {change:.3g} (tolerance ")
    assert "the weights after the last pass are used, as R's rake does" in text
    assert "consistent" not in text
    # the weights are those of the second pass: a third pass still moves them, to convergence
    more = calibrate(base, data, calibration_spec("rake", str(TOTALS), ["agegrp", "sex"],
                                                  epsilon=1e-12, maxit=100))
    assert not np.allclose(stopped.weights, more.weights, rtol=1e-6)
    np.testing.assert_allclose(stopped.weights.sum(), 850)  # the last margin (sex) is met


@pytest.mark.parametrize("maxit", [0, -1, 2.5, True])
def test_maxit_must_be_a_positive_whole_number(maxit):
    from coprod.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^maxit: .* must be a whole number of at least 1") \
            as exc:
        calibration_spec("rake", str(TOTALS), ["agegrp", "sex"], maxit=maxit)
    assert exc.value.argument == "maxit"


def test_a_replicate_design_warns_once_for_its_full_sample_and_once_for_its_replicates(data):
    """Every replicate is raked to its own convergence (R rakes them alongside the full sample
    and never checks them): those stopped by maxit are named in one warning, not 36."""
    from coprod.survey import make_replicate_design

    reps = data.merge(pd.read_csv(GOLDEN / "replicate_weights.csv").filter(
        regex="^(id|jk1_.*)$"), on="id")
    base = make_replicate_design(reps, weights="weight", replicates="^jk1_\\d+$", type="JK1",
                                 keep_data=True)
    spec = calibration_spec("rake", str(TOTALS), ["agegrp", "sex"], epsilon=1e-12, maxit=2)
    with pytest.warns(CalibrationWarning) as caught:
        calibrate(base, reps, spec)
    texts = [str(w.message) for w in caught]
    assert len(texts) == 2, texts
    assert texts[0].startswith("raking did not converge in 2 passes over the margins: the last "
                               "pass changed the margins' joint table by ")
    assert texts[1].startswith("raking of replicate(s) 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (36 of "
                               "36) did not converge in 2 passes over the margins: the last "
                               "pass changed replicate ")
