"""The architecture contract: three layers in three directories, without import cycles,
counting imports inside functions too (they hide cycles from the interpreter, not from the
reader).

  coprod/survey/    the engine: designs, variance, fits, tests, margins, MI combining.
                    Imports nothing from pipeline/ or report/.
  coprod/pipeline/  the co-production workflow: settings, cleaning, models, findings.
                    Imports survey/, never report/.
  coprod/report/    presentation: words, tables, figures, the page.
                    Imports pipeline/ (settings, result readers), never survey/.
  coprod/*.py       the base every layer may use: errors, names (import no layer), and
                    compat (the old flat names, imported on first use).

CONTRIBUTING.md repeats these rules; tests/unit/test_docs.py checks it against ALLOWED below.
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "coprod"

#: the three layers, lowest first; a module may import from its own layer, from a lower one and
#: from the base (the package's top-level modules: errors and names, which import no layer).
#: The report may import the pipeline (settings, result readers) but never the engine.
LAYERS = ["survey", "pipeline", "report"]
ALLOWED = {"": {""}, "survey": {"", "survey"}, "pipeline": {"", "survey", "pipeline"},
           "report": {"", "pipeline", "report"}}


def modules() -> dict[str, Path]:
    """Every module of the package, named relative to it (``survey.design``, ``errors``)."""
    return {".".join(p.relative_to(SRC).with_suffix("").parts): p for p in SRC.rglob("*.py")}


def layer(module: str) -> str:
    """A module's layer: its subpackage, or "" for the base."""
    return module.split(".")[0] if "." in module else ""


def from_stem(node: ast.ImportFrom, here: list[str]) -> list[str] | None:
    """The coprod module path a ``from ... import`` names (``[]`` for the package itself),
    resolved from the importing module's package ``here``; None for another package."""
    parts = [p for p in (node.module or "").split(".") if p]
    if node.level:
        return [*here[:len(here) - (node.level - 1)], *parts]
    if parts and parts[0] == "coprod":
        return parts[1:]
    return None


def imports(path: Path, name: str | None = None) -> set[str]:
    """The coprod modules a module imports, anywhere in it (named like :func:`modules`; a file
    outside the package is read as the module ``name``)."""
    mods = modules()
    me = name or ".".join(path.relative_to(SRC).with_suffix("").parts)
    here = me.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            stem = from_stem(node, here)
            if stem is None:
                continue
            name = ".".join(stem)
            if name in mods:
                out.add(name)
            elif f"{name}.__init__" in mods:
                out.add(f"{name}.__init__")
            for a in node.names:  # from . import x; from coprod import pipeline (a layer)
                sub = ".".join([*stem, a.name])
                if sub in mods:
                    out.add(sub)
                elif f"{sub}.__init__" in mods:
                    out.add(f"{sub}.__init__")
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("coprod."):
                    name = ".".join(a.name.split(".")[1:])
                    out.add(name if name in mods else f"{name}.__init__")
    return out - {me}


@functools.cache
def _graph() -> dict[str, frozenset[str]]:
    return {m: frozenset(imports(p)) for m, p in modules().items()}


def graph() -> dict[str, set[str]]:
    """Each module's coprod imports (a fresh copy: tests add deliberate violations to it)."""
    return {m: set(deps) for m, deps in _graph().items()}


