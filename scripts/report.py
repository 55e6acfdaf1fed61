"""Snakemake adapter: the one-file HTML report (coprod.report.report.run_report), with the
calibration's weights summarised by the pipeline (coprod.pipeline.designconfig.design_weights)."""
from coprod.pipeline.codebook import load_codebook
from coprod.pipeline.designconfig import design_weights
from coprod.pipeline.reportsettings import ReportSettings
from coprod.pipeline.runner import run_rule
from coprod.pipeline.settings import Settings
from coprod.report.report import run_report
from coprod.report.wording import Grouping


def main(sm):
    # the config's sections as the start-up checks filled them in (the rule's params: a change
    # reruns the report)
    settings = Settings.from_filled(sm.params.config, load_codebook(sm.input.codebook))
    run_report(
        settings=settings,
        # and the report settings they resolved
        report=ReportSettings.from_params(sm.params.report),
        # absent when report.findings is null: the report then has no findings section
        findings_checked=sm.input.get("findings_checked"),
        findings_table=sm.input.get("findings_table"),
        # (each model file, and the prevalence, only when the run has it)
        prevalence=sm.input.get("prevalence"),
        coefficients=sm.input.get("coefficients"),
        contrast=sm.input.get("contrast"),
        fit=sm.input.get("fit"),
        excluded=sm.input.get("excluded"),
        figures=dict(zip(sm.params.figure_names, sm.input.figures)),
        tables=dict(zip(sm.params.table_names, sm.input.tables)),
        cleaning_table=sm.input.cleaning_table,
        clean_table=sm.input.table,
        hashed=list(sm.input.hashed),
        grouping=Grouping.from_params(sm.params.get("grouping")),
        robustness_tables=list(sm.input.robustness_tables),
        robustness_figures=list(sm.input.robustness_figures),
        cuts=sm.input.get("cuts"),
        imputation_table=sm.input.get("imputation_table"),
        spec_figures=list(sm.input.spec_figures),
        ame=sm.input.get("ame"),
        effects=sm.input.get("effects"),
        cleaning_summary=sm.input.get("cleaning_summary"),
        # the keys an empty models.outcomes or models.covariates set aside
        set_aside=sm.params.get("set_aside") or (),
        # the weights before and after calibration, summarised by the pipeline (None without)
        weights=design_weights(settings.design, sm.input.table),
        output=sm.output[0],
    )


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
