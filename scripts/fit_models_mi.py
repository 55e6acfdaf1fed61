"""Snakemake adapter: every sample's models on every imputed dataset, combined by Rubin's
rules, then all samples' tables as one (coprod.pipeline.stages.run_models_mi_samples)."""
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.runner import run_rule
from coprod.pipeline.stages import run_models_mi_samples


def main(sm):
    tables = ("coefficients", "vcov", "effects")
    run_models_mi_samples(
        table=sm.input.table, imputed=list(sm.input.imputed), samples=sm.params.samples,
        outcomes=sm.params.outcomes, covariates=sm.params.covariates,
        reference_levels=sm.params.reference_levels,
        design=DesignSettings.from_params(sm.params.design), conf_level=sm.params.conf_level,
        families=sm.params.families, group_effects=sm.params.group_effects,
        outputs={s: {t: getattr(sm.output, t)[i] for t in tables}
                 for i, s in enumerate(sm.params.samples)},
        gathered={t: getattr(sm.output, f"{t}_all") for t in tables})


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
