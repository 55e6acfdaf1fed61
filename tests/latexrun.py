"""pdflatex for the tests that compile the report's LaTeX tables (tests/e2e): whether it can
run here, and one document compiled until its cross-references settle.

Why shared: the bundled tables (tests/e2e/test_rendering.py) and a run's own tables
(tests/e2e/test_nomodels_runs.py) are compiled the same way, so a change to how (the passes, the
log's encoding) is made once."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

PDFLATEX = shutil.which("pdflatex")
#: why a LaTeX check is skipped, as the skip says it
MISSING = ("pdflatex or siunitx is not installed (apt-get install texlive-latex-recommended "
           "texlive-latex-extra texlive-science): the LaTeX tables are not compiled")


def has_siunitx() -> bool:
    """pdflatex and the siunitx package (Debian's texlive-science) are both here."""
    kpsewhich = shutil.which("kpsewhich")
    return bool(PDFLATEX and kpsewhich and subprocess.run(
        [kpsewhich, "siunitx.sty"], capture_output=True, text=True).stdout.strip())


def compile_log(doc: Path, passes: int) -> str:
    """Compile ``doc`` in its folder up to ``passes`` times (longtable's widths and the list of
    tables need reruns: it stops when the log asks for none) and return the last log; an error
    fails the test with LaTeX's first error lines."""
    assert PDFLATEX is not None, MISSING
    for _ in range(passes):
        proc = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error",
                               doc.name], cwd=doc.parent, capture_output=True, text=True,
                              timeout=300)
        log = doc.with_suffix(".log").read_text(encoding="latin-1")
        if proc.returncode != 0 or "Rerun" not in log:
            break
    assert proc.returncode == 0, re.findall(r"^! .*$", log, re.M)[:3]
    return log
