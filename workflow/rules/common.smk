# Helpers shared by the rules: config validation, the codebook, and target lists.
import os
import sys
import time
from pathlib import Path

from coprod.errors import CoprodError, console
from coprod.pipeline.config import (
    imputation_auxiliary,
    imputation_chains,
    imputation_outcomes,
    spec_claims,
)
from coprod.pipeline.designkeys import design_settings
from coprod.pipeline.modelplan import FULL, NO_MODELS, fit_together, model_tables
from coprod.pipeline.runlock import claim as claim_run
from coprod.pipeline.runlock import describe as describe_run
from coprod.pipeline.runlock import live_run
from coprod.pipeline.runlock import release as release_run
from coprod.pipeline.paths import outside
from coprod.pipeline.runner import stop_rate_timers
from coprod.pipeline.startup import check_project
import coprod.pipeline.sources

# Everything is checked before any job runs (coprod.pipeline.startup): the config against its
# schema ("did you mean"), its defaults filled in from the schema (in `config`, which the rules
# read; coprod.pipeline.settings), then the codebook, the raw files, the results folder, the
# report settings and the claims.
try:
    PROJECT = check_project(
        config,
        # the files Snakemake read before the Snakefile ran (--configfile); the bundled one
        # was read by coprod's reader in the Snakefile, before Snakemake's, and is not read again
        configfiles=workflow.overwrite_configfiles,
        # every file the config came from, read again for a word YAML made true/false (ON)
        sources=workflow.configfiles,
    )
except CoprodError as exc:
    sys.exit(f"coprod error: {console(exc)}")
# the config and the codebook, typed and frozen (coprod.pipeline.settings.Settings)
SETTINGS = PROJECT["settings"]
CODEBOOK = SETTINGS.codebook

RESULTS = os.path.normpath(
    str(config["results"])
)  # "results/nhanes/" -> "results/nhanes"
# A run records itself in the results folder (coprod.pipeline.runlock): `--unlock` while a run is
# still working, or a second run past Snakemake's lock, would make the same files twice.
if workflow.is_main_process and "--unlock" in sys.argv and live_run(RESULTS):
    sys.exit(f"coprod error: not unlocking: {describe_run(live_run(RESULTS), RESULTS)}")


onstart:
    if live_run(RESULTS):
        sys.exit(f"coprod error: {describe_run(live_run(RESULTS), RESULTS)}")
    claim_run(RESULTS, started=time.strftime("%Y-%m-%d %H:%M:%S %Z"))


onsuccess:
    release_run(RESULTS)
    stop_rate_timers()


onerror:
    release_run(RESULTS)
    stop_rate_timers()


# logs of the bundled run stay in logs/; another results folder keeps its own logs inside it
LOGS = "logs" if RESULTS == "results" else f"{RESULTS}/logs"


def res(path):
    """A path under the results folder (config key `results`)."""
    return f"{RESULTS}/{path}"


def logpath(path):
    return f"{LOGS}/{path}"


def check_outputs_under_results(rules):
    """In all rules, every output, log (a job's timing record is one, see
    coprod.pipeline.jobrecord) and benchmark lies under the results folder (the logs of the
    bundled run: under logs/); the names in them were checked at start-up
    (coprod.pipeline.paths), this is the last word on the paths themselves."""
    paths = [
        str(f)
        for r in rules
        for f in [*r.output, *r.log, *([r.benchmark] if r.benchmark else [])]
    ]
    bad = outside(paths, [RESULTS, LOGS])
    if bad:
        sys.exit(
            f"coprod error: {bad[0]}: outside the results folder '{RESULTS}'"
            + (f" (and {len(bad) - 1} more)" if len(bad) > 1 else "")
        )


ENV = "../../environment.yml"
GROUPS = list(CODEBOOK.groups)
# the group column's name and word (config `groups`), for the clean rule and every reader
GROUPING = PROJECT["grouping"]
# every modelled outcome (0/1, ordinal, count); the report's tables and figures show the 0/1 ones
OUTCOMES = list(PROJECT["families"])
BINARY_OUTCOMES = [o for o, f in PROJECT["families"].items() if f == "logit"]
# result paths use a file-name-safe slug of each sample ("Région Norte" -> Region_Norte)
SAMPLE_NAMES = PROJECT["samples"]
SAMPLES = list(SAMPLE_NAMES)  # slugs, for paths only
SAMPLE_LIST = list(SAMPLE_NAMES.values())  # the names users write and read
CONTRAST_SAMPLES = SAMPLES if config["models"].get("contrast") else []


def sources(*modules, **kw):
    """The coprod modules a rule runs (its `code` input), as one file listing their digests
    (coprod.pipeline.sources.code_file: Snakemake checksums every input once per output);
    written by the main process, which parses this file before any job starts."""
    paths = coprod.pipeline.sources.sources(*modules, **kw)
    return [coprod.pipeline.sources.code_file(paths, write=workflow.is_main_process)]


def sample_name(wildcards):
    return SAMPLE_NAMES[wildcards.sample]


