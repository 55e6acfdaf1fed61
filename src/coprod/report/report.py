"""The report stage: the one-file HTML report, from the result tables (its settings in
:mod:`coprod.pipeline.reportsettings`, its page in :mod:`coprod.report.page`, its Methods in
:mod:`coprod.report.methods`, its answer box in :mod:`coprod.report.answer`).

Why one self-contained file: a reader must be able to open it offline, mail it or archive it, and
see the same thing years later. Figures are embedded as base64 PNG, the CSS is inline, and there
are no scripts or links to anything outside the file. Everything in it is derived from the
results, the config and the codebook, so two runs on the same inputs differ only in the one
element that holds the run date (``<p id="run-date">``).
"""
from __future__ import annotations

import base64
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..pipeline.designkeys import weighted as is_weighted
from ..pipeline.io import table_meta
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
    figure_alt,
    figure_caption,
    models_phrase,
    unit_word,
)
from .methods import methods_section
from .page import Fold, answer_section, build_report, esc, files_line, tables_section
from .page import ul as _ul
from .provenance import SOFTWARE, run_date_now, sha256, software_versions  # noqa: F401
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
# -- HTML pieces ------------------------------------------------------------------------------

def figure_html(name: str, png: bytes, caption: str, files: Sequence[tuple[str, str]] = (),
                alt: str | None = None) -> str:
    """A figure with the PNG embedded (the page stays self-contained); ``files`` [(format,
    relative path)] link the image to its full-size file and list every format's file;
    ``alt`` describes what the figure shows (default :func:`figure_alt` of its name)."""
    data = base64.b64encode(png).decode("ascii")
    img = f'<img src="data:image/png;base64,{data}" alt="{esc(alt or figure_alt(name))}">'
    if files:
        img = f'<a href="{esc(files[0][1])}" title="open the figure full size">{img}</a>'
    return (f'<figure id="fig-{esc(name)}">\n{img}\n<figcaption>{esc(caption)}</figcaption>\n'
            f'</figure>' + (f"\n{files_line(files)}" if files else ""))


FILE_LABELS = {"png": "PNG", "pdf": "PDF", "svg": "SVG", "csv": "CSV",
               "data.csv": "tidy CSV", "tex": "LaTeX", "html": "HTML"}


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


def xref(target: str) -> str:
    """A cross-reference to a figure (fig-<name>) or a table (table-<name>): "Figure 3",
    numbered when the page is finished (a target the page lacks leaves no trace)."""
    return f'<a class="xref" href="#{esc(target)}"></a>'


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
    parts = ([f"failed in {esc(', '.join(failed))}"] if failed else []) + (
        [f"flagged in {esc(', '.join(flagged))}"] if flagged else [])
    return [f"Contrast test: {' and '.join(parts)} (see the contrast table)."]


def _claim_lines(checked) -> list[str]:
    if checked is None or not len(checked):
        return []
    from ..pipeline.findings import VERDICTS

    counts = checked["verdict"].value_counts()
    parts = [f"{int(counts.get(v, 0))} {v}" for v in VERDICTS if counts.get(v, 0)]
    out = [f"Claims checked: of {len(checked)}, " + ", ".join(parts)
           + f" {xref('table-findings')}."]
    doubtful = ["contradicted", "inconclusive", "different", "not estimated"]
    for _, r in checked[checked["verdict"].isin(doubtful)].iterrows():
        out.append(f"{esc(r['verdict'].capitalize())}: {esc(r['claim'])}")
    return out


def findings_section(table_html: str, rule: str, lead: Sequence[str] = ()) -> str:
    """The claims table under the verdict rule, said once (the table file's own note, the
    same rule for readers of the file alone, is left out here); ``lead``: the counts of
    verdicts and the doubtful claims, above the table. The rule is one click away: the table
    and its verdicts come first."""
    table_html = re.sub(r"<tfoot>.*?</tfoot>\n?", "", table_html, flags=re.S)
    return "\n".join([
        '<section id="findings">', "<h2>Findings check</h2>",
        _ul(lead) if lead else "",
        f'<details id="verdict-rule"><summary>The verdict rule</summary><p>'
        f"{esc(rule)}</p></details>",
        f'<div class="table-wrap">{table_html}</div>', "</section>"])


