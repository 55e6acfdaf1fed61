"""Real surveys by config alone, checked against R's survey package.

* NHANES 2009-2010 (data/examples/nhanes.csv, the extract R's survey package ships): strata,
  clusters, weights, no id column, groups with spaces; the worked example's estimates against
  tools/golden_nhanes.R (tests/data/golden/nhanes_reference.csv).
* The incomplete-case rule (design.incomplete: keep | drop) on a survey with missing covariates
  (tests/data/golden/missing_survey.csv) against tools/golden_incomplete.R.
* The shared golden survey configured as a user would: a `region` column whose names have a
  space, a hyphen and a non-ASCII letter, no id column, no findings file, a pooled model
  without group effects; its "Trøndelag" model equals R's domain_country_BB case.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from catalogue import safe_load
from conftest import ROOT

from coprod.pipeline.clean import clean_survey
from coprod.pipeline.codebook import load_codebook
from coprod.pipeline.descriptives import prevalence
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.models import fit_model

GOLDEN = ROOT / "tests" / "data" / "golden"
NHANES_CONFIG = ROOT / "config" / "examples" / "nhanes" / "config.yaml"
AGE = {"(19,39]": "20-39", "(39,59]": "40-59", "(59,Inf]": "60 and over"}
RACE = {"1": "Hispanic", "2": "non-Hispanic white", "3": "non-Hispanic black", "4": "other"}


def reference(name: str, case: str, outcome: str | None = None) -> pd.DataFrame:
    ref = pd.read_csv(GOLDEN / name, keep_default_na=False, dtype={"level": str})
    ref = ref[ref["case"] == case]
    if outcome:
        ref = ref[ref["outcome"] == outcome]
    assert len(ref), f"{name}: no case {case}"
    return ref


def our_term(variable: str, level: str, rename=None) -> str:
    """R's (variable, level) as coprod's term name."""
    if variable == "Intercept":
        return "Intercept"
    variable = (rename or {}).get(variable, variable)
    return f"{variable}[T.{AGE.get(level, level)}]" if level else variable


def assert_matches(coefs: pd.DataFrame, ref: pd.DataFrame, rename=None, est_tol=1e-8):
    """Estimates to 1e-8, SEs to 1e-6 relative, df equal, the same terms."""
    got = coefs.set_index("term")
    terms = [our_term(v, lv, rename) for v, lv in zip(ref["variable"], ref["level"])]
    assert sorted(got.index) == sorted(terms)
    got = got.loc[terms]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=0, atol=est_tol)
    np.testing.assert_allclose(got["std_error"], ref["std_error"], rtol=1e-6)
    assert (got["df_resid"].to_numpy() == ref["df_resid"].to_numpy()).all()


# -- NHANES by config: the library on the cleaned table ---------------------------------------

@pytest.fixture(scope="module")
def nhanes():
    cfg = safe_load(NHANES_CONFIG.read_text(encoding="utf-8"))
    cb = load_codebook(ROOT / cfg["data"]["codebook"])
    table, log = clean_survey(cb, root=ROOT, group_column=cfg["groups"]["column"])
    return cfg, table, log


def nhanes_fit(nhanes, sample="pooled", **design):
    cfg, table, _ = nhanes
    m = cfg["models"]
    effects = design.pop("group_effects", m["group_effects"])
    return fit_model(table, outcome="high_cholesterol", sample=sample,
                     covariates=m["covariates"], reference_levels=m["reference_levels"],
                     design=DesignSettings.from_params({**cfg["design"], **design}),
                     group_effects=effects)


def test_nhanes_cleaning_without_an_id_column_numbers_rows(nhanes):
    _, table, log = nhanes
    assert len(table) == 8591 and table.attrs["group_column"] == "race"
    raw = pd.read_csv(ROOT / "data" / "examples" / "nhanes.csv")
    expected = raw["race"].astype(str).map(RACE).value_counts().to_dict()
    assert table["race"].astype(str).value_counts().to_dict() == expected
    info = log[log["reason"] == "no_id_column"]
    assert set(info["race"]) == set(RACE.values()) and info["count"].sum() == 8591
    assert table["high_cholesterol"].isna().sum() == 745


@pytest.mark.parametrize("case, sample", [("pooled_keep", "pooled"),
                                          *[(f"race_{k}_keep", v) for k, v in RACE.items()]])
def test_nhanes_models_equal_r(nhanes, case, sample):
    out = nhanes_fit(nhanes, sample)
    ref = reference("nhanes_reference.csv", case)
    assert_matches(out["coefficients"], ref, rename={"agecat": "age_group"})
    assert out["fit"]["n"].item() == ref["n"].iloc[0]
    assert out["fit"]["n_excluded_missing"].item() > 0
    assert out["excluded"]["variable"].iloc[0] == "high_cholesterol"  # the outcome first


def test_nhanes_pooled_without_group_effects_equals_r(nhanes):
    out = nhanes_fit(nhanes, group_effects=False)
    assert_matches(out["coefficients"], reference("nhanes_reference.csv", "pooled_keep_nofe"),
                   rename={"agecat": "age_group"})


def test_nhanes_incomplete_drop_equals_r(nhanes):
    out = nhanes_fit(nhanes, incomplete="drop")
    assert_matches(out["coefficients"], reference("nhanes_reference.csv", "pooled_drop"),
                   rename={"agecat": "age_group"})
    assert out["fit"]["n_excluded_missing"].item() == 745


def test_nhanes_prevalence_by_race_equals_r(nhanes):
    cfg, table, _ = nhanes
    prev = prevalence(table, ["high_cholesterol"], DesignSettings.from_params(cfg["design"])).set_index("group")
    for code, name in RACE.items():
        ref = reference("nhanes_reference.csv", f"prevalence_{code}").iloc[0]
        assert prev.loc[name, "estimate"] == pytest.approx(ref["estimate"], abs=1e-10)
        assert prev.loc[name, "std_error"] == pytest.approx(ref["std_error"], rel=1e-6)
        assert prev.loc[name, "n"] == ref["n"]
        assert prev.loc[name, "conf_low"] == pytest.approx(float(ref["conf_low"]), abs=1e-7)
        assert prev.loc[name, "conf_high"] == pytest.approx(float(ref["conf_high"]), abs=1e-7)


def whole_sample_equals_r(prev: pd.DataFrame, ref: pd.Series) -> None:
    """The whole-sample row of prevalence.csv (first, once) against R on the whole design:
    svymean(~y, design)'s estimate and SE, df (R's degf of the respondents answering), n, and
    svyciprop(~y, design, method = "logit")'s interval."""
    row = prev.loc["pooled"]
    assert list(prev.index).count("pooled") == 1 and prev.index[0] == "pooled"
    assert row["estimate"] == pytest.approx(ref["estimate"], abs=1e-10)
    assert row["std_error"] == pytest.approx(ref["std_error"], rel=1e-6)
    assert row["df"] == ref["df_resid"] and row["n"] == ref["n"]
    assert row["conf_low"] == pytest.approx(float(ref["conf_low"]), abs=1e-7)
    assert row["conf_high"] == pytest.approx(float(ref["conf_high"]), abs=1e-7)
    groups = prev.drop(index="pooled")["estimate"]  # not an average of the groups' shares
    assert abs(row["estimate"] - groups.mean()) > 1e-3


