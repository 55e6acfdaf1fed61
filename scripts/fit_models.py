"""Snakemake adapter: fit the models of one sample, then its contrast test
(logic in coprod.pipeline.stages.run_models)."""
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.runner import run_rule
from coprod.pipeline.stages import fit_output_paths, run_models


def main(sm):
    run_models(
        table=sm.input.table,
        sample=sm.params.sample,
        outcomes=sm.params.outcomes,
        covariates=sm.params.covariates,
        reference_levels=sm.params.reference_levels,
        design=DesignSettings.from_params(sm.params.design),
        group_effects=sm.params.group_effects,
        conf_level=sm.params.conf_level,
        grids=sm.params.grids,
        contrast_outcomes=sm.params.contrast,
        outputs=fit_output_paths(sm.output.fits, sm.params.outcomes, sm.params.tables),
        contrast_output=sm.output.get("contrast"),
        families=sm.params.families,
        joint_tests=sm.params.joint_tests,
    )


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
