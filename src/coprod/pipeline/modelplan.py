"""What a run models: the full models, intercept-only models (``models.covariates: []``) or
none at all (``models.outcomes: []``), and the keys set aside when there is nothing for them
to act on.

Why: an empty list is a question of its own. ``models.outcomes: []`` asks for the descriptives
and a report of them; ``models.covariates: []`` for each outcome's prevalence (mean count, or
shares at or above each level) by model, with its design-based interval. Many keys name the
outcomes or covariates, or default from them: the contrast test, the scales, the joint tests
and prediction grids, the imputation, the specification curve, the claims, the effects per so
many units. Refusing each in turn would send the user through the config key by key for a
question they did not ask; instead the keys with nothing to act on are set aside once, at
start-up, in the config every rule reads (:func:`aside_keys`, which the loader applies), and
each one the config had set is named: one note on the console, the same words in the report.
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

#: the plans: every model; intercept-only models (no covariates); no model (no outcome)
FULL, INTERCEPT_ONLY, NO_MODELS = "full", "intercept", "none"

#: the per-model result tables (results/models/<table>.csv) each plan writes: an intercept-only
#: model has no covariate for average marginal effects, predictions, joint tests, binary cuts or
#: effect sizes, so those files are not written at all (rather than written empty)
MODEL_TABLES = {
    FULL: ("coefficients", "ame", "predictions", "fit", "flags", "excluded", "tests",
           "test_terms", "cuts", "vcov", "effects"),
    INTERCEPT_ONLY: ("coefficients", "fit", "flags", "excluded", "vcov"),
    NO_MODELS: (),
}

def _off(value):
    """A key's value that does nothing, whatever it was (a fresh copy each time: the config
    is changed in place)."""
    return lambda old: copy.deepcopy(value)


def _no_dimensions(spec):
    """The specification curve with no dimension: how a curve would be run stays."""
    return {k: v for k, v in (spec or {}).items() if k in ("imputations", "chunks")}


#: the keys set aside under each plan that is not the full one: (path of the key, the
#: function giving its value that does nothing from its value, what it would have done: the
#: words of the note; "": set, never named), in the order the note names them
_ASIDE: tuple[tuple[tuple[str, ...], Callable[[Any], Any], str], ...] = (
    (("models", "contrast"), _off(None), "the contrast test"),
    (("models", "scales"), _off({}), "the robustness section"),
    (("models", "joint_tests"), _off({}), "the joint tests"),
    (("models", "predictions"), _off({}), "the predicted probabilities"),
    (("imputation", "analyses"), _off("complete_case"), "multiple imputation"),
    (("specifications",), _no_dimensions, "the specification curve"),
    (("report", "findings"), _off(None), "the claims check"),
    (("report", "per"), _off({}), "effects per so many units"),
    (("report", "tables", "models"), _off({}), "the model tables"),
    (("report", "figures", "compare"), _off(None), "the compared pair"),
    (("report", "figures", "predictions"), _off([]), "the prediction figures"),
    # y ~ 1 on all respondents is the pooled prevalence; y ~ group, the reference group's
    (("models", "group_effects"), _off(False), ""),
)
#: the keys each plan keeps: without covariates the compared pair still picks the
#: prevalence figure's outcomes (the descriptives); without outcomes the pooled model's
#: group effects are moot
_KEPT: dict[str, set[tuple[str, ...]]] = {INTERCEPT_ONLY: {("report", "figures", "compare")},
         NO_MODELS: {("models", "group_effects")}}


def plan_of(models: Mapping[str, Any] | Any) -> str:
    """The plan of a ``models`` section (a mapping, or :class:`coprod.pipeline.settings.Models`):
    no outcome is no model, no covariate intercept-only models."""
    get = models.get if isinstance(models, Mapping) else lambda k: getattr(models, k, None)
    if not list(get("outcomes") or []):
        return NO_MODELS
    return INTERCEPT_ONLY if not list(get("covariates") or []) else FULL


def model_tables(plan: str) -> list[str]:
    """The result tables of each model under ``plan`` (:data:`MODEL_TABLES`)."""
    return list(MODEL_TABLES[plan])


def aside_keys(plan: str) -> list[tuple[tuple[str, ...], Callable[[Any], Any], str]]:
    """The keys ``plan`` sets aside (none under the full plan): [(path of the key, the
    function giving its value that does nothing, what it would have done)]. The loader
    (:func:`coprod.pipeline.settings.load_settings`) sets each in the filled config every rule
    reads, and names those the config had set (:func:`acts`)."""
    if plan == FULL:
        return []
    kept: set[tuple[str, ...]] = _KEPT.get(plan, set())
    return [k for k in _ASIDE if k[0] not in kept]


def acts(value, off) -> bool:
    """Was a key set to something that would act (not null or empty, not what does nothing)?"""
    if value is None or (isinstance(value, (list, dict, str)) and not value):
        return False
    return value != off


def plan_note(plan: str, said: list[tuple[str, str]]) -> str:
    """The start-up note of a run that is not the full plan (the report says the same)."""
    if plan == FULL:
        return ""
    head = ("models.outcomes is empty: no model is fitted; the run describes the respondents "
            "(report.descriptives.variables) and the report says so" if plan == NO_MODELS else
            "models.covariates is empty: intercept-only models (y ~ 1), each outcome's "
            "prevalence (a count's mean, an ordinal outcome's shares) by sample, the pooled "
            "one without group fixed effects")
    if not said:
        return head
    return head + "; set aside, with nothing to act on: " + ", ".join(
        f"{key} ({what})" for key, what in said)


#: models.jobs: auto fits every sample in one job while the raw files total at most this many
#: bytes (about 30,000 respondents as SPSS files, 60-70 bytes a respondent)
TOGETHER_BYTES = 2 * 2 ** 20


def fit_together(jobs: str, raw_sizes: list[int]) -> bool:
    """Whether one job fits every sample's models (config ``models.jobs``), given the sizes in
    bytes of the raw files.

    Why: a job costs ~0.5 s before any work (Python, pandas, the survey engine, reading the
    table and building the design), a sample's models on a survey of a few thousand
    respondents about as much again; with one job a sample, the start-ups were a third of the
    models' CPU on the bundled data, on the same two cores as everything else. On a large
    survey a sample's models take seconds to minutes, and one job a sample runs them in
    parallel (on a cluster, one submission each): ``auto`` takes one job up to
    :data:`TOGETHER_BYTES` of raw data, one a sample above. The raw files' size is what is
    known when Snakemake builds its jobs (before cleaning), and it grows with the rows."""
    if jobs == "together":
        return True
    if jobs == "per_sample":
        return False
    return sum(raw_sizes) <= TOGETHER_BYTES

