# Stage 3: descriptives, figures, tables, the findings check and the one-file HTML report.
# Every setting reaches its rule as a param, and figure settings only the figures rule, so
# changing a figure setting reruns the figures and the report, nothing upstream.
import os
import sys

from coprod.pipeline.designkeys import weighted
from coprod.pipeline.reportsettings import (
    ReportSettings,
    figure_names,
    robustness_names,
    table_names,
)


report: "../report/workflow.rst"


# checked at start-up with everything else (common.smk, coprod.pipeline.startup)
LEVELS = PROJECT["levels"]
REPORT = PROJECT["report"]
FINDINGS = REPORT["findings"]  # None: no findings check

FIGURES = figure_names(ReportSettings.from_params(REPORT))
FIGURE_FORMATS = REPORT["figures"]["formats"]
TABLES = table_names(
    ReportSettings.from_params(REPORT), contrast=bool(CONTRAST_SAMPLES)
)
# the descriptives' files: the prevalence of the 0/1 outcomes (every run of the full models
# writes it, its header alone without a 0/1 outcome), the variables described; a run without
# models or covariates writes each only when there is something in it
DESCRIPTIVES = {
    **(
        {"prevalence": res("descriptives/prevalence.csv")}
        if BINARY_OUTCOMES or PLAN == FULL
        else {}
    ),
    **(
        {"descriptives": res("descriptives/descriptives.csv")}
        if REPORT["descriptives"]["variables"]
        else {}
    ),
}
# csv: the table as shown; data: the same as tidy data (tables/<stem>.data.csv), the numbers
# at full precision in columns of their own; json: the table as data, which the report renders
TABLE_FORMATS = ["csv", "data", "tex", "html", "json"]
# the robustness section (models.scales): the 0/1 models beside the ordinal and count models
SCALES = PROJECT["scales"]
ROBUST = robustness_names(SCALES, PROJECT["families"])
# calibrated weights are weights even when the data came unweighted
WEIGHTED = weighted(SETTINGS.design)
MODEL_SETTINGS = {
    "design": design_params(),
    "grouping": {**GROUPING, "effects": config["models"]["group_effects"]},
    "words": REPORT["words"],
    "covariates": config["models"]["covariates"],
    "reference_levels": config["models"].get("reference_levels", {}),
    "levels": LEVELS,
}


# PNG figures and HTML tables also go into `snakemake --report results/report.zip`
FIGURE_OUTPUTS = {
    f"{s}_{f}": (
        in_report(
            res(f"figures/{s}.{f}"),
            category="Figures",
            caption="../report/figures.rst",
            labels={"figure": s},
        )
        if f == "png"
        else res(f"figures/{s}.{f}")
    )
    for s in FIGURES
    for f in FIGURE_FORMATS
}
TABLE_OUTPUTS = {
    f"{s}_{f}": (
        in_report(
            table_file(s, f),
            category="Tables",
            caption="../report/tables.rst",
            labels={"table": s},
        )
        if f == "html"
        else table_file(s, f)
    )
    for s in TABLES
    for f in TABLE_FORMATS
}


# only when there is something to describe (0/1 outcomes, variables)
if DESCRIPTIVES:

    rule descriptives:
        input:
            **design_inputs(),
            # the coprod modules this step runs: a change to them reruns it
            code=sources("pipeline.descriptives", shallow=("pipeline.runner",)),
            table=res("clean/survey.parquet"),
        output:
            **{
                k: report(
                    path,
                    category="Descriptives",
                    caption="../report/descriptives.rst",
                    labels={"table": k},
                )
                for k, path in DESCRIPTIVES.items()
            },
        log:
            logpath("report/descriptives.log"),
            timing=res("benchmarks/descriptives.tsv"),
        priority: PRIORITY["descriptives"]
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=lambda wc, input: 1000 + 100 * int(input.size_mb),
            runtime=lambda wc, input: 10 + 10 * int(input.size_mb),
        params:
            outcomes=BINARY_OUTCOMES,
            variables=REPORT["descriptives"]["variables"],
            design=design_params(),
            conf_level=config["models"]["conf_level"],
        script:
            "../../scripts/descriptives.py"


rule figures:
    input:
        # the files of what the run has (no model files without models, no prevalence
        # without 0/1 outcomes)
        **{k: v for k, v in DESCRIPTIVES.items() if k == "prevalence"},
        **model_inputs("coefficients", "predictions", "fit"),
        # the coprod modules this step runs: a change to them reruns it
        code=sources("report.figures", shallow=("pipeline.runner",)),
        cleaning_summary=res("clean/cleaning_summary.csv"),
        table=res("clean/survey.parquet"),
    output:
        **FIGURE_OUTPUTS,
    log:
        logpath("report/figures.log"),
        timing=res("benchmarks/figures.tsv"),
    priority: PRIORITY["figures"]
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda wc, input: 1000 + 50 * int(input.size_mb),
        runtime=20,
    params:
        **MODEL_SETTINGS,
        settings=REPORT["figures"],
        conf_level=config["models"]["conf_level"],
        subject=REPORT["subject"],
        weighted=WEIGHTED,
    script:
        "../../scripts/figures.py"