def run_report(*, settings: Settings, prevalence, coefficients, fit, figures: dict,
               tables: dict, cleaning_table, clean_table, hashed: list, output,
               report: ReportSettings | None = None, findings_checked=None,
               findings_table=None, grouping: Grouping | None = None,
               run_date: str | None = None, contrast=None, robustness_tables=(),
               robustness_figures=(), cuts=None, imputation_table=None,
               spec_figures=(), ame=None, cleaning_summary=None, effects=None,
               weights: dict | None = None, excluded=None) -> None:
    """The report_html rule: read the results and write results/report.html.

    ``excluded``: who each model excluded for which missing variable (excluded.csv; without
    it the analytic sample's table gives the counts only).
    ``weights``: the weights before and after calibration, as the pipeline summarises them
    (:func:`coprod.pipeline.designconfig.design_weights`, which the rule's adapter runs; None
    without calibration): the report draws what the pipeline computed.

    ``report``: the resolved report settings the start-up checks made (the rule's params),
    else resolved here from ``settings``. Without ``findings_table`` and ``findings_checked``
    (report.findings null) the report has no findings section; ``grouping`` ({column, label,
    effects}) defaults to the clean table's metadata and the config. The page's order is
    :mod:`coprod.report.page`'s.
    """
    from ..pipeline.codebook import labels as codebook_labels
    from ..pipeline.io import read_results, write_text

    cb = settings.codebook
    rs = report if report is not None else ReportSettings.from_params(report_settings(settings))
    # read once, used by several sections
    fit_t = read_results(fit, "fit")
    ame_t = read_results(ame, "ame") if ame else None
    checked = read_results(findings_checked) if findings_checked else None
    meta = table_meta(clean_table)
    labels = {**codebook_labels(cb), **meta.get("labels", {})}
    grp = resolve_grouping(grouping, meta, settings)
    base = Path(output).parent

    def files_of(path):
        return sibling_files(path, base)

    along = _categorical_predictions(settings, rs)
    figs = {name: figure_html(name, Path(path).read_bytes(), caption, files_of(path),
                              figure_alt(name, grp.label, len(cb.groups),
                                         unit_word(rs.words), along.get(name, False)))
            for (name, path), caption in zip(figures.items(),
                                             _captions(list(figures), settings, rs, grp,
                                                       len(cb.groups), clean_table))}
    answer = _answer_html(prevalence, ame_t, effects, fit_t, checked, settings=settings,
                          report=rs, labels=labels, grouping=grp,
                          figure=figs.pop("prevalence", ""))
    cleaning_figure = figs.pop("cleaning", "")
    methods = methods_section(settings=settings,
                              threshold=meta.get("threshold", settings.cleaning.threshold),
                              hashes={str(p): sha256(p) for p in hashed},
                              versions=software_versions(), labels=labels, grouping=grp,
                              weights=weights)
    robust = _robustness_html(robustness_tables, robustness_figures, checked,
                              report=rs, labels=labels, settings=settings,
                              threshold=meta.get("threshold", ""), cuts=cuts, files_of=files_of)
    html_tables = [*tables.values(), *robustness_tables, cleaning_table,
                   *([imputation_table] if imputation_table else []),
                   *([findings_table] if findings_table else [])]
    # a table's CSV and LaTeX files (its HTML is what the page shows)
    table_files = {Path(p).stem: [f for f in files_of(p) if f[0] != "HTML"]
                   for p in html_tables}
    tabs = {name: Path(path).read_text(encoding="utf-8") for name, path in tables.items()}
    overview = _overview_tables(fit_t, ame_t, cleaning_summary, settings=settings,
                                report=rs, labels=labels, grouping=grp, fit_path=fit,
                                ame_path=ame, excluded=read_results(excluded, "excluded")
                                if excluded else None,
                                extra=_contrast_lines(read_results(contrast, "contrast")
                                                      if contrast else None))
    tabs.update(overview.pop("tables", {}))
    main = _main_tables(rs)
    n_specs = len(spec_figures)
    folds = [
        Fold(robust, "Does the cut of the scale matter?",
             "The claims on the survey's own scales (ordered categories and counts) and at "
             "every cut of the scale."),
        Fold(_imputation_html(imputation_table, checked, rs),
             "Complete cases or imputed data?",
             "Every model again on multiply imputed answers, beside the complete cases."),
        Fold(_spec_html(spec_figures, checked, files_of), "How many analyses support each claim?",
             f"{n_specs} claim{'s' if n_specs != 1 else ''}, each estimated under every "
             "combination of the analysis choices."),
        Fold(overview.get("sample", ""), "Who is in the models, and how did each go?",
             "From the rows read to each model's respondents; every model that was flagged or "
             "failed, with the reason."),
        Fold(_cleaning_html(Path(cleaning_table).read_text(encoding="utf-8"), cleaning_figure),
             "Cleaning summary", "Rows read, dropped by reason and kept, per "
             f"{lower_word(grp.label)}."),
        Fold(methods, "Methods", "Data, weighting and design, outcome definitions, models, "
             "software and the input files' checksums."),
    ]
    page = build_report(
        title=rs.title, synthetic=bool(settings.data.synthetic),
        answer_html=answer,
        findings_html=_findings_html(findings_table, settings.models.conf_level,
                                     _claim_lines(checked)),
        figures=list(figs.values()),
        tables_html=tables_section([(n, t) for n, t in tabs.items() if n in main],
                                   [(n, t) for n, t in tabs.items() if n not in main]),
        folds=folds, table_files=table_files, run_date=run_date or run_date_now())
    write_text(output, page)
    log.info("report: %d figures, %d tables, %d bytes", len(figures), len(tabs), len(page))


