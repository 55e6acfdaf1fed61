"""A bad config through Snakemake: the console shows the one-line message, not a traceback
(tests/unit/pipeline/test_config.py checks the messages in-process)."""

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
