"""The model stage: one design-based logistic model per (outcome, sample), as tidy tables; the
models of a sample are fitted together (:func:`fit_sample`).

A sample is either ``pooled`` (all groups, with group fixed effects) or one group, estimated as a
domain of the full design (the rows of other groups stay in the design, as survey::subset does).
A model that cannot be estimated does not stop the other jobs: its tables say ``failed`` and why.
"""
from __future__ import annotations

import ast
import logging
import re
import traceback

import pandas as pd

from .errors import CoprodError, ModelError
from .formula import Aliases, build_formula, set_reference_levels

log = logging.getLogger("coprod.models")
POOLED = "pooled"
GROUP = "country"

FIT_COLUMNS = ["outcome", "sample", "status", "message", "n", "weighted_n", "events", "clusters",
               "strata", "df_resid", "log_likelihood", "pseudo_r2", "aic", "n_excluded_missing",
               "converged", "flags", "deff_mean", "n_effective"]
_TERM = re.compile(r"^(?P<var>.+?)\[T\.(?P<level>.*)\]$")


def term_parts(term: str) -> tuple[str, str]:
    """``gender[T.woman]`` -> ("gender", "woman"); ``Q('a b')`` -> ("a b", "")."""
    m = _TERM.match(term)
    var, level = (m["var"], m["level"]) if m else (term, "")
    if var.startswith("Q(") and var.endswith(")"):
        var = ast.literal_eval(var[2:-1])
    return var, level


def term_label(term: str, labels: dict) -> str:
    var, level = term_parts(term)
    if var == "Intercept":
        return "Intercept"
    name = labels.get(var, var)
    return f"{name}: {level}" if level else name


def sample_covariates(covariates: list[str], sample: str, table: pd.DataFrame) -> list[str]:
    """Pooled models add group fixed effects when there is more than one group."""
    if sample == POOLED and table[GROUP].nunique() > 1 and GROUP not in covariates:
        return [*covariates, GROUP]
    return list(covariates)


def domain_mask(table: pd.DataFrame, sample: str):
    if sample == POOLED:
        return None
    mask = (table[GROUP].astype(str) == sample).to_numpy()
    if not mask.any():
        raise ModelError(f"sample '{sample}': no respondents in this group")
    return mask


def model_frame(table: pd.DataFrame, outcomes: list[str], covariates: list[str], design: dict,
                reference_levels: dict, extra: tuple = ()) -> pd.DataFrame:
    """The columns the models need, outcomes as float 0/1, reference levels first."""
    from .design import design_columns

    cols = [*outcomes, *covariates, GROUP, *extra, *design_columns(design)]
    df = table[list(dict.fromkeys(cols))].copy()
    for o in outcomes:
        df[o] = df[o].astype("float64")
    # unused levels are kept on purpose: the estimator flags a level empty in a sample
    return set_reference_levels(df, {k: v for k, v in reference_levels.items() if k in df.columns})


def job_design(table: pd.DataFrame, design: dict, reference_levels: dict):
    """The survey design of a job, built once and taken by every model and the contrast (its
    categorical columns ordered as the models order them, so the sums run in the same order)."""
    from .design import design_columns, design_from_config

    cols = list(dict.fromkeys(design_columns(design)))
    df = set_reference_levels(table[cols].copy(),
                              {k: v for k, v in reference_levels.items() if k in cols})
    return design_from_config(df, design)


def fit_model(table: pd.DataFrame, *, outcome: str, sample: str, covariates: list[str],
              reference_levels: dict, design: dict, conf_level: float = 0.95,
              grids: dict | None = None, labels: dict | None = None) -> dict[str, pd.DataFrame]:
    """Fit one model; return its tidy tables (coefficients, ame, predictions, fit, flags)."""
    return fit_sample(table, outcomes=[outcome], sample=sample, covariates=covariates,
                      reference_levels=reference_levels, design=design, conf_level=conf_level,
                      grids=grids, labels=labels)[outcome]


