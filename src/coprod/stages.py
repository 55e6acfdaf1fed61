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


def run_clean(*, codebook, threshold, table, log_csv, summary_csv, summary_md, root="."):
    cb = load_codebook(codebook)
    data, clog = _clean.clean_survey(cb, root=root, threshold=threshold)
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