def test_nhanes_whole_sample_prevalence_equals_r(nhanes):
    """Strata and clusters (Taylor linearisation): the whole-sample row is R's
    svymean(~HI_CHOL, design, na.rm = TRUE) over all four race groups."""
    cfg, table, _ = nhanes
    prev = prevalence(table, ["high_cholesterol"], DesignSettings.from_params(cfg["design"]))
    whole_sample_equals_r(prev.set_index("group"),
                          reference("nhanes_reference.csv", "prevalence_all").iloc[0])


# -- worked example 3: replicate weights with rscales from a file, an outcome cut from a number -

API_CONFIG = ROOT / "config" / "examples" / "api" / "config.yaml"


@pytest.fixture(scope="module")
def api():
    import os

    cfg = safe_load(API_CONFIG.read_text(encoding="utf-8"))
    cb = load_codebook(ROOT / cfg["data"]["codebook"])
    table, log = clean_survey(cb, root=ROOT, group_column=cfg["groups"]["column"])
    here = os.getcwd()
    os.chdir(ROOT)  # design.replicate_rscales is a path in the project
    try:
        design = DesignSettings.from_params(cfg["design"])
    finally:
        os.chdir(here)
    return cfg, table, design


def test_api_outcome_is_the_number_cut_at_700(api):
    _, table, _ = api
    raw = pd.read_csv(ROOT / "data" / "examples" / "apistrat_jkn.csv", dtype={"cds": str})
    assert len(table) == 200
    got = table.set_index("school_id")["api_target"].astype(int)
    want = (raw.set_index("cds")["api00"] >= 700).astype(int)
    assert (got.loc[want.index] == want).all() and int(got.sum()) == 73
    assert got.index[0] == "19647336097927" and "01612596057020" in got.index  # ids as written


@pytest.mark.parametrize("sample", ["pooled", "E", "M", "H"])
def test_api_replicate_models_equal_r(api, sample):
    """svyglm on svrepdesign(type = "JKn", rscales = <the file>) through the config: the
    pooled model with school-type effects and each school type as a domain."""
    cfg, table, design = api
    m = cfg["models"]
    res = fit_model(table, outcome="api_target", sample=sample, covariates=m["covariates"],
                    reference_levels=m["reference_levels"], design=design,
                    group_effects=m["group_effects"])
    case = "pooled" if sample == "pooled" else f"stype_{sample}"
    assert_matches(res["coefficients"], reference("api_reference.csv", case),
                   rename={"stype": "school_type"})


