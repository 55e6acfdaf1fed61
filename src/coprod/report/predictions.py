"""The predicted-probability figures: average predictions along one covariate, a line (or,
along a category, a point per level) per outcome or per level of a second variable.

Why a module of their own (apart from :mod:`coprod.report.figures`): the lines must be told
apart without colour (issue 27: Men and Women were green and pink, nearly one colour under
deuteranopia, and lay on top of each other in one panel). Each line has its own line style
and marker and is labelled at its end, the labels pushed apart where the lines meet;
tests/unit/report/test_colour_vision.py checks the lines under simulated deuteranopia.
"""
from __future__ import annotations

from typing import cast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..pipeline.reportsettings import FigureSettings
from .figstyle import (
    concepts,
    foot_legend,
    narrow,
    new_figure,
    panel_note,
    panel_title,
    panel_width,
    pct_label,
    style_settings,
    styled,
    text_size,
    text_width,
    unique_handles,
)
from .forest import n_phrase, short_names, status_notes
from .wording import model_status, outcome_words, word


@styled
def prediction_figure(preds: pd.DataFrame, fit: pd.DataFrame, *, grid: str, x: str,
                      by: str | None = None, outcomes: list[str], sample: str,
                      labels: dict | None = None, words: dict | None = None,
                      settings: FigureSettings | None = None) -> Figure:
    """Average predicted probability along ``x``: with ``by``, one panel per outcome and one
    line per level of ``by`` (black and purple, :class:`coprod.report.figstyle.Concepts`);
    without, one panel with a line per outcome (the outcomes' colours). Each line has its own
    style and marker and its name at its right end. Along a category (``x`` not a number), a
    point with its interval per level, the lines' points side by side, a marker each, the key
    below the panels.

    A figure with nothing to draw (no prediction of a model that did not fail) is refused with
    a :class:`coprod.errors.DataError` naming it: never an empty image."""
    from ..errors import DataError

    s = style_settings(settings)
    c = concepts(s)
    preds = preds.assign(**{col: np.nan for col in (x, by) if col and col not in preds.columns})
    sub = preds[(preds["grid"] == grid) & (preds["sample"].astype(str) == str(sample))]
    xs = sub[x].dropna()
    categorical = bool(len(xs)) and pd.to_numeric(xs, errors="coerce").isna().any()
    levels = list(dict.fromkeys(xs.astype(str)))  # the grid's order
    xw = word(x, words, labels)
    names = short_names(outcomes, words, labels)
    panels = outcomes if by else [None]
    statuses = {o: model_status(fit, o, sample) for o in outcomes}
    notes = status_notes([(outcome_words(o, words, labels) if by else names[o], *statuses[o])
                          for o in outcomes])
    fig, axes = new_figure(2.4 if narrow(s) else 3.0, s,
                           f"Predicted probability of {s.subject} by {xw.lower()}",
                           f"Average predictions from the {word(sample, words)} models, "
                           f"{pct_label(s)} confidence "
                           f"{'intervals' if categorical else 'bands'}. "
                           f"{n_phrase(fit, outcomes, sample, names)}",
                           1, len(panels), sharey=True, sharex=True, notes=notes,
                           legend_rows=(2 if by else 1) if categorical else 0)
    drawn, failed = 0, 0
    for i, panel in enumerate(panels):
        ax = axes[0, i]
        lines: list[tuple[str, pd.DataFrame, tuple[str, str, str]]] = []
        if by:
            panel = cast(str, panel)  # with by, the panels are the outcomes
            status, _ = statuses[panel]
            d = sub[sub["outcome"] == panel]
            lines = [(word(lv, words), d[d[by].astype(str) == str(lv)], c.level(j))
                     for j, lv in enumerate(dict.fromkeys(d[by].dropna().astype(str)))]
            panel_title(ax, outcome_words(panel, words, labels)
                        + (" (flagged)" if status == "flagged" else ""), s, len(panels))
            if status in ("failed", "missing"):
                panel_note(ax, "Model failed" if status == "failed" else "No model", s,
                           len(panels))
                failed += 1
        else:
            for j, o in enumerate(outcomes):
                if statuses[o][0] in ("failed", "missing"):
                    failed += 1
                    continue
                _, style, marker = c.level(j)
                lines.append((names[o], sub[sub["outcome"] == o], (c.outcome(j), style, marker)))
        ends = []
        for j, (name, d, (colour, style, marker)) in enumerate(lines):
            if categorical:
                _category_points(ax, d, x, levels, j, len(lines), colour, marker, str(name))
            else:
                d = d.assign(_x=pd.to_numeric(d[x], errors="coerce")).sort_values("_x")
                ax.fill_between(d["_x"], d["conf_low"], d["conf_high"], color=colour,
                                alpha=0.15, lw=0)
                ax.plot(d["_x"], d["predicted"], ls=style, marker=marker, ms=3.5,
                        color=colour, lw=1.4, label=str(name),
                        mfc="white" if j % 2 else colour)
                last = d.dropna(subset=["_x", "predicted"]).tail(1)
                if len(last):
                    ends.append((float(last["_x"].iloc[0]), float(last["predicted"].iloc[0]),
                                 str(name), colour))
            drawn += int(d["predicted"].notna().sum())
        values = pd.to_numeric(sub[x], errors="coerce").dropna().unique()
        if categorical:
            ax.set_xticks(range(len(levels)), levels)
            ax.set_xlim(-0.5, len(levels) - 0.5)
        elif 0 < len(values) <= 8:
            ticks = sorted(values)
            shown = [f"{v:g}" for v in ticks]
            room = panel_width(s, len(panels)) * 0.8  # every other value when they crowd
            if sum(text_width(n, text_size(s, 1)) + 0.08 for n in shown) > room:
                ticks, shown = ticks[::2], shown[::2]
            ax.set_xticks(ticks, shown)
        ax.set_xlabel(xw)
        ax.set_ylim(0, 1)
        ax.set_ylabel("Predicted probability" if i == 0 else "")
        if ends:
            _direct_labels(ax, ends, s, len(panels))
    if categorical and any(ax.get_legend_handles_labels()[0] for ax in axes.flat):
        title = word(by, words, labels) if by else None
        foot_legend(fig, *unique_handles(axes.flat), title=title, ncols=4)
    if not drawn and not failed:
        plt.close(fig)
        raise DataError(f"figure predictions_{grid}: nothing to draw: no predictions of the "
                        f"{sample} models along '{x}' in grid '{grid}' "
                        "(report.figures.predictions); no empty figure is written")
    return fig


