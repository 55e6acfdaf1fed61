"""The model stage: one design-based logistic model per (outcome, sample), as tidy tables; the
models of a sample are fitted together (:func:`fit_sample`).

A sample is either ``pooled`` (all groups; with group fixed effects unless ``group_effects`` is
false) or one group, estimated as a domain of the full design (the rows of other groups stay in
the design, as survey::subset does). Respondents missing a model variable stay in the design
outside the model's domain (``design.incomplete: keep``, R's svyglm on a design of all rows) or
leave the design (``drop``, R's svydesign on the complete cases of that model's variables).
A model that cannot be estimated does not stop the other jobs: its tables say ``failed`` and why.
Under multiple imputation, :mod:`coprod.pipeline.imputedmodels` fits these on each completed
dataset and combines them.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Collection
from copy import deepcopy

import numpy as np
import pandas as pd

from ..errors import CoprodError, ModelError
from ..survey.formula import Aliases, build_formula, set_reference_levels, term_parts  # noqa: F401 (term_parts re-exported: it lived here)
from .designkeys import DesignSettings, typed_design
from .effectrule import EFFECT_COLUMNS
from .io import group_column as group_of  # noqa: F401 (re-exported)
from .vocab import GROUP, POOLED  # noqa: F401 (re-exported)

log = logging.getLogger("coprod.pipeline.models")

# one value a cell: the flags themselves are rows of the flags table (n_flags counts them), and
# who was excluded for which missing variable rows of the excluded table (EXCLUDED_COLUMNS)
FIT_COLUMNS = ["outcome", "sample", "status", "message", "n", "weighted_n", "events", "clusters",
               "strata", "df_resid", "log_likelihood", "pseudo_r2", "aic", "n_excluded_missing",
               "converged", "n_flags", "deff_mean", "n_effective", "family"]
#: the respondents of a model's sample missing each of its variables, one row a variable with
#: any (a respondent missing two counts under both; fit's n_excluded_missing counts them once)
EXCLUDED_COLUMNS = ["outcome", "sample", "variable", "n_excluded"]
#: the coefficients each joint test of tests.csv tests, one row a term (test_terms.csv)
TEST_TERM_COLUMNS = ["outcome", "sample", "test", "term"]
CUT_COLUMNS = ["outcome", "sample", "cut", "term", "variable", "level", "label", "estimate",
               "std_error", "p_value", "conf_low", "conf_high", "odds_ratio", "or_conf_low",
               "or_conf_high", "flag"]


def term_label(term: str, labels: dict) -> str:
    var, level = term_parts(term)
    if var == "Intercept":
        return "Intercept"
    name = labels.get(var, var)
    return f"{name}: {level}" if level else name


def sample_covariates(covariates: list[str], sample: str, table: pd.DataFrame,
                      group_effects: bool = True) -> list[str]:
    """Pooled models add group fixed effects when there is more than one group (unless
    ``group_effects`` is false); a group's own model never has them."""
    group = group_of(table)
    if group_effects and sample == POOLED and table[group].nunique() > 1 \
            and group not in covariates:
        return [*covariates, group]
    return list(covariates)


def domain_mask(table: pd.DataFrame, sample: str, group: str | None = None):
    if sample == POOLED:
        return None
    col = table[group or group_of(table)]
    if isinstance(col.dtype, pd.CategoricalDtype) and all(isinstance(c, str) for c in
                                                         col.cat.categories):
        # text categories: compare the few categories, not each row (a missing one: no)
        hit = [c == sample for c in col.cat.categories] + [False]
        mask = np.asarray(hit, dtype=bool)[col.cat.codes.to_numpy()]  # code -1: missing
    else:
        mask = (col.astype(str) == sample).to_numpy()
    if not mask.any():
        raise ModelError(f"sample '{sample}': no respondents in this group")
    return mask


