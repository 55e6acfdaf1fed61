"""The package's own source files behind a pipeline step, for the rules' ``input:``.

Why: Snakemake reruns a job when its script changes, but the scripts are thin adapters; the
logic is in this package. Without these inputs, updating coprod (a fix in the estimator, a new
figure style) would leave results made by the old code looking current. With them, a job reruns
when a module it imports changes, and only then.
"""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


@cache
def _imports(module: str) -> tuple[str, ...]:
    """The coprod modules that ``module`` imports anywhere in its text (also inside functions,
    since the package imports its heavy modules on first use)."""
    path = PACKAGE / f"{module}.py"
    if not path.exists():
        return ()
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            parts = (node.module or "").split(".")
            if node.level == 1 or (node.level == 0 and parts[0] == "coprod"):
                rest = parts if node.level == 1 else parts[1:]
                if rest and rest[0]:
                    found.append(rest[0])
                else:  # from . import x / from coprod import x
                    found.extend(a.name for a in node.names)
        elif isinstance(node, ast.Import):
            found.extend(a.name.split(".")[1] for a in node.names
                         if a.name.startswith("coprod."))
    return tuple(m for m in dict.fromkeys(found) if (PACKAGE / f"{m}.py").exists())


def sources(*modules: str, shallow: tuple[str, ...] = ()) -> list[str]:
    """Absolute paths of ``modules``, of every coprod module they import (recursively), of the
    package's ``__init__``, and of the ``shallow`` modules alone (glue such as ``stages``, whose
    other functions import what this step does not use)."""
    seen: dict[str, None] = {}
    todo = list(modules)
    while todo:
        m = todo.pop()
        if m in seen or not (PACKAGE / f"{m}.py").exists():
            continue
        seen[m] = None
        todo.extend(_imports(m))
    names = sorted({*seen, *(m for m in shallow if (PACKAGE / f"{m}.py").exists()), "__init__"})
    return [str(PACKAGE / f"{m}.py") for m in names]
