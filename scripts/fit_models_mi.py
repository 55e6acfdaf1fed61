"""Snakemake adapter: one sample's models on every imputed dataset, combined by Rubin's rules
(coprod.pipeline.stages.run_models_mi)."""
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.runner import run_rule
from coprod.pipeline.stages import run_models_mi


def main(sm):
    run_models_mi(table=sm.input.table, imputed=list(sm.input.imputed),
                  sample=sm.params.sample, outcomes=sm.params.outcomes,
                  covariates=sm.params.covariates, reference_levels=sm.params.reference_levels,
                  design=DesignSettings.from_params(sm.params.design),
                  conf_level=sm.params.conf_level,
                  families=sm.params.families, group_effects=sm.params.group_effects,
                  output=sm.output.coefficients, vcov_output=sm.output.vcov,
                  effects_output=sm.output.effects)


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