def model_frame(table: pd.DataFrame, outcomes: list[str], covariates: list[str],
                reference_levels: dict, extra: tuple = ()) -> pd.DataFrame:
    """The columns the models need, outcomes as float (0/1, counts; an ordinal outcome stays an
    ordered category), reference levels first (the design's columns are not among them: the
    job's design is built once, by :func:`job_design`)."""
    cols = [*outcomes, *covariates, group_of(table), *extra]
    df = table[list(dict.fromkeys(c for c in cols if c))].copy()
    df.attrs = {"group_column": group_of(table)}
    for o in outcomes:
        if not isinstance(df[o].dtype, pd.CategoricalDtype):
            df[o] = df[o].astype("float64")
    # unused levels are kept on purpose: the estimator flags a level empty in a sample; an
    # outcome keeps its own order (a reference level, set for it as a covariate elsewhere,
    # would make an ordinal outcome unordered: "has no order")
    return set_reference_levels(df, {k: v for k, v in reference_levels.items()
                                     if k in df.columns and k not in outcomes})


def job_design(table: pd.DataFrame, design: DesignSettings, reference_levels: dict):
    """The survey design of a job, built once and taken by every model and the contrast (its
    categorical columns ordered as the models order them, so the sums run in the same order)."""
    from .designconfig import design_columns, design_from_config

    cols = list(dict.fromkeys(design_columns(design, table.columns)))
    df = set_reference_levels(table[cols].copy(),
                              {k: v for k, v in reference_levels.items() if k in cols})
    return design_from_config(df, design)


def fit_model(table: pd.DataFrame, *, outcome: str, sample: str, covariates: list[str],
              reference_levels: dict, design: DesignSettings, conf_level: float = 0.95,
              grids: dict | None = None, labels: dict | None = None,
              group_effects: bool = True, families: dict | None = None,
              joint_tests: dict | None = None) -> dict[str, pd.DataFrame]:
    """Fit one model; return its tidy tables (coefficients, ame, predictions, fit, flags,
    excluded, tests, cuts)."""
    return fit_sample(table, outcomes=[outcome], sample=sample, covariates=covariates,
                      reference_levels=reference_levels, design=design, conf_level=conf_level,
                      grids=grids, labels=labels, group_effects=group_effects,
                      families=families, joint_tests=joint_tests)[outcome]


def fit_sample(table: pd.DataFrame, *, outcomes: list[str], sample: str, covariates: list[str],
               reference_levels: dict, design: DesignSettings, conf_level: float = 0.95,
               grids: dict | None = None, labels: dict | None = None, built=None,
               group_effects: bool = True, families: dict | None = None,
               joint_tests: dict | None = None, margins: bool = True,
               effects: bool | None | Collection[str] = None, kept: dict | None = None,
               prepared: dict | None = None, lean: bool = False
               ) -> dict[str, dict[str, pd.DataFrame]]:
    """Fit every outcome's model in one sample: {outcome: its tidy tables}.

    Why together: the models of a sample share the data, the covariates and the design, so the
    frame is prepared once (one job per sample instead of one per model saves a Python start-up
    and a read of the clean table per model). Each model still fails on its own.
    ``families``: {outcome: "logit" | "ordinal" | "count"} (default logit); ``joint_tests``:
    named groups of covariates tested jointly in every model. ``margins=False``: the
    coefficients, fit, flags and covariance only (no AMEs, predictions, binary cuts or joint tests:
    what an imputed dataset or a specification needs). ``effects``: the effect sizes and which
    covariate is the strongest (:mod:`coprod.pipeline.effectsize`; default: with the margins; or the
    outcomes that need them), the sample's group fixed effects never among them. ``kept``,
    ``prepared``: dicts kept for ``table`` where its model frames are kept (:func:`sample_frame`,
    :func:`fit_result`). ``lean`` (no margins): what a verdict reads (no covariance, flags, sd_x).
    """
    design = typed_design(design, "fit_sample")
    covs, al, frame, domain, failure = sample_frame(table, outcomes, sample, covariates,
                                                    reference_levels, group_effects, kept)
    if built is None:
        built = job_design(table, design, reference_levels)
    if failure is not None:
        return {o: failed_tables(o, sample, failure) for o in outcomes}
    families = families or {}
    return {o: fit_one(frame, al, outcome=o, sample=sample, covs=covs, domain=domain,
                        design=design, built=built, conf_level=conf_level, grids=grids,
                        labels=labels or {}, family=families.get(o, "logit"),
                        joint_tests=joint_tests or {}, margins=margins,
                        effects=wants_effects(effects, o, margins),
                        group=group_of(table), prepared=prepared, lean=lean)
            for o in outcomes}


