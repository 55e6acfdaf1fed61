"""Snakemake adapter: a specification curve per claim (coprod.report.speccurve.run_speccurve)."""
from coprod.pipeline.reportsettings import FigureSettings
from coprod.pipeline.runner import run_rule
from coprod.report.speccurve import run_speccurve


def main(sm):
    run_speccurve(table=sm.input.table, figures=dict(sm.output.items()),
                  claims=sm.params.claims, settings=FigureSettings.from_params(sm.params.settings))


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
