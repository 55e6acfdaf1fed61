# Stage 3: descriptives, figures, tables, the findings check and the one-file HTML report.
# Every setting reaches its rule as a param, and figure settings only the figures rule, so
# changing a figure setting reruns the figures and the report, nothing upstream.
import sys

from coprod.config import column_levels
from coprod.errors import CoprodError
from coprod.findings import check_claims, load_claims
from coprod.report import figure_names, report_settings, table_names

report: "../report/workflow.rst"

try:
    LEVELS = column_levels(CODEBOOK)
    REPORT = report_settings(config, LEVELS)
    # claims that name an outcome or covariate the models lack stop here, before any job runs
    check_claims(load_claims(REPORT["findings"]), outcomes=OUTCOMES,
                 covariates=config["models"]["covariates"], samples=[str(s) for s in SAMPLES],
                 contrast=config["models"].get("contrast"), levels=LEVELS)
except CoprodError as exc:
    sys.exit(f"coprod config error: {exc}")

FIGURES = figure_names(REPORT)
FIGURE_FORMATS = REPORT["figures"]["formats"]
TABLES = table_names(REPORT, contrast=bool(config["models"].get("contrast")))
TABLE_FORMATS = ["csv", "tex", "html"]
WEIGHTED = bool(config["design"].get("weights"))
MODEL_SETTINGS = {
    "words": REPORT["words"],
    "covariates": config["models"]["covariates"],
    "reference_levels": config["models"].get("reference_levels", {}),
    "levels": LEVELS,
}


# PNG figures and HTML tables also go into `snakemake --report results/report.zip`
FIGURE_OUTPUTS = {
    f"{s}_{f}": report(f"results/figures/{s}.{f}", category="Figures",
                       caption="../report/figures.rst", labels={"figure": s})
    if f == "png" else f"results/figures/{s}.{f}"
    for s in FIGURES
    for f in FIGURE_FORMATS
}
TABLE_OUTPUTS = {
    f"{s}_{f}": report(f"results/tables/{s}.{f}", category="Tables",
                       caption="../report/tables.rst", labels={"table": s})
    if f == "html" else f"results/tables/{s}.{f}"
    for s in TABLES
    for f in TABLE_FORMATS
}


rule descriptives:
    input:
        # the coprod modules this step runs: a change to them reruns it
        code=sources("descriptives", shallow=("runner",)),
        table="results/clean/survey.parquet",
    output:
        prevalence=report("results/descriptives/prevalence.csv", category="Descriptives",
                          caption="../report/descriptives.rst", labels={"table": "prevalence"}),
        descriptives=report("results/descriptives/descriptives.csv", category="Descriptives",
                            caption="../report/descriptives.rst",
                            labels={"table": "descriptives"}),
    params:
        outcomes=OUTCOMES,
        variables=REPORT["descriptives"]["variables"],
        design=design_params(),
        conf_level=config["models"]["conf_level"],
    threads: 1
    resources:
        mem_mb=lambda wc, input: 1000 + 100 * int(input.size_mb),
        runtime=lambda wc, input: 10 + 10 * int(input.size_mb),
    benchmark:
        "results/benchmarks/descriptives.tsv"
    log:
        "logs/report/descriptives.log",
    conda:
        ENV
    script:
        "../../scripts/descriptives.py"


rule figures:
    input:
        # the coprod modules this step runs: a change to them reruns it
        code=sources("figures", shallow=("runner",)),
        prevalence="results/descriptives/prevalence.csv",
        coefficients="results/models/coefficients.csv",
        predictions="results/models/predictions.csv",
        fit="results/models/fit.csv",
        cleaning_summary="results/clean/cleaning_summary.csv",
        table="results/clean/survey.parquet",
    output:
        **FIGURE_OUTPUTS,
    params:
        settings=REPORT["figures"],
        conf_level=config["models"]["conf_level"],
        subject=REPORT["subject"],
        weighted=WEIGHTED,
        **MODEL_SETTINGS,
    threads: 1
    resources:
        mem_mb=lambda wc, input: 1000 + 50 * int(input.size_mb),
        runtime=20,
    benchmark:
        "results/benchmarks/figures.tsv"
    log:
        "logs/report/figures.log",
    conda:
        ENV
    script:
        "../../scripts/figures.py"