def sample_frame(table: pd.DataFrame, outcomes: list[str], sample: str, covariates: list[str],
                 reference_levels: dict, group_effects: bool = True, kept: dict | None = None):
    """What the models of a sample share: (covariates with the group's fixed effects, the
    aliases, the aliased model frame, the sample's domain, None) -- or, when the sample has
    no respondents, the failure's message last (logged; the domain then None). ``kept``: a
    dict the caller keeps for this ``table`` (an imputed dataset), where the model frame is
    kept for the next sample with the same columns (every sample's: the group is always one
    of them); nothing changes a model frame once made."""
    covs = sample_covariates(covariates, sample, table, group_effects)
    key = (tuple(outcomes), tuple(dict.fromkeys(c for c in [*covs, group_of(table)] if c)),
           repr(sorted(reference_levels.items())))
    made = None if kept is None else kept.get(key)
    if made is None:
        df = model_frame(table, list(outcomes), covs, reference_levels)
        al = Aliases(df.columns)
        made = (df, al, al.frame(df))
        if kept is not None:
            kept[key] = made
    df, al, frame = made
    try:
        domain = domain_mask(df, sample)
    except ModelError as exc:
        failure = al.restore(str(exc))
        log.error("%s: %s", sample, failure)
        return covs, al, frame, None, failure
    return covs, al, frame, domain, None


def wants_effects(effects: bool | None | Collection[str], outcome: str, margins: bool) -> bool:
    """Whether ``outcome``'s fit computes its effect sizes."""
    if effects is None:
        return margins
    return effects if isinstance(effects, bool) else outcome in effects


def fit_one(frame: pd.DataFrame, al: Aliases, *, outcome, sample, build=None, **kw):
    """One model's tables (``build``: what is made of the fit instead, the tables by default;
    a failure is always the failed tables). A model that cannot be estimated, or an
    unexpected error in one of its steps (the margins, say), marks this model failed, not the
    sample's other models; bad data or config still stops the run."""
    try:
        return (build or _fit_tables)(frame, al, outcome=outcome, sample=sample, **kw)
    except ModelError as exc:
        message = al.restore(str(exc))
    except CoprodError:  # bad data or config: stop the run, as everywhere else
        raise
    except Exception as exc:  # unexpected: the traceback goes to the rule's log
        message = _unexpected(f"{outcome} / {sample}", exc, al)
    log.error("%s / %s: %s", outcome, sample, message)
    return failed_tables(outcome, sample, message, kw.get("family", "logit"))


def _unexpected(what: str, exc: Exception, al: Aliases | None = None) -> str:
    """Log the traceback of an unexpected error and return the one-line message of the failed
    result (model or contrast)."""
    log.error("%s:\n%s", what, traceback.format_exc())
    text = al.restore(str(exc)) if al is not None else str(exc)
    return f"unexpected error: {type(exc).__name__}: {text}"


