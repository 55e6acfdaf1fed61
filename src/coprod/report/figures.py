"""The report's figures: each made by a small function from a tidy table, in one style.

Why functions of tables: every figure can be tested on a hand-made table, without the pipeline.
Why one style: the same colour means the same thing in every figure; the style, the figure's
frame and saving are in :mod:`coprod.report.figstyle` (shared with the specification curves of
:mod:`coprod.report.speccurve`). Failed or flagged models are shown as such (a note in the
panel), never as numbers.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import cast

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..pipeline.designkeys import DesignSettings  # noqa: E402
from ..pipeline.io import group_outputs  # noqa: E402
from ..pipeline.reportsettings import FigureSettings  # noqa: E402
from .figstyle import (  # noqa: E402
    GREY,
    capitalised,
    corner_note,
    fmt_n,
    new_figure,
    panel_note,
    panel_title,
    pct_label,
    save_figure,
    status_note,
    style_settings,
    styled,
    unique_handles,
)
from .wording import (  # noqa: E402
    Grouping,
    fit_row,
    lower_word,
    model_rows,
    model_status,
    outcome_words,
    per_units,
    ratio_word,
    split_outcome,
    word,
)


def _fit_n(fit: pd.DataFrame, outcome: str, sample: str):
    row = fit_row(fit, outcome, sample)
    return row["n"] if row is not None and "n" in row else None


# -- prevalence ------------------------------------------------------------------------------

@styled
def prevalence_figure(prev: pd.DataFrame, *, words: dict | None = None,
                      labels: dict | None = None, group_label: str = "Group",
                      settings: FigureSettings | None = None) -> Figure:
    """% doing each outcome (weighted), by group (x) and domain (panels when there are): a dot
    and its interval per outcome, the percentage written above it (a bar's area would add
    nothing the dot does not show, and the numbers can be read off)."""
    s = style_settings(settings)
    prev = prev.copy()
    domains = list(dict.fromkeys(prev["domain"].fillna("")))
    kinds = list(dict.fromkeys(prev["kind"]))
    groups = list(dict.fromkeys(prev["group"].astype(str)))
    n_range = prev.groupby(prev["group"].astype(str), sort=False)["n"].agg(["min", "max"])

    def n_of(g):  # respondents answering: one number, or the range over the outcomes
        if g not in n_range.index:
            return fmt_n(None)
        lo, hi = n_range.loc[g, "min"], n_range.loc[g, "max"]
        return fmt_n(hi) if lo == hi else f"{fmt_n(lo)}–{fmt_n(hi)}"

    subtitle = (f"{'Weighted %' if s.weighted else '%'}, {pct_label(s)} {s.ci} confidence "
                "intervals. n (answering each outcome): " +
                ", ".join(f"{g}\u00a0{n_of(g)}" for g in groups))  # no line break inside
    ncols = max(min(len(domains), 4), 1)
    nrows = max(int(np.ceil(len(domains) / ncols)), 1)
    by = [lower_word(group_label)] if len(groups) > 1 else []  # one group: not "by group"
    by += ["domain"] if any(domains) else []
    fig, axes = new_figure(0.6 + 2.3 * nrows, s,
                            f"Prevalence of {s.subject}" + (", by " if by else "")
                            + " and ".join(by), subtitle, nrows, ncols, sharey=True)
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
            colour = s.palette[j % len(s.palette)]
            xs = x + (j - (len(kinds) - 1) / 2) * width
            ax.errorbar(xs, est, yerr=np.nan_to_num(err), fmt="o", ms=4, color=colour,
                        elinewidth=1.0, capsize=0, label=word(kind, words, labels))
            for xi, e, top in zip(xs, est, est + np.nan_to_num(err[1])):
                if np.isfinite(e):
                    ax.text(xi, top + 1.5, f"{e:.0f}", ha="center", va="bottom",
                            fontsize=float(s.font_size) - 2.5, color=colour)
        ax.set_title(capitalised(word(dom, words)) if dom else "")
        ax.set_xticks(x, groups)
        ax.set_xlabel(group_label)
        ax.set_ylim(0, 100)
        ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
        ax.set_axisbelow(True)
        if i % ncols == 0:
            ax.set_ylabel(f"Share of {word('respondents', words)} (%)")
    for ax in axes.flat[len(domains):]:
        ax.set_visible(False)
    fig.legend(*unique_handles(axes.flat[:1]), loc="outside lower center", ncols=len(kinds))
    return fig


# -- forest plots ----------------------------------------------------------------------------

def term_rows(coefs: pd.DataFrame, covariates: list[str], reference_levels: dict,
              levels: dict | None = None, labels: dict | None = None,
              words: dict | None = None) -> pd.DataFrame:
    """One row per covariate level in a fixed order, reference levels included (is_ref)."""
    levels = levels or {}
    seen = [v for v in coefs["variable"].unique()
            if v not in ("Intercept", "")]  # "": an ordinal model's cut-points
    rows = []
    for var in dict.fromkeys([*[c for c in covariates if c in seen], *seen]):
        est = coefs[coefs["variable"] == var]
        lv = [x for x in est["level"].unique() if x]
        name = word(var, words, labels)
        if not lv:
            rows.append({"variable": var, "level": "", "label": name, "is_ref": False})
            continue
        ref = reference_levels.get(var)
        order = [str(x) for x in levels.get(var) or []] or lv
        if ref is None and order and order[0] not in lv:
            ref = order[0]
        if ref is not None:
            rows.append({"variable": var, "level": ref, "label": f"{name}: {ref} (ref.)",
                         "is_ref": True})
        for level in [x for x in order if x != ref] + [x for x in lv if x not in order]:
            if level in lv:
                rows.append({"variable": var, "level": level, "label": f"{name}: {level}",
                             "is_ref": False})
    return pd.DataFrame(rows, columns=["variable", "level", "label", "is_ref"])


def _forest_panel(ax, rows: pd.DataFrame, parts: list[tuple[pd.DataFrame, str, str]],
                  palette) -> None:
    """Draw odds ratios for one panel; ``parts`` = [(coefs of one model, colour, label)]."""
    y = np.arange(len(rows))[::-1]
    k = len(parts)
    for j, (sub, colour, label) in enumerate(parts):
        off = (j - (k - 1) / 2) * (0.5 / max(k, 1)) if k > 1 else 0.0
        m = rows.merge(sub, on=["variable", "level"], how="left")
        ok = m["odds_ratio"].notna().to_numpy() & ~m["is_ref"].to_numpy()
        yy = y - off
        ax.errorbar(m.loc[ok, "odds_ratio"], yy[ok],
                    xerr=[m.loc[ok, "odds_ratio"] - m.loc[ok, "or_conf_low"],
                          m.loc[ok, "or_conf_high"] - m.loc[ok, "odds_ratio"]],
                    fmt="o", ms=3.5, color=colour, elinewidth=1.0, capsize=0, label=label)
        ref = m["is_ref"].to_numpy()
        ax.plot(np.ones(ref.sum()), yy[ref], "o", ms=3.5, mfc="white", mec=colour, mew=0.9)
        gone = ~ok & ~ref & m["term"].notna().to_numpy()
        for yi in yy[gone]:
            ax.text(1.0, yi, "  not estimated", va="center", fontsize=6.5, color=colour)
    ax.axvline(1.0, color=GREY, lw=0.8, ls="--", zorder=0)
    ax.set_xscale("log")
    ax.set_yticks(y, rows["label"])
    ax.set_ylim(-0.8, len(rows) - 0.2)
    ax.set_xlabel("Odds ratio (log scale)")


NICE_OR_TICKS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.67, 1, 1.5, 2, 4, 5, 10, 20, 50, 100]


TICK_PRIORITY = [1, 0.5, 2, 0.25, 4, 0.1, 10, 0.2, 5, 0.05, 20, 0.01, 100, 0.67, 1.5]


def _log_ticks(axes, min_gap: float = 0.12) -> None:
    """Readable odds-ratio ticks (0.5, 1, 2 rather than 10^0) on shared log axes.

    Ticks are taken in order of roundness and kept only when at least ``min_gap`` of the
    axis (in log units) from every tick already kept, so narrow panels get fewer ticks.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    visible = [ax for ax in np.ravel(axes) if ax.get_visible()]
    if not visible:
        return
    lo, hi = visible[0].get_xlim()
    lo, hi = min(lo, 0.9), max(hi, 1.1)
    span = np.log(hi) - np.log(lo)
    ticks: list[float] = []
    for t in TICK_PRIORITY:
        if lo <= t <= hi and all(abs(np.log(t) - np.log(k)) >= min_gap * span for k in ticks):
            ticks.append(t)
    for ax in visible:
        ax.tick_params(labelbottom=True)
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(FixedLocator(sorted(ticks)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())


def _or_columns(coefs: pd.DataFrame) -> pd.DataFrame:
    c = coefs.copy()
    for col, src, rate in (("odds_ratio", "estimate", "rate_ratio"),
                           ("or_conf_low", "conf_low", "rr_conf_low"),
                           ("or_conf_high", "conf_high", "rr_conf_high")):
        if col not in c.columns:
            c[col] = np.exp(c[src])
        if rate in c.columns:  # a count model's rate ratios take the ratio's place
            c[col] = c[col].where(c[col].notna(), c[rate])
    c["level"] = c["level"].fillna("").astype(str)
    return c


def short_names(outcomes: list[str], words: dict | None = None,
                labels: dict | None = None) -> dict:
    """Outcome names as short as they can be: the kind alone when all share a domain."""
    parts = [split_outcome(o) for o in outcomes]
    if (len({d for _, d in parts}) == 1 and len({k for k, _ in parts}) == len(parts)
            and all(d and k in (words or {}) for k, d in parts)):
        return {o: word(k, words) for o, (k, _) in zip(outcomes, parts)}
    return {o: outcome_words(o, words, labels) for o in outcomes}


def _n_phrase(fit, outcomes, sample, names) -> str:
    """'n = 4,988 (Individual), 4,990 (Collective)'; a failed model says so instead."""
    bits = []
    for o in outcomes:
        status, _ = model_status(fit, o, sample)
        if status in ("failed", "missing"):
            bits.append(f"{names[o]}: {'model failed' if status == 'failed' else 'no model'}")
        else:
            bits.append(f"{fmt_n(_fit_n(fit, o, sample))} ({names[o]}"
                        f"{', flagged' if status == 'flagged' else ''})")
    return "n = " + ", ".join(bits)


def _rows_or_covariates(coefs, covariates, reference_levels, levels, labels, words):
    rows = term_rows(coefs, covariates, reference_levels, levels, labels, words)
    if not len(rows):
        rows = pd.DataFrame({"variable": covariates, "level": "", "is_ref": False,
                             "label": [word(c, words, labels) for c in covariates]})
    return rows


@styled
def forest_figure(coefs: pd.DataFrame, fit: pd.DataFrame, *, sample: str, outcomes: list[str],
                  covariates: list[str], reference_levels: dict, levels: dict | None = None,
                  labels: dict | None = None, words: dict | None = None,
                  settings: FigureSettings | None = None, families: dict | None = None) -> Figure:
    """Odds ratios of one sample's models, the outcomes side by side, one row per level.

    ``families`` ({outcome: logit | ordinal | count}, for the ordinal and count outcomes'
    own figure): each panel's axis names its ratio (of a higher category; a count's rate)."""
    s = style_settings(settings)
    coefs = _or_columns(coefs)
    sub_all = coefs[coefs["sample"].astype(str) == str(sample)]
    rows = _rows_or_covariates(sub_all, covariates, reference_levels, levels, labels, words)
    names = short_names(outcomes, words, labels)
    what = "on the survey's own scales" if families else "odds ratios"
    kinds = set((families or {}).values())
    ratios = "; ".join(r for f, r in (("ordinal", "ordinal outcomes: odds ratios of being in a "
                                       "higher category"), ("count", "counts: rate ratios"))
                       if f in kinds)
    fig, axes = new_figure(1.0 + 0.2 * len(rows), s,
                            f"Correlates of {s.subject}: {what}, {word(sample, words)}",
                            f"{ratios + '; ' if ratios else ''}{pct_label(s)} confidence "
                            "intervals, log scale; open circles: reference levels. "
                            f"{_n_phrase(fit, outcomes, sample, names)}",
                            1, len(outcomes), sharey=True, sharex=True)
    for j, o in enumerate(outcomes):
        ax = axes[0, j]
        colour = s.palette[j % len(s.palette)]
        status, msg = model_status(fit, o, sample)
        panel_title(ax, outcome_words(o, words, labels), s, len(outcomes), color=colour)
        if status in ("failed", "missing"):
            _forest_panel(ax, rows, [], s.palette)
            panel_note(ax, status_note(status, msg))
            continue
        _forest_panel(ax, rows, [(sub_all[sub_all["outcome"] == o], colour, names[o])],
                      s.palette)
        if families:
            ax.set_xlabel(ratio_word(families.get(o, "logit")))  # the subtitle: log scale
        if status == "flagged":
            panel_title(ax, f"{outcome_words(o, words, labels)} (flagged)", s, len(outcomes),
                         color=colour)
            corner_note(ax, f"Flagged: {msg}")
    _log_ticks(axes, 0.08 * len(outcomes))
    return fig


@styled
def cuts_figure(cuts: pd.DataFrame, *, sample: str, outcomes: list[str], covariates: list[str],
                reference_levels: dict, levels: dict | None = None, labels: dict | None = None,
                words: dict | None = None, settings: FigureSettings | None = None) -> Figure:
    """The proportional-odds check a reader can see: for each ordinal outcome, the odds ratio
    of every binary cut ("sometimes or higher", "often or higher") beside the ordinal model's
    single odds ratio (black). Far-apart cuts mean the one ordinal odds ratio averages over
    different effects at different points of the scale."""
    s = style_settings(settings)
    cuts = _or_columns(cuts) if len(cuts) else cuts
    sub_all = cuts[cuts["sample"].astype(str) == str(sample)] if len(cuts) else cuts
    rows = _rows_or_covariates(sub_all, covariates, reference_levels, levels, labels, words) \
        if len(sub_all) else pd.DataFrame(columns=["variable", "level", "label", "is_ref"])
    fig, axes = new_figure(1.2 + 0.22 * len(rows), s,
                            f"Does the cut of the scale matter? {word(sample, words)}",
                            f"Odds ratios of each binary cut and of the ordinal model "
                            f"(black), {pct_label(s)} confidence intervals, log scale",
                            1, max(len(outcomes), 1), sharey=True, sharex=True)
    for j, o in enumerate(outcomes):
        ax = axes[0, j]
        sub = sub_all[sub_all["outcome"] == o] if len(sub_all) else sub_all
        panel_title(ax, outcome_words(o, words, labels), s, len(outcomes))
        if not len(sub):
            _forest_panel(ax, rows, [], s.palette)
            panel_note(ax, "no estimates (the model failed)")
            continue
        names = list(dict.fromkeys(sub["cut"]))
        ordinal = [c for c in names if c.startswith("ordinal")]
        order = [c for c in names if c not in ordinal] + ordinal
        parts = [(sub[sub["cut"] == c], "black" if c in ordinal else
                  s.palette[k % len(s.palette)], c) for k, c in enumerate(order)]
        _forest_panel(ax, rows, parts, s.palette)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06 - 0.5 / (1.2 + 0.22 * len(rows))),
                  ncol=1, fontsize=s.font_size - 1, handletextpad=0.2)
    _log_ticks(axes, 0.08 * max(len(outcomes), 1))
    return fig


