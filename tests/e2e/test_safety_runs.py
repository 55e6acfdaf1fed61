"""The config is read with YAML's safe loader: a Python tag in it runs nothing, through a real
Snakemake start (tests/unit/pipeline/test_safety.py checks formulas and names in-process)."""
import pytest
from conftest import copy_project, snakemake


@pytest.mark.pipeline
def test_config_yaml_is_safe_loaded(tmp_path):
    work = copy_project(tmp_path / "p")
    with open(work / "config" / "config.yaml", "a") as fh:
        fh.write('x: !!python/object/apply:os.system ["touch PWNED"]\n')
    proc = snakemake(work, "-n", check=False)
    assert proc.returncode != 0
    assert not (work / "PWNED").exists()
