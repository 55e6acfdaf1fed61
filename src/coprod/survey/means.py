"""Design-based means and proportions of a domain: R's ``svymean(~y, subset(design, ...))`` and
``svyciprop(~y, design, method = "logit")``.

Why in the engine: they take a design object as every other estimator does (one design, built
once, many statistics), and the pipeline's tables of weighted shares and means are loops over
them. Each group is a *domain* of the full design (the other rows stay in the design, as
``survey::subset`` does), and a respondent with a missing value is outside the domain for that
variable (as ``svymean(..., na.rm = TRUE)``).

* Proportions: the closed form of the intercept-only design-based logistic model on the domain;
  the inverse logit of its interval is exactly ``survey::svyciprop(method = "logit")`` and stays
  inside 0-1.
* Means: the ratio estimator with its Taylor-linearised variance (or the replicates' means).

Neither raises for a domain that cannot be estimated: the result says why in ``note`` (a table
of a hundred estimates should show the one that failed, not stop).
"""
from __future__ import annotations

from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.special import expit

from ..errors import DataError, ModelError
from . import dist
from .design import SurveyDesign, check_model_based, domain_mask
from .replicate import ReplicateDesign
from .totals import COLUMNS, deff_kind, is_categorical, level_codes, variable_column, with_deff
from .variance import design_cov, design_df, mean_deff

AnyDesign = SurveyDesign | ReplicateDesign


def _values(y: str | npt.ArrayLike, design: AnyDesign) -> np.ndarray:
    """The variable as floats over the design's rows, anything non-numeric as NaN: values, or
    the name of a column of the design's data (a design built with ``keep_data=True``)."""
    if isinstance(y, str):
        if design.data is None:
            raise DataError(f"y: {y!r} names a column, which needs a design built with its data "
                            "(keep_data=True); pass the values instead", argument="y")
        if y not in design.data.columns:
            raise DataError(f"y: {y!r} is not a column of the design's data", argument="y")
        y = design.data[y]
    arr = np.asarray(y)
    if arr.shape != (design.n,):
        raise DataError(f"y: {arr.size} values for a design of {design.n} rows", argument="y")
    if arr.dtype.kind in "biuf":
        return arr.astype(float, copy=False)
    return cast(np.ndarray,
                pd.to_numeric(pd.Series(arr.astype(object)), errors="coerce").to_numpy(float))


def _domain(design: AnyDesign, domain: str | npt.ArrayLike | None) -> np.ndarray:
    """The rows of the design's domain (:meth:`SurveyDesign.domain`) and of ``domain`` (a
    boolean mask, or a 0/1 column of the design's data)."""
    if domain is None:
        return design.domain_rows(None)
    if isinstance(domain, str):
        if design.data is None:
            raise DataError("domain: a domain by column name needs a design built with its data",
                            argument="domain")
        return design.domain_rows(domain_mask(design.data, domain))
    return design.domain_rows(np.asarray(domain, bool))


