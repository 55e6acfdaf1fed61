"""The report's figures: each made by a small function from a tidy table, in one style, and
the figures rule that makes them all. The prevalence and cleaning figures are here; the forest
plots are :mod:`coprod.report.forest`, the predicted probabilities
:mod:`coprod.report.predictions`.

Why functions of tables: every figure can be tested on a hand-made table, without the pipeline.
Why one style: the same colour means the same thing in every figure; the style, the colours of
each concept, the figure's frame and saving are in :mod:`coprod.report.figstyle` (shared with
the specification curves of :mod:`coprod.report.speccurve`). Failed or flagged models are shown
as such (a mark on the panel, the reason in the notes at the figure's foot), never as numbers.
"""
from __future__ import annotations

from collections.abc import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402,F401 (figures.plt: callers close figures with it)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..pipeline.designkeys import DesignSettings  # noqa: E402
from ..pipeline.io import group_outputs  # noqa: E402
from ..pipeline.reportsettings import FigureSettings  # noqa: E402
from .figstyle import (  # noqa: E402
    capitalised,
    concepts,
    fmt_n,
    foot_legend,
    narrow,
    new_figure,
    pct_label,
    save_figure,
    style_settings,
    styled,
    text_size,
    text_width,
    unique_handles,
    wrap_to_width,
)
from .forest import (  # noqa: E402,F401 (the forest plots, here for their old callers)
    cuts_figure,
    forest_figure,
    groups_forest_figure,
    short_names,
    term_rows,
)
from .predictions import prediction_figure  # noqa: E402
from .wording import POOLED, Grouping, lower_word, per_units, word  # noqa: E402

# -- prevalence ------------------------------------------------------------------------------

@styled
def prevalence_figure(prev: pd.DataFrame, *, words: dict | None = None,
                      labels: dict | None = None, group_label: str = "Group",
                      settings: FigureSettings | None = None) -> Figure:
    """% doing each outcome (weighted), by group (x) and domain (panels when there are): a dot
    and its interval per outcome, the percentage written above it (a bar's area would add
    nothing the dot does not show, and the numbers can be read off). The whole sample's rows
    (``pooled``: :mod:`coprod.pipeline.descriptives`) come first, named by ``words`` and set
    apart from the groups by a faint line."""
    s = style_settings(settings)
    c = concepts(s)
    prev = prev.copy()
    domains = list(dict.fromkeys(prev["domain"].fillna("")))
    kinds = list(dict.fromkeys(prev["kind"]))
    groups = list(dict.fromkeys(prev["group"].astype(str)))
    shown = {g: word(g, words) if g == POOLED else g for g in groups}  # (the whole sample)
    n_range = prev.groupby(prev["group"].astype(str), sort=False)["n"].agg(["min", "max"])

    def n_of(g):  # respondents answering: one number, or the range over the outcomes
        if g not in n_range.index:
            return fmt_n(None)
        lo, hi = n_range.loc[g, "min"], n_range.loc[g, "max"]
        return fmt_n(hi) if lo == hi else f"{fmt_n(lo)}–{fmt_n(hi)}"

    subtitle = (f"{'Weighted %' if s.weighted else '%'}, {pct_label(s)} {s.ci} confidence "
                "intervals. n (answering each outcome): " +
                ", ".join(f"{shown[g]}\u00a0{n_of(g)}" for g in groups))  # no line break inside
    ncols = max(min(len(domains), 2 if narrow(s) else 4), 1)
    nrows = max(int(np.ceil(len(domains) / ncols)), 1)
    # one group: not "by group" (and then there is no whole-sample row either)
    by = [lower_word(group_label)] if len([g for g in groups if g != POOLED]) > 1 else []
    by += ["domain"] if any(domains) else []
    ticks, upright = _group_ticks([shown[g] for g in groups], [g == POOLED for g in groups],
                                  float(s.width) * 0.85 / ncols, text_size(s, 1))
    # an upright name takes its length below the panel: the figure grows by it, the panels
    # keep their height
    line = text_size(s, 1) / 72 * 1.2  # the height of a level name (inches)
    extra = max((text_width(t, text_size(s, 1)) - line for t, u in zip(ticks, upright) if u),
                default=0.0)
    fig, axes = new_figure(0.6 + (2.3 + max(extra, 0.0)) * nrows, s,
                            f"Prevalence of {s.subject}" + (", by " if by else "")
                            + " and ".join(by), subtitle, nrows, ncols, sharey=True,
                            legend_rows=1)
    x = np.arange(len(groups))
    width = 0.8 / max(len(kinds), 1)
    for i, dom in enumerate(domains):
        ax = axes.flat[i]
        sub = prev[prev["domain"].fillna("") == dom]
        for j, kind in enumerate(kinds):
            k = sub[sub["kind"] == kind]
            k = k.set_index(k["group"].astype(str)).reindex(groups)
            est = k["estimate"].to_numpy(float) * 100
            err = np.vstack([est - k["conf_low"].to_numpy(float) * 100,
                             k["conf_high"].to_numpy(float) * 100 - est])
            colour, (_, _, marker) = c.outcome(j), c.level(j)
            xs = x + (j - (len(kinds) - 1) / 2) * width
            ax.errorbar(xs, est, yerr=np.nan_to_num(err), fmt=marker, ms=4, color=colour,
                        elinewidth=1.0, capsize=0, label=word(kind, words, labels))
            for xi, e, top in zip(xs, est, est + np.nan_to_num(err[1])):
                if np.isfinite(e):
                    ax.text(xi, top + 1.5, f"{e:.0f}", ha="center", va="bottom",
                            fontsize=text_size(s, 2.5), color=colour)
        ax.set_title(capitalised(word(dom, words)) if dom else "")
        ax.set_xticks(x, ticks)
        for label, u in zip(ax.get_xticklabels(), upright):
            label.set_rotation(90 if u else 0)
        if groups[0] == POOLED and len(groups) > 1:  # the whole sample, apart from the groups
            ax.axvline(0.5, color="#bdbdbd", linewidth=0.6, linestyle=":", zorder=0)
        ax.set_xlabel(group_label)
        ax.set_ylim(0, 100)
        ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
        if i % ncols == 0:
            ax.set_ylabel(f"Share of {word('respondents', words)} (%)")
    for ax in axes.flat[len(domains):]:
        ax.set_visible(False)
    foot_legend(fig, *unique_handles(axes.flat[:1]), ncols=len(kinds))
    return fig


