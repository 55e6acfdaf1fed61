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
    assert ci[-2:] == ["make test", "make lint"]  # the README's test command, the linters
    # before them only the installation of the report checks' programs (tests/test_rendering)
    assert all(re.search(r"need|apt-get|command -v|^fi$|--no-install-recommends", line)
               for line in ci[:-2]), ci[:-2]
