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
from typing import TYPE_CHECKING

from ..errors import ConfigError, clip
from ..names import group_label
from .codebook import check_files
from .config import (
    check_config,
    column_levels,
    effective_scales,
    outcome_families,
    sample_slugs,
    slug,
    specification_notes,
)
from .modelplan import NO_MODELS, plan_note
from .paths import name_error, results_error
from .yamlfile import load_yaml
from .yamlwords import file_words

if TYPE_CHECKING:
    from .settings import Models

#: the environment variable that lets a config file use YTE templating (Python in the file)
ALLOW_YTE = "COPROD_ALLOW_YTE"


def check_project(config: dict, configfiles=(), sources=None) -> dict:
    """Check the config files, the config, the codebook, the raw files, the results folder,
    the report settings and the claims; return what the rules need. ``config``: Snakemake's,
    checked against the schema and its defaults filled in, in place (the rules read it),
    by :func:`coprod.pipeline.settings.load_settings`. ``configfiles``: the files Snakemake
    read the config from (checked first, by coprod's YAML reader: before anything walks the
    config they made). ``sources``: every file the config was read from, the bundled one
    too (Snakemake's ``workflow.configfiles``; default ``configfiles``), read again for the
    words YAML made true/false, to name one where text is meant as written (``ON``).

    Returns {settings (the typed, frozen :class:`~coprod.pipeline.settings.Settings`),
    codebook, grouping, samples (slug -> name), levels, report, families (outcome -> model
    family), scales (models.scales for the outcomes modelled), plan (what is modelled:
    :mod:`coprod.pipeline.modelplan`)}; raises CoprodError.
    """
    from .claims import check_claims, load_claims
    from .reportsettings import report_settings
    from .settings import load_settings

    for path in configfiles:
        check_config_file(path)
    sources = list(configfiles if sources is None else sources)
    settings = load_settings(config, in_place=True, written=lambda: file_words(sources))
    results = settings.results
    bad = results_error(results, outside_ok=settings.results_outside)
    if bad:
        raise ConfigError(bad)
    codebook, m = settings.codebook, settings.models
    check_config(settings)
    bad_names = path_name_errors(m)
    if bad_names:
        raise ConfigError("\n".join(bad_names))
    check_files(codebook, where=settings.data.codebook)
    writable(os.path.normpath(str(results)))
    if settings.results_outside and not os.path.abspath(str(results)).startswith(
            os.path.abspath(".") + os.sep):
        print(f"coprod note: results go outside the project, to "
              f"{os.path.abspath(str(results))} (results_outside: true)", file=sys.stderr)
    column = settings.group_column
    grouping = {"column": column,
                "label": group_label(settings.groups.label, codebook.group_label, column)}
    samples = sample_slugs(m.samples)
    levels = column_levels(codebook, column)
    report = report_settings(settings, levels)
    if m.plan == NO_MODELS and not report["descriptives"]["variables"]:
        raise ConfigError("config: models.outcomes is empty and there is nothing to describe "
                          "(models.covariates is empty too, report.descriptives.variables is "
                          "null): name the variables to describe in "
                          "report.descriptives.variables, or outcomes to model")
    if report["findings"]:  # claims the models cannot answer stop here
        claims = load_claims(report["findings"])
        bad_names = claim_name_errors(settings.specifications, claims["claims"],
                                      report["findings"])
        if bad_names:
            raise ConfigError("\n".join(bad_names))
        check_claims(claims, outcomes=m.binary, covariates=list(m.covariates),
                     samples=list(samples.values()),
                     contrast=list(m.contrast) if m.contrast is not None else None,
                     levels=levels, group=column, families=m.families)
    scales, notes = effective_scales(m)
    notes += specification_notes(settings)
    # an empty models.outcomes or models.covariates, and the keys it set aside
    notes = [n for n in [plan_note(m.plan, list(settings.set_aside))] if n] + notes
    for note in notes:  # said, not silent: a narrowed run leaves some comparisons out
        print(f"coprod note: {note}", file=sys.stderr)
    return {"settings": settings, "codebook": codebook, "grouping": grouping,
            "samples": samples, "levels": levels, "report": report, "families": m.families,
            "scales": scales, "plan": m.plan}


def check_config_file(path) -> dict:
    """A config file Snakemake reads, read again by coprod's one YAML reader (size, folder or
    device, encoding, alias bombs, nesting, duplicate keys), and refused when it turns on YTE
    templating (``__use_yte__: true``): Snakemake then runs the Python in the file, even for
    ``snakemake -n``. Opting in is an environment variable, not a key a file could set
    itself: ``COPROD_ALLOW_YTE=1``."""
    data = load_yaml(path)
    if data.get("__use_yte__") and os.environ.get(ALLOW_YTE) != "1":
        raise ConfigError(f"{path}: __use_yte__: true makes Snakemake run the Python in this "
                          "file (YTE templating); coprod refuses a config that is code. To run "
                          f"it on purpose, set {ALLOW_YTE}=1 in the environment")
    return data


def path_name_errors(m: Models) -> list[str]:
    """Every name of the config that becomes part of a result's path, against the one rule of
    coprod.pipeline.paths (samples go into paths as slugs, so only their length can fail)."""
    errs = [name_error(o, "config: models.outcomes", "results/models/fits/<outcome>/")
            for o in outcome_families(m.outcomes)]
    errs += [name_error(g, "config: models.predictions",
                        "results/figures/predictions_<grid>.png")
             for g in m.predictions]
    errs += [name_error(slug, "config: models.samples", f"the results' name for '{name}'")
             for slug, name in sample_slugs(m.samples).items()]
    return [e for e in errs if e]


def claim_name_errors(specifications, claims: list, where) -> list[str]:
    """The specification curve draws a figure per claim, named by a slug of its id
    (figures/spec_<slug>.png): each must be a file name, and no two claims may share one (the
    second would silently replace the first). ``specifications``: config specifications."""
    if not {k for k in specifications or {} if k not in ("imputations", "chunks")}:
        return []
    errs: list[str | None] = []
    seen: dict[str, str] = {}
    for c in claims:
        if not isinstance(c, dict) or "id" not in c or c.get("compared_with"):
            continue
        cid, s = str(c["id"]), slug(str(c["id"]))
        if s in seen:
            errs.append(f"{where}: claims '{clip(seen[s])}' and '{clip(cid)}' would share the "
                        f"file figures/spec_{clip(s)}.png; give one another id")
        seen[s] = cid
        errs.append(name_error(s, f"{where}: claim '{clip(cid)}'",
                               "results/figures/spec_<id>.png"))
    return [e for e in errs if e]


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
