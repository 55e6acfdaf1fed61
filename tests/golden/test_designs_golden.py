"""Complete designs (fpc, two stages, lonely PSU 'average', design effects) against R's survey.

The reference numbers in tests/data/golden/designs_reference.csv come from
tools/golden_designs.R (R 4.2.2, survey 4.1.1) on tests/data/golden/fpc_survey.csv (made by
tools/make_design_survey.py): models, means and proportions, on the whole sample and on a
domain that cuts across strata, with missing values. Tolerances: estimates 1e-8, SEs and
design effects 1e-6 (relative), df equal.
"""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from coprod.errors import ConfigError, DataError, ModelError
from coprod.survey.design import make_design
from coprod.survey.glm import fit_svy_logit, svy_logit
from coprod.survey.means import svy_mean, svy_proportion
from coprod.survey.variance import design_cov, design_df

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
DATA = pd.read_csv(GOLDEN / "fpc_survey.csv")
REF = pd.read_csv(GOLDEN / "designs_reference.csv")
W = {"weights": "weight"}
CASES = {
    "strat_fpc": dict(W, strata="stratum", fpc="N0", lonely_psu="fail"),
    "clus_fpc": dict(W, strata="stratum", psu="psu", fpc="N1", lonely_psu="fail"),
    "clus_fpc_frac": dict(W, strata="stratum", psu="psu", fpc="f1", lonely_psu="fail"),
    "two_stage": dict(W, strata="stratum", psu="psu", ssu="ssu", fpc="N1", fpc2="M2",
                      lonely_psu="fail"),
    "two_stage_frac": dict(W, strata="stratum", psu="psu", ssu="ssu", fpc="f1", fpc2="f2",
                           lonely_psu="fail"),
    "two_stage_noweights": dict(strata="stratum", psu="psu", ssu="ssu", fpc="N1", fpc2="M2",
                                lonely_psu="fail"),
    "two_stage_lonely_ssu": dict(W, strata="stratum", psu="psu", ssu="ssu_l", fpc="N1",
                                 fpc2="M2", lonely_psu="adjust"),
    "lonely_average": dict(W, strata="stratum", psu="psu_l", lonely_psu="average"),
    "lonely_average_fpc": dict(W, strata="stratum", psu="psu_l", fpc="N1",
                               lonely_psu="average"),
    "lonely_adjust": dict(W, strata="stratum", psu="psu_l", lonely_psu="adjust"),
    "no_fpc": dict(W, strata="stratum", psu="psu", lonely_psu="fail"),
}
FORMULA = "y ~ age + female + efficacy"


def table(data, formula, *, domain=None, model_based=False, **design):
    """``svy_logit(formula, design).tidy()`` on ``make_design(data, **design)`` (what the
    data-first call of earlier versions did)."""
    d = make_design(data, keep_data=True, **design)
    return svy_logit(formula, d, domain=domain, model_based=model_based).tidy()


def r_name(term: str) -> str:
    return "(Intercept)" if term == "Intercept" else term


def ref(case, domain, statistic):
    sel = REF[(REF["case"] == case) & (REF["domain"] == domain) & (REF["statistic"] == statistic)]
    assert len(sel), (case, domain, statistic)
    return sel.set_index("term")


def test_every_reference_case_is_tested():
    assert set(REF["case"]) == set(CASES)


def _domain(domain):
    return None if domain == "all" else (DATA["region"] == domain).to_numpy()


