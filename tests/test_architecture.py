"""The architecture contract: the coprod modules form layers without import cycles, counting
imports inside functions too (they hide cycles from the interpreter, not from the reader).

Layers, lowest first; a module may import only from its own layer or below:
  base        errors, dist, designspec, formula, simulate, sources, runner, wording, names,
              csvsafe, runlock, yamlfile (the one YAML reader), paths (names that become paths),
              estimable,
              effectrule
  data        io, codebook, config, clean
  design      design, calibrate, replicate, designconfig, variance
  estimation  families, modelframe, survey, ordinal, termtests, margins, effectsize, contrast,
              impute, models, descriptives
  stages      stages
  output      tables, figures, findings, robustness, speccurve, modelsummary, answer, page,
              methods, reportsettings, report
  start-up    startup (every check before any job runs: it uses them all)
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "coprod"
LAYERS = [
    {"errors", "dist", "designspec", "formula", "simulate", "sources", "runner", "wording",
     "names", "csvsafe", "runlock", "yamlfile", "paths", "estimable", "effectrule",
     "__init__"},
    {"io", "codebook", "config", "clean"},
    {"design", "calibrate", "replicate", "designconfig", "variance"},
    {"families", "modelframe", "survey", "ordinal", "termtests", "margins", "effectsize",
     "contrast", "impute", "models", "descriptives"},
    {"stages"},
    {"tables", "figures", "findings", "robustness", "speccurve", "modelsummary", "answer",
     "page", "methods", "reportsettings", "report"},
    {"startup"},
]


def imports(path: Path) -> set[str]:
    """The coprod modules a module imports, anywhere in it."""
    mods = {p.stem for p in SRC.glob("*.py")}
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1 and node.module:
                out.add(node.module.split(".")[0])
            elif node.level == 1:
                out |= {a.name for a in node.names if a.name in mods}
            elif node.module and node.module.startswith("coprod."):
                out.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[1] for a in node.names if a.name.startswith("coprod.")}
    return out - {path.stem}


def graph() -> dict[str, set[str]]:
    return {p.stem: imports(p) for p in SRC.glob("*.py")}


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


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_every_module_has_a_layer():
    placed = set().union(*LAYERS)
    assert set(graph()) <= placed, sorted(set(graph()) - placed)


def test_modules_import_only_their_layer_or_below():
    level = {m: i for i, layer in enumerate(LAYERS) for m in layer}
    upward = [(m, d) for m, deps in graph().items() for d in deps
              if d in level and level[d] > level[m]]
    assert upward == [], upward


def test_the_contract_catches_a_cycle():
    """The checker itself: a deliberate cycle is found."""
    g = graph()
    g["io"] = g["io"] | {"report"}
    assert any("io" in c and "report" in c for c in cycles(g))


def private_uses(path: Path) -> list[tuple[str, str, str]]:
    """(module, other module, name) for each private name (``_x``, not dunder) that ``path``
    takes from another coprod module: ``from .other import _x`` or ``other._x``."""
    mods = {p.stem for p in SRC.glob("*.py")}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    private = lambda n: n.startswith("_") and not n.startswith("__")  # noqa: E731
    out, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            mod = (node.module.split(".")[0] if node.level == 1 and node.module else
                   node.module.split(".")[1] if node.module and node.module.startswith("coprod.")
                   else None)
            for a in node.names:
                if node.level == 1 and not node.module and a.name in mods:
                    aliases[a.asname or a.name] = a.name
                elif mod and private(a.name):
                    out.append((path.stem, mod, a.name))
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("coprod."):
                    aliases[a.asname or a.name.split(".")[-1]] = a.name.split(".")[1]
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id in aliases and private(node.attr)):
            out.append((path.stem, aliases[node.value.id], node.attr))
    return [u for u in out if u[0] != u[1]]


def test_no_private_names_across_modules():
    """Private helpers stay in their module (public names are the interface between layers):
    every module is scanned, both import forms."""
    uses = [u for p in sorted(SRC.glob("*.py")) for u in private_uses(p)]
    assert uses == [], uses


def test_the_private_name_check_sees_both_forms(tmp_path):
    p = tmp_path / "mod.py"
    p.write_text("from .io import _x\nfrom . import tables\ntables._y()\n", encoding="utf-8")
    assert private_uses(p) == [("mod", "io", "_x"), ("mod", "tables", "_y")]


@pytest.mark.parametrize("rule, absent", [
    ("descriptives", {"figures", "tables", "report", "findings", "models", "survey"}),
    ("figures", {"tables", "report", "findings", "descriptives", "models", "survey"}),
    ("tables", {"figures", "report", "findings", "descriptives", "models", "survey"}),
    ("findings", {"figures", "report", "descriptives", "models", "survey"}),
    ("clean", {"models", "survey", "design", "tables", "report"}),
])
def test_each_rule_reruns_only_for_the_modules_it_runs(rule, absent):
    """A rule's `code` input (coprod.sources) lists the modules it imports, so editing one
    module reruns only the rules that run it (editing figures.py leaves the descriptives)."""
    from coprod.sources import sources

    got = {Path(p).stem for p in sources(rule, shallow=("runner",))}
    assert rule in got and not got & absent, sorted(got & absent)


def test_the_start_up_checks_import_no_numpy_or_pandas():
    """The Snakefile checks the config at every start: coprod.config, coprod.codebook and
    coprod.designspec stay free of numpy and pandas (half a second each time)."""
    import subprocess
    import sys

    code = ("import sys, coprod.config, coprod.codebook, coprod.designspec; "
            "print(sorted(m for m in ('numpy', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
