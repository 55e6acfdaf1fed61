"""Snakemake adapter: every specification in one table, a curve per claim
(coprod.speccurve.run_speccurve)."""
from coprod.runner import run_rule
from coprod.speccurve import run_speccurve


def main(sm):
    run_speccurve(parts=list(sm.input.parts), output=sm.output.table,
                  figures={k: v for k, v in sm.output.items() if k != "table"},
                  claims=sm.params.claims, settings=sm.params.settings)


run_rule(snakemake, main)  # noqa: F821 - injected by Snakemake
