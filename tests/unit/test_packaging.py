"""coprod as a package: a wheel, installed without the repository (not editable), imports and
finds its schemas (package data through importlib.resources); the engine (``coprod.survey``)
needs only the core dependencies, so ``pip install coprod`` is enough to fit a survey model and
the pipeline's and report's packages (``coprod[pipeline]``, ``coprod[report]``) stay out."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

GOLDEN = ROOT / "tests" / "data" / "golden"
#: packages of the extras (pipeline: snakemake, pyyaml, jsonschema, pyreadstat, statsmodels;
#: report: matplotlib) by import name. pyarrow is left out of the import check: pandas itself
#: imports it when it is installed.
EXTRAS_ONLY = ("snakemake", "matplotlib", "jsonschema", "yaml", "pyreadstat", "statsmodels")
#: the fit both checks run: R's survey::svyglm case "strata_psu_weights:individual"
FIT = """
import json, sys
import pandas as pd
from coprod.survey import make_design, svy_logit
data = pd.read_csv(sys.argv[1])
design = make_design(data, weights="weight", strata="country", psu="psu", keep_data=True)
out = svy_logit("individual ~ age + female + efficacy + country", design).tidy()
print(json.dumps({"file": __import__("coprod").__file__,
                  "fit": out[["term", "estimate", "std_error", "df_resid"]].to_dict("list"),
                  "loaded": [m for m in EXTRAS if m in sys.modules]}))
"""


def build_wheel(tmp_path: Path) -> Path:
    """coprod's wheel, built offline (no build isolation: setuptools from this environment)."""
    wheels, tree = tmp_path / "wheels", tmp_path / "tree"
    # build from a copy: setuptools writes build/ next to the sources
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns(
        "__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, tree / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(wheels), str(tree)], check=True,
                   cwd=tmp_path, capture_output=True)
    (wheel,) = wheels.glob("coprod-*.whl")
    return wheel


def assert_matches_svyglm(fit: dict) -> None:
    """The fit equals R's numbers (the tolerances of tests/golden/test_survey_golden.py)."""
    ref = pd.read_csv(GOLDEN / "svyglm_reference.csv")
    ref = ref[ref["case"] == "strata_psu_weights:individual"].set_index("term")
    out = pd.DataFrame(fit)
    out.index = [{"Intercept": "(Intercept)", "country[T.BB]": "countryBB",
                  "country[T.CC]": "countryCC"}.get(t, t) for t in out["term"]]
    assert sorted(out.index) == sorted(ref.index)
    out = out.loc[ref.index]
    np.testing.assert_allclose(out["estimate"], ref["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(out["std_error"], ref["std_error"], rtol=1e-6, atol=0)
    assert (out["df_resid"] == ref["df_resid"]).all()


@pytest.mark.slow  # pip builds and installs a wheel: seconds (make test runs it)
def test_a_wheel_installed_elsewhere_finds_its_schemas(tmp_path):
    wheel, target = build_wheel(tmp_path), tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(wheel)], check=True, capture_output=True)
    code = ("import coprod, coprod.pipeline.config as c\n"
            "print(coprod.__file__)\n"
            "try:\n"
            "    c.check_config_schema({'data': {}})\n"
            "except c.ConfigError as e:\n"
            "    print('schema ok:', str(e).splitlines()[0])\n"
            "from coprod.report.page import render\n"
            "from coprod.report.pagemodel import Page\n"
            "print('page ok:', '<style>' in render(Page('T', (), 'now')))\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
                         check=True).stdout.splitlines()
    assert out[0].startswith(str(target))  # the installed copy, not the repository's
    assert out[1].startswith("schema ok: config:")
    assert out[2] == "page ok: True"  # the page's template and style sheet came along


