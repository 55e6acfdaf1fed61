"""The report stage's cold job time (issue 27: no slower after the report layer's rebuild).

Why a figure of its own: the report stage's wall span in a cold run is mostly waiting for the
models (the descriptives start beside them), so it says little about the report code. What the
rebuild can change is the work of the report jobs themselves: the sum of their own seconds.
Each job's timing record (results/benchmarks/<rule>.tsv) gives a job's wall seconds
(``s``) and its CPU seconds (``cpu_time``); a cold ``snakemake --cores 2`` run of a fresh copy
(the one ``run.py`` already makes) is summed over :data:`RULES`, the median taken over the runs,
and compared with the number stored in ``report_stage_baseline.json`` (measured before the
rebuild, at the commit it names).

``cpu_time`` was Snakemake's own sample (psutil, every 0.5 s for a job's first 15 s, then every
30 s) until the jobs wrote their own records (coprod.pipeline.jobrecord: getrusage as the job
ends); the stored baseline's is such a sample, a lower bound that missed up to 0.5 s a job. The exact figure,
``cpu``, comes from the job's own process: ``run.py`` puts :data:`SITECUSTOMIZE` on the run's
PYTHONPATH, which has every Python process of the run append its CPU seconds (``getrusage``, its
own and its children's) at exit to a file; a job is the process of its rule's script
(:data:`SCRIPTS`; Snakemake runs ``.snakemake/scripts/tmp….<script>.py``). Neither depends much
on other load on the machine; ``s`` is exact but grows with it.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "benchmarks" / "report_stage_baseline.json"
# the report stage's rules (workflow/rules/report.smk); findings only when report.findings is set
RULES = ("descriptives", "figures", "tables", "findings", "report_html")
# which of the two sums the target compares (README: wall time is too noisy on a shared machine)
PRIMARY = "cpu"
MEASURES = {"cpu": "CPU", "cpu_time": "recorded CPU", "s": "wall"}
# each rule's script (workflow/rules/report.smk; tests/unit/pipeline/test_benchmark_configs.py
# checks the two agree)
SCRIPTS = {"descriptives": "descriptives.py", "figures": "figures.py", "tables": "tables.py",
           "findings": "findings.py", "report_html": "report.py"}
CPU_LOG = "bench_cpu.jsonl"  # in the project copy, beside results/
SITECUSTOMIZE = '''\
"""coprod benchmarks (benchmarks/reportstage.py): each Python process appends its CPU seconds
at exit to $COPROD_BENCH_CPU."""
import atexit
import os


def _coprod_bench_cpu():
    import json
    import resource
    import sys

    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = json.dumps({"argv0": sys.argv[0] if sys.argv else "", "pid": os.getpid(),
                       "cpu": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime})
    with open(os.environ["COPROD_BENCH_CPU"], "a") as fh:
        fh.write(line + "\\n")


if os.environ.get("COPROD_BENCH_CPU"):
    atexit.register(_coprod_bench_cpu)
'''


def cpu_env(work: Path, site: Path) -> dict:
    """The environment that has a run in ``work`` record every process's CPU seconds (the
    sitecustomize module written into ``site``)."""
    site.mkdir(parents=True, exist_ok=True)
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    return {"PYTHONPATH": path, "COPROD_BENCH_CPU": str(work / CPU_LOG)}


def job_cpu(work: Path) -> dict[str, float]:
    """Each report rule's exact CPU seconds from the run's CPU log (a rule missing from it,
    e.g. a run without :func:`cpu_env`, is missing here)."""
    path = work / CPU_LOG
    out: dict[str, float] = {}
    if not path.exists():
        return out
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        for rule, script in SCRIPTS.items():
            if Path(rec["argv0"]).name.endswith("." + script):
                out[rule] = out.get(rule, 0.0) + rec["cpu"]
    return out


def read_benchmark(path: Path) -> dict:
    """The last record of one benchmark file, numbers as floats (NA as None)."""
    header, *rows = path.read_text().splitlines()
    rec = dict(zip(header.split("\t"), rows[-1].split("\t")))
    return {k: (None if v in ("NA", "") else float(v)) for k, v in rec.items()
            if k in ("s", "cpu_time", "max_rss")}


def measure(work: Path, run: dict | None = None) -> dict:
    """The report stage of one finished run in the project copy ``work``: each job's ``s`` and
    ``cpu_time`` and their sums; ``run`` (run.timed's result for the whole run) adds its wall
    time and load average."""
    root = work / "results" / "benchmarks"
    jobs = {rule: read_benchmark(root / f"{rule}.tsv") for rule in RULES
            if (root / f"{rule}.tsv").exists()}
    if not jobs:
        raise RuntimeError(f"no report-stage benchmark files in {root}")
    exact = job_cpu(work)
    for rule, j in jobs.items():
        j["cpu"] = exact.get(rule)
    out = {"jobs": jobs, **{m: sum(j[m] or 0.0 for j in jobs.values()) for m in MEASURES}}
    if len(exact) < len(jobs):  # not recorded: no exact figure rather than a partial sum
        out["cpu"] = None
    if run:
        out.update(run_wall=run["wall"], run_cpu=run["cpu"], load=run["load"])
    return out


def _median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summary(runs: list[dict]) -> dict:
    """Median of each sum over the runs, each rule's medians, and every run's sums (so the
    spread is on record)."""
    rules = sorted({rule for r in runs for rule in r["jobs"]}, key=RULES.index)
    return {"median": {m: _median(r[m] for r in runs) for m in MEASURES},
            "median_by_rule": {rule: {m: _median(r["jobs"].get(rule, {}).get(m) for r in runs)
                                      for m in MEASURES} for rule in rules},
            "runs": [{m: None if r.get(m) is None else round(r[m], 2)
                      for m in (*MEASURES, "load") if m in r} for r in runs],
            "rules": rules}


def load_baseline(path: Path = BASELINE) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def write_baseline(runs: list[dict], path: Path = BASELINE) -> dict:
    """Store ``runs`` as the baseline: the medians, each run, the commit, the machine, the
    date and how they were measured."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                            capture_output=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "scripts", "workflow",
                            "Snakefile", "config"], cwd=ROOT, text=True,
                           capture_output=True).stdout.strip()
    data = {
        "what": "report stage jobs, cold: sum over the jobs of rules " + ", ".join(RULES)
                + " of their CPU seconds (cpu: each job's process, getrusage at exit), their "
                "timing records' cpu_time and s (wall seconds)",
        "how": f"benchmarks/run.py --only report-stage: {len(runs)} cold `snakemake --cores 2` "
               "runs of fresh copies of the project with the bundled data and config; median "
               "over the runs",
        "primary": PRIMARY,
        "commit": commit + (" (with uncommitted changes to the pipeline)" if dirty else ""),
        "date": time.strftime("%Y-%m-%d"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        **summary(runs),
    }
    path.write_text(json.dumps(data, indent=2) + "\n")
    return data


def _fmt(values: dict) -> str:
    return " / ".join("n/a" if values.get(m) is None else f"{values[m]:.1f} s" for m in MEASURES)


def rows(runs: list[dict], baseline: dict | None) -> list[tuple[str, str, str, bool | None]]:
    """The table's rows: (figure, value, target, ok)."""
    s = summary(runs)
    med = s["median"]
    what = " / ".join(MEASURES.values())
    label = (f"report stage jobs, cold ({', '.join(s['rules'])}): sum of {what} seconds, "
             f"median of {len(runs)}")
    if baseline is None:
        return [(label, _fmt(med) + " (no baseline file)", "", None)]
    b = baseline["median"]
    primary = baseline.get("primary", PRIMARY)
    ok = None if med.get(primary) is None else med[primary] <= b[primary]
    out = [(label, _fmt(med), f"<= baseline ({MEASURES[primary]})", ok)]
    out.append((f"  baseline ({baseline['commit']}, {baseline['date']}), median of "
                f"{len(baseline['runs'])}", _fmt(b), "", None))
    out.append((f"  this run / baseline: {what}",
                ", ".join("n/a" if med.get(m) is None or not b.get(m) else
                          f"{med[m] / b[m]:.2f}x" for m in MEASURES), "", None))
    for name, group in (("this run", s["runs"]), ("baseline", baseline["runs"])):
        out.append((f"  {name}, each run: {what} (load)",
                    "; ".join(_fmt(r).replace(" s", "") + f" ({r.get('load', 0):.1f})"
                              for r in group), "", None))
    return out
