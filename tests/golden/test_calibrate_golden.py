"""Calibration in R's vocabulary against R's survey 4.1.1 (tools/golden_calibrate.R), on R's own
``api`` data with the examples of ?calibrate, ?postStratify and ?rake: ``calibrate`` with
categorical and numeric totals (GREG with ``api99``), without intercept, with an interaction,
bounded, trimmed, with the raking and logit distances, unnamed totals, R's ratio estimator
(``variance=``); ``poststratify`` on one variable and on a joint table; ``rake`` with R's
default control, a tight one, one stopped by maxit, and a joint margin. Each on the cluster
design ``dclus1`` and its JK1 replicate design (``as.svrepdesign(dclus1)``; the ratio estimator on
the stratified ``dstrat`` and its JKn design), through the public API: the weights' range,
svymean of api00 and svytotal of enroll and of stype (a factor), whole and in a domain.
Tolerances: estimates 1e-8 (relative to max(1, |estimate|)), SEs 1e-6 (relative), df equal,
R's count of warnings (a replicate that does not converge) equal to ours being given."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from coprod.survey import (
    CalibrationWarning,
    as_replicate,
    calibrate,
    make_design,
    poststratify,
    rake,
    svy_mean,
    svy_total,
)

GOLDEN = ROOT / "tests" / "data" / "golden"
REF = pd.read_csv(GOLDEN / "calibrate_reference.csv", keep_default_na=False,
                  na_values=["NA"])
WEIGHTS = pd.read_csv(GOLDEN / "calibrate_weights.csv")
POP_TABLE = pd.read_csv(GOLDEN / "calibrate_population.csv")  # xtabs(~stype+sch.wide, apipop)
POP_TOTALS = {"(Intercept)": 6194, "stypeH": 755, "stypeM": 1018}
G3 = {**POP_TOTALS, "api99": 3914069}
POP_TYPES = pd.DataFrame({"stype": ["E", "H", "M"], "Freq": [4421, 755, 1018]})
POP_SCHWIDE = pd.DataFrame({"sch.wide": ["No", "Yes"], "Freq": [1072, 5122]})

CASES = {
    "stype": lambda d: calibrate(d, "~stype", POP_TOTALS),
    "stype_schwide": lambda d: calibrate(d, "~stype + sch.wide",
                                         {**POP_TOTALS, "sch.wideYes": 5122}),
    "greg": lambda d: calibrate(d, "~stype + api99", G3),
    "greg_noint": lambda d: calibrate(d, "~stype + api99 - 1",
                                      {"stypeE": 4421, "stypeH": 755, "stypeM": 1018,
                                       "api99": 3914069}),
    "bounded": lambda d: calibrate(d, "~stype + api99", G3, bounds=(0.6, 1.6)),
    "bounded_half": lambda d: calibrate(d, "~stype + api99", G3, bounds=(0.5, 2)),
    "trimmed": lambda d: calibrate(d, "~stype + api99", G3, bounds=(0.5, 2),
                                   trim=(2 / 3, 3 / 2)),
    "raking": lambda d: calibrate(d, "~stype + api99", G3, calfun="raking"),
    "raking_bounded": lambda d: calibrate(d, "~stype + api99", G3, calfun="raking",
                                          bounds=(0.5, 2)),
    "logit": lambda d: calibrate(d, "~stype + api99", G3, calfun="logit", bounds=(0.5, 2.5)),
    "raking_unnamed": lambda d: calibrate(d, "~stype + sch.wide", [6194, 755, 1018, 5122],
                                          calfun="raking"),
    "interaction": lambda d: calibrate(d, "~stype * api99",
                                       {**G3, "stypeH:api99": 470000,
                                        "stypeM:api99": 640000}),
    "poststrat": lambda d: poststratify(d, "~stype", POP_TYPES),
    "poststrat_joint": lambda d: poststratify(d, "~stype + sch.wide", POP_TABLE),
    "rake": lambda d: rake(d, ["~stype", "~sch.wide"], [POP_TYPES, POP_SCHWIDE]),
    "rake_tight": lambda d: rake(d, ["~stype", "~sch.wide"], [POP_TYPES, POP_SCHWIDE],
                                 control={"maxit": 100, "epsilon": 1e-12}),
    "rake_maxit1": lambda d: rake(d, ["~stype", "~sch.wide"], [POP_TYPES, POP_SCHWIDE],
                                  control={"maxit": 1, "epsilon": 1e-12}),
    "rake_joint": lambda d: rake(d, ["~stype + sch.wide", "~sch.wide"],
                                 [POP_TABLE, POP_SCHWIDE]),
    "none": lambda d: d,
}
STRAT_CASES = {
    "ratio": lambda d: calibrate(d, "~enroll - 1", 3811472, variance=1),
    "ratio_rowwise": lambda d: calibrate(d, "~enroll - 1", 3811472,
                                         variance=d.data["enroll"].to_numpy()),
}


@pytest.fixture(scope="module")
def designs():
    clus = pd.read_csv(GOLDEN / "api_clus1.csv")
    strat = pd.read_csv(GOLDEN / "api_strat.csv")
    dclus1 = make_design(clus, weights="pw", psu="dnum", fpc="fpc", keep_data=True)
    dstrat = make_design(strat, weights="pw", strata="stype", fpc="fpc", keep_data=True)
    return {"dclus1": dclus1, "rclus1": as_replicate(dclus1, "JK1"),
            "dstrat": dstrat, "rstrat": as_replicate(dstrat, "JKn")}


def run(case, dname, designs):
    """The calibrated design and the warnings it gave."""
    fn = {**CASES, **STRAT_CASES}[case]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(designs[dname])
    return out, [w for w in caught if issubclass(w.category, CalibrationWarning)]


def close(ours, ref, what, rel):
    assert ours == pytest.approx(ref, rel=rel, abs=rel if what == "estimate" else 0), what


PAIRS = sorted(set(zip(REF["case"], REF["design"])))


@pytest.mark.parametrize("case, dname", PAIRS)
def test_calibrated_estimates_equal_r(designs, case, dname):
    des, caught = run(case, dname, designs)
    base = designs[dname]
    ref = REF[(REF["case"] == case) & (REF["design"] == dname)]
    r = ref.set_index("fun")
    assert bool(caught) == (r.loc["warnings", "estimate"] > 0), [str(w.message) for w in caught]
    g = des.weights / base.weights
    close(g.min(), r.loc["g_min", "estimate"], "estimate", 1e-8)
    close(g.max(), r.loc["g_max", "estimate"], "estimate", 1e-8)
    rows = ref[ref["fun"].isin(["svymean", "svytotal"])]
    assert len(rows)
    for _, row in rows.iterrows():
        domain = None if row["domain"] == "all" else \
            (des.data["sch.wide"] == "Yes").to_numpy()
        if row["fun"] == "svymean":
            est = svy_mean(row["variable"], des, domain)
            value, se, df = est["estimate"], est["std_error"], est["df"]
        else:
            tab = svy_total(row["variable"], des, domain)
            hit = tab[tab["level"] == row["level"]].iloc[0]
            value, se, df = hit["estimate"], hit["std_error"], hit["df"]
        scale = max(1.0, abs(row["estimate"]))
        assert abs(value - row["estimate"]) <= 1e-8 * scale, (row.to_dict(), value)
        assert se == pytest.approx(row["std_error"], rel=1e-6, abs=1e-9 * scale), \
            (row.to_dict(), se)
        assert df == row["df"], row.to_dict()


@pytest.mark.parametrize("case", [c for c in WEIGHTS.columns if c != "snum"])
def test_calibrated_weights_equal_r(designs, case):
    des, _ = run(case, "dclus1", designs)
    np.testing.assert_allclose(des.weights, WEIGHTS[case], rtol=1e-9)
