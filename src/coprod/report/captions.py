"""The words under and behind each figure: its caption (what it means) and its alt text (what it
looks like, for readers who cannot see it), and the phrases they share (which models, which
unit).

Why apart from the stage: the captions are text generation, tested on their own and changed by
writers; the stage (:mod:`coprod.report.report`) only assembles them.
"""
from __future__ import annotations

from collections.abc import Mapping

from ..pipeline.designkeys import DesignSettings
from .methods import fixed_effects
from .wording import POOLED, Grouping, word

FIGURE_CAPTIONS = {
    "prevalence": "Prevalence of {subject}: the {weighted}share of {unit} with each "
                  "outcome{by_group}, with {pct} {ci} confidence intervals (logit intervals, as "
                  "survey::svyciprop).",
    "forest": "Odds ratios of the {models}{side_by_side}; one row per covariate level, "
              "{references}.",
    "forest_groups": "Odds ratios of the models of each {group} ({domain}), each panel on an "
                     "axis of its own (compare positions against the line at 1, not across "
                     "panels); {references}.",
    "forest_scales": "The ordinal and count outcomes of the {models}: odds ratios of being in a "
                     "higher category (proportional-odds models) and rate ratios (quasi-Poisson "
                     "models), one row per covariate level, {references}.",
    "predictions": "Average predicted probabilities along one covariate from the {models}, with "
                   "{pct} confidence bands (every respondent's prediction with the covariate set "
                   "to each value, averaged{with_weights}).",
    "cleaning": "The cleaning flow: rows read, dropped by reason and kept, per {group} (details "
                "in {log}).",
}


#: what each figure looks like, for readers who cannot see it (the caption says what it means);
#: :func:`figure_about` puts before it what this figure shows (which outcomes, sample, variable)
FIGURE_ALT = {
    "prevalence": "Dot chart: for each outcome{by_group}, a dot at the share of {unit} with it "
                  "and a line for its confidence interval, the share written beside it.",
    "forest": "Dot-and-whisker chart: one row per covariate level, grouped by covariate; for "
              "each outcome a dot at the odds ratio and a horizontal line for its interval, on "
              "a logarithmic axis with a vertical line at 1 (no association).",
    "forest_scales": "Dot-and-whisker chart, one panel per outcome: one row per covariate "
                     "level, a dot at the odds ratio (ordinal outcomes) or rate ratio (counts) "
                     "and a horizontal line for its interval, on a logarithmic axis with a "
                     "vertical line at 1.",
    "forest_groups": "Dot-and-whisker charts, one panel per {group}, each on a logarithmic "
                     "axis of its own: odds ratios with their intervals for every covariate "
                     "level, a circle for the first outcome and a square for the second.",
    "predictions": "Line chart: the predicted probability (vertical axis) along one covariate "
                   "(horizontal axis), a line with a shaded confidence band for each group "
                   "compared, each line in its own style and named at its end.",
    "predictions_categories": "Dot-and-whisker chart: the predicted probability (vertical axis) "
                              "at each category of one covariate (horizontal axis), a dot with "
                              "a vertical line for its interval for each group compared, side "
                              "by side.",
    "cleaning": "Bar chart per {group}: rows read, dropped by reason and kept.",
    "cuts": "Dot-and-whisker chart: for each covariate, the odds ratio of every binary cut of "
            "the scale and of the ordinal model, on a logarithmic axis.",
    "spec": "Two panels: above, every specification's estimate as a dot with its interval, "
            "sorted from lowest to highest, its verdict told by the dot's shape and colour; "
            "below, a grid of marks showing the choices each specification made.",
}


def figure_alt(name: str, group_label: str = "group", n_groups: int = 2,
               unit: str = "respondents", categorical: bool = False, about: str = "") -> str:
    """What the figure looks like; ``about`` (:func:`figure_about`) first says what this one
    shows, so that no two figures of a report share an alt text (issue 27: six did)."""
    from .wording import lower_word

    key = ("spec" if name.startswith("spec_") else name
           if name in ("forest_groups", "forest_scales")
           else "forest" if name.startswith("forest") else "predictions_categories"
           if name.startswith("predictions") and categorical else "predictions"
           if name.startswith("predictions") else name)
    group = lower_word(group_label)
    shape = FIGURE_ALT.get(key, "A chart.").format(
        group=group, unit=unit, by_group=f" and {group}" if n_groups > 1 else "")
    return f"{about.rstrip('.')}. {shape}" if about else shape