def test_api_prevalence_by_school_type_equals_r(api):
    cfg, table, design = api
    prev = prevalence(table, ["api_target"], design).set_index("group")
    for s in ("E", "M", "H"):
        ref = reference("api_reference.csv", f"prevalence_{s}").iloc[0]
        assert prev.loc[s, "estimate"] == pytest.approx(ref["estimate"], abs=1e-10)
        assert prev.loc[s, "std_error"] == pytest.approx(ref["std_error"], rel=1e-6)
        assert prev.loc[s, "df"] == ref["df_resid"] and prev.loc[s, "n"] == ref["n"]
        assert prev.loc[s, "conf_low"] == pytest.approx(float(ref["conf_low"]), abs=1e-7)
        assert prev.loc[s, "conf_high"] == pytest.approx(float(ref["conf_high"]), abs=1e-7)
    # the whole sample: svymean on the replicate design (JKn, rscales from the file)
    whole_sample_equals_r(prev, reference("api_reference.csv", "prevalence_all").iloc[0])


# -- design.incomplete: keep | drop against R ---------------------------------------------------

@pytest.fixture(scope="module")
def missing_survey():
    df = pd.read_csv(GOLDEN / "missing_survey.csv")
    df["country"] = pd.Categorical(df["country"], categories=["AA", "BB", "CC"])
    df["psu"] = df["psu"].astype(str)
    df.attrs["group_column"] = "country"
    return df


MISSING_DESIGN = {"weights": "weight", "strata": "country", "psu": "psu", "lonely_psu": "adjust"}


@pytest.mark.parametrize("outcome", ["individual", "collective"])
@pytest.mark.parametrize("case, sample, effects", [
    ("keep_whole", "pooled", True), ("drop_whole", "pooled", True),
    ("keep_BB", "BB", True), ("drop_BB", "BB", True), ("keep_whole_nofe", "pooled", False)])
def test_incomplete_keep_and_drop_equal_r(missing_survey, outcome, case, sample, effects):
    incomplete = case.split("_")[0]
    out = fit_model(missing_survey, outcome=outcome, sample=sample,
                    covariates=["age", "female", "efficacy"],
                    reference_levels={"country": "AA"},
                    design=DesignSettings.from_params({**MISSING_DESIGN, "incomplete": incomplete}),
                    group_effects=effects)
    ref = reference("incomplete_reference.csv", case, outcome)
    assert_matches(out["coefficients"], ref)
    fit = out["fit"].iloc[0]
    assert fit["n"] == ref["n"].iloc[0]
    in_sample = missing_survey if sample == "pooled" else missing_survey[
        missing_survey["country"] == sample]
    incomplete_rows = in_sample[[outcome, "age", "female", "efficacy"]].isna().any(axis=1)
    assert fit["n_excluded_missing"] == incomplete_rows.sum() == len(in_sample) - fit["n"]
    by = dict(zip(out["excluded"]["variable"], out["excluded"]["n_excluded"]))
    for var in ("age", "female", "efficacy", outcome):
        assert by.get(var, 0) == int(in_sample[var].isna().sum())


def test_keep_and_drop_differ_where_r_says_they_do(missing_survey):
    """The SEs differ (the design changes), the estimates do not: a check that `drop` really
    rebuilt the design rather than silently doing `keep`."""
    se = {}
    for rule in ("keep", "drop"):
        out = fit_model(missing_survey, outcome="individual", sample="pooled",
                        covariates=["age", "female", "efficacy"],
                        reference_levels={"country": "AA"},
                        design=DesignSettings.from_params({**MISSING_DESIGN, "incomplete": rule}))
        se[rule] = out["coefficients"].set_index("term")["std_error"]
    assert (abs(se["keep"] / se["drop"] - 1) > 1e-4).any()


# -- the shared golden survey, configured as a user would ---------------------------------------

REGIONS = {"AA": "Oslo og Viken", "BB": "Trøndelag", "CC": "Nord-Norge"}


def test_nhanes_strongest_covariate_is_a_factor_as_a_whole(nhanes):
    """The |t| rule named one level ("Age group: 40-59"); the effect-size rule compares the
    age group as a whole with sex (race: the group fixed effects, never a candidate)."""
    from coprod.pipeline.effectrule import strongest_summary

    eff = nhanes_fit(nhanes)["effects"]
    assert list(eff["variable"]) == ["age_group", "sex"] and set(eff["kind"]) == {"factor"}
    said = strongest_summary(eff, "high_cholesterol", "pooled", labels={}, words={})
    assert said["top"] == ["age_group"]
    assert "age group goes with the largest change" in said["sentence"]
    assert "40-59" not in said["sentence"] and "|t|" not in said["sentence"]
