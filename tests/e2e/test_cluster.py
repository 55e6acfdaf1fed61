"""Distributed execution: the workflow runs as independent cluster jobs (a simulated cluster:
tests/cluster.py), each in its own process sharing only the project's files. That its outputs
equal a local run's, byte for byte, is checked by the killed-run test (test_pipeline.py), whose
local run, interrupted twice and finished, is compared with this one.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cluster import QUEUE
from conftest import BIN, ROOT, copy_project, light_cluster_run, snakemake

pytestmark = pytest.mark.pipeline


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """The LIGHT settings run as cluster jobs (once per session, shared with test_pipeline)."""
    return light_cluster_run(tmp_path_factory)


def test_every_job_ran_as_a_separate_cluster_job(work):
    jobs = sorted((work / QUEUE).glob("*.exit"))
    log = "".join(p.read_text() for p in (work / ".snakemake" / "log").glob("*.log"))
    # clean, 2 samples' models (with their contrasts), descriptives, figures, tables;
    # multiple imputation: 1 chain, both samples' imputed models (one job), the side-by-side
    # table; the specification curve: 2 jobs and its figures
    assert len(jobs) == 12, log[-3000:]
    assert all(j.read_text().strip() == "0" for j in jobs)
    outs = [j.with_suffix(".out").read_text() for j in jobs]
    # each ran Snakemake for its own job only, in its own process
    assert all("--target-jobs" in o or "Select jobs to execute" in o for o in outs)
    assert sum("rule fit_models:" in o for o in outs) == 2
    # the steps that only join result tables ran where Snakemake runs (`localrule: True`),
    # each once, and no cluster job ran one
    local = ("gather_models", "gather_specifications", "findings", "report_html")
    assert all(log.count(f"localrule {r}:") == 1 for r in local), log[-3000:]
    assert not any(f"rule {r}:" in o for r in local for o in outs)
    assert len([p for p in (work / "results").rglob("*") if p.is_file()]) > 40


def test_benchmark_records_are_written_per_job(work):
    bench = work / "results" / "benchmarks"
    fits = sorted(p.relative_to(bench).as_posix() for p in bench.rglob("fit_models/*.tsv"))
    assert fits == ["fit_models/UK.tsv", "fit_models/pooled.tsv"]
    header = (bench / "clean.tsv").read_text().splitlines()[0].split("\t")
    assert {"s", "max_rss"} <= set(header)


def _profile_copy(tmp_path: Path) -> Path:
    work = copy_project(tmp_path / "coprod")
    return work


def test_slurm_profile_dry_run_needs_no_slurm(tmp_path):
    import importlib.util

    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip("the SLURM executor plugin is not installed: `make cluster` installs it "
                    "(requirements-cluster.lock; .ci/run does)")
    work = _profile_copy(tmp_path)
    # no SLURM commands anywhere on the PATH: a dry run must not need sbatch/squeue
    nobin = tmp_path / "bin"
    nobin.mkdir()
    (nobin / "python").symlink_to(sys.executable)
    proc = subprocess.run([str(BIN / "snakemake"), "--profile", "profiles/slurm", "--dry-run"],
                          cwd=work, env=dict(os.environ, PATH=f"{nobin}{os.pathsep}/usr/bin:/bin"),
                          text=True, capture_output=True, timeout=300)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert shutil.which("sbatch", path=f"{nobin}{os.pathsep}/usr/bin:/bin") is None
    assert re.search(r"Using profiles? profiles/slurm", out)
    stats = dict(line.split()[:2] for line in out.split("Job stats:")[1].splitlines()[3:]
                 if len(line.split()) == 2)
    # the bundled survey is small: every sample's models in one job (models.jobs: auto)
    assert stats["fit_models"] == "1" and stats["clean"] == "1"


def test_profiles_set_resources_in_rules_not_in_config():
    import yaml

    slurm = yaml.safe_load((ROOT / "profiles" / "slurm" / "config.yaml").read_text())
    local = yaml.safe_load((ROOT / "profiles" / "local" / "config.yaml").read_text())
    assert slurm["executor"] == "slurm" and slurm["jobs"] >= 1
    assert any(r.startswith("mem_mb=") for r in slurm["default-resources"])
    assert any(r.startswith("runtime=") for r in slurm["default-resources"])
    assert local["cores"] >= 1
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    assert not {"resources", "threads", "mem_mb", "runtime"} & set(config)
    rules = "".join(p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk"))
    for rule in ("clean", "fit_models", "descriptives"):
        body = rules.split(f"rule {rule}:", 1)[1].split("\nrule ", 1)[0]
        assert "mem_mb=" in body and "runtime=" in body and "threads:" in body, rule


def test_local_profile_dry_run(tmp_path):
    work = _profile_copy(tmp_path)
    proc = snakemake(work, "--profile", "profiles/local", "--dry-run")
    assert re.search(r"Using profiles? profiles/local", proc.stdout + proc.stderr)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