def fit_result(frame: pd.DataFrame, al: Aliases, *, outcome, covs, domain, design, built,
               conf_level, family="logit", prepared: dict | None = None):
    """One model fitted, before any table is made of it: (the fit, its formula, and the
    frame, options and {variable: n excluded} under the rule of design.incomplete). Why
    apart: the imputed models keep only a few arrays of each imputed dataset's fit
    (:mod:`coprod.pipeline.imputedmodels`). ``prepared``: a dict kept beside ``frame`` where
    the model frame is kept for a fit of other weights (:func:`sample_frame`'s ``kept``)."""
    from ..survey.glm import SvyLogitResult, fit_svy_logit
    from ..survey.ordinal import SvyOlrResult, fit_svy_olr

    formula = build_formula(al[outcome], [al[c] for c in covs], frame)
    given = frame
    frame, built, domain, n_excluded, excluded_by = _incomplete_rule(
        frame, al, [outcome, *covs], built, domain, design)
    opts = {"design": built, "domain": domain, "model_based": design.model_based,
            "conf_level": conf_level}
    # the frame kept only while it is the caller's (not its complete cases, made here)
    kept = prepared if frame is given else None
    res: SvyLogitResult | SvyOlrResult
    if family == "ordinal":
        res = fit_svy_olr(frame, formula, prepared=kept, **opts)
    else:
        res = fit_svy_logit(frame, formula, family=family, prepared=kept, **opts)
    res.stats["n_excluded_missing"] = n_excluded
    return res, formula, frame, opts, excluded_by


def _fit_tables(frame: pd.DataFrame, al: Aliases, *, outcome, sample, covs, domain, design,
                built, conf_level, grids, labels, family="logit", joint_tests=None,
                margins: bool = True, effects: bool = False, group: str = "",
                prepared: dict | None = None, lean: bool = False) -> dict[str, pd.DataFrame]:
    from ..survey.margins import (
        average_marginal_effects,
        ordinal_marginal_effects,
        ordinal_predictions,
        predict_margins,
    )
    from ..survey.ordinal import SvyOlrResult
    from ..survey.termtests import term_tests

    ident = {"outcome": outcome, "sample": sample}
    res, formula, frame, opts, excluded_by = fit_result(
        frame, al, outcome=outcome, covs=covs, domain=domain, design=design, built=built,
        conf_level=conf_level, family=family, prepared=prepared)
    ordinal = family == "ordinal"

    coefs = al.restore_frame(res.tidy())
    coefs = with_term_columns(coefs, labels, coefs["term"].isin(res.cut_names)
                               if isinstance(res, SvyOlrResult) else None)
    coefs["sd_x"] = np.full(len(coefs), np.nan) if lean else column_sd(res, len(coefs))
    stats = res.fit_stats()
    flags = al.restore_frame(pd.DataFrame(res.flags, columns=["flag", "detail"]))
    fit = {**ident, "status": "ok" if not len(flags) else "flagged",
           "message": "; ".join(f"{f}: {d}" for f, d in zip(flags["flag"], flags["detail"])),
           **{k: stats.get(k) for k in FIT_COLUMNS if k in stats},
           "n_flags": len(flags), "family": family}
    vcov = None if lean else front_columns(vcov_long([al.restore(t) for t in res.params.index],
                                                     res.cov.to_numpy()), ident, copy=False)
    fit_table = _one_row(fit, FIT_COLUMNS)
    if not margins:  # an imputed dataset's or a specification's fit: what is combined or judged
        sizes = {"effects": effects_table(res, al, labels, group, ident)} if effects else {}
        return {"coefficients": front_columns(coefs, ident, copy=False), "fit": fit_table,
                **({} if lean else {"flags": front_columns(flags, ident), "vcov": vcov}), **sizes}
    excluded = pd.DataFrame([{**ident, "variable": v, "n_excluded": n}
                             for v, n in excluded_by.items()], columns=EXCLUDED_COLUMNS)

    ame = al.restore_frame(ordinal_marginal_effects(res) if isinstance(res, SvyOlrResult)
                           else average_marginal_effects(res))
    preds = []
    for name, grid in (grids or {}).items():
        grid = {al[k]: v for k, v in grid.items() if k in covs}
        if grid:
            p = al.restore_frame(ordinal_predictions(res, grid) if isinstance(res, SvyOlrResult)
                                 else predict_margins(res, grid))
            p.insert(0, "grid", name)
            preds.append(p)
    groups = {name: [al[v] for v in variables if v in covs]
              for name, variables in (joint_tests or {}).items()}
    tests = al.restore_frame(term_tests(res, {k: v for k, v in groups.items() if v}))
    tests.insert(1, "label", tests["test"].map(lambda t: labels.get(t, t)))
    # the terms of each test as rows of their own (test_terms.csv): no list in a cell
    test_terms = pd.DataFrame([{**ident, "test": t, "term": term}
                               for t, terms in zip(tests["test"], tests["terms"])
                               for term in str(terms).split(";") if term],
                              columns=TEST_TERM_COLUMNS)
    tests = tests.drop(columns="terms")
    # after the AMEs and predictions: their counterfactual averages are the effect sizes'
    # (coprod.survey.margins.averages keeps them for the fit; an ordinal fit's of every category)
    sizes = {"effects": effects_table(res, al, labels, group, ident)} if effects else {}
    cuts = _binary_cuts(res, frame, al, formula, opts, coefs, labels) if ordinal \
        else pd.DataFrame(columns=CUT_COLUMNS)
    predictions = pd.concat(preds, ignore_index=True) if preds else pd.DataFrame({"grid": []})
    return {
        "coefficients": front_columns(coefs, ident),
        "ame": front_columns(ame, ident),
        "predictions": front_columns(predictions, ident),
        "fit": fit_table,
        "flags": front_columns(flags, ident),
        "excluded": excluded,
        "tests": front_columns(tests, ident),
        "test_terms": test_terms,
        "cuts": front_columns(cuts, ident).reindex(columns=CUT_COLUMNS),
        "vcov": vcov,
        **sizes,
    }


