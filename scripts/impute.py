"""Snakemake adapter: one multiple-imputation chain (coprod.pipeline.stages.run_impute)."""
from coprod.pipeline.runner import run_rule
from coprod.pipeline.stages import run_impute


def main(sm):
    run_impute(table=sm.input.table, output=sm.output[0], variables=sm.params.variables,
               auxiliary=sm.params.auxiliary, group=sm.params.group, seed=sm.params.seed,
               n_imputations=sm.params.n_imputations, first=sm.params.first,
               burn_in=sm.params.burn_in, skip=sm.params.skip)


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
