"""Estimates by domain: R's ``svyby(formula, by, design, FUN, ...)``, one estimator per group of
one or several variables, stacked in one tidy table.

Why each group is a domain of the whole design (the estimator's ``domain=``) and not a subset
of the data: a domain estimate's variance needs every PSU of the design, the PSUs without the
group's members included (they are zero totals), and its degrees of freedom are those of the
PSUs holding members, as R's ``svyby`` computes them through ``design[group, ]``.

Groups are R's: the combinations of the ``by`` variables present among the rows of the design
(of its domain) with a positive weight and no missing ``by`` value, ordered as R's
``interaction()`` levels (the *first* variable varies fastest); a variable's levels are a
Categorical's categories in their order, else its sorted values.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError, clip
from .design import SurveyDesign
from .replicate import ReplicateDesign

AnyDesign = SurveyDesign | ReplicateDesign


def svy_by(y: Any, by: str | Sequence[str] | pd.Series | pd.DataFrame, design: AnyDesign,
           fun: Callable[..., Any], **kwargs: Any) -> pd.DataFrame:
    """``fun(y, design, domain=<group>, **kwargs)`` for each group of ``by`` (R's
    ``svyby(~y, ~by, design, FUN, ...)``), stacked.

    ``y``: what ``fun`` takes first (a column name or values; for :func:`svy_ratio` the
    numerator, with ``denominator=`` among ``kwargs``); ``by``: a column of the design's data,
    a list of columns (R's ``~stype + sch.wide``), or the values (a Series or DataFrame over
    the design's rows); ``fun``: an estimator of the engine (:func:`svy_mean`,
    :func:`svy_total`, :func:`svy_ratio`, :func:`svy_quantile`, :func:`svy_ciprop`, ...) or
    any function with that signature; ``kwargs``: its other arguments (``quantiles=``,
    ``method=``, ...). The design's own domain (:meth:`SurveyDesign.domain`) restricts the
    groups; ``domain=`` is not an argument here.

    Returns one row per group and estimate: the ``by`` columns (the group's values), ``term``
    (the estimator's row name: ``api00``, ``stypeE``, ``api00.0.5``) and the estimator's
    columns, with a RangeIndex.
    """
    if "domain" in kwargs:
        raise ConfigError("domain: svy_by makes each group a domain; restrict the design "
                          "instead (design.domain(mask))", argument="domain")
    if not callable(fun):
        raise ConfigError(f"fun: an estimator is needed (e.g. svy_mean), not {clip(fun)!r}",
                          argument="fun")
    frame = _by_frame(by, design)
    codes, levels = zip(*(_codes(frame[c]) for c in frame.columns), strict=True)
    C = np.column_stack(codes)
    usable = design.domain_rows(None) & (design.weights > 0) & (C >= 0).all(axis=1)
    if not usable.any():
        raise DataError("by: no row of the design (its domain) has a positive weight and a "
                        "value of every by variable", argument="by")
    groups = np.unique(C[usable][:, ::-1], axis=0)[:, ::-1]  # first variable fastest
    out = []
    for g in groups:
        mask = (C == g).all(axis=1)
        result = fun(y, design=design, domain=mask, **kwargs)
        part = _tidy(result, y)
        for k, col in enumerate(frame.columns):
            part.insert(k, col, levels[k][g[k]])
        out.append(part)
    return pd.concat(out, ignore_index=True)


def _by_frame(by: str | Sequence[str] | pd.Series | pd.DataFrame, design: AnyDesign
              ) -> pd.DataFrame:
    """The ``by`` variables as a DataFrame over the design's rows."""
    if isinstance(by, pd.DataFrame):
        frame = by.reset_index(drop=True)
    elif isinstance(by, pd.Series):
        frame = by.reset_index(drop=True).to_frame(name=by.name if by.name is not None
                                                   else "by")
    else:
        names = [by] if isinstance(by, str) else list(by)
        if not names or not all(isinstance(n, str) for n in names):
            raise ConfigError("by: give a column name, a list of them, or the values (a "
                              "Series or DataFrame)", argument="by")
        if design.data is None:
            raise DataError("by: groups by column name need a design built with its data "
                            "(keep_data=True); pass the values instead", argument="by")
        absent = [n for n in names if n not in design.data.columns]
        if absent:
            raise DataError(f"by: {clip(absent[0])!r} is not a column of the design's data",
                            argument="by")
        frame = design.data[names].reset_index(drop=True)
    if len(frame) != design.n:
        raise DataError(f"by: {len(frame)} values for a design of {design.n} rows",
                        argument="by")
    return frame


def _codes(col: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Level codes (-1: missing) and levels, in R's factor order."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.cat.codes.to_numpy().astype(np.int64), list(col.cat.categories)
    codes, uniques = pd.factorize(col, sort=True)
    return codes.astype(np.int64), list(uniques)


def _tidy(result: Any, y: Any) -> pd.DataFrame:
    """An estimator's result as rows with a ``term`` column: a DataFrame's index, or a dict
    (:func:`svy_mean` of a number) as one row named after ``y``."""
    if isinstance(result, pd.DataFrame):
        part = result.copy()
        part.insert(0, "term", [str(t) for t in part.index])
        return part.reset_index(drop=True)
    if isinstance(result, dict):
        name = y if isinstance(y, str) else getattr(y, "name", None) or "y"
        return pd.DataFrame([{"term": str(name), **result}])
    raise ConfigError(f"fun: returned a {type(result).__name__}; svy_by stacks DataFrames "
                      "or dicts", argument="fun")
