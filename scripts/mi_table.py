"""Snakemake adapter: complete-case and imputed models side by side
(coprod.report.robustness.run_mi_table)."""
from coprod.pipeline.runner import run_rule
from coprod.report.robustness import run_mi_table


def main(sm):
    run_mi_table(coefficients=sm.input.coefficients, fit=sm.input.fit,
                 coefficients_mi=sm.input.coefficients_mi, clean_table=sm.input.table,
                 outcomes=sm.params.outcomes, sample=sm.params.sample,
                 covariates=sm.params.covariates, reference_levels=sm.params.reference_levels,
                 levels=sm.params.levels, conf_level=sm.params.conf_level,
                 digits=sm.params.digits, words=sm.params.words, m=sm.params.m,
                 outputs=dict(sm.output.items()), notice=sm.params.notice,
                 per=sm.params.get("per"), latex=sm.params.get("latex"))


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
