"""calibrate / poststratify / rake in R's vocabulary: the calls besides R's numbers
(tests/golden/test_calibrate_golden.py has those): the totals are met, formulaic's names work
as R's, the pipeline's call keeps working with the design's own data, a calibrated design
rebuilt on a subset of rows is calibrated anew, and each bad input gives one message naming
its argument."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from coprod.errors import CoprodError
from coprod.survey import (
    CalibrationWarning,
    as_replicate,
    cal_names,
    calibrate,
    calibration_spec,
    make_design,
    poststratify,
    rake,
    svy_total,
)

GOLDEN = ROOT / "tests" / "data" / "golden"
CLUS = pd.read_csv(GOLDEN / "api_clus1.csv")
G3 = {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018, "api99": 3914069}
TYPES = pd.DataFrame({"stype": ["E", "H", "M"], "Freq": [4421, 755, 1018]})
SCHWIDE = pd.DataFrame({"sch.wide": ["No", "Yes"], "Freq": [1072, 5122]})


@pytest.fixture(scope="module")
def dclus1():
    return make_design(CLUS, weights="pw", psu="dnum", fpc="fpc", keep_data=True)


def test_cal_names_are_rs_model_matrix_columns(dclus1):
    assert cal_names("~stype + api99", dclus1) == ["(Intercept)", "stypeH", "stypeM", "api99"]
    assert cal_names("~stype + sch.wide - 1", dclus1) == ["stypeE", "stypeH", "stypeM",
                                                          "sch.wideYes"]
    assert cal_names("~stype:api99", dclus1) == ["(Intercept)", "stypeE:api99",
                                                 "stypeH:api99", "stypeM:api99"]


@pytest.mark.parametrize("kind", ["taylor", "jk1"])
@pytest.mark.parametrize("calfun, bounds", [("linear", None), ("linear", (0.6, 1.6)),
                                            ("raking", None), ("logit", (0.5, 2.5))])
def test_calibrated_weights_meet_the_totals(dclus1, kind, calfun, bounds):
    base = dclus1 if kind == "taylor" else as_replicate(dclus1, "JK1")
    kw = {"bounds": bounds} if bounds else {}
    with warnings.catch_warnings():  # a bounded JK1 replicate may stop at maxit, as R's
        warnings.simplefilter("ignore", CalibrationWarning)
        des = calibrate(base, "~stype + api99", G3, calfun=calfun, **kw)
    assert des.weights.sum() == pytest.approx(6194, rel=1e-7)
    tot = svy_total("api99", des)
    assert tot["estimate"].item() == pytest.approx(3914069, rel=1e-7)
    types = svy_total("stype", des)["estimate"]
    np.testing.assert_allclose(types.to_numpy(), [4421, 755, 1018], rtol=1e-7)
    if bounds:
        g = des.weights / base.weights
        assert g.min() >= bounds[0] - 1e-12 and g.max() <= bounds[1] + 1e-12


def test_formulaic_names_and_unnamed_totals_calibrate_as_rs_names(dclus1):
    r = calibrate(dclus1, "~stype + api99", G3)
    f = calibrate(dclus1, "~stype + api99", {"Intercept": 6194, "stype[T.H]": 755,
                                             "stype[T.M]": 1018, "api99": 3914069})
    u = calibrate(dclus1, "~stype + api99", [6194, 755, 1018, 3914069])
    s = calibrate(dclus1, "~stype + api99", pd.Series(G3))
    for other in (f, u, s):
        np.testing.assert_array_equal(other.weights, r.weights)


def test_the_pipelines_call_takes_the_designs_own_data(dclus1):
    spec = calibration_spec("poststrat", {"stype": {"E": 4421, "H": 755, "M": 1018}})
    given = calibrate(dclus1, CLUS, spec)
    for des in (calibrate(dclus1, None, spec), calibrate(dclus1, spec),
                calibrate(dclus1, spec=spec)):
        np.testing.assert_array_equal(des.weights, given.weights)
    # R's postStratify and the linear calibration on the same factor give these weights too
    np.testing.assert_allclose(poststratify(dclus1, "~stype", TYPES).weights, given.weights,
                               rtol=1e-12)
    np.testing.assert_allclose(calibrate(dclus1, "~stype", [6194, 755, 1018]).weights,
                               given.weights, rtol=1e-12)


@pytest.mark.parametrize("kind", ["taylor", "jk1"])
@pytest.mark.parametrize("how", ["calibrate", "poststratify", "rake"])
def test_rows_dropped_from_a_calibrated_design_are_calibrated_anew(dclus1, kind, how):
    base = dclus1 if kind == "taylor" else as_replicate(dclus1, "JK1")
    call = {"calibrate": lambda d: calibrate(d, "~stype + api99", G3, bounds=(0.5, 2)),
            "poststratify": lambda d: poststratify(d, "~stype", TYPES),
            "rake": lambda d: rake(d, ["~stype", "~sch.wide"], [TYPES, SCHWIDE],
                                   control={"epsilon": 1e-12, "maxit": 100})}[how]
    keep = np.ones(base.n, bool)
    keep[::7] = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        dropped = call(base).drop_rows(keep)
        direct = call(base.drop_rows(keep))
    np.testing.assert_allclose(dropped.weights, direct.weights, rtol=1e-12)
    assert dropped.weights.sum() == pytest.approx(6194, rel=1e-9)
    if kind == "jk1":
        np.testing.assert_allclose(dropped.repweights, direct.repweights, rtol=1e-12)


def test_a_rake_stopped_by_maxit_warns_with_its_last_change_and_keeps_its_weights(dclus1):
    with pytest.warns(CalibrationWarning, match=r"did not converge in 1 passes") as caught:
        stopped = rake(dclus1, ["~stype", "~sch.wide"], [TYPES, SCHWIDE],
                       control={"maxit": 1, "epsilon": 1e-12})
    change = float(str(caught[0].message).split("joint table by ")[1].split(" ")[0])
    assert change > 0  # the real change of the last pass, not 0
    once = poststratify(poststratify(dclus1, "~stype", TYPES), "~sch.wide", SCHWIDE)
    np.testing.assert_allclose(stopped.weights, once.weights, rtol=1e-12)


def test_a_calibration_that_does_not_converge_stops_naming_bounds_unless_forced(dclus1):
    with pytest.raises(CoprodError, match=r"^bounds: calibration \(calfun 'linear', bounds "
                                          r"\[0.99, 1.01\]\) did not converge in 50 "
                                          r"iterations.*force=True") as exc:
        calibrate(dclus1, "~stype + api99", G3, bounds=(0.99, 1.01))
    assert exc.value.argument == "bounds"
    with pytest.warns(CalibrationWarning, match="did not converge.*force=True"):
        forced = calibrate(dclus1, "~stype + api99", G3, bounds=(0.99, 1.01), force=True)
    assert np.isfinite(forced.weights).all()


BAD = [
    ({"population": {**G3, "stypeX": 3}}, "population", r"'stypeX' not a column.*needed are "
                                                        r"\(Intercept\), stypeH, stypeM, api99"),
    ({"population": {"(Intercept)": 6194, "stypeH": 755}}, "population",
     r"no total for stypeM, api99"),
    ({"population": [6194, 755, 1018]}, "population", r"3 total\(s\) for the 4 columns"),
    ({"population": {**G3, "stypeH": -755}}, "population", r"total of stypeH is negative"),
    ({"population": {**G3, "api99": "many"}}, "population", r"total of api99 is 'many'"),
    ({"calfun": "probit"}, "calfun", r"'probit' is not one of linear, raking, logit"),
    ({"bounds": (1.2, 2)}, "bounds", r"lower < 1 < upper"),
    ({"calfun": "logit"}, "bounds", r"logit calibration needs finite bounds"),
    ({"maxit": 0}, "maxit", r"at least 1"),
    ({"epsilon": -1}, "epsilon", r"positive number"),
    ({"trim": (1.5, 2)}, "trim", r"lower < 1 < upper"),
    ({"variance": [1, 2]}, "variance", r"one per row \(183\) or per column"),
    ({"formula": "~stype + nope"}, "formula", r"'nope' not in the data"),
    ({"formula": "~stype + log(api99)"}, "formula", r"'log\(api99\)' is not a variable name"),
    ({"formula": "stype + api99"}, "formula", r"one-sided formula"),
]


@pytest.mark.parametrize("change, argument, message", BAD)
def test_bad_input_to_calibrate_names_its_argument(dclus1, change, argument, message):
    kw = {"formula": "~stype + api99", "population": G3, **change}
    with pytest.raises(CoprodError, match=f"^{argument}: .*{message}") as exc:
        calibrate(dclus1, kw.pop("formula"), kw.pop("population"), **kw)
    assert exc.value.argument == argument
    assert "\n" not in str(exc.value)


def test_a_design_without_its_data_needs_data(dclus1):
    bare = make_design(CLUS, weights="pw", psu="dnum", fpc="fpc")
    with pytest.raises(CoprodError, match=r"^data: the design was built without its data"):
        calibrate(bare, "~stype + api99", G3)
    with pytest.raises(CoprodError, match=r"^data: give the data, or build the design"):
        calibrate(bare, None, calibration_spec("poststrat", {"stype": {"E": 1, "H": 1,
                                                                       "M": 1}}))
    np.testing.assert_array_equal(calibrate(bare, "~stype + api99", G3, data=CLUS).weights,
                                  calibrate(dclus1, "~stype + api99", G3).weights)


def test_bad_input_to_poststratify_and_rake_names_its_argument(dclus1):
    with pytest.raises(CoprodError, match=r"^population: cell\(s\) \['M'\] of stype are in the "
                                          "sample but have no population count"):
        poststratify(dclus1, "~stype", {"E": 4421, "H": 755})
    with pytest.raises(CoprodError, match=r"^population: cell\(s\) \['X'\] of stype have a "
                                          "population count but no sample; give partial=True"):
        poststratify(dclus1, "~stype", {"E": 4421, "H": 755, "M": 1018, "X": 5})
    with pytest.warns(CalibrationWarning, match=r"\['X'\] of stype absent from the sample"):
        partial = poststratify(dclus1, "~stype", {"E": 4421, "H": 755, "M": 1018, "X": 5},
                               partial=True)
    assert partial.weights.sum() == pytest.approx(6194)
    with pytest.raises(CoprodError, match=r"^population: the table needs the column\(s\) "
                                          r"\['stype'\] and one column of counts"):
        poststratify(dclus1, "~stype", TYPES.rename(columns={"stype": "type"}))
    with pytest.raises(CoprodError, match=r"^population: the count of H is -1"):
        poststratify(dclus1, "~stype", {"E": 4421, "H": -1, "M": 1018})
    with pytest.raises(CoprodError, match=r"^sample_margins: one margin \(formula\) per table"):
        rake(dclus1, ["~stype", "~sch.wide"], [TYPES])
    with pytest.raises(CoprodError, match=r"^control: unknown \['tol'\]"):
        rake(dclus1, ["~stype"], [TYPES], control={"tol": 1})
    with pytest.raises(CoprodError, match=r"^population_margins\[1\]: cell\(s\) \['Yes'\]"):
        rake(dclus1, ["~stype", "~sch.wide"], [TYPES, {"No": 1072}])
