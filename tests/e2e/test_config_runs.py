"""End-to-end (Snakemake) half of tests/unit/pipeline/test_config.py: test_snakemake_shows_the_message_not_a_traceback."""

import pytest
from conftest import copy_project, snakemake


@pytest.mark.pipeline
def test_snakemake_shows_the_message_not_a_traceback(tmp_path):
    work = copy_project(tmp_path / "p")
    proc = snakemake(work, "-n", "--config", 'cleaning={"treshold": "often"}', check=False)
    assert proc.returncode != 0
    out = proc.stdout + proc.stderr
    assert "unknown key 'cleaning.treshold' (did you mean 'threshold'?)" in out
    assert "Traceback" not in out
