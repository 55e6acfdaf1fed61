"""The coprod modules each rule declares as input, so that a change in the library (not only in
the thin scripts) reruns the jobs it affects, and only those."""
import ast
import re
from pathlib import Path

import pytest

from coprod.pipeline.sources import PACKAGE, sources

ROOT = Path(__file__).resolve().parents[3]
RULES = "".join(p.read_text() for p in sorted((ROOT / "workflow" / "rules").glob("*.smk")))


def dotted(path) -> str:
    """A module file as the package names it: ``pipeline.clean``, ``errors``."""
    return ".".join(Path(path).resolve().relative_to(PACKAGE).with_suffix("").parts)


def names(paths):
    return {dotted(p) for p in paths}


def _walked(text):
    """Every import statement of ``text``, found by walking the whole syntax tree."""
    return [ast.dump(n) for n in ast.walk(ast.parse(text))
            if isinstance(n, (ast.Import, ast.ImportFrom))]


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=dotted)
def test_import_statements_are_those_of_the_whole_syntax_tree(path):
    """The quick reading of import statements (no parse of the whole module) finds each coprod
    import the syntax tree has, and nothing else."""
    from coprod.pipeline.sources import _statements

    text = path.read_text(encoding="utf-8")

    def ours(dumps):
        return sorted(d for d in dumps if "coprod" in d or "level=1" in d)

    assert ours(map(ast.dump, _statements(text))) == ours(_walked(text))


def test_import_statements_over_several_lines_inside_functions_and_in_prose():
    from coprod.pipeline.sources import _statements

    text = ('"""A docstring.\n\nfrom the survey, import what we need.\n'
            "    from . import (see below, an unclosed parenthesis in prose\n"
            '"""\n'
            "from .io import (\n    read_results,\n    table_meta,\n)\n"
            "def f():\n    if True:\n        from .figures import save_figure\n"
            "    import coprod.report.tables as t\n"
            "from .wording import word, \\\n    fmt_ci\n")
    got = [ast.dump(n) for n in _statements(text)]
    assert sorted(got) == sorted(_walked(text)) and len(got) == 4


def test_cleaning_depends_on_the_cleaning_code_only():
    got = names(sources("pipeline.clean", shallow=("pipeline.stages", "pipeline.runner")))
    assert {"pipeline.clean", "pipeline.codebook", "pipeline.io", "errors", "pipeline.stages",
            "pipeline.runner", "__init__", "pipeline.__init__"} <= got
    assert not got & {"survey.glm", "survey.margins", "pipeline.models", "report.figures",
                      "pipeline.descriptives"}


def test_models_depend_on_the_estimator():
    got = names(sources("pipeline.models"))
    assert {"pipeline.models", "survey.glm", "survey.margins", "survey.contrast",
            "survey.formula", "survey.dist", "survey.__init__"} <= got
    assert not got & {"pipeline.clean", "report.figures", "pipeline.stages"}


def test_paths_are_the_installed_package_files():
    for p in sources("pipeline.models"):
        assert Path(p).is_absolute() and Path(p).exists()
        assert Path(p).parent in (PACKAGE, *(PACKAGE / d for d in ("survey", "pipeline")))


def _rule_bodies():
    for m in re.finditer(r"^rule (\w+):\n(.*?)(?=^rule |\Z)", RULES, flags=re.S | re.M):
        yield m.group(1), m.group(2)


@pytest.mark.parametrize("rule, body", [(r, b) for r, b in _rule_bodies()
                                        if "script:" in b and r != "simulate_raw"])
def test_every_rule_declares_the_modules_its_script_calls(rule, body):
    call = re.search(r"code=(sources\((?:[^()]|\([^()]*\))*\))", body)
    assert call, f"rule {rule} has no code=sources(...) input"
    declared = names(eval(call.group(1), {"sources": sources}))  # noqa: S307 - our own text
    script = re.search(r'script:\s*\n\s*"\.\./\.\./(scripts/[\w.]+)"', body).group(1)
    tree = ast.parse((ROOT / script).read_text())
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("coprod."):
            module = node.module.split(".", 1)[1]
            used.add(module)
            if module == "pipeline.stages":  # glue: what the called functions themselves use
                used |= _stage_function_modules({a.name for a in node.names})
    assert used <= declared, f"rule {rule}: {sorted(used - declared)} not among its inputs"


def _stage_function_modules(functions: set) -> set:
    """The coprod modules the given coprod.pipeline.stages functions import inside their body, or use
    through a module-level import."""
    tree = ast.parse((PACKAGE / "pipeline" / "stages.py").read_text())
    top = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            top.update({a.asname or a.name: f"pipeline.{node.module}" for a in node.names})
        if isinstance(node, ast.ImportFrom) and node.level == 1 and not node.module:
            top.update({a.asname or a.name: f"pipeline.{a.name}" for a in node.names})
    out = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name in functions:
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and sub.level == 1 and sub.module:
                    out.add(f"pipeline.{sub.module}")
                elif isinstance(sub, ast.ImportFrom) and sub.level == 2 and sub.module:
                    out.add(sub.module)
                elif isinstance(sub, ast.Name) and sub.id in top:
                    out.add(top[sub.id])
    return out
