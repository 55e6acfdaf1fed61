"""The model-matrix columns of counterfactuals (every respondent with a variable set to a
value, or shifted), for average marginal effects, predictions and effect sizes
(:mod:`coprod.survey.margins`, :mod:`coprod.pipeline.effectsize`).

Why a module of its own: building these columns is where the margins' time goes. Main-effect
terms are encoded directly (:class:`_MainEffect`); other terms by the formula engine on one row
per distinct combination of the variables they involve (:class:`Counterfactual`), its
matrices of small frames kept for the next model of the same sample (:func:`_cached_matrix`).
"""
from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from .glm import SvyLogitResult
from .modelframe import categorical_factors, row_local
from .ordinal import SvyOlrResult

_Fit = SvyLogitResult | SvyOlrResult  # a fit of the logistic family or an ordinal one

Change = dict[str, Any]  # {variable: value}, or {variable: h} for a shift by h
#: a counterfactual's changed columns: their positions in ``result.X``, their values on distinct
#: rows, and each respondent's row of those (None: one row per respondent)
Columns = tuple[np.ndarray, np.ndarray, np.ndarray | None]


def _set(frame: pd.DataFrame, values: Change) -> pd.DataFrame:
    """A copy of ``frame`` with each variable in ``values`` set to that value for every row."""
    out = frame.copy(deep=False)
    for var, value in values.items():
        col = frame[var]
        if isinstance(col.dtype, pd.CategoricalDtype):
            out[var] = pd.Categorical(np.full(len(frame), value, dtype=object),
                                      categories=col.cat.categories)
        else:
            out[var] = np.full(len(frame), value)
    return out


def _shift(frame: pd.DataFrame, var: str, h: float) -> pd.DataFrame:
    out = frame.copy(deep=False)
    out[var] = frame[var].to_numpy(dtype=float) + h
    return out


class _MainEffect:
    """How the formula engine encodes a main-effect term of one plain data column, when the
    spec makes it certain: a numeric column is its value (one model column); a categorical
    one (a pandas Categorical with the spec's levels, all text) is an indicator of each level
    the term has a column for (``columns``: treatment contrasts, ``x[T.level]``, or full rank,
    ``x[level]``). Only the term's columns kept in ``result.X`` (``kept``).

    Why: a counterfactual of main effects is one row per change; the engine took tens of
    milliseconds a call to build it (with the frames and hashing around it, ~60 % of a
    sample's model job on the bundled data), for values this gives exactly."""

    def __init__(self, variable: str, kept: np.ndarray, columns: list[str] | None = None,
                 levels: list[str] | None = None):
        self.variable, self.kept = variable, kept
        self.columns, self.levels = columns, set(levels or ())

    def takes(self, changes: list[Change], shift: str | None) -> bool:
        """Whether every change of the request is one this encoding gives: a level of a
        categorical variable, a number for a numeric one, or a shift of a numeric one."""
        if shift is not None:
            return self.columns is None and shift == self.variable
        for ch in changes:
            value = ch[self.variable]
            if self.columns is None:
                if isinstance(value, bool) or not isinstance(
                        value, (int, float, np.integer, np.floating)):
                    return False
            elif not isinstance(value, str) or value not in self.levels:
                return False
        return True

    def row(self, value: Any) -> np.ndarray:
        """The term's kept columns for one value (one :meth:`takes`)."""
        if self.columns is None:
            full = np.array([float(value)])
        else:
            full = np.array([1.0 if value == lv else 0.0 for lv in self.columns])
        return cast(np.ndarray, full[self.kept])


def _main_effect(term: Any, variables: frozenset[str], names: list[str],
                 kept: np.ndarray, cats: dict[str, dict[str, Any]], dtypes: dict[str, Any]
                 ) -> _MainEffect | None:
    """The term's :class:`_MainEffect`, or None when it is anything else (an interaction, a
    transform, other contrasts, a column the engine might read otherwise): the engine then
    computes its columns."""
    factors = [f for f in term.factors if str(f) != "1"]
    if len(factors) != 1 or len(variables) != 1:
        return None
    (var,) = variables
    factor = factors[0]
    if str(factor) != var or getattr(getattr(factor, "eval_method", None), "value",
                                      None) != "lookup" or var not in dtypes:
        return None
    dtype = dtypes[var]
    if str(factor) in cats:
        info = cats[str(factor)]
        levels, ref = list(info["levels"]), info["reference"]
        if not (isinstance(dtype, pd.CategoricalDtype) and dtype.categories.tolist() == levels
                and all(isinstance(lv, str) for lv in levels)):
            return None
        for columns in ([lv for lv in levels if lv != ref], levels):
            if names == [f"{var}[T.{lv}]" if len(columns) < len(levels) else f"{var}[{lv}]"
                         for lv in columns]:
                return _MainEffect(var, kept, columns, levels)
        return None
    if names == [var] and pd.api.types.is_numeric_dtype(dtype) \
            and not pd.api.types.is_bool_dtype(dtype):
        return _MainEffect(var, kept)
    return None


