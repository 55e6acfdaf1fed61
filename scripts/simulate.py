"""Snakemake adapter: regenerate the synthetic raw files (logic in coprod.pipeline.simulate)."""
import json

from coprod.pipeline.io import write_text
from coprod.pipeline.runner import run_rule
from coprod.pipeline.simulate import write_survey


def main(sm):
    record = write_survey(sm.params.outdir, seed=sm.params.seed)
    write_text(sm.output.quirks, json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
