"""Everything checked before any job runs, in one function the Snakefile calls (and the tests
call without Snakemake).

Why before: a config, codebook or claims file that cannot work should stop the run at once,
with one line per problem naming the key, file or value, not an hour later in the first job
that reads it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .codebook import check_files, load_codebook
from .config import (
    binary_outcomes,
    check_config,
    check_config_schema,
    column_levels,
    effective_scales,
    outcome_families,
    sample_slugs,
    specification_notes,
)
from .errors import ConfigError
from .names import group_label


def check_project(config: dict, validate=None) -> dict:
    """Check the config, the codebook, the raw files, the results folder, the report settings
    and the claims; return what the rules need. ``validate``: Snakemake's schema validation,
    which also fills in the defaults (called after coprod's own, friendlier, schema check).

    Returns {codebook, grouping, samples (slug -> name), levels, report, families (outcome ->
    model family), scales (models.scales for the outcomes modelled)}; raises CoprodError.
    """
    from .findings import check_claims, load_claims
    from .report import report_settings

    check_config_schema(config)
    if validate is not None:
        validate(config)
    codebook = load_codebook(config["data"]["codebook"])
    check_config(config, codebook)
    check_files(codebook, where=config["data"]["codebook"])
    writable(os.path.normpath(str(config.get("results", "results"))))
    groups = config.get("groups") or {}
    column = groups.get("column") or "group"
    grouping = {"column": column, "label": group_label(groups.get("label"), codebook, column)}
    samples = sample_slugs(config["models"]["samples"])
    levels = column_levels(codebook, column)
    report = report_settings(config, levels)
    if report["findings"]:  # claims the models cannot answer stop here
        check_claims(load_claims(report["findings"]), outcomes=binary_outcomes(config["models"]),
                     covariates=config["models"]["covariates"], samples=list(samples.values()),
                     contrast=config["models"].get("contrast"), levels=levels, group=column)
    scales, notes = effective_scales(config["models"])
    notes += specification_notes(config)
    for note in notes:  # said, not silent: a narrowed run leaves some comparisons out
        print(f"coprod note: {note}", file=sys.stderr)
    return {"codebook": codebook, "grouping": grouping, "samples": samples, "levels": levels,
            "report": report, "families": outcome_families(config["models"]["outcomes"]),
            "scales": scales}


def writable(folder: str) -> None:
    """The results folder can be written (a file in its place, or no permission, stops)."""
    p = Path(folder)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"cannot write results: '{folder}' exists and is not a folder")
    probe = p.resolve()
    while not probe.exists():  # results/nhanes before results/ exists: the nearest folder
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise ConfigError(f"cannot write results: no write permission for '{probe}'")
