"""The benchmark's configs (benchmarks/configs.py) pass the same start-up checks as a real run.

Why a test and not just the benchmark: nothing runs ``make bench`` on every change, so when the
bundled config turned the specification curve on, the benchmark's hand-made overrides became
invalid and nobody noticed. This runs the derivations (not the timings) on the bundled config
as it is now.
"""
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "benchmarks"))
import configs  # noqa: E402


@pytest.mark.parametrize("name", sorted(configs.DERIVED))
def test_each_derived_config_passes_the_start_up_checks(name, monkeypatch):
    from coprod.pipeline.startup import check_project

    monkeypatch.chdir(ROOT)  # the config's paths are relative to the project
    cfg = configs.DERIVED[name](configs.bundled())
    out = check_project(cfg)
    assert out["codebook"] and out["samples"]
    assert cfg["imputation"]["analyses"] == "complete_case"
    assert "imputed" not in (cfg.get("specifications") or {}).get("missing", [])


def test_binary_only_keeps_the_0_1_outcomes_alone():
    cfg = configs.binary_only(configs.bundled())
    assert cfg["models"]["outcomes"] and all(isinstance(o, str) for o in cfg["models"]["outcomes"])
    assert "scales" not in cfg["models"]
    assert configs.bundled()["models"]["outcomes"] != cfg["models"]["outcomes"]  # no side effect


def test_a_derived_config_is_written_into_the_copy(tmp_path):
    (tmp_path / "config").mkdir()
    rel = configs.write(configs.complete_cases(configs.bundled()), tmp_path, "cc")
    assert (tmp_path / rel).is_file() and rel.startswith("config/")


def test_same_work_fits_the_pooled_sample_in_a_job_of_its_own():
    """The restricted run targets the pooled sample's models: with every sample in one job
    (models.jobs: auto on the small bundled survey) it would fit them all."""
    from coprod.pipeline.modelplan import fit_together

    cfg = configs.same_work(configs.bundled())
    assert cfg["models"]["jobs"] == "per_sample"
    assert not fit_together(cfg["models"]["jobs"], [1])
    assert cfg["models"]["outcomes"] == configs.binary_only(configs.bundled())["models"][
        "outcomes"]
