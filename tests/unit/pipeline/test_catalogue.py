"""Every case of the bad-input catalogue (tests/catalogue.py): a clear one-line message naming
the file, column, key or value; no Python traceback on the console (it goes to the rule's log);
or, where the right answer is to go on, a finished run whose tables report the problem.

Every case is checked here in-process: the start-up checks (the same function the Snakefile
calls first, coprod.pipeline.startup.check_project), the cleaning and the model stage
(coprod.pipeline.stages.run_clean and run_models, what the rules' scripts call, with the rules'
settings). One case of each kind also runs through Snakemake as a user would, and the few that
only a Snakemake run can show run there alone: tests/e2e/test_catalogue_runs.py."""
import os

import pandas as pd
import pytest
from catalogue import CASES, SAFE_LOADER, SNAKEMAKE_ONLY
from conftest import ROOT, copy_project

CLEAN = "results/clean/survey.parquet"
#: what the in-process checks read of a project copy (no Snakefile, rules or scripts)
IN_PROCESS = ("config", "data")
FITS = "results/models/fits/"
# the fit_models rule's tables (workflow/rules/common.smk MODEL_TABLES)
MODEL_TABLES = ["coefficients", "ame", "predictions", "fit", "flags", "excluded", "tests",
                "test_terms", "cuts", "vcov", "effects"]


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
    config = yaml.load((work / "config" / "config.yaml").read_text(encoding="utf-8"),
                       Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
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
    from coprod.pipeline.designkeys import DesignSettings, design_settings
    from coprod.pipeline.stages import fit_output_paths, run_models

    slug = fit.removeprefix(FITS).split("/")[1]
    m = config["models"]
    outcomes = list(project["families"])
    paths = [str(work / FITS / o / slug / f"{t}.csv") for o in outcomes for t in MODEL_TABLES]
    contrast = m.get("contrast") or []  # the rule's contrast test too, when configured
    run_models(table=table, sample=project["samples"][slug], outcomes=outcomes,
               covariates=m["covariates"], reference_levels=m["reference_levels"],
               design=DesignSettings.from_params(design_settings(config["design"])),  # adapter
               group_effects=m["group_effects"], conf_level=m["conf_level"],
               grids=m["predictions"], contrast_outcomes=contrast,
               outputs=fit_output_paths(paths, outcomes, MODEL_TABLES),
               contrast_output=str(work / "results" / "models" / "contrast" / f"{slug}.csv")
               if contrast else None,
               families=project["families"], joint_tests=m["joint_tests"])


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(tmp_path, case):
    work = copy_project(tmp_path / "p", IN_PROCESS)
    case.setup(work)
    fit = case.target if case.target.startswith(FITS) else None
    if fit and os.environ.get("COPROD_TEST_FAST"):
        pytest.skip("fits models (make test runs it)")
    message = start_up_message(work, clean=case.target == CLEAN, fit=fit)
    if message is not None:  # caught in-process: the same one-line message
        assert case.outcome == "stop"
        assert case.message in message, message
        return
    if fit and case.outcome == "continue":  # the model stage went on
        table = pd.read_csv(work / case.target)
        assert table["message"].fillna("").str.contains(case.message, regex=False).any(), \
            table.to_string()
        return
    # nothing in-process shows it: only a Snakemake run can (tests/e2e/test_catalogue_runs.py)
    assert case.id in SNAKEMAKE_ONLY, \
        f"{case.id}: not seen in-process; add it to catalogue.SNAKEMAKE_ONLY"
    pytest.skip("only a Snakemake run shows it: tests/e2e/test_catalogue_runs.py")


def test_catalogue_is_documented():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from write_catalogue_doc import render

    assert len(CASES) >= 30
    assert (ROOT / "docs" / "bad_inputs.md").read_text(encoding="utf-8") == render(CASES)


