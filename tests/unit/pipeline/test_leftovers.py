"""What a killed or concurrent run leaves behind: temporary files of a killed writer, and a
second run started in the same results folder (``--unlock`` during a live run)."""


def test_a_killed_writers_temporary_file_is_removed_by_the_rerun(tmp_path):
    """io.atomic_path: a .part file left by a writer killed before it could clean up (its
    process is gone, or it is of an older coprod) is removed when the file is written again;
    a live writer's is kept."""
    import os
    import subprocess
    import sys

    from coprod.pipeline.io import _host, write_text

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    out = tmp_path / "report.html"
    dead = tmp_path / f".report.html.{_host()}-{gone}.abc123.part"
    older = tmp_path / ".report.html.x1y2z3.part"  # before the writer was in the name
    live = tmp_path / f".report.html.{_host()}-{os.getppid()}.def456.part"
    other = tmp_path / ".report.html.x.abc.part"  # another file's temporary file
    for p in (dead, older, live, other):
        p.write_text("half-written")
    write_text(out, "whole")
    assert out.read_text() == "whole"
    assert not dead.exists() and not older.exists()
    assert live.exists() and other.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [out.name, live.name, other.name])


def _record(results, pid, start=None, host=None):
    import json
    import socket

    from coprod.pipeline.runlock import RECORD, _start_ticks

    results.mkdir(parents=True, exist_ok=True)
    (results / RECORD).write_text(json.dumps(
        {"host": host or socket.gethostname(), "pid": pid,
         "start": start if start is not None else _start_ticks(pid),
         "started": "2026-01-01 00:00:00 UTC"}))


def test_a_run_record_is_live_only_while_its_process_runs(tmp_path, sleeper):
    """coprod.pipeline.runlock: a record of a live process is a live run; a finished process's, a
    reused process id's (another start time) and this process's own are not."""
    from coprod.pipeline.runlock import claim, live_run, release

    res = tmp_path / "results"
    assert live_run(res) is None  # no record
    _record(res, sleeper.pid)
    assert live_run(res)["pid"] == sleeper.pid
    _record(res, sleeper.pid, start="1")  # the id now names another process
    assert live_run(res) is None
    _record(res, sleeper.pid, host="another-node")  # cannot be asked: taken as live
    assert live_run(res)["host"] == "another-node"
    claim(res, started="now")  # this process's own record
    assert live_run(res) is None
    release(res)
    assert not (res / ".coprod-run").exists()
    sleeper.kill()
    sleeper.wait()
    _record(res, sleeper.pid)
    assert live_run(res) is None  # killed: stale




def test_a_failed_or_repeated_write_leaves_no_temporary_file(tmp_path):
    """io.atomic_path and write_csv: a writer that fails leaves neither the file nor its
    temporary file; a folder removed after a first write (the process remembers the folders
    it made) is made again for the next."""
    import shutil

    import pandas as pd
    import pytest

    from coprod.pipeline.io import atomic_path, write_csv

    out = tmp_path / "sub" / "t.csv"
    with pytest.raises(RuntimeError), atomic_path(out) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list((tmp_path / "sub").iterdir()) == []
    write_csv(pd.DataFrame({"a": [1]}), out)
    assert out.read_text() == "a\n1\n"
    shutil.rmtree(tmp_path / "sub")
    write_csv(pd.DataFrame({"a": [2]}), out)
    assert out.read_text() == "a\n2\n"
    assert [p.name for p in (tmp_path / "sub").iterdir()] == ["t.csv"]
