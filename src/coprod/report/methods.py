"""The report's Methods section: data, weighting and design, outcome definitions, models and
software, every sentence read from the config and the codebook.

Why its own module: the Methods follow the design actually used (drop or keep, design-based or
glm, replicate weights, calibration), one branch per choice; kept apart from the page and the
stage runner, a new design option is a sentence here and nowhere else.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from markupsafe import Markup

from ..pipeline.designkeys import DesignSettings
from ..pipeline.effectrule import EFFECT_RULE
from ..pipeline.modelplan import INTERCEPT_ONLY, NO_MODELS
from .pagemodel import Bullets, Heading, Item, Paragraph
from .wording import POOLED, Grouping, esc, resolve_grouping

if TYPE_CHECKING:
    from ..pipeline.codebook import Codebook
    from ..pipeline.settings import Settings


def fixed_effects(grouping: Grouping, n_groups: int, covariates: list[str]) -> bool:
    """Does the pooled model add the group column as fixed effects? (models.group_effects, and
    only with more than one group.)"""
    return bool(grouping.effects) and n_groups > 1 and grouping.column not in covariates


def methods_section(*, settings: Settings, threshold: str, hashes: dict, versions: dict,
                    labels: dict, grouping: Grouping | None = None,
                    weights: dict | None = None) -> tuple[Item, ...]:
    """Data, design, outcomes, models and software, all read from the config and codebook:
    the items of the page's Methods section."""
    from .wording import lower_word

    codebook, design = settings.codebook, settings.design
    grp = resolve_grouping(grouping, {"group_label": codebook.group_label}, settings)
    lab = lambda v: f"{esc(labels.get(v, v))} (<code>{esc(v)}</code>)"  # noqa: E731
    families = settings.models.families
    outcomes = _outcome_closure(list(families), codebook)
    soft = [f"{esc(k)} {esc(v)}" for k, v in versions.items()]
    files_hash = [f"<code>{esc(p)}</code>: <code>{esc(h)}</code>" for p, h in hashes.items()]
    return (
        Heading("Data", "methods-data"),
        _html(f"{esc(codebook.survey if codebook.survey is not None else 'Survey')}. Raw files "
              f"by {esc(lower_word(grp.label))}, mapped to harmonised variables by the "
              "codebook:"),
        _list(_raw_files(codebook.groups)),
        Heading("Weighting and design", "methods-design"),
        _list(_design_items(design, lab, _whole_sample(settings, grp))
              + _calibration_items(design, lab, weights)),
        *(_outcome_items(outcomes, codebook, threshold, labels, families, lab)
          if outcomes else ()),  # (models.outcomes: [] has no outcome to define)
        Heading("Models", "methods-models"),
        _list(_model_items(settings, lab, grp, len(codebook.groups), labels)),
        Heading("Software", "methods-software"), _list(soft),
        Heading("Input files (SHA-256)", "methods-files"), _list(files_hash))


def _outcome_items(outcomes: list[str], codebook: Codebook, threshold: str, labels: dict,
                   families: dict, lab) -> tuple[Item, ...]:
    """The Outcomes heading, the shared threshold and each outcome's definition."""
    threshold_line = _threshold_sentence(outcomes, codebook, threshold)
    return (Heading("Outcomes", "methods-outcomes"),
            *([_html(threshold_line)] if threshold_line else []),
            _list(f"{lab(o)}: "
                  f"{_outcome_definition(o, codebook, threshold, labels, families.get(o))}"
                  for o in outcomes))


def _html(text: str) -> Paragraph:
    """A paragraph of this module's HTML. Safe to pass unescaped: every user string in it
    went through ``esc`` where it was put in (the <code> and <em> around names are ours)."""
    return Paragraph((Markup(text),))


def _list(entries) -> Bullets:
    """A list of this module's HTML entries (escaped where made, as :func:`_html` says)."""
    return Bullets(tuple((Markup(e),) for e in entries))


def _raw_files(groups) -> list[str]:
    """'A: <file>' per group; a file that several groups share once, with its groups."""
    by_file: dict[str, list[str]] = {}
    for g, spec in groups.items():
        by_file.setdefault(str(spec["file"]), []).append(str(g))
    if len(by_file) == len(groups):
        return [f"{esc(gs[0])}: <code>{esc(f)}</code>" for f, gs in by_file.items()]
    return [f"<code>{esc(f)}</code>: {esc(', '.join(gs))}" for f, gs in by_file.items()]


