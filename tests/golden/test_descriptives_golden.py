"""The descriptives files' whole-sample rows against R's survey package, through the functions
the descriptives rule runs (coprod.pipeline.descriptives.prevalence and describe).

tests/data/golden/fpc_survey.csv with its `region` (north, south) as the groups: the rows of
group `pooled` are R's estimates on the whole design (designs_reference.csv, domain `all`:
svymean and svyciprop), the rows of `north` R's on subset(design, region == "north") -- the
same design, the same estimators. Designs:
strata with an fpc, clusters with one, two stages, a lonely PSU averaged (tools/golden_designs.R).
Tolerances as tests/golden/test_designs_golden.py: estimates 1e-8, SEs and design effects 1e-6
(relative), intervals 1e-8, df equal.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.pipeline.descriptives import describe, prevalence
from coprod.pipeline.designkeys import DesignSettings

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
REF = pd.read_csv(GOLDEN / "designs_reference.csv")
W = {"weights": "weight"}
CASES = {
    "strat_fpc": dict(W, strata="stratum", fpc="N0", lonely_psu="fail"),
    "clus_fpc": dict(W, strata="stratum", psu="psu", fpc="N1", lonely_psu="fail"),
    "two_stage": dict(W, strata="stratum", psu="psu", ssu="ssu", fpc="N1", fpc2="M2",
                      lonely_psu="fail"),
    "lonely_average": dict(W, strata="stratum", psu="psu_l", lonely_psu="average"),
}


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    df = pd.read_csv(GOLDEN / "fpc_survey.csv")
    for c in ("stratum", "psu", "ssu", "psu_l"):
        df[c] = df[c].astype(str)
    df["region"] = pd.Categorical(df["region"], categories=["north", "south"])
    df["y"] = df["y"].astype("Float64")
    df.attrs["group_column"] = "region"  # as the clean table's metadata names it
    return df


def ref(case: str, domain: str, statistic: str) -> pd.DataFrame:
    sel = REF[(REF["case"] == case) & (REF["domain"] == domain)
              & (REF["statistic"] == statistic)]
    assert len(sel), (case, domain, statistic)
    return sel.set_index("term")


@pytest.mark.parametrize("case", list(CASES))
def test_whole_sample_prevalence_is_svyciprop_on_the_whole_design(survey, case):
    prev = prevalence(survey, ["y"], DesignSettings.from_params(CASES[case])).set_index("group")
    assert list(prev.index) == ["pooled", "north", "south"]  # the whole sample first, once
    for group, domain in (("pooled", "all"), ("north", "north")):
        r, mean = ref(case, domain, "proportion").loc["y"], ref(case, domain, "mean").loc["y"]
        got = prev.loc[group]
        assert got["estimate"] == pytest.approx(r["estimate"], abs=1e-8)
        assert got["std_error"] == pytest.approx(r["std_error"], rel=1e-6)
        assert got["conf_low"] == pytest.approx(r["conf_low"], abs=1e-8)
        assert got["conf_high"] == pytest.approx(r["conf_high"], abs=1e-8)
        assert got["df"] == mean["df"]  # R's degf of the respondents answering
        if not np.isnan(mean["deff"]):
            assert got["deff"] == pytest.approx(mean["deff"], rel=1e-6)
    assert prev.loc["pooled", "n"] == survey["y"].notna().sum()


@pytest.mark.parametrize("case", list(CASES))
def test_whole_sample_means_are_svymean_on_the_whole_design(survey, case):
    desc = describe(survey, ["age", "efficacy"], DesignSettings.from_params(CASES[case]))
    desc = desc.set_index(["group", "variable"])
    assert desc.loc[("pooled", "age"), "group_n"] == len(survey)
    for group, domain in (("pooled", "all"), ("north", "north")):
        r = ref(case, domain, "mean")
        for v in ("age", "efficacy"):
            got = desc.loc[(group, v)]
            assert got["estimate"] == pytest.approx(r.at[v, "estimate"], abs=1e-8)
            assert got["std_error"] == pytest.approx(r.at[v, "std_error"], rel=1e-6)
            assert got["df"] == r.at[v, "df"]
            if not np.isnan(r.at[v, "deff"]):
                assert got["deff"] == pytest.approx(r.at[v, "deff"], rel=1e-6)
