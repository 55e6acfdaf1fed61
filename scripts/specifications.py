"""Snakemake adapter: one share of a sample's specifications
(coprod.pipeline.speccurve.run_specifications)."""
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.runner import run_rule
from coprod.pipeline.settings import Specifications
from coprod.pipeline.speccurve import run_specifications


def main(sm):
    p = sm.params
    run_specifications(table=sm.input.table, codebook=sm.input.codebook,
                       findings=sm.input.findings, imputed=list(sm.input.imputed),
                       sample=p.sample, dims=Specifications.from_params(p.dims),
                       covariates=p.covariates,
                       reference_levels=p.reference_levels,
                       design=DesignSettings.from_params(p.design),
                       conf_level=p.conf_level, threshold=p.threshold, scales=p.scales,
                       families=p.families, outcomes=p.outcomes, samples=p.samples,
                       levels=p.levels, group=p.group, output=sm.output[0],
                       n_imputations=p.n_imputations, chunk=int(p.chunk), chunks=p.chunks)


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
