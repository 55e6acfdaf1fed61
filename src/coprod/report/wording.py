"""The words and numbers the tables, figures and report share: names in words, number formats,
the wording of the variance method, model status, and the group's word.

Why its own module: tables, figures and the report all need them; kept here, none of the three
needs another (no import cycles), and a new variance method is one branch in one place.
"""
from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..names import GROUP, POOLED  # noqa: F401 (re-exported)
from ..pipeline.designkeys import DesignSettings
from ..pipeline.vocab import (  # noqa: F401 (re-exported: the words the pipeline shares)
    MINUS,
    NA,
    SYNTHETIC_NOTICE,
    default_table_title,
    excluded_pairs,
    fit_row,
    fmt,
    fmt_ci,
    lower_word,
    model_rows,
    model_status,
    outcome_words,
    split_outcome,
    split_outcomes,
    word,
)
from .tablemodel import STAR_LEVELS, star  # noqa: F401 (STAR_LEVELS named here before)

if TYPE_CHECKING:
    from ..pipeline.settings import Settings
    from .tablemodel import Table

REF = "ref."
#: the mark of a term the estimator flagged (separation, a huge coefficient...)
DAGGER = "\u2020"


def esc(x) -> str:
    """Any value as HTML text: the one escape of every user string the report shows."""
    return html.escape(str(x))


# -- words and model status ------------------------------------------------------------------

# -- the variance method in words ------------------------------------------------------------

def variance_wording(design: DesignSettings | None = None) -> dict[str, str]:
    """How the standard errors and intervals were obtained, in words, from the design settings.

    The one place that maps a design to its wording (table notes, figure subtitles, Methods), so
    that a new variance method (replicate weights, say) is one new branch here. Keys: ``ci`` (an
    adjective for confidence intervals), ``stat`` (the test statistic), ``models`` and ``model``
    (what the models are), ``se`` and ``interval`` (phrases for notes), ``methods`` (a sentence).
    """
    d = design or DesignSettings()
    if d.model_based:
        return {"ci": "model-based", "stat": "z", "models": "logistic regressions",
                "model": "Logistic regression with model-based standard errors",
                "se": "model-based (glm) standard errors",
                "interval": "z-based (normal) intervals",
                "methods": "Model-based (glm) standard errors (design.model_based: true); "
                           "z-based (normal) confidence intervals."}
    conv = d.as_replicates
    if d.replicates or conv:
        kind = d.replicate_type or (conv.type if conv else None) or "replicate"
        source = d.replicates or "made from the strata and PSUs, as R's as.svrepdesign"
        centre = ("the full-sample estimate (mse)" if d.mse or (conv and conv.mse) else
                  "the mean of the replicates")
        return {"ci": "design-based", "stat": "t", "models": "design-based logistic regressions",
                "model": "Design-based logistic regression",
                "se": f"{kind} replicate-weight standard errors",
                "interval": "t-based intervals on the replicate design's degrees of freedom",
                "methods": f"Standard errors from {kind} replicate weights "
                           f"({source}; every estimate recomputed with each "
                           f"replicate's weights, deviations from {centre}, as R's "
                           "survey::svrepdesign and svyglm); t-based intervals on the degrees "
                           "of freedom of the replicate weights (their rank minus one, less the "
                           "model's terms)."}
    from ..pipeline.designkeys import variance_words

    kind = variance_words(d)
    return {"ci": "design-based", "stat": "t", "models": "design-based logistic regressions",
            "model": "Design-based logistic regression",
            "se": "Taylor-linearised standard errors",
            "interval": "t-based intervals on the design's degrees of freedom",
            "methods": f"Standard errors by Taylor linearisation ({kind}, as R's "
                       "survey::svyglm); t-based intervals on the design's degrees of freedom "
                       "(PSUs minus strata, less the model's terms)."}


