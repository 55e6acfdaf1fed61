"""Render the bad-input catalogue (tests/catalogue.py) as docs/bad_inputs.md."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def render(cases) -> str:
    lines = [
        "# Bad inputs and what you will see",
        "",
        "Each row is a test case in `tests/catalogue.py`, checked by",
        "`tests/unit/pipeline/test_catalogue.py` with the functions the rules run (start-up checks,",
        "cleaning, model stage); one case of each kind also runs through Snakemake in",
        "`tests/e2e/test_catalogue_runs.py`. *stop*: the run ends with a non-zero exit and one line",
        "naming the file, column, key or value (the full traceback is in the rule's log under",
        "`logs/`).",
        "*continue*: the run finishes; the problem is written into the model's tables",
        "(`status`, `message`, `n_flags` in `fit.csv`; one row a flag in `flags.csv`) and shown in the",
        "report.",
        "",
        "| # | kind | mistake | outcome | message contains |",
        "|---|---|---|---|---|",
    ]
    for i, c in enumerate(cases, 1):
        msg = c.message.replace("|", "\\|")
        lines.append(f"| {i} | {c.kind} | {c.what} | {c.outcome} | `{msg}` |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "tests"))
    from catalogue import CASES

    (ROOT / "docs" / "bad_inputs.md").write_text(render(CASES), encoding="utf-8")