class Counterfactual:
    """Model-matrix columns of the fit's rows with some variables changed, built cheaply.

    Why: an average marginal effect or a prediction grid needs the model matrix with a
    variable set to a value (or shifted) for every respondent. Rebuilding it with the formula
    engine costs a pass over all rows and columns per level and per grid point (seconds on a
    million rows). Only the columns of the terms that involve the changed variables change, so
    only those are computed — by the formula engine, from the fit's own model spec — on one row
    per distinct combination of the other variables of those terms (a single row when the
    model has main effects only), and mapped back to the respondents by an index. Terms that
    the engine evaluates as a Python expression (``I(age**2)``, ``np.log(x)``) might look at the
    whole column, so for them the columns are computed on all rows, as a full rebuild would.
    """

    def __init__(self, result: _Fit):
        spec = result.spec
        self.result = result
        assert result.model_data is not None  # the callers call _require_spec first
        self.md = result.model_data
        data_vars = set(spec.variables_by_source.get("data", set()))
        n_full = len(spec.column_names)
        keep = np.arange(n_full) if result.keep is None else np.asarray(result.keep)
        kept_pos = np.full(n_full, -1, dtype=np.int64)
        kept_pos[keep] = np.arange(len(keep))
        cats = categorical_factors(spec)
        dtypes = dict(zip(self.md.columns.tolist(), self.md.dtypes.tolist()))
        # (data variables, row-local?, positions of its columns in result.X, its main-effect
        # encoding or None)
        self.terms = []
        for term, sl in spec.term_slices.items():
            variables = frozenset(spec.term_variables[term] & data_vars)
            pos = kept_pos[sl.start:sl.stop]
            self.terms.append((variables, all(row_local(f) for f in term.factors
                                              if str(f) != "1"), pos[pos >= 0],
                               _main_effect(term, variables, list(spec.column_names[sl]),
                                            pos >= 0, cats, dtypes)))
        self._groups: dict[tuple[str, ...], tuple[np.ndarray, np.ndarray] | None] = {}

    def _distinct(self, variables: tuple[str, ...]
                  ) -> tuple[np.ndarray, np.ndarray] | None:
        """(a row of each, group of each row) for the distinct combinations of ``variables``,
        or None when there are too many for the shortcut to pay. No sorting: O(rows)."""
        if variables not in self._groups:
            n = len(self.md)
            code = np.zeros(n, dtype=np.int64)
            size, out = 1, None
            for v in variables:
                codes, uniques = pd.factorize(self.md[v], use_na_sentinel=False)
                size *= max(len(uniques), 1)
                if size > max(n // 4, 1):
                    break
                code = code * max(len(uniques), 1) + codes
            else:
                seen = np.bincount(code, minlength=size) > 0
                group = np.cumsum(seen) - 1
                some_row = np.empty(size, dtype=np.int64)
                some_row[code] = np.arange(n)  # any row of a group will do: they are equal
                out = (some_row[seen], group[code])
            self._groups[variables] = out
        return self._groups[variables]

    def columns(self, changes: list[Change], shift: str | None = None) -> list[Columns]:
        """For each change (``{var: value}``, or with ``shift`` a number ``h`` added to that
        variable, given as ``{shift: h}``), ``(cols, C, inv)``: the positions of the changed
        columns in ``result.X``, their values on ``C.shape[0]`` distinct rows, and ``inv``
        mapping each respondent to its row of ``C`` (None: one row per respondent). All
        changes must touch the same variables."""
        return self.columns_many([(changes, shift)])[0]

    def columns_many(self, requests: list[tuple[list[Change], str | None]]
                     ) -> list[list[Columns]]:
        """:meth:`columns` for several ``(changes, shift)`` requests, with one call of the
        formula engine for all those that need only distinct rows."""
        out: list[Any] = [None] * len(requests)
        small = []  # (request index, cols, inv, frames)
        for i, (changes, shift) in enumerate(requests):
            changed = set(changes[0])
            parts: list[np.ndarray] = []
            others: set[str] = set()
            local = True
            encodings: list[_MainEffect | None] = []
            for variables, is_local, pos, encoding in self.terms:
                if variables & changed:
                    parts.append(pos)
                    others |= variables
                    local &= is_local
                    encodings.append(encoding)
            cols = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
            fixed = set() if shift else changed
            groups = self._distinct(tuple(sorted(others - fixed))) if local else None
            if not len(cols):
                out[i] = [(cols, np.zeros((1, 0)), np.zeros(len(self.md), dtype=np.int64))
                          for _ in changes]
            elif all(e is not None and e.takes(changes, shift) for e in encodings):
                out[i] = self._direct([e for e in encodings if e is not None], cols, changes,
                                      shift, groups)
            elif groups is None:  # all rows, one change at a time (memory)
                out[i] = [(cols, self._matrix([self._apply(self.md, ch, shift)])[0][:, cols],
                           None) for ch in changes]
            else:
                first, inv = groups
                base = self.md.iloc[first]
                small.append((i, cols, inv, [self._apply(base, ch, shift) for ch in changes]))
        mats = self._matrix([f for _, _, _, frames in small for f in frames])
        k = 0
        for i, cols, inv, frames in small:
            out[i] = [(cols, np.ascontiguousarray(m[:, cols]), inv)
                      for m in mats[k:k + len(frames)]]
            k += len(frames)
        return out

    def _direct(self, encodings: list[_MainEffect], cols: np.ndarray, changes: list[Change],
                shift: str | None, groups: tuple[np.ndarray, np.ndarray] | None
                ) -> list[Columns]:
        """The columns of main-effect terms without the formula engine: what it gives for the
        same distinct rows (``groups``, as the engine's path takes them), value for value."""
        if shift is None:  # every term's columns are its variable's new value, encoded
            assert groups is not None  # main effects are row-local
            inv = groups[1]
            return [(cols, np.concatenate([e.row(ch[e.variable]) for e in encodings])[None, :],
                     inv) for ch in changes]
        x = self.md[shift].to_numpy(dtype=float)  # a numeric main effect, shifted
        if groups is None:  # as the engine's path: all rows
            return [(cols, (x + ch[shift])[:, None], None) for ch in changes]
        first, inv = groups
        return [(cols, np.ascontiguousarray((x[first] + ch[shift])[:, None]), inv)
                for ch in changes]

    @staticmethod
    def _apply(frame: pd.DataFrame, change: Change, shift: str | None) -> pd.DataFrame:
        if shift:
            return _shift(frame, shift, change[shift])
        return _set(frame, change)

    def _matrix(self, frames: list[pd.DataFrame]) -> list[np.ndarray]:
        """The fit's model matrix of several frames, with one call of the formula engine."""
        if not frames:
            return []
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        X = _cached_matrix(self.result, frame)
        bounds = np.cumsum([0] + [len(f) for f in frames])
        return [X[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


# The models of one sample (one per outcome) share their right-hand side, so their small
# counterfactual frames (a row per level, per grid point) and hence model matrices are mostly
# the same; the formula engine costs tens of milliseconds a call whatever the frame's size.
# Kept: the matrices of small frames, keyed by everything they depend on (the spec's formula,
# its encoder and transform state, the kept columns, and the frame's values and dtypes).
# Object columns are not kept (their hash sees 1 and "1" alike); at most 64 MB in all.
_CACHE: dict[tuple[Any, ...], np.ndarray] = {}
_CACHE_MAX_ROWS = 10_000
_CACHE_MAX_BYTES = 64 * 2 ** 20


def _cached_matrix(result: _Fit, frame: pd.DataFrame) -> np.ndarray:
    if len(frame) > _CACHE_MAX_ROWS or (frame.dtypes == "object").any():
        return cast(np.ndarray, result.model_matrix(frame))
    spec = result.spec
    key = (str(spec.formula), repr(spec.encoder_state), repr(spec.transform_state),
           tuple(spec.column_names), None if result.keep is None else tuple(result.keep),
           tuple(frame.columns), tuple(str(frame[c].dtype) for c in frame.columns),
           tuple(repr(list(frame[c].cat.categories)) for c in frame.columns
                 if isinstance(frame[c].dtype, pd.CategoricalDtype)),
           pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    X = _CACHE.get(key)
    if X is None:
        X = result.model_matrix(frame)
        X.flags.writeable = False  # shared between models: never changed in place
        while _CACHE and sum(m.nbytes for m in _CACHE.values()) + X.nbytes > _CACHE_MAX_BYTES:
            _CACHE.pop(next(iter(_CACHE)))  # the oldest first
        _CACHE[key] = X
    return X