def svy_mean(y: str | npt.ArrayLike, design: AnyDesign,
             domain: str | npt.ArrayLike | None = None, conf_level: float = 0.95, *,
             deff: bool | str | None = None,
             model_based: bool = False) -> dict[str, Any] | pd.DataFrame:
    """Weighted domain mean with its standard error and a t interval (R's ``svymean``).

    ``y``: the values (one per row of the design) or a column of the design's data;
    ``domain``: a boolean mask or 0/1 column (within the design's own domain, if it has one);
    ``model_based``: the plain standard error of the mean (unweighted data). Returns ``n``,
    ``estimate``, ``std_error``, ``conf_low``, ``conf_high``, ``df`` (the interval's degrees of
    freedom: R's ``degf`` of the domain), ``deff`` (R's ``deff = TRUE``), ``n_effective`` (Kish:
    n / deff) and, when there is no interval, a ``note`` saying why.

    ``deff`` is R's ``deff =``, per call: True or "srswor" (a simple random sample without
    replacement from a population of the weights' sum), "replace", or False (no ``deff`` and
    ``n_effective``). The default, None, is the design's own kind (``make_design(deff=...)``,
    "srswor" unless set: the pipeline's config chooses it once for every table).

    Why no model: a mean is a ratio of two totals; its linearised variance uses the same design
    engine as the models (:func:`coprod.survey.variance.design_cov`), so both agree on the
    design; a replicate design takes the mean of each replicate, as R's ``svymean``.

    A text or categorical ``y`` (R's factor: ``svymean(~stype, design)``) gives instead a
    DataFrame with one row per level, the share of the domain's respondents with a value who
    are at that level: indexed by R's names (``stypeE``, ``stypeH``, ...) with the columns of
    :func:`coprod.survey.svy_total`, ``df``, and ``deff``, ``n_effective`` and ``note`` as
    above. Levels: a Categorical's categories (unused ones too), else the sorted values.
    """
    if deff is not None:  # this call's kind (the design's own otherwise)
        kind = deff_kind(deff, conf_level)
        called = svy_mean(y, design if kind is None else with_deff(design, kind), domain,
                          conf_level, model_based=model_based)
        return called if kind is not None else _without_deff(called)
    if _is_categorical(y, design):
        return _level_means(y, design, domain, conf_level, model_based)
    values = _values(y, design)
    rows = np.flatnonzero(_domain(design, domain) & ~np.isnan(values))
    out: dict[str, Any] = {"n": len(rows), "estimate": np.nan, "std_error": np.nan,
                           "conf_low": np.nan, "conf_high": np.nan, "deff": np.nan,
                           "n_effective": np.nan}
    if not len(rows):
        return out
    w, yy = design.unit_weights[rows], values[rows]  # scale-free (design.unit_exponent)
    total = w.sum()
    if not total > 0:  # no estimate, and the table says why (not a silent NaN)
        out["note"] = "not estimable: the weights of this domain sum to zero"
        return out
    mean = float((w * yy).sum() / total)
    if len(rows) < 2:  # its variance would be 0: a zero-width interval that claims certainty
        out.update(estimate=mean, note="not estimable: one respondent (an interval needs at "
                                       "least two)")
        return out
    if model_based:
        df = len(rows) - 1
        se = float(np.std(yy, ddof=1) / np.sqrt(len(rows))) if df > 0 else np.nan
    elif isinstance(design, ReplicateDesign):  # the mean of each replicate, as R's svymean
        thetas = design.means(rows, yy)
        se = float(np.sqrt(design.variance(thetas, np.array([mean]))[0, 0]))
        df = design.degf(rows)
        if design.discarded(thetas):
            out["note"] = _discarded_note(design.discarded(thetas))
        out.update(_deff(mean_deff(design, rows, yy, se ** 2), len(rows)))
    else:
        df = design_df(design, rows)
        try:
            se = float(np.sqrt(design_cov(design, rows, w * (yy - mean) / total)[0, 0]))
        except ModelError as exc:  # e.g. lonely_psu 'fail': the table says why
            out.update(estimate=mean, note=f"not estimable: {exc}")
            return out
        out.update(_deff(mean_deff(design, rows, yy, se ** 2), len(rows)))
    t = dist.t_ppf(0.5 + conf_level / 2, max(df, 1))
    out.update(estimate=mean, std_error=se, conf_low=mean - t * se, conf_high=mean + t * se,
               df=max(df, 1))
    return out


def _is_categorical(y: str | npt.ArrayLike, design: AnyDesign) -> bool:
    """Whether ``y`` (a column name or values) is text or categorical: numbers (the
    pipeline's floats) are told at once, without building a Series."""
    if isinstance(y, np.ndarray) and y.dtype.kind in "biuf":
        return False
    if isinstance(y, str):
        if design.data is None or y not in design.data.columns:
            return False  # _values names the problem
        return is_categorical(design.data[y])
    if isinstance(y, pd.Series):
        return is_categorical(y)
    arr = np.asarray(y)
    return arr.ndim == 1 and arr.dtype.kind not in "biuf" and is_categorical(pd.Series(arr))


LEVEL_COLUMNS = [*COLUMNS, "deff", "n_effective", "note"]


def _level_means(y: str | npt.ArrayLike, design: AnyDesign,
                 domain: str | npt.ArrayLike | None, conf_level: float,
                 model_based: bool) -> pd.DataFrame:
    """R's ``svymean`` of a factor: the mean of each level's indicator over the domain's
    respondents with a value (the indicator is missing where the variable is)."""
    col, name = variable_column(y, design, "y")
    codes, levels = level_codes(col)
    rows = np.flatnonzero(_domain(design, domain) & (codes >= 0))
    if model_based:
        df = len(rows) - 1
    else:
        df = design.degf(rows) if isinstance(design, ReplicateDesign) else design_df(design, rows)
    out = []
    for j, level in enumerate(levels):
        ind = np.where(codes < 0, np.nan, (codes == j).astype(float))
        r = cast(dict[str, Any], svy_mean(ind, design, domain, conf_level,
                                          model_based=model_based))
        out.append({"variable": name, "level": str(level), "df": df, "note": "", **r})
    index = pd.Index([f"{name}{lv}" for lv in levels], name="term")
    return pd.DataFrame(out, columns=LEVEL_COLUMNS, index=index)


def _without_deff(out: dict[str, Any] | pd.DataFrame) -> dict[str, Any] | pd.DataFrame:
    """A result of ``deff=False``: without the design-effect entries (or columns)."""
    if isinstance(out, pd.DataFrame):
        return out.drop(columns=["deff", "n_effective"])
    return {k: v for k, v in out.items() if k not in ("deff", "n_effective")}


def _deff(deff: float, n: int) -> dict[str, float]:
    """The design effect and the effective sample size it implies (Kish: n / deff)."""
    return {"deff": deff, "n_effective": n / deff if deff > 0 else np.nan}


