"""The one reader of every YAML file coprod reads: the config, the codebook, the claims.

Why one, and why so careful: these files come from users, and sometimes from strangers (a
colleague's project, a download). A YAML file can be made to cost anything to read: an alias
"bomb" (``b: [*a, *a, ...]``, each level ten times the last) is a few hundred bytes that stand
for billions of values, a 100,000-deep ``[[[...]]]`` overflows any recursive reader, and
``/dev/zero`` or a folder in place of a file never ends or fails with a bare OS error. So,
before anything is built from the text, this module

- reads only a regular file (a folder, a device or a pipe is refused by name), at most
  :data:`MAX_BYTES`, as UTF-8 (a decode error names the byte and says to save it as UTF-8);
- walks the parser's events once, counting nesting and the values that aliases repeat, and
  refuses past :data:`MAX_DEPTH` levels or :data:`MAX_ALIAS_VALUES` repeated values -- the
  count is arithmetic on the events, so a bomb is refused without ever being expanded;
- refuses a key written twice in one mapping (YAML would keep the last one silently:
  ``conf_level: 0.95`` then ``conf_level: 0.5`` gives 50 % intervals), naming the key and both
  lines.

Each refusal is one line naming the file. Only true/false are booleans (YAML 1.2), so answer
codes and labels such as yes, no, on, off stay text.
"""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import yaml

from ..errors import ConfigError, clip

#: the largest YAML file read (a codebook of thousands of variables is well under 1 MB)
MAX_BYTES = 16 * 1024 * 1024
#: the deepest nesting of mappings and lists (coprod's files need fewer than 10 levels)
MAX_DEPTH = 64
#: how many values aliases (``*name``) may repeat in one file, all together
MAX_ALIAS_VALUES = 100_000


class _NoDuplicateKeys:
    """A mapping with a key written twice is refused, naming the key and both lines (merge
    keys, ``<<: *base``, may still be overridden: that is what they are for)."""

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
                line = key_node.start_mark.line + 1
                try:
                    if key in seen:
                        raise DuplicateKey(key, seen[key], line)
                    seen[key] = line
                except TypeError:  # an unhashable key: the constructor refuses it itself
                    continue
        return super().construct_mapping(node, deep)  # type: ignore[misc]


class DuplicateKey(Exception):
    def __init__(self, key, first: int, second: int):
        super().__init__(key, first, second)
        self.key, self.first, self.second = key, first, second


class TextLoader(_NoDuplicateKeys, yaml.SafeLoader):
    """YAML as the user meant it: only true/false are booleans (YAML 1.2), so answer codes and
    labels such as yes, no, on, off, y, n stay text (YAML 1.1 would make them true/false)."""


_LIBYAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _FastTextLoader(_NoDuplicateKeys, _LIBYAML):  # type: ignore[misc,valid-type]
    """:class:`TextLoader`'s reading by libyaml (when PyYAML has it), several times faster.
    libyaml's error messages are terser, so a file it refuses is read again by
    :class:`TextLoader` for the message; and it accepts tabs as separators and reads a bare
    ``!`` tag as '' where PyYAML refuses or reads None, so text with either goes to
    :class:`TextLoader` alone (the same values, or the same refusal, as before)."""


#: text libyaml would read differently from PyYAML's own parser: a tab, or a "!" starting a
#: token (a tag)
_PURE_ONLY = re.compile(r"\t|(?:^|[\s\[{,:-])!")


for _loader in (TextLoader, _FastTextLoader):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    _loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                                  re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                  list("tTfF"))


