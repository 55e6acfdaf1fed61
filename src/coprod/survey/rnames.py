"""R's names of a model's coefficients and terms, beside the formula engine's.

Why: the engine parses formulas with formulaic, which names a column ``stype[T.H]`` and the
intercept ``Intercept``; an R user reads ``stypeH`` and ``(Intercept)`` in every svyglm summary
and passes ``~stype`` to regTermTest. :func:`r_names` gives, for each column of a fitted model,
the name R's ``model.matrix`` gives the same column, and the label of its term as R's
``terms()`` writes it, so that results can be shown and terms tested in R's words.

The rules (checked against R's ``model.matrix`` in tests/golden):

- the intercept is ``(Intercept)``;
- a factor's column is the variable and the level pasted together, ``stypeH`` (formulaic's
  treatment coding ``stype[T.H]`` and full coding ``stype[H]`` alike); a logical (bool) column
  is ``bTRUE``;
- an interaction pastes its factors with ``:``, ordered as R orders them: by the first
  appearance of each variable in the formula (``y ~ age + female:age`` gives ``age:female``);
- a Python expression is written as R would deparse it: ``I(x ** 2)`` -> ``I(x^2)``,
  ``I(x / 2)`` -> ``I(x/2)``, ``np.log(x)`` -> ``log(x)``; ``Q('odd name')`` and other names R
  cannot write bare are backquoted, ``\\`odd name\\```; ``poly(x, 2)[1]`` -> ``poly(x, 2)1``.

The names describe formulaic's columns: where formulaic codes a term differently from R (an
interaction of factors without their main effects), the names are R-style names of formulaic's
columns, not R's columns. An ordinal model's cut-points (``low|mid``) are named as in R already.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

INTERCEPT = "(Intercept)"
_SYNTACTIC = re.compile(r"^((([A-Za-z]|[.][A-Za-z._])[A-Za-z0-9._]*)|[.])$")
_Q = re.compile(r"""^Q\((?P<q>['"])(?P<name>.*)(?P=q)\)$""")
_NUMPY = re.compile(r"\b(?:np|numpy)\.(?=[A-Za-z_]+\()")


def r_expression(text: str, lookup: bool = False) -> str:
    """A formula factor as R writes it: a plain name (backquoted unless R-syntactic), or a
    Python expression in R's operators (``**`` -> ``^``, ``x / 2`` -> ``x/2``, no ``np.``)."""
    m = _Q.match(text)
    if lookup or m:
        name = m.group("name") if m else text
        return name if _SYNTACTIC.match(name) else f"`{name}`"
    text = re.sub(r"\s*\*\*\s*", "^", text)
    text = re.sub(r"\s+/\s+", "/", text)
    return _NUMPY.sub("", text)


def _order_key(formula: str) -> Any:
    """The position of a factor's first appearance in the formula's right-hand side (R orders
    the variables of an interaction so); unknown factors after all others, in their order."""
    rhs = re.sub(r"\s+", "", formula.split("~", 1)[-1])

    def key(factor: str) -> int:
        pattern = r"(?<![\w.])" + re.escape(re.sub(r"\s+", "", factor)) + r"(?![\w.])"
        m = re.search(pattern, rhs)
        return m.start() if m else len(rhs) + 1

    return key


def _split(column: str, factors: Sequence[str]) -> list[tuple[str, str]] | None:
    """A formulaic column name cut into (factor, level) per factor of its term (level "" for
    a numeric factor); None when the name does not read as the term's factors."""
    out: list[tuple[str, str]] = []
    pos = 0
    for k, factor in enumerate(factors):
        if k:
            if not column.startswith(":", pos):
                return None
            pos += 1
        if not column.startswith(factor, pos):
            return None
        pos += len(factor)
        nxt = factors[k + 1] if k + 1 < len(factors) else None
        if column.startswith("[", pos):
            # the level ends at the "]" after which the next factor (or the end) follows
            ends = [j for j in range(pos, len(column)) if column[j] == "]"
                    and (column[j + 1:] == "" if nxt is None
                         else column.startswith(":" + nxt, j + 1))]
            if not ends:
                return None
            level = column[pos + 1:ends[0]]
            out.append((factor, level[2:] if level.startswith("T.") else level))
            pos = ends[0] + 1
        else:
            out.append((factor, ""))
    return out if pos == len(column) else None


def _subsequences(k: int) -> list[tuple[int, ...]]:
    """The proper, non-empty subsequences of range(k), longest first."""
    from itertools import combinations

    return [c for size in range(k - 1, 0, -1) for c in combinations(range(k), size)]


def r_names(spec: Any, columns: Sequence[str], formula: str,
            data: pd.DataFrame | None = None) -> tuple[list[str], list[str]]:
    """(R's name of each column, R's label of its term) for the formulaic ``columns`` of a
    model made by ``spec`` (a formulaic ModelSpec) from ``formula``; ``data`` (the model's
    variables) tells a logical column (R: ``bTRUE``) from a 0/1 number. Columns the spec does
    not know (an ordinal model's cut-points; every column of a matrix fit without a spec, but
    ``Intercept``) keep their name and are their own term."""
    where: dict[str, tuple[list[str], list[bool]]] = {}
    if spec is not None:
        for term, sl in spec.term_slices.items():
            factors = [f for f in term.factors if str(f) != "1"]
            names = [str(f) for f in factors]
            lookup = [getattr(getattr(f, "eval_method", None), "value", "") == "lookup"
                      for f in factors]
            for col in spec.column_names[sl]:
                where[col] = (names, lookup)
    key = _order_key(formula)
    bools = set() if data is None else {
        c for c in data.columns if pd.api.types.is_bool_dtype(data[c].dtype)}
    out_names: list[str] = []
    out_terms: list[str] = []
    for col in columns:
        if col not in where:  # a cut-point; or a fit of a bare matrix (no spec)
            name = INTERCEPT if spec is None and col == "Intercept" else col
            out_names.append(name)
            out_terms.append(name)
            continue
        factors, lookup = where[col]
        if not factors:  # the intercept
            out_names.append(INTERCEPT)
            out_terms.append(INTERCEPT)
            continue
        out_terms.append(":".join(r_expression(f, lk) for f, lk in
                                  sorted(zip(factors, lookup), key=lambda t: key(t[0]))))
        pieces = _split(col, factors)
        if pieces is None:  # formulaic's reduced coding of a term gives columns of fewer factors
            for sub in _subsequences(len(factors)):
                pieces = _split(col, [factors[i] for i in sub])
                if pieces is not None:
                    lookup = [lookup[i] for i in sub]
                    break
        if pieces is None:  # not readable as its factors: the engine's name, R's operators
            out_names.append(r_expression(col))
            continue
        parts = []
        for (factor, level), is_lookup in zip(pieces, lookup):
            expr = r_expression(factor, is_lookup)
            if not level and is_lookup and factor in bools:
                level = "TRUE"
            parts.append((key(factor), expr + level))
        parts.sort(key=lambda t: t[0])  # stable: ties keep formulaic's order
        out_names.append(":".join(p[1] for p in parts))
    return out_names, out_terms
