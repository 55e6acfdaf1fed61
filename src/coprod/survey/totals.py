"""Design-based totals and ratios of totals: R's ``svytotal(~x, design)`` and ``svyratio(~y,
~x, design)``, taking a design object as every estimator of the engine does.

Why apart from :mod:`coprod.survey.means`: a mean is for the pipeline's tables and never raises
(a table of a hundred estimates shows the one that failed); these are library estimators in R's
vocabulary, for one call at a time, and raise a one-line error naming the argument that is
wrong, as R stops. Both are linear in the weights, so both variances are
:func:`coprod.survey.variance.design_cov` of per-row values (Taylor designs) or the spread of
the replicates' totals (replicate designs), as R's ``svyrecvar`` and ``svrVar``:

* total: the per-row values are ``w x`` (a numeric variable) or ``w 1[x = level]`` (one column
  per level of a categorical one, as R's ``model.matrix(~ 0 + x)``); replicate ``r``'s total
  is ``sum w_r x``.
* ratio ``R = Y / X`` of the totals of ``y`` and ``x``: the influence values ``w (y - R x) /
  X`` (the linearisation of Y/X at the estimate); replicate ``r``'s ratio is ``Y_r / X_r``.

Missing values are outside the domain (R's ``na.rm = TRUE``); for a ratio a row needs both.
Degrees of freedom are the design's of the rows used (R's ``degf``), and the interval is a t
interval on them. Design effects (R's ``deff = TRUE``: a simple random sample without
replacement of the same size from a population of the weights' sum, or ``"replace"``) are
:func:`coprod.survey.variance.mean_deff`'s: the total's variance over N^2 is a mean's.
"""
from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError, DataError, ModelError, clip
from . import dist
from .design import DEFF_OPTIONS, SurveyDesign, domain_mask
from .replicate import ReplicateDesign
from .variance import design_cov, design_df, mean_deff

AnyDesign = SurveyDesign | ReplicateDesign
_NUMERIC = {"integer", "floating", "mixed-integer-float", "decimal", "boolean", "empty"}
COLUMNS = ["variable", "level", "estimate", "std_error", "df", "conf_low", "conf_high", "n"]


def svy_total(y: str | npt.ArrayLike, design: AnyDesign,
              domain: str | npt.ArrayLike | None = None, conf_level: float = 0.95, *,
              deff: bool | str = False) -> pd.DataFrame:
    """Estimated population total of ``y`` with its standard error (R's ``svytotal(~y,
    design, na.rm = TRUE)``); for a categorical ``y`` (text, a pandas Categorical) one row
    per level, the estimated number of the population at that level.

    ``y``: a column of the design's data (a design built with ``keep_data=True``) or the
    values, one per row of the design; numbers (booleans count as 0/1) are summed, anything
    else is categorical: levels in a Categorical's order, else sorted. ``domain``: a boolean
    mask or a 0/1 column, within the design's own domain (:meth:`SurveyDesign.domain`).
    ``deff``: True (R's ``deff = TRUE``: "srswor"), "srswor" or "replace" adds a ``deff``
    column.

    Returns a DataFrame indexed by R's term names (``api.stu``; ``stypeE``, ``stypeH``, ...)
    with the columns ``variable``, ``level`` (empty for a number), ``estimate``,
    ``std_error``, ``df``, ``conf_low``, ``conf_high`` (a t interval at ``conf_level``), ``n``
    (respondents with a value in the domain) and, on request, ``deff``.
    """
    kind = deff_kind(deff, conf_level)
    col, name = variable_column(y, design, "y")
    rows = rows_in_domain(design, domain)
    if is_categorical(col):
        codes, levels = level_codes(col)
        labels = [str(lv) for lv in levels]
        rows = rows & (codes >= 0)
        idx = np.flatnonzero(rows)
        X = (codes[idx][:, None] == np.arange(len(levels))).astype(float)
    else:
        values = _numbers(col, "y", name)
        labels = [""]
        rows = rows & ~np.isnan(values)
        idx = np.flatnonzero(rows)
        X = values[idx][:, None]
    w = design.unit_weights[idx]  # scale-free sums (unit_exponent); the totals scaled back
    total = w @ X
    if isinstance(design, ReplicateDesign):
        var = design.variance(_replicate_totals(design, idx, X), total)
        df = design.degf(idx)
    else:
        var = design_cov(design, idx, w[:, None] * X)
        df = design_df(design, idx)
    var = np.atleast_1d(np.diag(var))
    out = _frame(name, labels, design.population_scale(1.0) * total,
                 design.population_scale(1.0) * np.sqrt(var), df, conf_level, len(idx))
    if kind:
        d = with_deff(design, kind)
        out["deff"] = [_deff(d, idx, X[:, j], var[j]) for j in range(X.shape[1])]
    return out