def file_problem(path: str | Path) -> str | None:
    """What keeps ``path`` from being read as a file: not there, a folder, or a device, pipe or
    socket (reading /dev/zero never ends; a pipe may block for ever); None for a regular file
    or a link to one."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "file not found"
    except OSError as exc:
        return f"cannot read ({exc.strerror})"
    if stat.S_ISDIR(st.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(st.st_mode):
        return "is not a regular file (a device, pipe or socket); name a file"
    return None


def regular_file(path: str | Path, error=ConfigError) -> int:
    """The size of ``path``, a regular file; else ``error`` naming the file and the problem."""
    problem = file_problem(path)
    if problem:
        raise error(f"{path}: {problem}")
    return os.stat(path).st_size


def read_text(path: str | Path, max_bytes: int | None = None) -> str:
    """A regular file's text, UTF-8, at most ``max_bytes`` (:data:`MAX_BYTES`); one line naming
    the file else."""
    max_bytes = MAX_BYTES if max_bytes is None else max_bytes
    size = regular_file(path)
    if size > max_bytes:
        raise ConfigError(f"{path}: {size:,} bytes, more than the {max_bytes:,} a YAML file "
                          "may have; is it the right file?")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(max_bytes + 1)  # the file may have grown since stat
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    if len(raw) > max_bytes:
        raise ConfigError(f"{path}: more than the {max_bytes:,} bytes a YAML file may have; "
                          "is it the right file?")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
                          "save the file as UTF-8") from None


def check_shape(text: str, path, loader=None) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` and aliases that repeat more than
    :data:`MAX_ALIAS_VALUES` values, from the parser's events alone: nothing is built, so a
    bomb costs what its text costs. Raises YAMLError for text that does not parse."""
    ld = (loader or _FastTextLoader)(text)
    try:
        open_: list[list] = [[None, 0]]  # per open collection: its anchor, its values so far
        sizes: dict = {}  # anchor -> values it stands for
        repeated = 0
        while ld.check_event():
            ev = ld.get_event()
            if isinstance(ev, yaml.CollectionStartEvent):
                if len(open_) > MAX_DEPTH:
                    raise ConfigError(f"{path}: nested more than {MAX_DEPTH} levels deep (line "
                                      f"{ev.start_mark.line + 1}); is it the right file?")
                open_.append([ev.anchor, 1])
            elif isinstance(ev, yaml.CollectionEndEvent):
                anchor, n = open_.pop()
                if anchor is not None:
                    sizes[anchor] = n
                open_[-1][1] += n
            elif isinstance(ev, yaml.ScalarEvent):
                if ev.anchor is not None:
                    sizes[ev.anchor] = 1
                open_[-1][1] += 1
            elif isinstance(ev, yaml.AliasEvent):
                n = sizes.get(ev.anchor, 1)
                repeated += n
                open_[-1][1] += n
                if repeated > MAX_ALIAS_VALUES:
                    raise ConfigError(f"{path}: its aliases (*{clip(ev.anchor, 40)} on line "
                                      f"{ev.start_mark.line + 1}) repeat more than "
                                      f"{MAX_ALIAS_VALUES:,} values (an alias 'bomb'?); write "
                                      "the values out or use fewer aliases")
    finally:
        ld.dispose()


def _reader(text: str):
    return TextLoader if _PURE_ONLY.search(text) else _FastTextLoader


def _parse(text: str, path, loader):
    # the shape by libyaml whatever parser reads the values: the nesting and the aliases are
    # the same to both, and PyYAML's own scanner needs seconds for a 100,000-deep [[[...]]]
    try:
        check_shape(text, path, _FastTextLoader)
    except yaml.YAMLError as exc:  # libyaml refuses it: PyYAML's parser says why (or reads it)
        if "maximum nesting depth" in str(exc):  # libyaml's own limit, met while scanning ahead
            mark = getattr(exc, "problem_mark", None)
            line = f" (line {mark.line + 1})" if mark is not None else ""
            raise ConfigError(f"{path}: nested more than {MAX_DEPTH} levels deep{line}; is it "
                              "the right file?") from None
        check_shape(text, path, TextLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except DuplicateKey as dup:
        raise ConfigError(f"{path}: the key '{clip(dup.key, 80)}' is written twice in one mapping "
                          f"(lines {dup.first} and {dup.second}); YAML would keep only the last: "
                          "remove one") from None


def load_yaml(path: str | Path) -> dict:
    """A YAML mapping read by the rules above; name the file in any error."""
    text = read_text(path)
    # ValueError: a date that does not exist (2008-02-30)
    try:
        loader = _reader(text)
        try:
            data = _parse(text, path, loader)
        except (yaml.YAMLError, ValueError):
            if loader is TextLoader:
                raise
            data = _parse(text, path, TextLoader)  # PyYAML's own message points at the place
    except (yaml.YAMLError, ValueError) as exc:
        raise ConfigError(f"{path}: not valid YAML: {clip(exc, 500)}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of keys at the top level")
    return data
