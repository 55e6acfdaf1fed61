"""Every case of the bad-input catalogue (tests/catalogue.py): a clear one-line message naming
the file, column, key or value; no Python traceback on the console (it goes to the rule's log);
or, where the right answer is to go on, a finished run whose tables report the problem.

Problems the start-up checks catch are checked in-process (the same function the Snakefile
calls first, coprod.pipeline.startup.check_project), and so are the cleaning's and the model stage's
(coprod.pipeline.stages.run_clean and run_models, what the rules' scripts call, with the rules'
settings); one case of each kind runs through Snakemake as a user would."""
import os

import pandas as pd
import pytest
from catalogue import CASES
from conftest import QUICK_FIGURES, ROOT, copy_project, snakemake

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


def start_up_message(work, clean: bool = False, fit: str | None = None) -> str | None:
    """The start-up checks (coprod.pipeline.startup, what the Snakefile runs first), in-process on a
    project copy, then with ``clean`` the cleaning stage as the clean rule runs it, and with
    ``fit`` (a fit table's path, results/models/fits/<outcome>/<sample>/fit.csv) the model
    stage of that sample as the fit_models rule runs it, writing its tables under ``work``:
    the error message, or None when they pass."""
    import yaml

    from coprod.errors import CoprodError
    from coprod.pipeline.stages import run_clean
    from coprod.pipeline.startup import check_config_file, check_project

    try:  # the Snakefile reads the config file with coprod's reader before Snakemake does
        check_config_file(work / "config" / "config.yaml")
    except CoprodError as exc:
        return str(exc)
    config = yaml.safe_load((work / "config" / "config.yaml").read_text(encoding="utf-8"))
    here = os.getcwd()
    os.chdir(work)
    try:
        # checks the config against the schema and fills in its defaults (in place)
        project = check_project(config, configfiles=["config/config.yaml"])
        if clean or fit:  # the clean rule's params (workflow/rules/clean.smk)
            out = work / "in-process"
            run_clean(codebook=config["data"]["codebook"],
                      threshold=config["cleaning"]["threshold"],
                      invalid_weight=config["cleaning"]["invalid_weight"],
                      group_column=project["grouping"]["column"],
                      group_label=project["grouping"]["label"],
                      table=out / "survey.parquet", log_csv=out / "log.csv",
                      summary_csv=out / "summary.csv", summary_md=out / "summary.md")
        if fit:
            run_model_stage(work, config, project, fit, out / "survey.parquet")
    except CoprodError as exc:
        return str(exc)
    finally:
        os.chdir(here)
    return None


def run_model_stage(work, config: dict, project: dict, fit: str, table) -> None:
    """The fit_models rule (workflow/rules/models.smk) for the sample of ``fit``, with its
    params from the validated config: every outcome's tables under work/results/models/fits."""
    from coprod.pipeline.designkeys import design_settings
    from coprod.pipeline.stages import fit_output_paths, run_models

    slug = fit.removeprefix(FITS).split("/")[1]
    m = config["models"]
    outcomes = list(project["families"])
    paths = [str(work / FITS / o / slug / f"{t}.csv") for o in outcomes for t in MODEL_TABLES]
    contrast = m.get("contrast") or []  # the rule's contrast test too, when configured
    run_models(table=table, sample=project["samples"][slug], outcomes=outcomes,
               covariates=m["covariates"], reference_levels=m["reference_levels"],
               design=design_settings(config["design"]),  # common.smk design_params()
               group_effects=m["group_effects"], conf_level=m["conf_level"],
               grids=m["predictions"], contrast_outcomes=contrast,
               outputs=fit_output_paths(paths, outcomes, MODEL_TABLES),
               contrast_output=str(work / "results" / "models" / "contrast" / f"{slug}.csv")
               if contrast else None,
               families=project["families"], joint_tests=m["joint_tests"])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(tmp_path, case):
    work = copy_project(tmp_path / "p")
    case.setup(work)
    in_process = case.id not in THROUGH_SNAKEMAKE
    fit = case.target if case.target.startswith(FITS) else None
    if fit and os.environ.get("COPROD_TEST_FAST"):
        pytest.skip("fits models (make test runs it)")
    message = start_up_message(work, clean=case.target == CLEAN, fit=fit) if in_process \
        else None
    if message is not None:  # caught in-process: the same one-line message
        assert case.outcome == "stop"
        assert case.message in message, message
        return
    if in_process and fit and case.outcome == "continue":  # the model stage went on
        table = pd.read_csv(work / case.target)
        assert table["message"].fillna("").str.contains(case.message, regex=False).any(), \
            table.to_string()
        return
    if os.environ.get("COPROD_TEST_FAST"):
        pytest.skip("needs a Snakemake run (make test runs it)")
    proc = snakemake(work, "--cores", "1", case.target, check=False, timeout=600)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out[-3000:]
    if case.outcome == "stop":
        assert proc.returncode != 0
        lines = [line for line in out.splitlines() if case.message in line]
        assert lines, f"expected {case.message!r} in:\n{out[-3000:]}"
    else:
        assert proc.returncode == 0, out[-3000:]
        table = pd.read_csv(work / case.target)
        assert table["message"].fillna("").str.contains(case.message, regex=False).any(), \
            table.to_string()


def test_catalogue_is_documented():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from write_catalogue_doc import render

    assert len(CASES) >= 30
    assert (ROOT / "docs" / "bad_inputs.md").read_text(encoding="utf-8") == render(CASES)


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
