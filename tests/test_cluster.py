"""Distributed execution: the workflow runs as independent cluster jobs and gives the same results.

The cluster is simulated with Snakemake's generic cluster executor
(snakemake-executor-plugin-cluster-generic): the "submit" command starts each job script as its
own detached process (new session, scrubbed environment, own temporary directory) and prints a job
id; a status command reads the exit code the job left in a file. So jobs share nothing but the
project's files, as on a real cluster, and the outputs must equal those of a local run.
"""
import filecmp
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BIN, EPOCH, LIGHT, ROOT, copy_project, snakemake

pytestmark = pytest.mark.pipeline

SUBMIT = r"""#!/usr/bin/env bash
# submit.sh JOBSCRIPT: start the job as its own detached process; print its id.
set -euo pipefail
jobscript="$1"
queue="__QUEUE__"
id="job$(date +%s%N)$RANDOM"
mkdir -p "$queue/$id.tmp"
setsid nohup env -i PATH="__PATH__" HOME="$HOME" LANG=C.UTF-8 MPLBACKEND=Agg PYTHONHASHSEED=0 \
    SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-}" TMPDIR="$queue/$id.tmp" bash -c \
    'bash "$0" > "$1.out" 2>&1; echo $? > "$1.exit.tmp"; mv "$1.exit.tmp" "$1.exit"' \
    "$jobscript" "$queue/$id" < /dev/null > /dev/null 2>&1 &
echo "$id"
"""

STATUS = r"""#!/usr/bin/env bash
# status.sh JOBID: running, success or failed (from the exit code the job left behind).
queue="__QUEUE__"
if [ ! -f "$queue/$1.exit" ]; then echo running
elif [ "$(cat "$queue/$1.exit")" = "0" ]; then echo success
else echo failed; fi
"""


def _scripts(work: Path) -> tuple[Path, Path, Path]:
    queue = work / "cluster_queue"
    queue.mkdir()
    path = f"{BIN}{os.pathsep}/usr/bin:/bin"
    submit, status = work / "submit.sh", work / "status.sh"
    submit.write_text(SUBMIT.replace("__QUEUE__", str(queue)).replace("__PATH__", path))
    status.write_text(STATUS.replace("__QUEUE__", str(queue)))
    return submit, status, queue


def _result_files(work: Path) -> list[Path]:
    root = work / "results"
    return sorted(p.relative_to(root) for p in root.rglob("*")
                  if p.is_file() and "benchmarks" not in p.relative_to(root).parts)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, light_pipeline):
    """The LIGHT settings run as cluster jobs, beside the same settings run locally."""
    work = copy_project(tmp_path_factory.mktemp("cluster") / "cluster")
    submit, status, queue = _scripts(work)
    proc = snakemake(
        work, "--executor", "cluster-generic", "--jobs", "4",
        "--cluster-generic-submit-cmd", f"bash {submit}",
        "--cluster-generic-status-cmd", f"bash {status}",
        "--seconds-between-status-checks", "1", "--max-status-checks-per-second", "10",
        "--latency-wait", "10", "--config", *LIGHT, timeout=600,
        env={"SOURCE_DATE_EPOCH": EPOCH})
    return light_pipeline, work, queue, proc


def test_every_job_ran_as_a_separate_cluster_job(runs):
    _, work, queue, proc = runs
    jobs = sorted(queue.glob("*.exit"))
    # clean, 2 samples' models (with their contrasts), gather, descriptives, figures, tables,
    # findings, report; multiple imputation: 1 chain, 2 samples' imputed models, their
    # gather, the side-by-side table; the specification curve: 2 jobs, their gather, figures
    assert len(jobs) == 18, proc.stderr[-3000:]
    assert all(j.read_text().strip() == "0" for j in jobs)
    outs = [j.with_suffix(".out").read_text() for j in jobs]
    # each ran Snakemake for its own job only, in its own process
    assert all("--target-jobs" in o or "Select jobs to execute" in o for o in outs)
    assert sum("rule fit_models:" in o for o in outs) == 2


def test_cluster_outputs_equal_a_local_run(runs):
    """Two runs from scratch -- the LIGHT settings, every rule, run locally and as cluster
    jobs -- give byte-identical files, the report too (its run date fixed)."""
    local, work, _, _ = runs
    files = _result_files(local)
    assert files == _result_files(work)
    assert len(files) > 40
    differ = [str(f) for f in files
              if not filecmp.cmp(local / "results" / f, work / "results" / f, shallow=False)]
    assert not differ, f"cluster and local results differ: {differ}"


def test_benchmark_records_are_written_per_job(runs):
    _, work, _, _ = runs
    bench = work / "results" / "benchmarks"
    fits = sorted(p.relative_to(bench).as_posix() for p in bench.rglob("fit_models/*.tsv"))
    assert fits == ["fit_models/UK.tsv", "fit_models/pooled.tsv"]
    header = (bench / "clean.tsv").read_text().splitlines()[0].split("\t")
    assert {"s", "max_rss"} <= set(header)


def _profile_copy(tmp_path: Path) -> Path:
    work = copy_project(tmp_path / "coprod")
    return work


def test_slurm_profile_dry_run_needs_no_slurm(tmp_path):
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
    assert stats["fit_models"] == "6" and stats["clean"] == "1"


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
