"""The bundled config with an empty models.covariates (intercept-only models) or an empty
models.outcomes (no models), run through Snakemake: the jobs that run, the files written (none
empty, none for what was not asked), the report's sections and words. Light: two samples, a few
outcomes, PNG figures; the bundled imputation, specification curve and claims stay in the config
and are set aside by the run itself (tests/unit/pipeline/test_modelplan.py checks the rules)."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import QUICK_FIGURES, copy_project, snakemake

pytestmark = pytest.mark.pipeline  # every test here runs Snakemake


def run(tmp_path: Path, name: str, **models) -> tuple[Path, str]:
    """The bundled config, narrowed to two samples, with ``models`` changed, run into
    results/<name>; (its results folder, Snakemake's console)."""
    work = copy_project(tmp_path / "p")
    cfg = yaml.safe_load((work / "config" / "config.yaml").read_text(encoding="utf-8"))
    cfg["results"] = f"results/{name}"
    cfg["models"].update(samples=["pooled", "UK"], **models)
    cfg["report"]["figures"].update(QUICK_FIGURES)
    path = work / "config" / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    proc = snakemake(work, "--cores", "2", "--configfile", str(path.relative_to(work)))
    return work / "results" / name, proc.stdout + proc.stderr


def jobs(console: str) -> dict[str, int]:
    """Snakemake's "Job stats" table: {rule: jobs}."""
    block = console.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    rows = [ln.split() for ln in block.strip().splitlines()[2:]]
    return {r[0]: int(r[1]) for r in rows if len(r) == 2 and r[0] != "total"}


def files(out: Path, folder: str) -> set[str]:
    return {p.name for p in (out / folder).iterdir() if p.is_file()} \
        if (out / folder).is_dir() else set()


def page_text(out: Path) -> str:
    html = (out / "report.html").read_text(encoding="utf-8")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(
        r"<style.*?</style>|<img[^>]*>", " ", html, flags=re.S)))


def no_empty_tables(out: Path) -> None:
    """Every CSV the report stage wrote has rows, every figure is a picture."""
    for p in [*(out / "tables").glob("*.csv"), *(out / "descriptives").glob("*.csv")]:
        assert len(pd.read_csv(p)), f"{p.name} has no rows"
    for p in (out / "figures").glob("*.png"):
        assert p.stat().st_size > 1000, p.name


def test_no_covariates_fit_intercept_only_models_shown_as_prevalence(tmp_path):
    out, console = run(tmp_path, "prevalence", covariates=[], outcomes=[
        "individual_any", "collective_any", {"individual_domains": "ordinal"},
        {"individual_count": "count"}])
    # one line says what the run is and what it set aside
    note = [ln for ln in console.splitlines() if ln.startswith("coprod note: models.covariates")]
    assert len(note) == 1, console[-3000:]
    assert "intercept-only models (y ~ 1)" in note[0]
    for key in ("models.contrast", "models.joint_tests", "imputation.analyses",
                "specifications", "report.findings", "report.tables.models"):
        assert f"{key} (" in note[0], key
    # the models (of a small survey: every sample in one job, models.jobs: auto, which also
    # writes the combined tables: no gather job); no imputation, specification, claims or
    # robustness job
    assert jobs(console) == {"clean": 1, "descriptives": 1, "fit_models": 1,
                             "figures": 1, "tables": 1, "report_html": 1, "all": 1}
    # only what an intercept-only model has: no margins, tests, effect sizes, contrast
    assert files(out, "models") == {"coefficients.csv", "fit.csv", "flags.csv",
                                    "excluded.csv", "vcov.csv"}
    assert not (out / "imputed").exists()
    fit = pd.read_csv(out / "models" / "fit.csv")
    assert len(fit) == 4 * 2 and (fit["status"] == "ok").all(), fit
    coefs = pd.read_csv(out / "models" / "coefficients.csv")
    assert set(coefs.loc[coefs["outcome"] != "individual_domains", "term"]) == {"Intercept"}
    # the descriptives' prevalence (no descriptives.csv: no covariate to describe)
    assert files(out, "descriptives") == {"prevalence.csv"}
    assert files(out, "figures") == {"prevalence.png", "cleaning.png"}
    assert {f.split(".")[0] for f in files(out, "tables")} == {"prevalence_models", "cleaning"}
    no_empty_tables(out)
    # prevalence by model: a group's equals the descriptives' (svyciprop's logit interval);
    # the ordinal outcome's share at 1 domain or more equals the 0/1 "any domain"
    tidy = pd.read_csv(out / "tables" / "prevalence_models.data.csv", keep_default_na=False)
    prev = pd.read_csv(out / "descriptives" / "prevalence.csv")
    uk = prev[(prev["group"] == "UK") & (prev["outcome"] == "individual_any")].iloc[0]
    got = tidy[(tidy["outcome"] == "individual_any") & (tidy["sample"] == "UK")].iloc[0]
    np.testing.assert_allclose(got[["estimate", "conf_low", "conf_high"]].astype(float),
                               uk[["estimate", "conf_low", "conf_high"]].astype(float),
                               rtol=1e-9)
    for sample in ("pooled", "UK"):
        anyd = tidy[(tidy["outcome"] == "individual_any") & (tidy["sample"] == sample)]
        one = tidy[(tidy["outcome"] == "individual_domains") & (tidy["sample"] == sample)
                   & (tidy["level"].astype(str) == "1")]
        np.testing.assert_allclose(float(one["estimate"].iloc[0]),
                                   float(anyd["estimate"].iloc[0]), rtol=1e-6)
    count = tidy[(tidy["outcome"] == "individual_count")]
    assert (count["scale"] == "mean").all() and (count["estimate"].astype(float) > 1).all()
    # the report: intercept-only models, said so; no model, claims or robustness sections
    text = page_text(out)
    assert "Intercept-only models ( models.covariates is empty)" in text
    assert "how common each outcome is, not what goes with it" in text
    assert "Prevalence of co-production by model: intercept-only models" in text
    assert "Not run, with nothing to act on:" in text and "report.findings" in text
    assert "y ~ 1" in text and "without country fixed effects" in text
    for gone in ("Findings check", "odds ratio", "Does the cut of the scale matter",
                 "How many analyses support each claim"):
        assert gone not in text, gone
    assert "Who is in the models, and how did each go?" in text
    compiles(out / "tables" / "prevalence_models.tex", tmp_path)