def _group_ticks(names: list[str], whole: list[bool], width: float, size: float
                 ) -> tuple[list[str], list[bool]]:
    """The names under a panel ``width`` inches wide, and which stand upright: each wrapped to
    its slot ("non-Hispanic white" on two lines), since side by side names must not run into
    each other; a word wider than its slot makes every name stand upright -- except the
    whole sample's (``whole``), which alone stands upright when only it does not fit."""
    slot = width / max(len(names), 1)
    wrapped = ["\n".join(wrap_to_width(n, slot, size)) for n in names]
    fit = [all(text_width(ln, size) <= slot for ln in w.split("\n")) for w in wrapped]
    if not all(f for f, w in zip(fit, whole) if not w):
        return list(names), [True] * len(names)
    return ([w if f else n for n, w, f in zip(names, wrapped, fit)], [not f for f in fit])


# -- cleaning flow ---------------------------------------------------------------------------

@styled
def cleaning_figure(summary: pd.DataFrame, *, group_label: str = "Group",
                    settings: FigureSettings | None = None) -> Figure:
    """Per group: the rows kept, and beside them, on a scale of their own, the rows dropped by
    reason and the values set missing -- a few dropped rows next to a thousand kept would be
    invisible on one axis. Every bar carries its number."""
    s = style_settings(settings)
    c = concepts(s)
    groups = summary.iloc[:, 0].astype(str).tolist()
    drops = [c for c in summary.columns if c.startswith("dropped_")]
    read, kept = summary["read"].astype(float), summary["kept"].astype(float)
    panels = [("Kept", ["kept"])] + ([("Dropped, by reason", drops)] if drops else [])
    if "values_set_missing" in summary.columns:
        panels.append(("Values set missing", ["values_set_missing"]))
    # side by side, or one above the other in a column-wide figure
    grid = (len(panels), 1) if narrow(s) else (1, len(panels))
    fig, axes = new_figure(grid[0] * (0.9 + 0.32 * len(groups) * max(len(drops), 1) ** 0.5), s,
                           "Cleaning: rows kept, rows dropped and values set missing",
                           f"{fmt_n(read.sum())} rows read, {fmt_n(kept.sum())} kept, "
                           f"{fmt_n(read.sum() - kept.sum())} dropped", *grid,
                           sharey=True, legend_rows=2 if len(drops) > 1 else 0)
    y = np.arange(len(groups))[::-1].astype(float)
    fs = float(s.font_size)
    # counts, not outcomes: the neutral colour, the reasons told apart by hatching
    hatches = ("", "////", "....", "xxxx", "\\\\\\\\", "oo")
    for k, (ax, (title, cols)) in enumerate(zip(axes.flat, panels)):
        height = 0.7 / len(cols)
        top = 0.0
        for j, col in enumerate(cols):
            vals = summary[col].to_numpy(float)
            pos = y + 0.35 - height * (j + 0.5)
            dropped = title.startswith("Dropped")
            colour = c.neutral if k == 0 else "#8C8C8C" if dropped else "#BDBDBD"
            label = col[8:].replace("_", " ") if dropped else None
            ax.barh(pos, vals, height=height * 0.9, color=colour, label=label,
                    hatch=hatches[j % len(hatches)] if dropped else None, edgecolor="white",
                    linewidth=0)
            for yi, v in zip(pos, vals):
                ax.text(v, yi, f" {fmt_n(v)}", va="center", fontsize=text_size(s, 2),
                        color="#222222")
            top = max(top, float(np.nanmax(vals)) if len(vals) else 0.0)
        ax.set_xlim(0, top * 1.35 if top > 0 else 1)
        ax.set_title(title, fontsize=fs)
        ax.set_xlabel("Rows" if k < 2 or not title.startswith("Values") else "Values")
        if title.startswith("Dropped") and len(cols) > 1:
            foot_legend(fig, *ax.get_legend_handles_labels(), ncols=len(cols),
                        fontsize=text_size(s, 1), title="Dropped: reason",
                        title_fontsize=text_size(s, 1))
    axes[0, 0].set_yticks(y, groups)
    for ax in axes[:, 0]:
        ax.set_ylabel(group_label)
    return fig