def _calibration_items(d: DesignSettings, lab, weights: dict | None) -> list[str]:
    """The calibration and the weights before and after it (range, sum, Kish's design effect
    due to weighting, 1 + CV^2)."""
    cal = d.calibration
    if not cal:
        return []
    method = {"poststrat": "post-stratification (R's postStratify)",
              "rake": "raking (R's rake)",
              "linear": "linear (GREG) calibration (R's calibrate, calfun linear)",
              "raking": "raking-ratio calibration (R's calibrate, calfun raking)"}[cal.method]
    bounds = (f", with the weight ratio bounded to [{cal.bounds[0]:g}, "
              f"{cal.bounds[1]:g}]" if cal.bounds else "")
    out = [f"Calibrated weights: {method} to the population totals of "
           + ", ".join(lab(v) for v in cal.variables)
           + f" in <code>{esc(cal.totals)}</code>{bounds}"
           + (" (with design.incomplete: drop, each model's complete cases are calibrated to "
              "these totals, as R's calibrate on svydesign(data = na.omit(...)))"
              if d.incomplete == "drop" else "")
           + ". The variance accounts for it ("
           + ("every replicate calibrated anew" if d.replicates else
              "influence values replaced by their residuals from the calibration, as R's "
              "svyrecvar") + ")."]
    if weights:
        b, a = weights["before"], weights["after"]
        fmt = lambda x: f"{x['min']:.4g} to {x['max']:.4g}, sum {x['sum']:.6g}, design effect " \
                        f"due to weighting {x['deff_weighting']:.3f}"  # noqa: E731
        lo, hi = weights["ratio"]
        out.append(f"Weights before calibration: {fmt(b)}; after: {fmt(a)}; new/old weight "
                   f"ratio {lo:.4g} to {hi:.4g}.")
        if cal.bounds and not (cal.bounds[0] - 1e-9 <= lo and hi <= cal.bounds[1]
                                      + 1e-9):
            out.append("The bounds apply to the ratio after the weights were first rescaled to "
                       "the scale of the totals (the totals are more than 20 times the "
                       "weighted sample totals; R's calibrate does the same, with a warning).")
    return out


#: R's default scale of each replicate type (survey::svrepdesign), R the number of replicates
DEFAULT_SCALES = {"BRR": "1/R", "Fay": "1/(R (1 \u2212 rho)\u00b2)", "JK1": "(R \u2212 1)/R",
                  "JKn": "1", "bootstrap": "1/(R \u2212 1)", "successive-difference": "4/R"}


def _default_scale(kind: str | None) -> str:
    rule = DEFAULT_SCALES.get(str(kind))
    return (f"scale {esc(rule)} with R replicates (R's default for the type)" if rule else
            "R's default scale for the type")


def _rscales_words(rscales: tuple[float, ...] | None) -> str:
    """The replicates' multipliers, each when few, else summarised."""
    if not rscales:
        return ""
    values = sorted(set(rscales))
    if len(rscales) == 1 or len(values) == 1:
        return f", rscales {values[0]:.6g} for every replicate"
    if len(rscales) <= 6:
        return ", rscales " + ", ".join(f"{x:.6g}" for x in rscales)
    return (f", rscales for {len(rscales)} replicates from {values[0]:.6g} to "
            f"{values[-1]:.6g} ({len(values)} distinct values)")


def _whole_sample(settings: Settings, grp: Grouping) -> str:
    """The descriptives' rule for the whole sample in words (HTML; empty with one group, which
    gets no such rows: :mod:`coprod.pipeline.descriptives`)."""
    from .wording import lower_word, word

    if len(settings.codebook.groups) < 2:
        return ""
    words = dict((settings.report or {}).get("words") or {})
    group = lower_word(grp.label)
    return (f" Each is also estimated for the whole sample (&ldquo;"
            f"{esc(word(POOLED, words))}&rdquo;) on the whole design, as R's svymean(~y, "
            f"design) and svyciprop, not as an average of the {esc(group)} estimates; with one "
            f"{esc(group)} there is no such row.")


