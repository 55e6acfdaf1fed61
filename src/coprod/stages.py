"""One function per pipeline stage: plain paths and settings in, files out.

The Snakemake adapters in ``scripts/`` only unpack ``snakemake.input/params/output`` and call
these, so every stage can be run and tested without Snakemake.
"""
from __future__ import annotations

import logging

from . import clean as _clean
from .codebook import load_codebook
from .io import write_csv, write_table, write_text

log = logging.getLogger("coprod.stages")


def run_clean(*, codebook, threshold, table, log_csv, summary_csv, summary_md, root=".",
              invalid_weight="drop"):
    cb = load_codebook(codebook)
    data, clog = _clean.clean_survey(cb, root=root, threshold=threshold,
                                     invalid_weight=invalid_weight)
    summary = _clean.summarise_log(clog)
    if not summary["balanced"].all():  # cannot happen unless the cleaning code is wrong
        raise RuntimeError(f"row accounting does not balance:\n{summary}")
    write_csv(clog, log_csv)
    write_csv(summary, summary_csv)
    write_text(summary_md, _clean.summary_markdown(clog))
    write_table(data, table, _clean.table_metadata(cb, threshold))
    log.info("clean table: %d rows, %d columns", len(data), data.shape[1])
    for _, r in summary.iterrows():
        log.info("%s: read %d, kept %d", r["country"], r["read"], r["kept"])


def run_fit(*, table, outcome, sample, covariates, reference_levels, design, conf_level, grids,
            outputs: dict):
    """Fit one model and write its tidy tables; a model that cannot be fitted is marked failed."""
    from .io import read_table
    from .models import fit_model

    data = read_table(table)
    tables = fit_model(data, outcome=outcome, sample=sample, covariates=list(covariates),
                       reference_levels=dict(reference_levels), design=dict(design),
                       conf_level=conf_level, grids={k: dict(v) for k, v in dict(grids).items()},
                       labels=data.attrs.get("labels", {}))
    status = tables["fit"]["status"].iloc[0]
    if status == "failed":
        import sys

        print(f"coprod [fit_model] warning: {outcome} / {sample} could not be estimated: "
              f"{tables['fit']['message'].iloc[0]}", file=sys.stderr)
    for name, path in outputs.items():
        write_csv(tables[name], path)
    log.info("%s / %s: %s", outcome, sample, status)


def run_contrast(*, table, sample, outcomes, covariates, reference_levels, design, conf_level,
                 output):
    """Test whether each covariate's effect differs between the two outcomes (one sample)."""
    from .io import read_table
    from .models import contrast_sample

    data = read_table(table)
    result = contrast_sample(data, sample=sample, outcomes=list(outcomes),
                             covariates=list(covariates),
                             reference_levels=dict(reference_levels), design=dict(design),
                             conf_level=conf_level, labels=data.attrs.get("labels", {}))
    write_csv(result, output)


def run_gather(*, fits, contrast, tables, outputs: dict):
    """Combine per-model tables in the config's order, so reruns are byte-identical."""
    import pandas as pd

    for t in tables:
        parts = [pd.read_csv(f, keep_default_na=False, na_values=[""]) for f in fits
                 if f.endswith(f"/{t}.csv")]
        parts = [p for p in parts if len(p)]
        combined = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        write_csv(combined, outputs[t])
    parts = [pd.read_csv(f, keep_default_na=False, na_values=[""]) for f in contrast]
    parts = [p for p in parts if len(p)]
    write_csv(pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(), outputs["contrast"])
