"""Run library functions from Snakemake ``script:`` adapters with clean error handling.

Why: Snakemake shows a script's traceback on the console. For a user's mistake we want one line
that names the file, column and value, and the traceback only in the rule's log. Outputs are
written to temporary files and renamed by the callers (see :mod:`coprod.pipeline.io`), so a failed
or
killed job never leaves a result that looks whole.
"""
from __future__ import annotations

import logging
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

from ..errors import CoprodError, console

log = logging.getLogger("coprod")


def setup_logging(logfile: str | Path | None) -> None:
    """Send coprod's log records to the rule's log file (and nowhere else)."""
    root = logging.getLogger("coprod")
    root.handlers.clear()
    root.setLevel(logging.INFO)
    root.propagate = False
    if logfile:
        Path(logfile).parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(logfile, mode="w", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)


@contextmanager
def rule_context(rule: str, logfile: str | Path | None):
    """Wrap a rule's work: log to ``logfile``; on error print one line and exit 1."""
    setup_logging(logfile)
    try:
        yield log
    except KeyboardInterrupt:  # Ctrl-C: Snakemake says so for the whole run; no traceback
        log.error("interrupted")
        print(f"coprod [{rule}] interrupted", file=sys.stderr)
        sys.exit(130)
    except CoprodError as exc:
        log.error("%s", traceback.format_exc())
        print(f"coprod [{rule}] error: {console(exc)}", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # unexpected: still one line on the console, traceback in the log
        log.error("%s", traceback.format_exc())
        where = f" (full traceback in {logfile})" if logfile else ""
        print(
            f"coprod [{rule}] unexpected error: {type(exc).__name__}: {console(exc)}{where}",
            file=sys.stderr,
        )
        sys.exit(1)


def run_rule(snakemake, func) -> None:
    """Call ``func(snakemake)`` inside :func:`rule_context` using the rule's first log file;
    then, when the rule names one (``log: ..., timing=...``), write the job's timing record
    (:mod:`coprod.pipeline.jobrecord`). An earlier record is removed first, so a job that fails
    leaves none that looks like its own."""
    if type(snakemake).__module__.startswith("snakemake"):  # a job's own process (not a test)
        freeze_heap()  # the imports' objects (pandas, the engine): see freeze_heap
    timing = getattr(snakemake.log, "timing", None)
    logs = [f for f in snakemake.log if f != timing]
    if timing:
        Path(timing).unlink(missing_ok=True)
    with rule_context(snakemake.rule, logs[0] if logs else None):
        func(snakemake)
    if timing:
        from .jobrecord import write_record

        write_record(timing)


def freeze_heap() -> None:
    """The objects made so far set aside from Python's cyclic garbage collector
    (``gc.freeze``), and again at exit. Called by every job (:func:`run_rule`, after its
    imports) and by Snakemake's own process (the Snakefile's last line, the workflow parsed).

    Why: each full collection walks every object the collector tracks, and a process of this
    workflow holds a large heap of objects that live until it ends (pandas, numpy and the
    survey engine in a job; Snakemake's modules and plugins, then the DAG's jobs and files in
    Snakemake's process). Collections during the work walked them again and again, and the
    interpreter's exit walked them once more: measured 0.2-0.3 s at the exit of a job's
    process against 0.05-0.1 s frozen, and ~0.5 s at the end of every ``snakemake`` command
    (a no-op rerun took 1.6 s). Objects made later are collected as usual; nothing written
    changes (a job's files are written and closed before it ends)."""
    import atexit
    import gc

    gc.freeze()
    atexit.register(gc.freeze)  # atexit runs the last registered first


def stop_rate_timers() -> None:
    """At the end of a run (the Snakefile's ``onsuccess`` and ``onerror``): Snakemake's
    pending re-evaluation timers cancelled.

    Why: with its job rate limit (by default at most 100 jobs a second), Snakemake's scheduler
    arms a one-second ``threading.Timer`` at each scheduling round, to look again once the
    window has passed. Those timers are not daemon threads, so the interpreter waited for the
    last of them before exiting: about 1 s after the last job of every run that ran a job
    (measured 1.1 s on the bundled run: the process sat in ``threading._shutdown``). When
    ``onsuccess``/``onerror`` runs no job is left to schedule, so nothing waits on them."""
    import threading

    for thread in threading.enumerate():
        if isinstance(thread, threading.Timer):
            thread.cancel()




#: the libraries Snakemake imports only to look for their data frames among a job's params
_FRAME_LIBRARIES = ("pandas", "polars")


@contextmanager
def _frame_libraries_absent():
    """While inside: pandas and polars, unless already imported, read as not installed (None
    in ``sys.modules``, which ``import`` reports as ModuleNotFoundError and
    ``importlib.util.find_spec`` as None)."""
    absent = [name for name in _FRAME_LIBRARIES if name not in sys.modules]
    for name in absent:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in absent:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def params_checked_without_importing() -> None:
    """In the process that schedules the jobs: Snakemake stops importing pandas (and polars)
    to look for their data frames among a job's params.

    Why: Snakemake looks at every job's params twice, and both times imports those libraries
    to know whether a param is one of their objects: before it pickles a ``script:`` job's
    params (``snakemake.iocontainers.Snakemake._safely_store_params``: it converts them), and
    when it records a finished job's params (``snakemake.persistence.PersistenceBase.
    _serialize_param``: pandas objects are hashed). In this process pandas (with pyarrow) is
    about 0.4 s, spent while the first job is prepared or recorded, and the jobs after it
    wait: every run that runs a job paid it, the same-work benchmark included.

    A param can only be a pandas or polars object once that library is imported, and the
    workflow's params are plain values (text, numbers, lists, dicts), so while Snakemake looks,
    a library not yet imported reads as not installed, the case Snakemake handles for an
    environment without it. An imported library is looked for as before. The pickled and the
    recorded params are the same either way (tests/unit/pipeline/test_startup_imports.py). A
    Snakemake without these methods is left as it is."""
    try:
        from snakemake.iocontainers import Snakemake
        from snakemake.persistence import PersistenceBase
    except ImportError:  # pragma: no cover - Snakemake is installed with the pipeline
        return
    store = getattr(Snakemake, "_safely_store_params", None)
    if store is not None and not getattr(store, "coprod_lazy", False):
        def safely_store_params(self, params):
            with _frame_libraries_absent():
                return store(self, params)

        safely_store_params.coprod_lazy = True  # type: ignore[attr-defined]
        Snakemake._safely_store_params = safely_store_params  # type: ignore[method-assign]
    serializer = PersistenceBase.__dict__.get("_serialize_param")
    if isinstance(serializer, property) and serializer.fget is not None \
            and hasattr(PersistenceBase, "_serialize_param_builtin") \
            and not getattr(serializer.fget, "coprod_lazy", False):
        chosen = serializer.fget

        def serialize_param(self):
            if "pandas" not in sys.modules:  # no param can be a pandas object
                return self._serialize_param_builtin
            return chosen(self)

        serialize_param.coprod_lazy = True  # type: ignore[attr-defined]
        PersistenceBase._serialize_param = property(serialize_param)  # type: ignore[method-assign,assignment]
