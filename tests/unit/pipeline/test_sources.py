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


def _package_copy(tmp_path):
    """Two modules in a copy of the package's layout (code_file names them relative to it)."""
    import shutil

    pkg = tmp_path / "pkg" / "coprod"
    (pkg / "pipeline").mkdir(parents=True)
    for rel in ("errors.py", "pipeline/clean.py"):
        shutil.copy2(PACKAGE / rel, pkg / rel)
    return pkg, [pkg / "errors.py", pkg / "pipeline" / "clean.py"]


def test_a_rules_code_input_is_one_file_of_its_modules_digests(tmp_path, monkeypatch):
    """The `code` input is one file listing each module with its SHA-256, its time the newest
    module's: Snakemake checksums every input once per output of a job, so ~40 module files
    a rule were read again for each of a model job's 133 outputs."""
    import hashlib
    import os

    from coprod.pipeline import sources as mod

    pkg, files = _package_copy(tmp_path)
    monkeypatch.setattr(mod, "PACKAGE", pkg)
    os.utime(files[0], ns=(10**18, 10**18))
    os.utime(files[1], ns=(2 * 10**18, 2 * 10**18))
    folder = tmp_path / "code"
    out = Path(mod.code_file([str(f) for f in reversed(files)], folder))
    lines = out.read_text().splitlines()[1:]
    assert lines == [f"{hashlib.sha256(f.read_bytes()).hexdigest()}  coprod/{n}"
                     for f, n in zip(files, ("errors.py", "pipeline/clean.py"))]
    assert out.stat().st_mtime_ns == 2 * 10**18 and out.parent == folder
    # the same modules: the same file, not written again
    inode = out.stat().st_ino
    assert mod.code_file([str(f) for f in files], folder) == str(out)
    assert out.stat().st_ino == inode
    # a module only touched: the time follows, the content (what Snakemake checksums) stays
    text = out.read_text()
    os.utime(files[0], ns=(3 * 10**18, 3 * 10**18))
    mod.code_file([str(f) for f in files], folder)
    assert out.read_text() == text and out.stat().st_mtime_ns == 3 * 10**18
    # a module changed: its digest changes
    files[1].write_text(files[1].read_text() + "\n# changed\n")
    mod.code_file([str(f) for f in files], folder)
    assert out.read_text() != text
    assert out.stat().st_mtime_ns == max(f.stat().st_mtime_ns for f in files)
    # another set of modules: another file; a job's own process (write=False) writes nothing
    other = mod.code_file([str(files[0])], folder, write=False)
    assert other != str(out) and not Path(other).exists()
    assert not list(folder.glob("*.part"))


def test_the_workflow_passes_each_rule_its_code_file():
    """common.smk's sources() gives the code file of coprod.pipeline.sources.sources() (the
    modules test_every_rule_declares_the_modules_its_script_calls checks)."""
    common = (ROOT / "workflow" / "rules" / "common.smk").read_text()
    body = re.search(r"^def sources\(.*?(?=^\S)", common, flags=re.S | re.M).group(0)
    assert "coprod.pipeline.sources.sources(*modules, **kw)" in body
    assert "code_file(paths, write=workflow.is_main_process)" in body