def _direct_labels(ax, ends: list[tuple[float, float, str, str]], settings: FigureSettings,
                   n_panels: int) -> None:
    """Each line's name at its right end, in its colour (no legend to look up); names whose
    lines end close together are pushed apart so that they never overlap, and the axis is
    widened to the right to make room for them."""
    s = style_settings(settings)
    size = text_size(s, 1)
    panel_in = max((float(s.width) - 0.8) / n_panels, 0.8)  # about the panel's width, inches
    height_in = 2.0 if narrow(s) else 2.6  # about the panel's height
    gap = 1.25 * size / 72 / height_in  # a line of text, in the axis' units (0-1)
    order = sorted(range(len(ends)), key=lambda k: ends[k][1])
    ys = [ends[k][1] for k in order]
    for k in range(1, len(ys)):  # upwards, then back down if the top ran over 1
        ys[k] = max(ys[k], ys[k - 1] + gap)
    over = ys[-1] - (1 - gap / 2) if ys else 0
    if over > 0:
        ys = [y - over for y in ys]
        for k in range(len(ys) - 2, -1, -1):
            ys[k] = min(ys[k], ys[k + 1] - gap)
    lo, hi = ax.get_xlim()
    widest = max(text_width(name, size) for _, _, name, _ in ends) + 0.1
    share = min(widest / panel_in, 0.45)
    right = hi + (hi - lo) * share / (1 - share)
    ax.set_xlim(lo, right)
    step = (right - lo) * 0.02
    for k, y in zip(order, ys):
        x0, y0, name, colour = ends[k]
        if abs(y - y0) > 1e-9:  # pushed apart: a thin leader from the line's end to its name
            ax.plot([x0, x0 + step], [y0, y], color=colour, lw=0.6, gid="direct-leader")
        ax.text(x0 + 1.5 * step, y, name, ha="left", va="center", color=colour,
                fontsize=size, gid="direct-label")


def _category_points(ax, d: pd.DataFrame, x: str, levels: list[str], j: int, k: int,
                     colour: str, marker: str, label: str) -> None:
    """One line's predictions along a category: a point and its interval at each level, the
    ``k`` lines side by side (dodged) around the level's position (a line between categories
    would invent values between them)."""
    pos = d[x].astype(str).map({lv: i for i, lv in enumerate(levels)}).to_numpy(float)
    off = (j - (k - 1) / 2) * min(0.6 / k, 0.2) if k > 1 else 0.0
    est = d["predicted"].to_numpy(float)
    err = np.vstack([est - d["conf_low"].to_numpy(float), d["conf_high"].to_numpy(float) - est])
    ax.errorbar(pos + off, est, yerr=np.nan_to_num(err), fmt=marker, ms=4, color=colour,
                elinewidth=1.0, capsize=0, label=label, mfc="white" if j % 2 else colour)
