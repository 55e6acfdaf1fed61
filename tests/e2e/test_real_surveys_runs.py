"""Real surveys configured from the docs alone, run through Snakemake: the golden survey by
config equals R, its names and words reach the report, and the NHANES worked example runs end
to end (tests/golden/test_real_surveys.py checks the estimates directly)."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml
from conftest import QUICK_FIGURES, ROOT, copy_project, snakemake

GOLDEN = ROOT / "tests" / "data" / "golden"

from golden.test_real_surveys import REGIONS, assert_matches, reference  # noqa: E402


def write_golden_as_user(work):
    raw = pd.read_csv(GOLDEN / "design_survey.csv").drop(columns="id")  # no id column
    (work / "data" / "mine").mkdir(parents=True)
    raw.to_csv(work / "data" / "mine" / "survey.csv", index=False)
    cb = {"survey": "Golden design survey (three regions)",
          "variables": {"psu": {"raw": "psu", "role": "psu"},
                        "weight": {"raw": "weight", "role": "weight"},
                        "age": {"raw": "age", "type": "numeric"},
                        "female": {"raw": "female", "type": "numeric", "valid_range": [0, 1]},
                        "efficacy": {"raw": "efficacy", "type": "numeric"},
                        "individual": {"raw": "individual", "type": "numeric"},
                        "collective": {"raw": "collective", "type": "numeric"}},
          "groups": {name: {"file": "data/mine/survey.csv", "where": {"country": code}}
                     for code, name in REGIONS.items()}}
    cfg = {"results": "results/golden",
           "data": {"codebook": "config/mine/codebook.yaml"},
           "groups": {"column": "region", "label": "Region"},
           "design": {"weights": "weight", "strata": "region", "psu": "psu"},
           "models": {"outcomes": ["individual", "collective"],
                      "covariates": ["age", "female", "efficacy"], "group_effects": False,
                      "reference_levels": {"region": "Oslo og Viken"},
                      "samples": ["pooled", *REGIONS.values()],
                      "contrast": ["individual", "collective"]},
           "report": {"findings": None, "figures": QUICK_FIGURES}}
    (work / "config" / "mine").mkdir(parents=True)
    for name, data in (("codebook", cb), ("config", cfg)):
        (work / "config" / "mine" / f"{name}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return "config/mine/config.yaml"


@pytest.fixture(scope="module")
def golden_run(tmp_path_factory):
    work = copy_project(tmp_path_factory.mktemp("golden") / "p")
    shutil.rmtree(work / "results", ignore_errors=True)
    snakemake(work, "--cores", "2", "--configfile", write_golden_as_user(work))
    return work / "results" / "golden"


@pytest.mark.pipeline
def test_golden_survey_by_config_alone_equals_r(golden_run):
    coefs = pd.read_csv(golden_run / "models" / "coefficients.csv")
    for outcome in ("individual", "collective"):
        ref = pd.read_csv(GOLDEN / "svyglm_reference.csv")
        ref = ref[ref["case"] == f"domain_country_BB:{outcome}"]
        ref = ref.assign(variable=ref["term"].replace({"(Intercept)": "Intercept"}), level="")
        got = coefs[(coefs["outcome"] == outcome) & (coefs["sample"] == "Trøndelag")]
        assert_matches(got, ref)
        pooled = coefs[(coefs["outcome"] == outcome) & (coefs["sample"] == "pooled")]
        assert set(pooled["term"]) == {"Intercept", "age", "female", "efficacy"}  # no effects


@pytest.mark.pipeline
def test_golden_survey_names_slugs_and_wording(golden_run):
    fits = golden_run / "models" / "fits" / "individual"
    assert sorted(p.name for p in fits.iterdir()) == ["Nord_Norge", "Oslo_og_Viken",
                                                     "Trondelag", "pooled"]
    summ = pd.read_csv(golden_run / "clean" / "cleaning_summary.csv")
    assert list(summ.columns[:2]) == ["region", "read"] and summ["read"].sum() == 496
    assert set(summ["region"]) == set(REGIONS.values())
    html = (golden_run / "report.html").read_text(encoding="utf-8")
    assert "Trøndelag" in html and "Trondelag" not in html
    assert "by region" in html.lower() and "countr" not in html.lower()
    assert 'id="findings"' not in html
    assert not (golden_run / "tables" / "findings_check.csv").exists()


@pytest.mark.pipeline
def test_nhanes_worked_example_end_to_end(tmp_path):
    work = copy_project(tmp_path / "p")
    snakemake(work, "--cores", "2", "--configfile", "config/examples/nhanes/config.yaml")
    out = work / "results" / "nhanes"
    coefs = pd.read_csv(out / "models" / "coefficients.csv")
    for case, sample in [("pooled_keep", "pooled"), ("race_3_keep", "non-Hispanic black")]:
        assert_matches(coefs[coefs["sample"] == sample], reference("nhanes_reference.csv", case),
                       rename={"agecat": "age_group"})
    summ = pd.read_csv(out / "clean" / "cleaning_summary.csv")
    assert summ["read"].sum() == 8591 and summ["balanced"].all()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "NHANES" in html and "synthetic-warning" not in html and 'id="findings"' not in html
    assert not (work / "results" / "clean").exists()  # only results/nhanes was written
    # issue 25: tables with no rows keep their header; every path printed is under
    # results/nhanes; the prediction figure along the age groups was drawn (not refused)
    for name in ("contrast", "cuts", "flags"):
        empty = pd.read_csv(out / "models" / f"{name}.csv")
        assert len(empty.columns) >= 3 and not len(empty), name
    assert "results/models" not in html and "results/clean/" not in html
    assert "results/nhanes/models/fit.csv and results/nhanes/models/flags.csv" in html
    assert "confidence intervals (a point per category)" in html
    assert (out / "figures" / "predictions_age_by_sex.png").stat().st_size > 10_000