rule tables:
    input:
        # the coprod modules this step runs: a change to them reruns it
        code=sources("tables", shallow=("runner",)),
        descriptives="results/descriptives/descriptives.csv",
        coefficients="results/models/coefficients.csv",
        fit="results/models/fit.csv",
        contrast="results/models/contrast.csv",
        cleaning_summary="results/clean/cleaning_summary.csv",
        table="results/clean/survey.parquet",
    output:
        **TABLE_OUTPUTS,
    params:
        settings=REPORT["tables"],
        contrast_outcomes=config["models"].get("contrast", []),
        conf_level=config["models"]["conf_level"],
        weighted=WEIGHTED,
        **MODEL_SETTINGS,
    threads: 1
    resources:
        mem_mb=lambda wc, input: 1000 + 50 * int(input.size_mb),
        runtime=20,
    benchmark:
        "results/benchmarks/tables.tsv"
    log:
        "logs/report/tables.log",
    conda:
        ENV
    script:
        "../../scripts/tables.py"


rule findings:
    input:
        # the coprod modules this step runs: a change to them reruns it
        code=sources("findings", shallow=("runner",)),
        findings=REPORT["findings"],
        coefficients="results/models/coefficients.csv",
        fit="results/models/fit.csv",
        contrast="results/models/contrast.csv",
    output:
        checked="results/tables/findings_check.csv",
        csv="results/tables/findings.csv",
        tex="results/tables/findings.tex",
        html=report("results/tables/findings.html", category="Findings check",
                    caption="../report/findings.rst"),
    params:
        outcomes=OUTCOMES,
        covariates=config["models"]["covariates"],
        samples=[str(s) for s in SAMPLES],
        contrast_outcomes=config["models"].get("contrast", []),
        levels=LEVELS,
        conf_level=config["models"]["conf_level"],
        digits=REPORT["tables"]["digits"],
        words=REPORT["words"],
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    benchmark:
        "results/benchmarks/findings.tsv"
    log:
        "logs/report/findings.log",
    conda:
        ENV
    script:
        "../../scripts/findings.py"


rule report_html:
    input:
        # the coprod modules this step runs: a change to them reruns it
        code=sources("report", shallow=("runner",)),
        figures=expand("results/figures/{stem}.png", stem=FIGURES),
        tables=expand("results/tables/{stem}.html", stem=[t for t in TABLES if t != "cleaning"]),
        cleaning_table="results/tables/cleaning.html",
        findings_table="results/tables/findings.html",
        findings_checked="results/tables/findings_check.csv",
        prevalence="results/descriptives/prevalence.csv",
        coefficients="results/models/coefficients.csv",
        fit="results/models/fit.csv",
        table="results/clean/survey.parquet",
        codebook=config["data"]["codebook"],
        # hashed in the methods section: the data, the codebook, the claims and the config
        hashed=[*raw_files(), config["data"]["codebook"], REPORT["findings"],
                *dict.fromkeys(str(f) for f in workflow.configfiles)],
    output:
        report("results/report.html", category="Report", caption="../report/report_html.rst"),
    params:
        config={k: config.get(k, {}) for k in ("data", "cleaning", "design", "models", "report")},
        figure_names=FIGURES,
        table_names=[t for t in TABLES if t != "cleaning"],
    threads: 1
    resources:
        mem_mb=lambda wc, input: 1000 + 50 * int(input.size_mb),
        runtime=20,
    benchmark:
        "results/benchmarks/report_html.tsv"
    log:
        "logs/report/report_html.log",
    conda:
        ENV
    script:
        "../../scripts/report.py"