def fit_sample(table: pd.DataFrame, *, outcomes: list[str], sample: str, covariates: list[str],
               reference_levels: dict, design: dict, conf_level: float = 0.95,
               grids: dict | None = None, labels: dict | None = None, built=None
               ) -> dict[str, dict[str, pd.DataFrame]]:
    """Fit every outcome's model in one sample: {outcome: its tidy tables}.

    Why together: the models of a sample share the data, the covariates and the design, so the
    frame is prepared once (one job per sample instead of one per model saves a Python start-up
    and a read of the clean table per model). Each model still fails on its own.
    """
    covs = sample_covariates(covariates, sample, table)
    df = model_frame(table, list(outcomes), covs, design, reference_levels)
    al = Aliases(df.columns)
    frame = al.frame(df)
    if built is None:
        built = job_design(table, design, reference_levels)
    try:
        domain = domain_mask(df, sample)
    except ModelError as exc:
        failure = al.restore(str(exc))
        log.error("%s: %s", sample, failure)
        return {o: failed_tables(o, sample, failure) for o in outcomes}
    return {o: _fit_one(frame, al, outcome=o, sample=sample, covs=covs, domain=domain,
                        design=design, built=built, conf_level=conf_level, grids=grids,
                        labels=labels or {})
            for o in outcomes}


def _fit_one(frame: pd.DataFrame, al: Aliases, *, outcome, sample, **kw
             ) -> dict[str, pd.DataFrame]:
    """One model's tables. A model that cannot be estimated, or an unexpected error in one of
    its steps (the margins, say), marks this model failed, not the sample's other models; bad
    data or config still stops the run."""
    try:
        return _fit_tables(frame, al, outcome=outcome, sample=sample, **kw)
    except ModelError as exc:
        message = al.restore(str(exc))
    except CoprodError:  # bad data or config: stop the run, as everywhere else
        raise
    except Exception as exc:  # unexpected: the traceback goes to the rule's log
        message = _unexpected(f"{outcome} / {sample}", exc, al)
    log.error("%s / %s: %s", outcome, sample, message)
    return failed_tables(outcome, sample, message)


def _unexpected(what: str, exc: Exception, al: Aliases | None = None) -> str:
    """Log the traceback of an unexpected error and return the one-line message of the failed
    result (model or contrast)."""
    log.error("%s:\n%s", what, traceback.format_exc())
    text = al.restore(str(exc)) if al is not None else str(exc)
    return f"unexpected error: {type(exc).__name__}: {text}"


def _fit_tables(frame: pd.DataFrame, al: Aliases, *, outcome, sample, covs, domain, design,
                built, conf_level, grids, labels) -> dict[str, pd.DataFrame]:
    from .margins import average_marginal_effects, predict_margins
    from .survey import fit_svy_logit

    formula = build_formula(al[outcome], [al[c] for c in covs], frame)
    ident = {"outcome": outcome, "sample": sample}
    res = fit_svy_logit(frame, formula, design=built, domain=domain,
                        model_based=design.get("model_based", False), conf_level=conf_level)

    coefs = al.restore_frame(res.tidy())
    parts = coefs["term"].map(term_parts)
    coefs.insert(1, "variable", parts.str[0])
    coefs.insert(2, "level", parts.str[1])
    coefs.insert(3, "label", coefs["term"].map(lambda t: term_label(t, labels)))
    ame = al.restore_frame(average_marginal_effects(res))
    preds = []
    for name, grid in (grids or {}).items():
        grid = {al[k]: v for k, v in grid.items() if k in covs}
        if grid:
            p = al.restore_frame(predict_margins(res, grid))
            p.insert(0, "grid", name)
            preds.append(p)
    predictions = pd.concat(preds, ignore_index=True) if preds else pd.DataFrame({"grid": []})
    stats = res.fit_stats()
    flags = al.restore_frame(pd.DataFrame(res.flags, columns=["flag", "detail"]))
    fit = {**ident, "status": "ok" if not len(flags) else "flagged",
           "message": "; ".join(f"{f}: {d}" for f, d in zip(flags["flag"], flags["detail"])),
           **{k: stats.get(k) for k in FIT_COLUMNS if k in stats and k != "flags"},
           "flags": ";".join(flags["flag"])}
    out = {
        "coefficients": _front(coefs, ident),
        "ame": _front(ame, ident),
        "predictions": _front(predictions, ident),
        "fit": pd.DataFrame([fit]).reindex(columns=FIT_COLUMNS),
        "flags": _front(flags, ident),
    }
    return out


