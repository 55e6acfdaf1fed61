"""Names that become file paths, and the results folder every output must stay in.

Why: an outcome, a prediction grid or a table name is a folder or file name of the results
(``models/fits/<outcome>/``, ``figures/predictions_<grid>.png``, ``tables/models_<name>.csv``).
A name such as ``../../../../escape`` would write four folders above the results, so every such
name follows ONE rule, :data:`NAME`: letters, digits, ``_`` and ``-`` (at most
:data:`MAX_NAME` characters). Names users write in words -- samples and groups ("Región
Norte"), the claims of a specification curve -- are not refused: their paths use a slug
(``coprod.pipeline.config.slug``, "Region_Norte"), which follows the same rule by construction.

The results folder itself (config ``results``) is a relative folder inside the project unless
the config says ``results_outside: true``; never the project folder (``""``, ``.``) or a folder
that holds it. And every path a rule writes is checked, as text, to lie under it
(:func:`outside`): the paths are normalised (``a/../b`` is ``b``) but links are not followed,
so a results folder that is a link to a scratch disk keeps working.
"""
from __future__ import annotations

import os
import re

from ..errors import clip

#: the one rule for a name that is used in a path as it is written
NAME = re.compile(r"[A-Za-z0-9_-]+")
#: file names are limited to 255 bytes; prefixes and suffixes (predictions_, .data.csv) need room
MAX_NAME = 100


def name_error(name, key: str, becomes: str) -> str | None:
    """One line when ``name`` (found at config ``key``) cannot be a file name; ``becomes``
    says which path it would be part of."""
    text = str(name)
    if isinstance(name, str) and NAME.fullmatch(text) and len(text) <= MAX_NAME:
        return None
    return (f"{key}: '{clip(text, 80)}' cannot name a file ({becomes}): use letters, digits, _ "
            f"and - only, at most {MAX_NAME} characters")


def results_error(results, outside_ok: bool = False, project: str = ".") -> str | None:
    """One line when config ``results`` may not be the results folder: empty or the project
    folder itself; outside the project (absolute, or up with ``..``) unless ``outside_ok``
    (config ``results_outside: true``); never a folder that holds the project."""
    text = str(results if results is not None else "")
    if not text.strip():
        return ("config: results: is empty: the outputs would land among the project's own "
                "files; name a folder, e.g. results")
    norm = os.path.normpath(text)
    here = os.path.abspath(project)
    full = os.path.normpath(os.path.join(here, norm))
    if full == here or here.startswith(full.rstrip(os.sep) + os.sep) or full == os.sep:
        return (f"config: results: '{clip(text)}' is the project folder or holds it: the "
                "outputs would land among the project's own files; name a folder, e.g. results")
    if not full.startswith(here.rstrip(os.sep) + os.sep) and not outside_ok:
        return (f"config: results: '{clip(text)}' is outside the project; use a folder inside "
                "it (e.g. results/mine), or set results_outside: true to write there on purpose")
    return None


def outside(paths, roots) -> list[str]:
    """The ``paths`` that do not lie under one of the folders ``roots`` (as text, normalised;
    relative paths are relative to the working directory)."""
    bases = [os.path.abspath(r) for r in roots]
    out = []
    for p in paths:
        full = os.path.abspath(str(p))
        if not any(full.startswith(b.rstrip(os.sep) + os.sep) for b in bases):
            out.append(str(p))
    return out