@pytest.mark.parametrize("domain", ["all", "north"])
@pytest.mark.parametrize("case", list(CASES))
def test_model_matches_svyglm(case, domain):
    design = make_design(DATA, keep_data=True, **CASES[case])
    d = design if domain == "all" else design.domain(DATA["region"] == domain)
    res = fit_svy_logit(FORMULA, d)
    out = res.tidy()
    out.index = out["term"].map(r_name)
    r = ref(case, domain, "model")
    assert sorted(out.index) == sorted(r.index)
    out = out.loc[r.index]
    np.testing.assert_allclose(out["estimate"], r["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(out["std_error"], r["std_error"], rtol=1e-6, atol=0)
    np.testing.assert_allclose(out["deff"], r["deff"], rtol=1e-6, atol=0)
    assert (out["df_resid"] == r["df"]).all()


@pytest.mark.parametrize("domain", ["all", "north"])
@pytest.mark.parametrize("case", list(CASES))
def test_means_and_deff_match_svymean(case, domain):
    for statistic, deff in (("mean", "srswor"), ("mean_deff_replace", "replace")):
        design = make_design(DATA, deff=deff, **CASES[case])
        r = ref(case, domain, statistic)
        for v in ("age", "efficacy", "y"):
            out = svy_mean(DATA[v], design, _domain(domain))
            assert out["estimate"] == pytest.approx(r.at[v, "estimate"], abs=1e-8)
            assert out["std_error"] == pytest.approx(r.at[v, "std_error"], rel=1e-6)
            if np.isnan(r.at[v, "deff"]):
                assert np.isnan(out["deff"])
            else:
                assert out["deff"] == pytest.approx(r.at[v, "deff"], rel=1e-6)
                assert out["n_effective"] == pytest.approx(out["n"] / out["deff"])
            rows = np.flatnonzero(DATA[v].notna().to_numpy()
                                  & (True if domain == "all" else _domain(domain)))
            assert design_df(design, rows) == r.at[v, "df"] == out["df"]  # the CSVs' df


@pytest.mark.parametrize("domain", ["all", "north"])
@pytest.mark.parametrize("case", list(CASES))
def test_proportion_matches_svyciprop(case, domain):
    design = make_design(DATA, **CASES[case])
    r = ref(case, domain, "proportion").loc["y"]
    mean_deff = ref(case, domain, "mean").at["y", "deff"]
    out = svy_proportion(DATA["y"], design, _domain(domain))
    assert out["estimate"] == pytest.approx(r["estimate"], abs=1e-8)
    assert out["std_error"] == pytest.approx(r["std_error"], rel=1e-6)
    assert out["conf_low"] == pytest.approx(r["conf_low"], abs=1e-8)
    assert out["conf_high"] == pytest.approx(r["conf_high"], abs=1e-8)
    assert out["df"] == ref(case, domain, "mean").at["y", "df"]  # the interval's, as R's degf
    if not np.isnan(mean_deff):
        assert out["deff"] == pytest.approx(mean_deff, rel=1e-6)


def test_fractions_and_population_sizes_give_the_same_design():
    a = make_design(DATA, **CASES["two_stage"])
    b = make_design(DATA, **CASES["two_stage_frac"])
    np.testing.assert_allclose(a.fpc, b.fpc, rtol=1e-9)
    np.testing.assert_allclose(a.fpc2, b.fpc2, rtol=1e-9)


def test_without_weights_fpc_gives_inverse_sampling_fractions():
    d = make_design(DATA, **CASES["two_stage_noweights"])
    n_h = DATA.groupby("stratum")["psu"].transform("nunique")
    m_i = DATA.groupby(["stratum", "psu"])["ssu"].transform("nunique")
    np.testing.assert_allclose(d.weights, DATA["N1"] / n_h * DATA["M2"] / m_i)


def test_fpc_shrinks_the_variance_and_two_stages_add_to_it():
    rows = np.flatnonzero(DATA["age"].notna().to_numpy())
    z = DATA["age"].to_numpy()[rows] * DATA["weight"].to_numpy()[rows]
    v = {case: float(design_cov(make_design(DATA, **CASES[case]), rows, z)[0, 0])
         for case in ("no_fpc", "clus_fpc", "two_stage")}
    assert v["clus_fpc"] < v["no_fpc"]
    assert v["clus_fpc"] < v["two_stage"]


def test_a_domain_of_the_design_equals_a_domain_mask():
    design = make_design(DATA, keep_data=True, **CASES["two_stage"])
    north = DATA["region"] == "north"
    a = svy_logit(FORMULA, design.domain(north)).tidy()
    b = table(DATA, FORMULA, domain=north, **CASES["two_stage"])
    pd.testing.assert_frame_equal(a, b)
    # nested domains intersect
    c = svy_logit(FORMULA, design.domain(north).domain(DATA["efficacy"] >= 1)).tidy()
    d = table(DATA, FORMULA, domain=north & (DATA["efficacy"] >= 1), **CASES["two_stage"])
    pd.testing.assert_frame_equal(c, d)


def _with(**cols):
    return DATA.assign(**cols)


@pytest.mark.parametrize("data, kw, error, text", [
    (_with(N1=2), dict(strata="stratum", psu="psu", fpc="N1"), DataError,
     "fpc: column 'N1' gives 2 PSUs in the population of stratum 'S0', fewer than"),
    (_with(N1=np.where(DATA["id"] == 5, 99, DATA["N1"])), dict(strata="stratum", psu="psu",
                                                              fpc="N1"),
     DataError, "fpc: column 'N1' varies within stratum 'S0'"),
    (_with(f1=np.where(DATA["id"] == 5, 0.0, DATA["f1"])), dict(strata="stratum", psu="psu",
                                                               fpc="f1"),
     DataError, "fpc: column 'f1' has the value 0;"),
    (_with(f1=np.where(DATA["stratum"] == "S1", 12, DATA["f1"])),
     dict(strata="stratum", psu="psu", fpc="f1"), DataError, "fpc: column 'f1' mixes population "
     "sizes"),
    (DATA, dict(strata="stratum", ssu="ssu"), ConfigError, "ssu: 'ssu' names second-stage units, "
     "which need first-stage clusters: set {psu} too"),
    (DATA, dict(strata="stratum", psu="psu", fpc2="M2"), ConfigError, "fpc2: 'M2' gives "
     "second-stage population sizes, which need second-stage units: set {ssu} (and {psu}) too"),
    (_with(M2=np.where(DATA["id"] == 3, 1000, DATA["M2"])),
     dict(strata="stratum", psu="psu", ssu="ssu", fpc="N1", fpc2="M2"), DataError,
     "fpc2: column 'M2' varies within PSU 'S0/P0'"),
    (_with(N1="many"), dict(strata="stratum", psu="psu", fpc="N1"), DataError,
     "fpc: column 'N1' is not numeric (e.g. 'many')"),
    (DATA, dict(strata="stratum", psu="psu", ssu="ssu", fpc2="M2"), ConfigError,
     "fpc2: 'M2' needs {fpc} too"),
    (_with(M2=np.where((DATA["stratum"] == "S0") & (DATA["psu"] == "P0"), 1, DATA["M2"])),
     dict(strata="stratum", psu="psu", ssu="ssu", fpc="N1", fpc2="M2"), DataError,
     "fpc2: column 'M2' gives 1 second-stage units in the population of PSU 'S0/P0', fewer "
     "than"),
])
def test_bad_design_input_is_one_line_naming_the_argument_or_the_config_key(data, kw, error,
                                                                             text):
    """The engine's message starts with the argument of make_design that is wrong (and names
    the others it needs as arguments); the pipeline, building the same design from a config's
    design: section, names the config keys instead (design.fpc, design.psu)."""
    from coprod.pipeline.designconfig import design_from_config
    from coprod.pipeline.designkeys import DesignSettings

    with pytest.raises(error) as exc:
        make_design(data, **kw)
    engine = text.format(psu="psu", ssu="ssu", fpc="fpc")
    assert str(exc.value).startswith(engine), str(exc.value)
    assert exc.value.argument == engine.split(":")[0]
    assert "design." not in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(error) as exc:
        design_from_config(data, DesignSettings.from_params(kw))
    config = "design." + text.format(psu="design.psu", ssu="design.ssu", fpc="design.fpc")
    assert str(exc.value).startswith(config), str(exc.value)
    assert "\n" not in str(exc.value)


def test_a_population_of_one_among_larger_ones_is_a_size():
    # R: sizes when any value is above 1; a stratum of one PSU sampled with certainty
    d = DATA.assign(N1=np.where(DATA["stratum"] == "S5", 1, DATA["N1"]),
                    psu1=np.where(DATA["stratum"] == "S5", "P0", DATA["psu"]))
    design = make_design(d, weights="weight", strata="stratum", psu="psu1", fpc="N1",
                         lonely_psu="fail")
    assert design.fpc[-1] == 1
    table(d, FORMULA, weights="weight", strata="stratum", psu="psu1", fpc="N1",
          lonely_psu="fail")  # a census stratum is not lonely: no error


def test_descriptives_take_the_domain_of_the_design_object():
    design = make_design(DATA, keep_data=True, **CASES["two_stage"])
    north = (DATA["region"] == "north").to_numpy()
    for fn in (svy_mean, svy_proportion):
        a = fn(DATA["y"], design.domain(north))
        b = fn(DATA["y"], design, north)
        assert a == b


def test_derived_weights_are_weights():
    d = make_design(DATA, **CASES["two_stage_noweights"])
    assert d.has_weights and "sampling fractions" in d.describe()
    with pytest.raises(ModelError, match="unweighted"):
        table(DATA, FORMULA, model_based=True, **CASES["two_stage_noweights"])


def test_lonely_rules_at_the_second_stage():
    kw = dict(CASES["two_stage_lonely_ssu"])
    with pytest.raises(ModelError, match="single second-stage unit"):
        table(DATA, FORMULA, **{**kw, "lonely_psu": "average"})
    with pytest.raises(ModelError, match="PSU 'S0/P0' has only one second-stage unit"):
        table(DATA, FORMULA, **{**kw, "lonely_psu": "fail"})
    # remove and certainty: the single unit adds nothing at the second stage
    rm = table(DATA, FORMULA, **{**kw, "lonely_psu": "remove"})
    ce = table(DATA, FORMULA, **{**kw, "lonely_psu": "certainty"})
    pd.testing.assert_frame_equal(rm, ce)


def test_average_with_every_stratum_lonely_fails_clearly():
    d = DATA[DATA["stratum"] == "S5"]
    with pytest.raises(ModelError, match="average"):
        table(d.reset_index(drop=True), FORMULA, weights="weight", strata="stratum",
              psu="psu_l", lonely_psu="average")
