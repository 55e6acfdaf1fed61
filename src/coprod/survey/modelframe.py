"""The model frame: formula -> model matrix of the complete rows, and its term table; the
checks that turn silent failures (empty levels, collinear terms, separation) into flags or clear
errors are in :mod:`coprod.survey.framechecks`.

Why apart from the estimators: every model family (logistic today) needs the same frame and
the same term table (variable and level of each column).
Formulas are parsed with ``formulaic`` (the same engine statsmodels 0.15 can use), so
``Q("odd name")`` quoting and pandas categoricals (first category = reference) work. Term names
follow formulaic: ``Intercept``, ``age``, ``country[T.BB]``, ``Q('odd name')``.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from formulaic.utils.sentinels import Sentinel

from ..errors import ModelError
from .design import no_missing


@dataclass
class ModelFrame:
    """The model matrix of the complete rows and what margins need to rebuild it."""

    X: np.ndarray                 # (n_complete, p) float, column-major
    y: np.ndarray | None          # (n_complete,) or None for a right-hand side only
    complete: np.ndarray          # positions (0..n-1) of the complete rows
    columns: list[str]
    spec: Any                     # formulaic ModelSpec of the right-hand side
    variables: list[str]          # data columns on the right-hand side, in term order
    outcome: str | None


@dataclass
class PreparedFrame:
    """What an estimator fits of the data, the weights aside: the model matrix of its rows
    (empty columns dropped), outcome, rows, terms and their flags, and what margins read
    (:func:`kept_frame`). Shared by the fits that take it: nothing changes it."""

    X: np.ndarray
    y: np.ndarray
    rows: np.ndarray               # the design rows of the model (complete, in the domain)
    names: list[str]
    terms: pd.DataFrame
    flags: list[dict[str, Any]]
    domain_rows: np.ndarray
    spec: Any
    keep: Any                      # the model matrix's columns kept (positions)
    variables: list[str]
    outcome: str | None
    model_data: pd.DataFrame
    n_excluded: int
    levels: list[str] | None = None  # an ordinal outcome's categories observed


_KEPT_BYTES = 256 * 2 ** 20  # the kept model matrices' memory at most, per caller's dict


def kept_frame(kept: dict[Any, Any] | None, data: pd.DataFrame, key: tuple[Any, ...],
               make: Callable[[], PreparedFrame]) -> PreparedFrame:
    """``make()``, kept in ``kept`` (a dict the caller keeps beside ``data``, None: not kept)
    for the next fit of the same ``data`` object and ``key`` (formula, family, domain).

    Why: a specification curve fits each model weighted and unweighted on the same frame;
    its model matrix, terms and checks do not depend on the weights, and building them (a
    pass of pandas over each column) cost about as much as a small model's fit. The frame is
    held with what was made of it, so an entry is used only for that very object (never
    another frame given the freed one's id); the oldest entries go first beyond 64 of them
    or 256 MB of matrices, and a large survey's matrix is not kept."""
    if kept is None:
        return make()
    full = (id(data), *key)
    hit = kept.get(full)
    if hit is not None and hit[0] is data:
        return cast(PreparedFrame, hit[1])
    made = make()
    if made.X.nbytes <= _KEPT_BYTES // 4:  # a large survey's: not kept (memory)
        remember(kept, full, (data, made), entries=64, nbytes=lambda v: int(v[1].X.nbytes),
                 budget=_KEPT_BYTES)
    return made


def model_rows_data(data: pd.DataFrame, variables: list[str], rows: np.ndarray
                    ) -> pd.DataFrame:
    """The model's variables on its rows (``rows``: positions), numbered from 0 and ready for
    formulaic (:func:`formula_ready`): what margins rebuild the model matrix from. Every row
    (an imputed dataset's model): the columns as they are, not a copy taken row by row."""
    frame = data[variables]
    if not (len(rows) == len(data) and (len(rows) == 0 or (
            rows[0] == 0 and rows[-1] == len(rows) - 1 and bool(np.all(np.diff(rows) == 1))))):
        frame = frame.iloc[rows]
    return formula_ready(frame.reset_index(drop=True), variables)


def _formulaic_error(formula: str, exc: Exception) -> ModelError:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ModelError(f"cannot build the model for formula {formula!r}: {msg}")


def formula_ready(frame: pd.DataFrame, names: Iterable[str]) -> pd.DataFrame:
    """Nullable ``string`` columns (missing = pd.NA) -> pandas' default ``str`` dtype.

    formulaic treats the nullable string dtype as numeric (and fails); ``str`` and ``object``
    columns are categorical as they should be.
    """
    dtypes = dict(zip(frame.columns.tolist(), frame.dtypes.tolist()))
    fix = [c for c in names if c in dtypes and isinstance(dtypes[c], pd.StringDtype)
           and dtypes[c].na_value is pd.NA]
    if not fix:
        return frame
    frame = frame.copy(deep=False)
    for c in fix:
        frame[c] = frame[c].astype("str")
    return frame


_Q_LITERAL = re.compile(r"""^Q\((?P<q>['"]).*(?P=q)\)$""")


def row_local(factor: Any) -> bool:
    """A formula factor whose value in a row depends only on that row: a literal, a plain
    column lookup (``age``) or a quoted one (``Q('odd name')``), whatever its encoding. A
    Python expression might look at the whole column (``I(x - x.mean())``, ``center(x)``)."""
    method = getattr(getattr(factor, "eval_method", None), "value", None)
    if method in ("lookup", "literal"):
        return True
    return method == "python" and bool(_Q_LITERAL.match(str(factor.expr)))


def _formula_terms(parsed: Any) -> list[Any]:
    parts = [parsed.lhs, parsed.rhs] if hasattr(parsed, "rhs") else [parsed]
    return [term for part in parts for term in part]


def _rows_only(data: pd.DataFrame, parsed: Any, needed: Collection[str],
               subset: np.ndarray | None
               ) -> tuple[list[str], npt.NDArray[np.intp], npt.NDArray[np.bool_],
                          npt.NDArray[np.intp]] | None:
    """(needed columns, positions of the rows that can enter the model -- in ``subset`` and
    with no missing model variable --, rows complete on them, positions of the rows in
    ``subset`` complete on the right-hand side alone), or None when materialising only those
    rows is not certain to give the same model matrix as materialising all rows and dropping
    the others.

    It is exact when every factor is row-local and every categorical column is a pandas
    Categorical (its levels, used or not, are the categories); the levels of text columns are
    learned from the values present, and a transform may use the whole column."""
    if not all(row_local(f) for t in _formula_terms(parsed) for f in t.factors):
        return None
    cols = [c for c in needed if c in data.columns]
    if len(cols) < len(needed) - sum(1 for c in needed if c == "Q"):
        return None  # an unknown name: the full path gives formulaic's own message
    rhs = set(parsed.rhs.required_variables) if hasattr(parsed, "rhs") else set(cols)
    inside = np.ones(len(data), dtype=bool) if subset is None else np.asarray(subset, dtype=bool)
    complete = np.ones(len(data), dtype=bool)
    rhs_ok = inside.copy()
    gaps = subset is not None  # some row not in the model: positions are not every row
    for c in cols:
        dtype = data[c].dtype
        if not (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_numeric_dtype(dtype)
                or pd.api.types.is_bool_dtype(dtype)):
            return None
        present = _present(data[c])
        if present is None:  # no missing value: nothing to drop
            continue
        gaps = True
        complete &= present
        if c in rhs:
            rhs_ok &= present
    if not gaps:  # every row complete, no subset: the positions of all rows
        every = np.arange(len(data), dtype=np.intp)
        return (cols, every, complete, every) if len(data) else None
    positions = np.flatnonzero(complete & inside)
    if len(positions) == 0:
        return None
    return cols, positions, complete, np.flatnonzero(rhs_ok)


def _present(col: pd.Series) -> npt.NDArray[np.bool_] | None:
    """``col.notna()`` as an array, or None when no value is missing, found without the
    mask where the column's type allows (:func:`coprod.survey.design.no_missing`)."""
    if no_missing(col):
        return None
    return np.asarray(col.notna().to_numpy(), dtype=bool)


def _float_matrix(frame: pd.DataFrame) -> np.ndarray:
    """A model-matrix DataFrame as a column-major float array, one column at a time (pandas'
    own conversion of mixed int/float columns goes row by row and is ~30x slower)."""
    X = np.empty(frame.shape, dtype=float, order="F")
    for j in range(frame.shape[1]):
        X[:, j] = frame.iloc[:, j].to_numpy(dtype=float)
    return X


@functools.lru_cache(maxsize=64)
def _parse(formula: str) -> Any:
    """formulaic's parse of a formula (immutable), once per formula: a specification curve
    fits the same few formulas hundreds of times."""
    import formulaic

    return formulaic.Formula(formula)


def remember(cache: dict[Any, Any], key: Any, value: Any, *, entries: int,
             nbytes: Callable[[Any], int] | None = None, budget: int = 0) -> None:
    """Keep ``value`` under ``key`` in one of the survey engine's process-wide caches (this
    module's, and the separation check's in :mod:`coprod.survey.framechecks`), first dropping
    the oldest entries (dicts keep insertion order) until at most ``entries - 1`` remain and,
    with ``nbytes``, the entries' bytes plus the new one's fit in ``budget``."""
    def full() -> bool:
        if len(cache) >= entries:
            return True
        return nbytes is not None and nbytes(value) + sum(map(nbytes, cache.values())) > budget

    while cache and full():
        cache.pop(next(iter(cache)))
    cache[key] = value


_RHS_SEEN: dict[bytes, tuple[np.ndarray, Any]] = {}
_RHS_BYTES = 256 * 2 ** 20  # the remembered matrices' memory at most


def _remembered_rhs(parsed: Any, data: pd.DataFrame, rows: np.ndarray,
                    positions: np.ndarray) -> tuple[np.ndarray, Any, pd.DataFrame] | None:
    """(X, spec, outcome) of ``y ~ rhs`` on the rows ``positions`` (complete, in the subset),
    made for ``rows`` (the subset's rows complete on the right-hand side, of which
    ``positions`` are some), with the right-hand side's matrix remembered for the last few
    (rhs, data), for a formula :func:`_direct` does not fill (an interaction, a transform, a
    bool or nullable column, categories that are not text): a specification
    curve refits the same covariates on the same respondents for each outcome, cut of the
    outcome, weighting and model family, and formulaic's materialisation is most of a small
    model's cost. The matrix is made for every row complete on the right-hand side (each
    factor is row-local, see :func:`_rows_only`, so a row's values do not depend on the
    others) and the outcome's rows taken from it. Only for a plain numeric outcome column
    (its values are then the outcome as formulaic gives it); None otherwise.
    """
    import hashlib

    import formulaic

    if not hasattr(parsed, "rhs") or len(parsed.lhs) != 1:
        return None
    factors = list(list(parsed.lhs)[0].factors)
    if len(factors) != 1:
        return None
    factor = factors[0]
    if getattr(getattr(factor, "eval_method", None), "value", None) != "lookup":
        return None
    name = str(factor.expr)
    if name not in data.columns:
        return None
    dtype = data[name].dtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return None
    cols = sorted(parsed.rhs.required_variables)
    if any(c not in data.columns for c in cols):
        return None
    width = 1 + sum(len(data[c].cat.categories) if isinstance(data[c].dtype, pd.CategoricalDtype)
                    else 1 for c in cols)  # model columns at most (for main effects)
    if len(rows) * width * 8 > _RHS_BYTES // 4:
        return None  # a large survey: its matrix would not be kept (memory), so not hashed
    h = hashlib.blake2b(str(parsed.rhs).encode(), digest_size=16)
    h.update(repr(len(rows)).encode())
    for c in cols:
        col = data[c]
        h.update(repr((c, str(col.dtype))).encode())
        if isinstance(col.dtype, pd.CategoricalDtype):
            h.update(repr((list(col.cat.categories), col.cat.ordered)).encode())
            h.update(np.ascontiguousarray(col.cat.codes.to_numpy()[rows]).tobytes())
        else:
            h.update(np.ascontiguousarray(col.to_numpy()[rows]).tobytes())
    key = h.digest()
    if key not in _RHS_SEEN:
        frame = data[cols].iloc[rows].reset_index(drop=True)
        try:
            rhs = formulaic.model_matrix(parsed.rhs, frame, na_action="drop")
        except Exception:  # the whole formula again gives formulaic's own message
            return None
        if len(rhs) != len(frame):
            return None
        X, spec = _float_matrix(rhs), rhs.model_spec
        del rhs, frame
        if X.nbytes > _RHS_BYTES // 4:  # a large survey: not kept (memory), made each time
            return _rhs_rows(X, spec, rows, positions, data, name, copy=False)
        remember(_RHS_SEEN, key, (X, spec), entries=16, nbytes=lambda v: v[0].nbytes,
                  budget=_RHS_BYTES)
    X, spec = _RHS_SEEN[key]
    return _rhs_rows(X, spec, rows, positions, data, name)


def _rhs_rows(X: np.ndarray, spec: Any, rows: np.ndarray, positions: np.ndarray,
              data: pd.DataFrame, name: str, copy: bool = True
              ) -> tuple[np.ndarray, Any, pd.DataFrame] | None:
    """The outcome's rows (``positions``) of a right-hand side made for ``rows`` (``X``
    itself when they are all of them and ``copy`` is false)."""
    lhs = pd.DataFrame({name: data[name].to_numpy(dtype=float)[positions]})
    if not copy and np.array_equal(rows, positions):
        return X, spec, lhs
    at = np.searchsorted(rows, positions)
    if len(at) and (at.max() >= len(rows) or not np.array_equal(rows[at], positions)):
        return None  # not a subset of the right-hand side's rows (cannot happen; be safe)
    return np.asfortranarray(X[at]), spec, lhs


def _plain_outcome(parsed: Any, data: pd.DataFrame) -> str | None:
    """The outcome's column when it is one plain numeric column (its values as formulaic
    gives them), else None."""
    if not hasattr(parsed, "rhs") or len(parsed.lhs) != 1:
        return None
    factors = list(list(parsed.lhs)[0].factors)
    if len(factors) != 1 or getattr(getattr(factors[0], "eval_method", None), "value",
                                    None) != "lookup":
        return None
    name = str(factors[0].expr)
    if name not in data.columns:
        return None
    dtype = data[name].dtype
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return None
    return name


_Plan = tuple[Any, list[tuple[int, Any]]]  # formulaic's spec, how to fill each column
_PLANS: dict[tuple[Any, ...], _Plan | None] = {}


def _column_kind(dtypes: dict[str, Any], name: str) -> tuple[Any, ...]:
    """What a direct plan of a column depends on: its name and dtype (``dtypes``: the frame's
    by column), a Categorical's levels in order (a CategoricalDtype compares unordered levels
    as a set) and their dtype."""
    dtype = dtypes[name]
    if isinstance(dtype, pd.CategoricalDtype):
        return (name, "category", tuple(dtype.categories.tolist()),
                str(dtype.categories.dtype), bool(dtype.ordered))
    return (name, type(dtype).__name__, str(dtype))


def _direct(parsed: Any, formula: str, data: pd.DataFrame, cols: list[str],
            positions: np.ndarray) -> tuple[np.ndarray, Any, pd.DataFrame] | None:
    """(X, spec, outcome) of the rows ``positions`` (complete, in the subset) without
    formulaic's materialisation, when every term is the intercept or a plain column: a
    number (its value) or a pandas Categorical of text levels in treatment or full-rank coding
    (an indicator per level column) -- what formulaic gives, value for value. None for
    anything else (the caller then materialises as always).

    The plan (formulaic's spec, and how to fill each column) depends on the right-hand side,
    its columns' dtypes (a Categorical's levels are its categories, present or not) and the
    outcome's dtype, not on the values nor on which outcome (the spec is the right-hand
    side's, the outcome a plain number), so it is made once per (right-hand side, dtypes) and
    remembered -- a plan's absence too: the models of every outcome on the same covariates
    share it.

    Why: formulaic's encoding and the frame's conversion to floats were most of a model
    frame's cost, paid again by every model of a job whose data change between fits (each
    imputed dataset of multiple imputation, a large survey whose matrix
    :func:`_remembered_rhs` does not keep)."""
    name = _plain_outcome(parsed, data)
    if name is None or not len(positions) or not isinstance(data[name].dtype, np.dtype):
        return None
    dtypes = dict(zip(data.columns.tolist(), data.dtypes.tolist()))
    on_right = set(parsed.rhs.required_variables)
    key = (str(parsed.rhs), str(dtypes[name]),
           tuple(_column_kind(dtypes, c) for c in sorted(cols) if c != name or c in on_right))
    if key in _PLANS:
        plan = _PLANS[key]
    else:
        plan = _direct_plan(formula, data, cols, positions[0])
        remember(_PLANS, key, plan, entries=64)
    if plan is None:
        return None
    spec, fills = plan
    every = len(positions) == len(data)  # (positions are increasing: then every row)

    def rows_of(values: np.ndarray) -> np.ndarray:
        return values if every else values[positions]

    X = np.empty((len(positions), len(fills)), dtype=float, order="F")
    codes: dict[str, np.ndarray] = {}
    for j, how in fills:
        if isinstance(how, float):
            X[:, j] = how
        elif how[0] == "value":
            X[:, j] = rows_of(data[how[1]].to_numpy(dtype=float))
        else:
            var = how[1]
            if var not in codes:
                codes[var] = rows_of(data[var].array.codes)
            np.equal(codes[var], how[2], out=X[:, j], casting="unsafe")
    lhs = pd.DataFrame({name: np.array(rows_of(data[name].to_numpy(dtype=float)))}, copy=False)
    return X, spec, lhs


def _direct_plan(formula: str, data: pd.DataFrame, cols: list[str], row: int
                 ) -> _Plan | None:
    """formulaic's spec of ``formula`` (from the formula on the one complete row ``row``) and,
    column by column, how :func:`_direct` fills the model matrix: 1.0 (the intercept),
    ("value", column) or ("level", column, category code); None when a term is anything
    else."""
    import formulaic

    try:
        small = formulaic.model_matrix(formula, data[cols].iloc[[row]].reset_index(drop=True),
                                       na_action="drop")
    except Exception:  # the usual path gives formulaic's own message
        return None
    spec = small.rhs.model_spec
    states = spec.encoder_state
    names = list(spec.column_names)
    fills: list[tuple[int, Any]] = []  # (column, how to fill it)
    for term, sl in spec.term_slices.items():
        factors = [f for f in term.factors if str(f) != "1"]
        if not factors:
            if names[sl.start:sl.stop] != ["Intercept"]:
                return None
            fills.append((sl.start, 1.0))
            continue
        if len(factors) != 1 or getattr(getattr(factors[0], "eval_method", None), "value",
                                        None) != "lookup":
            return None
        var = str(factors[0])
        if var not in data.columns or var not in states:
            return None
        col, (kind, state) = data[var], states[var]
        kind = getattr(kind, "value", kind)
        if kind == "numerical":
            if (names[sl.start:sl.stop] != [var] or not isinstance(col.dtype, np.dtype)
                    or col.dtype.kind not in "iuf"):
                return None  # a plain numpy number (a nullable one's NA would not convert)
            fills.append((sl.start, ("value", var)))
            continue
        levels = list(state.get("categories", []))
        if (kind != "categorical" or not isinstance(col.dtype, pd.CategoricalDtype)
                or list(col.cat.categories) != levels
                or not all(isinstance(lv, str) for lv in levels)):
            return None
        given = names[sl.start:sl.stop]
        if given == [f"{var}[T.{lv}]" for lv in levels[1:]]:
            coded = list(enumerate(levels))[1:]
        elif given == [f"{var}[{lv}]" for lv in levels]:
            coded = list(enumerate(levels))
        else:
            return None
        fills.extend((sl.start + j, ("level", var, code)) for j, (code, _) in enumerate(coded))
    if len(fills) != len(names):
        return None
    return spec, fills


def build_model_frame(data: pd.DataFrame, formula: str, *,
                      subset: np.ndarray | None = None, binary: bool = True) -> ModelFrame:
    """Parse ``formula`` with formulaic on all rows; rows missing a model variable are dropped.

    Categorical levels are learned from all rows (not the domain), so every domain model has the
    same columns and the same reference level; a level absent from a domain is an all-zero
    column that the caller flags and drops.

    ``subset`` (a boolean mask over the rows) keeps only those rows in the result (e.g. a
    domain). When that is exact (plain columns, pandas Categoricals), only the rows that can
    enter the model are materialised, which is much faster for a small domain of a large survey.
    ``binary``: the outcome must be 0/1 (false for counts and ordinal codes, which their
    estimators check).
    """
    import formulaic

    try:
        parsed = _parse(formula)
        needed = parsed.required_variables
    except Exception as exc:
        raise _formulaic_error(formula, exc) from exc
    fast = _rows_only(data, parsed, needed, subset)
    positions, remembered = None, None
    if fast is not None:
        cols, positions, all_complete, rhs_rows = fast
        remembered = _direct(parsed, formula, data, cols, positions)
        if remembered is None:  # a formula the direct fill does not cover
            remembered = _remembered_rhs(parsed, data, rhs_rows, positions)
    if remembered is not None:
        X, spec, lhs = remembered
        assert positions is not None  # (made for the rows ``positions``, every one of them)
        complete = positions
    else:
        frame = data[cols].iloc[positions].reset_index(drop=True) if fast is not None \
            else formula_ready(data.reset_index(drop=True), needed)
        try:
            mm = formulaic.model_matrix(formula, frame, na_action="drop")
        except Exception as exc:  # formulaic raises many types; the message names the problem
            raise _formulaic_error(formula, exc) from exc
        if hasattr(mm, "rhs"):
            lhs, rhs = mm.lhs, mm.rhs
        else:
            lhs, rhs = None, mm
        spec = rhs.model_spec
        complete = np.asarray(rhs.index, dtype=np.int64)
        X = _float_matrix(rhs)
    sel = None
    if positions is not None:
        if remembered is None:
            complete = positions[complete]
    elif subset is not None:
        sel = np.asarray(subset, dtype=bool)[complete]
        complete, X = complete[sel], np.asfortranarray(X[sel])
    y = outcome = None
    if lhs is not None:
        if lhs.shape[1] != 1:
            kind = "0/1 column" if binary else "numeric column"  # counts, ordinal codes
            raise ModelError(f"the outcome of {formula!r} must be one {kind}, "
                             f"got columns {list(lhs.columns)}")
        outcome = str(lhs.columns[0])
        y = np.asarray(lhs.iloc[:, 0], dtype=float)
        if sel is not None:
            y = y[sel]
        # (0/1 when its nonzero values are its ones: no mask unless some value is not)
        zero_one = not binary or np.count_nonzero(y) == np.count_nonzero(y == 1.0)
        bad = np.zeros(len(y), bool) if zero_one else (y != 0.0) & (y != 1.0)
        if (binary and positions is not None and not bad.any()
                and len(positions) < all_complete.sum()):
            # as when all rows are materialised: a bad outcome code outside the subset counts
            name = outcome if remembered is not None else \
                next(iter(lhs.model_spec.variables_by_source.get("data", {outcome})))
            y_all = data[name].to_numpy()[all_complete]
            if pd.api.types.is_numeric_dtype(data[name].dtype):
                y_all = y_all.astype(float)
                bad_all = ~np.isin(y_all, (0.0, 1.0))
                if bad_all.any():
                    y, bad = y_all, bad_all
        if bad.any():
            raise ModelError(f"outcome {outcome!r} must be coded 0/1; found value {y[bad][0]!r}")
    data_vars = set(spec.variables_by_source.get("data", set()))
    variables: list[str] = []
    for term in spec.terms:
        for v in sorted(spec.term_variables[term] & data_vars):
            if v not in variables:
                variables.append(v)
    return ModelFrame(X=X, y=y, complete=complete, columns=list(spec.column_names), spec=spec,
                      variables=variables, outcome=outcome)


def categorical_factors(spec: Any) -> dict[str, dict[str, Any]]:
    """Factor expression -> {"levels": [...], "reference": level} for categorical factors."""
    out = {}
    for expr, (kind, state) in spec.encoder_state.items():
        if getattr(kind, "value", kind) != "categorical":
            continue
        levels = list(state.get("categories", []))
        ref = levels[0] if levels else None
        contrasts = state.get("contrasts")
        base = getattr(getattr(contrasts, "contrasts", None), "base", None)
        if base is not None and not isinstance(base, Sentinel):
            ref = base
        out[expr] = {"levels": levels, "reference": ref}
    return out


_TERMS_SEEN: dict[int, tuple[Any, pd.DataFrame]] = {}


def term_table(spec: Any) -> pd.DataFrame:
    """One row per model column: the formula term, data variable(s) and categorical level.
    Remembered for the last few specs (a remembered model matrix comes with the same spec)."""
    seen = _TERMS_SEEN.get(id(spec))
    if seen is not None and seen[0] is spec:
        return seen[1].copy()
    table = _term_table(spec)
    remember(_TERMS_SEEN, id(spec), (spec, table), entries=32)
    return table.copy()


def _term_table(spec: Any) -> pd.DataFrame:
    data_vars = set(spec.variables_by_source.get("data", set()))
    cats = categorical_factors(spec)
    rows = []
    for term, sl in spec.term_slices.items():
        factors = [str(f) for f in term.factors if str(f) != "1"]
        variables = sorted(spec.term_variables[term] & data_vars)
        names = spec.column_names[sl]
        for col in names:
            level = ""
            if len(factors) == 1 and factors[0] in cats and col.startswith(factors[0] + "["):
                level = col[len(factors[0]) + 1:-1]
                level = level[2:] if level.startswith("T.") else level
            rows.append({"term": col, "model_term": str(term), "variable": ":".join(variables),
                         "level": level, "factor": factors[0] if len(factors) == 1 else "",
                         "categorical": any(f in cats for f in factors)})
    return pd.DataFrame(rows, columns=["term", "model_term", "variable", "level", "factor",
                                       "categorical"])

