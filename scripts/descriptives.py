"""Snakemake adapter: weighted prevalence and descriptives by group
(coprod.pipeline.descriptives)."""
from coprod.pipeline.descriptives import run_descriptives
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.runner import run_rule


def main(sm):
    run_descriptives(
        table=sm.input.table,
        outcomes=sm.params.outcomes,
        variables=sm.params.variables,
        design=DesignSettings.from_params(sm.params.design),
        conf_level=sm.params.conf_level,
        # each only when there is something in it (0/1 outcomes; variables to describe)
        prevalence_csv=sm.output.get("prevalence"),
        descriptives_csv=sm.output.get("descriptives"),
    )


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
