"""A job's timing record (coprod.pipeline.jobrecord): Snakemake's columns, the process's own
exact figures, written by run_rule when the rule names one and never left by a failed job."""
from __future__ import annotations

import time

import pytest
from snakemake.iocontainers import Log

from coprod.pipeline import jobrecord
from coprod.pipeline.runner import run_rule


class _Job:
    """What run_rule reads of Snakemake's ``snakemake`` object."""

    def __init__(self, rule, *logs, **named):
        self.rule = rule
        self.log = Log(toclone=[*logs, *named.values()])
        for i, name in enumerate(named):
            self.log._set_name(name, len(logs) + i)


def _busy(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_record_has_snakemakes_columns_and_this_process_figures():
    _busy(0.05)
    rec = jobrecord.measure()
    header, row = jobrecord.format_record(rec).splitlines()
    assert header.split("\t") == list(jobrecord.COLUMNS)
    cells = dict(zip(jobrecord.COLUMNS, row.split("\t")))
    assert cells["max_uss"] == cells["max_pss"] == "NA"
    # this test process has run longer than it has just spun, and holds more than 10 MiB
    assert rec["cpu_time"] >= 0.05 and rec["s"] >= 0.05
    assert float(cells["max_rss"]) > 10
    assert float(cells["cpu_time"]) == pytest.approx(rec["cpu_time"], abs=0.006)


def test_run_rule_writes_the_named_timing_record(tmp_path):
    log, timing = tmp_path / "logs" / "x.log", tmp_path / "bench" / "x.tsv"
    run_rule(_Job("x", str(log), timing=str(timing)), lambda sm: _busy(0.02))
    header, row = timing.read_text().splitlines()
    assert header.startswith("s\th:m:s\tmax_rss")
    assert float(dict(zip(header.split("\t"), row.split("\t")))["cpu_time"]) > 0
    # the rule's log is the first log that is not the timing record
    assert log.exists()


def test_a_failed_job_leaves_no_timing_record(tmp_path, capsys):
    log, timing = tmp_path / "x.log", tmp_path / "x.tsv"
    timing.write_text("an earlier run's record\n")

    def fail(sm):
        raise ValueError("boom")

    with pytest.raises(SystemExit):
        run_rule(_Job("x", str(log), timing=str(timing)), fail)
    assert not timing.exists()
    assert "coprod [x] unexpected error: ValueError: boom" in capsys.readouterr().err


def test_a_rule_without_timing_record_writes_none(tmp_path):
    log = tmp_path / "x.log"
    run_rule(_Job("x", str(log)), lambda sm: None)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.log"]


def test_freeze_heap_sets_the_parsed_workflow_aside_now_and_at_exit(monkeypatch):
    """coprod.pipeline.runner.freeze_heap (each job, and the Snakefile's last line): gc.freeze
    now, and an exit handler that freezes again, so the last collection skips the heap."""
    import atexit
    import gc

    from coprod.pipeline.runner import freeze_heap

    registered = []
    monkeypatch.setattr(atexit, "register", registered.append)
    try:
        freeze_heap()
        assert gc.get_freeze_count() > 0
        assert registered == [gc.freeze]
    finally:
        gc.unfreeze()


def test_stop_rate_timers_cancels_pending_timers_only():
    """coprod.pipeline.runner.stop_rate_timers (onsuccess/onerror): Snakemake's pending
    one-second re-evaluation timers cancelled (non-daemon, the interpreter waited for them at
    exit); other threads untouched."""
    import threading

    from coprod.pipeline.runner import stop_rate_timers

    fired, stop = [], threading.Event()
    timer = threading.Timer(30, lambda: fired.append(1))
    other = threading.Thread(target=stop.wait, daemon=True)
    timer.start()
    other.start()
    stop_rate_timers()
    timer.join(5)
    assert not timer.is_alive() and not fired
    assert other.is_alive()
    stop.set()
