"""The process that schedules the jobs (the Snakefile and its rule files) imports none of the
data libraries: whatever it imports, every ``snakemake`` command pays for before it knows
whether there is any work, a no-op rerun included (pandas alone is about 0.3 s). The jobs
import them; the start-up checks (config, codebook, raw files, claims) do not need them."""
import json
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


def test_snakemake_looks_at_params_without_importing_pandas():
    """Snakemake pickles a script job's params and records a finished job's params without
    importing pandas in the scheduling process (coprod.pipeline.runner.
    params_checked_without_importing), and what it pickles and records is what it did with
    pandas imported: the workflow's params are plain values."""
    code = "\n".join([
        "import sys, json",
        "from snakemake.iocontainers import Params, Snakemake",
        "from snakemake.persistence.file import FilePersistence",
        "from snakemake.persistence import PersistenceBase",
        "store, serializer = Snakemake._safely_store_params, PersistenceBase._serialize_param",
        "from coprod.pipeline.runner import params_checked_without_importing",
        "params_checked_without_importing()",
        "params_checked_without_importing()  # twice: wrapped once",
        "values = [{'figures': {'dpi': 200, 'formats': ['png', 'pdf']}}, ['age', 'gender'],",
        "          'pooled', 0.95, None, True, {'UK': {'a': [1, 2]}}]",
        "p = Params(toclone=values)",
        "for i, name in enumerate(['settings', 'covariates', 'sample', 'conf']):",
        "    p._set_name(name, i)",
        "def looked(store, serializer):",
        "    o = Snakemake.__new__(Snakemake)",
        "    store(o, p)",
        "    f = FilePersistence.__new__(FilePersistence)",
        "    return [list(o._params_store), sorted(o._params_store._get_names()),",
        "            o._params_types, [serializer.fget(f)(v) for v in p]]",
        "lazy = looked(Snakemake._safely_store_params, PersistenceBase._serialize_param)",
        "loaded = [m for m in ('pandas', 'polars') if m in sys.modules]",
        "import pandas",
        "as_before = looked(store, serializer)",
        "print(json.dumps({'loaded': loaded, 'same': lazy == as_before, 'lazy': repr(lazy)}))",
    ])
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["loaded"] == []
    assert result["same"], result["lazy"]
    assert "'pooled'" in result["lazy"]  # the values really went through