def failed_tables(outcome: str, sample: str, message: str) -> dict[str, pd.DataFrame]:
    """Tables for a model that could not be estimated: empty results, marked ``failed``."""
    ident = {"outcome": outcome, "sample": sample}
    fit = pd.DataFrame([{**ident, "status": "failed", "message": message, "flags": "failed"}])
    return {
        "coefficients": pd.DataFrame(columns=["outcome", "sample", "term"]),
        "ame": pd.DataFrame(columns=["outcome", "sample", "variable"]),
        "predictions": pd.DataFrame(columns=["outcome", "sample", "grid"]),
        "fit": fit.reindex(columns=FIT_COLUMNS),
        "flags": pd.DataFrame([{**ident, "flag": "failed", "detail": message}]),
    }


def _front(df: pd.DataFrame, ident: dict) -> pd.DataFrame:
    df = df.copy()
    for i, (k, v) in enumerate(ident.items()):
        if k in df.columns:
            df = df.drop(columns=k)
        df.insert(i, k, v)
    return df


def gather(frames: list[pd.DataFrame], order: dict | None = None) -> pd.DataFrame:
    """Concatenate per-model tables in a fixed order (so reruns are byte-identical)."""
    frames = [f for f in frames if len(f.columns)]
    if not frames:
        return pd.DataFrame()
    out = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
    return out




def contrast_sample(table: pd.DataFrame, *, sample: str, outcomes: list[str],
                    covariates: list[str], reference_levels: dict, design: dict,
                    conf_level: float = 0.95, labels: dict | None = None,
                    built=None) -> pd.DataFrame:
    """The individual-vs-collective contrast for one sample, as a tidy table (or a failed row:
    a contrast that cannot be estimated, or an unexpected error in it, must not cost the
    sample's models; bad data or config still stops the run)."""
    try:
        return _contrast_table(table, sample=sample, outcomes=outcomes, covariates=covariates,
                               reference_levels=reference_levels, design=design,
                               conf_level=conf_level, labels=labels, built=built)
    except CoprodError:
        raise
    except Exception as exc:
        return _failed_contrast(sample, _unexpected(f"contrast {sample}", exc))


def _failed_contrast(sample: str, message: str) -> pd.DataFrame:
    return pd.DataFrame([{"sample": sample, "status": "failed", "message": message}])


def _contrast_table(table: pd.DataFrame, *, sample, outcomes, covariates, reference_levels,
                    design, conf_level, labels, built) -> pd.DataFrame:
    from .contrast import contrast_test

    labels = labels or {}
    covs = sample_covariates(covariates, sample, table)
    a, b = outcomes
    id_col = table.attrs.get("id_column", "respondent_id")
    df = model_frame(table, [a, b], covs, design, reference_levels, extra=(id_col,))
    al = Aliases(df.columns)
    rhs = build_formula(al[a], [al[c] for c in covs], al.frame(df)).split("~", 1)[1].strip()
    try:
        tidy, info = contrast_test(
            al.frame(df), outcomes=(al[a], al[b]), rhs=rhs, id_col=al[id_col],
            design=built if built is not None else job_design(table, design, reference_levels),
            domain=domain_mask(df, sample), conf_level=conf_level)
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
    tidy["n_excluded"] = info["n_excluded"]
    tidy["check_max_rel_coef_diff"] = info["check"]["max_rel_coef_diff"]
    return tidy