def _main_tables(report: ReportSettings) -> set[str]:
    """The tables shown open: the descriptives, the first model table of report.tables.models
    and the average marginal effects; every other table is one click away."""
    models = [f"models_{n}" for n, t in (report.tables.get("models") or {}).items()
              if t.get("samples")]
    return {"descriptives", "ame", *models[:1]}


def _cleaning_html(table_html: str, figure: str) -> str:
    return "\n".join(['<section id="cleaning">', "<h2>Cleaning summary</h2>", figure,
                      f'<div class="table-wrap">{table_html}</div>', "</section>"])


def _answer_html(prevalence, ame_t: pd.DataFrame | None, effects, fit_t: pd.DataFrame,
                 checked, *, settings: Settings, report: ReportSettings, labels: dict,
                 grouping: Grouping, figure: str) -> str:
    """The answer box (:mod:`coprod.report.answer`) beside the prevalence figure."""
    from ..pipeline.io import read_results
    from .answer import answer_items

    items = answer_items(
        prevalence=read_results(prevalence, "prevalence"),
        ame=ame_t if ame_t is not None else pd.DataFrame(),
        effects=read_results(effects, "effects") if effects else None,
        fit=fit_t, checked=checked, compare=list(report.figures["compare"]),
        sample=report.figures["forest_sample"],
        covariates=list(settings.models.covariates),
        group_column=grouping.column if grouping.effects else None,
        words=thaw(report.words), labels=labels, unit=unit_word(report.words),
        weighted=is_weighted(settings.design),
        conf_level=float(settings.models.conf_level))
    return answer_section(items, figure)


def _overview_tables(fit_t: pd.DataFrame, ame_t: pd.DataFrame | None, cleaning_summary, *,
                     settings: Settings, report: ReportSettings, labels: dict, grouping: Grouping,
                     extra: Sequence[str] = (), fit_path="results/models/fit.csv",
                     ame_path=None, excluded: pd.DataFrame | None = None) -> dict:
    """The average-marginal-effects table (among the tables) and the section "Who is in the
    models, and how did each model go?" (the analytic sample and every model not plainly
    ok; ``extra`` lines below its lead), from the result files; empty where an input is
    missing."""
    from ..pipeline.io import read_results
    from .modelsummary import ame_table, model_status_table, sample_flow_table
    from .tablerender import to_html
    from .wording import missing_note, per_ame

    out: dict = {"tables": []}
    words, sample = thaw(report.words), report.figures["forest_sample"]
    compare = list(report.figures["compare"])
    pct = _pct(settings.models.conf_level)
    if ame_t is not None and compare:  # (no 0/1 outcome: no table); report.per: as elsewhere
        effects, effect_labels = per_ame(ame_t, labels, thaw(report.tables.get("per")), words)
        t = ame_table(effects, fit_t, sample=sample, outcomes=compare,
                      covariates=list(settings.models.covariates), words=words,
                      labels=effect_labels)
        out["tables"].append(("ame", to_html(
            t, table_id="ame", caption=f"Average marginal effects in percentage points "
                                       f"({word(sample, words)})",
            note=f"{report.notice or ''} The change in the probability of each "
                 f"outcome, averaged over the respondents, for the level against the reference "
                 f"level or one unit more of a number"
                 f"{' (or as many as its row says)' if report.tables.get('per') else ''}"
                 f", with {pct} confidence intervals (delta "
                 f"method, the same design). From {ame_path}.".strip())))
    parts = []
    if cleaning_summary:
        flow = sample_flow_table(read_results(cleaning_summary), fit_t, sample=sample,
                                 outcomes=list(dict.fromkeys(fit_t["outcome"])),
                                 group_column=grouping.column, words=words, labels=labels,
                                 excluded=excluded)
        parts.append(to_html(flow, table_id="sample_flow",
                             caption="The analytic sample: from the rows read to each model",
                             note=f"{report.notice or ''} "
                                  f"{missing_note(settings.design)}; one may miss "
                                  "several.".strip()))
    status = model_status_table(fit_t, words=words, labels=labels)
    n_ok = int((fit_t["status"] == "ok").sum()) if len(fit_t) else 0
    fit_path = Path(fit_path)
    lead = (f"<p>{len(fit_t)} models: {n_ok} ok, {len(status)} flagged or failed, each listed "
            f"below with its reason ({esc(fit_path)} and {esc(fit_path.with_name('flags.csv'))} "
            "hold every model's statistics and flags).</p>")
    if len(status):
        parts.append(to_html(status, table_id="model_status",
                             caption="Models flagged or failed, with the reason",
                             note=report.notice or ""))
    out["sample"] = "\n".join(['<section id="models-overview">',
                               "<h2>Who is in the models, and how did each go?</h2>", lead,
                               *[f"<p>{x}</p>" for x in extra],
                               *[f'<div class="table-wrap">\n{p}</div>' for p in parts],
                               "</section>"])
    return out


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
              unit=unit_word(report.words))
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


