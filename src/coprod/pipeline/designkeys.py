"""The ``design:`` section of a config: its keys, the columns it uses, and what it implies for
the words (weighted or not, the variance in words).

Why apart from :mod:`coprod.pipeline.designconfig` (which builds the design): the Snakefile
reads these at every start, and they must not import numpy or pandas (half a second per
Snakemake start). Which keys need which others (:func:`design_key_errors`): the engine's rules
for the stages of a design (:func:`coprod.survey.designspec.key_errors`, which ``make_design``
shares, here naming config keys instead of arguments) and the config's own, for the keys that
choose between designs (replicate weights, ``as_replicates``, ``calibration``, ``model_based``).

The section travels as a frozen, typed :class:`DesignSettings` (built once by
:func:`coprod.pipeline.settings.load_settings`, or by a job's adapter from its params with
:meth:`DesignSettings.from_params`); the rules keep handing the jobs the plain mapping
(:func:`design_settings`), since Snakemake reruns a job when its params change.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from ..survey.designspec import key_errors

#: every key of the config's ``design:`` section (workflow/schemas/config.schema.yaml), in the
#: order the model jobs receive them (a new order would rerun every model job once)
DESIGN_KEYS = ("weights", "strata", "psu", "fpc", "ssu", "fpc2", "lonely_psu", "deff",
               "model_based", "incomplete", "replicates", "replicate_type", "replicate_scale",
               "replicate_rscales", "fay_rho", "mse", "combined_weights", "calibration",
               "as_replicates")


_S = TypeVar("_S", bound="_Section")


class _Section(Mapping[str, Any]):
    """A frozen section read by attribute (typed) and, for the checks written against the
    config's keys and for :func:`coprod.pipeline.codebook.thaw`, as a read-only mapping of its
    keys; ``as_params()`` is its plain form (a rule's params, a result's JSON)."""

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys():
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    @classmethod
    def _keys(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    def replace(self: _S, **changes: Any) -> _S:
        """A copy with ``changes`` (the object itself refuses assignment)."""
        return dataclasses.replace(self, **changes)  # type: ignore[type-var]

    def as_params(self) -> dict[str, Any]:
        """The plain mapping of the section's keys (lists, dicts), as the config writes it."""
        return {k: _plain(getattr(self, k)) for k in self._keys()}


def _plain(value: Any) -> Any:
    if isinstance(value, _Section):
        return value.as_params()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _tuple(value: Any) -> tuple[Any, ...] | None:
    return None if value is None else tuple(value)


