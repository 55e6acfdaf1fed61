"""Snakemake adapter: clean the raw files (logic in coprod.pipeline.stages.run_clean)."""
from coprod.pipeline.runner import run_rule
from coprod.pipeline.stages import run_clean


def main(sm):
    run_clean(
        codebook=sm.input.codebook,
        threshold=sm.params.threshold,
        invalid_weight=sm.params.invalid_weight,
        group_column=sm.params.group_column,
        group_label=sm.params.group_label,
        table=sm.output.table,
        log_csv=sm.output.log_csv,
        summary_csv=sm.output.summary_csv,
        summary_md=sm.output.summary_md,
    )


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
