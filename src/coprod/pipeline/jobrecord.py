"""A job's timing record (``results/benchmarks/<rule>.tsv``): the wall and CPU seconds, peak
memory and I/O of the rule's own process, written by the job itself as it ends.

Why not Snakemake's ``benchmark:`` directive: Snakemake measures a job by sampling its process
tree with psutil from Snakemake's main process, every 0.5 s for a job's first 15 s, and each
sample reads ``/proc/<pid>/smaps_rollup`` (``memory_full_info``: the kernel walks the process's
page tables). On the bundled run (20 jobs of 0.5-7 s) that sampling was about 1.3 s of the main
process's 3.8 s of CPU, taken from the same two cores the jobs run on; and a sample every 0.5 s
misses a job's last moments, so its CPU figure was a lower bound and its peak memory could miss
the peak. The kernel keeps the exact figures of every process (``getrusage``; ``/proc/self``), so
the job reads them once, at its end: exact, and free.

The columns are Snakemake's (``s``, ``h:m:s``, ``max_rss``, ``max_vms``, ``max_uss``,
``max_pss``, ``io_in``, ``io_out``, ``mean_load``, ``cpu_time``; memory and I/O in MiB), so
whatever reads those files keeps working; ``max_uss`` and ``max_pss`` are ``NA`` (only sampling
could tell them). A rule names its record as a log (``log: ..., timing=res("benchmarks/...")``),
not as an output: a timing is not a result (deleting one does not rerun the job), and a job that
fails leaves none (:func:`coprod.pipeline.runner.run_rule` removes an earlier one first).
"""
from __future__ import annotations

import datetime
import os
import resource
import time
from pathlib import Path

COLUMNS = ("s", "h:m:s", "max_rss", "max_vms", "max_uss", "max_pss", "io_in", "io_out",
           "mean_load", "cpu_time")
MIB = 2.0 ** 20
# the wall clock of this process when it started, when the system does not say (not Linux):
# when this module was imported, i.e. after the interpreter's own start and the imports before it
_IMPORTED = time.monotonic()


def _proc(name: str) -> str | None:
    try:
        return Path(f"/proc/self/{name}").read_text()
    except OSError:
        return None


def elapsed() -> float:
    """Seconds since this process started (Linux: from the kernel's start time of the
    process; elsewhere: since this module was imported)."""
    stat, uptime = _proc("stat"), _proc("../uptime")
    if stat and uptime:
        try:
            # field 22 of /proc/self/stat (after the ")" closing the command's name): clock
            # ticks from boot to the process's start
            started = int(stat.rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
            return max(float(uptime.split()[0]) - started, 0.0)
        except (IndexError, ValueError, OSError):
            pass
    return time.monotonic() - _IMPORTED


def _status_mib(key: str) -> float | None:
    """A ``kB`` field of /proc/self/status (e.g. VmPeak) in MiB."""
    for line in (_proc("status") or "").splitlines():
        if line.startswith(key + ":"):
            try:
                return int(line.split()[1]) * 1024 / MIB
            except (IndexError, ValueError):
                return None
    return None


def _io_mib() -> tuple[float | None, float | None]:
    """Bytes this process read from and wrote to storage (/proc/self/io), in MiB."""
    fields = dict(line.split(": ", 1) for line in (_proc("io") or "").splitlines()
                  if ": " in line)
    try:
        return int(fields["read_bytes"]) / MIB, int(fields["write_bytes"]) / MIB
    except (KeyError, ValueError):
        return None, None


def measure() -> dict[str, float | str | None]:
    """This process's record so far: its children (waited for) included in CPU and memory."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    seconds = elapsed()
    # ru_maxrss: KiB on Linux, bytes on macOS
    unit = 1.0 if os.uname().sysname == "Darwin" else 1024.0
    io_in, io_out = _io_mib()
    return {"s": seconds, "h:m:s": str(datetime.timedelta(seconds=int(seconds))),
            "max_rss": max(me.ru_maxrss, kids.ru_maxrss) * unit / MIB,
            "max_vms": _status_mib("VmPeak"), "max_uss": None, "max_pss": None,
            "io_in": io_in, "io_out": io_out,
            "mean_load": 100.0 * cpu / seconds if seconds > 0 else None, "cpu_time": cpu}


def format_record(record: dict[str, float | str | None]) -> str:
    """The tab-separated header and row, as Snakemake writes them (two decimals, NA)."""
    def cell(v: float | str | None) -> str:
        if v is None:
            return "NA"
        return v if isinstance(v, str) else f"{v:.2f}"

    return "\t".join(COLUMNS) + "\n" + "\t".join(cell(record[c]) for c in COLUMNS) + "\n"


def write_record(path: str | Path) -> None:
    """Write this process's record to ``path`` (complete or not at all)."""
    from .io import write_text

    write_text(path, format_record(measure()))
