"""Words YAML made true or false (``ON``, ``NO``, ``yes``, ``off``), found again in the file's
text and refused by the word, the key and the line.

Why: Snakemake reads config files by YAML 1.1, which makes the unquoted words yes/no/on/off
(in any case) and true/false booleans. A group coded ``ON`` (Ontario) or ``NO`` (Norway) in
``models.samples`` reached the schema check as ``True`` and was refused as "models.samples.7:
True is not of type 'string'": neither the word nor the line, and a position to count from 0.
The config Snakemake built has lost the word; its file still has it. So the file's text is
composed again (nodes only: nothing is built, and :mod:`coprod.pipeline.yamlfile` has already
refused a file too costly to read) and every scalar resolved to a boolean is kept with its
text, its line and its place among the keys (:func:`file_words`). The schema check
(:func:`coprod.pipeline.codebook.schema_errors`) then names the word where the schema wants
text (:func:`refused_words`), and any mapping key that is a boolean is refused wherever it is
(:func:`bool_key_errors`: no key of the config or the codebook is a true/false).

A boolean where the schema takes one (``data.synthetic: yes``, ``design.mse: on``) stays
accepted. The codebook is read by coprod's own reader, where only true/false are booleans (``ON``
stays the text ON), so there only ``true``/``false`` written where a word is meant (a code's
label, a raw code ``TRUE`` of an R export) meet this check. Imports no numpy or pandas.
"""
from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import yaml

from ..errors import clip
from .yamlfile import read_text

#: the tags of a boolean and of a merge key (``<<: *base``)
BOOL = "tag:yaml.org,2002:bool"
MERGE = "tag:yaml.org,2002:merge"

#: marks a key's word among the paths of :func:`text_words` (then its line)
KEY = "<key>"

#: the reader Snakemake reads config files with (YAML 1.1: yes/no/on/off are booleans)
YAML11 = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Word:
    """A scalar YAML read as true or false: where it is (``path``: the keys and list
    positions as the reader built them, True for ``ON``), as written (``text``), its file
    and line, and whether it is a mapping key."""

    path: tuple
    text: str
    file: str
    line: int
    key: bool = False
    item: bool = False  # an item of a list (its place is the line, not a position from 0)


#: what a caller hands the schema check: the words of the file(s), made when first needed
Words = Mapping[tuple, Word]
WordSource = Callable[[], Words]


def text_words(text: str, file: str, loader=YAML11) -> dict[tuple, Word]:
    """Every scalar of ``text`` that ``loader`` resolves to a boolean, by its path; {} for text
    the loader cannot compose (the reader that read the file has said so already)."""
    ld = loader(text)
    try:
        root = ld.get_single_node()
    except yaml.YAMLError:
        return {}
    else:
        out: dict[tuple, Word] = {}
        if root is not None:
            _walk(ld, root, (), file, out)
        return out
    finally:
        ld.dispose()


def _walk(ld, node, path: tuple, file: str, out: dict, item: bool = False,
          above: frozenset = frozenset()) -> None:
    # ``above``: the collections this one lies in; an alias to one of them (``&a [*a]``)
    # would never end, so it is walked once
    if isinstance(node, yaml.ScalarNode):
        if node.tag == BOOL:
            out[path] = Word(path, node.value, file, node.start_mark.line + 1, item=item)
        return
    if id(node) in above:
        return
    above = above | {id(node)}
    if isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _walk(ld, value, (*path, i), file, out, True, above)
    elif isinstance(node, yaml.MappingNode):
        for key_node, value in _pairs(node):
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a list or mapping as a key: the reader refuses it itself
            key = ld.construct_object(key_node, deep=True)
            if key_node.tag == BOOL:  # (by line too: ON and yes are both the key True)
                line = key_node.start_mark.line + 1
                out[(*path, key, KEY, line)] = Word((*path, key), key_node.value, file, line,
                                                    key=True)
            _walk(ld, value, (*path, key), file, out, False, above)


def _pairs(node) -> list:
    """A mapping's (key, value) nodes, those of its merge keys (``<<: *base``) first: what a
    key it writes itself replaces."""
    merged, own = [], []
    for key_node, value in node.value:
        if key_node.tag == MERGE:
            for base in value.value if isinstance(value, yaml.SequenceNode) else [value]:
                if isinstance(base, yaml.MappingNode):
                    merged += _pairs(base)
        else:
            own.append((key_node, value))
    return merged + own


