"""A survey with JK1 replicate weights configured as a user would, run through Snakemake: the
models equal R's svrepdesign (tests/golden/test_replicate_golden.py checks the engine
directly)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import QUICK_FIGURES, ROOT, replicate_reference

GOLDEN = ROOT / "tests" / "data" / "golden"


@pytest.fixture(scope="module")
def reference():
    return replicate_reference()



@pytest.mark.pipeline
def test_replicate_design_by_config_alone_equals_r(tmp_path, reference):
    """A survey that publishes JK1 replicate weights, configured as a user would: the codebook
    names the replicate columns by a pattern, the config says the type."""
    import yaml
    from conftest import copy_project, snakemake

    work = copy_project(tmp_path / "p")
    raw = pd.read_csv(GOLDEN / "replicate_survey.csv").merge(
        pd.read_csv(GOLDEN / "replicate_weights.csv").filter(regex="^(id|jk1_.*)$"), on="id")
    (work / "data" / "rep").mkdir()
    raw.rename(columns=lambda c: c.upper().replace("JK1_", "REPW")).to_csv(
        work / "data" / "rep" / "survey.csv", index=False)
    num = {"type": "numeric"}
    cb = {"survey": "A survey with JK1 replicate weights",
          "variables": {"id": {"raw": "ID", "role": "id"},
                        "weight": {"raw": "WEIGHT", "role": "weight"},
                        "repwt": {"raw": "REPW[0-9]+", "role": "replicates"},
                        **{v: {"raw": v.upper(), **num} for v in
                           ("age", "female", "efficacy", "individual", "collective")}},
          "groups": {g: {"file": "data/rep/survey.csv", "where": {"COUNTRY": g}}
                     for g in ("AA", "BB", "CC")}}
    cfg = {"results": "results/rep", "data": {"codebook": "config/rep/codebook.yaml"},
           "groups": {"column": "country"},
           "design": {"weights": "weight", "replicates": "repwt", "replicate_type": "JK1"},
           "models": {"outcomes": ["individual", "collective"],
                      "covariates": ["age", "female", "efficacy"],
                      "reference_levels": {"country": "AA"}, "samples": ["pooled", "BB"],
                      "contrast": ["individual", "collective"]},
           "report": {"findings": None, "figures": QUICK_FIGURES}}
    (work / "config" / "rep").mkdir()
    for name, obj in (("codebook", cb), ("config", cfg)):
        (work / "config" / "rep" / f"{name}.yaml").write_text(yaml.safe_dump(obj))
    snakemake(work, "--cores", "2", "--configfile", "config/rep/config.yaml")
    out = work / "results" / "rep"
    coefs = pd.read_csv(out / "models" / "coefficients.csv")
    for sample, part in (("pooled", "whole"), ("BB", "BB")):
        ref = reference[(reference["case"] == f"JK1_mse0_{part}")
                        & (reference["estimator"] == "model")]
        got = coefs[(coefs["outcome"] == "individual") & (coefs["sample"] == sample)]
        got = got.set_index("term")
        terms = ["Intercept" if v == "Intercept" else f"{v}[T.{lv}]" if lv else v
                 for v, lv in zip(ref["variable"], ref["level"])]
        np.testing.assert_allclose(got.loc[terms, "estimate"], ref["estimate"], atol=1e-8)
        np.testing.assert_allclose(got.loc[terms, "std_error"], ref["std_error"], rtol=1e-6)
        assert (got.loc[terms, "df_resid"].to_numpy() == ref["df"].to_numpy()).all()
    prev = pd.read_csv(out / "descriptives" / "prevalence.csv").set_index(["group", "outcome"])
    ref = reference[(reference["case"] == "JK1_mse0_BB")
                    & (reference["estimator"] == "proportion")].iloc[0]
    assert prev.loc[("BB", "individual"), "estimate"] == pytest.approx(ref["estimate"], abs=1e-9)
    assert prev.loc[("BB", "individual"), "std_error"] == pytest.approx(ref["std_error"],
                                                                        rel=1e-6)
    # the whole sample's row: svymean on the whole replicate design
    whole = reference[(reference["case"] == "JK1_mse0_whole")
                      & (reference["estimator"] == "proportion")].iloc[0]
    got = prev.loc[("pooled", "individual")]
    assert got["estimate"] == pytest.approx(whole["estimate"], abs=1e-9)
    assert got["std_error"] == pytest.approx(whole["std_error"], rel=1e-6)
    assert got["df"] == int(whole["df"]) and got["n"] == int(whole["n"])
    contrast = pd.read_csv(out / "models" / "contrast.csv")
    assert (contrast["status"] != "failed").all()
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Standard errors from JK1 replicate weights" in html
    assert "Taylor" not in html and "single PSU" not in html
