"""The words and numbers the tables, figures and report share: names in words, number formats,
the wording of the variance method, model status, and the group's word.

Why its own module: tables, figures and the report all need them; kept here, none of the three
needs another (no import cycles), and a new variance method is one branch in one place.
"""
from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from .names import GROUP, POOLED  # noqa: F401 (re-exported)

REF = "ref."
#: on every exported figure and table, and in the page title, when config data.synthetic is
#: true: a figure or table copied out of the report still says what it is
SYNTHETIC_NOTICE = ("SYNTHETIC DATA: simulated to demonstrate the method; not findings about "
                    "real people.")
NA = "\u2014"  # an em dash: not estimated / not in this model
MINUS = "\u2212"
STAR_LEVELS = ((0.001, "***"), (0.01, "**"), (0.05, "*"))


def esc(x) -> str:
    """Any value as HTML text: the one escape of every user string the report shows."""
    return html.escape(str(x))


# -- words and model status ------------------------------------------------------------------

def split_outcome(outcome: str) -> tuple[str, str]:
    """``individual_safety`` -> ("individual", "safety"): outcomes are named <kind>_<domain>."""
    kind, _, domain = str(outcome).partition("_")
    return kind, domain


def split_outcomes(outcomes: list[str]) -> dict[str, tuple[str, str]]:
    """(kind, domain) of each outcome, when the outcomes form a kind x domain grid.

    Why a grid test: ``individual_safety`` is kind and domain, but ``will_vote`` is just a name.
    An outcome is split only when its kind and its domain each occur in another outcome too;
    otherwise it is its own kind, with no domain.
    """
    parts = {o: split_outcome(o) for o in outcomes}
    kinds = pd.Series([k for k, d in parts.values() if d], dtype=object).value_counts()
    domains = pd.Series([d for _, d in parts.values() if d], dtype=object).value_counts()
    return {o: (k, d) if d and kinds.get(k, 0) > 1 and domains.get(d, 0) > 1 else (o, "")
            for o, (k, d) in parts.items()}


def word(name, words: dict | None = None, labels: dict | None = None) -> str:
    """Words for a name: the report's own words, then the codebook label, then the name itself."""
    name = str(name)
    for source in (words or {}, labels or {}):
        if name in source:
            return str(source[name])
    return name.replace("_", " ")


def lower_word(text) -> str:
    """A label inside a sentence: 'Region' -> 'region'; 'US state', 'NUTS region' stay."""
    text = str(text)
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def outcome_words(outcome: str, words: dict | None = None, labels: dict | None = None) -> str:
    """Short words for an outcome: 'Individual, any domain' (from <kind>_<domain>)."""
    if words and outcome in words:
        return str(words[outcome])
    kind, domain = split_outcome(outcome)
    if domain and kind in (words or {}):
        return f"{word(kind, words)}, {word(domain, words).lower()}"
    return word(outcome, words, labels)


def model_rows(table: pd.DataFrame, outcome: str, sample) -> pd.DataFrame:
    """The rows of one model (outcome and sample; a sample compared as text, since a CSV may
    read a group code as a number) of a results table with those two columns."""
    if not len(table):
        return table
    want = str(sample)
    mask = [o == outcome and str(s) == want
            for o, s in zip(table["outcome"].to_numpy(dtype=object),
                            table["sample"].to_numpy(dtype=object))]
    return table[np.asarray(mask, dtype=bool)]


def fit_row(fit: pd.DataFrame | None, outcome: str, sample) -> pd.Series | None:
    """One model's row of the fit table, or None (no table, or no such model)."""
    if fit is None or not len(fit):
        return None
    row = model_rows(fit, outcome, sample)
    return row.iloc[0] if len(row) else None


def excluded_pairs(text) -> list[tuple[str, str]]:
    """A fit table's ``excluded_by``, 'age: 12; efficacy: 30' -> [('age', '12'),
    ('efficacy', '30')]; empty for a missing value."""
    if text is None or pd.isna(text):
        return []
    pairs = []
    for part in (p.strip() for p in str(text).split(";")):
        name, _, count = part.rpartition(":")
        if part:
            pairs.append((name.strip() or part, count.strip() if name else ""))
    return pairs


def model_status(fit: pd.DataFrame, outcome: str, sample: str) -> tuple[str, str]:
    """(status, message) of one model; ('missing', ...) when the fit table has no such row."""
    if fit is None or not len(fit):
        return "missing", "no fit statistics"
    r = fit_row(fit, outcome, sample)
    if r is None:
        return "missing", "model not in the results"
    msg = r.get("message", "")
    return str(r["status"]), "" if pd.isna(msg) else str(msg)


# -- the variance method in words ------------------------------------------------------------