def domain_wording(design: DesignSettings | None = None, group: str = "group") -> str:
    """What a group's own model is fitted on, by the design actually used: a domain of the
    full design (design.incomplete: keep), of the complete cases' design (drop), or, with
    design.model_based, a plain glm of the group's respondents (there is no design)."""
    d = design or DesignSettings()
    if d.model_based:
        return f"the {group}'s respondents alone (a glm with model-based standard errors)"
    if d.incomplete == "drop":
        return "a domain of the design of the complete cases"
    return "a domain of the full design"


def df_wording(design: DesignSettings | None = None) -> str:
    """The denominator degrees of freedom of the models' F tests, by the design used."""
    if (design or DesignSettings()).model_based:
        return "the model's residual degrees of freedom (n minus its terms; glm)"
    return "the design's degrees of freedom"


def missing_note(design: DesignSettings | None = None) -> str:
    """Where a respondent missing a model variable goes, in one short clause (the analytic
    sample's note): kept in the design outside the model's domain, or dropped before the
    model's design is built (design.incomplete: drop), or out of a model-based glm."""
    d = design or DesignSettings()
    if d.model_based:
        return "A respondent missing a model variable leaves that model (a glm of the others)"
    if d.incomplete == "drop":
        return ("A respondent missing a model variable is dropped before that model's design "
                "is built")
    return "A respondent missing a model variable stays in the design (outside the model's domain)"


#: what each model family's ratios are, for Methods and table notes
FAMILY_WORDING = {
    "logit": "0/1 outcomes: logistic regression; odds ratios",
    "ordinal": ("ordinal outcomes: proportional-odds (cumulative logit) model in R's svyolr "
                "parameterisation, logit P(Y \u2264 k) = \u03b6_k \u2212 x\u2032\u03b2, so a "
                "positive coefficient moves respondents to higher categories; odds ratios "
                "(exp \u03b2) of being in a higher category, one for every cut"),
    "count": ("counts: quasi-Poisson (log-linear) model with estimated dispersion, as R's "
              "svyglm(family = quasipoisson); rate ratios (the factor by which the expected "
              "number changes)"),
}


def family_phrase(families: dict[str, str] | list[str] | set[str]) -> str:
    """The model families used, in words ('; '-joined, in logit, ordinal, count order)."""
    kinds = set(families.values()) if isinstance(families, dict) else set(families)
    return "; ".join(FAMILY_WORDING[f] for f in FAMILY_WORDING if f in kinds)


def ratio_word(family: str) -> str:
    """The ratio an effect of a model family is read as (short: an axis title)."""
    return {"count": "Rate ratio"}.get(family, "Odds ratio")


def incomplete_wording(design: DesignSettings | None = None) -> str:
    """What happens to respondents missing a model variable (design.incomplete), in words."""
    if (design or DesignSettings()).incomplete == "drop":
        return ("dropped before the model's design is built (the design is built on the "
                "respondents complete on that model's variables, as R's svydesign on complete "
                "cases; design.incomplete: drop)")
    return ("kept in the design, outside the model's domain (as R's svyglm on a design of all "
            "rows; design.incomplete: keep)")


# -- number formats --------------------------------------------------------------------------