def compiles(tex: Path, tmp_path: Path) -> None:
    """A table's LaTeX compiles in a plain article, without an overfull box (as
    tests/e2e/test_rendering.py compiles the bundled tables); skipped, saying so, without
    pdflatex and siunitx (after the run's other checks, which have passed by then)."""
    from latexrun import MISSING, compile_log, has_siunitx

    from coprod.report.tablelatex import LATEX_PACKAGES

    if not has_siunitx():
        pytest.skip(MISSING)
    doc = tmp_path / "table.tex"
    doc.write_text("\\documentclass[a4paper]{article}\n\\usepackage[T1]{fontenc}\n"
                   f"\\usepackage[utf8]{{inputenc}}\n{LATEX_PACKAGES}\n\\begin{{document}}\n"
                   f"\\input{{{tex.as_posix()}}}\n\\end{{document}}\n", encoding="utf-8")
    assert "Overfull \\hbox" not in compile_log(doc, 3)


def test_no_outcomes_describe_and_report_without_models(tmp_path):
    out, console = run(tmp_path, "described", outcomes=[])
    note = [ln for ln in console.splitlines() if ln.startswith("coprod note: models.outcomes")]
    assert len(note) == 1 and "no model is fitted" in note[0], console[-3000:]
    # no model job at all
    assert jobs(console) == {"clean": 1, "descriptives": 1, "figures": 1, "tables": 1,
                             "report_html": 1, "all": 1}
    assert not (out / "models").exists() and not (out / "imputed").exists()
    assert files(out, "descriptives") == {"descriptives.csv"}  # no outcome: no prevalence
    assert files(out, "figures") == {"cleaning.png"}
    assert {f.split(".")[0] for f in files(out, "tables")} == {"descriptives", "cleaning"}
    no_empty_tables(out)
    desc = pd.read_csv(out / "descriptives" / "descriptives.csv", keep_default_na=False)
    # the whole sample (the pooled design) first, then each group (issue 29's whole-sample rows)
    assert list(dict.fromkeys(desc["group"])) == ["pooled", "UK", "FR", "DE", "DK", "CZ"]
    whole = desc[desc["group"] == "pooled"].set_index(["variable", "level"])["n"]
    by_group = desc[desc["group"] != "pooled"].groupby(["variable", "level"])["n"].sum()
    assert whole.sort_index().equals(by_group.sort_index())
    text = page_text(out)
    assert "No models were asked for ( models.outcomes is empty)" in text
    assert "Respondents by country" in text  # the descriptives table
    assert "None: models.outcomes is empty, so no model was fitted" in text  # Methods
    assert "Input files (SHA-256)" in text  # provenance
    for gone in ("Who is in the models", "Findings check", "Prevalence of", "odds ratio"):
        assert gone not in text, gone
