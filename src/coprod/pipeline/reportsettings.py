"""The report stage's settings: the config's ``report`` section (its defaults filled in by
:func:`coprod.pipeline.settings.load_settings`) with its names expanded (samples, outcomes,
tables, figures) and checked against the models, once.

Why its own module: the start-up checks, the workflow (which outputs to expect) and every
report job read the same settings; kept apart from the page and the stage runner they are
parsed by one function and named by two (:func:`figure_names`, :func:`table_names`). The
result is plain (the rules hand it to the report's jobs as params); a job reads it back as a
frozen :class:`ReportSettings`, and a figure job its ``figures`` as a :class:`FigureSettings`.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from .codebook import did_you_mean, empty, freeze, frozen_from, thaw
from .config import slug
from .modelplan import FULL, INTERCEPT_ONLY, NO_MODELS
from .paths import name_error
from .settings import not_binary
from .vocab import POOLED, SYNTHETIC_NOTICE, default_table_title, word

if TYPE_CHECKING:
    from .settings import Models, Settings

#: why report.figures.compare takes only 0/1 outcomes (:func:`coprod.pipeline.settings.not_binary`)
COMPARE_DRAWS = ("the compared pair is drawn side by side as 0/1 outcomes (prevalence, "
                 "odds ratios, predicted probabilities), while ordinal and count outcomes get "
                 "a forest plot of their own (figures/forest_scales)")


#: the Okabe-Ito palette (safe for colour-blind readers): report.figures.palette's default
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
             "#000000")


@dataclass(frozen=True)
class FigureSettings:
    """The resolved ``report.figures`` (:func:`report_settings`) as the figures read them, and
    what a figure is drawn for (``conf_level``, ``subject``, ``weighted``, ``ci``: set by the
    figure job with :meth:`replace`). Defaults: the schema's, and those of a figure drawn
    without settings (a test, a notebook).

    Why typed: the figure functions read a dozen of these keys, each used to be a ``.get``
    with its own default; a job builds the object once from its params
    (:meth:`from_params`), so a misspelt or missing setting fails there, not as a silent
    default in one figure.
    """

    formats: tuple[str, ...] = ("png", "pdf")
    dpi: int = 200
    width: float | str = "full"  # "full" (7 in), "column" (3.5 in) or inches
    font_size: float = 9.0
    titles: bool = True
    palette: tuple[str, ...] = OKABE_ITO
    compare: tuple[str, ...] = ()
    forest_sample: str = POOLED
    group_samples: tuple[str, ...] = ()
    predictions: tuple[Mapping[str, Any], ...] = ()
    scale_outcomes: Mapping[str, str] = field(default_factory=empty)
    notice: str = ""
    per: Mapping[str, float] = field(default_factory=empty)
    reference_rows: bool = False
    conf_level: float = 0.95
    subject: str = "the outcomes"
    weighted: bool = True
    ci: str = "design-based"

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None = None) -> FigureSettings:
        """The settings from their plain form (report.figures as :func:`report_settings`
        resolved it, a rule's params): a key left out or null takes its default; a key the
        figures do not read is an error."""
        if isinstance(params, FigureSettings):
            return params
        return frozen_from(cls, params, "report.figures", "a figure setting")

    def replace(self, **changes: Any) -> FigureSettings:
        """A copy with ``changes`` (the object itself refuses assignment)."""
        return dataclasses.replace(self, **changes)

    def as_params(self) -> dict[str, Any]:
        return {f.name: thaw(getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class TableSettings:
    """The resolved ``report.tables`` (:func:`report_settings`) as the tables job reads them:
    ``models`` the model tables with their samples, outcomes, families and titles expanded;
    ``latex`` report.latex, as :class:`coprod.report.tablelatex.LatexSettings` reads it."""

    digits: int = 2
    stars: bool = False
    models: Mapping[str, Mapping[str, Any]] = field(default_factory=empty)
    notice: str = ""
    per: Mapping[str, float] = field(default_factory=empty)
    latex: Mapping[str, Any] = field(default_factory=empty)

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | None = None) -> TableSettings:
        """The settings from their plain form (a rule's params): a key left out or null takes
        its default; a key the tables do not read is an error."""
        if isinstance(params, TableSettings):
            return params
        return frozen_from(cls, params, "report.tables", "a table setting")


@dataclass(frozen=True)
class ReportSettings:
    """The resolved report settings (:func:`report_settings`), read-only: what the report's
    jobs get back from their params (:meth:`from_params`)."""

    title: str
    subject: str
    findings: str | None
    notice: str
    words: Mapping[str, str]
    per: Mapping[str, float]
    descriptives: Mapping[str, Any]
    figures: Mapping[str, Any]
    tables: Mapping[str, Any]
    #: what is modelled (:mod:`coprod.pipeline.modelplan`): full, intercept or none
    plan: str = FULL

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> ReportSettings:
        """The settings from their plain form (:func:`report_settings`' result, a rule's
        params)."""
        return cls(**{f.name: freeze(params.get(f.name)) for f in fields(cls)
                      if f.name in params or f.default is dataclasses.MISSING})

    def as_params(self) -> dict[str, Any]:
        return {f.name: thaw(getattr(self, f.name)) for f in fields(self)}


def report_settings(settings: Settings, levels: dict | None = None) -> dict:
    """The report section with every name checked against the models and expanded; plain
    dicts and lists (what the rules hand the report's jobs).

    Why here and not in each rule: a table or figure that names an outcome, sample or grid the
    models do not produce should stop the workflow before anything runs, with the key named.
    Titles left out get neutral defaults from ``report.subject``, the codebook's survey name
    and the word for the groups. The default model tables and forest sample (those the user
    did not set: ``settings.report_given``) keep to the samples the models have.
    """
    user = settings.report_given
    r = thaw(settings.report)
    m = settings.models
    r["title"] = r.get("title") or default_title(r["subject"], settings.codebook.survey, m.plan)
    outcomes, samples = m.binary, [str(s) for s in m.samples]
    groups = [s for s in samples if s != POOLED]
    errs = []
    compare = list(r["figures"].get("compare") or m.contrast or outcomes[:2])
    r["figures"]["compare"] = compare
    for o in compare:
        if o not in outcomes:
            errs.append(not_binary("report.figures.compare", o, m.families, COMPARE_DRAWS)
                        or f"report.figures.compare: '{o}' is not one of models.outcomes"
                        f"{did_you_mean(o, outcomes)}")
    fs = r["figures"]
    if "forest_sample" not in (user.get("figures") or {}) and fs["forest_sample"] not in samples:
        fs["forest_sample"] = samples[0]  # the default, pooled, is not modelled
    if fs.get("forest_sample") not in samples:
        errs.append(f"report.figures.forest_sample: '{fs.get('forest_sample')}' is not one of "
                    f"models.samples ({', '.join(samples)})"
                    f"{did_you_mean(fs.get('forest_sample'), samples)}")
    fs["group_samples"] = _expand_samples(fs.get("group_samples"), groups, samples,
                                          "report.figures.group_samples", errs)
    _prediction_specs(fs, m, errs)
    default = (user.get("tables") or {}).get("models") is None
    r["tables"]["models"] = _table_specs(r, m, default, group_word(settings), compare, errs)
    r["plan"] = m.plan
    if m.plan == FULL:  # (intercept-only models have no effects to set side by side)
        _scale_specs(r, m)
    else:
        r["figures"]["scale_outcomes"] = {}
    r["notice"] = SYNTHETIC_NOTICE if settings.data.synthetic else ""
    r["figures"]["notice"] = r["tables"]["notice"] = r["notice"]
    r["tables"]["latex"] = dict(r.get("latex") or {})  # (the tables rule's params carry it)
    r["figures"]["per"] = r["tables"]["per"] = dict(r.get("per") or {})
    for var in r["tables"]["per"]:
        if var not in m.covariates or (levels is not None and levels.get(var)):
            errs.append(f"report.per: '{var}' is not a numeric covariate of models.covariates"
                        f"{did_you_mean(var, list(m.covariates))}")
    desc = r["descriptives"]
    desc["variables"] = list(desc.get("variables") or m.covariates)
    if levels is not None:
        for v in desc["variables"]:
            if v not in levels:
                errs.append(f"report.descriptives.variables: '{v}' is not a column of the clean "
                            f"table{did_you_mean(v, list(levels))}")
    if errs:
        raise ConfigError("\n".join(errs))
    return r


def _prediction_specs(fs: dict, m: Models, errs: list) -> None:
    """report.figures.predictions: one figure per grid by default; every name checked."""
    grids = m.predictions
    if fs.get("predictions") is None:  # one figure per grid whose first variable is modelled
        # (a second variable that is not modelled is left out, not reported: the user did not
        # ask for these figures; models.predictions still computes what it can)
        fs["predictions"] = [{"grid": g, "x": list(spec)[0],
                              "by": list(spec)[1] if len(spec) > 1
                              and list(spec)[1] in m.covariates else None}
                             for g, spec in grids.items() if list(spec)[0] in m.covariates]
    for i, p in enumerate(fs["predictions"]):
        key = f"report.figures.predictions[{i}]"
        if p["grid"] not in grids:
            errs.append(f"{key}.grid: '{p['grid']}' is not a grid of models.predictions"
                        f"{did_you_mean(p['grid'], list(grids))}")
            continue
        for role in ("x", "by"):
            if p.get(role) and p[role] not in grids[p["grid"]]:
                errs.append(f"{key}.{role}: '{p[role]}' is not a variable of grid '{p['grid']}' "
                            f"({', '.join(grids[p['grid']])})")
        for role in ("x", "by"):
            if p.get(role) in grids[p["grid"]] and p[role] not in m.covariates:
                errs.append(f"{key}.{role}: '{p[role]}' is not among models.covariates, so the "
                            "grid has no predictions for it")


def _scale_specs(r: dict, m: Models) -> None:
    """The ordinal and count outcomes of models.outcomes (twin or not) in the report: a forest
    plot of their own (``figures.scale_outcomes``: forest_scales), and a model table of their
    own (``scales``) for those no configured table shows. Their effects are odds ratios of a
    higher category or rate ratios, so they never share a forest plot with the 0/1 outcomes."""
    fam = m.families
    others = [o for o, f in fam.items() if f != "logit"]
    r["figures"]["scale_outcomes"] = {o: fam[o] for o in others}
    shown = {o for t in r["tables"]["models"].values() for o in t["outcomes"]}
    rest = [o for o in others if o not in shown]
    if rest and "scales" not in r["tables"]["models"]:
        sample = r["figures"]["forest_sample"]
        r["tables"]["models"]["scales"] = {
            "samples": [sample], "outcomes": rest, "families": {o: fam[o] for o in rest},
            "title": f"Correlates of {r['subject']} on the survey's own scales (ordinal and "
                     f"count models, {word(sample, r['words'])})"}


def _table_specs(r: dict, m: Models, default: bool, group_label: str, compare: list,
                 errs: list) -> dict:
    """The model tables with samples and outcomes expanded and a title each.

    A table left without samples ("groups" when no group is modelled) is left out; the default
    tables (``default``: report.tables.models not set) keep only the samples the models have.
    ``all`` is
    every outcome of models.outcomes, ordinal and count ones included (``families`` says which
    is which, for the table's note); ``binary`` every 0/1 outcome (a table that stays right
    when a user narrows models.outcomes).
    """
    fam = m.families
    outcomes, samples = list(fam), [str(s) for s in m.samples]
    groups = [s for s in samples if s != POOLED]
    out = {}
    for name, t in (r["tables"].get("models") or {}).items():
        key = f"report.tables.models.{name}"
        bad = name_error(name, key, "results/tables/models_<name>.csv")  # coprod.pipeline.paths
        if bad:
            errs.append(bad)
        value = t.get("samples", [POOLED])
        if default and value != "groups":
            value = [s for s in value if str(s) in samples]
        t["samples"] = _expand_samples(value, groups, samples, f"{key}.samples", errs)
        chosen = t.get("outcomes")
        t["outcomes"] = (outcomes if chosen == "all" else
                         [o for o in outcomes if fam.get(o, "logit") == "logit"]
                         if chosen == "binary" else list(chosen or compare))
        for o in t["outcomes"]:
            if o not in outcomes:
                errs.append(f"{key}.outcomes: '{o}' is not one of models.outcomes"
                            f"{did_you_mean(o, outcomes)}")
        t["families"] = {o: fam.get(o, "logit") for o in t["outcomes"]}
        if t["samples"] and t["outcomes"]:  # (no outcomes: null without a 0/1 outcome)
            t["title"] = t.get("title") or default_table_title(r["subject"], t["samples"],
                                                               group_label, r["words"])
            out[name] = t
    return out


def default_title(subject: str, survey: str | None = None, plan: str = FULL) -> str:
    """The report's title when report.title is null: 'Correlates of <subject>: <survey>';
    with intercept-only models 'Prevalence of <subject>', without models 'Descriptives'
    (:mod:`coprod.pipeline.modelplan`)."""
    head = {NO_MODELS: "Descriptives", INTERCEPT_ONLY: f"Prevalence of {subject}"}.get(
        plan, f"Correlates of {subject}")
    return head + (f": {survey}" if survey else "")


def group_word(settings: Settings) -> str:
    """The word for the groups: groups.label, else the codebook's group_label, else the group
    column's name (coprod.names.group_label)."""
    from ..names import group_label

    return group_label(settings.groups.label, settings.codebook.group_label,
                       settings.groups.column)


def _expand_samples(value, groups, samples, key, errs) -> list[str]:
    if value is None or value == "groups":
        return list(groups)
    out = [str(v) for v in value]
    for s in out:
        if s not in samples:
            errs.append(f"{key}: '{s}' is not one of models.samples{did_you_mean(s, samples)}")
    return out


def figure_names(report: ReportSettings) -> list[str]:
    """Stems of the figures the figures rule makes (results/figures/<stem>.<format>), from the
    resolved report settings (:meth:`ReportSettings.from_params` of :func:`report_settings`):
    the prevalence (the descriptives of the 0/1 outcomes) and, with covariates, the forest
    plots and predictions; an intercept-only run has no effect to draw, a run without models
    no outcome (a figure with nothing in it is never drawn)."""
    fs = report.figures
    binary = bool(fs["compare"])  # no 0/1 outcome (only ordinal or count ones): no figure of
    names = ["prevalence"] if binary else []  # theirs
    if report.plan == FULL:
        names += [f"forest_{slug(fs['forest_sample'])}"] if binary else []
        if fs["group_samples"] and binary:
            names.append("forest_groups")
        if fs.get("scale_outcomes"):
            names.append("forest_scales")
        names += [f"predictions_{p['grid']}" for p in fs.get("predictions") or [] if binary]
    return names + ["cleaning"]


def table_names(report: ReportSettings, contrast: bool = True) -> list[str]:
    """Stems of the tables the tables rule makes (results/tables/<stem>.{csv,data.csv,tex,
    html,json}): the descriptives when there are variables to describe; the model tables, the
    contrast test and the average marginal effects when there are 0/1 outcomes to compare
    (report.figures.compare); with intercept-only models, one table of the prevalence by model
    (prevalence_models) instead."""
    models = report.tables.get("models") or {}
    names = ["descriptives"] if (report.descriptives or {}).get("variables") else []
    if report.plan == NO_MODELS:
        return names + ["cleaning"]
    if report.plan != FULL:
        return names + ["prevalence_models", "cleaning"]
    names += [f"models_{n}" for n, t in models.items() if t.get("samples")]
    ame = ["ame"] if report.figures.get("compare") else []
    return names + (["contrast"] if contrast else []) + ame + ["cleaning"]


def ordinal_outcomes(scales: dict, families: dict) -> list[str]:
    """The ordinal outcomes among models.scales' other measures."""
    return [o for others in scales.values() for o in others if families.get(o) == "ordinal"]


def robustness_names(scales: dict, families: dict) -> dict:
    """Stems of the robustness rule's tables and figure (empty without ``models.scales``).
    Here, beside the report's other names, and not in coprod.report.robustness: the Snakefile
    needs the names, and the report module imports pandas, which no ``snakemake`` command
    should pay for before it knows there is work."""
    if not scales:
        return {"tables": [], "figures": []}
    ordinal = ordinal_outcomes(scales, families)
    return {"tables": ["scales", *[f"cuts_{o}" for o in ordinal]],
            "figures": ["cuts"] if ordinal else []}