def _one_row(values: dict, columns: list[str]) -> pd.DataFrame:
    """``pd.DataFrame([values]).reindex(columns=columns)`` (a column not in ``values``
    empty), built column by column from one-element lists: the same frame at a fraction of
    the cost of a frame of records."""
    import numpy as np

    return pd.DataFrame({c: [values[c]] if c in values else np.array([np.nan])
                         for c in columns})


def effects_table(res, al: Aliases, labels: dict, group: str, ident: dict,
                  arrays=None) -> pd.DataFrame:
    """The fit's effect sizes (the rule of coprod.pipeline.effectrule), real names back, the rows'
    covariance in ``attrs["cov"]``; the group fixed effects are never a candidate.
    ``arrays``: the fit's :func:`coprod.pipeline.effectsize.effect_arrays` (without the group),
    when the caller has them."""
    from .effectsize import covariate_effects

    t = covariate_effects(res, exclude=group_exclusion(al, group), arrays=arrays)
    attrs = dict(t.attrs)
    t = al.restore_frame(t, columns=("variable", "note"))
    t["label"] = [str(labels.get(v, v)) for v in t["variable"]]
    t = front_columns(t, ident, copy=False)
    t.attrs.update(attrs)
    return t


def group_exclusion(al: Aliases, group: str) -> tuple:
    """The (aliased) group column, which is never a candidate of the effect sizes, as their
    ``exclude``; () when the model has no group fixed effects."""
    return (al[group],) if group and group in al.to else ()


def column_sd(res, n_terms: int):
    """Weighted SD of each coefficient's model-matrix column over the model's respondents (the
    scale of x-standardised effects, b x SD(x)); empty for the intercept and cut-points."""
    w = res.w / res.w.sum()
    mean = w @ res.X
    sd = np.sqrt(np.clip(w @ (res.X - mean) ** 2, 0, None))
    names = list(res.params.index)
    out = np.full(n_terms, np.nan)
    for j in range(res.X.shape[1]):
        if names[j] != "Intercept":
            out[j] = sd[j]
    return out


