"""The settings: the config checked against its schema, its defaults filled in from the schema,
the codebook read, all of it parsed once into frozen, typed objects (:func:`load_settings`).

Why one loader: the config used to travel as dicts, and its defaults were filled in three
places (Snakemake's schema validation, the report's own merge, each reader's ``.get(key,
default)``). Here the schema's defaults are filled by one function (:func:`fill_defaults`),
and every stage and the report read attributes of objects that refuse assignment: a setting a
stage changed can no longer reach the next stage by surprise.

The Snakemake rules still hand each job plain values through ``params:`` (Snakemake reruns a
job when its params change); a job turns them back into these objects where it needs them.
Imports no numpy or pandas (the start-up checks run before any job).
"""
from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from importlib.resources import files
from typing import Any

from ..errors import ConfigError
from .codebook import (
    Codebook,
    empty,
    freeze,
    frozen_from,
    load_codebook,
    load_schema,
    schema_errors,
    thaw,
)
from .designkeys import DesignSettings
from .modelplan import acts, aside_keys, plan_of
from .yamlwords import WordSource

__all__ = ["Codebook", "DesignSettings", "Settings", "Specifications", "fill_defaults",
           "freeze", "load_settings", "thaw"]

SCHEMA = files("coprod") / "schemas" / "config.schema.yaml"  # package data


@dataclass(frozen=True)
class Data:
    """config ``data``: the codebook's path, and whether the data are synthetic."""

    codebook: str
    synthetic: bool


@dataclass(frozen=True)
class Groups:
    """config ``groups``: the group column's name and word (None: not set)."""

    column: str
    label: str | None


@dataclass(frozen=True)
class Cleaning:
    """config ``cleaning``."""

    threshold: str
    invalid_weight: str


@dataclass(frozen=True)
class Models:
    """config ``models``; ``outcomes`` as written (a name, or ``{name: family}``), see
    :attr:`families`."""

    outcomes: tuple
    covariates: tuple[str, ...]
    samples: tuple
    scales: Mapping[str, tuple]
    joint_tests: Mapping[str, tuple]
    reference_levels: Mapping[str, Any]
    group_effects: bool
    conf_level: float
    predictions: Mapping[str, Mapping[str, tuple]]
    contrast: tuple[str, ...] | None = None  # (the schema has no default: no contrast test)
    jobs: str = "auto"  # one fit_models job a sample or for all (modelplan.fit_together)

    @property
    def families(self) -> dict[str, str]:
        """{outcome: model family} (logit, ordinal or count), in the config's order."""
        return outcome_families(self.outcomes)

    @property
    def binary(self) -> list[str]:
        """The 0/1 outcomes (those the tables, figures and claims read)."""
        return [o for o, f in self.families.items() if f == "logit"]

    @property
    def plan(self) -> str:
        """What is modelled (:mod:`coprod.pipeline.modelplan`): ``full``, ``intercept``
        (no covariates: intercept-only models) or ``none`` (no outcome: no model)."""
        from .modelplan import plan_of

        return plan_of(self)


@dataclass(frozen=True)
class Imputation:
    """config ``imputation``."""

    analyses: str
    m: int
    chains: int
    seed: int
    burn_in: int
    skip: int
    outcomes: tuple[str, ...] | None
    auxiliary: tuple[str, ...] | None


@dataclass(frozen=True)
class Specifications:
    """config ``specifications``: the choices of each dimension of the specification curve
    (None: the dimension not varied, the main analysis's choice), as the specification jobs
    read them (:meth:`from_params` of the rule's ``dims``); ``imputations`` and ``chunks`` how
    the curve is run."""

    threshold: tuple[str, ...] | None = None
    weights: tuple[bool, ...] | None = None
    covariates: Mapping[str, tuple[str, ...] | None] | None = None
    group_effects: tuple[bool, ...] | None = None
    missing: tuple[str, ...] | None = None
    family: tuple[str, ...] | None = None
    imputations: int = 5
    chunks: int = 2

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None = None) -> Specifications:
        """The choices from their plain form (the section, or a rule's ``dims``); a key the
        section does not have is an error."""
        return frozen_from(cls, params, "specifications", "a dimension")