# -- the figures rule ------------------------------------------------------------------------

def run_figures(*, prevalence, coefficients, predictions, fit, cleaning_summary, clean_table,
                settings: FigureSettings, words: dict, covariates, reference_levels, levels,
                conf_level: float = 0.95, subject: str = "the outcomes", weighted: bool = True,
                design: DesignSettings | None = None, grouping: Grouping | None = None,
                outputs: dict) -> None:
    """Make every figure named in ``outputs`` from the result tables and save each format.

    ``design`` (the config's design section) words the intervals by the variance method used;
    ``grouping`` ({column, label, effects}) names the groups (default: the clean table's).
    """
    from ..pipeline.config import slug
    from ..pipeline.io import read_results, table_meta
    from .wording import resolve_grouping, variance_wording

    meta = table_meta(clean_table)
    labels, group_label = meta.get("labels", {}), resolve_grouping(grouping, meta).label
    # (no model files without models, models.outcomes: []; then no figure reads them)
    coefs = read_results(coefficients, "coefficients") if coefficients else pd.DataFrame()
    fit_t = read_results(fit, "fit") if fit else pd.DataFrame()
    # report.per: effects per so many units, on the forest plots only (a prediction's axis is
    # in the variable's own units)
    coefs, effect_labels = per_units(coefs, labels, dict(settings.per), words)
    settings = settings.replace(conf_level=conf_level, subject=subject, weighted=weighted,
                                ci=variance_wording(design)["ci"])
    common = {"labels": labels, "words": dict(words), "settings": settings}
    model_kw = {"covariates": list(covariates), "reference_levels": dict(reference_levels),
                "levels": dict(levels), **common, "labels": effect_labels}
    compare = list(settings.compare)
    makers: dict[str, Callable[..., Figure]] = {
        "prevalence": lambda: prevalence_figure(read_results(prevalence, "prevalence"),
                                                group_label=group_label, **common),
        f"forest_{slug(settings.forest_sample)}": lambda: forest_figure(
            coefs, fit_t, sample=settings.forest_sample, outcomes=compare, **model_kw),
        "forest_groups": lambda: groups_forest_figure(
            coefs, fit_t, samples=list(settings.group_samples), outcomes=compare,
            group_label=group_label, **model_kw),
        "forest_scales": lambda: forest_figure(
            coefs, fit_t, sample=settings.forest_sample,
            outcomes=list(settings.scale_outcomes), families=dict(settings.scale_outcomes),
            **model_kw),
        "cleaning": lambda: cleaning_figure(read_results(cleaning_summary),
                                            group_label=group_label, settings=settings),
    }
    preds = read_results(predictions, "predictions") if predictions else pd.DataFrame()
    for p in settings.predictions:
        makers[f"predictions_{p['grid']}"] = (lambda p=p: prediction_figure(
            preds, fit_t, grid=p["grid"], x=p["x"], by=p.get("by"), outcomes=compare,
            sample=settings.forest_sample, **common))
    for stem, paths in group_outputs(outputs).items():
        save_figure(makers[stem](), paths, dpi=int(settings.dpi), settings=settings)