def rscales_values(value: Any) -> tuple[float, ...] | None:
    """config ``design.replicate_rscales`` as numbers: a list as it is, one number as one for
    all, a path as the numbers of its CSV file (its only column or its column ``rscales``;
    read relative to the working directory, the project's), ``{file: path, column: name}`` as
    the numbers of that column of the file (a data producer's table of its replicates, one row
    each, with columns of its own naming). The engine checks that there is one per
    replicate."""
    from ..errors import ConfigError

    if value is None or isinstance(value, (tuple, list)):
        return _tuple(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (float(value),)
    key = "design.replicate_rscales"
    named = None
    if isinstance(value, Mapping):  # {file: path, column: name} (the schema checked the keys)
        value, named = value["file"], str(value["column"])
    path = str(value)
    try:
        import pandas as pd

        table = pd.read_csv(path, dtype=str, keep_default_na=False)  # "n/a" named as written
    except FileNotFoundError:
        raise ConfigError(f"{key}: file '{path}' not found (a CSV with one number per "
                          "replicate)") from None
    except (OSError, ValueError) as e:
        raise ConfigError(f"{key}: file '{path}' cannot be read as CSV: "
                          f"{str(e).splitlines()[0]}") from None
    if named is not None:
        if named not in table.columns:
            raise ConfigError(f"{key}: file '{path}' has no column '{named}' (its columns: "
                              f"{', '.join(map(str, table.columns[:8]))})")
        column = table[named]
    elif "rscales" in table.columns:
        column = table["rscales"]
    elif len(table.columns) == 1:
        column = table.iloc[:, 0]
    else:
        raise ConfigError(f"{key}: file '{path}' has {len(table.columns)} columns "
                          f"({', '.join(map(str, table.columns[:5]))}); give the numbers in "
                          "its only column or in a column named rscales, or name it: {file: "
                          f"{path}, column: <its name>}}")
    numbers = pd.to_numeric(column, errors="coerce")
    bad = numbers.isna() | (numbers < 0)
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise ConfigError(f"{key}: file '{path}', row {row + 2}: {column.iloc[row]!r} is not a "
                          "non-negative number")
    return tuple(float(x) for x in numbers)


def _unknown(kind: str, given: Mapping[str, Any], keys: Sequence[str]) -> None:
    from ..errors import ConfigError

    bad = [k for k in given if k not in keys]
    if bad:
        raise ConfigError(f"{kind}.{bad[0]}: not a key of {kind} ({', '.join(keys)})")


@dataclass(frozen=True, eq=True)
class Calibration(_Section):
    """config ``design.calibration``: the weights calibrated to population totals."""

    method: str
    variables: tuple[str, ...]
    totals: str
    bounds: tuple[float, ...] | None = None
    epsilon: float = 1e-10
    maxit: int = 100

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> Calibration | None:
        """The section (None: no calibration); keys left out take the schema's defaults."""
        if not params:
            return None
        if isinstance(params, Calibration):
            return params
        _unknown("design.calibration", params, cls._keys())
        values = {k: params[k] for k in cls._keys() if k in params}
        if "variables" in values:
            values["variables"] = tuple(values["variables"] or ())
        if "bounds" in values:
            values["bounds"] = _tuple(values["bounds"])
        values.setdefault("method", None)
        values.setdefault("variables", ())
        values.setdefault("totals", None)
        return cls(**values)


@dataclass(frozen=True, eq=True)
class AsReplicates(_Section):
    """config ``design.as_replicates``: replicate weights made from the strata and PSUs."""

    type: str
    replicates: int = 50
    seed: int = 2026
    mse: bool = False

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> AsReplicates | None:
        if not params:
            return None
        if isinstance(params, AsReplicates):
            return params
        _unknown("design.as_replicates", params, cls._keys())
        return cls(**{k: params[k] for k in cls._keys() if k in params})


@dataclass(frozen=True, eq=True)
class DesignSettings(_Section):
    """config ``design``: every key of :data:`DESIGN_KEYS`, typed, read-only; defaults are the
    schema's (workflow/schemas/config.schema.yaml).

    Why typed: the design section reaches the models, the descriptives, the specification curve
    and the report's words; as attributes a misspelt key fails where it is written (and mypy
    sees it), not as a silent ``None`` from ``.get``. It still reads as a mapping of the
    config's keys (the start-up checks name those keys).
    """

    weights: str | None = None
    strata: str | None = None
    psu: str | None = None
    fpc: str | None = None
    ssu: str | None = None
    fpc2: str | None = None
    lonely_psu: str = "adjust"
    deff: str = "srswor"
    model_based: bool = False
    incomplete: str = "keep"
    replicates: str | None = None
    replicate_type: str | None = None
    replicate_scale: float | None = None
    replicate_rscales: tuple[float, ...] | None = None
    fay_rho: float | None = None
    mse: bool = False
    combined_weights: bool = True
    calibration: Calibration | None = None
    as_replicates: AsReplicates | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None = None) -> DesignSettings:
        """The typed section from its plain form (a rule's params, :func:`design_settings`; a
        config's ``design:`` section): keys left out take the schema's defaults, a key the
        section does not have is an error."""
        if isinstance(params, DesignSettings):
            return params
        params = params or {}
        _unknown("design", params, DESIGN_KEYS)
        values = {k: params[k] for k in DESIGN_KEYS if k in params}
        if "replicate_rscales" in values:
            values["replicate_rscales"] = rscales_values(values["replicate_rscales"])
        if "calibration" in values:
            values["calibration"] = Calibration.from_params(values["calibration"])
        if "as_replicates" in values:
            values["as_replicates"] = AsReplicates.from_params(values["as_replicates"])
        return cls(**values)

    @classmethod
    def _keys(cls) -> tuple[str, ...]:
        return DESIGN_KEYS


def typed_design(design: object, caller: str) -> DesignSettings:
    """``design`` itself when typed, else a TypeError saying what to pass: a script written
    for the flat package handed these functions the config's section as a dict."""
    if isinstance(design, DesignSettings):
        return design
    raise TypeError(f"{caller}: design must be a DesignSettings (DesignSettings.from_params() "
                    f"of the config's design: section), not a {type(design).__name__}")


def design_settings(design: Mapping[str, Any]) -> dict[str, Any]:
    """Every design key of a validated config's ``design:`` section (unset ones None): what
    each model job needs, as the workflow passes it (params) and as tests call the stages."""
    return {k: design.get(k) for k in DESIGN_KEYS}