rule tables:
    input:
        # the files of what the run has (no model files without models)
        **{k: v for k, v in DESCRIPTIVES.items() if k == "descriptives"},
        **model_inputs("coefficients", "fit", "excluded", "contrast", "tests", "ame"),
        # the coprod modules this step runs: a change to them reruns it
        code=sources("report.tables", shallow=("pipeline.runner",)),
        cleaning_summary=res("clean/cleaning_summary.csv"),
        table=res("clean/survey.parquet"),
    output:
        **TABLE_OUTPUTS,
    log:
        logpath("report/tables.log"),
        timing=res("benchmarks/tables.tsv"),
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda wc, input: 1000 + 50 * int(input.size_mb),
        runtime=20,
    params:
        **MODEL_SETTINGS,
        settings=REPORT["tables"],
        subject=REPORT["subject"],
        contrast_outcomes=config["models"].get("contrast", []),
        # the average-marginal-effects table: the compared outcomes in the forest sample
        compare=REPORT["figures"]["compare"],
        ame_sample=REPORT["figures"]["forest_sample"],
        conf_level=config["models"]["conf_level"],
        weighted=WEIGHTED,
    script:
        "../../scripts/tables.py"


# only when report.findings names a file
if FINDINGS:

    rule findings:
        input:
            **(
                {
                    "coefficients_mi": res("models/coefficients_mi.csv"),
                    "effects_mi": res("models/effects_mi.csv"),
                }
                if MI
                else {}
            ),
            **(
                {"specifications": res("models/specifications.csv")}
                if SPEC_CLAIMS
                else {}
            ),
            # (the contrast test's file: with models.contrast)
            **model_inputs("coefficients", "effects", "fit", "contrast"),
            # the coprod modules this step runs: a change to them reruns it
            code=sources(
                "pipeline.findings", "report.findings", shallow=("pipeline.runner",)
            ),
            findings=REPORT["findings"],
        output:
            checked=res("tables/findings_check.csv"),
            csv=res("tables/findings.csv"),
            data=table_file("findings", "data"),
            tex=res("tables/findings.tex"),
            html=report(
                res("tables/findings.html"),
                category="Findings check",
                caption="../report/findings.rst",
            ),
            json=res("tables/findings.json"),
        log:
            logpath("report/findings.log"),
            timing=res("benchmarks/findings.tsv"),
        # only joins small result tables: on a cluster it runs where Snakemake runs
        localrule: True
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            outcomes=BINARY_OUTCOMES,
            covariates=config["models"]["covariates"],
            samples=SAMPLE_LIST,
            contrast_outcomes=config["models"].get("contrast", []),
            levels=LEVELS,
            conf_level=config["models"]["conf_level"],
            digits=REPORT["tables"]["digits"],
            words=REPORT["words"],
            notice=REPORT["notice"],
            latex=REPORT["tables"]["latex"],
            group=GROUPING["column"],
            scales=SCALES,
            families=PROJECT["families"],
        script:
            "../../scripts/findings.py"


rule report_html:
    input:
        **(
            {
                "findings_table": res("tables/findings.json"),
                "findings_checked": res("tables/findings_check.csv"),
            }
            if FINDINGS
            else {}
        ),
        **({"cuts": res("models/cuts.csv")} if ROBUST["tables"] else {}),
        **({"imputation_table": res("tables/imputation.json")} if MI else {}),
        **design_inputs(),
        # the files of what the run has (no model files without models, no prevalence
        # without 0/1 outcomes)
        **{k: v for k, v in DESCRIPTIVES.items() if k == "prevalence"},
        **model_inputs("coefficients", "fit", "excluded", "contrast", "effects", "ame"),
        # hashed in the methods section: the data, the codebook, the claims and the config
        # the coprod modules this step runs: a change to them reruns it
        code=sources(
            "report.report", "pipeline.designconfig", shallow=("pipeline.runner",)
        ),
        # the page's template and style sheet (package data, not modules)
        templates=sorted(
            os.path.relpath(p)
            for p in (
                coprod.pipeline.sources.PACKAGE / "report" / "templates"
            ).iterdir()
        ),
        figures=expand(res("figures/{stem}.png"), stem=FIGURES),
        # the tables as data (their JSON), which the report renders
        tables=expand(
            res("tables/{stem}.json"), stem=[t for t in TABLES if t != "cleaning"]
        ),
        cleaning_table=res("tables/cleaning.json"),
        robustness_tables=expand(res("tables/{stem}.json"), stem=ROBUST["tables"]),
        robustness_figures=expand(res("figures/{stem}.png"), stem=ROBUST["figures"]),
        spec_figures=expand(res("figures/spec_{c}.png"), c=list(SPEC_CLAIMS)),
        cleaning_summary=res("clean/cleaning_summary.csv"),
        table=res("clean/survey.parquet"),
        codebook=config["data"]["codebook"],
        hashed=[
            *raw_files(),
            config["data"]["codebook"],
            *([FINDINGS] if FINDINGS else []),
            *design_inputs().values(),
            *dict.fromkeys(os.path.relpath(f) for f in workflow.configfiles),
        ],
    output:
        report(
            res("report.html"), category="Report", caption="../report/report_html.rst"
        ),
    log:
        logpath("report/report_html.log"),
        timing=res("benchmarks/report_html.tsv"),
    # only joins small result tables: on a cluster it runs where Snakemake runs
    localrule: True
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda wc, input: 1000 + 50 * int(input.size_mb),
        runtime=20,
    params:
        config={
            k: config.get(k, {})
            for k in ("data", "cleaning", "design", "models", "report", "groups")
        },
        # the report settings the start-up checks resolved (coprod.pipeline.reportsettings)
        report=REPORT,
        # the keys an empty models.outcomes or models.covariates set aside, said in the report
        set_aside=[list(kv) for kv in SETTINGS.set_aside],
        grouping={**GROUPING, "effects": config["models"]["group_effects"]},
        figure_names=FIGURES,
        table_names=[t for t in TABLES if t != "cleaning"],
    script:
        "../../scripts/report.py"
