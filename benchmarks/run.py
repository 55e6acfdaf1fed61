"""Speed and scale figures of the coprod pipeline, each next to its target (not a test).

    .venv/bin/python benchmarks/run.py            # everything (about 15 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick    # a smoke check: no 1M pipeline, one repeat each
    .venv/bin/python benchmarks/run.py --skip cold,scale,micro    # only the replicate figures
    make bench                                    # the same as the first line

Every pipeline run happens in a fresh copy of the project in a temporary folder (Snakefile,
workflow/, scripts/, config/, data/, profiles/), so the repository's own results/ are never touched:

* the cost of the survey's own scales (ordinal and count models) and of multiple imputation:
  cold runs with the 0/1 outcomes only, with the scales, and with imputation as configured;
* cold pipeline vs benchmarks/baseline.py (a minimal pandas + statsmodels script that reads the
  same five .sav files and fits the eight pooled models with the same design-based errors). The
  full pipeline does far more (48 models, contrasts, AMEs, predictions, the report), so it is
  also timed restricted to the pooled models: the clean job plus the pooled sample's job (which
  still also computes their AMEs, predictions and the contrast).
  Both must give the same coefficients; the difference is printed.
* a no-op rerun (nothing to do);
* the whole pipeline on simulated surveys of 100,000 and 1,000,000 respondents
  (``python -m coprod.pipeline.simulate --n-total N`` into the copy's data/raw): end to end, per stage
  (clean / models / report) from the jobs' timing records (results/benchmarks/), the peak
  RSS of every job, and the 100k -> 1M growth;
* on 1,000,000 synthetic rows: one pooled design-based model (``coprod.survey.svy_logit``, 5
  strata, 2,000 clusters, 6 terms: the design built, the model fitted and its table, the work
  the data-first call of earlier versions timed), against R's ``svyglm(..., family =
  quasibinomial())`` on the same Taylor design and rows in the same run
  (benchmarks/micro_bench.R: ``svydesign`` + ``svyglm`` timed, not reading the file the rows
  were written to; skipped, with a note, without Rscript or the survey package; target <=
  0.05x R; ``--micro-r-rows N``: both on N rows instead, marked SCALED), and the design-based
  variance step against the fit alone;
* the specification curve (``--skip specifications``): the bundled pipeline with every claim
  checked in all six samples under 128, 224 and 352 (pooled; half for a country)
  specifications, 1,232 in all for the largest (the issue's >= 200 x 6): the specification
  jobs' span of the run (target <= 120 s) and their CPU seconds per specification (linear
  growth means a constant cost per specification);
* the survey's own scales (``--skip scales``): on 1,000,000 rows (5 strata, 2,000 clusters, 11
  parameters) the ordinal (proportional-odds) and the count (quasi-Poisson) model, one thread;
  R's ``svyolr`` and coprod's on 100,000 of those rows when Rscript is there;
* replicate weights (``--skip replicate`` leaves them out; ``--quick``: 100,000 rows): a design
  of 80 bootstrap-style replicates (Poisson(1) factors per PSU times the weight, 2,000 PSUs) on
  1,000,000 synthetic rows, 8 terms (13 columns): ``make_replicate_design`` and
  ``svy_logit`` (the pooled model and its 80 refits) with ``COPROD_THREADS=2`` and ``=1``,
  against R's ``svyglm`` on the same ``svrepdesign`` (benchmarks/replicate_bench.R; skipped,
  with a note, without Rscript or the survey package), and how far the two agree.

Wall times depend on what else runs on the machine: the load average is printed with each figure.
Results also go to benchmarks/out/ (git-ignored): the table and a JSON file.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import configs  # noqa: E402 (beside this script)
import reportstage  # noqa: E402 (beside this script)

BIN = Path(sys.executable).parent
# profiles/: the workflow profile (profiles/default) a user's `snakemake` reads, so the copy
# runs as the user's does (its scheduler, for one)
COPY = ["Snakefile", "workflow", "scripts", "config", "data", "environment.yml", "profiles"]
# the pooled sample's job: all eight pooled models (and their AMEs, predictions and contrast)
POOLED_TARGETS = ["results/models/fits/individual_any/pooled/coefficients.csv"]
STAGES = {"clean": "clean", "fit_models": "models",
          "gather_models": "models", "descriptives": "report", "figures": "report",
          "tables": "report", "findings": "report", "report_html": "report"}
GB = 1024.0
# what --skip and --only name (--only also takes report-stage: see main)
SECTIONS = ("cold", "scale", "micro", "specifications", "scales", "replicate")
# Snakemake sets these to a job's threads (1 here) for every pipeline job; the baseline and the
# micro-benchmarks get the same, so that all run under the same conditions (on a busy machine
# OpenBLAS's spinning threads make small products slower, not faster).
ONE_THREAD = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}


# --------------------------------------------------------------------------------------------
# running things
# --------------------------------------------------------------------------------------------
def env() -> dict:
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                MPLBACKEND="Agg", PYTHONHASHSEED="0")


def copy_project(dest: Path, raw_from: Path | None = None) -> Path:
    """A fresh copy of the project; with ``raw_from``, its data/raw/*.sav from that folder."""
    dest.mkdir(parents=True)
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, dest / name)
    if raw_from is not None:
        for f in (dest / "data" / "raw").glob("*.sav"):
            f.unlink()
        for f in Path(raw_from).glob("*.sav"):
            shutil.copy2(f, dest / "data" / "raw" / f.name)
    return dest


def timed(cmd: list[str], cwd: Path, log: Path, extra_env: dict | None = None) -> dict:
    """Run ``cmd``; wall seconds, CPU seconds (user + system) and the peak RSS of the largest
    process (MB) of its whole tree: ``wait4`` reports them over the process and all the
    descendants it waited for. CPU seconds hardly depend on what else runs on the machine."""
    load = os.getloadavg()[0]
    with open(log, "ab") as fh:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env={**env(), **(extra_env or {})}, stdout=fh,
                                stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed in {cwd} (exit {proc.returncode}); "
                           f"see {log}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "max_rss_mb": usage.ru_maxrss / 1024.0, "load": load}


def derived(work: Path, name: str) -> tuple[str, str]:
    """--configfile of the bundled config with a feature off (benchmarks/configs.py), written
    into the project copy ``work``."""
    return "--configfile", configs.write(configs.DERIVED[name](configs.bundled()), work, name)


def snakemake(work: Path, *args: str, log: Path, extra_env: dict | None = None) -> dict:
    return timed([str(BIN / "snakemake"), "--cores", "2", *args], work, log, extra_env)


def configured_run(work: Path, log: Path) -> tuple[dict, dict]:
    """A cold run as configured in ``work``, its every process's CPU seconds recorded
    (reportstage.cpu_env: one line a process at its exit); its timing and its report stage."""
    run = snakemake(work, log=log, extra_env=reportstage.cpu_env(work, work.parent / "site"))
    return run, reportstage.measure(work, run)


def job_records(work: Path) -> list[dict]:
    """One record per job from the jobs' timing records (results/benchmarks/)."""
    out = []
    root = work / "results" / "benchmarks"
    for path in sorted(root.rglob("*.tsv")):
        rule = path.relative_to(root).parts[0].removesuffix(".tsv")
        header, *rows = path.read_text().splitlines()
        rec = dict(zip(header.split("\t"), rows[-1].split("\t")))
        seconds = float(rec["s"])
        end = path.stat().st_mtime
        rss = float(rec["max_rss"]) if rec.get("max_rss", "NA") not in ("NA", "") else 0.0
        out.append({"job": path.relative_to(root).with_suffix("").as_posix(), "rule": rule,
                    "stage": STAGES.get(rule, rule), "s": seconds, "start": end - seconds,
                    "end": end, "max_rss_mb": rss})
    return out


def stage_table(jobs: list[dict]) -> dict:
    stages = {}
    for stage in ("clean", "models", "report"):
        js = [j for j in jobs if j["stage"] == stage]
        if not js:
            continue
        top = max(js, key=lambda j: j["max_rss_mb"])
        stages[stage] = {"jobs": len(js), "wall": max(j["end"] for j in js)
                         - min(j["start"] for j in js), "job_seconds": sum(j["s"] for j in js),
                         "longest": max(js, key=lambda j: j["s"])["job"],
                         "longest_s": max(j["s"] for j in js), "max_rss_mb": top["max_rss_mb"],
                         "max_rss_job": top["job"]}
    return stages


# --------------------------------------------------------------------------------------------
# the measurements
# --------------------------------------------------------------------------------------------
def bench_cold(tmp: Path, repeats: int) -> dict:
    log = tmp / "cold.log"
    full = copy_project(tmp / "full")
    # the report stage's own job time (reportstage.py): from every cold run as configured
    full_run, stage = configured_run(full, log)
    res = {"full": full_run, "report_stage": [stage]}
    res["jobs"] = len(job_records(full))
    res["noop"] = [snakemake(full, log=log) for _ in range(max(repeats, 1))]
    restricted, baseline = [], []
    # the same work as baseline.py: the 0/1 outcomes only, complete cases
    for i in range(repeats):  # alternate, so both see the same machine load
        work = copy_project(tmp / f"restricted{i}")
        restricted.append(snakemake(work, *POOLED_TARGETS, *derived(work, "same_work"),
                                    log=log))
        out = tmp / f"baseline{i}.csv"
        baseline.append(timed([sys.executable, str(ROOT / "benchmarks" / "baseline.py"),
                               "--raw", str(work / "data" / "raw"), "--out", str(out)],
                              ROOT, log, ONE_THREAD))
    res["restricted"], res["baseline"] = restricted, baseline
    res["agreement"] = agreement(tmp / "restricted0", tmp / "baseline0.csv")
    # what the survey's own scales and multiple imputation cost: the same cold run with the
    # 0/1 outcomes only and complete cases (no ordinal or count models, no robustness rule, no
    # imputation; issue 14: scales at most 1.5x), with the scales but complete cases, and as
    # configured (issue 15: imputation at most 60 s more)
    runs: dict[str, list] = {"binary_only": [], "with_scales": [], "with_mi": []}
    for i in range(repeats):  # alternate, so all see the same machine load
        work = copy_project(tmp / f"binary{i}")
        runs["binary_only"].append(snakemake(work, *derived(work, "binary_only"), log=log))
        work = copy_project(tmp / f"scales{i}")
        runs["with_scales"].append(snakemake(work, *derived(work, "complete_cases"), log=log))
        run, stage = configured_run(copy_project(tmp / f"mi{i}"), log)
        runs["with_mi"].append(run)
        res["report_stage"].append(stage)
    res.update(runs)
    return res


def bench_report_stage(tmp: Path, repeats: int) -> list[dict]:
    """The report stage's job time alone (``--only report-stage``): ``repeats`` cold runs as
    configured, nothing else."""
    log = tmp / "report_stage.log"
    out = []
    for i in range(repeats):
        out.append(configured_run(copy_project(tmp / f"report_stage{i}"), log)[1])
        r = out[-1]
        print(f"  run {i + 1}: report stage {r['cpu'] or float('nan'):.1f} s CPU "
              f"({r['cpu_time']:.1f} s recorded), {r['s']:.1f} s wall (whole run "
              f"{r['run_wall']:.1f} s, load {r['load']:.1f})", flush=True)
    return out


def agreement(work: Path, baseline_csv: Path) -> dict:
    """Largest differences between the pipeline's and the baseline's pooled coefficients."""
    import numpy as np
    import pandas as pd

    base = pd.read_csv(baseline_csv)
    worst_est, worst_se = 0.0, 0.0
    for outcome, b in base.groupby("outcome"):
        p = pd.read_csv(work / "results" / "models" / "fits" / outcome / "pooled"
                        / "coefficients.csv")
        est = dict(zip(p["term"].map(_plain_term), p["estimate"]))
        se = dict(zip(p["term"].map(_plain_term), p["std_error"]))
        for _, row in b.iterrows():
            t = "Intercept" if row["term"] == "const" else row["term"]
            worst_est = max(worst_est, abs(est[t] - row["estimate"]))
            worst_se = max(worst_se, abs(se[t] / row["std_error"] - 1))
    return {"max_abs_estimate_diff": float(worst_est), "max_rel_se_diff": float(worst_se),
            "terms": int(len(base)), "ok": bool(worst_est < 1e-6 and worst_se < 1e-5
                                                and np.isfinite(worst_se))}


def _plain_term(term: str) -> str:
    """``gender[T.woman]`` -> ``gender_woman`` (the baseline's get_dummies names)."""
    if "[T." in term:
        var, level = term[:-1].split("[T.")
        return f"{var}_{level}"
    return term


def bench_scale(tmp: Path, n: int, same_work: bool = True) -> dict:
    log = tmp / f"scale_{n}.log"
    work = copy_project(tmp / f"n{n}")
    raw = work / "data" / "raw"
    for f in raw.glob("*.sav"):
        f.unlink()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "coprod.pipeline.simulate", "--out", str(raw), "--n-total",
                    str(n)], check=True, env=env(), capture_output=True)
    simulate = time.perf_counter() - t0
    # multiple imputation off: M = 20 chained-equation datasets of a million rows is another
    # question (printed in the table as such)
    run = snakemake(work, *derived(work, "complete_cases"), log=log)
    jobs = job_records(work)
    top = max(jobs, key=lambda j: j["max_rss_mb"])
    out = {"n": n, "simulate_s": simulate, "wall": run["wall"], "cpu": run["cpu"],
           "load": run["load"],
           "max_rss_mb": run["max_rss_mb"], "stages": stage_table(jobs), "jobs": len(jobs),
           "max_job_rss_mb": top["max_rss_mb"], "max_job": top["job"],
           "job_seconds": sum(j["s"] for j in jobs)}
    if same_work:  # the baseline and the pipeline restricted to its models, on these files
        restricted = copy_project(tmp / f"n{n}_restricted", raw_from=raw)
        out["restricted"] = snakemake(restricted, *POOLED_TARGETS,
                                      *derived(restricted, "same_work"), log=log)
        out["baseline"] = timed([sys.executable, str(ROOT / "benchmarks" / "baseline.py"),
                                 "--raw", str(raw), "--out", str(tmp / f"baseline_{n}.csv")],
                                ROOT, log, ONE_THREAD)
        out["agreement"] = agreement(restricted, tmp / f"baseline_{n}.csv")
    return out


MICRO = r"""
import json, sys, time
import numpy as np, pandas as pd
from scipy.special import expit
import inspect
from coprod.survey import svy_logit
from coprod.survey import glm as survey
from coprod.survey.glm import build_model_frame, make_design, irls_logit, design_cov
# what fit_matrix uses for the bread and the meat (older versions: the plain expressions)
gram = getattr(survey, "weighted_gram",
               getattr(survey, "_weighted_gram", lambda X, v: X.T @ (X * v[:, None])))
meat = getattr(survey, "score_cov", lambda d, rows, X, r: design_cov(d, rows, X * r[:, None]))

n, repeats = int(sys.argv[1]), int(sys.argv[2])
data_csv = sys.argv[3] if len(sys.argv) > 3 else ""   # where R's side reads the same rows
model_only = len(sys.argv) > 4 and sys.argv[4] == "model-only"   # R's smaller survey
rng = np.random.default_rng(2008)
countries = np.array(["UK", "FR", "DE", "DK", "CZ"])
h = rng.integers(0, 5, n)
df = pd.DataFrame({
    "country": pd.Categorical(countries[h], categories=list(countries)),
    "psu": h * 400 + rng.integers(0, 400, n),           # 400 clusters per stratum: 2,000
    "weight": rng.uniform(0.3, 3.0, n), "age": rng.integers(18, 91, n).astype(float),
    "female": rng.integers(0, 2, n).astype(float), "efficacy": rng.integers(1, 5, n) + 0.0,
    "education": pd.Categorical(rng.choice(["low", "medium", "high"], n),
                                categories=["low", "medium", "high"]),
    "urban": pd.Categorical(rng.choice(["rural", "urban"], n), categories=["rural", "urban"])})
eta = -1 + 0.02 * (df["age"] - 50) + 0.3 * df["female"] + 0.5 * (df["efficacy"] - 2.5)
df["y"] = (rng.random(n) < expit(eta)).astype(float)
formula = "y ~ age + female + efficacy + education + urban + country"

def best(fn, at_least=1):
    # at_least: the sub-second steps whose ratio to each other is a target (the variance step
    # against the fit, ~0.05 s against ~0.15-0.25 s; the fit with fpc against without, ~0.3 s
    # each) take the best of more calls, so one slow call of either does not decide the ratio
    if repeats == 1:  # --quick: one untimed call first, or first-call costs (imports, caches,
        fn()          # page faults) would be all that one timed call shows
    times = []
    for _ in range(repeats if repeats == 1 else max(repeats, at_least)):
        t = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t)
    return min(times), out

kw = dict(weights="weight", strata="country", psu="psu")
# the timed work: the design built, the model fitted, its table -- what the data-first call
# svy_logit(df, formula, **kw) of earlier versions did in one call (timed as such there)
R_CALL = next(iter(inspect.signature(svy_logit).parameters)) == "formula"  # (issue 28)
if R_CALL:
    def model_table(**extra):
        design = make_design(df, keep_data=True, **kw, **extra)
        return svy_logit(formula, design).tidy()
else:
    def model_table(**extra):
        return svy_logit(df, formula, **kw, **extra)
t = time.perf_counter(); model_table(); first = time.perf_counter() - t
model, out = best(model_table)
assert out["std_error"].notna().all()
# the rows R's svyglm is timed on (benchmarks/micro_bench.R), written once, after the timing
if data_csv:
    df[["y", "age", "female", "efficacy", "education", "urban", "country", "psu",
        "weight"]].to_csv(data_csv, index=False)
res = {"n": n, "p": len(out), "clusters": int(df["psu"].nunique()), "model_first": first,
       "model_best": model, "terms": out["term"].tolist(),
       "estimate": out["estimate"].tolist(), "std_error": out["std_error"].tolist()}
if model_only:
    print(json.dumps(res))
    sys.exit(0)

mf = build_model_frame(df, formula)
X, y, rows = mf.X, mf.y, mf.complete
try:  # newer versions: the fit's last pass holds the bread (coprod.survey.newton)
    from coprod.survey.newton import irls
except ImportError:
    irls = None
# the sandwich after the fit, as fit_matrix computes it: the bread is the fit's last
# information where the fit keeps it (newer versions), else a Gram at the estimate
def variance(d, w):
    if irls is not None:
        mu, A = ir.last.mu, ir.last.information
    else:
        mu = expit(X @ beta)
        A = gram(X, w * mu * (1 - mu))
    A_inv = np.linalg.inv(A)
    return A_inv @ meat(d, rows, X, w * (y - mu)) @ A_inv
for label, psu in (("clustered", "psu"), ("no_psu", None)):
    d = make_design(df, weights="weight", strata="country", psu=psu)
    w = d.weights[rows]
    if irls is not None:
        fit, ir = best(lambda: irls(X, y, w), at_least=7)
        beta, conv, it = ir.beta, ir.converged, ir.n_iter
    else:
        fit, (beta, conv, it) = best(lambda: irls_logit(X, y, w), at_least=7)
    var, _ = best(lambda: variance(d, w), at_least=7)
    res[label] = {"fit": fit, "variance": var, "iterations": it}
# complete designs (newer versions): fpc at the first stage; two stages with fpc at both
if "fpc" in make_design.__code__.co_varnames:
    df["N1"] = 1000.0                        # PSUs in each stratum's population (400 sampled)
    df["ssu"] = rng.integers(0, 5, n)        # 5 second-stage units per PSU
    df["M2"] = 50.0                          # of 50 in each PSU's population
    # the plain fit timed again, as often as the complete designs' fits, for their ratios
    res["fpc_plain"], _ = best(model_table, at_least=7)
    for label, extra in (("fpc", dict(fpc="N1")),
                         ("two_stage", dict(fpc="N1", ssu="ssu", fpc2="M2"))):
        t, out = best(lambda: model_table(**extra), at_least=7)
        assert out["std_error"].notna().all()
        d = make_design(df, weights="weight", strata="country", psu="psu", **extra)
        w = d.weights[rows]
        var, _ = best(lambda: variance(d, w))
        res[label] = {"model": t, "variance": var}
# calibrated weights (newer versions): raking to three margins, and the raked model
try:
    from coprod.survey.calibration import CalibrationSpec, calibrate
except ImportError:
    CalibrationSpec = None
if CalibrationSpec is not None:
    df["band"] = pd.Categorical(pd.cut(df["age"], [17, 34, 54, 70, 91]).astype(str))
    margins = {v: {str(k): float(x) * 1.07 for k, x in
                   df.groupby(v, observed=True)["weight"].sum().items()}
               for v in ("education", "urban", "band")}
    margins["band"] = {k: x * (1.1 if i == 0 else 0.98) for i, (k, x) in
                       enumerate(margins["band"].items())}
    total = sum(margins["band"].values())
    for v in ("education", "urban"):
        s = sum(margins[v].values())
        margins[v] = {k: x * total / s for k, x in margins[v].items()}
    base = make_design(df, weights="weight", strata="country", psu="psu", keep_data=True)
    spec = CalibrationSpec("rake", margins)
    rake_t, raked = best(lambda: calibrate(base, df, spec))
    fit_raked = (lambda: svy_logit(formula, raked).tidy()) if R_CALL else (
        lambda: svy_logit(formula, raked))  # which returned the table
    model_t, out = best(fit_raked)
    assert out["std_error"].notna().all()
    res["rake"] = {"weights": rake_t, "model": model_t}
print(json.dumps(res))
"""


def bench_micro(tmp: Path, n: int, repeats: int, r_rows: int | None = None) -> dict:
    """In a fresh process with one BLAS thread, as every pipeline job runs; then R's svyglm
    (quasibinomial) on the same Taylor design and rows (benchmarks/micro_bench.R, best of the
    same repeats; skipped with a note without Rscript or the survey package). Issue 30's
    target is coprod's time (design built, model fitted, its table) <= 0.05x R's (svydesign +
    svyglm; reading the file R gets the rows from is not timed). ``r_rows``: both sides on that
    many rows instead for the comparison (for when R is too slow at ``n``), coprod's ``n``-row
    figures kept and the ratio marked as on the smaller survey."""
    load = os.getloadavg()[0]
    why = r_available()
    same = not r_rows or r_rows >= n
    folder = tmp / "micro"
    folder.mkdir(parents=True, exist_ok=True)
    out = {**run_micro(n, repeats, folder / "data.csv" if (not why and same) else None),
           "load": load}
    if why:
        out["r_skipped"] = why
        return out
    py = out
    if not same:  # both on the smaller survey: the ratio is theirs
        py = {**run_micro(r_rows, repeats, folder / "data.csv", model_only=True),
              "load": os.getloadavg()[0]}
        out["py_small"] = {k: py[k] for k in ("n", "model_best", "model_first", "load")}
    r_load = os.getloadavg()[0]
    cmd = [shutil.which("Rscript"), str(ROOT / "benchmarks" / "micro_bench.R"), str(folder),
           str(repeats)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**env(), **ONE_THREAD})
    if proc.returncode != 0:  # keep coprod's figures; the table says why R's are missing
        out["r_skipped"] = f"R failed ({(proc.stderr.strip().splitlines() or ['?'])[-1][:120]})"
        return out
    import pandas as pd

    t = pd.read_csv(folder / "r_time.csv").set_index("what")["seconds"]
    out["r"] = {"n": py["n"], "design": float(t["design"]), "fit": float(t["fit"]),
                "total": float(t["total"]), "total_cpu": float(t["total_cpu"]),
                "repeats": repeats, "load": r_load}
    out["r_ratio"] = py["model_best"] / out["r"]["total"]
    out["agreement"] = {**replicate_agreement(py, folder / "r_coef.csv"), "n": py["n"]}
    return out


def run_micro(n: int, repeats: int, data_csv: Path | None, model_only: bool = False) -> dict:
    """The MICRO script on ``n`` rows; with ``data_csv``, it also writes its rows there;
    ``model_only``: the pooled model alone (not the variance, fpc and raking figures)."""
    proc = subprocess.run([sys.executable, "-c", MICRO, str(n), str(repeats),
                           str(data_csv or ""), "model-only" if model_only else ""],
                          env={**env(), **ONE_THREAD}, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"micro benchmark ({n:,} rows) failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# the specification curve: up to 352 specifications of the pooled sample and 176 of each
# country (1,232 in all), and how the cost grows
# --------------------------------------------------------------------------------------------
SPEC_SETS = {"all": None, "core": ["age", "gender", "self_efficacy"],
             "demographics": ["age", "gender", "education", "employment", "urban"],
             "attitudes": ["age", "gender", "self_efficacy", "performance",
                           "outcome_perception"],
             "contact": ["age", "gender", "self_efficacy", "informed", "consulted"],
             "no_contact": ["age", "gender", "self_efficacy", "education", "employment",
                            "urban", "performance", "outcome_perception"],
             "minimal": ["age", "gender"],
             "efficacy_demographics": ["age", "gender", "self_efficacy", "education",
                                       "employment", "urban"],
             "contact_demographics": ["age", "gender", "self_efficacy", "education",
                                      "informed", "consulted"],
             "no_education": ["age", "gender", "self_efficacy", "employment", "urban",
                              "performance", "outcome_perception", "informed", "consulted"],
             "no_urban": ["age", "gender", "self_efficacy", "education", "employment",
                          "performance", "outcome_perception", "informed", "consulted"]}


def bench_specifications(tmp: Path, n_sets: int = 7) -> dict:
    """The bundled pipeline with every claim checked in every sample (the findings file's
    claims copied for each country) under threshold x weights x n_sets covariate sets x group
    effects x missing x family specifications (224 for the pooled sample, 112 for a country:
    group effects do not vary there); cold run, and the specification jobs' own seconds."""
    work = copy_project(tmp / f"spec{n_sets}")
    claims = yaml.safe_load((work / "config" / "findings.yaml").read_text())
    samples = ["pooled", "UK", "FR", "DE", "DK", "CZ"]
    out_claims = []
    for sample in samples:
        for c in claims["claims"]:
            if c.get("compared_with"):
                continue
            out_claims.append({**c, "id": f"{c['id']}_{sample}", "sample": sample})
    claims["claims"] = out_claims
    (work / "config" / "findings.yaml").write_text(yaml.safe_dump(claims, sort_keys=False))
    sets = dict(list(SPEC_SETS.items())[:n_sets])
    run = snakemake(work, "--config", "specifications=" + json.dumps({"covariates": sets}),
                    log=tmp / "spec.log")
    jobs = [j for j in job_records(work) if j["rule"] == "specifications"]
    specs = read_csv_rows(work / "results" / "models" / "specifications.csv")
    n_specs = len({(r["sample"], r["spec"]) for r in specs})
    return {"wall": run["wall"], "cpu": run["cpu"], "load": run["load"],
            "spec_job_seconds": sum(j["s"] for j in jobs), "spec_jobs": len(jobs),
            "specifications": n_specs, "rows": len(specs), "sets": n_sets,
            "spec_wall": max(j["end"] for j in jobs) - min(j["start"] for j in jobs)}


def read_csv_rows(path: Path) -> list[dict]:
    import csv

    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# --------------------------------------------------------------------------------------------
# the survey's own scales: ordinal (svyolr) and count (quasipoisson) models, one thread
# --------------------------------------------------------------------------------------------
SCALES = r"""
import json, sys, time
import numpy as np, pandas as pd
from scipy.special import expit
from coprod.survey import make_design, svy_olr, svy_poisson

n, repeats, out_csv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(2008)
countries = np.array(["UK", "FR", "DE", "DK", "CZ"])
h = rng.integers(0, 5, n)
df = pd.DataFrame({
    "country": pd.Categorical(countries[h], categories=list(countries)),
    "psu": h * 400 + rng.integers(0, 400, n),           # 400 clusters per stratum: 2,000
    "weight": rng.uniform(0.3, 3.0, n), "age": rng.integers(18, 91, n).astype(float),
    "female": rng.integers(0, 2, n).astype(float), "efficacy": rng.integers(1, 5, n) + 0.0,
    "education": pd.Categorical(rng.choice(["low", "medium", "high"], n),
                                categories=["low", "medium", "high"]),
    "urban": pd.Categorical(rng.choice(["rural", "urban"], n), categories=["rural", "urban"])})
eta = 0.02 * (df["age"] - 50) + 0.3 * df["female"] + 0.5 * (df["efficacy"] - 2.5)
latent = eta + rng.logistic(size=n)
levels = ["never", "rarely", "sometimes", "often"]
df["freq"] = pd.Categorical.from_codes(np.digitize(latent, [-1.0, 0.5, 2.0]), levels,
                                       ordered=True)
df["count"] = rng.poisson(np.exp(0.2 + 0.5 * eta)).astype(float)
rhs = "age + female + efficacy + education + urban + country"
design = make_design(df, weights="weight", strata="country", psu="psu", keep_data=True)

def best(fn):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t)
    return min(times), out

olr_t, olr = best(lambda: svy_olr("freq ~ " + rhs, design))
pois_t, pois = best(lambda: svy_poisson("count ~ " + rhs, design))
assert olr.converged and pois.converged
df.to_csv(out_csv, index=False)
print(json.dumps({"n": n, "olr": olr_t, "olr_iter": olr.n_iter, "count": pois_t,
                  "olr_params": olr.params.to_dict(), "olr_se": olr.tidy().set_index("term")
                  ["std_error"].to_dict(), "columns": olr.X.shape[1] + 3}))
"""

SCALES_R = r"""
suppressMessages(library(survey))
args <- commandArgs(TRUE)
d <- read.csv(args[1])
d$freq <- factor(d$freq, levels = c("never", "rarely", "sometimes", "often"), ordered = TRUE)
d$education <- factor(d$education, levels = c("low", "medium", "high"))
d$urban <- factor(d$urban, levels = c("rural", "urban"))
d$country <- factor(d$country, levels = c("UK", "FR", "DE", "DK", "CZ"))
des <- svydesign(ids = ~psu, strata = ~country, weights = ~weight, data = d, nest = TRUE)
t <- system.time(fit <- svyolr(freq ~ age + female + efficacy + education + urban + country,
                               des))[["elapsed"]]
cat(sprintf("%.3f
", t))
"""


def bench_scales(tmp: Path, n: int, repeats: int, r_rows: int = 100_000) -> dict:
    """The ordinal and count models on ``n`` rows (one thread), and R's svyolr on ``r_rows``."""
    load = os.getloadavg()[0]
    csv = tmp / "scales_r.csv"
    proc = subprocess.run([sys.executable, "-c", SCALES, str(n), str(repeats), str(tmp / "x.csv")],
                          env={**env(), **ONE_THREAD}, capture_output=True, text=True,
                          check=True)
    out = {**json.loads(proc.stdout.strip().splitlines()[-1]), "load": load}
    why = r_available()
    if why:
        out["r_skipped"] = why
    else:
        small = subprocess.run([sys.executable, "-c", SCALES, str(r_rows), "1", str(csv)],
                               env={**env(), **ONE_THREAD}, capture_output=True, text=True,
                               check=True)
        out["py_small"] = json.loads(small.stdout.strip().splitlines()[-1])["olr"]
        script = tmp / "scales.R"
        script.write_text(SCALES_R)
        r = subprocess.run(["Rscript", str(script), str(csv)], capture_output=True, text=True)
        if r.returncode == 0:
            out["r_small"] = float(r.stdout.strip().splitlines()[-1])
            out["r_rows"] = r_rows
        else:
            out["r_skipped"] = r.stderr.strip().splitlines()[-1:]
    return out


# --------------------------------------------------------------------------------------------
# replicate weights: coprod vs R's svyglm on the same replicate design
# --------------------------------------------------------------------------------------------
REP_FORMULA = "y ~ age + female + efficacy + income + education + urban + region + married"
REP_LEVELS = {"education": ["low", "medium", "high"], "urban": ["rural", "urban"],
              "region": ["north", "east", "south", "west", "centre"]}


def replicate_data(folder: Path, n: int, n_rep: int = 80, psus: int = 2000) -> dict:
    """The synthetic replicate-weight survey, written once for both languages: ``data.parquet``
    (Python) and ``data.csv`` (R), one row per respondent with the model's variables, the
    full-sample weight ``w`` and ``psu`` (0..psus-1); ``factors.npy`` / ``factors.csv``: the
    replicates' bootstrap-style factors, Poisson(1) per PSU (psus x n_rep). Each side rebuilds
    the (n x n_rep) combined replicate weights as factor of the row's PSU times ``w``, so a
    1M x 90 file is neither written nor read."""
    import numpy as np
    import pandas as pd
    from scipy.special import expit

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2024)
    psu = rng.integers(0, psus, n)
    u = rng.normal(0, 0.3, psus)[psu]                    # a PSU effect: a design effect > 1
    df = pd.DataFrame({
        "psu": psu, "w": rng.uniform(0.3, 3.0, psus)[psu] * rng.uniform(0.5, 2.0, n),
        "age": rng.integers(18, 91, n).astype(float), "female": rng.integers(0, 2, n) + 0.0,
        "efficacy": rng.integers(1, 5, n) + 0.0, "income": rng.normal(0, 1, n),
        "education": pd.Categorical.from_codes(rng.integers(0, 3, n),
                                               categories=REP_LEVELS["education"]),
        "urban": pd.Categorical.from_codes(rng.integers(0, 2, n), categories=REP_LEVELS["urban"]),
        "region": pd.Categorical.from_codes(rng.integers(0, 5, n),
                                            categories=REP_LEVELS["region"]),
        "married": rng.integers(0, 2, n) + 0.0})
    eta = (-1 + 0.02 * (df["age"] - 50) + 0.3 * df["female"] + 0.5 * (df["efficacy"] - 2.5)
           + 0.2 * df["income"] + 0.3 * df["education"].cat.codes
           + 0.2 * df["region"].cat.codes - 0.1 * df["married"] + u)
    df["y"] = (rng.random(n) < expit(eta)).astype(float)
    factors = rng.poisson(1.0, (psus, n_rep)).astype(float)
    df.to_parquet(folder / "data.parquet", index=False)
    df.to_csv(folder / "data.csv", index=False)
    np.save(folder / "factors.npy", factors)
    pd.DataFrame(factors, columns=[f"f{i + 1}" for i in range(n_rep)]).to_csv(
        folder / "factors.csv", index=False)
    return {"n": n, "replicates": n_rep, "psus": psus}


REPLICATE = r"""
import json, sys, time
from pathlib import Path
import numpy as np, pandas as pd
from coprod.survey import make_replicate_design, svy_logit

folder, repeats, formula = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
df = pd.read_parquet(folder / "data.parquet")
factors = np.load(folder / "factors.npy")
# the combined replicate weights as a producer ships them: one column per replicate
rep = factors[df["psu"].to_numpy()] * df["w"].to_numpy()[:, None]
df = pd.concat([df, pd.DataFrame(rep, columns=[f"rw{i + 1}" for i in range(rep.shape[1])])],
               axis=1)
del rep

def best(fn):
    times, out = [], None
    for _ in range(repeats):
        t = time.perf_counter(); out = fn(); times.append(time.perf_counter() - t)
    return times, out

# warm-up on 2,000 rows (the formula engine and scipy are imported on first use), untimed
small = df.iloc[:2000].reset_index(drop=True)
svy_logit(formula, make_replicate_design(small, weights="w", replicates=r"rw\d+",
                                         type="bootstrap", keep_data=True))
build, design = best(lambda: make_replicate_design(
    df, weights="w", replicates=r"rw\d+", type="bootstrap", combined=True, keep_data=True))
cpu0 = time.process_time()
fit, res = best(lambda: svy_logit(formula, design))
fit_cpu = (time.process_time() - cpu0) / repeats
se = np.sqrt(np.diag(res.cov.to_numpy()))
assert np.isfinite(se).all()
print(json.dumps({"n": len(df), "replicates": design.replicates, "p": len(res.params),
                  "build": build, "fit": fit, "fit_cpu": fit_cpu,
                  "terms": list(res.params.index),
                  "estimate": res.params.tolist(), "std_error": se.tolist(),
                  "flags": [f["flag"] for f in res.flags]}))
"""


def r_available() -> str | None:
    """None when Rscript with the survey package is there, else why not."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript not found"
    proc = subprocess.run([rscript, "-e", "quit(status = !requireNamespace('survey', "
                           "quietly = TRUE))"], capture_output=True, text=True)
    return None if proc.returncode == 0 else "R's survey package is not installed"


def bench_replicate(tmp: Path, n: int, repeats: int, r_rows: int | None = None,
                    r_multicore: bool = False) -> dict:
    """Build the data once; coprod with COPROD_THREADS=2 and =1 (each in a fresh process with
    one BLAS thread: the replicate fits, not BLAS, use the threads); then R's svyglm on the same
    design (``r_rows``: on a smaller data set of that many rows instead, when R is too slow at
    ``n``; its time is then scaled by n / r_rows and marked as such)."""
    import numpy as np

    folder = tmp / f"replicate_{n}"
    t0 = time.perf_counter()
    res = {**replicate_data(folder, n), "load": os.getloadavg()[0]}
    res["write_s"] = time.perf_counter() - t0
    for threads in (2, 1):
        res[f"threads{threads}"] = run_replicate_py(folder, threads, repeats)
    a, b = res["threads2"], res["threads1"]
    res["threads_agree"] = float(max(np.max(np.abs(np.subtract(a["estimate"], b["estimate"]))),
                                     np.max(np.abs(np.subtract(a["std_error"],
                                                               b["std_error"])))))
    why = r_available()
    if why:
        res["r_skipped"] = why
        return res
    same = not r_rows or r_rows >= n
    r_folder, py = folder, res["threads2"]
    if not same:  # R on a smaller survey: its time scaled up; agreement on that survey
        r_folder = tmp / f"replicate_{r_rows}"
        replicate_data(r_folder, r_rows)
        py = run_replicate_py(r_folder, 2, 1)
    try:
        res["r"] = {**bench_r(r_folder, multicore=False), "n": n if same else r_rows}
        if r_multicore:
            res["r_multicore"] = {**bench_r(r_folder, multicore=True), "n": res["r"]["n"]}
    except RuntimeError as exc:  # keep coprod's figures; the table says why R's are missing
        res.pop("r", None)
        res["r_skipped"] = f"R failed ({str(exc).splitlines()[-1][:120]})"
        return res
    res["agreement"] = {**replicate_agreement(py, r_folder / "r_coef.csv"), "n": res["r"]["n"]}
    return res


def run_replicate_py(folder: Path, threads: int, repeats: int) -> dict:
    proc = subprocess.run([sys.executable, "-c", REPLICATE, str(folder), str(repeats),
                           REP_FORMULA],
                          env={**env(), **ONE_THREAD, "COPROD_THREADS": str(threads)},
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"replicate benchmark ({threads} threads) failed:\n"
                           f"{proc.stderr[-3000:]}")
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "threads": threads}


def bench_r(folder: Path, multicore: bool) -> dict:
    import pandas as pd

    load = os.getloadavg()[0]
    cmd = [shutil.which("Rscript"), str(ROOT / "benchmarks" / "replicate_bench.R"), str(folder)]
    proc = subprocess.run(cmd + (["multicore"] if multicore else []), capture_output=True,
                          text=True, env={**env(), **ONE_THREAD})
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    t = pd.read_csv(folder / "r_time.csv").set_index("what")["seconds"]
    return {"build": float(t["build"]), "fit": float(t["fit"]), "fit_cpu": float(t["fit_cpu"]),
            "load": load}


def replicate_agreement(py: dict, r_csv: Path) -> dict:
    """Largest |d estimate| and relative d SE between coprod and R, matched by term
    (``region[T.east]`` is R's ``regioneast``)."""
    import numpy as np
    import pandas as pd

    r = pd.read_csv(r_csv).set_index("term")
    names = ["(Intercept)" if t == "Intercept" else t.replace("[T.", "").rstrip("]")
             for t in py["terms"]]
    missing = [t for t in names if t not in r.index]
    if missing or len(names) != len(r):
        return {"ok": False, "error": f"terms differ: {missing or list(r.index)}"}
    r = r.loc[names]
    d_est = float(np.max(np.abs(np.asarray(py["estimate"]) - r["estimate"].to_numpy())))
    d_se = float(np.max(np.abs(np.asarray(py["std_error"]) / r["std_error"].to_numpy() - 1)))
    return {"max_abs_estimate_diff": d_est, "max_rel_se_diff": d_se, "terms": len(names),
            "ok": bool(d_est < 1e-6 and d_se < 1e-5)}


# --------------------------------------------------------------------------------------------
# the table
# --------------------------------------------------------------------------------------------
def status(ok) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "MISS")


def med(runs: list[dict], key="wall") -> float:
    return statistics.median(r[key] for r in runs)


def report(res: dict) -> str:
    rows = []  # (figure, value, target, status)

    def add(name, value, target="", ok=None):
        rows.append((name, value, target, status(ok) if target else ""))

    c = res.get("cold")
    if c:
        full, noop = c["full"]["wall"], med(c["noop"])
        restricted, base = med(c["restricted"]), med(c["baseline"])
        add("baseline.py (read 5 .sav, clean, 8 pooled models + design SEs)", f"{base:.1f} s")
        add("pipeline restricted to the same models (clean + the pooled sample's job, 0/1 "
            "outcomes, complete cases)",
            f"{restricted:.1f} s")
        add("  CPU time: baseline / restricted pipeline",
            f"{med(c['baseline'], 'cpu'):.1f} s / {med(c['restricted'], 'cpu'):.1f} s")
        add("  ratio, same work", f"{restricted / base:.2f}x", "<= 1.5x",
            restricted / base <= 1.5)
        add(f"full cold pipeline as configured ({c.get('jobs', '?')} jobs: every model, "
            "contrast, imputation, the report)", f"{full:.1f} s", "<= 20 s", full <= 20)
        add("  CPU time of all its processes; load average at the start",
            f"{c['full']['cpu']:.0f} s; {c['full']['load']:.1f}")
        add("  ratio, full pipeline vs baseline (not the same work)", f"{full / base:.1f}x")
        a = c["agreement"]
        add("  baseline vs pipeline: max |d estimate|, max rel d SE",
            f"{a['max_abs_estimate_diff']:.1e}, {a['max_rel_se_diff']:.1e}", "same numbers",
            a["ok"])
        add("no-op rerun (nothing to do)", f"{noop:.1f} s", "<= 2 s", noop <= 2)
        if c.get("binary_only"):
            a_, b_ = med(c["with_scales"]), med(c["binary_only"])
            add("cold run with the ordinal and count models / 0/1 outcomes only (both "
                "complete cases)", f"{a_:.1f} s / {b_:.1f} s = {a_ / b_:.2f}x", "<= 1.5x",
                a_ / b_ <= 1.5)
            m_ = med(c["with_mi"])
            add("  and with multiple imputation (M = 20, as configured): extra wall time",
                f"{m_:.1f} s - {a_:.1f} s = {m_ - a_:.1f} s", "<= 60 s", m_ - a_ <= 60)
    stage_runs = res.get("report_stage") or (c or {}).get("report_stage")
    if stage_runs:
        for row in reportstage.rows(stage_runs, reportstage.load_baseline()):
            add(*row)
    for sp in res.get("specifications") or []:
        per = sp["spec_job_seconds"] / max(sp["specifications"], 1)
        big = sp["specifications"] >= 1200
        add(f"specification curve: {sp['specifications']} specifications over 6 samples "
            f"({sp['spec_jobs']} jobs)", f"{sp['spec_wall']:.1f} s of the run "
            f"({per * 1000:.0f} ms CPU per specification)", "<= 120 s" if big else "",
            sp["spec_wall"] <= 120 if big else None)
        add("  the whole cold run with it", f"{sp['wall']:.1f} s")
    sc = res.get("scales")
    if sc:
        label = f"{sc['n'] // 10 ** 6}M" if sc["n"] >= 10 ** 6 else f"{sc['n'] // 1000}k"
        big = sc["n"] >= 10 ** 6
        add(f"ordinal model (svyolr), {label} rows, {sc['columns']} parameters, 1 thread",
            f"{sc['olr']:.2f} s ({sc['olr_iter']} Newton steps)", "<= 3 s" if big else "",
            sc["olr"] <= 3 if big else None)
        add(f"count model (quasipoisson), {label} rows, 1 thread", f"{sc['count']:.2f} s",
            "<= 1 s" if big else "", sc["count"] <= 1 if big else None)
        if "r_small" in sc:
            add(f"  R svyolr / coprod on {sc['r_rows']:,} rows",
                f"{sc['r_small']:.2f} s / {sc['py_small']:.2f} s = "
                f"{sc['r_small'] / sc['py_small']:.1f}x")
    scale = res.get("scale", {})
    for n, s in sorted(scale.items(), key=lambda kv: int(kv[0])):
        n = int(n)
        label = f"{n // 1000}k" if n < 10 ** 6 else f"{n // 10 ** 6}M"
        big = n >= 10 ** 6
        add(f"{label} respondents end to end, imputation off ({s['jobs']} jobs)",
            f"{s['wall']:.1f} s",
            "<= 120 s" if big else "", s["wall"] <= 120 if big else None)
        add("  CPU time of all its processes; load average at the start",
            f"{s['cpu']:.0f} s; {s['load']:.1f}")
        if "restricted" in s:
            r, b = s["restricted"]["wall"], s["baseline"]["wall"]
            add("  same work: baseline.py / pipeline restricted to the same models",
                f"{b:.1f} s / {r:.1f} s = {r / b:.2f}x", "<= 1.5x", r / b <= 1.5)
            a = s["agreement"]
            add("  baseline vs pipeline: max |d estimate|, max rel d SE",
                f"{a['max_abs_estimate_diff']:.1e}, {a['max_rel_se_diff']:.1e}",
                "same numbers", a["ok"])
        for stage, st in s["stages"].items():
            add(f"  {stage}: wall / job-seconds / longest job",
                f"{st['wall']:.1f} s / {st['job_seconds']:.1f} s / {st['longest_s']:.1f} s "
                f"({st['longest']})")
            add(f"  {stage}: peak RSS of a job", f"{st['max_rss_mb'] / GB:.2f} GB "
                f"({st['max_rss_job']})")
        peak = max(s["max_job_rss_mb"], s["max_rss_mb"]) / GB
        add("  largest process of the run (wait4) / of a job (benchmark)",
            f"{s['max_rss_mb'] / GB:.2f} GB / {s['max_job_rss_mb'] / GB:.2f} GB",
            "< 4 GB" if big else "", peak < 4 if big else None)
    if "100000" in scale and "1000000" in scale:
        g = scale["1000000"]["wall"] / scale["100000"]["wall"]
        add("100k -> 1M time growth", f"{g:.1f}x", "<= 11x", g <= 11)
    m = res.get("micro")
    if m:
        n = f"{m['n'] // 10 ** 6}M" if m["n"] >= 10 ** 6 else f"{m['n'] // 1000}k"
        runs = f"best of {m['r']['repeats']}" if m.get("r", {}).get("repeats", 1) > 1 else \
            "one run"
        add(f"svy_logit, {n} rows, 5 strata, {m['clusters']} clusters, {m['p']} columns (design "
            f"built, fit, table; 1 thread)", f"{m['model_best']:.2f} s (first call "
            f"{m['model_first']:.2f} s; load {m['load']:.1f})")
        add(*micro_r_rows(m, n, runs))
        if "r" in m:
            r, a = m["r"], m["agreement"]
            an = f" (on the {a['n']:,}-row survey)" if a["n"] != m["n"] else ""
            add(f"  coprod vs R: max |d estimate|, max rel d SE{an}",
                a.get("error") or f"{a['max_abs_estimate_diff']:.1e}, "
                f"{a['max_rel_se_diff']:.1e}", "same numbers", a["ok"])
        for label in ("clustered", "no_psu"):
            v = m[label]
            what = "2,000 clusters" if label == "clustered" else "each row a PSU"
            add(f"variance step vs fit ({n} rows, {what})",
                f"{v['variance']:.3f} s vs {v['fit']:.3f} s = {v['variance'] / v['fit']:.2f}x",
                "<= 0.3x", v["variance"] / v["fit"] <= 0.3)
        base = m.get("fpc_plain", m["model_best"])
        for label, what in (("fpc", "fpc at stage 1"), ("two_stage", "two stages, fpc at both")):
            if label in m:
                v = m[label]
                add(f"svy_logit with {what} vs without ({n} rows)",
                    f"{v['model']:.2f} s vs {base:.2f} s = {v['model'] / base:.2f}x "
                    f"(variance step {v['variance']:.3f} s)", "<= 1.2x",
                    v["model"] / base <= 1.2)
        if "rake" in m:
            v = m["rake"]
            add(f"raking to 3 margins ({n} rows): the weights", f"{v['weights']:.2f} s",
                "<= 2 s", v["weights"] <= 2.0)
            add(f"svy_logit on the raked design vs unraked ({n} rows)",
                f"{v['model']:.2f} s vs {base:.2f} s = {v['model'] / base:.2f}x")
    rep = res.get("replicate")
    if rep:
        size = f"{rep['n'] // 10 ** 6}M" if rep["n"] >= 10 ** 6 else f"{rep['n'] // 1000}k"
        t2, t1 = rep["threads2"], rep["threads1"]
        build, fit2, fit1 = min(t2["build"]), min(t2["fit"]), min(t1["fit"])
        runs = f"best of {len(t2['fit'])}" if len(t2["fit"]) > 1 else "one run"
        add(f"replicate design {rep['replicates']} x {size}: build "
            f"({rep['psus']:,} PSUs, combined bootstrap weights)", f"{build:.2f} s")
        add(f"pooled model, {rep['replicates']} replicates, 2 threads ({t2['p']} columns)",
            f"{fit2:.1f} s ({runs}; CPU {t2['fit_cpu']:.1f} s; load {rep['load']:.1f})",
            "<= 10 s", fit2 <= 10 if rep["n"] >= 10 ** 6 else None)  # issue 30's targets
        add("  same, 1 thread", f"{fit1:.1f} s (CPU {t1['fit_cpu']:.1f} s); 1 thread / 2 threads "
            f"= {fit1 / fit2:.2f}x; results differ by {rep['threads_agree']:.1e}")
        if "r_skipped" in rep:
            add("R svyglm on the same design", f"skipped: {rep['r_skipped']}")
        else:
            r = rep["r"]
            scaled = r["n"] != rep["n"]
            r_fit = r["fit"] * rep["n"] / r["n"] if scaled else r["fit"]
            rn = f"{r['n'] // 1000}k" if r["n"] < 10 ** 6 else f"{r['n'] // 10 ** 6}M"
            add("R svyglm on the same design" + (f" (SCALED: run on {rn} rows x "
                                                 f"{rep['n'] / r['n']:g})" if scaled else ""),
                f"{r_fit:.1f} s (one run; svrepdesign {r['build']:.1f} s; load {r['load']:.1f})")
            if "r_multicore" in rep:
                rm = rep["r_multicore"]
                rm_fit = rm["fit"] * rep["n"] / rm["n"] if scaled else rm["fit"]
                add("  R svyglm, multicore = TRUE (2 forked processes)", f"{rm_fit:.1f} s "
                    f"= {rm_fit / fit2:.1f}x coprod's 2 threads")
            add("speed-up vs R (coprod 2 threads)" + (" (SCALED R time)" if scaled else ""),
                f"{r_fit / fit2:.1f}x (1 thread: {r_fit / fit1:.1f}x)", ">= 8x",
                r_fit / fit2 >= 8)
            a = rep["agreement"]
            an = f" (on the {a['n']:,}-row survey)" if scaled else ""
            add(f"  coprod vs R: max |d estimate|, max rel d SE{an}",
                a.get("error") or f"{a['max_abs_estimate_diff']:.1e}, "
                f"{a['max_rel_se_diff']:.1e}", "same numbers", a["ok"])
    width = max(len(r[0]) for r in rows)
    vw = max(len(r[1]) for r in rows)
    lines = [f"{'figure':<{width}}  {'value':<{vw}}  {'target':<12}  status",
             "-" * (width + vw + 24)]
    lines += [f"{a:<{width}}  {b:<{vw}}  {c:<12}  {d}" for a, b, c, d in rows]
    return "\n".join(lines)


def micro_r_rows(m: dict, n: str, runs: str) -> tuple:
    """The R svyglm row of the micro figures and the ratio row (issue 30: <= 0.05x)."""
    if "r" not in m:
        return ("svy_logit / R svyglm (quasibinomial) on the same design",
                f"skipped: {m.get('r_skipped', 'not run')}", "<= 0.05x", None)
    r = m["r"]
    scaled = r["n"] != m["n"]
    rn = f"{r['n'] // 10 ** 6}M" if r["n"] >= 10 ** 6 else f"{r['n'] // 1000}k"
    py = m["py_small"]["model_best"] if scaled else m["model_best"]
    return ("  R svyglm (quasibinomial), svydesign + svyglm, file read not timed"
            + (f" (SCALED: both on {rn} rows)" if scaled else ""),
            f"{r['total']:.2f} s ({runs}; svydesign {r['design']:.2f} s; load "
            f"{r['load']:.1f}); coprod / R = {py:.2f} / {r['total']:.2f} s = "
            f"{m['r_ratio']:.3f}x", "<= 0.05x", m["r_ratio"] <= 0.05)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="coprod speed and scale figures")
    parser.add_argument("--quick", action="store_true",
                        help="smoke check: one repeat each, 100k only (no 1M pipeline; "
                             "replicate figures on 100k rows)")
    parser.add_argument("--sizes", default=None,
                        help="respondents for the scale runs, comma-separated "
                             "(default 100000,1000000; --quick: 100000)")
    parser.add_argument("--skip", default="",
                        help="comma-separated: " + ",".join(SECTIONS))
    parser.add_argument("--only", default="",
                        help="comma-separated: run only these (" + ",".join(SECTIONS)
                             + ",report-stage); report-stage: the report stage's job time "
                             "from cold runs of its own when cold is not among them")
    parser.add_argument("--repeats", type=int, default=None,
                        help="repeats of the repeated figures (default 3; --quick: 1)")
    parser.add_argument("--write-baseline", action="store_true",
                        help="store the report stage's figures as its baseline "
                             "(benchmarks/report_stage_baseline.json)")
    parser.add_argument("--replicate-rows", type=int, default=None,
                        help="respondents of the replicate-weights figures (default 1000000; "
                             "--quick: 100000)")
    parser.add_argument("--r-rows", type=int, default=None,
                        help="run R's svyglm on a survey of this many rows instead and scale "
                             "its time up (for when R is too slow on the full size)")
    parser.add_argument("--micro-r-rows", type=int, default=None,
                        help="compare svy_logit with R's svyglm on a survey of this many rows "
                             "(both sides) instead of 1,000,000 (for when R is too slow there)")
    parser.add_argument("--r-multicore", action="store_true",
                        help="also time R's svyglm with multicore = TRUE (2 processes)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary project copies")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in (args.sizes or ("100000" if args.quick else "100000,1000000"))
             .split(",") if s]
    skip = set(filter(None, args.skip.split(",")))
    only = set(filter(None, args.only.split(",")))
    unknown = (skip | only) - {*SECTIONS, "report-stage"}
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if only:
        skip |= set(SECTIONS) - only
    repeats = args.repeats or (1 if args.quick else 3)
    tmp = Path(tempfile.mkdtemp(prefix="coprod-bench-"))
    res: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                             "platform": platform.platform()}}
    print(f"coprod benchmarks ({'quick' if args.quick else 'full'}); work in {tmp}; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    try:
        if "cold" not in skip:
            print("- cold pipeline, baseline, no-op rerun ...", flush=True)
            res["cold"] = bench_cold(tmp, repeats)
        elif "report-stage" in only:
            print(f"- the report stage's job time: {repeats} cold run(s) ...", flush=True)
            res["report_stage"] = bench_report_stage(tmp, repeats)
        if "scale" not in skip:
            res["scale"] = {}
            for n in sizes:
                print(f"- pipeline on {n:,} simulated respondents ...", flush=True)
                res["scale"][str(n)] = bench_scale(tmp, n)
        if "micro" not in skip:
            n_micro_r = args.micro_r_rows or None
            print("- svy_logit and the variance step on 1,000,000 rows, R's svyglm on the same "
                  f"design{f' ({n_micro_r:,} rows for both)' if n_micro_r else ''} ...",
                  flush=True)
            res["micro"] = bench_micro(tmp, 10 ** 6, repeats, n_micro_r)
            if "r_skipped" in res["micro"]:
                print(f"  note: no R figures ({res['micro']['r_skipped']})", flush=True)
        if "specifications" not in skip:
            print("- the specification curve: 4, 7 and 11 covariate sets (448, 784 and 1,232 "
                  "specifications over the 6 samples) ...", flush=True)
            res["specifications"] = [bench_specifications(tmp, k) for k in (4, 7, 11)]
        if "scales" not in skip:
            n_sc = 100_000 if args.quick else 10 ** 6
            print(f"- ordinal and count models on {n_sc:,} rows (one thread), R's svyolr on "
                  "100,000 ...", flush=True)
            res["scales"] = bench_scales(tmp, n_sc, repeats)
        if "replicate" not in skip:
            n_rep = args.replicate_rows or (100_000 if args.quick else 10 ** 6)
            print(f"- replicate weights: 80 replicates on {n_rep:,} rows, coprod (2 and 1 "
                  "threads) and R's svyglm ...", flush=True)
            res["replicate"] = bench_replicate(tmp, n_rep, repeats, args.r_rows,
                                               args.r_multicore)
            if "r_skipped" in res["replicate"]:
                print(f"  note: no R figures ({res['replicate']['r_skipped']})", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
    stage_runs = res.get("report_stage") or res.get("cold", {}).get("report_stage")
    if args.write_baseline:
        if not stage_runs:
            parser.error("--write-baseline needs the report stage's runs (cold or report-stage)")
        reportstage.write_baseline(stage_runs)
        print(f"baseline written to {reportstage.BASELINE.relative_to(ROOT)}", flush=True)
    table = report(res)
    print()
    print(table)
    print(f"\nload average now {os.getloadavg()[0]:.1f} (wall times grow with other work on "
          "the machine)")
    out = ROOT / "benchmarks" / "out"
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(res, indent=2, default=str))
    (out / "table.txt").write_text(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