def violations(g: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(module, imported module) for each import that breaks a directory rule. ``compat`` (the
    flat package's old names, for one release) finds each old name in whichever layer has it
    now, on first use; no module of a layer imports it (only the package ``__init__`` files)."""
    def allowed(m: str, d: str) -> bool:
        if m == "compat":
            return True
        if d == "compat":
            return m.endswith("__init__")
        return layer(d) in ALLOWED[layer(m)]

    return sorted((m, d) for m, deps in g.items() for d in deps if not allowed(m, d))


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in g:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


#: every module is under this many lines: past it a module holds more than one concern, and is
#: split by concern (the simulator, one generative model told in order, is the exception)
MAX_LINES = 600
LONG_MODULES = {"pipeline.simulate"}


def test_every_module_is_under_600_lines():
    long = {m: n for m, p in modules().items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) >= MAX_LINES}
    assert set(long) <= LONG_MODULES, {m: n for m, n in long.items() if m not in LONG_MODULES}


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_every_module_sits_in_a_layer():
    """Each module is in survey/, pipeline/ or report/, or is one of the base modules."""
    base = {m for m in modules() if layer(m) == ""}
    assert base == {"__init__", "errors", "names", "compat"}, sorted(base)


def test_the_directory_rules_hold():
    """survey/ imports nothing from pipeline/ or report/; pipeline/ never imports report/;
    report/ never imports survey/ (it reads result tables and the pipeline's settings)."""
    assert violations(graph()) == []


@pytest.mark.parametrize("module, imported", [
    ("survey.design", "pipeline.io"),     # the engine reaching up into the pipeline
    ("survey.glm", "report.tables"),      # the engine reaching into the report
    ("pipeline.models", "report.wording"),  # the pipeline reaching into the report
    ("report.figures", "survey.dist"),    # the report reaching past the pipeline into the engine
])
def test_the_contract_catches_each_kind_of_violation(module, imported):
    """The checker itself: a deliberate violation of each rule is found."""
    g = graph()
    g[module] = g[module] | {imported}
    assert (module, imported) in violations(g)


@pytest.mark.parametrize("module, line", [
    ("pipeline.mod", "from .. import report"),
    ("pipeline.mod", "from coprod import report"),
    ("pipeline.mod", "import coprod.report.tables"),
    ("survey.mod", "from ..pipeline.io import read_table"),
    ("survey.mod", "from coprod.pipeline import settings"),
    ("report.mod", "from ..survey import svy_logit"),
    ("report.mod", "from coprod.survey.glm import fit_svy_logit"),
    ("errors", "from .pipeline import io"),
])
def test_a_real_violating_file_is_caught(tmp_path, module, line):
    """The checker reads real source: each form of a forbidden import, written in a file, at
    the top and inside a function (where the package imports its heavy modules)."""
    path = tmp_path / "mod.py"
    for text in (f"{line}\n", f"def f():\n    {line}\n"):
        path.write_text(text, encoding="utf-8")
        g = graph()
        g[module] = imports(path, module)
        assert [v for v in violations(g) if v[0] == module], (text, g[module])


def test_the_contract_catches_a_cycle():
    """The checker itself: a deliberate cycle is found."""
    g = graph()
    g["pipeline.io"] = g["pipeline.io"] | {"pipeline.stages"}
    assert any("pipeline.io" in c and "pipeline.stages" in c for c in cycles(g))


def private_uses(path: Path, name: str | None = None) -> list[tuple[str, str, str]]:
    """(module, other module, name) for each private name (``_x``, not dunder) that ``path``
    takes from another coprod module: ``from .other import _x`` or ``other._x``; modules named
    relative to the package (``pipeline.io``)."""
    mods = modules()
    me = name or ".".join(path.relative_to(SRC).with_suffix("").parts)
    here = me.split(".")[:-1]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    private = lambda n: n.startswith("_") and not n.startswith("__")  # noqa: E731
    out, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            stem = from_stem(node, here)
            if stem is None:
                continue
            for a in node.names:
                sub = ".".join([*stem, a.name])
                if sub in mods:
                    aliases[a.asname or a.name] = sub
                elif private(a.name):
                    out.append((me, ".".join(stem), a.name))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("coprod."):
                    aliases[a.asname or a.name.split(".")[-1]] = ".".join(a.name.split(".")[1:])
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and private(node.attr)):
            out.append((me, aliases[node.value.id], node.attr))
    return [u for u in out if u[0] != u[1]]


def test_no_private_names_across_modules():
    """Private helpers stay in their module (public names are the interface between layers):
    every module is scanned, both import forms."""
    uses = [u for p in sorted(modules().values()) for u in private_uses(p)]
    assert uses == [], uses


def test_the_private_name_check_sees_both_forms(tmp_path):
    p = tmp_path / "mod.py"
    p.write_text("from .io import _x\nfrom . import stages\nstages._y()\n", encoding="utf-8")
    assert private_uses(p, "pipeline.mod") == [("pipeline.mod", "pipeline.io", "_x"),
                                                ("pipeline.mod", "pipeline.stages", "_y")]


@pytest.mark.parametrize("rule, absent", [
    ("pipeline.descriptives", {"figures", "tables", "report", "findings", "models", "glm"}),
    ("report.figures", {"tables", "report", "findings", "descriptives", "models", "glm"}),
    ("report.tables", {"figures", "report", "findings", "descriptives", "models", "glm"}),
    ("report.findings", {"figures", "report", "descriptives", "models", "glm"}),
    ("pipeline.clean", {"models", "glm", "design", "tables", "report"}),
])
def test_each_rule_reruns_only_for_the_modules_it_runs(rule, absent):
    """A rule's `code` input (coprod.pipeline.sources) lists the modules it imports, so editing one
    module reruns only the rules that run it (editing figures.py leaves the descriptives)."""
    from coprod.pipeline.sources import sources

    got = {Path(p).stem for p in sources(rule, shallow=("pipeline.runner",))}
    assert rule.split(".")[-1] in got and not got & absent, sorted(got & absent)


def test_the_start_up_checks_import_no_numpy_or_pandas():
    """The Snakefile checks the config at every start: coprod.pipeline.config, coprod.pipeline.codebook and
    coprod.survey.designspec stay free of numpy and pandas (half a second each time)."""
    import subprocess
    import sys

    code = ("import sys, coprod.pipeline.config, coprod.pipeline.codebook, coprod.pipeline.designkeys, coprod.survey.designspec; "
            "print(sorted(m for m in ('numpy', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_tests_follow_the_layers():
    """tests/unit/<layer> holds the tests of one layer, tests/golden the comparisons with R,
    tests/e2e every Snakemake run (and only there: `make test-fast` runs unit and golden)."""
    tests = SRC.parents[1] / "tests"
    assert {p.name for p in (tests / "unit").iterdir() if p.is_dir()} >= set(LAYERS)
    runs = [str(p.relative_to(tests)) for d in ("unit", "golden") for p in (tests / d).rglob("*.py")
            if "@pytest.mark.pipeline" in p.read_text(encoding="utf-8").replace(
                '"@pytest.mark.pipeline"', "")]
    assert runs == [], f"Snakemake runs outside tests/e2e: {runs}"
    assert not list(tests.glob("test_*.py")), "a test file outside unit/, golden/ and e2e/"