def vcov_long(names: list[str], cov: np.ndarray) -> pd.DataFrame:
    """A covariance matrix of the named coefficients, one row per pair (what joint tests and
    comparisons of coefficients need downstream)."""
    i, j = np.meshgrid(np.arange(len(names)), np.arange(len(names)), indexing="ij")
    return pd.DataFrame({"term": np.asarray(names, dtype=object)[i.ravel()],
                         "term2": np.asarray(names, dtype=object)[j.ravel()],
                         "covariance": np.asarray(cov).ravel()})


def with_term_columns(tidy: pd.DataFrame, labels: dict, cut=None) -> pd.DataFrame:
    """variable, level and label after the term of a tidy table; ``cut`` (a boolean mask)
    marks an ordinal model's cut-points, which belong to no variable."""
    terms = list(tidy["term"])
    cut = [False] * len(terms) if cut is None else list(cut)
    parts = [("", "") if c else term_parts(t) for t, c in zip(terms, cut)]
    tidy.insert(1, "variable", pd.Series([v for v, _ in parts], index=tidy.index, dtype=object))
    tidy.insert(2, "level", pd.Series([lv for _, lv in parts], index=tidy.index, dtype=object))
    tidy.insert(3, "label", [f"Cut-point {t}" if c else term_label(t, labels)
                             for t, c in zip(terms, cut)])
    return tidy


def _binary_cuts(res, frame, al, formula, opts, coefs, labels) -> pd.DataFrame:
    """The check of the proportional-odds assumption a reader can see: the logit model of each
    binary cut of the ordinal outcome ("sometimes or higher", "often or higher", ...) beside
    the ordinal model's one coefficient per covariate."""
    from ..survey.glm import fit_svy_logit
    from .estimable import is_blocking

    code_col = "__cut__"
    rhs = formula.split("~", 1)[1]
    outcome = frame[res.outcome]
    categorical = isinstance(outcome.dtype, pd.CategoricalDtype)
    codes = outcome.cat.codes.to_numpy() if categorical else outcome.to_numpy(dtype=float)
    missing = codes < 0 if categorical else np.isnan(codes)
    keep = ["term", "variable", "level", "label", "estimate", "std_error", "p_value",
            "conf_low", "conf_high", "odds_ratio", "or_conf_low", "or_conf_high", "flag"]
    ordinal = coefs[coefs["variable"] != ""][keep].copy()
    ordinal.insert(0, "cut", "ordinal (all cuts)")
    parts = [ordinal]
    for level in res.levels[1:]:
        at = list(outcome.cat.categories).index(level) if categorical else float(level)
        with np.errstate(invalid="ignore"):
            y = np.where(missing, np.nan, (codes >= at).astype(float))
        try:
            fit = fit_svy_logit(frame.assign(**{code_col: y}), f"{code_col} ~ {rhs}", **opts)
        except ModelError as exc:
            log.warning("binary cut %s or higher: %s", level, al.restore(str(exc)))
            continue
        t = al.restore_frame(fit.tidy())
        t = with_term_columns(t[t["term"] != "Intercept"].copy(), labels)[keep].copy()
        t.insert(0, "cut", f"{level} or higher")
        blocking = [f["flag"] for f in fit.flags if is_blocking(f["flag"])]
        # a separated cut judges no term (coprod.pipeline.estimable): every row says so
        if blocking:
            t.loc[t["flag"].astype(str) == "", "flag"] = blocking[0]
        parts.append(t)
    return pd.concat(parts, ignore_index=True)


def _in(domain, n):
    import numpy as np

    return np.ones(n, bool) if domain is None else np.asarray(domain, dtype=bool)


