"""Snakemake adapter: fit the models of one sample, or of every sample in one job (config
models.jobs), then each sample's contrast test, and in the one job the combined tables (logic in
coprod.pipeline.stages.run_models and run_models_together)."""
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.runner import run_rule
from coprod.pipeline.stages import (
    fit_output_paths,
    fit_output_paths_by_sample,
    run_models,
    run_models_together,
)


def main(sm):
    p = sm.params
    common = dict(
        table=sm.input.table,
        outcomes=p.outcomes,
        covariates=p.covariates,
        reference_levels=p.reference_levels,
        design=DesignSettings.from_params(p.design),
        group_effects=p.group_effects,
        conf_level=p.conf_level,
        grids=p.grids,
        contrast_outcomes=p.contrast,
        families=p.families,
        joint_tests=p.joint_tests,
    )
    if "samples" not in p.keys():  # one job a sample
        run_models(sample=p.sample,
                   outputs=fit_output_paths(sm.output.fits, p.outcomes, p.tables),
                   contrast_output=sm.output.get("contrast"), **common)
        return
    contrast = list(sm.output.get("contrast") or [])
    combined = {k.removeprefix("combined_"): v for k, v in sm.output.items()
                if k.startswith("combined_")}
    run_models_together(
        samples=p.samples,
        outputs=fit_output_paths_by_sample(sm.output.fits, p.samples, p.outcomes, p.tables),
        contrast_outputs=dict(zip(p.samples, contrast)) if contrast else None,
        combined=combined,
        **common,
    )


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