def _robustness_html(tables, figures, checked, *, report: ReportSettings, labels: dict,
                     settings: Settings, threshold: str, cuts=None,
                     files_of=lambda p: []) -> str:
    """The section "Does the cut of the scale matter?" (only with models.scales)."""
    if not tables:
        return ""
    from ..pipeline.io import read_results
    from .robustness import claim_sentences, cut_disagreements, robustness_section

    sentences = claim_sentences(checked, words=thaw(report.words), labels=labels,
                                digits=int(report.tables["digits"]))
    cut_lines = cut_disagreements(read_results(cuts, "cuts") if cuts else None,
                                  sample=report.figures["forest_sample"],
                                  words=thaw(report.words), labels=labels)
    pct = _pct(settings.models.conf_level)
    figs = "\n".join(figure_html(
        Path(p).stem, Path(p).read_bytes(),
        f"For each ordinal outcome, the odds ratio of every binary cut of its scale and of the "
        f"proportional-odds model (black), with {pct} confidence intervals, log scale.",
        files_of(p)) for p in figures)
    return robustness_section(tables=[Path(p).read_text(encoding="utf-8") for p in tables],
                              figure_html=figs, sentences=sentences, threshold=threshold,
                              cut_lines=cut_lines)


def _spec_html(figures, checked, files_of=lambda p: []) -> str:
    """The section "How many analyses support each claim?" (only with specifications)."""
    if not figures:
        return ""
    from ..pipeline.estimable import NOT_ESTIMABLE_RULE, SPEC_COUNTS, count_phrase

    items = []
    if checked is not None and "spec_total" in checked.columns:
        for _, r in checked.iterrows():
            if pd.notna(r.get("spec_total")) and r.get("spec_total"):
                said = count_phrase(*(int(r[k]) for k in SPEC_COUNTS[1:]),
                                    noun="specifications")
                items.append(f"<li><strong>{esc(r['claim'])}</strong> {esc(said)}.</li>")
    figs = "\n".join(figure_html(Path(p).stem, Path(p).read_bytes(),
                                 "The claim's estimate in every estimable specification, "
                                 "sorted, with its interval (green circle: supported, orange "
                                 "square: contradicted, grey diamond: inconclusive), then the "
                                 "specifications that are not estimable (grey x at the foot); "
                                 "for a claim of no relation, the equivalence bounds (band) "
                                 "and the interval the equivalence test judges; below, the "
                                 "choices each one made.",
                                 files_of(p))
                     for p in figures)
    return "\n".join([
        '<section id="specifications">', "<h2>How many analyses support each claim?</h2>",
        "<p>Every analysis embodies choices: where the frequency scale is cut, weights or not, "
        "which controls, complete cases or imputed data, group effects or not, a 0/1 or an "
        "ordinal model. Each claim is estimated under every combination of the choices in the "
        "config (specifications) and judged by the same rule. A claim that holds under most "
        "specifications is a finding; one that holds under a few is not. "
        + esc(NOT_ESTIMABLE_RULE) + "</p>",
        f"<ul>{''.join(items)}</ul>" if items else "", figs, "</section>"])


def _imputation_html(table, checked, report: ReportSettings) -> str:
    """The section "Complete cases or imputed data?" (only with imputation.analyses: both)."""
    if not table:
        return ""
    from .robustness import mi_section, mi_sentences

    return mi_section(table_html=Path(table).read_text(encoding="utf-8"),
                      sentences=mi_sentences(checked,
                                             digits=int(report.tables["digits"])))


def _findings_html(findings_table, conf_level: float, lead: Sequence[str] = ()) -> str:
    """The findings section, or nothing without a findings check."""
    if not findings_table:
        return ""
    from ..pipeline.findings import verdict_rule

    return findings_section(Path(findings_table).read_text(encoding="utf-8"),
                            verdict_rule(float(conf_level)),
                            lead)