def svy_ratio(numerator: str | npt.ArrayLike, denominator: str | npt.ArrayLike,
              design: AnyDesign, domain: str | npt.ArrayLike | None = None,
              conf_level: float = 0.95, *, deff: bool | str = False) -> pd.DataFrame:
    """Ratio of the estimated totals of ``numerator`` and ``denominator`` (R's
    ``svyratio(~numerator, ~denominator, design, na.rm = TRUE)``), e.g. students per
    enrolment, with its linearised (or replicate) standard error.

    Both are numeric columns of the design's data or values, one per row; the rows used are
    those of the domain with both values. ``deff`` as :func:`svy_total`: the design effect of
    the total of the residuals ``numerator - ratio * denominator`` (what R's svyratio reports;
    R 4.1.1 fails to compute it for a replicate design, which gets the same quantity here).
    Returns one row, indexed ``"<numerator>/<denominator>"``, with :func:`svy_total`'s columns.
    A domain whose denominator total is zero raises :class:`ModelError`.
    """
    kind = deff_kind(deff, conf_level)
    num_col, num_name = variable_column(numerator, design, "numerator")
    den_col, den_name = variable_column(denominator, design, "denominator")
    y = _numbers(num_col, "numerator", num_name)
    x = _numbers(den_col, "denominator", den_name)
    idx = np.flatnonzero(rows_in_domain(design, domain) & ~np.isnan(y) & ~np.isnan(x))
    yy, xx, w = y[idx], x[idx], design.unit_weights[idx]
    x_total = float(w @ xx)
    if x_total == 0:
        raise ModelError(f"denominator: the total of {clip(den_name)!r} is 0 in this domain "
                         f"({len(idx)} respondents with both values); a ratio needs a non-zero "
                         "denominator", argument="denominator")
    ratio = float(w @ yy) / x_total
    resid = yy - ratio * xx
    if isinstance(design, ReplicateDesign):
        reps = _replicate_totals(design, idx, np.column_stack([yy, xx]))
        with np.errstate(divide="ignore", invalid="ignore"):
            thetas = np.where(reps[:, 1] != 0, reps[:, 0] / reps[:, 1], np.nan)
        if design.discarded(thetas):  # R would carry an infinite ratio into the variance
            warnings.warn(f"svy_ratio: {design.discarded(thetas)} replicate(s) have a zero "
                          "denominator total here and were left out of the variance",
                          RuntimeWarning, stacklevel=2)
        var = float(design.variance(thetas, np.array([ratio]))[0, 0])
        df = design.degf(idx)
        resid_var = (float(design.variance(reps[:, 0] - ratio * reps[:, 1], np.zeros(1))[0, 0])
                     if kind else np.nan)
    else:
        var = float(design_cov(design, idx, w * resid / x_total)[0, 0])
        df = design_df(design, idx)
        resid_var = var * x_total ** 2
    name = f"{num_name}/{den_name}"
    out = _frame(name, [""], np.array([ratio]), np.array([np.sqrt(var)]), df, conf_level,
                 len(idx))
    if kind:
        out["deff"] = _deff(with_deff(design, kind), idx, resid, resid_var)
    return out


def _frame(name: str, levels: list[str], estimate: np.ndarray, se: np.ndarray, df: int,
           conf_level: float, n: int) -> pd.DataFrame:
    """The result table: one row per term, R's term names (variable + level) as the index."""
    t = dist.t_ppf(0.5 + conf_level / 2, df) if df >= 1 else np.nan
    out = pd.DataFrame({"variable": name, "level": levels, "estimate": estimate,
                        "std_error": se, "df": df, "conf_low": estimate - t * se,
                        "conf_high": estimate + t * se, "n": n},
                       index=pd.Index([f"{name}{lv}" for lv in levels], name="term"))
    return out[COLUMNS]


