"""Raking configured as a user would (totals in a CSV, the method in design.calibration), run
through Snakemake: the models equal R's rake() design (tests/golden/test_calibration_golden.py
checks the engine directly)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import QUICK_FIGURES, ROOT, replicate_reference

GOLDEN = ROOT / "tests" / "data" / "golden"
TOTALS = GOLDEN / "calibration_totals.csv"


@pytest.fixture(scope="module")
def reference():
    return replicate_reference()



@pytest.mark.pipeline
def test_raked_design_by_config_alone_equals_r(tmp_path, reference):
    """Raking to census margins configured as a user would: totals in a CSV, the method and
    variables in design.calibration; the models equal R's rake() design, and the report says
    how the weights changed."""
    import shutil

    import yaml
    from conftest import copy_project, snakemake

    work = copy_project(tmp_path / "p")
    (work / "data" / "cal").mkdir()
    pd.read_csv(GOLDEN / "replicate_survey.csv").to_csv(work / "data" / "cal" / "survey.csv",
                                                       index=False)
    shutil.copy(TOTALS, work / "data" / "cal" / "totals.csv")
    num = {"type": "numeric"}
    cb = {"survey": "A raked survey",
          "variables": {"id": {"raw": "id", "role": "id"},
                        "weight": {"raw": "weight", "role": "weight"},
                        "psu": {"raw": "psu", "role": "psu"},
                        "agegrp": {"raw": "agegrp", "type": "category",
                                   "codes": {"18-34": "18-34", "35-54": "35-54", "55+": "55+"}},
                        "sex": {"raw": "sex", "type": "category",
                                "codes": {"man": "man", "woman": "woman"}},
                        **{v: {"raw": v, **num} for v in
                           ("age", "female", "efficacy", "individual", "collective")}},
          "groups": {g: {"file": "data/cal/survey.csv", "where": {"country": g}}
                     for g in ("AA", "BB", "CC")}}
    cfg = {"results": "results/cal", "data": {"codebook": "config/cal/codebook.yaml"},
           "groups": {"column": "country"},
           "design": {"weights": "weight", "strata": "country", "psu": "psu",
                      "calibration": {"method": "rake", "variables": ["agegrp", "sex"],
                                      "totals": "data/cal/totals.csv", "epsilon": 1e-12}},
           "models": {"outcomes": ["individual"], "covariates": ["age", "female", "efficacy"],
                      "reference_levels": {"country": "AA"}, "samples": ["pooled", "BB"]},
           "report": {"findings": None, "figures": QUICK_FIGURES}}
    (work / "config" / "cal").mkdir()
    for name, obj in (("codebook", cb), ("config", cfg)):
        (work / "config" / "cal" / f"{name}.yaml").write_text(yaml.safe_dump(obj))
    snakemake(work, "--cores", "2", "--configfile", "config/cal/config.yaml")
    out = work / "results" / "cal"
    coefs = pd.read_csv(out / "models" / "coefficients.csv")
    for sample, part in (("pooled", "whole"), ("BB", "BB")):
        ref = reference[(reference["case"] == f"calibrated:rake_{part}")
                        & (reference["estimator"] == "model")]
        got = coefs[coefs["sample"] == sample].set_index("term")
        terms = ["Intercept" if v == "Intercept" else f"{v}[T.{lv}]" if lv else v
                 for v, lv in zip(ref["variable"], ref["level"])]
        np.testing.assert_allclose(got.loc[terms, "estimate"], ref["estimate"], atol=1e-8)
        np.testing.assert_allclose(got.loc[terms, "std_error"], ref["std_error"], rtol=1e-6)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Calibrated weights: raking (R&#x27;s rake)" in html or \
        "Calibrated weights: raking (R's rake)" in html
    assert "Weights before calibration:" in html and "sum 850" in html