@dataclass(frozen=True)
class Settings:
    """The whole config and the codebook, read-only.

    ``design`` is typed (:class:`coprod.pipeline.designkeys.DesignSettings`, where the design
    keys' rules live); ``specifications``, ``simulation`` and ``report`` stay frozen mappings
    of the config's keys: the specification dimensions are a mapping of
    choices, and the report's settings are resolved from ``report`` and ``models`` by
    :func:`coprod.pipeline.reportsettings.report_settings`. ``report_given``: the report
    section as the user wrote it (before the defaults), for what the report leaves out when a
    default does not fit the models. ``set_aside``: the keys set aside because an empty
    models.outcomes or models.covariates leaves them nothing to act on, each with what it would
    have done (:func:`coprod.pipeline.modelplan.aside_keys`).
    """

    data: Data
    groups: Groups
    cleaning: Cleaning
    design: DesignSettings
    models: Models
    imputation: Imputation
    specifications: Mapping[str, Any]
    report: Mapping[str, Any]
    codebook: Codebook
    results: str
    results_outside: bool
    simulation: Mapping[str, Any]
    report_given: Mapping[str, Any] = field(default_factory=empty)
    set_aside: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_filled(cls, filled: Mapping[str, Any], codebook: Codebook,
                    given: Mapping[str, Any] | None = None) -> Settings:
        """The settings of a config that passed the schema check (a job's params: its
        sections as the start-up checks filled them in), without checking anything again; the
        defaults of any section left out filled in from the schema."""
        given = given if given is not None else filled.get("report") or {}
        filled = fill_defaults(copy.deepcopy(dict(filled)))

        def section(kind, key):
            values = filled.get(key) or {}
            return kind(**{f.name: freeze(values[f.name]) for f in fields(kind)
                           if f.name in values})

        return cls(data=section(Data, "data"), groups=section(Groups, "groups"),
                   cleaning=section(Cleaning, "cleaning"),
                   design=DesignSettings.from_params(filled.get("design")),
                   models=section(Models, "models"),
                   imputation=section(Imputation, "imputation"),
                   specifications=freeze(filled.get("specifications") or {}),
                   report=freeze(filled.get("report") or {}), codebook=codebook,
                   results=str(filled["results"]),
                   results_outside=bool(filled["results_outside"]),
                   simulation=freeze(filled.get("simulation") or {}),
                   report_given=freeze(given))

    @property
    def group_column(self) -> str:
        """The group column's name (groups.column, else "group")."""
        from ..names import GROUP

        return self.groups.column or GROUP


def command_line_scalars(value, schema: dict):
    """Numbers and true/false given as text where the schema wants them, made numbers and
    booleans, in ``value`` (any node of the config) and below. Why: ``snakemake --config
    imputation='{"m": 50}'`` reads nested values with YAML's base loader, so every one arrives
    as text ("50"); a config file never does."""
    types = schema.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    if isinstance(value, str) and "string" not in types:
        text = value.strip()
        if "integer" in types and text.lstrip("-").isdigit():
            return int(text)
        if "number" in types:
            try:
                return float(text)
            except ValueError:
                pass
        if "boolean" in types and text.lower() in ("true", "false"):
            return text.lower() == "true"
        if "null" in types and text.lower() in ("null", "~"):
            return None
        return value
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for k, v in value.items():
            sub = props.get(k, extra if isinstance(extra, dict) else {})
            value[k] = command_line_scalars(v, sub)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        value[:] = [command_line_scalars(v, schema["items"]) for v in value]
    return value


def check_config_schema(config: dict, where: str = "config",
                        written: WordSource | None = None) -> None:
    """The config against its JSON schema, one line per problem (a ConfigError); numbers
    and true/false given as text on the command line made numbers and booleans, in place.
    ``written``: the config files' words YAML made true/false
    (:func:`coprod.pipeline.yamlwords.file_words`), to name as written one the schema refuses
    (``ON`` in models.samples) or a boolean key."""
    schema = load_schema(SCHEMA)
    command_line_scalars(config, schema)
    errors = schema_errors(config, schema, where, written)
    if errors:
        raise ConfigError("\n".join(errors))


