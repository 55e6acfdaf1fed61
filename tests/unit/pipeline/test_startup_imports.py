"""The process that schedules the jobs (the Snakefile and its rule files) imports none of the
data libraries: whatever it imports, every ``snakemake`` command pays for before it knows
whether there is any work, a no-op rerun included (pandas alone is about 0.3 s). The jobs
import them; the start-up checks (config, codebook, raw files, claims) do not need them."""
import re
import subprocess
import sys

from conftest import ROOT

#: the data libraries a job needs and the scheduling process does not
HEAVY = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "pyarrow", "jinja2")


def workflow_imports() -> list[str]:
    """Every ``from coprod... import ...`` and ``import coprod...`` statement at the top of the
    Snakefile and of its rule files, as written (parenthesised lists joined)."""
    text = "\n".join(p.read_text(encoding="utf-8")
                     for p in [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))])
    found = re.findall(r"^(from coprod[\w.]* import (?:\([^)]*\)|[^\n]*)|import coprod[\w.]*)",
                       text, flags=re.M)
    return [" ".join(s.replace("(", " ").replace(")", " ").split()).replace(", ", ",")
            .replace(" ,", ",").rstrip(",") for s in found]


def test_the_workflow_imports_are_read():
    statements = workflow_imports()
    assert "from coprod.pipeline.startup import check_project" in statements
    assert any(s.startswith("from coprod.pipeline.reportsettings import") for s in statements)


def test_the_snakefile_start_up_imports_no_data_library():
    code = "\n".join([
        "import sys, yaml",
        *workflow_imports(),
        "from coprod.pipeline.startup import check_config_file, check_project",
        "from coprod.pipeline.config import spec_claims",
        "from coprod.pipeline.reportsettings import robustness_names",
        "check_config_file('config/config.yaml')",
        "config = yaml.safe_load(open('config/config.yaml', encoding='utf-8'))",
        # what common.smk runs: the config, its defaults, codebook, raw files, claims
        "project = check_project(config, configfiles=[], sources=['config/config.yaml'])",
        "assert project['settings'].codebook is not None",
        "assert spec_claims(config['report']['findings'])",
        "robustness_names(config['models']['scales'], project['families'])",
        f"print([m for m in {HEAVY!r} if m in sys.modules])",
    ])
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout
