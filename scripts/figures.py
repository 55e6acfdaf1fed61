"""Snakemake adapter: every figure as PNG and PDF (coprod.report.figures.run_figures)."""
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.reportsettings import FigureSettings
from coprod.pipeline.runner import run_rule
from coprod.report.figures import run_figures
from coprod.report.wording import Grouping


def main(sm):
    run_figures(
        # (a model file only when the run has it: none without models)
        prevalence=sm.input.get("prevalence"),
        coefficients=sm.input.get("coefficients"),
        predictions=sm.input.get("predictions"),
        fit=sm.input.get("fit"),
        cleaning_summary=sm.input.cleaning_summary,
        clean_table=sm.input.table,
        settings=FigureSettings.from_params(sm.params.settings),
        words=sm.params.words,
        covariates=sm.params.covariates,
        reference_levels=sm.params.reference_levels,
        levels=sm.params.levels,
        conf_level=sm.params.conf_level,
        subject=sm.params.subject,
        weighted=sm.params.weighted,
        design=DesignSettings.from_params(sm.params.get("design")),
        grouping=Grouping.from_params(sm.params.get("grouping")),
        outputs=dict(sm.output.items()),
    )


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
