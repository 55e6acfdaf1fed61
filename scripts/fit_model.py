"""Snakemake adapter: fit one (outcome, sample) model (logic in coprod.stages.run_fit)."""
from coprod.runner import run_rule
from coprod.stages import run_fit


def main(sm):
    run_fit(
        table=sm.input.table,
        outcome=sm.wildcards.outcome,
        sample=sm.params.sample,
        covariates=sm.params.covariates,
        reference_levels=sm.params.reference_levels,
        design=sm.params.design,
        conf_level=sm.params.conf_level,
        grids=sm.params.grids,
        outputs=dict(sm.output.items()),
    )


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