def outcome_families(outcomes) -> dict[str, str]:
    """{outcome: family} from ``models.outcomes`` (a name, or ``{name: family}``)."""
    out: dict[str, str] = {}
    for entry in outcomes:
        if isinstance(entry, Mapping):
            out.update({str(k): str(v) for k, v in entry.items()})
        else:
            out[str(entry)] = "logit"
    return out


#: the families of models.outcomes other than the 0/1 (logit) one, in words
FAMILY_WORDS = {"ordinal": "an ordinal outcome", "count": "a count outcome"}


def not_binary(key: str, name, families: Mapping[str, str], why: str) -> str | None:
    """The refusal of an ordinal or count outcome of models.outcomes where a key takes only
    0/1 outcomes, saying what it is and ``why`` the key cannot use it; None for any other name
    (a 0/1 outcome, or one models.outcomes lacks: its caller says so). Why: "is not one of
    models.outcomes" about ``{importance: ordinal}``, which is there, sends the user looking
    for a typo."""
    family = families.get(str(name))
    if family is None or family == "logit":
        return None
    binary = [o for o, f in families.items() if f == "logit"]
    return (f"{key}: '{name}' is {FAMILY_WORDS.get(family, f'a {family} outcome')} "
            f"({{{name}: {family}}} in models.outcomes): {why}; "
            + (f"the 0/1 outcomes are {', '.join(binary)}" if binary
               else "models.outcomes has no 0/1 outcome"))


def fill_defaults(config: dict, schema: dict | None = None) -> dict:
    """Fill in, in place, every default the config schema declares, where the key is absent:
    the one place defaults come from. Walks the config as JSON-schema validation does (every
    ``properties`` the validator visits: nested objects, items, the entries of a mapping), so
    it fills exactly what Snakemake's ``validate(set_default=True)`` filled. Run on a config
    that passed the schema check (:func:`check_config_schema`)."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    properties = base.VALIDATORS["properties"]

    def set_defaults(validator, props, instance, node):
        if isinstance(instance, dict):
            for key, sub in props.items():
                if "default" in sub and key not in instance:
                    instance[key] = copy.deepcopy(sub["default"])
        yield from properties(validator, props, instance, node)

    filler = jsonschema.validators.extend(base, {"properties": set_defaults})
    for _ in filler(schema if schema is not None else load_schema(SCHEMA)).iter_errors(config):
        pass  # the schema check said every problem before; this walk fills in
    return config


def load_settings(config: dict, codebook: Codebook | None = None, *,
                  in_place: bool = False, written: WordSource | None = None) -> Settings:
    """The config checked against its schema (one line per problem, as
    :func:`check_config_schema` says them), its defaults filled in from
    the schema, and the codebook it names read and checked (``codebook``: one read already):
    frozen, typed :class:`Settings`. ``in_place``: fill in ``config`` itself (Snakemake's,
    which the rules read), else a copy. The cross-checks of the config against the codebook
    are :func:`coprod.pipeline.startup.check_project`'s. ``written``: as for
    :func:`check_config_schema`."""
    filled = config if in_place else copy.deepcopy(config)
    # (numbers given as text on the command line become numbers)
    check_config_schema(filled, written=written)
    given = copy.deepcopy(filled.get("report") or {})
    as_written = copy.deepcopy(filled)  # (before the defaults: what the config itself says)
    fill_defaults(filled)
    # an empty models.outcomes or models.covariates: the keys it leaves nothing to act on,
    # set to what does nothing, and named when the config itself had set them to act
    aside = []
    for path, off, what in aside_keys(plan_of(filled["models"])):
        node: dict = filled
        mine: Any = as_written
        for key in path[:-1]:
            node = node.setdefault(key, {})
            mine = mine.get(key) if isinstance(mine, dict) else None
        mine = mine.get(path[-1]) if isinstance(mine, dict) else None
        if what and acts(mine, off(mine)):
            aside.append((".".join(path), f"{what} of {mine}" if path[-1] == "findings"
                          else what))
        node[path[-1]] = off(node.get(path[-1]))
    cb = codebook if codebook is not None else load_codebook(filled["data"]["codebook"])
    return dataclasses.replace(Settings.from_filled(filled, cb, given),
                               set_aside=tuple(aside))
