"""Snakemake adapter: descriptive, model, contrast and cleaning tables
(coprod.report.tables.run_tables)."""
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.reportsettings import TableSettings
from coprod.pipeline.runner import run_rule
from coprod.report.tables import run_tables
from coprod.report.wording import Grouping


def main(sm):
    run_tables(
        # (a model file only when the run has it: none without models)
        descriptives=sm.input.get("descriptives"),
        coefficients=sm.input.get("coefficients"),
        fit=sm.input.get("fit"),
        excluded=sm.input.get("excluded"),
        contrast=sm.input.get("contrast"),
        cleaning_summary=sm.input.cleaning_summary,
        clean_table=sm.input.table,
        settings=TableSettings.from_params(sm.params.settings),
        words=sm.params.words,
        covariates=sm.params.covariates,
        reference_levels=sm.params.reference_levels,
        levels=sm.params.levels,
        contrast_outcomes=sm.params.contrast_outcomes,
        conf_level=sm.params.conf_level,
        weighted=sm.params.weighted,
        design=DesignSettings.from_params(sm.params.get("design")),
        grouping=Grouping.from_params(sm.params.get("grouping")),
        subject=sm.params.get("subject"),
        outputs=dict(sm.output.items()),
        tests=sm.input.get("tests"),
        ame=sm.input.get("ame"),
        compare=sm.params.get("compare") or (),
        ame_sample=sm.params.get("ame_sample"),
    )


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