@styled
def groups_forest_figure(coefs: pd.DataFrame, fit: pd.DataFrame, *, samples: list[str],
                         outcomes: list[str], covariates: list[str], reference_levels: dict,
                         levels: dict | None = None, labels: dict | None = None,
                         words: dict | None = None, group_label: str = "Group",
                         settings: FigureSettings | None = None) -> Figure:
    """Small multiples: one panel per group, shared axes, the outcomes in colour."""
    s = style_settings(settings)
    coefs = _or_columns(coefs)
    sub_all = coefs[coefs["sample"].astype(str).isin([str(x) for x in samples])]
    rows = _rows_or_covariates(sub_all, covariates, reference_levels, levels, labels, words)
    names = short_names(outcomes, words, labels)
    # up to five groups side by side (the labels once, at the left), so that the figure fits a
    # page; more groups wrap into further rows of five
    ncols = min(len(samples), 5)
    nrows = int(np.ceil(len(samples) / ncols))
    fig, axes = new_figure(0.5 + nrows * (0.7 + 0.16 * len(rows)), s,
                            f"Correlates of {s.subject} by {lower_word(group_label)}: "
                            "odds ratios",
                            f"{pct_label(s)} confidence intervals, log scale, the same axis in "
                            "every panel; † marks a flagged or failed model (see the flags "
                            "table). " +
                            "; ".join(f"{word(smp, words)} {_n_phrase(fit, outcomes, smp, names)}"
                                      for smp in samples),
                            nrows, ncols, sharex=True, sharey=True)
    for i, smp in enumerate(samples):
        ax = axes.flat[i]
        parts, notes = [], []
        for j, o in enumerate(outcomes):
            status, msg = model_status(fit, o, smp)
            if status in ("failed", "missing"):
                notes.append(f"{names[o]} {'failed' if status == 'failed' else 'missing'}")
                continue
            if status == "flagged":
                notes.append(f"{names[o]} flagged")
            sub = model_rows(sub_all, o, smp)
            parts.append((sub, s.palette[j % len(s.palette)], names[o]))
        _forest_panel(ax, rows, parts, s.palette)
        # the group's name; a flagged or failed model is marked with a dagger here and named
        # in the subtitle (a second title on the right collides with long names)
        ax.set_title(word(smp, words) + (" †" if notes else ""), loc="left", fontweight="bold")
    for ax in axes.flat[len(samples):]:
        ax.set_visible(False)
    label = axes.flat[0].get_xlabel()
    for ax in axes.flat:  # one axis title, under the middle panel of the narrow ones
        ax.set_xlabel("")
    axes[-1, (ncols - 1) // 2].set_xlabel(label)
    fig.legend(*unique_handles(axes.flat[: len(samples)]), loc="outside lower center",
               ncols=len(outcomes))
    _log_ticks(axes, 0.07 * min(ncols, 4))
    return fig


# -- predicted probabilities -----------------------------------------------------------------

@styled
def prediction_figure(preds: pd.DataFrame, fit: pd.DataFrame, *, grid: str, x: str,
                      by: str | None = None, outcomes: list[str], sample: str,
                      labels: dict | None = None, words: dict | None = None,
                      settings: FigureSettings | None = None) -> Figure:
    """Average predicted probability along ``x``: with ``by``, one panel per outcome and one
    line per level of ``by``; without, one panel with a line per outcome. Along a category
    (``x`` not a number), a point with its interval per level, the lines' points side by side.

    A figure with nothing to draw (no prediction of a model that did not fail) is refused with
    a :class:`coprod.errors.DataError` naming it: never an empty image."""
    from ..errors import DataError

    s = style_settings(settings)
    preds = preds.assign(**{c: np.nan for c in (x, by) if c and c not in preds.columns})
    sub = preds[(preds["grid"] == grid) & (preds["sample"].astype(str) == str(sample))]
    xs = sub[x].dropna()
    categorical = bool(len(xs)) and pd.to_numeric(xs, errors="coerce").isna().any()
    levels = list(dict.fromkeys(xs.astype(str)))  # the grid's order
    xw = word(x, words, labels)
    names = short_names(outcomes, words, labels)
    panels = outcomes if by else [None]
    fig, axes = new_figure(3.0, s, f"Predicted probability of {s.subject} by {xw.lower()}",
                            f"Average predictions from the {word(sample, words)} models, "
                            f"{pct_label(s)} confidence {'intervals' if categorical else 'bands'}. "
                            f"{_n_phrase(fit, outcomes, sample, names)}",
                            1, len(panels), sharey=True, sharex=True)
    drawn, failed = 0, 0
    for i, panel in enumerate(panels):
        ax = axes[0, i]
        notes, lines = [], []
        if by:
            panel = cast(str, panel)  # with by, the panels are the outcomes
            status, msg = model_status(fit, panel, sample)
            d = sub[sub["outcome"] == panel]
            lines = [(word(lv, words), d[d[by].astype(str) == str(lv)])
                     for lv in dict.fromkeys(d[by].dropna().astype(str))]
            panel_title(ax, outcome_words(panel, words, labels), s, len(panels))
            if status in ("failed", "missing"):
                panel_note(ax, status_note(status, msg))
                failed += 1
            elif status == "flagged":
                notes.append(f"Flagged: {msg}")
            offset = 2
        else:
            for o in outcomes:
                status, msg = model_status(fit, o, sample)
                if status in ("failed", "missing"):
                    notes.append(f"{names[o]}: {status_note(status, msg)}")
                    failed += 1
                    continue
                if status == "flagged":
                    notes.append(f"{names[o]}: flagged")
                lines.append((names[o], sub[sub["outcome"] == o]))
            offset = 0
        for j, (name, d) in enumerate(lines):
            colour = s.palette[(j + offset) % len(s.palette)]
            if categorical:
                _category_points(ax, d, x, levels, j, len(lines), colour, str(name))
            else:
                d = d.assign(_x=pd.to_numeric(d[x], errors="coerce")).sort_values("_x")
                ax.fill_between(d["_x"], d["conf_low"], d["conf_high"], color=colour,
                                alpha=0.18, lw=0)
                ax.plot(d["_x"], d["predicted"], "-o", ms=3, color=colour, lw=1.4,
                        label=str(name))
            drawn += int(d["predicted"].notna().sum())
        values = pd.to_numeric(sub[x], errors="coerce").dropna().unique()
        if categorical:
            ax.set_xticks(range(len(levels)), levels)
            ax.set_xlim(-0.5, len(levels) - 0.5)
        elif 0 < len(values) <= 8:
            ax.set_xticks(sorted(values), [f"{v:g}" for v in sorted(values)])
        ax.set_xlabel(xw)
        ax.set_ylim(0, 1)
        ax.set_ylabel("Predicted probability" if i == 0 else "")
        if lines:
            ax.legend(title=word(by, words, labels) if by else None, loc="upper left")
        if notes:
            corner_note(ax, "; ".join(notes))
    if not drawn and not failed:
        plt.close(fig)
        raise DataError(f"figure predictions_{grid}: nothing to draw: no predictions of the "
                        f"{sample} models along '{x}' in grid '{grid}' "
                        "(report.figures.predictions); no empty figure is written")
    return fig


def _category_points(ax, d: pd.DataFrame, x: str, levels: list[str], j: int, k: int,
                     colour: str, label: str) -> None:
    """One line's predictions along a category: a point and its interval at each level, the
    ``k`` lines side by side (dodged) around the level's position (a line between categories
    would invent values between them)."""
    pos = d[x].astype(str).map({lv: i for i, lv in enumerate(levels)}).to_numpy(float)
    off = (j - (k - 1) / 2) * min(0.6 / k, 0.2) if k > 1 else 0.0
    est = d["predicted"].to_numpy(float)
    err = np.vstack([est - d["conf_low"].to_numpy(float), d["conf_high"].to_numpy(float) - est])
    ax.errorbar(pos + off, est, yerr=np.nan_to_num(err), fmt="o", ms=3.5, color=colour,
                elinewidth=1.0, capsize=0, label=label)


# -- cleaning flow ---------------------------------------------------------------------------

@styled
def cleaning_figure(summary: pd.DataFrame, *, group_label: str = "Group",
                    settings: FigureSettings | None = None) -> Figure:
    """Per group: the rows kept, and beside them, on a scale of their own, the rows dropped by
    reason and the values set missing -- a few dropped rows next to a thousand kept would be
    invisible on one axis. Every bar carries its number."""
    s = style_settings(settings)
    groups = summary.iloc[:, 0].astype(str).tolist()
    drops = [c for c in summary.columns if c.startswith("dropped_")]
    read, kept = summary["read"].astype(float), summary["kept"].astype(float)
    panels = [("Kept", ["kept"])] + ([("Dropped, by reason", drops)] if drops else [])
    if "values_set_missing" in summary.columns:
        panels.append(("Values set missing", ["values_set_missing"]))
    fig, axes = new_figure(0.9 + 0.32 * len(groups) * max(len(drops), 1) ** 0.5, s,
                            "Cleaning: rows kept, rows dropped and values set missing",
                            f"{fmt_n(read.sum())} rows read, {fmt_n(kept.sum())} kept, "
                            f"{fmt_n(read.sum() - kept.sum())} dropped", 1, len(panels),
                            sharey=True)
    y = np.arange(len(groups))[::-1].astype(float)
    fs = float(s.font_size)
    for k, (ax, (title, cols)) in enumerate(zip(axes[0], panels)):
        height = 0.7 / len(cols)
        top = 0.0
        for j, col in enumerate(cols):
            vals = summary[col].to_numpy(float)
            pos = y + 0.35 - height * (j + 0.5)
            colour = s.palette[0] if k == 0 else s.palette[(j + 1) % len(s.palette)] \
                if title.startswith("Dropped") else GREY
            label = col[8:].replace("_", " ") if title.startswith("Dropped") else None
            ax.barh(pos, vals, height=height * 0.9, color=colour, label=label)
            for yi, v in zip(pos, vals):
                ax.text(v, yi, f" {fmt_n(v)}", va="center", fontsize=fs - 2, color="#222222")
            top = max(top, float(np.nanmax(vals)) if len(vals) else 0.0)
        ax.set_xlim(0, top * 1.35 if top > 0 else 1)
        ax.set_title(title, fontsize=fs)
        ax.set_xlabel("Rows" if k < 2 or not title.startswith("Values") else "Values")
        if title.startswith("Dropped") and len(cols) > 1:
            fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center",
                       ncols=len(cols), fontsize=fs - 1, title="Dropped: reason",
                       title_fontsize=fs - 1)
    axes[0, 0].set_yticks(y, groups)
    axes[0, 0].set_ylabel(group_label)
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
    coefs, fit_t = read_results(coefficients, "coefficients"), read_results(fit, "fit")
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
    preds = read_results(predictions, "predictions")
    for p in settings.predictions:
        makers[f"predictions_{p['grid']}"] = (lambda p=p: prediction_figure(
            preds, fit_t, grid=p["grid"], x=p["x"], by=p.get("by"), outcomes=compare,
            sample=settings.forest_sample, **common))
    for stem, paths in group_outputs(outputs).items():
        save_figure(makers[stem](), paths, dpi=int(settings.dpi), settings=settings)
