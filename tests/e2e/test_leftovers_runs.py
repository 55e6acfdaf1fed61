"""`snakemake --unlock` is refused while another run works in the results folder, through a
real run (tests/unit/pipeline/test_leftovers.py checks the run lock in-process)."""
import pytest
from unit.pipeline.test_leftovers import _record  # noqa: E402


@pytest.mark.pipeline
def test_unlock_is_refused_while_a_run_works(tmp_path, sleeper):
    """`snakemake --unlock` while a run is working (its record names a live process) stops
    with one line naming it; once that process is gone, it unlocks. (A second run started
    past Snakemake's lock is refused too: the catalogue's case run-still-working.)"""
    from conftest import copy_project, snakemake

    work = copy_project(tmp_path / "p")
    _record(work / "results", sleeper.pid)
    proc = snakemake(work, "--unlock", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out[-2000:]
    assert f"not unlocking: another run (process {sleeper.pid} on" in out, out[-2000:]
    assert "Traceback" not in out, out[-2000:]
    sleeper.kill()
    sleeper.wait()
    snakemake(work, "--unlock")
