"""Snakemake adapter: combine the per-model tables (logic in coprod.pipeline.stages.run_gather)."""
from coprod.pipeline.runner import run_rule
from coprod.pipeline.stages import run_gather


def main(sm):
    run_gather(fits=list(sm.input.fits), contrast=list(sm.input.contrast),
               tables=sm.params.tables, outputs=dict(sm.output.items()))


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
