"""A YTE config runs nothing and a YAML alias bomb does not reach Snakemake, through a real run
(tests/unit/pipeline/test_hostile.py checks the rest of the hostile input in-process)."""

import pytest
from catalogue import ALIAS_BOMB
from conftest import copy_project, snakemake


@pytest.mark.pipeline
def test_a_yte_config_runs_nothing_and_a_bomb_does_not_reach_snakemake(tmp_path):
    """The bundled config file is read by coprod before Snakemake reads it: YTE code in it never
    runs, and an alias bomb given with --configfile (which Snakemake reads first, without
    expanding a list bomb) is refused in coprod's one line."""
    work = copy_project(tmp_path / "p")
    cfg = work / "config" / "config.yaml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text("__use_yte__: true\n" + text + "pwned: ?__import__('os').system('touch PWNED')"
                   "\n", encoding="utf-8")
    proc = snakemake(work, "-n", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out
    assert "config/config.yaml: __use_yte__: true makes Snakemake run the Python" in out
    assert not (work / "PWNED").exists()
    cfg.write_text(text, encoding="utf-8")
    (work / "bomb.yaml").write_text(text + ALIAS_BOMB, encoding="utf-8")
    proc = snakemake(work, "-n", "--configfile", "bomb.yaml", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0 and "Traceback" not in out
    assert "bomb.yaml: its aliases (*e on line" in out
