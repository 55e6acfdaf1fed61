"""Which run is working in a results folder, so that ``snakemake --unlock`` cannot let a second
run loose on the jobs of a live one.

Why: Snakemake's own lock (``.snakemake/locks``) says only that *some* run holds the folder;
``--unlock`` removes it without asking whether that run is still alive, and two runs then make
the same outputs at once, each overwriting the other's files. coprod keeps its own record,
``<results>/.coprod-run`` (host, process id and the process's start time), written when a run
starts its jobs and removed when it ends. A record whose process is gone (a run killed with
``kill -9``, a power cut) is stale and ignored; the start time tells a reused process id from
the run that wrote it.
"""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path

RECORD = ".coprod-run"


def _start_ticks(pid: int) -> str | None:
    """The process's start time since boot (Linux /proc), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]  # field 22 of proc(5), after the name


def this_run() -> dict:
    pid = os.getpid()
    return {"host": socket.gethostname(), "pid": pid, "start": _start_ticks(pid)}


def _alive(run: dict) -> bool:
    """Is the run's process still running? A run on another host cannot be asked: taken as
    alive (its record is removed when it ends; a stale one is removed by hand)."""
    if run.get("host") != socket.gethostname():
        return True
    pid = int(run.get("pid", 0))
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    start = _start_ticks(pid)
    return run.get("start") is None or start is None or start == run["start"]


def live_run(results: str | Path) -> dict | None:
    """The other run recorded as working in ``results`` and still alive, else None."""
    path = Path(results) / RECORD
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(run, dict) or run.get("pid") == os.getpid() and \
            run.get("host") == socket.gethostname():
        return None
    return run if _alive(run) else None


def describe(run: dict, results: str | Path) -> str:
    """One line naming the live run and what to do."""
    where = f"process {run.get('pid')} on {run.get('host')}"
    return (f"another run ({where}, started {run.get('started', '?')}) is still working in "
            f"{results}/: two runs would make the same files at once; wait for it to finish or "
            f"stop it (kill {run.get('pid')}), then run again (if that process is not a run, "
            f"remove {Path(results) / RECORD})")


def claim(results: str | Path, started: str) -> None:
    """Record this process as the run working in ``results``."""
    path = Path(results) / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{RECORD}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({**this_run(), "started": started}), encoding="utf-8")
    os.replace(tmp, path)


def release(results: str | Path) -> None:
    """Remove the record if it is this process's."""
    path = Path(results) / RECORD
    try:
        run = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if run.get("pid") == os.getpid() and run.get("host") == socket.gethostname():
        path.unlink(missing_ok=True)
