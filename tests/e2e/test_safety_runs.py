"""End-to-end (Snakemake) half of tests/unit/pipeline/test_safety.py: test_config_yaml_is_safe_loaded."""
import pytest
from conftest import copy_project, snakemake

EVIL = "__import__('os').system('touch PWNED')"


@pytest.mark.pipeline
def test_config_yaml_is_safe_loaded(tmp_path):
    work = copy_project(tmp_path / "p")
    with open(work / "config" / "config.yaml", "a") as fh:
        fh.write('x: !!python/object/apply:os.system ["touch PWNED"]\n')
    proc = snakemake(work, "-n", check=False)
    assert proc.returncode != 0
    assert not (work / "PWNED").exists()