def _missing_by_variable(frame: pd.DataFrame, al: Aliases, variables: list[str], domain):
    """Rows missing any model variable, and {variable: count} of the sample's respondents
    missing each, in the model's order, those with any (a respondent missing two variables
    counts under both)."""
    import numpy as np

    miss = {v: _isna(frame[al[v]]) for v in variables}
    anym = np.zeros(len(frame), bool)
    for m in miss.values():
        anym |= m
    inside = _in(domain, len(frame))
    counts = {v: int((m & inside).sum()) for v, m in miss.items()}
    return anym, {v: n for v, n in counts.items() if n}


def _isna(col: pd.Series):
    """``col.isna()`` as an array: a Categorical's code -1, a numpy float's NaN read directly
    (pandas' own isna costs more than the test on a survey's rows)."""
    import numpy as np

    if isinstance(col.dtype, pd.CategoricalDtype):
        return col.array.codes < 0
    if isinstance(col.dtype, np.dtype) and col.dtype.kind == "f":
        return np.isnan(col.to_numpy())
    return col.isna().to_numpy()


def _incomplete_rule(frame, al, variables, built, domain, design: DesignSettings):
    """design.incomplete for one model: the respondents of its sample missing one of its
    variables are counted (in all, and by variable) and, under ``drop``, leave the data, the
    design and the domain. Returns (frame, design, domain, excluded, excluded_by)."""
    missing, excluded_by = _missing_by_variable(frame, al, variables, domain)
    n_excluded = int((missing & _in(domain, len(missing))).sum())
    if design.incomplete == "drop" and missing.any():
        frame, built, domain = _complete_cases(frame, built, domain, ~missing)
    return frame, built, domain, n_excluded, excluded_by


def _complete_cases(frame: pd.DataFrame, built, domain, keep):
    """incomplete: drop -- the data, the design (rebuilt on the kept rows, as svydesign on
    complete cases) and the domain, restricted to the rows complete on the model's variables."""
    sub = frame.loc[keep].reset_index(drop=True)
    dom = None if domain is None else domain[keep]
    try:
        design = built.drop_rows(keep)
    except CoprodError as exc:  # e.g. a stratum left with no PSU: this model, not the run
        raise ModelError(f"the design of the complete cases cannot be built: {exc}") from None
    return sub, design, dom


def failed_tables(outcome: str, sample: str, message: str, family: str = "logit"
                  ) -> dict[str, pd.DataFrame]:
    """Tables for a model that could not be estimated: empty results, marked ``failed``."""
    ident = {"outcome": outcome, "sample": sample}
    fit = pd.DataFrame([{**ident, "status": "failed", "message": message, "n_flags": 1,
                         "family": family}])
    return {
        "coefficients": pd.DataFrame(columns=["outcome", "sample", "term"]),
        "ame": pd.DataFrame(columns=["outcome", "sample", "variable"]),
        "predictions": pd.DataFrame(columns=["outcome", "sample", "grid"]),
        "fit": fit.reindex(columns=FIT_COLUMNS),
        "flags": pd.DataFrame([{**ident, "flag": "failed", "detail": message}]),
        "excluded": pd.DataFrame(columns=EXCLUDED_COLUMNS),
        "tests": pd.DataFrame(columns=["outcome", "sample", "test"]),
        "test_terms": pd.DataFrame(columns=TEST_TERM_COLUMNS),
        "cuts": pd.DataFrame(columns=CUT_COLUMNS),
        "vcov": pd.DataFrame(columns=["outcome", "sample", "term", "term2", "covariance"]),
        "effects": pd.DataFrame(columns=EFFECT_COLUMNS),
    }


