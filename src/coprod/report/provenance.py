"""What the report says about how it was made: the checksum of each input, the versions of the
software, the run date.

Why apart from the stage: provenance is what makes two reports comparable years later (the run
date is the one element two runs on the same inputs may differ in, and ``SOURCE_DATE_EPOCH``
fixes it), kept in one small module a reader can audit.
"""
from __future__ import annotations

import hashlib
import platform
from datetime import UTC, datetime
from importlib import metadata

SOFTWARE = ["pandas", "numpy", "scipy", "statsmodels", "matplotlib", "snakemake", "pyarrow",
            "coprod"]


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def software_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in SOFTWARE:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_date_now() -> str:
    """Now, in UTC; or SOURCE_DATE_EPOCH when set (then two runs give identical files)."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.fromtimestamp(int(epoch), UTC) if epoch and epoch.isdigit()
            else datetime.now(UTC))
    return when.strftime("%Y-%m-%d %H:%M UTC")