def weighted(design: DesignSettings) -> bool:
    """Do the estimates use unequal weights? (weights given, or weights calibrated to totals:
    "weighted %" in tables, figures and the report.)"""
    return bool(design.weights or design.calibration)


def replicate_pattern(name: str) -> str:
    """The clean-table columns of a codebook variable with ``role: replicates``: the matched
    raw columns become ``<name>_1`` ... ``<name>_R``."""
    import re

    return f"^{re.escape(str(name))}_[0-9]+$"


def design_columns(design: DesignSettings, columns: Sequence[str] = ()) -> list[str]:
    """The clean-table columns a config's design uses (the replicate weights only when the
    table's ``columns`` are given: they are many, and only the design needs them)."""
    import re

    cols = [v for v in (design.weights, design.strata, design.psu, design.fpc, design.ssu,
                        design.fpc2) if v]
    cols += list(design.calibration.variables if design.calibration else [])
    if design.replicates and len(columns):
        rx = re.compile(replicate_pattern(design.replicates))
        cols += [c for c in columns if rx.fullmatch(str(c))]
    return cols


def variance_words(design: DesignSettings) -> str:
    """The Taylor variance a config's design implies, in words (the engine's rule: a second
    stage counts only with first-stage population sizes)."""
    from ..survey.designspec import variance_kind

    return variance_kind(fpc=bool(design.fpc), ssu=bool(design.ssu))


def design_key_errors(design: DesignSettings) -> list[str]:
    """The keys of a config's ``design:`` section set without the keys they need, or together
    with keys they exclude, one message each, naming the config keys (the start-up check; a
    plain section, as the start-up checks hold it, is read with
    :meth:`DesignSettings.from_params`)."""
    design = DesignSettings.from_params(design)
    errors = key_errors(design, key=lambda k: f"design.{k}")
    if design.replicates:
        errors += _replicate_errors(design)
    elif design.replicate_type:
        errors.append(f"design.replicate_type: {design.replicate_type!r} needs "
                      "design.replicates (the codebook variable of the replicate weights)")
    if design.as_replicates and design.replicates:
        errors.append("design.as_replicates: the data already have replicate weights "
                      "(design.replicates); set one of the two to null")
    if design.as_replicates and (design.ssu or design.model_based):
        errors.append("design.as_replicates: replicates are made from the first stage only, "
                      "without design.ssu, and not with design.model_based")
    if design.calibration and design.model_based:
        errors.append("design.calibration: calibrated weights need design-based standard "
                      "errors; set design.model_based to false")
    return errors


def _replicate_errors(design: DesignSettings) -> list[str]:
    rep, kind = design.replicates, design.replicate_type
    errors = []
    if not kind:
        errors.append(f"design.replicates: {rep!r} needs design.replicate_type (BRR, Fay, JK1, "
                      "JKn, bootstrap, successive-difference or other)")
    if not design.weights:
        errors.append(f"design.replicates: {rep!r} needs design.weights, the full-sample "
                      "weights")
    for key in ("strata", "psu", "fpc", "ssu", "fpc2"):
        if design.get(key):
            errors.append(f"design.{key}: {design[key]!r} cannot be used with replicate weights "
                          "(design.replicates): they replace strata and clusters; set it to "
                          "null")
    if design.model_based:
        errors.append("design.model_based: true cannot be used with replicate weights")
    if kind == "Fay" and design.fay_rho is None:
        errors.append("design.fay_rho: replicate_type Fay needs Fay's rho (in [0, 1))")
    rho = design.fay_rho
    if rho is not None and not 0 <= rho < 1:
        errors.append(f"design.fay_rho: {rho!r} is outside [0, 1)")
    if rho is not None and kind not in (None, "Fay"):
        errors.append(f"design.fay_rho: only for replicate_type Fay, not {kind}")
    if kind == "JKn" and not design.replicate_rscales:
        errors.append("design.replicate_rscales: replicate_type JKn needs one rscale per "
                      "replicate ((n_h - 1)/n_h of the stratum whose PSU it drops)")
    if kind == "other" and design.replicate_scale is None:
        errors.append("design.replicate_scale: replicate_type other needs its scale (the data "
                      "producer's documentation gives it)")
    if kind == "successive-difference" and design.replicate_scale is not None:
        errors.append("design.replicate_scale: successive-difference replicates have the scale "
                      "4/R; remove design.replicate_scale")
    return errors