def _design_items(d: DesignSettings, lab, whole: str = "") -> list[str]:
    """The design in words: weights, strata, clusters, corrections, variance, missing values;
    ``whole``: the sentence on the descriptives' whole sample (:func:`_whole_sample`)."""
    from .wording import incomplete_wording, variance_wording

    if d.replicates:
        structure = [f"Replicate weights: {lab(d.replicates)}, type "
                     f"<code>{esc(d.replicate_type)}</code>"
                     + (f", Fay's rho {d.fay_rho:g}" if d.fay_rho is not None else "")
                     + (f", scale {d.replicate_scale:g}" if d.replicate_scale
                        is not None else f", {_default_scale(d.replicate_type)}")
                     + _rscales_words(d.replicate_rscales)
                     + " (they replace strata and clusters)."]
    else:
        structure = [
            f"Strata: {lab(d.strata)}." if d.strata else "No strata.",
            f"Primary sampling units: {lab(d.psu)}." if d.psu
            else "No clusters: each respondent is their own primary sampling unit.",
            *([f"Second-stage units: {lab(d.ssu)}, nested in the primary sampling units."]
              if d.ssu else []),
            *([f"Finite-population correction of the first stage from {lab(d.fpc)} "
               "(population size or sampling fraction per stratum)."] if d.fpc else []),
            *([f"Finite-population correction of the second stage from {lab(d.fpc2)} (per "
               "primary sampling unit)."] if d.fpc2 else []),
            *([f"Strata with a single PSU: <code>{esc(d.lonely_psu)}</code>."]
              if d.strata and d.psu else [])]
    return [
        f"Weights: {lab(d.weights)}." if d.weights else
        "Weights: the inverse sampling fractions given by design.fpc (and design.fpc2)."
        if d.fpc else "Unweighted.",
        *structure,
        esc(variance_wording(d)["methods"]),
        *([] if d.model_based else [
            "Design effects: of a coefficient, its design variance over that of a weighted glm "
            "with estimated dispersion (R's svyglm(deff = TRUE)); of a mean or proportion, its "
            "design variance over that of a simple random sample of the same size drawn "
            + ("with replacement (R's deff = \"replace\")" if d.deff == "replace" else
               "without replacement from a population of the weights' sum (R's deff = TRUE)")
            + "; effective n = n / design effect (for a model, over the mean design effect of "
            "its coefficients)."]),
        f"Respondents missing a variable of a model: {esc(incomplete_wording(d))}; each model "
        "table gives how many were excluded and for which variables.",
        f"Prevalences: intercept-only {esc(variance_wording(d)['ci'])} logistic models per "
        "domain (the logit interval of survey::svyciprop); means: "
        + ("each replicate's weighted mean." if d.replicates else
           "linearised ratio estimator.") + whole,
    ]


def _model_items(settings: Settings, lab, grp: Grouping, n_groups: int, labels: dict
                 ) -> list[str]:
    from .wording import family_phrase, variance_wording, word

    m, d = settings.models, settings.design
    if m.plan == NO_MODELS:
        return ["None: models.outcomes is empty, so no model was fitted; the report describes "
                "the respondents (report.descriptives.variables)."]
    if m.plan == INTERCEPT_ONLY:
        return _intercept_items(settings, grp)
    refs = m.reference_levels
    covs = [lab(c) + (f", reference level <em>{esc(refs[c])}</em>" if c in refs else "")
            for c in m.covariates]
    families = m.families
    pct = f"{float(m.conf_level):.0%}"
    if set(families.values()) == {"logit"}:
        fitted = (f"{variance_wording(d)['model']} of each outcome on the covariates, one model "
                  f"per outcome and sample; odds ratios with {pct} confidence intervals.")
    else:  # the families in words: an ordinal or count outcome is no logistic regression
        model = variance_wording(d)["model"].replace("logistic regression", "regression")
        fitted = (f"{model} of each outcome on the covariates, one model per outcome and "
                  f"sample, by the kind of outcome ({esc(family_phrase(families))}); {pct} "
                  "confidence intervals.")
    items = [
        fitted,
        "Covariates: " + "; ".join(covs) + ".",
        "Samples: " + "; ".join(_sample_phrase(str(s), m.covariates, m.reference_levels, grp,
                                               n_groups, d)
                                for s in m.samples) + ".",
        f'<span id="strongest-rule">{esc(EFFECT_RULE)}</span>',
    ]
    if m.contrast:
        a, b = m.contrast
        items.append(f"Contrast test: for each covariate, the difference between its coefficient "
                     f"for {lab(b)} and for {lab(a)} ({esc(b)} minus {esc(a)}, log-odds), from "
                     "one stacked model with the design's clusters, so that the covariance of a "
                     "respondent's two answers is taken into account.")
    for grid, spec in m.predictions.items():
        items.append(f"Predictions <code>{esc(grid)}</code>: average predicted probabilities at " +
                     "; ".join(f"{esc(word(v, None, labels))} = {esc(', '.join(map(str, vals)))}"
                               for v, vals in spec.items()) + ".")
    return items