def svy_proportion(y: str | npt.ArrayLike, design: AnyDesign,
                   domain: str | npt.ArrayLike | None = None, conf_level: float = 0.95, *,
                   deff: bool | str | None = None, model_based: bool = False
                   ) -> dict[str, Any]:
    """Weighted domain proportion of a 0/1 variable with a logit interval (R's ``svyciprop``,
    method "logit"); arguments as :func:`svy_mean`, and ``events`` (the unweighted count of
    ones) among the results; ``df`` is infinite for a model-based (z) interval.

    That interval comes from the intercept-only design-based logistic model on the domain,
    which has a closed form, computed here without iterating: the estimate is logit(p) of the
    weighted share p, the bread is W p(1 - p) (W: the domain's weight total), the meat the
    design covariance of the scores w (y - p), on the design's degrees of freedom; model-based
    fits use the bread alone and z. tests/unit/survey/test_means.py checks it against the
    fitted model (:func:`coprod.survey.glm.fit_svy_logit`); a prevalence table needs a hundred
    of them.
    """
    if deff is not None:  # this call's kind, as svy_mean's deff
        kind = deff_kind(deff, conf_level)
        called = svy_proportion(y, design if kind is None else with_deff(design, kind),
                                domain, conf_level, model_based=model_based)
        return called if kind is not None else cast(dict[str, Any], _without_deff(called))
    values = _values(y, design)
    rows = np.flatnonzero(_domain(design, domain) & ~np.isnan(values))
    n = len(rows)
    yy = values[rows]
    out: dict[str, Any] = {"n": n, "events": 0, "estimate": np.nan, "std_error": np.nan,
                           "conf_low": np.nan, "conf_high": np.nan, "note": "",
                           "deff": np.nan, "n_effective": np.nan}
    if n == 0:
        out["note"] = "no answers"
        return out
    other = yy[(yy != 0) & (yy != 1)]
    if len(other):
        out["note"] = (f"not estimable: a proportion needs values coded 0/1; found "
                       f"{other[0]:g} ({len(other)} value(s))")
        return out
    events = out["events"] = int(yy.sum())
    if events in (0, n):  # no variation: the logit interval does not exist
        out.update(estimate=float(events == n), note="no variation: interval not estimable")
        return out
    try:
        w = design.unit_weights[rows]  # scale-free (coprod.survey.design.unit_exponent)
        if model_based:
            check_model_based(design)
        total = float(w.sum())
        if not total > 0:
            raise ModelError("the weights of this domain sum to zero")
        p = float((w * yy).sum() / total)
        if not 0 < p < 1:  # every event (or non-event) has weight zero: as no variation
            out.update(estimate=p, note="no variation (weighted): interval not estimable")
            return out
        bread = total * p * (1 - p)
        if model_based:
            var, df = (total / n) / bread, n - 1  # constant weights: as unweighted
        elif isinstance(design, ReplicateDesign):
            var, df, se_p, note = _replicate_proportion(design, rows, yy, p)
            out.update(_deff(mean_deff(design, rows, yy, se_p ** 2), n), note=note)
        else:
            var = float(design_cov(design, rows, w * (yy - p))[0, 0]) / bread ** 2
            df = design_df(design, rows)
            # the variance of p itself is var * (p (1 - p))^2 (the delta method, exact here)
            out.update(_deff(mean_deff(design, rows, yy, var * (p * (1 - p)) ** 2), n))
        if df < 1:
            raise ModelError(f"no residual degrees of freedom: the domain's {n} respondents are "
                             f"in {df} more PSU(s) than strata")
    except ModelError as exc:
        out["note"] = f"not estimable: {exc}"
        return out
    logit, se = float(np.log(p / (1 - p))), float(np.sqrt(max(var, 0.0)))
    ci = dist.wald(logit, se, df, conf_level, model_based)
    out.update(estimate=p, std_error=se * p * (1 - p),
               conf_low=float(expit(ci["conf_low"])), conf_high=float(expit(ci["conf_high"])),
               df=np.inf if model_based else df)
    if isinstance(design, ReplicateDesign):  # R: svymean's SE is the replicates' SE of p
        out["std_error"] = se_p
    return out


def _replicate_proportion(d: ReplicateDesign, rows: np.ndarray, yy: np.ndarray, p: float
                          ) -> tuple[float, int, float, str]:
    """Replicate variance of logit(p) (the interval: svyciprop's logit method refits the
    intercept-only model per replicate, which is logit of each replicate's share), the df, and
    the replicate SE of p itself (svymean's)."""
    p_r = d.means(rows, yy)
    with np.errstate(divide="ignore", invalid="ignore"):
        logit_r = np.log(p_r / (1 - p_r))
        var = float(d.variance(logit_r, np.array([np.log(p / (1 - p))]))[0, 0])
    se_p = float(np.sqrt(d.variance(p_r, np.array([p]))[0, 0]))
    notes = []
    if d.discarded(p_r):
        notes.append(_discarded_note(d.discarded(p_r)))
    if np.isinf(logit_r).any():
        notes.append(f"{int(np.isinf(logit_r).sum())} replicate(s) with no events (or only "
                     "events) here: the logit interval is not informative")
    return var, d.degf(rows), se_p, "; ".join(notes)


def _discarded_note(k: int) -> str:
    return (f"{k} replicate(s) have no weight here and were left out of the variance (as R "
            "does, with a warning)")
