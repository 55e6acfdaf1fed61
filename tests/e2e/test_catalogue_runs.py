"""The bad-input catalogue through Snakemake, as a user meets it: one case of each kind (and the
cases only a run shows) gives its one-line message and no traceback on the console; problems
that let the run go on are reported in its tables and its report. Every case is also checked
in-process by tests/unit/pipeline/test_catalogue.py."""

import pandas as pd
import pytest
from catalogue import CASES, SNAKEMAKE_ONLY, THROUGH_SNAKEMAKE
from conftest import QUICK_FIGURES, copy_project, snakemake

RUN = [c for c in CASES if c.id in THROUGH_SNAKEMAKE | SNAKEMAKE_ONLY]


@pytest.mark.pipeline
@pytest.mark.parametrize("case", RUN, ids=[c.id for c in RUN])
def test_bad_input_through_snakemake(tmp_path, case):
    work = copy_project(tmp_path / "p")
    case.setup(work)
    proc = snakemake(work, "--cores", "1", case.target, check=False, timeout=600)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out[-3000:]
    if case.outcome == "stop":
        assert proc.returncode != 0
        lines = [line for line in out.splitlines() if case.message in line]
        assert lines, f"expected {case.message!r} in:\n{out[-3000:]}"
    else:
        assert proc.returncode == 0, out[-3000:]
        table = pd.read_csv(work / case.target)
        assert table["message"].fillna("").str.contains(case.message, regex=False).any(), \
            table.to_string()


def test_every_named_case_exists():
    ids = {c.id for c in CASES}
    assert THROUGH_SNAKEMAKE | SNAKEMAKE_ONLY <= ids, sorted(THROUGH_SNAKEMAKE - ids)


@pytest.mark.pipeline
def test_problems_that_let_the_run_go_on_are_shown_in_the_report(tmp_path):
    """A model that cannot be fitted in one country and a lonely PSU: the run finishes, the
    tables say so, and so does the report."""
    from catalogue import both, codebook, config, sav, set_col

    work = copy_project(tmp_path / "p")
    both(
        sav("DK", set_col("Q54", 1.0)),                    # urban constant in DK: DK fails
        sav("CZ", set_col("REGION", 1.0)),                 # one PSU in the CZ stratum
        codebook(lambda cb: cb["variables"].update(region={"raw": "REGION", "role": "psu"})),
        config(lambda c: (c["design"].update(psu="region"),
                          c["models"].update(outcomes=["individual_any", "collective_any"],
                                             samples=["pooled", "DK", "CZ"]),
                          # what is checked here does not need the robustness analyses
                          c["imputation"].update(analyses="complete_case"),
                          c.update(specifications={"chunks": 1}),
                          c["report"]["figures"].update(QUICK_FIGURES))),
    )(work)
    proc = snakemake(work, "--cores", "2", check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "Traceback" not in out
    assert "could not be estimated" in out            # the console says so too
    fit = pd.read_csv(work / "results" / "models" / "fit.csv")
    dk = fit[fit["sample"] == "DK"]
    assert (dk["status"] == "failed").all() and dk["message"].str.contains("'urban'").all()
    flags = pd.read_csv(work / "results" / "models" / "flags.csv")
    lonely = flags[(flags["sample"] == "pooled") & (flags["flag"] == "lonely_psu")]
    pooled = fit[fit["sample"] == "pooled"]
    assert set(lonely["outcome"]) == set(pooled["outcome"]) and (pooled["n_flags"] > 0).all()
    html = (work / "results" / "report.html").read_text(encoding="utf-8")
    assert "'urban' has the single value" in html or "&#x27;urban&#x27; has the single value" in html
    assert "lonely" in html