def _intercept_items(settings: Settings, grp: Grouping) -> list[str]:
    """The Models items of intercept-only models (models.covariates: []), and the rule of
    their pooled model: no group fixed effects, so that it is the pooled prevalence."""
    from .wording import domain_wording, lower_word, variance_wording

    m, d = settings.models, settings.design
    pct, g = f"{float(m.conf_level):.0%}", esc(lower_word(grp.label))
    model = variance_wording(d)["model"]
    kinds = {"logit": "0/1 outcomes logistic", "ordinal": "ordinal outcomes proportional-odds "
             "(R's svyolr)", "count": "counts quasi-Poisson"}
    if set(m.families.values()) != {"logit"}:
        model = (model.replace("logistic regression", "regression") + " by the kind of "
                 "outcome (" + "; ".join(kinds[f] for f in dict.fromkeys(m.families.values()))
                 + ")")
    samples = [f"pooled: all respondents, without {g} fixed effects (so that it is the "
               f"prevalence in all respondents; with them its intercept would be the reference "
               f"{g}'s), <code>y ~ 1</code>" if str(s) == POOLED else
               f"{esc(s)}: {esc(domain_wording(d, lower_word(grp.label)))}, <code>y ~ 1</code>"
               for s in m.samples]
    return [
        f"Intercept-only models (models.covariates is empty): {esc(model[:1].lower())}"
        f"{esc(model[1:])} of each outcome with no covariate, one model per outcome and "
        "sample.",
        f"Prevalence by model: a 0/1 outcome's share is the inverse logit of the intercept, "
        f"its {pct} interval the inverse logit of the intercept's bounds (the logit interval "
        "of survey::svyciprop); a count outcome's mean is the exponent of the intercept; an "
        "ordinal outcome's share at or above a level is the inverse logit of minus the "
        "cut-point below it.",
        "Samples: " + "; ".join(samples) + ".",
    ]


def _sample_phrase(sample: str, covariates, reference_levels, grp: Grouping, n_groups: int,
                   d: DesignSettings) -> str:
    """'pooled: all respondents, with region fixed effects (reference level A), `y ~ ...`' or
    'A: a domain of the full design, `y ~ ...`': who is in the model and its formula."""
    from .wording import domain_wording, lower_word

    covs, g = list(covariates), esc(lower_word(grp.label))
    if sample != POOLED:
        return f"{esc(sample)}: {esc(domain_wording(d, lower_word(grp.label)))}, " \
            f"{_formula(covs)}"
    ref = (reference_levels or {}).get(grp.column)
    if fixed_effects(grp, n_groups, covs):
        how = f"with {g} fixed effects" + (f" (reference level {esc(ref)})" if ref else "")
        covs.append(grp.column)
    elif n_groups > 1:
        how = f"without {g} fixed effects (models.group_effects: false)"
    else:
        how = f"a single {g}, so no {g} fixed effects"
    return f"pooled: all respondents, {how}, {_formula(covs)}"


def _formula(covariates: list[str]) -> str:
    return f"<code>{esc('y ~ ' + (' + '.join(covariates) or '1'))}</code>"


def _outcome_closure(outcomes: list[str], cb: Codebook) -> list[str]:
    """The modelled outcomes, then the outcomes they are built from (and so on), once each."""
    specs = cb.outcomes
    out = list(outcomes)
    for o in out:  # the list grows while it is read: components of components too
        out += [s for s in (specs.get(o) or {}).get("outcomes", []) if s not in out]
    return out


