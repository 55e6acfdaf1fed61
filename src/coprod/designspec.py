"""The ``design:`` section of a config in words: which keys need which others, and the variance
a design implies.

Why apart from :mod:`coprod.design`: the Snakefile checks the config at start-up, before any
job runs, and that check must not import numpy or pandas (half a second per Snakemake start);
:func:`coprod.design.make_design` raises the same messages for callers of the library.
"""
from __future__ import annotations


def key_errors(design: dict) -> list[str]:
    """The design keys set without the keys they need, one message each; shared by
    :func:`make_design` and the config check (which reports them before any data is read)."""
    ssu, fpc2 = design.get("ssu"), design.get("fpc2")
    errors = []
    if ssu and not design.get("psu"):
        errors.append(f"design.ssu: {ssu!r} names second-stage units, which need first-stage "
                      "clusters: set design.psu too")
    if fpc2 and not ssu:
        errors.append(f"design.fpc2: {fpc2!r} gives second-stage population sizes, which need "
                      "second-stage units: set design.ssu (and design.psu) too")
    if fpc2 and not design.get("fpc"):
        errors.append(f"design.fpc2: {fpc2!r} needs design.fpc too: without first-stage "
                      "population sizes the first stage is with replacement and the second "
                      "stage adds nothing (R cannot express this design either)")
    return errors


def variance_kind(*, fpc: bool, ssu: bool) -> str:
    """The Taylor variance a design implies, in words (R's rules: a second stage counts only
    with first-stage population sizes)."""
    if not fpc:
        return "with-replacement design: ultimate clusters"
    if ssu:
        return ("two-stage design without replacement: between-PSU and within-PSU "
                "components with finite-population corrections")
    return "design without replacement: finite-population correction at the first stage"
