"""The project's set-up promises: pins agree, CI runs the README's test command."""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

from write_environment import lock_pins, render  # noqa: E402


def test_environment_yml_carries_the_lock_pins():
    assert (ROOT / "environment.yml").read_text() == render(lock_pins(ROOT / "requirements.lock"))


def test_lock_pins_are_exact():
    pins = lock_pins(ROOT / "requirements.lock")
    assert pins and all(re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+", p) for p in pins)
    names = {p.split("==")[0].lower() for p in pins}
    for needed in ("pandas", "statsmodels", "scipy", "matplotlib", "snakemake", "pyreadstat"):
        assert needed in names


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.strip() and not line.startswith("#") and not line.startswith("set ")
          and not line.startswith("cd ")]
    # the README's test command, the linters, the documentation site (warnings are errors)
    assert ci[-3:] == ["make test", "make lint", "make docs"]
    # before them only the installation of the report checks' programs (tests/test_rendering)
    # and of the SLURM plugin (make cluster, for the SLURM profile's dry-run test)
    assert all(re.search(r"need|apt-get|command -v|^fi$|--no-install-recommends|^make cluster$",
                         line) for line in ci[:-3]), ci[:-3]


def test_the_lock_holds_everything_coprod_all_and_the_tests_need():
    """make venv installs the lock, then coprod with --no-deps, and environment.yml carries the
    lock's pins: so the lock alone must hold every package of coprod[all,test,docs] (the
    engine's core, the pipeline and report extras, the test tools, the documentation's),
    transitively, in range. Packages'
    own requirements are read from this environment's metadata (installed from the lock)."""
    import tomllib
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins = {canonicalize_name(name): version
            for name, version in (p.split("==") for p in lock_pins(ROOT / "requirements.lock"))}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

    def requirements(name: str, extras: frozenset[str]) -> list[Requirement]:
        if name == "coprod":
            found = [*project["dependencies"],
                     *(r for e in extras for r in project["optional-dependencies"][e])]
        else:
            found = metadata.requires(name) or []
        return [r for r in map(Requirement, found)
                if r.marker is None or any(r.marker.evaluate({"extra": e}) for e in extras or {""})]

    todo, seen, wrong = [("coprod", frozenset({"all", "test", "docs"}))], set(), []
    while todo:
        name, extras = todo.pop()
        for req in requirements(name, extras):
            key = canonicalize_name(req.name)
            if key == "coprod":  # one extra naming others ([all] = [pipeline,report])
                if (key, frozenset(req.extras)) not in seen:
                    seen.add((key, frozenset(req.extras)))
                    todo.append(("coprod", frozenset(req.extras)))
            elif key not in pins or not req.specifier.contains(pins[key], prereleases=True):
                wrong.append(f"{name} needs {req}; the lock has {pins.get(key, 'nothing')}")
            elif (key, frozenset(req.extras)) not in seen:
                seen.add((key, frozenset(req.extras)))
                todo.append((req.name, frozenset(req.extras)))
    assert not wrong, list(dict.fromkeys(wrong))
    # the extras are in it: the pipeline's, the report's, Snakemake's report (pygments), the
    # documentation's (make docs)
    assert {"snakemake", "statsmodels", "matplotlib", "pygments", "pytest", "sphinx",
            "numpydoc", "pydata-sphinx-theme", "myst-parser"} <= {k for k, _ in seen}


def test_the_cluster_lock_pins_the_slurm_plugin_alone():
    """make cluster installs requirements-cluster.lock into the venv made from
    requirements.lock: exact pins, none of them already in the main lock (Snakemake imports
    every installed executor plugin at its start, so the plugin stays out of the main one)."""
    cluster = lock_pins(ROOT / "requirements-cluster.lock")
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", p) for p in cluster), cluster
    names = {p.split("==")[0].lower() for p in cluster}
    assert "snakemake-executor-plugin-slurm" in names
    main = {p.split("==")[0].lower() for p in lock_pins(ROOT / "requirements.lock")}
    assert not names & main and not any(n.startswith("snakemake-executor-plugin-slurm")
                                        for n in main)
