"""Load and check the codebook, and resolve each group's effective variable specs.

The codebook is the only place where a raw layout is described; this module turns it plus a
group's overrides (rename, codes, missing codes, transforms, items not asked) into one plain spec
per variable, so the cleaning code has no group-specific logic at all.
"""
from __future__ import annotations

import difflib
import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from ..errors import ConfigError, clip

# the one YAML reader (bombs, duplicate keys, odd files): coprod.pipeline.yamlfile
from .yamlfile import TextLoader, file_problem, load_yaml, read_text  # noqa: F401 - imported from here
from .yamlwords import WordSource, bool_key_errors, refused_words, text_words, word_message

# package data (a wheel carries it); workflow/schemas/ links to the same files for Snakemake
SCHEMA = files("coprod") / "schemas" / "codebook.schema.yaml"


QUOTE_HINT = ("YAML reads unquoted yes/no/on/off/true/false as a true/false value: write the "
              "text you meant in quotes, e.g. \"no\"")


def freeze(value):
    """A parsed YAML value made read-only, all the way down: mappings become
    ``MappingProxyType``, lists tuples. Why: the settings are read by every stage and the
    report; a stage that changed them would change them for whatever reads them next."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def frozen_from(cls: Any, params: Mapping[str, Any] | None, section: str, noun: str) -> Any:
    """The frozen dataclass ``cls`` from its plain form (a config section, a rule's params): a
    key left out or null takes its default, every value is frozen (:func:`freeze`), and a key
    ``cls`` has no field for is refused naming ``section`` and the fields (``noun``: what one
    key is, e.g. "a figure setting"). The settings objects the jobs build share this."""
    from dataclasses import fields

    params = params or {}
    names = [f.name for f in fields(cls)]
    bad = [k for k in params if k not in names]
    if bad:
        raise ConfigError(f"{section}.{bad[0]}: not {noun} ({', '.join(names)})")
    return cls(**{k: freeze(v) for k, v in params.items() if v is not None})


def thaw(value):
    """The plain YAML value of a frozen one (dicts and lists): what Snakemake's ``params:``
    and the JSON of a result carry."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    return value


def empty() -> Mapping[str, Any]:
    """A frozen empty mapping (a section left out)."""
    return MappingProxyType({})


@dataclass(frozen=True)
class Codebook:
    """The codebook, read and checked once, read-only (its sections frozen mappings).

    ``variables``, ``groups``, ``derived``, ``outcomes`` and ``defaults`` are the codebook's
    sections as written (empty when left out); ``survey`` and ``group_label`` its two words.
    """

    variables: Mapping[str, Mapping[str, Any]]
    groups: Mapping[str, Mapping[str, Any]]
    derived: Mapping[str, Mapping[str, Any]] = field(default_factory=empty)
    outcomes: Mapping[str, Mapping[str, Any]] = field(default_factory=empty)
    defaults: Mapping[str, Any] = field(default_factory=empty)
    survey: str | None = None
    group_label: str | None = None

    @classmethod
    def from_yaml(cls, data: Mapping[str, Any]) -> Codebook:
        """The typed codebook of a parsed (and checked) codebook file."""
        return cls(**{k: freeze(data[k]) for k in CODEBOOK_KEYS if data.get(k) is not None})


#: the codebook's top-level keys (those of its schema)
CODEBOOK_KEYS = ("variables", "groups", "derived", "outcomes", "defaults", "survey",
                 "group_label")


def load_schema(schema) -> dict:
    """A schema shipped with the package (``importlib.resources`` file), parsed once per
    process and by libyaml when PyYAML has it: every start-up check and every rule reads the
    same two files, and the pure-Python parser is most of their cost. A fresh copy each time
    (callers may fill in defaults)."""
    return _copied(_parsed_schema(str(schema), schema.read_text(encoding="utf-8")))


def _copied(value):
    """A parsed YAML document's mappings and lists copied, its scalars (immutable) shared:
    what ``copy.deepcopy`` gives for a document of plain mappings, lists and scalars without
    anchors (the schemas: an alias would become two copies), at a fraction of its cost
    (deepcopy keeps a memo of every object it visits)."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value


@functools.lru_cache(maxsize=8)
def _parsed_schema(name: str, text: str) -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader (libyaml's or PyYAML's)


def did_you_mean(name: str, options) -> str:
    """A near spelling among ``options`` (case-insensitive), as a phrase to append; nothing
    when no option is close (a far "suggestion" misleads more than none)."""
    opts = {str(o).lower(): str(o) for o in options}
    word = str(name).lower()
    # a near spelling: very similar, or fairly similar and starting alike (so "gender" does
    # not suggest "eduyrs", but "SEX" suggests "SEKS")
    close = [c for c in difflib.get_close_matches(word, list(opts), n=3, cutoff=0.55)
             if difflib.SequenceMatcher(None, word, c).ratio() >= 0.75 or c[:1] == word[:1]][:1]
    return f" (did you mean '{opts[close[0]]}'?)" if close else ""


def schema_errors(data: dict, schema: dict, where: str,
                  written: WordSource | None = None) -> list[str]:
    """Every schema violation as a readable line naming the key path, and every mapping key
    that is a boolean. ``written``: the file's words YAML made true/false
    (:mod:`coprod.pipeline.yamlwords`), asked for only when something is wrong: a boolean the
    schema refuses, or a boolean key, is then named as written, with its file and line."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    lines = bool_key_errors(data, where)
    words = written() if written is not None and (errors or lines) else {}
    if words:
        lines = bool_key_errors(data, where, words)
    refused = refused_words(data, validator, words) if errors and words else {}
    said: set[tuple] = set()
    for err in errors:
        path = tuple(err.absolute_path)
        if path in refused:  # a word the user meant as text: named as written
            lines += [word_message(w, words) for w in refused[path] if w.path not in said]
            said.update(w.path for w in refused[path])
            continue
        key = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        if err.validator == "additionalProperties":
            allowed = list(err.schema.get("properties", {}))
            extra = [k for k in err.instance if k not in err.schema.get("properties", {})
                     and not isinstance(k, bool)]  # (a boolean key is refused as such)
            for k in extra:
                prefix = f"{key}." if key != "(top level)" else ""
                lines.append(f"{where}: unknown key '{prefix}{k}'{did_you_mean(k, allowed)}")
            continue
        if isinstance(err.instance, bool) and "string" in str(err.validator_value):
            lines.append(f"{where}: {key}: {err.message}; {QUOTE_HINT}")
            continue
        if err.validator == "type" and err.validator_value == "boolean" \
                and isinstance(err.instance, str):
            lines.append(f"{where}: {key}: '{clip(err.instance)}' is not true or false; write "
                         "true or false (without quotes)")
            continue
        lines.append(f"{where}: {key}: {_clipped(err)}")
    return lines


def _clipped(err) -> str:
    """A schema message with a long value cut (jsonschema quotes the whole value)."""
    value = repr(err.instance)
    return err.message.replace(value, clip(value)) if len(value) > 80 else err.message


def validate_codebook(data: dict, where: str = "codebook",
                      written: WordSource | None = None, schema: bool = True) -> Codebook:
    """The parsed codebook checked against its schema, then its names against each other;
    the typed codebook, or a ConfigError listing every problem. ``written``: the file's words
    YAML made true/false, to name them as written (:func:`schema_errors`). ``schema=False``:
    not against the schema (see :func:`load_codebook`)."""
    if schema:
        errors = schema_errors(data, load_schema(SCHEMA), where, written)
        if errors:
            raise ConfigError("\n".join(errors))
    cb = Codebook.from_yaml(data)
    _check_references(cb, where)
    return cb


def _check_references(cb: Codebook, where: str) -> None:
    """Names used in groups, derived and outcomes must be defined variables."""
    variables = cb.variables
    known = set(variables)
    errors = []
    for g, spec in cb.groups.items():
        for key in ("rename", "codes", "transform"):
            for name in spec.get(key, {}) or {}:
                if name not in known:
                    errors.append(f"{where}: groups.{g}.{key}: unknown variable '{name}'"
                                  f"{did_you_mean(name, known)}")
        for name, codes in (spec.get("codes") or {}).items():
            var = variables.get(name) or {}
            levels = variable_levels(var)
            stray = [v for v in dict.fromkeys((codes or {}).values()) if v not in levels]
            if name in known and levels and stray:
                errors.append(f"{where}: groups.{g}.codes.{name}: codes map to {stray}, which "
                              f"are not levels of '{name}' ({levels}); add them to the "
                              "variable's `levels:` or use the same labels as its `codes:`")
        for name in spec.get("not_asked", []) or []:
            if name not in known:
                errors.append(f"{where}: groups.{g}.not_asked: unknown variable '{name}'"
                              f"{did_you_mean(name, known)}")
    for name, var in variables.items():
        if var.get("type", "numeric") == "category" and not var.get("codes"):
            errors.append(f"{where}: variables.{name}: a category variable needs `codes`")
        if var.get("levels") and var.get("codes"):
            missing = set(var["codes"].values()) - set(var["levels"])
            if missing:
                errors.append(f"{where}: variables.{name}: codes map to {sorted(missing)} "
                              f"which are not in levels {list(var['levels'])}")
    roles = [v.get("role") for v in variables.values()]
    if roles.count("id") > 1:
        ids = [n for n, v in variables.items() if v.get("role") == "id"]
        errors.append(f"{where}: variables: at most one variable may have `role: id` (found "
                      f"{', '.join(ids)})")
    derived_known = set(known)
    for name, d in cb.derived.items():
        for item in [*d.get("mean_of", ()), *d.get("any_of", ())]:
            if item not in derived_known:
                errors.append(f"{where}: derived.{name}: unknown variable '{item}'"
                              f"{did_you_mean(item, derived_known)}")
        if "indicator" in d:
            errors += _indicator_errors(name, d, variables, where)
        errors += _cut_errors(f"{where}: derived.{name}", d, cb, derived_known)
        derived_known.add(name)
    outcome_known: set[str] = set()
    for name, o in cb.outcomes.items():
        for item in o.get("items", []):
            if item not in known:
                errors.append(f"{where}: outcomes.{name}: unknown item '{item}'"
                              f"{did_you_mean(item, known)}")
            elif variables[item].get("type") != "category" or not variables[item].get("ordered"):
                errors.append(f"{where}: outcomes.{name}: item '{item}' must be an ordered "
                              "category")
        if "variable" in o:
            v = variables.get(o["variable"])
            if v is None:
                errors.append(f"{where}: outcomes.{name}: unknown variable '{o['variable']}'"
                              f"{did_you_mean(o['variable'], known)}")
            elif v.get("type") != "category":
                errors.append(f"{where}: outcomes.{name}: '{o['variable']}' must be a category")
            else:
                lv = list(v.get("levels") or dict.fromkeys(v["codes"].values()))
                for p in o["positive"]:
                    if p not in lv:
                        errors.append(f"{where}: outcomes.{name}.positive: '{p}' is not a level of "
                                      f"'{o['variable']}' (levels: {', '.join(lv)})"
                                      f"{did_you_mean(p, lv)}")
        errors += _scale_errors(name, o, variables, outcome_known, cb, where)
        errors += _cut_errors(f"{where}: outcomes.{name}", o, cb, {*known, *cb.derived})
        for sub in o.get("outcomes", []):
            if sub not in outcome_known:
                errors.append(f"{where}: outcomes.{name}: '{sub}' must be an outcome defined "
                              "above it"
                              f"{did_you_mean(sub, outcome_known)}")
        outcome_known.add(name)
    if errors:
        raise ConfigError("\n".join(errors))


def outcome_kind(o: Mapping) -> str:
    """What a codebook outcome is: "ordinal" (highest_of), "count" (count_of) or "binary"."""
    return "ordinal" if "highest_of" in o else "count" if "count_of" in o else "binary"


def _scale_errors(name: str, o: Mapping, variables: Mapping, known: set, cb: Codebook,
                  where: str) -> list[str]:
    """highest_of / count_of: items must be ordered categories (highest_of: with the same
    levels) or outcomes defined above of a kind that fits."""
    errors: list[str] = []
    key = "highest_of" if "highest_of" in o else "count_of" if "count_of" in o else None
    if key is None:
        return errors
    outcomes = cb.outcomes
    levels = []
    for part in o[key]:
        if part in known:
            kind = outcome_kind(outcomes[part])
            fits = kind == "ordinal" if key == "highest_of" else kind in ("binary", "count")
            if not fits:
                errors.append(f"{where}: outcomes.{name}.{key}: outcome '{part}' is {kind}; "
                              + ("highest_of takes items or ordinal outcomes" if
                                 key == "highest_of" else "count_of takes items, 0/1 or count "
                                 "outcomes"))
            elif key == "highest_of":
                levels.append(tuple(outcome_levels(part, cb)))
            continue
        var = variables.get(part)
        if var is None:
            errors.append(f"{where}: outcomes.{name}.{key}: unknown item '{part}'"
                          f"{did_you_mean(part, [*variables, *known])}")
        elif var.get("type") != "category" or not var.get("ordered"):
            errors.append(f"{where}: outcomes.{name}.{key}: item '{part}' must be an ordered "
                          "category")
        else:
            levels.append(tuple(variable_levels(var)))
    if key == "highest_of" and len(set(levels)) > 1:
        errors.append(f"{where}: outcomes.{name}.highest_of: the items have different levels "
                      f"({' / '.join(', '.join(lv) for lv in dict.fromkeys(levels))}); the "
                      "highest level needs one scale")
    if key == "highest_of" and levels and len(levels[0]) < 3:
        errors.append(f"{where}: outcomes.{name}.highest_of: {len(levels[0])} levels "
                      f"({', '.join(levels[0])}); an ordinal outcome needs at least 3 (use "
                      "`items` for a 0/1 outcome)")
    return errors


def outcome_levels(name: str, cb: Codebook) -> list[str]:
    """The ordered levels of a highest_of outcome (those of its first item, followed down)."""
    o = cb.outcomes[name]
    first = o["highest_of"][0]
    if first in cb.outcomes:
        return outcome_levels(first, cb)
    return list(variable_levels(cb.variables[first]))


def group_column_error(cb: Codebook, column: str) -> str | None:
    """The group column may not take the name of a codebook variable (the cleaning writes it
    beside them); the message, or None."""
    defined = {*cb.variables, *cb.derived, *cb.outcomes}
    if column in defined:
        return (f"config: groups.column: '{column}' is also a variable of the codebook; name "
                "the group column differently")
    return None


#: the keys of a numeric cut (derived variables and outcomes): a value to compare with
CUT_KEYS = ("above", "at_or_above", "below", "at_or_below")


def _cut_errors(key: str, spec: Mapping, cb: Codebook, known: set) -> list[str]:
    """A numeric cut names a number: a numeric variable or a derived mean (not a category,
    whose levels have no values to compare); a comparison key needs ``numeric``."""
    given = [k for k in CUT_KEYS if k in spec]
    if "numeric" not in spec:
        return [f"{key}.{k}: a cut needs `numeric:` (the numeric variable to compare)"
                for k in given]
    if len(given) != 1:
        return [f"{key}: a cut needs exactly one of {', '.join(CUT_KEYS)} (the value to "
                f"compare with); found {', '.join(given) if given else 'none'}"]
    name = spec["numeric"]
    if name not in known:
        return [f"{key}.numeric: unknown variable '{name}'{did_you_mean(name, known)}"]
    var = cb.variables.get(name)
    derived = cb.derived.get(name) or {}
    if (var is not None and var.get("type", "numeric") != "numeric") or \
            (var is None and "any_of" in derived):
        return [f"{key}.numeric: '{name}' is a category; a cut compares numbers (for levels "
                "of a category use `variable:` and `positive:` in an outcome, `indicator:` "
                "and `levels:` in a derived variable)"]
    return []


def _indicator_errors(name: str, d: Mapping, variables: Mapping, where: str) -> list[str]:
    """A 0/1 indicator needs a category variable and some of its levels."""
    v = variables.get(d["indicator"])
    key = f"{where}: derived.{name}.indicator"
    if v is None:
        return [f"{key}: unknown variable '{d['indicator']}'"
                f"{did_you_mean(d['indicator'], variables)}"]
    if v.get("type") != "category":
        return [f"{key}: '{d['indicator']}' must be a category variable (its levels are counted)"]
    lv = variable_levels(v)
    return [f"{where}: derived.{name}.levels: '{x}' is not a level of '{d['indicator']}' "
            f"(levels: {', '.join(map(str, lv))}){did_you_mean(x, lv)}"
            for x in d["levels"] if x not in lv]


def load_codebook(path: str | Path, *, schema: bool = True) -> Codebook:
    """The codebook file read, checked and frozen (:class:`Codebook`). ``schema=False``: a
    job of the workflow reading the codebook that the workflow's start-up has just checked
    against the schema (:func:`coprod.pipeline.settings.load_settings`), which is not
    checked again: the check and its library cost a small job a tenth of a second."""
    # its true/false words by coprod's reading (only true/false are booleans: ON is text)
    return validate_codebook(load_yaml(path), where=str(path), written=lambda: text_words(
        read_text(path), str(path), TextLoader), schema=schema)


def norm_code(code):
    """Codes compare by value: 1, 1.0 and '1' are the same code."""
    if isinstance(code, str):
        try:
            f = float(code)
        except ValueError:
            return code.strip()
        return f
    return float(code)


@dataclass
class VarSpec:
    """One harmonised variable as a given group delivers it."""

    name: str
    raw: str
    role: str | None
    type: str
    codes: dict = field(default_factory=dict)      # normalised raw code -> level
    levels: list = field(default_factory=list)
    ordered: bool = False
    valid_range: tuple | None = None
    missing: dict = field(default_factory=dict)     # normalised raw code -> reason
    transform: dict | None = None
    not_asked: bool = False
    codes_overridden: bool = False
    label: str = ""


def variable_levels(var: Mapping) -> list:
    """A category variable's levels: its `levels:`, else the labels of its own `codes:` in
    order (never a group's codes, which only say which raw code means which level)."""
    return list(var.get("levels") or dict.fromkeys((var.get("codes") or {}).values()))


def group_specs(cb: Codebook, group: str) -> list[VarSpec]:
    """The effective spec of every variable for ``group`` (defaults + the group's overrides)."""
    g = cb.groups[group]
    group_missing = g.get("missing", cb.defaults.get("missing", {})) or {}
    specs = []
    for name, var in cb.variables.items():
        vtype = var.get("type", "numeric")
        role = var.get("role")
        codes_raw = (g.get("codes") or {}).get(name, var.get("codes") or {})
        codes = {norm_code(k): v for k, v in codes_raw.items()}
        levels = variable_levels(var)  # every group shares them
        vm = var.get("missing", role is None)
        missing = {}
        if vm is not False and role not in ("id",):
            missing.update({norm_code(k): v for k, v in group_missing.items()})
        if isinstance(vm, Mapping):
            missing.update({norm_code(k): v for k, v in vm.items()})
        specs.append(VarSpec(
            name=name,
            raw=(g.get("rename") or {}).get(name, var["raw"]),
            role=role,
            type=vtype,
            codes=codes,
            levels=levels,
            ordered=bool(var.get("ordered", False)),
            valid_range=tuple(var["valid_range"]) if var.get("valid_range") else None,
            missing=missing,
            transform=(g.get("transform") or {}).get(name),
            not_asked=name in (g.get("not_asked") or []),
            codes_overridden=name in (g.get("codes") or {}),
            label=var.get("label", name),
        ))
    return specs


def labels(cb: Codebook) -> dict[str, str]:
    """Words for every variable, derived variable and outcome of the codebook (the group
    column's word is added by the cleaning, which knows its name)."""
    out = {}
    for section in (cb.variables, cb.derived, cb.outcomes):
        for name, spec in section.items():
            out[name] = spec.get("label", name)
    return out


def check_files(cb: Codebook, root: str | Path = ".", where: str = "codebook") -> None:
    """Every raw file exists and has a known format; all problems listed at once.

    Why here and not at the first job: Snakemake would otherwise report a missing input in its
    own words, or a rule that can make the file might quietly run instead.
    """
    from .rawformat import file_format

    errors = []
    seen = set()
    for group, g in cb.groups.items():
        f = g["file"]
        if f in seen:
            continue
        seen.add(f)
        problem = file_problem(Path(root) / f)  # a folder or a device is named as such
        if problem:
            errors.append(f"{f}: {problem} (named in {where} under groups.{group}.file)")
            continue
        try:
            file_format(f, g.get("format"))
        except Exception as exc:  # DataError with the message we want
            errors.append(str(exc))
    if errors:
        from ..errors import DataError

        raise DataError("\n".join(errors))
