"""The whole pipeline on the bundled data, as a user runs it: outputs, the report, reruns."""
import csv
import hashlib
import io
import os
import signal
import subprocess
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import (
    BIN,
    EPOCH,
    LIGHT,
    ROOT,
    SNAKEMAKE,
    copy_project,
    light_cluster_run,
    snakemake,
)

COUNTRIES = ["UK", "FR", "DE", "DK", "CZ"]
REPORT = "results/report.html"


def test_clean_outputs(pipeline):
    clean = pipeline / "results" / "clean"
    for f in ("survey.parquet", "cleaning_log.csv", "cleaning_summary.csv", "cleaning_summary.md"):
        assert (clean / f).stat().st_size > 0
    summ = pd.read_csv(clean / "cleaning_summary.csv")
    assert summ["country"].tolist() == COUNTRIES and summ["balanced"].all()


def test_model_outputs(pipeline):
    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    m = pipeline / "results" / "models"
    fit = pd.read_csv(m / "fit.csv")
    assert len(fit) == len(cfg["models"]["outcomes"]) * len(cfg["models"]["samples"])
    for t in ("coefficients", "ame", "predictions", "flags", "excluded", "contrast", "effects",
              "effects_mi"):
        assert (m / f"{t}.csv").stat().st_size > 0
    contrast = pd.read_csv(m / "contrast.csv")
    assert set(contrast["sample"]) == set(cfg["models"]["samples"])


def test_excluded_by_variable_counts_each_models_respondents(pipeline):
    """excluded.csv: for each model, the respondents of its sample missing each of its
    variables (a respondent missing several counts under each), and fit.csv's
    n_excluded_missing those missing any; the flags' count in fit.csv is flags.csv's rows."""
    from coprod.pipeline.io import read_table
    from coprod.pipeline.models import sample_covariates

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["models"]
    m = pipeline / "results" / "models"
    table = read_table(pipeline / "results" / "clean" / "survey.parquet")
    fit = pd.read_csv(m / "fit.csv")
    excluded = pd.read_csv(m / "excluded.csv")
    flags = pd.read_csv(m / "flags.csv")
    assert list(excluded.columns) == ["outcome", "sample", "variable", "n_excluded"]
    for _, f in fit.iterrows():
        rows = table if f["sample"] == "pooled" else table[table["country"] == f["sample"]]
        covs = sample_covariates(cfg["covariates"], f["sample"], table, cfg["group_effects"])
        variables = [f["outcome"], *covs]
        own = excluded[(excluded["outcome"] == f["outcome"]) & (excluded["sample"] == f["sample"])]
        want = {v: int(rows[v].isna().sum()) for v in variables if rows[v].isna().any()}
        assert dict(zip(own["variable"], own["n_excluded"])) == want
        assert f["n_excluded_missing"] == int(rows[variables].isna().any(axis=1).sum())
        assert f["n_flags"] == int(((flags["outcome"] == f["outcome"])
                                    & (flags["sample"] == f["sample"])).sum())
        assert (f["n_flags"] > 0) == (f["status"] != "ok")
    # the bundled data has respondents missing several variables: the counts overlap
    pooled = excluded.groupby(["outcome", "sample"])["n_excluded"].sum()
    assert (pooled > fit.set_index(["outcome", "sample"])["n_excluded_missing"]
            .reindex(pooled.index)).any()


