"""Snakemake adapter: every sample's specifications in one table
(coprod.pipeline.stages.run_gather_tables)."""
from coprod.pipeline.runner import run_rule
from coprod.pipeline.stages import run_gather_tables


def main(sm):
    run_gather_tables(parts=list(sm.input.parts), output=sm.output[0])


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
