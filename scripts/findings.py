"""Snakemake adapter: the claims judged against the models (coprod.pipeline.findings), then
their display table (coprod.report.findings)."""
from coprod.pipeline.findings import judge_claims
from coprod.pipeline.runner import run_rule
from coprod.report.findings import write_findings_table


def main(sm):
    checked, sources = judge_claims(
        findings=sm.input.findings,
        coefficients=sm.input.coefficients,
        fit=sm.input.fit,
        contrast=sm.input.get("contrast"),
        outcomes=sm.params.outcomes,
        covariates=sm.params.covariates,
        samples=sm.params.samples,
        contrast_outcomes=sm.params.contrast_outcomes,
        levels=sm.params.levels,
        conf_level=sm.params.conf_level,
        checked_csv=sm.output.checked,
        group=sm.params.group,
        scales=sm.params.get("scales"),
        families=sm.params.get("families"),
        effects=sm.input.get("effects"),
        coefficients_mi=sm.input.get("coefficients_mi"),
        effects_mi=sm.input.get("effects_mi"),
        specifications=sm.input.get("specifications"),
    )
    write_findings_table(
        checked,
        sources,
        conf_level=sm.params.conf_level,
        digits=sm.params.digits,
        words=sm.params.words,
        outputs=dict(sm.output.items()),
        notice=sm.params.notice,
        latex=sm.params.get("latex"),
    )


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
