"""Snakemake adapter: regenerate the synthetic raw files (logic in coprod.simulate)."""
from coprod.runner import run_rule
from coprod.simulate import write_survey


def main(sm):
    write_survey(sm.params.outdir, seed=sm.params.seed)


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