def test_no_csv_under_results_models_packs_a_list(pipeline):
    """One value a cell: no cell of a models CSV holds a list of names or 'name: count'
    pairs joined by ';' or ', ' (those are rows of their own: excluded.csv, flags.csv). Text
    meant for a reader (a message, a note, a flag's detail) may be a sentence with commas; a
    joint test's terms are rows of test_terms.csv."""
    import re

    # a list: two or more items, each a code name or 'code: number', joined by ';' or ', '
    item = r"[A-Za-z_][\w.\[\]]*(?::\s*\d+)?"
    packed = re.compile(rf"^{item}(?:\s*;\s*|, ){item}(?:(?:\s*;\s*|, ){item})*$")
    prose = {"message", "note", "detail", "comparison"}
    found = []
    for path in sorted((pipeline / "results" / "models").rglob("*.csv")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in df.columns:
            if col in prose:
                continue
            hits = [v for v in df[col] if packed.match(v)]
            if hits:
                found.append(f"{path.relative_to(pipeline)}: {col} = {hits[0]!r}")
    assert not found, found


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.tags, self.urls, self.imgs = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.append(a["id"])
        for k in ("src", "href"):
            if k in a:
                self.urls.append(a[k])
        if tag == "img":
            self.imgs.append(a.get("src", ""))


def test_report_html_is_complete_and_self_contained(pipeline):
    from coprod.pipeline.reportsettings import ReportSettings
    from coprod.pipeline.settings import load_settings
    from coprod.report.report import figure_names, report_settings, table_names

    cfg = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    html = (pipeline / "results" / "report.html").read_text(encoding="utf-8")
    p = _Collect()
    p.feed(html)
    for section in ("answer", "findings", "figures", "tables", "cleaning", "methods",
                    "methods-data", "methods-design", "methods-outcomes", "methods-models",
                    "methods-software", "methods-files", "verdict-rule", "run-date",
                    "synthetic-warning"):
        assert section in p.ids, section
    settings = report_settings(load_settings(cfg))
    for name in figure_names(ReportSettings.from_params(settings)):
        assert f"fig-{name}" in p.ids
        assert (pipeline / "results" / "figures" / f"{name}.png").exists()
        assert (pipeline / "results" / "figures" / f"{name}.pdf").exists()
    for name in list(table_names(ReportSettings.from_params(settings))) + ["findings"]:
        assert f"table-{name}" in p.ids
        for ext in ("csv", "data.csv", "tex", "html", "json"):
            assert (pipeline / "results" / "tables" / f"{name}.{ext}").exists()
    assert len(p.ids) == len(set(p.ids))
    assert p.imgs and all(s.startswith("data:image/png;base64,") for s in p.imgs)
    assert not {"script", "link", "iframe"} & set(p.tags)
    # resources are inside the page; links lead to the result files beside it
    outside = [u for u in p.urls if not u.startswith(("data:", "#"))
               and not (".." not in u and (pipeline / "results" / u).is_file())]
    assert outside == []
    assert any(u.startswith("figures/") for u in p.urls)
    assert any(u.startswith("tables/") and u.endswith(".csv") for u in p.urls)
    assert "http://" not in html and "https://" not in html


def _tidy(path) -> pd.DataFrame:
    """A tidy table as data: codes as text, every number back exactly as written."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in ("estimate", "conf_low", "conf_high", "p_value", "statistic", "df_num", "df_den",
                "per"):
        if col in df.columns:
            df[col] = [float(x) if x != "" else np.nan for x in df[col]]  # Python's exact parse
    return df


def _same(tidy: pd.DataFrame, model: pd.DataFrame, keys: list[str], columns: dict) -> int:
    """Join the tidy estimate cells to the model file on ``keys``; each statistic
    ({tidy column: model column}) equals the model's exactly, the estimate and its interval
    times the cell's ``per`` where report.per scaled them (the p-value is the same). Returns
    how many cells were compared."""
    cells = tidy[tidy["kind"] == "estimate"]
    model = model.assign(**{k: model[k].fillna("").astype(str) for k in keys})
    joined = cells.merge(model, on=keys, how="left", suffixes=("", "_model"), indicator=True,
                         validate="many_to_one")
    assert (joined["_merge"] == "both").all(), joined.loc[joined["_merge"] != "both", keys]
    for mine, theirs in columns.items():
        theirs = joined[f"{theirs}_model" if theirs in cells.columns else theirs]
        expected = theirs if mine == "p_value" else \
            np.where(joined["per"].notna(), joined["per"] * theirs, theirs)
        diff = joined[mine].to_numpy() != np.asarray(expected)
        diff &= ~(joined[mine].isna().to_numpy() & pd.isna(expected))
        assert not diff.any(), joined.loc[diff, keys + [mine]]
    return len(joined)


def test_the_tidy_tables_hold_the_result_files_estimates_to_full_precision(pipeline):
    """Issue 27: every estimate of a tidy table (tables/*.data.csv) is the result file's, to
    the last digit (report.per: k times it, the row's ``per`` saying k); keyed by the result
    files' codes, proportions as proportions, a joint test's F and df in columns."""
    from coprod.pipeline.io import read_results

    tables, models = pipeline / "results" / "tables", pipeline / "results" / "models"
    coefs = read_results(models / "coefficients.csv", "coefficients")
    compared = 0
    for path in sorted(tables.glob("models_*.data.csv")) + [tables / "scales.data.csv"]:
        tidy = _tidy(path)
        assert {"outcome", "sample", "term", "variable", "level"} <= set(tidy.columns), path
        assert set(tidy.loc[tidy["kind"] == "estimate", "scale"]) <= {"log_odds", "log_rate"}
        compared += _same(tidy, coefs, ["outcome", "sample", "term"],
                          {"estimate": "estimate", "conf_low": "conf_low",
                           "conf_high": "conf_high", "p_value": "p_value"})
        tests = tidy[tidy["kind"] == "test"]
        assert len(tests) and tests[["statistic", "df_num", "df_den", "p_value"]].notna().all(
            axis=None), path
    assert compared > 400
    assert (_tidy(tables / "models_pooled_any.data.csv")["per"] == 10).any()  # report.per
    desc = read_results(pipeline / "results" / "descriptives" / "descriptives.csv",
                        "descriptives")
    tidy = _tidy(tables / "descriptives.data.csv")
    assert _same(tidy, desc, ["group", "variable", "level"],
                 {"estimate": "estimate", "conf_low": "conf_low", "conf_high": "conf_high"}) > 50
    shares = tidy[tidy["scale"] == "proportion"]
    assert shares["estimate"].between(0, 1).all() and len(shares)  # one scale: 0-1
    ame = read_results(models / "ame.csv", "ame")
    ame = ame[ame["category"].fillna("").astype(str) == ""]  # an ordinal model's: by category
    assert _same(_tidy(tables / "ame.data.csv"), ame, ["outcome", "sample", "variable",
                                                       "contrast"],
                 {"estimate": "estimate", "conf_low": "conf_low", "conf_high": "conf_high",
                  "p_value": "p_value"}) > 20
    contrast = read_results(models / "contrast.csv", "contrast")
    contrast = contrast[contrast["kind"] == "term"]
    tidy = _tidy(tables / "contrast.data.csv")
    assert set(tidy.loc[tidy["kind"] == "estimate", "scale"]) == {"log_odds_difference"}
    assert _same(tidy, contrast, ["sample", "term"],
                 {"estimate": "difference", "conf_low": "conf_low", "conf_high": "conf_high",
                  "p_value": "p_value"}) > 50


def test_findings_check_on_bundled_data(pipeline):
    check = pd.read_csv(pipeline / "results" / "tables" / "findings_check.csv")
    assert len(check) == 7
    verdicts = check.set_index("id")["verdict"]
    # "no relation" is an equivalence test; "strongest" compares effects per SD
    assert verdicts.pop("gender_collective") == "equivalent"
    assert set(verdicts) == {"supported"}
    strongest = check.set_index("id").loc["efficacy_collective", "note"]
    assert strongest.startswith("the largest change per SD (")
    assert "clearly larger than every other covariate" in strongest
    # the same rule as the key findings: effects.csv names self-efficacy the strongest
    effects = pd.read_csv(pipeline / "results" / "models" / "effects.csv")
    top = effects[(effects["outcome"] == "collective_any") & (effects["sample"] == "pooled")
                  & (effects["rank"] == 1)]
    assert list(top["variable"]) == ["self_efficacy"] and list(top["verdict"]) == ["strongest"]
    # under the ordinal and count models too
    assert set(check["verdict_ordinal"].dropna()) <= {"supported", "equivalent", "not applicable"}
    assert set(check["verdict_count"].dropna()) <= {"supported", "equivalent", "not applicable"}


def test_no_separated_specification_is_judged(pipeline):
    """Issue 25: at the "sometimes" cut the individual models are separated (1 respondent in
    the rarer class), complete cases and imputed alike; such a fit judges no claim, and the
    findings check counts it as not estimable."""
    specs = pd.read_csv(pipeline / "results" / "models" / "specifications.csv",
                        keep_default_na=False)
    separated = specs["note"].str.contains("separation")
    assert separated.sum() >= 2 and set(specs.loc[separated, "missing"]) == \
        {"complete_case", "imputed"}  # the check below is not vacuous, for either kind
    assert set(specs.loc[separated, "verdict"]) == {"not estimated"}
    assert (specs.loc[specs["verdict"] == "not estimated", "note"] != "").all()  # says why
    check = pd.read_csv(pipeline / "results" / "tables" / "findings_check.csv").set_index("id")
    for cid, rows in specs.groupby("claim"):
        judged = rows[rows["verdict"] != "not estimated"]
        assert check.loc[cid, "spec_total"] == len(rows)
        assert check.loc[cid, "spec_estimable"] == len(judged)
        assert check.loc[cid, "spec_not_estimable"] == len(rows) - len(judged)
        assert check.loc[cid, "spec_contradicted"] == \
            judged["verdict"].isin(["contradicted", "different"]).sum()
    # the claim of no relation carries the interval its test judges: equivalent iff inside
    none = specs[specs["claim"] == "gender_collective"]
    inside = (np.exp(none["equivalence_low"].astype(float)) > none["bound_low"].astype(float)) \
        & (np.exp(none["equivalence_high"].astype(float)) < none["bound_high"].astype(float))
    assert ((none["verdict"] == "equivalent") == inside).all() and inside.any()


def test_second_run_does_nothing(pipeline):
    proc = snakemake(pipeline, "-n")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_snakemake_report_zip(pipeline):
    snakemake(pipeline, "--report", "results/report.zip")
    with zipfile.ZipFile(pipeline / "results" / "report.zip") as z:
        names = z.namelist()
    assert any(n.endswith("report.html") for n in names)
    assert any(n.endswith(".png") for n in names)


def test_changing_a_figure_setting_reruns_only_report_rules(pipeline, tmp_path):
    extra = tmp_path / "dpi.yaml"
    extra.write_text("report:\n  figures:\n    dpi: 150\n")
    # Snakemake's summary is a tab-separated table (output file, date, rule, log, status, plan):
    # the rules with an update pending are the ones that would rerun
    proc = snakemake(pipeline, "--summary", "--configfile", "config/config.yaml", str(extra))
    rows = list(csv.DictReader(io.StringIO(proc.stdout), delimiter="\t"))
    assert rows and {"rule", "plan"} <= set(rows[0]), proc.stdout[:2000]
    jobs = {r["rule"] for r in rows if r["plan"] != "no update"}
    assert jobs == {"figures", "robustness", "speccurve", "report_html"}, proc.stdout


def _digests(root: Path) -> dict:
    out = {}
    for p in sorted((root / "results").rglob("*")):
        # timings (Snakemake benchmark files) differ by nature; everything else must not
        if p.is_file() and p.name != "report.zip" and "benchmarks" not in p.parts:
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def _without_run_date(path: Path) -> str:
    return "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                     if 'id="run-date"' not in line)


def _kill_when_jobs_run(work: Path, sig: int, since: float) -> None:
    """Start the LIGHT run in ``work``, wait until a job has written to its log after
    ``since`` (a model job under way), then send ``sig`` to Snakemake and all its jobs."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg",
               SOURCE_DATE_EPOCH=EPOCH)
    console = work.parent / f"console-{sig}.txt"  # what Snakemake said, should it end early
    with open(console, "w") as out:
        # Ctrl-C reaches the run even when the tests themselves run where SIGINT is ignored (a
        # background job of a non-interactive shell: its children inherit the ignoring, and
        # Snakemake would then finish the whole run through the "Ctrl-C")
        proc = subprocess.Popen([SNAKEMAKE, "--cores", "2", "--config", *LIGHT], cwd=work,
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    def under_way() -> bool:
        """A model job has written to its log (logs/models/), or three jobs have: the run is
        past the cleaning with most of its jobs still to come."""
        recent = [p for p in (work / "logs").rglob("*.log") if p.stat().st_mtime > since]
        return len(recent) >= 3 or any(p.parent.name == "models" for p in recent)

    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None and not under_way():
        time.sleep(0.2)
    time.sleep(0.5)  # into the jobs' work, not between two jobs
    # still running: it started (no lock left by an earlier interruption) and was caught mid-way
    assert proc.poll() is None, (f"the run ended (code {proc.returncode}) before the signal:\n"
                                 + console.read_text()[-3000:])
    os.killpg(proc.pid, sig)
    proc.wait(timeout=120)
    if sig == signal.SIGINT:  # Snakemake stops its jobs; make sure nothing is left running
        time.sleep(1)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.mark.pipeline
def test_killed_run_finishes_correctly_when_rerun(tmp_path_factory, tmp_path):
    """Ctrl-C, then kill -9 of the rerun (as a power cut): each time nothing is left written
    half-way; the kill leaves Snakemake's lock, and the README's recovery (`snakemake
    --unlock`, then the usual command) finishes with every output equal, byte for byte, to an
    uninterrupted run's: the same settings run as cluster jobs (test_cluster.py), every job in
    its own process. So one comparison checks two things -- a killed local run finishes
    correctly, and cluster jobs give what local jobs give; were they to differ, a clean local
    run (`snakemake --cores 2 --config` with conftest.LIGHT) tells which is wrong. (With the
    LIGHT settings: every rule, fewer jobs of each.)"""
    from concurrent.futures import ThreadPoolExecutor

    work = copy_project(tmp_path / "killed")
    # the reference is made meanwhile (or by the other worker): no core waits for it at the end
    pool = ThreadPoolExecutor(1)
    reference = pool.submit(light_cluster_run, tmp_path_factory)
    before = []
    for sig in (signal.SIGINT, signal.SIGKILL):
        _kill_when_jobs_run(work, sig, since=time.time() - 0.01)
        report = work / REPORT
        before.append((sig, _digests(work),
                       _without_run_date(report) if report.exists() else None))
        assert not [k for k in before[-1][1] if k.endswith(".part")], sig
    snakemake(work, "--unlock", "--config", *LIGHT)
    snakemake(work, "--cores", "2", "--config", *LIGHT, env={"SOURCE_DATE_EPOCH": EPOCH})
    ref_root = reference.result()
    pool.shutdown()
    ref = _digests(ref_root)
    assert len(ref) > 40, sorted(ref)  # the reference is a whole run
    for sig, done_before, report in before:
        # every file there was a complete, identical copy of a real output (a report finished
        # before the signal differs only in its run date)
        partial = [k for k, v in done_before.items() if k in ref and v != ref[k]
                   and not (k == REPORT and report == _without_run_date(ref_root / k))]
        assert not partial, (sig, partial)
    after = _digests(work)
    assert set(after) == set(ref)
    differ = [k for k in ref if after[k] != ref[k]]
    assert differ == [], f"the killed-and-finished local run and the cluster run differ: {differ}"
