"""Calibrated weights against R's survey (tools/golden_replicate.R): post-stratification,
raking, linear, bounded linear and raking calibration, on a linearisation design and on a JK1
replicate design: the weights themselves, models, means and proportions, whole and a domain."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, replicate_reference

from coprod.survey.calibration import calibrate, calibration_spec
from coprod.survey.design import make_design
from coprod.survey.glm import fit_svy_logit
from coprod.survey.means import svy_mean, svy_proportion
from coprod.survey.replicate import make_replicate_design

GOLDEN = ROOT / "tests" / "data" / "golden"
TOTALS = GOLDEN / "calibration_totals.csv"
METHODS = {"poststrat": {"method": "poststrat", "variables": ["agegrp"]},
           "rake": {"method": "rake", "variables": ["agegrp", "sex"]},
           "linear": {"method": "linear", "variables": ["agegrp", "sex"]},
           "bounded": {"method": "linear", "variables": ["agegrp", "sex"], "bounds": [0.7, 1.4]},
           "raking_calfun": {"method": "raking", "variables": ["agegrp", "sex"]}}


@pytest.fixture(scope="module")
def data():
    d = pd.read_csv(GOLDEN / "replicate_survey.csv").merge(
        pd.read_csv(GOLDEN / "replicate_weights.csv").filter(regex="^(id|jk1_.*)$"), on="id")
    d["country"] = pd.Categorical(d["country"], categories=["AA", "BB", "CC"])
    d["agegrp"] = pd.Categorical(d["agegrp"], categories=["18-34", "35-54", "55+"])
    d["psu"] = d["psu"].astype(str)
    return d


@pytest.fixture(scope="module")
def reference():
    return replicate_reference()


def spec(method):
    return calibration_spec(**METHODS[method], totals=str(TOTALS), epsilon=1e-12)


def design(data, kind, method, mse=False):
    if kind == "lin":
        base = make_design(data, weights="weight", strata="country", psu="psu", keep_data=True)
    else:
        base = make_replicate_design(data, weights="weight", replicates="^jk1_\\d+$",
                                     type="JK1", mse=mse, keep_data=True)
    return calibrate(base, data, spec(method))


@pytest.mark.parametrize("method", list(METHODS))
def test_calibrated_weights_equal_r(data, method):
    cw = pd.read_csv(GOLDEN / "calibrated_weights.csv")
    lin = design(data, "lin", method)
    np.testing.assert_allclose(lin.weights, cw[f"cal_lin_{method}"], rtol=1e-9)
    rep = design(data, "jk1", method)
    np.testing.assert_allclose(rep.weights, cw[f"cal_jk1_{method}"], rtol=1e-9)
    if method == "linear":
        cols = [f"cal_jk1_linear_{i}" for i in range(1, 37)]
        np.testing.assert_allclose(rep.repweights, cw[cols].to_numpy(), rtol=1e-9, atol=1e-12)


CASES = [(k, m, mse, part) for m in METHODS for k, mses in (("lin", [None]),
                                                            ("jk1", [False, True]))
         for mse in mses for part in ("whole", "BB")]


def _case(kind, method, mse, part):
    if kind == "lin":
        return f"calibrated:{method}_{part}"
    return f"calibrated_jk1:{method}_mse{int(mse)}_{part}"


@pytest.mark.parametrize("kind, method, mse, part", CASES)
def test_calibrated_estimates_equal_r(data, reference, kind, method, mse, part):
    d = design(data, kind, method, bool(mse))
    case = reference[reference["case"] == _case(kind, method, mse, part)]
    assert len(case)
    ref = case[case["estimator"] == "model"]
    formula = "individual ~ age + female + efficacy" + (" + country" if part == "whole" else "")
    dom = None if part == "whole" else (data["country"] == "BB").to_numpy()
    res = fit_svy_logit(formula, d if dom is None else d.domain(dom))
    tidy = res.tidy().set_index("term")
    terms = ["Intercept" if v == "Intercept" else f"{v}[T.{lv}]" if lv else v
             for v, lv in zip(ref["variable"], ref["level"])]
    np.testing.assert_allclose(tidy.loc[terms, "estimate"], ref["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(tidy.loc[terms, "std_error"], ref["std_error"], rtol=1e-6)
    assert (tidy.loc[terms, "df_resid"].to_numpy() == ref["df"].to_numpy()).all()
    mean = svy_mean(data["age"], d, dom)
    r = case[case["estimator"] == "mean"].iloc[0]
    assert mean["estimate"] == pytest.approx(r["estimate"], abs=1e-9)
    assert mean["std_error"] == pytest.approx(r["std_error"], rel=1e-6)
    prop = svy_proportion(data["individual"], d, dom)
    r = case[case["estimator"] == "proportion"].iloc[0]
    assert prop["estimate"] == pytest.approx(r["estimate"], abs=1e-9)
    assert prop["std_error"] == pytest.approx(r["std_error"], rel=1e-6)


def test_zero_totals_and_empty_replicate_levels_are_refused_by_name(data, tmp_path):
    """A level with respondents but a total of 0 (R: "strata in sample absent from
    population"), and a JK1 replicate that deletes every respondent of a level: one line each,
    naming the level (never weights of 0 or NaN that look like estimates)."""
    from coprod.errors import DataError

    p = tmp_path / "totals.csv"
    p.write_text("variable,level,total\nagegrp,18-34,0\nagegrp,35-54,250\nagegrp,55+,600\n")
    base = make_design(data, weights="weight", strata="country", psu="psu", keep_data=True)
    with pytest.raises(DataError, match=r"level\(s\) \['18-34'\] of 'agegrp' have respondents "
                                        r"but a population total of 0"):
        calibrate(base, data, calibration_spec("poststrat", str(p), ["agegrp"]))
    # a level held by one PSU only: the JK1 replicate deleting that PSU leaves it empty
    small = data.assign(agegrp=np.where(data["psu"] == "AA-00", "tiny", "rest"))
    p.write_text("variable,level,total\nagegrp,tiny,10\nagegrp,rest,840\n")
    rep = make_replicate_design(small, weights="weight", replicates="^jk1_\\d+$", type="JK1",
                                keep_data=True)
    with pytest.raises(DataError, match=r"replicate 1 has no weight in level\(s\) \['tiny'\] "
                                        "of 'agegrp'"):
        calibrate(rep, small, calibration_spec("poststrat", str(p), ["agegrp"]))


def test_a_calibration_without_totals_is_refused_by_name():
    """The schema requires design.calibration.totals; a caller who leaves it out gets it named,
    not a TypeError from open(): the engine names its argument, the pipeline its config key."""
    from coprod.errors import ConfigError
    from coprod.pipeline.designconfig import calibration_from_config
    from coprod.pipeline.designkeys import Calibration

    with pytest.raises(ConfigError, match="^totals: give the population totals") as exc:
        calibration_spec("rake", None, ["agegrp"])  # type: ignore[arg-type]
    assert exc.value.argument == "totals"
    with pytest.raises(ConfigError, match="design.calibration.totals: name the CSV file"):
        calibration_from_config(Calibration.from_params({"method": "rake",
                                                         "variables": ["agegrp"]}))


def test_dropping_rows_of_a_calibrated_design_without_its_data_is_refused_by_name(data):
    """The kept rows are calibrated anew, which needs the calibration variables: a replicate
    design built without its data says so (as the linearisation design does), not an
    AttributeError."""
    from coprod.errors import DataError

    rep = make_replicate_design(data, weights="weight", replicates="^jk1_\\d+$", type="JK1")
    cal = calibrate(rep, data, calibration_spec("poststrat", str(TOTALS), ["agegrp"]))
    assert cal.data is None
    with pytest.raises(DataError, match=r"keep_data=True"):
        cal.drop_rows(np.ones(len(data), dtype=bool))