def file_words(paths: Iterable, loader=YAML11) -> dict[tuple, Word]:
    """The words of several files merged as Snakemake merges config files (a later file's word
    at a place replaces an earlier one's); a file that cannot be read gives none (its reader
    has said why)."""
    out: dict[tuple, Word] = {}
    for path in paths:
        shown = os.path.relpath(path) if _inside(path) else str(path)  # as the user typed it
        try:
            out.update(text_words(read_text(path), shown, loader))
        except Exception:  # noqa: BLE001 - a file its own reader refused: nothing to add here
            continue
    return out


def _inside(path) -> bool:
    """``path`` lies in the working folder (Snakemake makes --configfile paths absolute)."""
    here = os.path.abspath(".")
    return os.path.abspath(path).startswith(here + os.sep)


def dotted(path: tuple, words: Words | None = None, line: int | None = None) -> str:
    """A key path in words, a boolean key as written (``report.words.ON``; of two keys
    written ON and yes, the one on ``line``)."""
    shown = []
    for i, part in enumerate(path):
        found = key_words(words, tuple(path[:i + 1])) if isinstance(part, bool) else []
        found.sort(key=lambda w: w.line != line)
        shown.append(found[0].text if found else str(part))
    return ".".join(shown) or "(top level)"


def key_words(words: Words | None, path: tuple) -> list[Word]:
    """The words written as the key at ``path`` (several when ON and yes both became True)."""
    return [w for w in (words or {}).values() if w.key and w.path == path]


def word_message(w: Word, words: Words | None = None) -> str:
    """The refusal of one word: the file and line, the key, the word as written, what YAML
    made of it, and the fix."""
    value = "true" if w.text.lower() in ("true", "yes", "on", "y") else "false"
    what = f"the key {clip(w.text)}" if w.key else clip(w.text)
    # a key's own path is its mapping's; a list item's place is its line, not a position
    where = dotted(w.path[:-1] if w.key or w.item else w.path, words, w.line)
    return (f"{w.file}, line {w.line}: {where}: {what} is read by YAML as {value}, not as the "
            f"text {clip(w.text)}; write it in quotes: '{clip(w.text)}'")


def bool_key_errors(data, where: str, words: Words | None = None) -> list[str]:
    """Every mapping key of ``data`` that is a boolean: no key of coprod's files is true or
    false (a group, a level, a code, a column is text or a number), so ``words: {ON:
    Ontario}`` would otherwise name nobody, silently. Named as written when ``words`` has it."""
    out: list[str] = []

    def walk(node, path, above=frozenset()):
        if isinstance(node, (Mapping, list, tuple)):  # a recursive alias: walked once
            if id(node) in above:
                return
            above = above | {id(node)}
        if isinstance(node, Mapping):
            for k, v in node.items():
                if isinstance(k, bool):
                    found = key_words(words, (*path, k))
                    out.extend([word_message(w, words) for w in found] or [
                        f"{where}: {dotted((*path, k), words)}: a key YAML read as "
                        f"{str(k).lower()} (an unquoted yes, no, on, off, true or false); "
                        "write the name in quotes"])
                walk(v, (*path, k), above)
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                walk(v, (*path, i), above)

    walk(data, ())
    return out


def as_written(data, words: Words):
    """A copy of ``data`` with each boolean value that ``words`` has made its text again."""
    out = copy.deepcopy(data)
    for w in words.values():
        if w.key or not w.path:
            continue
        parent = out
        try:
            for part in w.path[:-1]:
                parent = parent[part]
            if isinstance(parent[w.path[-1]], bool):
                parent[w.path[-1]] = w.text
        except (KeyError, IndexError, TypeError):
            continue  # a word of a file another file overrode
    return out


def refused_words(data, validator, words: Words) -> dict[tuple, list[Word]]:
    """{the path of a schema error: the words below it that cause it}: the errors that go
    away when the words are read as written (a boolean the schema takes there causes none, so
    it stays accepted)."""
    values = [w for w in words.values() if not w.key]
    if not values:
        return {}
    before = {tuple(e.absolute_path) for e in validator.iter_errors(data)}
    after = {tuple(e.absolute_path) for e in validator.iter_errors(as_written(data, words))}
    return {p: found for p in before - after
            if (found := [w for w in values if w.path[:len(p)] == p])}
