"""End-to-end (Snakemake) half of tests/unit/pipeline/test_catalogue.py: test_problems_that_let_the_run_go_on_are_shown_in_the_report."""

import pandas as pd
import pytest
from conftest import QUICK_FIGURES, copy_project, snakemake

# checked through Snakemake even when they can be checked in-process: one case of each kind,
# so that the console shows the one-line message and no traceback end to end
THROUGH_SNAKEMAKE = {"missing-file", "truncated-sav", "codebook-unknown-key",
                     "config-unknown-key", "config-yaml-syntax", "results-not-a-folder",
                     # the model stage: a design that stops the run, a model that fails alone
                     "design-fpc-varies", "constant-in-country"}
CLEAN = "results/clean/survey.parquet"
FITS = "results/models/fits/"
# the fit_models rule's tables (workflow/rules/common.smk MODEL_TABLES)
MODEL_TABLES = ["coefficients", "ame", "predictions", "fit", "flags", "tests", "cuts", "vcov",
                "effects"]


@pytest.mark.pipeline
def test_problems_that_let_the_run_go_on_are_shown_in_the_report(tmp_path):
    """A model that cannot be fitted in one country and a lonely PSU: the run finishes, the
    tables say so, and so does the report."""
    from catalogue import both, codebook, config, sav, set_col

    work = copy_project(tmp_path / "p")
    both(
        sav("DK", set_col("Q54", 1.0)),                    # urban constant in DK: DK fails
        sav("CZ", set_col("REGION", 1.0)),                 # one PSU in the CZ stratum
        codebook(lambda cb: cb["variables"].update(region={"raw": "REGION", "role": "psu"})),
        config(lambda c: (c["design"].update(psu="region"),
                          c["models"].update(outcomes=["individual_any", "collective_any"],
                                             samples=["pooled", "DK", "CZ"]),
                          # what is checked here does not need the robustness analyses
                          c["imputation"].update(analyses="complete_case"),
                          c.update(specifications={"chunks": 1}),
                          c["report"]["figures"].update(QUICK_FIGURES))),
    )(work)
    proc = snakemake(work, "--cores", "2", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "Traceback" not in out
    assert "could not be estimated" in out            # the console says so too
    fit = pd.read_csv(work / "results" / "models" / "fit.csv")
    dk = fit[fit["sample"] == "DK"]
    assert (dk["status"] == "failed").all() and dk["message"].str.contains("'urban'").all()
    assert fit.loc[fit["sample"] == "pooled", "flags"].str.contains("lonely_psu").all()
    html = (work / "results" / "report.html").read_text(encoding="utf-8")
    assert "'urban' has the single value" in html or "&#x27;urban&#x27; has the single value" in html
    assert "lonely" in html