def figure_about(name: str, figures: Mapping, *, subject: str = "the outcomes",
                 words: Mapping | None = None, labels: Mapping | None = None,
                 group_label: str = "group", claim: str = "") -> str:
    """What one figure shows, in words: its outcomes, sample, variables or claim
    (``figures``: report.figures as resolved; ``claim``: a specification curve's claim)."""
    from .wording import lower_word, outcome_words

    w, lab = dict(words or {}), dict(labels or {})

    def joined(items) -> str:
        items = list(items)
        return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)

    outcomes = joined(outcome_words(o, w, lab) for o in figures.get("compare") or [])
    sample = word(str(figures.get("forest_sample", POOLED)), w)
    group = lower_word(group_label)
    if name.startswith("spec_"):
        return f"Specification curve of the claim: {claim}" if claim else \
            f"Specification curve {name.removeprefix('spec_')}"
    if name == "prevalence":
        return f"Prevalence of {subject} by {group}"
    if name == "cleaning":
        return f"Rows kept and dropped in cleaning, by {group}"
    if name == "cuts":
        return f"Odds ratios at each cut of the ordinal outcomes, {sample}"
    if name == "forest_groups":
        samples = [word(str(x), w) for x in figures.get("group_samples") or []]
        return (f"Odds ratios of {outcomes} in each {group}"
                + (f" ({joined(samples)})" if samples else ""))
    if name == "forest_scales":
        scales = joined(outcome_words(o, w, lab) for o in figures.get("scale_outcomes") or {})
        return f"Odds and rate ratios of {scales}, {sample}"
    if name.startswith("forest"):
        return f"Odds ratios of {outcomes}, {sample}"
    if name.startswith("predictions_"):
        grid = name.removeprefix("predictions_")
        spec = next((p for p in figures.get("predictions") or [] if p["grid"] == grid), None)
        if spec is None:
            return f"Predicted probability of {outcomes}, {sample}"
        by = spec.get("by")
        x = lower_word(word(spec["x"], w, lab))
        return (f"Predicted probability of {outcomes} along {x}, {sample}"
                + (f", a line per {lower_word(word(by, w, lab))}" if by else
                   ", a line per outcome"))
    return ""


def figure_caption(name: str, group_label: str = "Group", pct: str = "95%",
                   subject: str = "the outcomes", weighted: bool = True, *,
                   ci: str = "design-based", models: str = "pooled models", n_groups: int = 2,
                   n_outcomes: int = 2, log: str = "results/clean/cleaning_log.csv",
                   unit: str = "respondents", domain: str = "a domain of the full design",
                   reference_rows: bool = False, whole: str = "") -> str:
    """A figure's caption: ``models`` names the models of the forest and prediction figures
    (:func:`models_phrase`); with one group, the prevalence is not 'by group';
    ``reference_rows`` (report.figures.reference_rows) says how the reference levels show;
    ``whole``: the word for the whole sample, whose prevalence is shown beside the groups'
    (with two or more groups)."""
    from .wording import lower_word

    key = (name if name in ("forest_groups", "forest_scales") else "forest"
           if name.startswith("forest") else "predictions" if name.startswith("predictions")
           else name)
    group = lower_word(group_label)
    return FIGURE_CAPTIONS.get(key, name).format(
        group=group, pct=pct, subject=subject, weighted="weighted " if weighted else "", ci=ci,
        unit=unit, domain=domain,
        references="reference levels as open circles at 1" if reference_rows
        else "each level against its reference level (named in its row)",
        models=models, log=log,
        by_group=(f", by {group}" + (f" and in {lower_word(whole)}" if whole else ""))
        if n_groups > 1
        else "",
        with_weights=" with the survey weights" if weighted else "",
        side_by_side=", the outcomes side by side" if n_outcomes > 1 else "")


def unit_word(words: Mapping | None) -> str:
    """What the rows are, in the plural (report.words.respondents: schools, households...)."""

    return word("respondents", dict(words) if words is not None else None)


def models_phrase(sample: str, grouping: Grouping, n_groups: int, covariates: list[str],
                  words: dict | None = None, design: DesignSettings | None = None) -> str:
    """'pooled models (with region fixed effects)', or 'models of X (a domain of the full
    design)' (the design used: :func:`coprod.report.wording.domain_wording`), for captions."""
    from .wording import domain_wording, lower_word

    g = lower_word(grouping.label)
    if sample != POOLED:
        return f"models of {word(sample, words)} ({domain_wording(design, g)})"
    if fixed_effects(grouping, n_groups, covariates):
        return f"pooled models (with {g} fixed effects)"
    return f"pooled models (without {g} fixed effects)" if n_groups > 1 else "pooled models"
