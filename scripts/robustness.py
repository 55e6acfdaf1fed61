"""Snakemake adapter: the 0/1 models beside the ordinal and count models, and the binary cuts
of each ordinal outcome (coprod.report.robustness.run_robustness)."""
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.reportsettings import FigureSettings
from coprod.pipeline.runner import run_rule
from coprod.report.robustness import run_robustness


def main(sm):
    run_robustness(
        coefficients=sm.input.coefficients,
        fit=sm.input.fit,
        cuts=sm.input.cuts,
        tests=sm.input.tests,
        clean_table=sm.input.table,
        scales=sm.params.scales,
        families=sm.params.families,
        sample=sm.params.sample,
        covariates=sm.params.covariates,
        reference_levels=sm.params.reference_levels,
        levels=sm.params.levels,
        conf_level=sm.params.conf_level,
        digits=sm.params.digits,
        words=sm.params.words,
        figure_settings=FigureSettings.from_params(sm.params.figure_settings),
        design=DesignSettings.from_params(sm.params.get("design")),
        outputs=dict(sm.output.items()),
        latex=sm.params.get("latex"),
    )


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
