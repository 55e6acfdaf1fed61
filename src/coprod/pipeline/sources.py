"""The package's own source files behind a pipeline step, for the rules' ``input:``.

Why: Snakemake reruns a job when its script changes, but the scripts are thin adapters; the
logic is in this package. Without these inputs, updating coprod (a fix in the estimator, a new
figure style) would leave results made by the old code looking current. With them, a job reruns
when a module it imports changes, and only then.
"""
from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # src/coprod


#: the start of an import statement that may name a coprod module (at any indentation: the
#: package imports its heavy modules inside functions)
_IMPORT = re.compile(r"[ \t]*(?:from[ \t]+[.\w]+[ \t]+import\b|import[ \t]+coprod\.)")


def _statements(text: str) -> list[ast.stmt]:
    """The import statements of ``text``, each parsed alone.

    Why not ``ast.parse`` of the whole file: Snakemake asks for every rule's sources each time
    it starts (every run, dry run and cluster job), and parsing the package was most of that.
    An import statement starts a line and runs on while a parenthesis is open or a line ends
    in a backslash, so it can be cut out and parsed alone. A line that only looks like one
    (prose in a docstring) does not parse and is skipped, and the scan goes on from the next
    line; one that parses inside a string only adds a module (a needless rerun). Forms the
    package does not use (``if x: import y`` on one line, ``import os, coprod.pipeline.io``, two
    statements joined by ``;``) are not seen: tests/unit/pipeline/test_sources.py checks that
    every module of the package gives what its whole syntax tree gives."""
    out: list[ast.stmt] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if not _IMPORT.match(lines[i]):
            i += 1
            continue
        start, parts, depth = i, [], 0
        while i < len(lines):
            code = lines[i].split("#", 1)[0]  # no '#' inside an import but in its comments
            parts.append(code)
            depth += code.count("(") - code.count(")")
            i += 1
            if depth <= 0 and not code.rstrip().endswith("\\"):
                break
        try:
            out.extend(ast.parse("\n".join(parts).strip()).body)
        except SyntaxError:  # not an import after all: look again from the next line
            i = start + 1
    return out


def _path(module: str) -> Path:
    """The file of a coprod module named relative to the package (``pipeline.clean``)."""
    return PACKAGE.joinpath(*module.split(".")).with_suffix(".py")


def _exists(module: str) -> bool:
    return bool(module) and _path(module).is_file()


@cache
def _imports(module: str) -> tuple[str, ...]:
    """The coprod modules that ``module`` imports anywhere in its text (also inside functions,
    since the package imports its heavy modules on first use), named relative to the package."""
    path = _path(module)
    if not path.exists():
        return ()
    here = module.split(".")[:-1]  # the subpackage the module sits in ([] at the top)
    found = []
    for node in _statements(path.read_text(encoding="utf-8")):
        if isinstance(node, ast.ImportFrom):
            parts = [p for p in (node.module or "").split(".") if p]
            if node.level:
                base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
                if node.level - 1 > len(here):
                    continue
                stem = [*base, *parts]
            elif parts and parts[0] == "coprod":
                stem = parts[1:]
            else:
                continue
            name = ".".join(stem)
            if _exists(name):
                found.append(name)
            for a in node.names:  # from . import x / from coprod.survey import design
                sub = ".".join([*stem, a.name])
                if _exists(sub):
                    found.append(sub)
        elif isinstance(node, ast.Import):
            found.extend(".".join(a.name.split(".")[1:]) for a in node.names
                         if a.name.startswith("coprod."))
    return tuple(m for m in dict.fromkeys(found) if _exists(m))


def sources(*modules: str, shallow: tuple[str, ...] = ()) -> list[str]:
    """Absolute paths of ``modules`` (named relative to the package: ``pipeline.clean``), of
    every coprod module they import (recursively), of the package's ``__init__`` files on the
    way, and of the ``shallow`` modules alone (glue such as ``pipeline.stages``, whose other
    functions import what this step does not use)."""
    seen: dict[str, None] = {}
    todo = list(modules)
    while todo:
        m = todo.pop()
        if m in seen or not _exists(m):
            continue
        seen[m] = None
        todo.extend(_imports(m))
    names = {*seen, *(m for m in shallow if _exists(m)), "__init__"}
    names |= {f"{m.rsplit('.', 1)[0]}.__init__" for m in list(names) if "." in m}
    return [str(_path(m)) for m in sorted(names) if _exists(m)]


#: where :func:`code_file` keeps its files (in Snakemake's own folder of the working directory)
CODE_FOLDER = Path(".snakemake") / "coprod" / "code"


def code_file(paths: list[str], folder: str | Path = CODE_FOLDER, *, write: bool = True) -> str:
    """One small file that stands for the source files ``paths`` as a rule's ``code`` input:
    it lists each file (relative to the package's folder) with the SHA-256 of its content, and
    its modification time is the newest of theirs. Returns its path (``folder``/code-<hash of
    the names>.txt); with ``write`` (the main Snakemake process) it is created, or rewritten
    when a digest changed, and its time set.

    Why not the files themselves: Snakemake records, for every output of a job, the checksum
    of every input, reading each input file again for each output. The modules were ~40
    inputs a rule; a model job has 133 outputs, so the bundled run read 38,500 module files
    after its jobs (three quarters of Snakemake's checksums, ~5 s of the main process's CPU).
    The file keeps what the modules as inputs gave: a job reruns when a module it runs
    changes (the file's content and time change with it), not when one is only touched (the
    time moves, the checksum Snakemake recorded does not), and a lost ``.snakemake`` folder
    does not rerun anything (the file comes back with the modules' own time)."""
    import hashlib
    import os

    files = sorted(Path(p).resolve() for p in paths)
    names = [p.relative_to(PACKAGE.parent).as_posix() for p in files]
    text = "# the coprod modules one pipeline step runs (coprod.pipeline.sources.code_file)\n" \
        + "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {n}\n"
                  for p, n in zip(files, names))
    key = hashlib.sha256("\n".join(names).encode()).hexdigest()[:16]
    out = Path(folder) / f"code-{key}.txt"
    if write:
        mtime = max(p.stat().st_mtime_ns for p in files)
        try:
            current = out.read_text(encoding="utf-8")
        except OSError:
            current = None
        if current != text:  # written whole, then renamed: a reader never sees half of it
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(f".{out.name}.{os.getpid()}.part")
            tmp.write_text(text, encoding="utf-8")
            os.utime(tmp, ns=(mtime, mtime))
            os.replace(tmp, out)
        elif out.stat().st_mtime_ns != mtime:
            os.utime(out, ns=(mtime, mtime))
    return str(out)