def per_units(coefs: pd.DataFrame, labels: dict, per: dict | None,
              words: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """Coefficients of the numeric covariates in ``per`` ({variable: k}) as effects of k units
    (log-odds and interval times k, odds or rate ratios from them) and their labels saying
    so; the rest unchanged. For display only: the model files stay per unit."""
    if not per or not len(coefs):
        return coefs, labels
    out, labels = coefs.copy(), dict(labels)
    for var, k in per.items():
        rows = (out["variable"] == var) & (out["level"].fillna("").astype(str) == "")
        if not rows.any():
            continue
        for col in ("estimate", "conf_low", "conf_high", "std_error"):
            if col in out.columns:
                out.loc[rows, col] = out.loc[rows, col] * float(k)
        for ratio in (("odds_ratio", "or_conf_low", "or_conf_high"),
                      ("rate_ratio", "rr_conf_low", "rr_conf_high")):
            for col, src in zip(ratio, ("estimate", "conf_low", "conf_high")):
                if col in out.columns:
                    has = rows & out[col].notna()
                    out.loc[has, col] = np.exp(out.loc[has, src])
        labels[var] = f"{word(var, words, labels)}, per {k:g}"
        if "label" in out.columns:
            out.loc[rows, "label"] = labels[var]
    return out, labels


def per_ame(ame: pd.DataFrame, labels: dict, per: dict | None,
            words: dict | None = None) -> tuple[pd.DataFrame, dict]:
    """Average marginal effects of the numeric covariates in ``per`` as effects of k units
    (the average derivative times k, as :func:`per_units` does for the coefficients) and
    their labels saying so; for display only."""
    if not per or not len(ame):
        return ame, labels
    out, labels = ame.copy(), dict(labels)
    for var, k in per.items():
        rows = (out["variable"] == var) & (out["contrast"] == "per unit")
        if not rows.any():
            continue
        for col in ("estimate", "conf_low", "conf_high", "std_error"):
            if col in out.columns:
                out.loc[rows, col] = out.loc[rows, col] * float(k)
        labels[var] = f"{word(var, words, labels)}, per {k:g}"
    return out, labels


def stars(p, use: bool) -> str:
    return star(p) if use and p is not None and not pd.isna(p) else ""


def fmt_count(x) -> str:
    return NA if pd.isna(x) else f"{float(x):,.0f}"


def fmt_p(p) -> str:
    if pd.isna(p):
        return NA
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def star_note(use: bool, conf_level: float = 0.95, scale: str = "odds ratio") -> str:
    if use:
        return "* p < 0.05, ** p < 0.01, *** p < 0.001."
    null = "0" if "difference" in scale else "1"  # a ratio's null is 1, a difference's 0
    article = "an" if scale[:1] in "aeiou" else "a"
    return (f"No significance stars: read the {conf_level:.0%} confidence intervals "
            f"({article} {scale} interval that excludes {null} is significant at the "
            f"{1 - conf_level:.0%} level).")


def num(x: Any) -> float | None:
    """A result file's value as a float (None when missing)."""
    try:
        return None if x is None or pd.isna(x) else float(x)
    except (TypeError, ValueError):
        return None


def marks_note(table: Table | None, *, use_stars: bool, conf_level: float = 0.95,
               scale: str = "odds ratio") -> str:
    """The legends of the marks that occur in ``table`` (all of them without a table): ref.,
    the dash, the dagger, then the stars or how to read the intervals instead."""
    seen = table.occurring() if table is not None else {"ref", "na", DAGGER}
    parts = (["\u201cref.\u201d marks the reference level."] if "ref" in seen else []) + \
        ([f"{NA} = not estimated."] if "na" in seen else []) + \
        ([f"{DAGGER} = the estimator flagged this term."] if DAGGER in seen else [])
    return " ".join([*parts, star_note(use_stars, conf_level, scale=scale)])


@dataclass(frozen=True)
class Grouping:
    """The groups as the report names them: the group column, its word, and whether the pooled
    models have group fixed effects (models.group_effects). Resolved once per job
    (:func:`resolve_grouping`) from the rule's params, else the clean table's metadata and the
    settings; every caption, note and Methods line reads the same three."""

    column: str
    label: str
    effects: bool = True

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None) -> Grouping | None:
        """The rule's ``grouping`` param ({column, label, effects}); None when it has none
        (the job resolves the groups from the clean table)."""
        if params is None or isinstance(params, Grouping):
            return params
        column = str(params["column"])
        return cls(column=column, label=str(params.get("label") or column.capitalize()),
                   effects=bool(True if params.get("effects") is None else params["effects"]))


def resolve_grouping(grouping: Grouping | None = None, meta: dict | None = None,
                     settings: Settings | None = None) -> Grouping:
    """The groups: ``grouping`` when given (the rule's params), else from the clean table's
    metadata and the settings."""
    if grouping is not None:
        return grouping
    meta = meta or {}
    gc = settings.groups if settings is not None else None
    column = meta.get("group_column") or (gc and gc.column) or "group"
    label = (gc and gc.label) or meta.get("group_label") or column.capitalize()
    effects = settings.models.group_effects if settings is not None else True
    return Grouping(column=column, label=label, effects=bool(effects))
