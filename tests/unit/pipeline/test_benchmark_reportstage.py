"""The report stage's benchmark figure (benchmarks/reportstage.py) sums the right jobs.

Why a test (no timing in it): the figure is compared with a stored baseline for as long as the
report layer is rebuilt, so a rule renamed in the workflow, a script renamed, or a sum that
silently drops a job would make the comparison meaningless without failing anything. This checks
the figure's rules and scripts against the workflow, the sums on a made-up run, and the stored
baseline's own consistency.
"""
import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "benchmarks"))
import reportstage  # noqa: E402


def _rule_scripts() -> dict[str, str]:
    """Each rule of workflow/rules/report.smk and the script it runs."""
    text = (ROOT / "workflow" / "rules" / "report.smk").read_text()
    found = {}
    for block in re.split(r"\n\s*rule ", text)[1:]:
        name = block.split(":", 1)[0].strip()
        script = re.search(r"script:\s*\"[./]*scripts/([\w.]+)\"", block)
        found[name] = script.group(1) if script else None
    return found


def test_the_figure_sums_the_report_rules_and_knows_their_scripts():
    rules = _rule_scripts()
    assert set(reportstage.RULES) == set(rules)
    assert reportstage.SCRIPTS == rules


def _fake_run(work: Path, jobs: dict, cpu: dict | None) -> None:
    bench = work / "results" / "benchmarks"
    bench.mkdir(parents=True)
    for rule, (s, cpu_time) in jobs.items():
        (bench / f"{rule}.tsv").write_text(
            "s\th:m:s\tmax_rss\tcpu_time\n" f"{s}\t0:00:01\t100.0\t{cpu_time}\n")
    # a job of another stage, not summed
    (bench / "clean.tsv").write_text("s\th:m:s\tmax_rss\tcpu_time\n9.0\t0:00:09\t100.0\t9.0\n")
    if cpu is not None:
        lines = [{"argv0": f"{work}/.snakemake/scripts/tmpab12.{reportstage.SCRIPTS[r]}",
                  "pid": i, "cpu": c} for i, (r, c) in enumerate(cpu.items())]
        lines.append({"argv0": f"{work}/.snakemake/scripts/tmpcd34.clean.py", "pid": 99,
                      "cpu": 9.0})
        (work / reportstage.CPU_LOG).write_text("".join(json.dumps(x) + "\n" for x in lines))


def test_measure_sums_the_report_jobs_alone(tmp_path):
    jobs = {"descriptives": (1.5, 0.5), "figures": (6.5, 6.0), "report_html": (1.0, "NA")}
    _fake_run(tmp_path, jobs, {"descriptives": 0.75, "figures": 6.25, "report_html": 0.5})
    out = reportstage.measure(tmp_path, {"wall": 60.0, "cpu": 70.0, "load": 1.5})
    assert set(out["jobs"]) == set(jobs)
    assert out["s"] == 9.0 and out["cpu_time"] == 6.5 and out["cpu"] == 7.5
    assert out["run_wall"] == 60.0 and out["load"] == 1.5


def test_without_every_job_in_the_cpu_log_there_is_no_exact_cpu(tmp_path):
    _fake_run(tmp_path, {"figures": (6.5, 6.0), "tables": (1.0, 0.5)}, {"figures": 6.25})
    out = reportstage.measure(tmp_path)
    assert out["cpu"] is None and out["cpu_time"] == 6.5
    rows = reportstage.rows([out], {"median": {"cpu": 7.0, "cpu_time": 7.0, "s": 8.0},
                                    "runs": [{"cpu": 7.0, "cpu_time": 7.0, "s": 8.0}],
                                    "commit": "abc", "date": "today", "primary": "cpu"})
    assert rows[0][2] == "<= baseline (CPU)" and rows[0][3] is None  # n/a, not PASS or MISS


def test_the_target_compares_the_primary_measure_with_the_baseline(tmp_path):
    _fake_run(tmp_path, {"figures": (6.5, 6.0)}, {"figures": 6.25})
    run = reportstage.measure(tmp_path)
    base = {"median": {"cpu": 6.0, "cpu_time": 7.0, "s": 9.0}, "commit": "abc",
            "date": "today", "primary": "cpu",
            "runs": [{"cpu": 6.0, "cpu_time": 7.0, "s": 9.0}]}
    assert reportstage.rows([run], base)[0][3] is False  # 6.25 s CPU > 6.0
    base["median"]["cpu"] = 6.25
    assert reportstage.rows([run], base)[0][3] is True


def test_the_stored_baseline_is_complete_and_its_medians_are_its_runs():
    base = reportstage.load_baseline()
    assert base is not None, "benchmarks/report_stage_baseline.json is committed"
    assert base["primary"] in reportstage.MEASURES
    assert base["commit"] and base["date"] and base["machine"]["cpus"] and base["how"]
    assert base["rules"] == list(reportstage.RULES)
    assert len(base["runs"]) >= 3
    for m in reportstage.MEASURES:
        # the runs are stored rounded to 0.01 s
        assert abs(base["median"][m] - statistics.median(r[m] for r in base["runs"])) <= 0.01
