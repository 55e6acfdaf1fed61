"""R's model matrix of a calibration formula (``model.matrix(~ stype + api99, data)``), with R's
column names, for :func:`coprod.survey.rcalibrate.calibrate_formula`.

Why not the formula engine of the models (formulaic): the population totals of R's
``calibrate`` are named after R's model-matrix columns (``(Intercept)``, ``stypeH``,
``stypeH:api99``), and which factor of a term gets all its levels (a formula without an
intercept, an interaction without its main effects) follows R's rules, which the totals must
follow too. Calibration formulas are sums of variables and their interactions, so this module
reads exactly that: ``~ a + b``, ``a:b``, ``a*b``, ``- 1`` / ``+ 0`` (no intercept), R names
with dots and backticks. A function of a variable (``log(x)``, ``I(x > 0)``) is refused with a
message: derive the column first. The formulaic names (``Intercept``, ``stype[T.H]``) are
accepted for the totals too.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError

_NAME = re.compile(r"^(`[^`]+`|[A-Za-z.][A-Za-z0-9._]*)$")


def parse_formula(formula: str) -> tuple[bool, list[tuple[str, ...]]]:
    """``"~ a + b*c - 1"`` -> (intercept, terms in R's order: by degree, then as written;
    ``a*b`` is ``a + b + a:b``), each term its variables in order of first appearance."""
    if not isinstance(formula, str) or not formula.strip().startswith("~"):
        raise ConfigError(f"formula: {formula!r} must be a one-sided formula such as "
                          "'~ stype + api99'", argument="formula")
    body = formula.strip()[1:]
    intercept, terms = True, []
    for sign, part in re.findall(r"([+-]?)\s*([^+-]+)", "+" + body.replace(" ", "")):
        part = part.strip()
        if part in ("0", "1"):
            intercept = (sign != "-") and part == "1" or (sign == "-" and part == "0")
            continue
        if sign == "-":
            raise ConfigError(f"formula: {formula!r}: removing a term ('- {part}') is not "
                              "supported; leave it out", argument="formula")
        factors = part.split("*")
        for f in factors:
            for v in f.split(":"):
                if not _NAME.match(v):
                    raise ConfigError(
                        f"formula: {formula!r}: {v!r} is not a variable name; calibration "
                        "formulas are sums of variables and their interactions (a:b, a*b), "
                        "so derive a transformed variable as a column first",
                        argument="formula")
        groups = [tuple(v.strip("`") for v in f.split(":")) for f in factors]
        for k in range(1, len(groups) + 1):  # a*b*c: every product of the starred parts
            for combo in itertools.combinations(groups, k):
                terms.append(tuple(dict.fromkeys(v for g in combo for v in g)))
    order = list(dict.fromkeys(v for t in terms for v in t))
    seen: dict[frozenset[str], tuple[str, ...]] = {}
    for t in terms:
        seen.setdefault(frozenset(t), tuple(sorted(t, key=order.index)))
    ordered = sorted(seen.values(), key=len)  # stable: as written within a degree
    return intercept, ordered


@dataclass(frozen=True, eq=False)
class CalMatrix:
    """The model matrix, R's column names, the formulaic names, and which columns can only
    hold non-negative values (their totals cannot be negative)."""

    X: np.ndarray
    names: list[str]
    formulaic: list[str]
    nonnegative: np.ndarray
    variables: list[str]


def _levels(col: pd.Series) -> list[object] | None:
    """A factor's levels in R's order (a categorical's, else sorted; logicals FALSE, TRUE), or
    None for a numeric variable."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return list(col.cat.categories)
    if pd.api.types.is_bool_dtype(col.dtype):
        return [False, True]
    if pd.api.types.is_numeric_dtype(col.dtype):
        return None
    return sorted(col.dropna().unique(), key=str)


def level_label(level: object) -> str:
    """A level as R prints it (logicals TRUE and FALSE)."""
    if isinstance(level, (bool, np.bool_)):
        return "TRUE" if level else "FALSE"
    return str(level)


def model_matrix(data: pd.DataFrame, formula: str) -> CalMatrix:
    """R's ``model.matrix(formula, data)`` (treatment contrasts; R's rule of which factor of a
    term is coded by all its levels: a factor whose term without it is not an earlier term,
    and, without an intercept, the first factor of the model)."""
    intercept, terms = parse_formula(formula)
    variables = list(dict.fromkeys(v for t in terms for v in t))
    absent = [v for v in variables if v not in data.columns]
    if absent:
        raise ConfigError(f"formula: {', '.join(map(repr, absent))} not in the data (columns: "
                          f"{', '.join(map(str, data.columns[:20]))})", argument="formula")
    levels = {}
    for v in variables:
        col = data[v]
        if col.isna().any():
            raise DataError(f"formula: calibration variable {v!r} is missing for "
                            f"{int(col.isna().sum())} row(s); calibration needs it for all "
                            "(R's model.frame would drop them)", argument="formula")
        levels[v] = _levels(col)
    n = len(data)
    cols: list[np.ndarray] = [np.ones(n)] if intercept else []
    names, fnames = (["(Intercept)"], ["Intercept"]) if intercept else ([], [])
    nonneg = [True] if intercept else []
    full_first = not intercept
    earlier: list[frozenset[str]] = [frozenset()] if intercept else []
    for term in terms:
        parts = []  # per variable: (columns, R names, formulaic names, non-negative)
        for v in term:
            lv = levels[v]
            col = data[v]
            if lv is None:
                x = col.to_numpy(dtype=float)
                parts.append(([x], [v], [v], [bool((x >= 0).all())]))
                continue
            rest = frozenset(term) - {v}
            full = not any(rest <= e for e in earlier) and bool(rest)
            if full_first:
                full, full_first = True, False
            keep = lv if full else lv[1:]
            values = col.to_numpy()
            parts.append(([(values == x).astype(float) for x in keep],
                          [f"{v}{level_label(x)}" for x in keep],
                          [f"{v}[{level_label(x)}]" if full else f"{v}[T.{level_label(x)}]"
                           for x in keep], [True] * len(keep)))
        earlier.append(frozenset(term))
        for combo in itertools.product(*[range(len(p[0])) for p in reversed(parts)]):
            idx = list(reversed(combo))  # the first variable varies fastest, as R's
            cols.append(np.prod([p[0][i] for p, i in zip(parts, idx)], axis=0))
            names.append(":".join(p[1][i] for p, i in zip(parts, idx)))
            fnames.append(":".join(p[2][i] for p, i in zip(parts, idx)))
            nonneg.append(all(p[3][i] for p, i in zip(parts, idx)))
    if not cols:
        raise ConfigError(f"formula: {formula!r} has no columns", argument="formula")
    return CalMatrix(np.column_stack(cols), names, fnames, np.array(nonneg), variables)