def front_columns(df: pd.DataFrame, ident: dict, copy: bool = True) -> pd.DataFrame:
    """``df`` with the identifying columns (outcome, sample) first (``copy=False``: its
    columns and attrs not copied, for a table just made)."""
    if not len(df) or not all(isinstance(v, str) for v in ident.values()) \
            or not df.columns.is_unique:
        df = df.copy() if copy else df
        for i, (k, v) in enumerate(ident.items()):
            if k in df.columns:
                df = df.drop(columns=k)
            df.insert(i, k, v)
        return df
    # text identifiers of a table with rows (every model's): one frame of them beside the
    # table, as the inserts would make it (pandas' inserts were most of a small table's cost)
    ids = pd.DataFrame({k: pd.array([v] * len(df), dtype="str") for k, v in ident.items()},
                       index=df.index)
    rest = df.drop(columns=[k for k in ident if k in df.columns]) \
        if any(k in df.columns for k in ident) else df
    out = pd.concat([ids, rest], axis=1)
    out.attrs = deepcopy(df.attrs) if copy else df.attrs  # as DataFrame.copy would
    return out


def contrast_sample(table: pd.DataFrame, *, sample: str, outcomes: list[str],
                    covariates: list[str], reference_levels: dict, design: DesignSettings,
                    conf_level: float = 0.95, labels: dict | None = None,
                    built=None, group_effects: bool = True) -> pd.DataFrame:
    """The individual-vs-collective contrast for one sample, as a tidy table (or a failed row:
    a contrast that cannot be estimated, or an unexpected error in it, must not cost the
    sample's models; bad data or config still stops the run)."""
    design = typed_design(design, "contrast_sample")
    try:
        return _contrast_table(table, sample=sample, outcomes=outcomes, covariates=covariates,
                               reference_levels=reference_levels, design=design,
                               conf_level=conf_level, labels=labels, built=built,
                               group_effects=group_effects)
    except CoprodError:
        raise
    except Exception as exc:
        return _failed_contrast(sample, _unexpected(f"contrast {sample}", exc))


def _failed_contrast(sample: str, message: str) -> pd.DataFrame:
    return pd.DataFrame([{"sample": sample, "status": "failed", "message": message}])


def _contrast_table(table: pd.DataFrame, *, sample, outcomes, covariates, reference_levels,
                    design, conf_level, labels, built, group_effects=True) -> pd.DataFrame:
    from ..survey.contrast import contrast_test

    labels = labels or {}
    covs = sample_covariates(covariates, sample, table, group_effects)
    a, b = outcomes
    id_col = table.attrs.get("id_column")  # None: respondents are rows
    df = model_frame(table, [a, b], covs, reference_levels,
                     extra=(id_col,) if id_col else ())
    al = Aliases(df.columns)
    frame = al.frame(df)
    rhs = build_formula(al[a], [al[c] for c in covs], frame).split("~", 1)[1].strip()
    if built is None:
        built = job_design(table, design, reference_levels)
    try:
        domain = domain_mask(df, sample)
        frame, built, domain, n_incomplete, _ = _incomplete_rule(
            frame, al, [a, b, *covs], built, domain, design)
        tidy, info = contrast_test(
            frame, outcomes=(al[a], al[b]), rhs=rhs, id_col=al[id_col] if id_col else None,
            design=built, domain=domain, conf_level=conf_level)
    except ModelError as exc:
        log.error("contrast %s: %s", sample, al.restore(str(exc)))
        return _failed_contrast(sample, al.restore(str(exc)))
    tidy = al.restore_frame(tidy.copy())
    info = {**info, "difference": al.restore(info["difference"]),
            "flags": [{**f, "detail": al.restore(f["detail"])} for f in info.get("flags", [])]}
    if "term" in tidy.columns:
        tidy.insert(0, "label", tidy["term"].map(lambda t: term_label(t, labels)))
    flags = "; ".join(f"{f['flag']}: {f['detail']}" for f in info.get("flags", []))
    tidy.insert(0, "sample", sample)
    tidy.insert(1, "status", "flagged" if flags else "ok")
    tidy.insert(2, "message", flags)
    tidy["comparison"] = info["difference"]
    tidy["n_respondents"] = info["n_respondents"]
    tidy["n_excluded"] = n_incomplete  # under drop too: the rows left out before the design
    tidy["check_max_rel_coef_diff"] = info["check"]["max_rel_coef_diff"]
    return tidy
