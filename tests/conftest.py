"""Shared fixtures: a copy of the project to run Snakemake in, and one full pipeline run."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# One BLAS thread per process, as Snakemake gives each job (threads: 1): the two xdist workers
# would otherwise each start a thread per core and spin against each other (~6% of the unit
# tests' time), and in-process results match the jobs' arithmetic. Set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SNAKEMAKE = str(BIN / "snakemake")
COPY = ("Snakefile", "workflow", "scripts", "config", "data", "environment.yml", "profiles")


def copy_project(dest: Path, names: tuple[str, ...] | list[str] = COPY) -> Path:
    """A fresh working copy of the workflow, config and data (not results, not .snakemake);
    ``names``: only these of them (a check that runs no Snakemake needs config and data)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in names:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / name)
    return dest


#: A lighter run than the bundled one, for tests of the workflow's mechanics (cluster jobs,
#: reruns, killed runs): every rule still runs -- two outcomes in the pooled sample and one
#: country, two imputations in one chain, a 16-specification curve (imputed and ordinal ones
#: among them). One fit_models job a sample (models.jobs; the bundled run, small, fits all
#: samples in one job: both ways are run and checked).
LIGHT = ('models={"outcomes": ["individual_any", "collective_any"], "samples": ["pooled", "UK"], '
         '"jobs": "per_sample"}',
         'imputation={"m": 2, "chains": 1}',
         'specifications={"threshold": ["often"], "group_effects": [true]}')
#: figure settings for end-to-end runs whose checks do not read the figures: PNG only (the
#: report embeds them), small. Embedding the fonts in a PDF costs ~0.5 s a figure, most of the
#: figures job; the bundled run, the worked examples and the LIGHT runs still make PDFs.
QUICK_FIGURES = {"formats": ["png"], "dpi": 100}
#: the report's run date in runs that are compared byte for byte (2026-01-01)
EPOCH = "1767225600"


def random_cases(full: int, fast: int) -> int:
    """How many random cases a randomized check draws: ``full`` under ``make test``, ``fast``
    under ``make test-fast`` (COPROD_TEST_FAST=1: the loop while editing; every case still runs
    under make test, and so in CI)."""
    return fast if os.environ.get("COPROD_TEST_FAST") else full


def fast_first(values: list) -> list:
    """The cases of a parametrized check of one property on other inputs (saving twice gives
    the same bytes, for the forest, groups and prevalence figures): the first under
    ``make test-fast``, the others marked ``slow`` (``make test``, and so CI, runs every
    one)."""
    return [values[0], *(pytest.param(v, marks=pytest.mark.slow) for v in values[1:])]


def pytest_collection_modifyitems(items):
    """Tests on a shared pipeline run are pipeline tests (``make test-fast`` skips them)."""
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "pipeline" in names:
            item.add_marker(pytest.mark.pipeline)


def snakemake(workdir: Path, *args: str, check: bool = True, timeout: int = 1200,
              env: dict | None = None):
    """Run Snakemake in ``workdir`` (``env``: extra environment variables); return the
    CompletedProcess (stdout+stderr as text).

    Under ``make test-fast`` (COPROD_TEST_FAST=1) a test that gets here lacks its ``pipeline``
    mark: it fails, so the fast loop stays fast."""
    if os.environ.get("COPROD_TEST_FAST"):
        raise AssertionError("this test launches Snakemake: mark it @pytest.mark.pipeline")
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               MPLBACKEND="Agg", PYTHONHASHSEED="0", **(env or {}))
    proc = subprocess.run([SNAKEMAKE, *args], cwd=workdir, env=env, text=True,
                          capture_output=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    return proc


def shared_run(tmp_path_factory, name: str, *args: str, env: dict | None = None,
               setup: Callable[[Path], list[str]] | None = None) -> Path:
    """A pipeline run made once per test session, even with pytest-xdist workers: the first
    worker to take the lock runs it, the others wait for it and use its folder (read only).
    ``setup`` prepares the fresh copy and says how to run it (a cluster's scripts; by
    default two local cores).
    (pytest-xdist's --dist loadgroup would do this by scheduling, but it does not work with
    pytest 9.2: it renames a node attribute that pytest no longer reads.)"""
    import fcntl

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, above each worker's own
    work, done = root / f"shared-{name}" / "coprod", root / f"shared-{name}.done"
    failed = root / f"shared-{name}.failed"
    with open(root / f"shared-{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if failed.exists():  # another worker's run failed: say so, do not run it again
            raise AssertionError(failed.read_text(encoding="utf-8"))
        if not done.exists():
            shutil.rmtree(work.parent, ignore_errors=True)
            copy_project(work)
            try:
                how = setup(work) if setup else ["--cores", "2"]
                snakemake(work, *how, *args, env=env)
            except BaseException as exc:
                failed.write_text(f"the shared {name} run failed: {exc}", encoding="utf-8")
                raise
            done.touch()
    return work


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory) -> Path:
    """The whole pipeline run once on the bundled data, in a fresh copy of the project."""
    return shared_run(tmp_path_factory, "pipeline")


def light_cluster_run(tmp_path_factory) -> Path:
    """The LIGHT settings (and a fixed report date) run once per session as cluster jobs
    (tests/cluster.py): every job in its own process, sharing only the project's files. The
    reference of the cluster and killed-run tests; a test that needs it late calls this (the
    other worker may still be making it) rather than waiting for it as a fixture."""
    from cluster import cluster_args

    return shared_run(tmp_path_factory, "light-cluster", "--config", *LIGHT,
                      env={"SOURCE_DATE_EPOCH": EPOCH},
                      setup=lambda work: cluster_args(work, BIN))


def r_term(term: str) -> str:
    """coprod's term names as R's (educ[T.mid] -> educmid, Intercept -> (Intercept))."""
    if term == "Intercept":
        return "(Intercept)"
    if "[T." in term:
        var, level = term.split("[T.")
        return var + level[:-1]
    return term


@pytest.fixture
def sleeper():
    """A live process that is not this one (a run in another terminal)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    yield proc
    proc.kill()
    proc.wait()


def small_survey():
    """600 weighted respondents in three countries, with an age, a 0/1 outcome and a sex, a few
    values missing: the means, proportions and descriptives tests share it."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 600
    df = pd.DataFrame({
        "country": pd.Categorical(rng.choice(["A", "B", "C"], n), categories=["A", "B", "C"]),
        "weight": rng.uniform(0.4, 2.5, n), "age": rng.normal(50, 12, n),
        "y": pd.array(rng.integers(0, 2, n), dtype="Int8"),
        "sex": pd.Categorical(rng.choice(["man", "woman"], n)),
    })
    df.loc[[2, 9, 40], "y"] = pd.NA
    df.loc[[3, 4], "age"] = np.nan
    return df


def replicate_reference():
    """R's numbers on the replicate and calibrated designs (tools/golden_replicate.R's
    replicate_reference.csv), read as every test of them reads it."""
    import pandas as pd

    return pd.read_csv(ROOT / "tests" / "data" / "golden" / "replicate_reference.csv",
                       keep_default_na=False, dtype={"level": str, "mse": str})
