"""Which reader a raw survey file needs: from the codebook's ``format:``, else its extension.

Why apart from :mod:`coprod.pipeline.io` (the reader itself): the start-up checks in the
Snakefile ask this of every raw file before any job runs, and the process that schedules the
jobs should not import pandas for it (every ``snakemake`` command would pay about 0.3 s).
"""
from __future__ import annotations

from pathlib import Path

from ..errors import DataError

#: file extension -> format (the readers of coprod.pipeline.io.read_raw)
FORMATS = {".sav": "sav", ".zsav": "sav", ".csv": "csv", ".tsv": "tsv", ".txt": "tsv",
           ".dta": "dta", ".parquet": "parquet", ".pq": "parquet"}


def file_format(path: str | Path, fmt: str | None = None) -> str:
    """``fmt`` when the codebook gives one, else the format of the file's extension; an
    unknown extension stops with the formats to choose from."""
    if fmt:
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DataError(
            f"{path}: cannot tell the file format from the extension '{suffix}'; "
            f"set `format:` to one of {sorted(set(FORMATS.values()))} in the codebook"
        )
    return FORMATS[suffix]
