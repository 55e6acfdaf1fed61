"""Every case of the bad-input catalogue (tests/catalogue.py), run through Snakemake as a user
would: a clear one-line message naming the file, column, key or value; no Python traceback on
the console (it goes to the rule's log); or, where the right answer is to go on, a finished run
whose tables report the problem."""
import pandas as pd
import pytest

from catalogue import CASES
from conftest import ROOT, copy_project, snakemake


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(tmp_path, case):
    work = copy_project(tmp_path / "p")
    case.setup(work)
    proc = snakemake(work, "--cores", "1", case.target, check=False, timeout=600)
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out[-3000:]
    if case.outcome == "stop":
        assert proc.returncode != 0
        lines = [l for l in out.splitlines() if case.message in l]
        assert lines, f"expected {case.message!r} in:\n{out[-3000:]}"
    else:
        assert proc.returncode == 0, out[-3000:]
        table = pd.read_csv(work / case.target)
        assert table["message"].fillna("").str.contains(case.message, regex=False).any(), \
            table.to_string()


def test_catalogue_is_documented():
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from write_catalogue_doc import render

    assert len(CASES) >= 30
    assert (ROOT / "docs" / "bad_inputs.md").read_text(encoding="utf-8") == render(CASES)