def test_the_engine_loads_none_of_the_extras_packages():
    """In this environment everything is installed, so only sys.modules can show that
    ``coprod.survey`` (imported, then fitting a model) leaves the extras' packages alone."""
    code = (f"import sys\nEXTRAS = {EXTRAS_ONLY!r}\n"
            "import coprod.survey\n"
            "print([m for m in EXTRAS if m in sys.modules])\n" + FIT)
    out = subprocess.run([sys.executable, "-c", code, str(GOLDEN / "design_survey.csv")],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    first, result = out.splitlines()[0], json.loads(out.splitlines()[-1])
    assert first == "[]"  # after `import coprod.survey`
    assert result["loaded"] == []  # after make_design and svy_logit
    assert_matches_svyglm(result["fit"])


def local_package_sources() -> tuple[list[str], list[str]]:
    """The package sources pip is configured with that lie on this machine: ``file://``
    indexes and find-links directories (``pip config list``: files and PIP_* variables).
    The fresh install uses these alone, so it never reaches the network."""
    listing = subprocess.run([sys.executable, "-m", "pip", "config", "list"],
                             capture_output=True, text=True).stdout
    indexes: list[str] = []
    links: list[str] = []
    for line in listing.splitlines():
        key, _, value = line.partition("=")
        option = key.rsplit(".", 1)[-1]
        for item in value.strip().strip("'\"").split():
            if option in ("index-url", "extra-index-url") and item.startswith("file://"):
                indexes.append(item)
            elif option == "find-links" and (item.startswith("file://") or Path(item).is_dir()):
                links.append(item)
    return list(dict.fromkeys(indexes)), list(dict.fromkeys(links))


@pytest.mark.slow
def test_the_core_package_alone_fits_a_design_based_logit(tmp_path):
    """``pip install coprod`` (no extras) into a fresh virtualenv, resolving the core
    dependencies' ranges (as ``pip install coprod`` does; the lock pins the whole pipeline's
    environment, not this) from the machine's local package sources: the engine fits R's
    svyglm numbers there, and none of the extras' packages is installed."""
    indexes, links = local_package_sources()
    if not indexes and not links:
        pytest.skip("pip has no local package source (file:// index or find-links directory) "
                    "configured; a fresh install of coprod's dependencies would need the network")
    wheel, venv = build_wheel(tmp_path), tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    python = str(venv / "bin" / "python")
    sources = (["--index-url", indexes[0]] if indexes else ["--no-index"])
    sources += [arg for index in indexes[1:] for arg in ("--extra-index-url", index)]
    sources += [arg for link in [*links, str(wheel.parent)] for arg in ("--find-links", link)]
    # only the sources named here: no configuration file, no PIP_* variable, no user site
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PYTHONNOUSERSITE="1")
    installed = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *sources, str(wheel)],
        cwd=tmp_path, capture_output=True, text=True, env=env)
    if installed.returncode and any(sign in installed.stderr for sign in (
            "No matching distribution", "Could not find a version", "ResolutionImpossible")):
        missing = [line for line in installed.stderr.splitlines() if "ERROR" in line]
        pytest.skip(f"the local package sources {indexes + links} lack a version of a core "
                    f"dependency in coprod's ranges: {missing[:2]}")
    assert installed.returncode == 0, installed.stderr
    names = subprocess.run(
        [python, "-c", "import importlib.metadata as m; "
                       "print('\\n'.join(sorted(d.metadata['Name'].lower() "
                       "for d in m.distributions())))"],
        capture_output=True, text=True, env=env, check=True).stdout.split()
    assert {"coprod", "numpy", "pandas", "scipy", "formulaic"} <= set(names)
    extras = {"snakemake", "matplotlib", "jsonschema", "pyyaml", "pyreadstat", "pyarrow",
              "statsmodels"}
    assert not extras & set(names), sorted(extras & set(names))
    out = subprocess.run([python, "-c", f"EXTRAS = {EXTRAS_ONLY!r}\n" + FIT,
                          str(GOLDEN / "design_survey.csv")],
                         cwd=tmp_path, capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.splitlines()[-1])
    assert result["file"].startswith(str(venv))  # the installed copy, not the repository's
    assert_matches_svyglm(result["fit"])
