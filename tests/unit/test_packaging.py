"""coprod as a package: a wheel, installed without the repository (not editable), imports and
finds its schemas (package data through importlib.resources)."""
from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_a_wheel_installed_elsewhere_finds_its_schemas(tmp_path):
    import shutil

    wheels, target, tree = tmp_path / "wheels", tmp_path / "site", tmp_path / "tree"
    # build from a copy: setuptools writes build/ next to the sources
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns(
        "__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, tree / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(wheels), str(tree)], check=True,
                   cwd=tmp_path, capture_output=True)
    (wheel,) = wheels.glob("coprod-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), str(wheel)], check=True, capture_output=True)
    code = ("import coprod, coprod.pipeline.config as c\n"
            "print(coprod.__file__)\n"
            "try:\n"
            "    c.check_config_schema({'data': {}})\n"
            "except c.ConfigError as e:\n"
            "    print('schema ok:', str(e).splitlines()[0])\n")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
                         check=True).stdout.splitlines()
    assert out[0].startswith(str(target))  # the installed copy, not the repository's
    assert out[1].startswith("schema ok: config:")