def variance_wording(design: dict | None = None) -> dict[str, str]:
    """How the standard errors and intervals were obtained, in words, from the design settings.

    The one place that maps a design to its wording (table notes, figure subtitles, Methods), so
    that a new variance method (replicate weights, say) is one new branch here. Keys: ``ci`` (an
    adjective for confidence intervals), ``stat`` (the test statistic), ``models`` and ``model``
    (what the models are), ``se`` and ``interval`` (phrases for notes), ``methods`` (a sentence).
    """
    d = design or {}
    if d.get("model_based"):
        return {"ci": "model-based", "stat": "z", "models": "logistic regressions",
                "model": "Logistic regression with model-based standard errors",
                "se": "model-based (glm) standard errors",
                "interval": "z-based (normal) intervals",
                "methods": "Model-based (glm) standard errors (design.model_based: true); "
                           "z-based (normal) confidence intervals."}
    conv = d.get("as_replicates") or {}
    if d.get("replicates") or conv:
        kind = d.get("replicate_type") or conv.get("type") or "replicate"
        source = d.get("replicates") or "made from the strata and PSUs, as R's as.svrepdesign"
        centre = ("the full-sample estimate (mse)" if d.get("mse") or conv.get("mse") else
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
    from .designspec import variance_kind

    kind = variance_kind(fpc=bool(d.get("fpc")), ssu=bool(d.get("ssu")))
    return {"ci": "design-based", "stat": "t", "models": "design-based logistic regressions",
            "model": "Design-based logistic regression",
            "se": "Taylor-linearised standard errors",
            "interval": "t-based intervals on the design's degrees of freedom",
            "methods": f"Standard errors by Taylor linearisation ({kind}, as R's "
                       "survey::svyglm); t-based intervals on the design's degrees of freedom "
                       "(PSUs minus strata, less the model's terms)."}


def domain_wording(design: dict | None = None, group: str = "group") -> str:
    """What a group's own model is fitted on, by the design actually used: a domain of the
    full design (design.incomplete: keep), of the complete cases' design (drop), or, with
    design.model_based, a plain glm of the group's respondents (there is no design)."""
    d = design or {}
    if d.get("model_based"):
        return f"the {group}'s respondents alone (a glm with model-based standard errors)"
    if d.get("incomplete") == "drop":
        return "a domain of the design of the complete cases"
    return "a domain of the full design"


def df_wording(design: dict | None = None) -> str:
    """The denominator degrees of freedom of the models' F tests, by the design used."""
    if (design or {}).get("model_based"):
        return "the model's residual degrees of freedom (n minus its terms; glm)"
    return "the design's degrees of freedom"


def missing_note(design: dict | None = None) -> str:
    """Where a respondent missing a model variable goes, in one short clause (the analytic
    sample's note): kept in the design outside the model's domain, or dropped before the
    model's design is built (design.incomplete: drop), or out of a model-based glm."""
    d = design or {}
    if d.get("model_based"):
        return "A respondent missing a model variable leaves that model (a glm of the others)"
    if d.get("incomplete") == "drop":
        return ("A respondent missing a model variable is dropped before that model's design "
                "is built (design.incomplete: drop)")
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


def incomplete_wording(design: dict | None = None) -> str:
    """What happens to respondents missing a model variable (design.incomplete), in words."""
    if (design or {}).get("incomplete") == "drop":
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


def fmt(x, digits: int = 2) -> str:
    """A number for display: a true minus sign (U+2212, as journals set it), no "-0.00"."""
    if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x):
        return NA
    text = f"{float(x):.{digits}f}"
    if text.startswith("-"):
        text = text[1:] if float(text) == 0 else MINUS + text[1:]
    return text


def fmt_ci(est, lo, hi, digits: int = 2) -> str:
    """``1.23 [1.05, 1.44]``. An interval whose end rounds onto the estimate (an odds ratio
    per year of age: 1.03 [1.02, 1.03]) hides its width: up to two more decimals then."""
    if pd.isna(est):
        return NA
    d = digits
    while d < digits + 2 and not (pd.isna(lo) or pd.isna(hi)) and lo < est < hi and \
            (fmt(lo, d) == fmt(est, d) or fmt(hi, d) == fmt(est, d)):
        d += 1
    return f"{fmt(est, d)} [{fmt(lo, d)}, {fmt(hi, d)}]"


def stars(p, use: bool) -> str:
    if not use or p is None or pd.isna(p):
        return ""
    return next((s for cut, s in STAR_LEVELS if p < cut), "")


def fmt_count(x) -> str:
    return NA if pd.isna(x) else f"{float(x):,.0f}"


def fmt_p(p) -> str:
    if pd.isna(p):
        return NA
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def star_note(use: bool, conf_level: float = 0.95, scale: str = "odds ratio") -> str:
    if use:
        return "* p < 0.05, ** p < 0.01, *** p < 0.001."
    null = "1" if scale == "odds ratio" else "0"
    article = "an" if scale[:1] in "aeiou" else "a"
    return (f"No significance stars: read the {conf_level:.0%} confidence intervals "
            f"({article} {scale} interval that excludes {null} is significant at the "
            f"{1 - conf_level:.0%} level).")


def default_table_title(subject: str, samples: list[str], group_label: str,
                        words: dict | None = None) -> str:
    """A model table's title when it has none, from what it measures and its samples."""
    samples = [str(s) for s in samples]
    if samples == [POOLED]:
        return f"Correlates of {subject} (pooled)"
    if POOLED not in samples and len(samples) > 1:
        return f"Correlates of {subject} by {lower_word(group_label)}"
    return f"Correlates of {subject}: " + ", ".join(word(s, words) for s in samples)


def resolve_grouping(grouping: dict | None = None, meta: dict | None = None,
                     config: dict | None = None) -> dict:
    """{column, label, effects} of the groups: from the rule's params, else the clean table's
    metadata and the config; ``effects``: the pooled model has group fixed effects."""
    g, meta, cfg = dict(grouping or {}), meta or {}, config or {}
    gc = cfg.get("groups") or {}
    column = g.get("column") or meta.get("group_column") or gc.get("column") or "group"
    label = g.get("label") or gc.get("label") or meta.get("group_label") or column.capitalize()
    effects = g.get("effects")
    if effects is None:
        effects = (cfg.get("models") or {}).get("group_effects", True)
    return {"column": column, "label": label, "effects": bool(effects)}
