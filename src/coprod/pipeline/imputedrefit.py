"""One model refitted on each imputed dataset from the model frame of the first: only the
model-matrix columns of the imputed variables made again, the rest of the frame (rows, outcome,
domain, terms, checks) taken as it is.

Why: the M completed datasets differ only in the imputed cells, so a model's frame is the same
in every one but for the columns of the imputed variables -- yet each dataset's fit built it
again from the data (formula terms, the rows complete and in the sample, the matrix column by
column, the empty-level checks): a third of :mod:`coprod.pipeline.imputedmodels`' job. The
fit itself (:func:`coprod.survey.glm.fit_matrix`) is the same call on the same numbers as
:func:`coprod.survey.glm.fit_svy_logit` makes, so the results are identical to the digit
(tests/unit/pipeline/test_imputedrefit.py compares every dataset's fit with the full path).

A model is refitted so only where that is certain; otherwise each dataset's fit takes the full
path (:func:`coprod.pipeline.models.fit_result`), as before:

* every imputation filled the same cells (so each dataset has the same missing values, rows,
  domain and design), and neither the outcome nor the group column is imputed;
* the model is a GLM family (an ordinal model's frame is made by its own estimator);
* the first dataset's fit kept every column of its matrix and dropped no respondent for a
  missing value under ``design.incomplete: drop`` (the frame is then the sample's own);
* every term that involves an imputed variable is the plain main effect of that one column --
  a number (its value) or a pandas Categorical of text levels (an indicator per level), as
  :func:`coprod.survey.modelframe.build_model_frame` fills them;
* and in each later dataset no column is all zero (a level nobody has): otherwise that
  dataset's fit takes the full path, which drops the column and flags it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd


@dataclass
class _Template:
    """What a model's fit on the first imputed dataset shares with the other datasets: its
    model matrix (every column kept), outcome, design rows and the rest of the frame, and the
    columns to make again from each dataset (position, aliased column, level code or None for
    a number)."""

    X: np.ndarray
    y: np.ndarray
    rows: np.ndarray
    names: list[str]
    terms: pd.DataFrame
    spec: Any
    keep: np.ndarray
    variables: list[str]
    outcome: str | None
    domain_rows: np.ndarray
    formula: str
    n_excluded: int
    family: Any
    model_based: bool
    conf_level: float
    design: Any
    patch: list[tuple[int, str, int | None]]
    every: bool  # the model's rows are all the data's (no domain, none missing)


class Refits:
    """The fits of one sample's models on the imputed datasets (one
    :func:`coprod.pipeline.imputedmodels.fit_sample_mi` call): the first dataset's by the full
    path, each later one's from its template (see the module's docstring)."""

    def __init__(self, imputed: pd.DataFrame, kept: dict | None = None):
        """``imputed``: the imputed cells (imputation, row, variable, value); ``kept``: a
        dict the caller keeps for these cells (``fit_sample_mi``'s ``datasets``), where what
        is found of them is kept for its next call."""
        found: tuple[set[str], bool] | None = None if kept is None else kept.get(_FOUND)
        if found is None:
            found = (set(imputed["variable"].astype(str)) if len(imputed) else set(),
                     bool(len(imputed)) and _same_cells(imputed))
            if kept is not None:
                kept[_FOUND] = found
        self.variables, self.enabled = found
        self._templates: dict[tuple[str, str], _Template | None] = {}

    def fit(self, frame: pd.DataFrame, al: Any, *, outcome: str, sample: str, covs: list[str],
            domain: Any, design: Any, built: Any, conf_level: float, family: str,
            prepared: dict | None = None) -> Any:
        """The model's fit on ``frame`` (an imputed dataset's aliased model frame), as
        :func:`coprod.pipeline.models.fit_result` gives it (``prepared``: its model frames
        kept for other weights, there)."""
        from .models import fit_result

        key = (sample, outcome)
        template = self._templates.get(key)
        if template is not None:
            res = _refit(template, frame)
            if res is not None:
                return res
        res, _formula, used, _opts, _excluded = fit_result(
            frame, al, outcome=outcome, covs=covs, domain=domain, design=design, built=built,
            conf_level=conf_level, family=family, prepared=prepared)
        if self.enabled and key not in self._templates:
            whole = domain is None and getattr(res.design, "in_domain", None) is None
            self._templates[key] = _template(res, frame, used, al, outcome, self.variables,
                                             whole)
        return res


_FOUND = "imputedrefit: the imputed variables, and whether every imputation filled the same cells"


def _same_cells(imputed: pd.DataFrame) -> bool:
    """Whether every imputation filled the same (variable, row) cells."""
    imp = pd.factorize(imputed["imputation"])[0]
    var = pd.factorize(imputed["variable"].astype(str))[0].astype(np.int64)
    row = imputed["row"].to_numpy(dtype=np.int64)
    counts = np.bincount(imp)
    if (counts != counts[0]).any():
        return False
    cell = var * (int(row.max()) + 1) + row
    order = np.lexsort((cell, imp))  # by imputation, then cell
    return bool((cell[order].reshape(len(counts), -1) == cell[order][:counts[0]]).all())


def _template(res: Any, frame: pd.DataFrame, used: pd.DataFrame, al: Any, outcome: str,
              imputed: set[str], whole: bool) -> _Template | None:
    """The template of the first dataset's fit ``res`` (see the module's docstring), or None
    when the later datasets' fits must take the full path. ``whole``: the fit had no domain
    (the pooled sample)."""
    from ..survey.glm import SvyGlmResult
    from ..survey.modelframe import categorical_factors

    if type(res) is not SvyGlmResult or used is not frame or res.spec is None \
            or res.keep is None or res.domain_rows is None:
        return None  # an ordinal fit; complete cases dropped (design.incomplete: drop)
    spec = res.spec
    if outcome in imputed or frame.attrs.get("group_column") in imputed:
        return None  # the rows, outcome or domain would differ between datasets
    changed = {al[v] for v in imputed if v in al.to}  # the imputed columns, as aliased
    keep = np.asarray(res.keep)
    names = list(spec.column_names)
    if not np.array_equal(keep, np.arange(len(names))) or res.X.shape[1] != len(names):
        return None  # a column dropped (a level empty in this sample)
    data_vars = set(spec.variables_by_source.get("data", set()))
    cats = categorical_factors(spec)
    patch: list[tuple[int, str, int | None]] = []
    for term, sl in spec.term_slices.items():
        variables = set(spec.term_variables[term] & data_vars)
        if not variables & changed:
            continue  # its columns are the same in every dataset
        factors = [f for f in term.factors if str(f) != "1"]
        if len(factors) != 1 or len(variables) != 1:
            return None  # an interaction: made by the formula engine
        (var,) = variables
        if str(factors[0]) != var or var not in frame.columns or getattr(
                getattr(factors[0], "eval_method", None), "value", None) != "lookup":
            return None  # a transform: made by the formula engine
        dtype, given = frame[var].dtype, names[sl]
        if var in cats:  # an indicator per level, as modelframe's direct plan fills them
            levels = list(cats[var]["levels"])
            if not (isinstance(dtype, pd.CategoricalDtype) and dtype.categories.tolist() == levels
                    and all(isinstance(lv, str) for lv in levels)):
                return None
            if given == [f"{var}[T.{lv}]" for lv in levels[1:]]:
                codes = range(1, len(levels))
            elif given == [f"{var}[{lv}]" for lv in levels]:
                codes = range(len(levels))
            else:
                return None  # other contrasts
            patch.extend((sl.start + k, var, code) for k, code in enumerate(codes))
        elif given == [var] and isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            patch.append((sl.start, var, None))  # a number: its value
        else:
            return None
    return _Template(X=res.X, y=res.y, rows=res.rows, names=list(res.params.index),
                     terms=res.terms, spec=spec, keep=res.keep, variables=list(res.variables),
                     outcome=res.outcome, domain_rows=res.domain_rows, formula=res.formula,
                     n_excluded=int(res.stats["n_excluded_missing"]), family=res.family,
                     model_based=bool(res.model_based), conf_level=float(res.conf_level),
                     design=res.design, patch=patch,
                     every=whole and len(res.domain_rows) == len(res.rows))


def _refit(t: _Template, frame: pd.DataFrame) -> Any:
    """The fit of ``t``'s model on another dataset's frame, as
    :func:`coprod.survey.glm.fit_svy_logit` makes it; None when a column of the new matrix is
    all zero (the full path drops and flags it)."""
    from ..survey.framechecks import drop_empty_columns
    from ..survey.glm import fit_matrix
    from ..survey.modelframe import formula_ready

    X = t.X.copy(order="K")  # the same memory order as the first dataset's matrix
    codes: dict[str, np.ndarray] = {}
    for j, var, code in t.patch:
        if code is None:  # a number: its value, as the model frame fills it
            X[:, j] = frame[var].to_numpy(dtype=float)[t.rows]
        else:  # a level: its indicator
            if var not in codes:
                codes[var] = frame[var].array.codes[t.rows]
            np.equal(codes[var], code, out=X[:, j], casting="unsafe")
    keep, flags = drop_empty_columns(X, t.terms, t.spec)  # (every column's terms: none dropped)
    if len(keep) < X.shape[1]:
        return None
    res = fit_matrix(X, t.y, t.rows, t.design, list(t.names), model_based=t.model_based,
                     conf_level=t.conf_level, terms=t.terms.copy(), flags=flags,
                     domain_rows=t.domain_rows, family=t.family)
    res.formula = t.formula
    res.spec, res.keep = t.spec, t.keep
    res.variables, res.outcome = list(t.variables), t.outcome
    used = frame[t.variables]
    res.model_data = formula_ready((used if t.every else used.iloc[t.rows])
                                   .reset_index(drop=True), t.variables)
    res.stats["n_excluded_missing"] = t.n_excluded
    return res
