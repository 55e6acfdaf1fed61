"""Snakemake adapter: the imputed models of every sample in one table
(coprod.pipeline.stages.run_gather_mi)."""
from coprod.pipeline.runner import run_rule
from coprod.pipeline.stages import run_gather_mi


def main(sm):
    run_gather_mi(parts=list(sm.input.parts), output=sm.output.coefficients,
                  vcov_parts=list(sm.input.vcov), vcov_output=sm.output.vcov,
                  effects_parts=list(sm.input.effects), effects_output=sm.output.effects)


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
