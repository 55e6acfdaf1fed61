"""R's ``postStratify(design, strata, population)`` and ``rake(design, sample.margins,
population.margins, control)``: post-stratification on one or more variables (a joint table)
and raking over margins, on linearisation and replicate designs, as R's survey 4.1.1.

Why here and not in :mod:`coprod.survey.calibration`: that module calibrates to the
pipeline's totals per variable; these are R's calls, whose populations are R's tables (a
DataFrame of the strata variables and one column of counts, as ``data.frame(stype = ...,
Freq = ...)`` or ``as.data.frame(xtabs(...))``) and whose margins may be joint tables
(``~stype + sch.wide``). The weights and the variance adjustments are the same
(:func:`coprod.survey.calweights.poststratify_weights`, :class:`PostStrata`,
:class:`Raking`).

R's replicate raking, step for step: every replicate is post-stratified on each margin in the
same passes as the full sample, and the passes stop when the full sample's joint table has
converged (R's ``control``: ``maxit = 10``, ``epsilon = 1``, an absolute change in the
weights' units; below 1, relative to the weights' sum). A raking stopped by ``maxit`` warns
(:class:`CalibrationWarning`, with its last change) and keeps its weights, as R's.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError
from .calformula import level_label, parse_formula
from .calweights import (
    CalibrationWarning,
    PostStrata,
    Raking,
    indicator,
    poststratify_weights,
    rake_passes,
    with_calibration,
)
from .rcalibrate import design_data

RAKE_CONTROL = {"maxit": 10, "epsilon": 1.0, "verbose": False}  # R's rake() defaults


def _strata_variables(strata: str | Sequence[str], argument: str) -> list[str]:
    """``"~stype + sch.wide"``, ``"stype"`` or ``["stype", "sch.wide"]`` as variable names."""
    if isinstance(strata, str) and strata.strip().startswith("~"):
        _, terms = parse_formula(strata)
        return list(dict.fromkeys(v for t in terms for v in t))
    names = [strata] if isinstance(strata, str) else list(strata)
    if not names or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{argument}: {strata!r} must be a formula ('~stype') or column "
                          "name(s)", argument=argument)
    return names


def _cells(population: Any, variables: list[str], argument: str) -> dict[tuple[str, ...], float]:
    """A population table as {cell (levels of the variables): count}: a DataFrame of the
    variables and one column of counts (R's), a Series indexed by the levels, or a mapping
    {level: count} (one variable) / {(level, level): count}."""
    if isinstance(population, pd.DataFrame):
        missing = [v for v in variables if v not in population.columns]
        others = [c for c in population.columns if c not in variables]
        if missing or len(others) != 1:
            raise ConfigError(f"{argument}: the table needs the column(s) {variables} and one "
                              f"column of counts; it has {list(population.columns)}",
                              argument=argument)
        keys = [tuple(level_label(x) for x in row)
                for row in population[variables].itertuples(index=False)]
        items = list(zip(keys, population[others[0]]))
    elif isinstance(population, (Mapping, pd.Series)):
        items = [(tuple(map(level_label, k if isinstance(k, tuple) else (k,))), v)
                 for k, v in population.items()]
    else:
        raise ConfigError(f"{argument}: give a DataFrame (the variables and a column of "
                          f"counts), a Series or a dict of counts, not "
                          f"{type(population).__name__}", argument=argument)
    out: dict[tuple[str, ...], float] = {}
    for key, v in items:
        if len(key) != len(variables):
            raise ConfigError(f"{argument}: cell {key} does not give a level of each of "
                              f"{variables}", argument=argument)
        try:
            count = float(v)
        except (TypeError, ValueError):
            count = np.nan
        if not (np.isfinite(count) and count >= 0):
            raise ConfigError(f"{argument}: the count of {'/'.join(key)} is {v!r}, not a "
                              "non-negative number", argument=argument)
        out[key] = out.get(key, 0.0) + count
    return out


@dataclass(frozen=True, eq=False)
class _Strata:
    """Post-strata of the rows: each row's cell number and the cells' population counts."""

    variables: list[str]
    codes: np.ndarray
    totals: np.ndarray
    labels: list[tuple[str, ...]]


def _strata(data: pd.DataFrame, w: np.ndarray, variables: list[str], cells: dict[
        tuple[str, ...], float], partial: bool, argument: str) -> _Strata:
    """R's merge of the sample's table and the population's: cells empty in both are left
    out; a sample cell without population stops; a population cell without sample stops
    (``partial=True``: is left out, with a warning, as R's)."""
    absent = [v for v in variables if v not in data.columns]
    if absent:
        raise ConfigError(f"{argument}: {absent} not in the data", argument=argument)
    for v in variables:
        if data[v].isna().any():
            raise DataError(f"{argument}: {v!r} is missing for {int(data[v].isna().sum())} "
                            "row(s); post-strata need it for all (R: na.fail)",
                            argument=argument)
    row_keys = pd.MultiIndex.from_arrays([data[v].map(level_label) for v in variables])
    sample_cells = list(dict.fromkeys(row_keys))
    lookup = {k: i for i, k in enumerate(sample_cells)}
    raw = np.array([lookup[k] for k in row_keys], dtype=np.int64)
    weight = np.bincount(raw, weights=w, minlength=len(sample_cells))
    name = " x ".join(variables)
    lonely = [k for k, sw in zip(sample_cells, weight) if sw > 0 and cells.get(k, 0) == 0]
    if lonely:
        raise DataError(f"{argument}: cell(s) {['/'.join(k) for k in lonely]} of {name} are "
                        "in the sample but have no population count", argument=argument)
    unseen = [k for k, n in cells.items()
              if n > 0 and (k not in lookup or not weight[lookup[k]] > 0)]
    if unseen and not partial:
        raise DataError(f"{argument}: cell(s) {['/'.join(k) for k in unseen]} of {name} have "
                        "a population count but no sample; give partial=True to leave them "
                        "out (as R's)", argument=argument)
    if unseen:
        warnings.warn(f"{argument}: cell(s) {['/'.join(k) for k in unseen]} of {name} absent "
                      "from the sample are ignored (partial=True)", CalibrationWarning,
                      stacklevel=4)
    totals = np.array([cells.get(k, 0.0) for k in sample_cells])
    return _Strata(variables, raw, totals, sample_cells)


def _replicates_post(W: np.ndarray, s: _Strata) -> np.ndarray:
    """Every replicate (a column of W) post-stratified on ``s``; a cell a replicate leaves
    without weight stops with its name (R would give NaN weights)."""
    sums = np.asarray(indicator(s.codes) @ W)
    empty = np.argwhere(~(sums > 0))
    if len(empty):
        k, r = empty[0]
        raise DataError(f"replicate {r + 1} has no weight in cell {'/'.join(s.labels[k])} of "
                        f"{' x '.join(s.variables)} (its deleted PSUs held all its "
                        "respondents); merge small cells", argument="design")
    return cast(np.ndarray, W * (s.totals[:, None] / sums)[s.codes])


@dataclass(frozen=True, eq=False)
class PostStratification:
    """A ``poststratify`` call kept on the design, to redo on a subset of rows."""

    strata: list[str]
    population: dict[tuple[str, ...], float]
    partial: bool = False
    method: str = "poststratify"

    def apply(self, design: Any, data: pd.DataFrame) -> Any:
        return poststratify(design, self.strata, self.population, partial=self.partial,
                            data=data)


def poststratify(design: Any, strata: str | Sequence[str], population: Any, *,
                 partial: bool = False, data: pd.DataFrame | None = None) -> Any:
    """R's ``postStratify(design, strata, population, partial=)``: weights times population
    count / weighted sample count of each cell, and (linearisation) R's variance adjustment;
    a replicate design's replicates each post-stratified to the same counts.

    ``strata``: ``"~stype"`` or ``"~stype + sch.wide"`` (a joint table), or column name(s);
    ``population``: a DataFrame of those variables and one column of counts (R's
    ``data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018))``), a Series or a dict
    ``{"E": 4421, ...}`` (``{("E", "No"): ...}`` for several variables)."""
    frame = design_data(design, data)
    variables = _strata_variables(strata, "strata")
    cells = _cells(population, variables, "population")
    s = _strata(frame, design.weights, variables, cells, partial, "population")
    spec = PostStratification(variables, cells, partial)
    new = poststratify_weights(design.weights, s.codes, s.totals)
    if hasattr(design, "repweights"):
        return with_calibration(design, new, spec,
                                repweights=_replicates_post(design.repweights, s))
    return with_calibration(design, new, spec, adjust=PostStrata(s.codes, design.weights, new))


@dataclass(frozen=True, eq=False)
class Rake:
    """A ``rake`` call kept on the design, to redo on a subset of rows."""

    margins: list[list[str]]
    populations: list[dict[tuple[str, ...], float]]
    control: dict[str, Any]
    method: str = "rake"

    def apply(self, design: Any, data: pd.DataFrame) -> Any:
        return rake(design, self.margins, self.populations, control=self.control, data=data)


def rake(design: Any, sample_margins: Sequence[Any], population_margins: Sequence[Any], *,
         control: Mapping[str, Any] | None = None, data: pd.DataFrame | None = None) -> Any:
    """R's ``rake(design, sample.margins, population.margins, control)``: post-stratify on
    each margin in turn until the margins' joint table changes by less than
    ``control["epsilon"]`` (R's default 1: absolute; below 1, a share of the weights' sum)
    or ``control["maxit"]`` passes (R's default 10) have run (then a
    :class:`CalibrationWarning` and the last pass's weights, as R).

    ``sample_margins``: formulas or column names, one per margin (``["~stype",
    "~sch.wide"]``; ``"~stype + sch.wide"`` is a joint margin); ``population_margins``: their
    tables, as :func:`poststratify`'s ``population``."""
    ctl = dict(RAKE_CONTROL)
    unknown = set(control or {}) - set(RAKE_CONTROL)
    if unknown:
        raise ConfigError(f"control: unknown {sorted(unknown)}; R's rake control has maxit, "
                          "epsilon, verbose", argument="control")
    ctl.update(control or {})
    maxit, epsilon = ctl["maxit"], ctl["epsilon"]
    if not (isinstance(maxit, (int, np.integer)) and not isinstance(maxit, bool) and maxit >= 1):
        raise ConfigError(f"control: maxit {maxit!r} must be a whole number of at least 1",
                          argument="control")
    if not (isinstance(epsilon, (int, float)) and np.isfinite(epsilon) and epsilon > 0):
        raise ConfigError(f"control: epsilon {epsilon!r} must be a positive number",
                          argument="control")
    if isinstance(sample_margins, str) or len(sample_margins) != len(population_margins) \
            or not len(sample_margins):
        raise ConfigError("sample_margins: one margin (formula) per table of "
                          "population_margins, as lists of the same length",
                          argument="sample_margins")
    frame = design_data(design, data)
    w = design.weights
    margins = []
    for k, (m, pop) in enumerate(zip(sample_margins, population_margins)):
        variables = _strata_variables(m, "sample_margins")
        cells = _cells(pop, variables, f"population_margins[{k}]")
        margins.append(_strata(frame, w, variables, cells, False, f"population_margins[{k}]"))
    spec = Rake([m.variables for m in margins],
                [dict(zip(m.labels, m.totals)) for m in margins], ctl)
    raked = rake_passes(w, [(m.codes, m.totals) for m in margins], float(epsilon), int(maxit))
    if not raked.converged:
        warnings.warn(raked.message(), CalibrationWarning, stacklevel=2)
    if hasattr(design, "repweights"):
        W = np.array(design.repweights, dtype=float)
        for _ in range(raked.passes):  # R: the replicates in the full sample's passes
            for m in margins:
                W = _replicates_post(W, m)
        return with_calibration(design, raked.weights, spec, repweights=W)
    adjust = Raking(tuple((m.codes, s) for m, s in zip(margins, raked.steps)))
    return with_calibration(design, raked.weights, spec, adjust=adjust)
