"""The report stage: the one-file HTML report, from the result tables (its settings in
:mod:`coprod.pipeline.reportsettings`, its sections in :mod:`coprod.report.sections`, the page
as data in :mod:`coprod.report.pagemodel` and its template in :mod:`coprod.report.page`, its
Methods in :mod:`coprod.report.methods`, its answer box in :mod:`coprod.report.answer`).

Why one self-contained file: a reader must be able to open it offline, mail it or archive it, and
see the same thing years later. Figures are embedded as base64 PNG, the CSS is inline, and there
are no scripts or links to anything outside the file. Everything in it is derived from the
results, the config and the codebook, so two runs on the same inputs differ only in the one
element that holds the run date (``<p id="run-date">``).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from markupsafe import Markup

from ..pipeline.designkeys import weighted as is_weighted
from ..pipeline.io import table_meta
from ..pipeline.modelplan import FULL
from ..pipeline.reportsettings import (  # noqa: F401 (the settings, named here since they lived here)
    ReportSettings,
    default_title,
    figure_names,
    group_word,
    report_settings,
    table_names,
)
from ..pipeline.settings import Settings, thaw
from .captions import (  # noqa: F401 (FIGURE_CAPTIONS, FIGURE_ALT named here too)
    FIGURE_ALT,
    FIGURE_CAPTIONS,
    figure_about,
    figure_alt,
    figure_caption,
    models_phrase,
    unit_word,
)
from .intercepts import TABLE as INTERCEPTS_TABLE
from .intercepts import plan_answer
from .methods import methods_section as methods_items
from .page import render
from .pagemodel import Figure, Inline, Page, Section, TableBlock, Xref, parts, stack_rows
from .provenance import SOFTWARE, run_date_now, sha256, software_versions  # noqa: F401
from .sections import (
    answer_section,
    cleaning_section,
    figures_section,
    findings_section,
    imputation_section,
    methods_section,
    overview_section,
    robustness_section,
    specifications_section,
    tables_section,
)
from .tablefiles import read_table
from .tablehtml import table_html
from .tablemodel import Table
from .wording import (  # noqa: F401 (POOLED, default_table_title re-exported)
    POOLED,
    SYNTHETIC_NOTICE,
    Grouping,
    default_table_title,
    lower_word,
    resolve_grouping,
    word,
)

log = logging.getLogger("coprod.report.report")
# -- page items -------------------------------------------------------------------------------

def figure_item(name: str, png: bytes, caption: str, files: Sequence[tuple[str, str]] = (),
                alt: str | None = None) -> Figure:
    """A figure of the page (the PNG embedded: the page stays self-contained); ``files``
    [(format, relative path)]; ``alt`` describes what the figure shows (default
    :func:`figure_alt` of its name)."""
    return Figure(name, png, caption, alt or figure_alt(name), tuple(files))


def table_item(name: str, table_html: str, caption: str, notes: Sequence[str] = (),
               files: Sequence[tuple[str, str]] = (), *, wide: bool = False,
               stack: tuple = ()) -> TableBlock:
    """A table of the page from its ``<table>`` element (``tablehtml.table_html``), caption and
    notes (plain text). The element passes unescaped, marked here, once: its renderer escapes
    every text in it."""
    return TableBlock(name, Markup(table_html), caption, tuple(n for n in notes if n), tuple(files),
                 wide=wide, stack=stack)


def model_table_item(t: Table, files: Sequence[tuple[str, str]] = (), *, notice: str = "",
                     notes: Sequence[str] | None = None, stacked: bool = False) -> TableBlock:
    """A table model (:mod:`coprod.report.tablemodel`, as the tables rules wrote it in JSON, or
    built here) as a page table: the ``<table>`` element from :mod:`coprod.report.tablehtml`,
    its caption, the notice and its notes (``notes``: instead of its own), and on a phone one
    card per row when ``stacked``."""
    said = (notice, *(t.notes if notes is None else notes))
    return table_item(t.name, table_html(t), t.caption, said, files,
                      wide=len(t.columns) > 6, stack=stack_rows(t) if stacked else ())


FILE_LABELS = {"png": "PNG", "pdf": "PDF", "svg": "SVG", "csv": "CSV",
               "data.csv": "tidy CSV", "tex": "LaTeX", "html": "HTML", "json": "JSON"}


def sibling_files(path, base) -> list[tuple[str, str]]:
    """[(format, path relative to ``base``)] of the files beside ``path`` with its stem (the
    formats one rule wrote), the given one first."""
    import os

    p = Path(path)

    def kind(q: Path) -> str:  # "csv", "data.csv", "png"...: the name after the stem
        return q.name[len(p.stem) + 1:]

    found = sorted((q for q in p.parent.glob(f"{p.stem}.*") if kind(q) in FILE_LABELS
                    and q != p), key=lambda q: list(FILE_LABELS).index(kind(q)))
    return [(FILE_LABELS[kind(q)], os.path.relpath(q, base).replace(os.sep, "/"))
            for q in [p, *found] if q.exists()]


# -- the lines that lead the findings check and the models overview -------------------------

def _contrast_lines(contrast: pd.DataFrame | None) -> list[str]:
    """The contrast tests that failed or were flagged (their rows say why), by sample."""
    if contrast is None or not len(contrast) or "status" not in contrast.columns:
        return []
    by = contrast.groupby(contrast["sample"].astype(str), sort=False)["status"].first()
    failed = [s for s, st in by.items() if st == "failed"]
    flagged = [s for s, st in by.items() if st == "flagged"]
    if not (failed or flagged):
        return []
    said = ([f"failed in {', '.join(failed)}"] if failed else []) + (
        [f"flagged in {', '.join(flagged)}"] if flagged else [])
    return [f"Contrast test: {' and '.join(said)} (see the contrast table)."]


def _claim_lines(checked) -> list[tuple[Inline, ...]]:
    if checked is None or not len(checked):
        return []
    from ..pipeline.findings import VERDICTS

    counts = checked["verdict"].value_counts()
    said = [f"{int(counts.get(v, 0))} {v}" for v in VERDICTS if counts.get(v, 0)]
    out = [parts(f"Claims checked: of {len(checked)}, " + ", ".join(said),
                 Xref("table-findings"), ".")]
    doubtful = ["contradicted", "inconclusive", "different", "not estimated"]
    for _, r in checked[checked["verdict"].isin(doubtful)].iterrows():
        out.append((f"{r['verdict'].capitalize()}: {r['claim']}",))
    return out


def run_report(*, settings: Settings, prevalence, coefficients, fit, figures: dict,
               tables: dict, cleaning_table, clean_table, hashed: list, output,
               report: ReportSettings | None = None, findings_checked=None,
               findings_table=None, grouping: Grouping | None = None,
               run_date: str | None = None, contrast=None, robustness_tables=(),
               robustness_figures=(), cuts=None, imputation_table=None,
               spec_figures=(), ame=None, cleaning_summary=None, effects=None,
               weights: dict | None = None, excluded=None, set_aside=()) -> None:
    """The report_html rule: read the results and write results/report.html.

    ``excluded``: who each model excluded for which missing variable (excluded.csv; without
    it the analytic sample's table gives the counts only). Without models
    (models.outcomes: []) ``coefficients`` and ``fit`` are None, without 0/1 outcomes
    ``prevalence``; ``set_aside``: [(key, what it would have done)] of the keys an empty
    models.outcomes or models.covariates set aside (:mod:`coprod.pipeline.modelplan`), said in
    the answer box.
    ``weights``: the weights before and after calibration, as the pipeline summarises them
    (:func:`coprod.pipeline.designconfig.design_weights`, which the rule's adapter runs; None
    without calibration): the report draws what the pipeline computed.

    ``report``: the resolved report settings the start-up checks made (the rule's params),
    else resolved here from ``settings``. Without ``findings_table`` and ``findings_checked``
    (report.findings null) the report has no findings section; ``grouping`` ({column, label,
    effects}) defaults to the clean table's metadata and the config. The sections, in the
    order a reader meets them: the answer, the findings check, the figures and tables, then
    the robustness and appendix sections, collapsed (:mod:`coprod.report.sections`).
    """
    from ..pipeline.codebook import labels as codebook_labels
    from ..pipeline.io import read_results, write_text

    cb = settings.codebook
    rs = report if report is not None else ReportSettings.from_params(report_settings(settings))
    # read once, used by several sections
    fit_t = read_results(fit, "fit") if fit else None  # None: no models
    ame_t = read_results(ame, "ame") if ame else None
    checked = read_results(findings_checked) if findings_checked else None
    meta = table_meta(clean_table)
    labels = {**codebook_labels(cb), **meta.get("labels", {})}
    grp = resolve_grouping(grouping, meta, settings)
    base = Path(output).parent

    def files_of(path):
        return sibling_files(path, base)

    def table_of(path, *, notes: bool = True, stacked: bool = False) -> TableBlock:
        """A table of a tables rule, from its JSON; its files linked from its CSV on."""
        files = [f for f in files_of(Path(path).with_suffix(".csv")) if f[0] != "HTML"]
        return model_table_item(read_table(path), files, notice=rs.notice or "",
                                notes=None if notes else (), stacked=stacked)

    along = _categorical_predictions(settings, rs)
    figs = {name: figure_item(name, Path(path).read_bytes(), caption, files_of(path),
                              figure_alt(name, grp.label, len(cb.groups),
                                         unit_word(rs.words), along.get(name, False),
                                         about=figure_about(name, rs.figures,
                                                            subject=rs.subject,
                                                            words=thaw(rs.words),
                                                            labels=labels,
                                                            group_label=grp.label)))
            for (name, path), caption in zip(figures.items(),
                                             _captions(list(figures), settings, rs, grp,
                                                       len(cb.groups), clean_table))}
    items = (_answer_items(prevalence, ame_t, effects, fit_t, checked, settings=settings,
                           report=rs, labels=labels, grouping=grp) if rs.plan == FULL else
             plan_answer(rs.plan, coefs=read_results(coefficients, "coefficients")
                         if coefficients else None, fit=fit_t,
                         compare=list(rs.figures["compare"]),
                         samples=[str(s) for s in settings.models.samples],
                         families=settings.models.families, set_aside=set_aside,
                         words=thaw(rs.words), labels=labels, unit=unit_word(rs.words),
                         weighted=is_weighted(settings.design),
                         conf_level=float(settings.models.conf_level)))
    answer = answer_section(items, figs.pop("prevalence", None))
    cleaning_figure = figs.pop("cleaning", None)
    methods = methods_items(settings=settings,
                            threshold=meta.get("threshold", settings.cleaning.threshold),
                            hashes={str(p): sha256(p) for p in hashed},
                            versions=software_versions(), labels=labels, grouping=grp,
                            weights=weights)
    robust = _robustness(robustness_tables, robustness_figures, checked,
                         report=rs, labels=labels, settings=settings,
                         threshold=meta.get("threshold", ""), cuts=cuts, files_of=files_of,
                         table_of=table_of)
    tabs = {name: table_of(path) for name, path in tables.items()}
    overview = _overview(fit_t, cleaning_summary, settings=settings,
                         report=rs, labels=labels, grouping=grp, fit_path=fit,
                         excluded=read_results(excluded, "excluded") if excluded else None,
                         extra=_contrast_lines(read_results(contrast, "contrast")
                                               if contrast else None)) \
        if fit_t is not None else {"sample": None}  # no models: no one is in them
    main = _main_tables(rs)
    sections = [
        answer,
        _findings(table_of(findings_table, notes=False, stacked=True) if findings_table
                  else None, settings.models.conf_level, _claim_lines(checked)),
        figures_section(list(figs.values())),
        tables_section([t for n, t in tabs.items() if n in main],
                       [t for n, t in tabs.items() if n not in main]),
        robust,
        imputation_section(table_of(imputation_table) if imputation_table else None,
                           _mi_sentences(checked, rs)),
        _specifications(spec_figures, checked, files_of),
        overview["sample"],
        cleaning_section(table_of(cleaning_table), cleaning_figure, lower_word(grp.label)),
        methods_section(methods),
    ]
    page = render(Page(title=rs.title, synthetic=bool(settings.data.synthetic),
                       sections=tuple(s for s in sections if s is not None),
                       run_date=run_date or run_date_now()))
    write_text(output, page)
    log.info("report: %d figures, %d tables, %d bytes", len(figures), len(tabs), len(page))


def _main_tables(report: ReportSettings) -> set[str]:
    """The tables shown open: the descriptives, the first model table of report.tables.models
    and the average marginal effects (intercept-only models: the prevalence by model); every
    other table is one click away."""
    models = [f"models_{n}" for n, t in (report.tables.get("models") or {}).items()
              if t.get("samples")]
    return {"descriptives", "ame", INTERCEPTS_TABLE, *models[:1]}


def _answer_items(prevalence, ame_t: pd.DataFrame | None, effects, fit_t: pd.DataFrame,
                  checked, *, settings: Settings, report: ReportSettings, labels: dict,
                  grouping: Grouping) -> list[str]:
    """The answer box's sentences (HTML: :mod:`coprod.report.answer`)."""
    from ..pipeline.io import read_results
    from .answer import answer_items

    return answer_items(
        prevalence=read_results(prevalence, "prevalence") if prevalence else pd.DataFrame(),
        ame=ame_t if ame_t is not None else pd.DataFrame(),
        effects=read_results(effects, "effects") if effects else None,
        fit=fit_t, checked=checked, compare=list(report.figures["compare"]),
        sample=report.figures["forest_sample"],
        covariates=list(settings.models.covariates),
        group_column=grouping.column if grouping.effects else None,
        words=thaw(report.words), labels=labels, unit=unit_word(report.words),
        weighted=is_weighted(settings.design),
        conf_level=float(settings.models.conf_level))


def _overview(fit_t: pd.DataFrame, cleaning_summary, *, settings: Settings,
              report: ReportSettings, labels: dict, grouping: Grouping,
              extra: Sequence[str] = (), fit_path="results/models/fit.csv",
              excluded: pd.DataFrame | None = None) -> dict:
    """The section "Who is in the models, and how did each model go?" (the analytic sample
    and every model not plainly ok; ``extra`` lines below its lead), from the result files;
    empty where an input is missing. (The average marginal effects are a table of the tables
    rule.)"""
    from ..pipeline.io import read_results
    from .modelsummary import model_status_table, sample_flow_table
    from .wording import missing_note

    words, sample = thaw(report.words), report.figures["forest_sample"]
    notice = report.notice or ""
    shown = []
    if cleaning_summary:
        flow = sample_flow_table(read_results(cleaning_summary), fit_t, sample=sample,
                                 outcomes=list(dict.fromkeys(fit_t["outcome"])),
                                 group_column=grouping.column, words=words, labels=labels,
                                 excluded=excluded)
        shown.append(model_table_item(flow, notice=notice, notes=(
            f"{missing_note(settings.design)}; one may miss several.", *flow.notes)))
    status = model_status_table(fit_t, words=words, labels=labels)
    n_ok = int((fit_t["status"] == "ok").sum()) if len(fit_t) else 0
    fit_path = Path(fit_path)
    lead = (f"{len(fit_t)} models: {n_ok} ok, {len(status.rows)} flagged or failed, each "
            f"listed below with its reason ({fit_path} and {fit_path.with_name('flags.csv')} "
            "hold every model's statistics and flags).")
    if len(status.rows):
        shown.append(model_table_item(status, notice=notice))
    return {"sample": overview_section(lead, extra, shown)}


def _pct(conf_level: float) -> str:
    return f"{float(conf_level):.0%}"


def _captions(names: list[str], settings: Settings, report: ReportSettings, grp: Grouping,
              n_groups: int, clean_table) -> list[str]:
    from .wording import domain_wording, lower_word, variance_wording

    design = settings.design
    kw: dict[str, Any]  # (the caption's words: strings, numbers, flags)
    kw = dict(group_label=grp.label, pct=_pct(settings.models.conf_level),
              subject=report.subject, weighted=is_weighted(design),
              ci=variance_wording(design)["ci"], n_groups=n_groups,
              n_outcomes=len(report.figures["compare"]),
              models=models_phrase(report.figures["forest_sample"], grp, n_groups,
                                   list(settings.models.covariates), thaw(report.words),
                                   design),
              domain=domain_wording(design, lower_word(grp.label)),
              log=str(Path(clean_table).with_name("cleaning_log.csv")),  # beside the table
              unit=unit_word(report.words),
              reference_rows=bool(report.figures.get("reference_rows", False)),
              whole=word(POOLED, thaw(report.words)))  # the descriptives' whole sample
    along = _categorical_predictions(settings, report)
    return [figure_caption(name, **kw).replace("confidence bands", "confidence intervals (a "
                                               "point per category)")
            if along.get(name) else figure_caption(name, **kw) for name in names]


def _categorical_predictions(settings: Settings, report: ReportSettings) -> dict[str, bool]:
    """{predictions_<grid>: True} for the prediction figures along a category (the grid's
    values of x are not all numbers): drawn as points with intervals, not bands."""
    grids = settings.models.predictions
    return {f"predictions_{p['grid']}": not all(
        isinstance(v, (int, float)) and not isinstance(v, bool)
        for v in (grids.get(p["grid"]) or {}).get(p["x"], []))
        for p in report.figures.get("predictions") or []}


def _robustness(tables, figures, checked, *, report: ReportSettings, labels: dict,
                settings: Settings, threshold: str, cuts=None, files_of=lambda p: [],
                table_of=None) -> Section | None:
    """The section "Does the cut of the scale matter?" (only with models.scales)."""
    if not tables:
        return None
    from ..pipeline.io import read_results
    from .robustness import claim_sentences, cut_disagreements

    sentences = claim_sentences(checked, words=thaw(report.words), labels=labels,
                                digits=int(report.tables["digits"]))
    cut_lines = cut_disagreements(read_results(cuts, "cuts") if cuts else None,
                                  sample=report.figures["forest_sample"],
                                  words=thaw(report.words), labels=labels)
    pct = _pct(settings.models.conf_level)
    figs = [figure_item(
        Path(p).stem, Path(p).read_bytes(),
        f"For each ordinal outcome, the odds ratio of every binary cut of its scale and of the "
        f"proportional-odds model (black), with {pct} confidence intervals, log scale.",
        files_of(p)) for p in figures]
    return robustness_section(tables=[table_of(p) for p in tables], figures=figs,
                              sentences=sentences, threshold=threshold, cut_lines=cut_lines)


SPEC_CAPTION = (
    "The claim's estimate in every estimable specification, sorted, with its interval (green "
    "circle: supported, orange square: contradicted, grey diamond: inconclusive), then the "
    "specifications that are not estimable (grey x at the foot); for a claim of no relation, "
    "the equivalence bounds (band) and the interval the equivalence test judges; below, the "
    "choices each one made.")


def _specifications(figures, checked, files_of=lambda p: []) -> Section | None:
    """The section "How many analyses support each claim?" (only with specifications)."""
    if not figures:
        return None
    from ..pipeline.estimable import NOT_ESTIMABLE_RULE, SPEC_COUNTS, count_phrase

    counts = []
    if checked is not None and "spec_total" in checked.columns:
        for _, r in checked.iterrows():
            if pd.notna(r.get("spec_total")) and r.get("spec_total"):
                counts.append((str(r["claim"]), count_phrase(
                    *(int(r[k]) for k in SPEC_COUNTS[1:]), noun="specifications")))
    # each curve's alt text names its claim (spec_<claim id>)
    claims = ({f"spec_{r['id']}": str(r["claim"]) for _, r in checked.iterrows()}
              if checked is not None and {"id", "claim"} <= set(checked.columns) else {})
    figs = [figure_item(Path(p).stem, Path(p).read_bytes(), SPEC_CAPTION, files_of(p),
                        alt=figure_alt(Path(p).stem, about=figure_about(
                            Path(p).stem, {}, claim=claims.get(Path(p).stem, ""))))
            for p in figures]
    return specifications_section(figs, counts, NOT_ESTIMABLE_RULE)


def _mi_sentences(checked, report: ReportSettings) -> list[str]:
    from .robustness import mi_sentences

    return mi_sentences(checked, digits=int(report.tables["digits"]))


def _findings(table: TableBlock | None, conf_level: float, lead) -> Section | None:
    """The findings section, or nothing without a findings check."""
    if table is None:
        return None
    from ..pipeline.findings import verdict_rule

    return findings_section(table, verdict_rule(float(conf_level)), lead)
