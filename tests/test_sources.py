"""The coprod modules each rule declares as input, so that a change in the library (not only in
the thin scripts) reruns the jobs it affects, and only those."""
import ast
import re
from pathlib import Path

import pytest

from coprod.sources import PACKAGE, sources

ROOT = Path(__file__).resolve().parent.parent
RULES = "".join(p.read_text() for p in sorted((ROOT / "workflow" / "rules").glob("*.smk")))


def names(paths):
    return {Path(p).stem for p in paths}


def test_cleaning_depends_on_the_cleaning_code_only():
    got = names(sources("clean", shallow=("stages", "runner")))
    assert {"clean", "codebook", "io", "errors", "stages", "runner", "__init__"} <= got
    assert not got & {"survey", "margins", "models", "figures", "descriptives"}


def test_models_depend_on_the_estimator():
    got = names(sources("models"))
    assert {"models", "survey", "margins", "contrast", "formula", "dist"} <= got
    assert not got & {"clean", "figures", "stages"}


def test_paths_are_the_installed_package_files():
    for p in sources("models"):
        assert Path(p).is_absolute() and Path(p).parent == PACKAGE and Path(p).exists()


def _rule_bodies():
    for m in re.finditer(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", RULES, flags=re.S | re.M):
        yield m.group(1), m.group(2)


@pytest.mark.parametrize("rule, body", [(r, b) for r, b in _rule_bodies()
                                        if "script:" in b and r != "simulate_raw"])
def test_every_rule_declares_the_modules_its_script_calls(rule, body):
    call = re.search(r"code=(sources\(.*?\)),\n", body)
    assert call, f"rule {rule} has no code=sources(...) input"
    declared = names(eval(call.group(1), {"sources": sources}))  # noqa: S307 - our own text
    script = re.search(r'script:\s*\n\s*"\.\./\.\./(scripts/[\w.]+)"', body).group(1)
    tree = ast.parse((ROOT / script).read_text())
    used = {node.module.split(".")[1] for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("coprod.")}
    assert used <= declared, f"rule {rule}: {sorted(used - declared)} not among its inputs"