# multiple imputation beside the complete-case models (config imputation.analyses: both)
MI = config["imputation"]["analyses"] == "both"
CHAINS = {k: (first, n) for k, first, n in imputation_chains(SETTINGS.imputation)}
MI_OUTCOMES = imputation_outcomes(SETTINGS)
IMPUTATION_AUXILIARY = imputation_auxiliary(SETTINGS)
# the specification curve (config specifications): the claims it is drawn for, their samples
SPEC_DIMS = {
    k: v
    for k, v in config["specifications"].items()
    if k not in ("imputations", "chunks")
}
SPEC_CLAIMS = (
    spec_claims((config.get("report") or {}).get("findings")) if SPEC_DIMS else {}
)
SPEC_SAMPLES = [
    s
    for s, name in SAMPLE_NAMES.items()
    if name in {c["sample"] for c in SPEC_CLAIMS.values()}
]
SPEC_CHUNKS = list(range(1, int(config["specifications"]["chunks"]) + 1))
# what is modelled (coprod.pipeline.modelplan): every model; intercept-only models
# (models.covariates: []); or none (models.outcomes: []: the descriptives and their report)
PLAN = PROJECT["plan"]
MODELS = PLAN != NO_MODELS
# each model's result tables (an intercept-only model has no margins, tests or effect sizes)
MODEL_TABLES = model_tables(PLAN)
# the contrast test's file: every run of the full models writes it (without models.contrast,
# its header alone); intercept-only models have no covariate effects to contrast
CONTRAST_FILE = PLAN == FULL


def design_params():
    """The design settings every model job needs (passed as params, so a change reruns them)."""
    return design_settings(config["design"])


def design_inputs():
    """Files the design reads (the calibration totals, a file of replicate rscales): a change
    to them reruns the estimates."""
    cal = config["design"].get("calibration") or {}
    rscales = config["design"].get("replicate_rscales")
    return {
        **({"totals": cal["totals"]} if cal.get("totals") else {}),
        **({"rscales": rscales} if isinstance(rscales, str) else {}),
        **({"rscales": rscales["file"]} if isinstance(rscales, dict) else {}),
    }


def raw_files():
    return list(dict.fromkeys(CODEBOOK.groups[g]["file"] for g in GROUPS))


# Which ready job a free core takes first (Snakemake's `priority:`, default 0; the greedy
# scheduler breaks ties by the jobs' total input size, which put the imputed models, the longest
# chain of work left, after every report job of a bundled run). The jobs that head the longest
# chains of work still to do go first: the imputations (the imputed models and the
# specification curve wait on them); the models, the specifications and the imputed models;
# then what the figures and the curve's figure wait on, and they. The short jobs at the ends of
# chains (tables, robustness, the MI table, the claims, the report) keep 0.
PRIORITY = {
    "impute": 3,
    "fit_models": 2,
    "specifications": 2,
    "fit_models_mi": 2,
    "gather_models": 1,
    "descriptives": 1,
    "figures": 1,
    "gather_specifications": 1,
    "speccurve": 1,
}


# one fit_models job for every sample, or one a sample (config models.jobs; the raw files were
# checked at start-up)
FIT_TOGETHER = fit_together(
    SETTINGS.models.jobs,
    [os.path.getsize(f) if os.path.isfile(f) else 0 for f in raw_files()],
)


def clean_outputs():
    return [
        res("clean/survey.parquet"),
        res("clean/cleaning_log.csv"),
        res("clean/cleaning_summary.csv"),
        res("clean/cleaning_summary.md"),
    ]


def model_outputs():
    return (
        [res(f"models/{t}.csv") for t in MODEL_TABLES]
        + ([res("models/contrast.csv")] if CONTRAST_FILE else [])
        + ([res("models/coefficients_mi.csv")] if MI else [])
        + ([res("models/specifications.csv")] if SPEC_CLAIMS else [])
    )


def report_outputs():
    """Stage 3; the figure and table names come from workflow/rules/report.smk."""
    return (
        list(DESCRIPTIVES.values())
        + [res(f"figures/{s}.{f}") for s in FIGURES for f in FIGURE_FORMATS]
        + [table_file(s, f) for s in TABLES for f in TABLE_FORMATS]
        + findings_outputs()
        + [table_file(s, f) for s in ROBUST["tables"] for f in TABLE_FORMATS]
        + [res(f"figures/{s}.{f}") for s in ROBUST["figures"] for f in FIGURE_FORMATS]
        + ([table_file("imputation", f) for f in TABLE_FORMATS] if MI else [])
        + [res(f"figures/spec_{c}.{f}") for c in SPEC_CLAIMS for f in FIGURE_FORMATS]
        + [res("report.html")]
    )


def findings_outputs():
    """The findings check's files, when a findings file is configured (report.findings)."""
    if not FINDINGS:
        return []
    return [res("tables/findings_check.csv")] + [
        table_file("findings", f) for f in TABLE_FORMATS
    ]


def model_inputs(*tables):
    """{table: results/models/<table>.csv} of the model tables a report rule reads that this
    run writes (MODEL_TABLES and the contrast test's, by what is modelled): none without
    models (models.outcomes: [])."""
    have = [*MODEL_TABLES, *(["contrast"] if CONTRAST_FILE else [])]
    return {t: res(f"models/{t}.csv") for t in tables if t in have}


def in_report(path, **kw):
    """Snakemake's report() flag, by a name Snakemake's parser does not take for its report:
    keyword when a formatter starts a line with it."""
    return report(path, **kw)


def table_file(stem, fmt):
    """A table's file: csv, tex, html, json, or data (tables/<stem>.data.csv, tidy)."""
    return res(f"tables/{stem}.{'data.csv' if fmt == 'data' else fmt}")


def all_targets():
    return clean_outputs() + model_outputs() + report_outputs()