def _replicate_totals(design: ReplicateDesign, idx: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Each replicate's totals of the columns of ``X`` (R x k), on the unit-weight scale (the
    replicate weights divided by ``2**weight_exponent``, as the full-sample total is)."""
    W = design.rows_of(idx)
    return cast(np.ndarray, np.ldexp(W.T @ X, -design.weight_exponent))


def deff_kind(deff: bool | str, conf_level: float) -> str | None:
    """R's ``deff`` argument: False (none), True ("srswor", R's default) or a kind; and a
    check of ``conf_level`` (both before any sum is computed)."""
    if not 0 < conf_level < 1:
        raise ConfigError(f"conf_level: must be between 0 and 1, not {conf_level!r}",
                          argument="conf_level")
    if deff is False or deff is None:
        return None
    if deff is True:
        return "srswor"
    if deff in DEFF_OPTIONS:
        return cast(str, deff)
    raise ConfigError(f"deff: must be True, False or one of {DEFF_OPTIONS}, not {deff!r}",
                      argument="deff")


def _deff(design: AnyDesign, idx: np.ndarray, values: np.ndarray, variance: float) -> float:
    """Design effect of the total of ``values`` (the rows ``idx``) whose variance, on the unit
    weights' scale, is ``variance``: a mean's (:func:`mean_deff`) with the variance over the
    squared weight total. A variable constant in the domain (a factor's level in a domain of
    that level) has no simple-random-sampling variance: R's deff is then ``v / 0``, infinite
    (NaN when v is 0 too), which the sums would only approach through rounding."""
    w = design.unit_weights[idx]
    n_pop = float(w.sum())
    if not n_pop > 0:
        return float("nan")
    used = values[w != 0]
    if len(used) > 1 and np.all(used == used[0]):
        return float("inf") if variance > 0 else float("nan")
    return mean_deff(design, idx, values, variance / n_pop ** 2)


def with_deff(design: AnyDesign, kind: str) -> AnyDesign:
    """The design with the design-effect kind of this call (the design's own is the
    pipeline's config choice; R's ``deff =`` is per call)."""
    return design if design.deff == kind else replace(design, deff=kind)


def variable_column(y: str | npt.ArrayLike, design: AnyDesign, argument: str
                    ) -> tuple[pd.Series, str]:
    """The variable over the design's rows and its name (the column's, a Series' name, else
    the argument's): a column of the design's data, or values."""
    if isinstance(y, str):
        if design.data is None:
            raise DataError(f"{argument}: {clip(y)!r} names a column, which needs a design built "
                            "with its data (keep_data=True); pass the values instead",
                            argument=argument)
        if y not in design.data.columns:
            raise DataError(f"{argument}: {clip(y)!r} is not a column of the design's data",
                            argument=argument)
        return design.data[y].reset_index(drop=True), y
    if isinstance(y, pd.Series):
        col, name = y.reset_index(drop=True), y.name
    else:
        arr = np.asarray(y)
        if arr.ndim != 1:
            raise DataError(f"{argument}: one value per row is needed, not an array of shape "
                            f"{arr.shape}", argument=argument)
        col, name = pd.Series(arr), None
    if len(col) != design.n:
        raise DataError(f"{argument}: {len(col)} values for a design of {design.n} rows",
                        argument=argument)
    return col, str(name) if name is not None else argument


def is_categorical(col: pd.Series) -> bool:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return True
    if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
        return False
    return pd.api.types.infer_dtype(col, skipna=True) not in _NUMERIC


def level_codes(col: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Level codes (-1: missing) and levels: a Categorical's categories (unused ones too, as
    R's factor levels), else the sorted distinct values."""
    cat = col if isinstance(col.dtype, pd.CategoricalDtype) else col.astype("category")
    return cat.cat.codes.to_numpy().astype(np.int64), list(cat.cat.categories)


def _numbers(col: pd.Series, argument: str, name: str) -> np.ndarray:
    """A numeric variable as floats, missing values NaN; text is an error naming the
    argument (R: "non-numeric argument")."""
    if is_categorical(col):
        text = col.dropna()
        example = f" (e.g. {clip(text.iloc[0], 40)!r})" if len(text) else ""
        raise DataError(f"{argument}: {clip(name)!r} is text or categorical{example}; "
                        "a ratio needs numbers", argument=argument)
    return cast(np.ndarray, pd.to_numeric(col).to_numpy(dtype=float, na_value=np.nan))


def rows_in_domain(design: AnyDesign, domain: str | npt.ArrayLike | None) -> np.ndarray:
    """The rows of the design's domain and of ``domain`` (a boolean mask, or a 0/1 column of
    the design's data)."""
    if domain is None:
        return design.domain_rows(None)
    if isinstance(domain, str):
        if design.data is None:
            raise DataError("domain: a domain by column name needs a design built with its data "
                            "(keep_data=True)", argument="domain")
        return design.domain_rows(domain_mask(design.data, domain))
    mask = np.asarray(domain)
    if mask.shape != (design.n,):
        raise DataError(f"domain: {mask.size} values for a design of {design.n} rows",
                        argument="domain")
    if pd.isna(mask).any():
        raise DataError("domain: the mask has missing values", argument="domain")
    return design.domain_rows(mask.astype(bool))
