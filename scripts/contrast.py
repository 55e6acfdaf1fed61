"""Snakemake adapter: the individual-vs-collective contrast test for one sample."""
from coprod.runner import run_rule
from coprod.stages import run_contrast


def main(sm):
    run_contrast(
        table=sm.input.table,
        sample=sm.params.sample,
        outcomes=sm.params.outcomes,
        covariates=sm.params.covariates,
        reference_levels=sm.params.reference_levels,
        design=sm.params.design,
        conf_level=sm.params.conf_level,
        output=sm.output[0],
    )


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