def _threshold_sentence(outcomes: list[str], cb: Codebook, threshold: str) -> str:
    """The shared threshold, said once, when an outcome built from items uses it."""
    specs = cb.outcomes
    if not any("items" in (specs.get(o) or {}) and "threshold" not in specs[o]
               for o in outcomes):
        return ""
    return (f"An item counts as positive when the answer is <em>{esc(threshold)}</em> or more "
            "(config: cleaning.threshold).")


def _outcome_definition(name: str, cb: Codebook, threshold: str, labels: dict,
                        family: str | None = None) -> str:
    """How an outcome is built, for each kind of docs/codebook_format.md (``family``: the
    model family of models.outcomes, which says what a column of the data is)."""
    o = cb.outcomes.get(name)
    if not o:
        return _column_definition(name, cb, labels, family)
    if o.get("outcomes"):
        subs = ", ".join(esc(labels.get(s, s)) for s in o["outcomes"])
        return (f"1 when any of these is 1: {subs}; 0 when all answered are 0; missing when none "
                "was answered.")
    if o.get("variable"):
        return _levels_definition(o["variable"], o.get("positive") or [], cb)
    if o.get("numeric"):
        from ..pipeline.derive import cut_of

        key, at = cut_of(o)
        var = o["numeric"]
        name = labels.get(var) or cb.variables.get(var, {}).get("label") or var
        return (f"1 when \u201c{esc(name)}\u201d is {key.replace('_', ' ')} {at:g}, 0 when it "
                "is not, missing where it is missing.")
    if o.get("highest_of") or o.get("count_of"):
        parts = o.get("highest_of") or o.get("count_of") or ()
        names = "; ".join(esc(labels.get(p, cb.variables.get(p, {}).get("label", p)))
                          for p in parts)
        if o.get("highest_of"):
            return ("Ordinal: the highest answer given to any of these (missing when none was "
                    f"answered): {names}.")
        return (f"Count: how many of these are <em>{esc(o.get('threshold', threshold))}</em> or "
                f"more (0/1 outcomes: how many are 1), among those answered: {names}.")
    items = []
    for it in o.get("items", []):
        v = cb.variables.get(it, {})
        items.append(f"\u201c{esc(v.get('label', it))}\u201d ({esc(' < '.join(_levels(v)))})")
    own = " (this outcome's threshold)" if "threshold" in o else ""
    return (f"1 when any of these is <em>{esc(o.get('threshold', threshold))}</em> or more{own}, "
            "0 when none is and at least one was answered, missing otherwise: "
            + "; ".join(items) + ".")


def _levels_definition(variable: str, positive, cb: Codebook) -> str:
    """1 when a category is one of the ``positive`` levels, 0 at another level."""
    v = _spec(cb, variable)
    pos = [str(p) for p in positive]
    other = [lv for lv in _levels(v) if lv not in pos]
    name = f"\u201c{esc(v.get('label', variable))}\u201d (<code>{esc(variable)}</code>)"
    return (f"1 when {name} is " + " or ".join(f"<em>{esc(p)}</em>" for p in pos)
            + ", 0 when it is " + (" or ".join(esc(x) for x in other) if other else
                                   "another level")
            + ", missing when it is missing.")


def _column_definition(name: str, cb: Codebook, labels: dict, family: str | None = None
                       ) -> str:
    """An outcome that is a column of the data (or a derived 0/1 indicator): 0/1, ordered
    categories or a count, as models.outcomes declares it."""
    spec = _spec(cb, name)
    if spec.get("indicator"):
        return _levels_definition(spec["indicator"], spec.get("levels") or [], cb)
    kind = {"ordinal": "an ordered column of the data"
                       + (f" ({esc(' < '.join(_levels(spec)))})" if _levels(spec) else ""),
            "count": "a count column of the data"}.get(family or "", "a 0/1 column of the data")
    if spec.get("raw"):
        return f"{kind} (raw column <code>{esc(spec['raw'])}</code>)."
    return f"{kind}."


def _spec(cb: Codebook, name: str):
    return cb.variables.get(name) or cb.derived.get(name) or {}


def _levels(v) -> list[str]:
    return [str(x) for x in v.get("levels") or dict.fromkeys((v.get("codes") or {}).values())]


