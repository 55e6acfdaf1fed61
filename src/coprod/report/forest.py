"""The forest plots: odds ratios (or a count's rate ratios) with their intervals, one row per
covariate level -- of one sample's models (:func:`forest_figure`), of every group's
(:func:`groups_forest_figure`, small multiples) and of each binary cut of a scale
(:func:`cuts_figure`).

Why a module of their own (apart from :mod:`coprod.report.figures`): the three share the rows,
the panel, the ticks and the notes of flagged models, and nothing with the other figures.
Every note is drawn at the figure's foot, never over a panel (issue 27); a term a model could
not estimate is an x at the panel's left edge, never a label running into the next panel.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..pipeline.reportsettings import FigureSettings
from .figstyle import (
    GREY,
    concepts,
    fmt_n,
    foot_legend,
    narrow,
    new_figure,
    panel_note,
    panel_title,
    pct_label,
    short,
    style_settings,
    styled,
    text_size,
    unique_handles,
    wrap_to_width,
)
from .wording import (
    fit_row,
    lower_word,
    model_rows,
    model_status,
    outcome_words,
    ratio_word,
    split_outcome,
    word,
)

#: where a term a model could not estimate is marked (axes fraction from the panel's left)
NOT_ESTIMATED_AT = 0.04
NOT_ESTIMATED_NOTE = ("x at a panel's left edge: a term the model could not estimate (no "
                      "respondent in the level, or a separation)")


def fit_n(fit: pd.DataFrame, outcome: str, sample: str):
    row = fit_row(fit, outcome, sample)
    return row["n"] if row is not None and "n" in row else None


def term_rows(coefs: pd.DataFrame, covariates: list[str], reference_levels: dict,
              levels: dict | None = None, labels: dict | None = None,
              words: dict | None = None, reference_rows: bool = True) -> pd.DataFrame:
    """One row per covariate level in a fixed order; with ``reference_rows`` the reference
    levels too (is_ref, "Gender: man (ref.)"), without them each level names its reference
    ("Gender: woman vs man")."""
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
        if ref is not None and reference_rows:
            rows.append({"variable": var, "level": ref, "label": f"{name}: {ref} (ref.)",
                         "is_ref": True})
        versus = f" vs {ref}" if ref is not None and not reference_rows else ""
        for level in [x for x in order if x != ref] + [x for x in lv if x not in order]:
            if level in lv:
                rows.append({"variable": var, "level": level,
                             "label": f"{name}: {level}{versus}", "is_ref": False})
    return pd.DataFrame(rows, columns=["variable", "level", "label", "is_ref"])


def wrapped_labels(rows: pd.DataFrame, settings: FigureSettings) -> list[str]:
    """The row labels wrapped to at most 40% of the figure's width (a column-wide figure
    would otherwise give its panels no room)."""
    s = style_settings(settings)
    width = 0.4 * float(s.width)
    return ["\n".join(wrap_to_width(str(lab), width, text_size(s, 1)))
            for lab in rows["label"]]


def rows_height(rows: pd.DataFrame, settings: FigureSettings, per_row: float = 0.2) -> float:
    """The panels' height for these rows: ``per_row`` inches a row at 9 pt, or room for the
    tallest wrapped label (the rows are evenly spaced: each takes the tallest one's height)."""
    s = style_settings(settings)
    lines = max([lab.count("\n") + 1 for lab in wrapped_labels(rows, s)], default=1)
    tallest = lines * text_size(s, 1) * 1.3 / 72 + 0.06
    return len(rows) * max(per_row * float(s.font_size) / 9, tallest if lines > 1 else 0.0)


def forest_panel(ax, rows: pd.DataFrame, parts: list[tuple], settings: FigureSettings) -> None:
    """Draw odds ratios for one panel; ``parts`` = [(coefs of one model, colour, label[,
    marker])]; a term without an estimate is an x at the panel's left edge."""
    s = style_settings(settings)
    y = np.arange(len(rows))[::-1]
    k = len(parts)
    for j, (sub, colour, label, *rest) in enumerate(parts):
        marker = rest[0] if rest else "o"
        off = (j - (k - 1) / 2) * (0.5 / max(k, 1)) if k > 1 else 0.0
        m = rows.merge(sub, on=["variable", "level"], how="left")
        ok = m["odds_ratio"].notna().to_numpy() & ~m["is_ref"].to_numpy()
        yy = y - off
        ax.errorbar(m.loc[ok, "odds_ratio"], yy[ok],
                    xerr=[m.loc[ok, "odds_ratio"] - m.loc[ok, "or_conf_low"],
                          m.loc[ok, "or_conf_high"] - m.loc[ok, "odds_ratio"]],
                    fmt=marker, ms=3.5, color=colour, elinewidth=1.0, capsize=0, label=label)
        ref = m["is_ref"].to_numpy()
        if ref.any():
            ax.plot(np.ones(ref.sum()), yy[ref], marker, ms=3.5, mfc="white", mec=colour,
                    mew=0.9)
        gone = ~ok & ~ref & m["term"].notna().to_numpy()
        if gone.any():
            ax.plot(np.full(gone.sum(), NOT_ESTIMATED_AT), yy[gone], "x", ms=4, color=colour,
                    mew=1.0, transform=ax.get_yaxis_transform(), clip_on=False,
                    gid="not-estimated")
    ax.axvline(1.0, color=GREY, lw=0.8, ls="--", zorder=0)
    ax.set_xscale("log")
    ax.set_yticks(y, wrapped_labels(rows, s))
    ax.set_ylim(-0.6, len(rows) - 0.4)  # half a row above and below: no empty row at the end
    ax.set_xlabel("Odds ratio (log scale)")


TICK_PRIORITY = [1, 0.5, 2, 0.25, 4, 0.1, 10, 0.2, 5, 0.05, 20, 0.01, 100, 0.67, 1.5, 0.001,
                 1000, 0.02, 50]


def log_ticks(axes, min_gap: float = 0.12, shared: bool = True) -> None:
    """Readable odds-ratio ticks (0.5, 1, 2 rather than 10^0) on log axes, each axis spanning
    1 and its data; ``shared``: every panel the first panel's range.

    Ticks are taken in order of roundness and kept only when at least ``min_gap`` of the
    axis (in log units) from every tick already kept, so narrow panels get fewer ticks.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    visible = [ax for ax in np.ravel(axes) if ax.get_visible()]
    for ax in visible:
        lo, hi = (visible[0] if shared else ax).get_xlim()
        lo, hi = min(lo, 0.9), max(hi, 1.1)
        span = np.log(hi) - np.log(lo)
        ticks: list[float] = []
        for t in TICK_PRIORITY:
            if lo <= t <= hi and all(abs(np.log(t) - np.log(k)) >= min_gap * span
                                     for k in ticks):
                ticks.append(t)
        ax.tick_params(labelbottom=True)
        ax.set_xlim(lo, hi)
        ax.xaxis.set_major_locator(FixedLocator(sorted(ticks)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())


def or_columns(coefs: pd.DataFrame) -> pd.DataFrame:
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


def n_phrase(fit, outcomes, sample, names) -> str:
    """'n = 4,988 (Individual), 4,990 (Collective)'; a failed model says so instead."""
    bits = []
    for o in outcomes:
        status, _ = model_status(fit, o, sample)
        if status in ("failed", "missing"):
            bits.append(f"{names[o]}: {'model failed' if status == 'failed' else 'no model'}")
        else:
            bits.append(f"{fmt_n(fit_n(fit, o, sample))} ({names[o]}"
                        f"{', flagged' if status == 'flagged' else ''})")
    return "n = " + ", ".join(bits)


def status_notes(items: list[tuple[str, str, str]]) -> list[str]:
    """The notes at a figure's foot for [(which model, status, message)]: one line per
    status and reason, naming every model it applies to ("Flagged (UK, FR): lonely_psu...")."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for which, status, msg in items:
        if status in ("flagged", "failed", "missing"):
            grouped.setdefault((status, msg), []).append(which)
    word_of = {"flagged": "Flagged", "failed": "Model failed", "missing": "No model"}
    return [f"{word_of[st]} ({', '.join(ws)})" + (f": {short(msg)}" if msg else "")
            for (st, msg), ws in grouped.items()]


def rows_or_covariates(coefs, covariates, reference_levels, levels, labels, words,
                       reference_rows: bool = True):
    rows = term_rows(coefs, covariates, reference_levels, levels, labels, words,
                     reference_rows)
    if not len(rows):
        rows = pd.DataFrame({"variable": covariates, "level": "", "is_ref": False,
                             "label": [word(c, words, labels) for c in covariates]})
    return rows


def _ref_phrase(s: FigureSettings) -> str:
    return ("open circles: reference levels" if s.reference_rows
            else "each level against its reference level")


@styled
def forest_figure(coefs: pd.DataFrame, fit: pd.DataFrame, *, sample: str, outcomes: list[str],
                  covariates: list[str], reference_levels: dict, levels: dict | None = None,
                  labels: dict | None = None, words: dict | None = None,
                  settings: FigureSettings | None = None, families: dict | None = None) -> Figure:
    """Odds ratios of one sample's models, the outcomes side by side, one row per level.

    ``families`` ({outcome: logit | ordinal | count}, for the ordinal and count outcomes'
    own figure): each panel's axis names its ratio (of a higher category; a count's rate), and
    the panels are drawn in the neutral colour (the outcomes' colours belong to the compared
    pair). A column-wide figure puts two panels abreast."""
    s = style_settings(settings)
    c = concepts(s)
    coefs = or_columns(coefs)
    sub_all = coefs[coefs["sample"].astype(str) == str(sample)]
    rows = rows_or_covariates(sub_all, covariates, reference_levels, levels, labels, words,
                              s.reference_rows)
    names = short_names(outcomes, words, labels)
    what = "on the survey's own scales" if families else "odds ratios"
    kinds = set((families or {}).values())
    ratios = "; ".join(r for f, r in (("ordinal", "ordinal outcomes: odds ratios of being in a "
                                       "higher category"), ("count", "counts: rate ratios"))
                       if f in kinds)
    statuses = {o: model_status(fit, o, sample) for o in outcomes}
    notes = status_notes([(outcome_words(o, words, labels), *statuses[o]) for o in outcomes])
    if not_estimated([sub_all[sub_all["outcome"] == o] for o in outcomes
                      if statuses[o][0] not in ("failed", "missing")], rows):
        notes.append(NOT_ESTIMATED_NOTE)
    ncols = min(len(outcomes), 2) if narrow(s) else len(outcomes)
    nrows = int(np.ceil(len(outcomes) / max(ncols, 1)))
    fig, axes = new_figure(nrows * (0.8 + rows_height(rows, s)), s,
                           f"Correlates of {s.subject}: {what}, {word(sample, words)}",
                           f"{ratios + '; ' if ratios else ''}{pct_label(s)} confidence "
                           f"intervals, log scale; {_ref_phrase(s)}. "
                           f"{n_phrase(fit, outcomes, sample, names)}",
                           nrows, ncols, sharey=True, sharex=True, notes=notes)
    for j, o in enumerate(outcomes):
        ax = axes.flat[j]
        colour = c.neutral if families else c.outcome(j)
        status, msg = statuses[o]
        title = outcome_words(o, words, labels) + (" (flagged)" if status == "flagged" else "")
        panel_title(ax, title, s, ncols, color=colour)
        if status in ("failed", "missing"):
            forest_panel(ax, rows, [], s)
            panel_note(ax, "Model failed" if status == "failed" else "No model", s, ncols)
            continue
        forest_panel(ax, rows, [(sub_all[sub_all["outcome"] == o], colour, names[o])], s)
        if families:
            ax.set_xlabel(ratio_word(families.get(o, "logit")))  # the subtitle: log scale
    for ax in axes.flat[len(outcomes):]:
        ax.set_visible(False)
    if not families:  # one ratio for all: one axis title, under the panels
        axis_title(fig, axes, s)
    log_ticks(axes, 0.08 * ncols)
    return fig


def axis_title(fig: Figure, axes, settings: FigureSettings, always: bool = False) -> None:
    """The panels' common axis title once, under the middle panel of the last row, when the
    panels are narrow (under each it would run into the next one) or ``always``."""
    if not (always or narrow(settings)):
        return
    label = axes.flat[0].get_xlabel()
    for ax in axes.flat:
        ax.set_xlabel("")
    last = [ax for ax in axes[-1] if ax.get_visible()] or list(axes[-1])
    last[(len(last) - 1) // 2].set_xlabel(label)


def not_estimated(subs: list[pd.DataFrame], rows: pd.DataFrame) -> bool:
    """Whether any drawn model has a row's term without an estimate (then the notes say what
    the x at the panel's edge means)."""
    keys = set(zip(rows["variable"], rows["level"]))
    return any(bool((sub["odds_ratio"].isna() & sub["term"].notna()
                     & np.array([k in keys for k in zip(sub["variable"], sub["level"])])).any())
               for sub in subs if len(sub))


@styled
def cuts_figure(cuts: pd.DataFrame, *, sample: str, outcomes: list[str], covariates: list[str],
                reference_levels: dict, levels: dict | None = None, labels: dict | None = None,
                words: dict | None = None, settings: FigureSettings | None = None) -> Figure:
    """The proportional-odds check a reader can see: for each ordinal outcome, the odds ratio
    of every binary cut ("sometimes or higher", "often or higher", grey, lighter for a lower
    cut, a marker each) beside the ordinal model's single odds ratio (black circle). Far-apart
    cuts mean the one ordinal odds ratio averages over different effects at different points
    of the scale."""
    s = style_settings(settings)
    c = concepts(s)
    cuts = or_columns(cuts) if len(cuts) else cuts
    sub_all = cuts[cuts["sample"].astype(str) == str(sample)] if len(cuts) else cuts
    rows = rows_or_covariates(sub_all, covariates, reference_levels, levels, labels, words,
                              s.reference_rows) \
        if len(sub_all) else pd.DataFrame(columns=["variable", "level", "label", "is_ref"])
    n = max(len(outcomes), 1)
    ncols = min(n, 2) if narrow(s) else n
    nrows = int(np.ceil(n / ncols))
    failed = [outcome_words(o, words, labels) for o in outcomes
              if not len(sub_all[sub_all["outcome"] == o] if len(sub_all) else sub_all)]
    notes = [f"No estimates ({', '.join(failed)}): the model failed"] if failed else []
    # a column-wide figure: one key at the foot (a key under each narrow panel runs over)
    n_keys = sub_all["cut"].nunique() if len(sub_all) else 0
    key_rows = int(np.ceil(n_keys / 2)) if narrow(s) else 0
    if len(sub_all) and not_estimated([sub_all], rows):
        notes.append(NOT_ESTIMATED_NOTE)
    fig, axes = new_figure(nrows * (1.6 + rows_height(rows, s, 0.22)), s,
                           f"Does the cut of the scale matter? {word(sample, words)}",
                           f"Odds ratios of each binary cut (grey, darker for a higher cut) "
                           f"and of the ordinal model (black), {pct_label(s)} confidence "
                           f"intervals, log scale; {_ref_phrase(s)}",
                           nrows, ncols, sharey=True, sharex=True, notes=notes,
                           legend_rows=key_rows)
    for j, o in enumerate(outcomes):
        ax = axes.flat[j]
        sub = sub_all[sub_all["outcome"] == o] if len(sub_all) else sub_all
        panel_title(ax, outcome_words(o, words, labels), s, ncols)
        if not len(sub):
            forest_panel(ax, rows, [], s)
            panel_note(ax, "No estimates", s, ncols)
            continue
        names = list(dict.fromkeys(sub["cut"]))
        ordinal = [x for x in names if x.startswith("ordinal")]
        binary = [x for x in names if x not in ordinal]
        parts = [(sub[sub["cut"] == x], *c.cut(k, len(binary)), x)
                 for k, x in enumerate(binary)]
        forest_panel(ax, rows, [(d, col, lab, mk) for d, col, mk, lab in parts]
                     + [(sub[sub["cut"] == x], "black", x, "o") for x in ordinal], s)
        if not key_rows:
            ax.legend(loc="upper center",
                      bbox_to_anchor=(0.5, -0.06 - 0.5 / (1.2 + 0.22 * len(rows))),
                      ncol=1, fontsize=text_size(s, 1), handletextpad=0.2)
    for ax in axes.flat[len(outcomes):]:
        ax.set_visible(False)
    if key_rows:
        foot_legend(fig, *unique_handles(axes.flat), ncols=2, handletextpad=0.2)
    axis_title(fig, axes, s)
    log_ticks(axes, 0.08 * ncols)
    return fig


@styled
def groups_forest_figure(coefs: pd.DataFrame, fit: pd.DataFrame, *, samples: list[str],
                         outcomes: list[str], covariates: list[str], reference_levels: dict,
                         levels: dict | None = None, labels: dict | None = None,
                         words: dict | None = None, group_label: str = "Group",
                         settings: FigureSettings | None = None) -> Figure:
    """Small multiples: one panel per group, the outcomes in their colours (and markers).

    Each panel has its own axis (issue 27: one axis shared by every group ran from 0.03 to 30
    for the sparsest group's intervals and shrank everyone else's to a dot); the row labels
    stand once per row of panels. A flagged or failed model is marked with a dagger on its
    panel and explained in the notes at the foot."""
    s = style_settings(settings)
    c = concepts(s)
    coefs = or_columns(coefs)
    sub_all = coefs[coefs["sample"].astype(str).isin([str(x) for x in samples])]
    rows = rows_or_covariates(sub_all, covariates, reference_levels, levels, labels, words,
                              s.reference_rows)
    names = short_names(outcomes, words, labels)
    # up to five groups side by side (the labels once, at the left), two in a column-wide
    # figure; more groups wrap into further rows
    ncols = min(len(samples), 2 if narrow(s) else 5)
    nrows = int(np.ceil(len(samples) / ncols))
    statuses = {(o, smp): model_status(fit, o, smp) for smp in samples for o in outcomes}
    notes = [f"† {n}" for n in status_notes([(f"{names[o]}, {word(smp, words)}",
                                               *statuses[o, smp])
                                              for smp in samples for o in outcomes])]
    if not_estimated([model_rows(sub_all, o, smp) for smp in samples for o in outcomes
                      if statuses[o, smp][0] not in ("failed", "missing")], rows):
        notes.append(NOT_ESTIMATED_NOTE)
    fig, axes = new_figure(0.3 + nrows * (0.9 + rows_height(rows, s, 0.16)), s,
                           f"Correlates of {s.subject} by {lower_word(group_label)}: "
                           "odds ratios",
                           f"{pct_label(s)} confidence intervals, log scale, each panel on "
                           f"an axis of its own; {_ref_phrase(s)}; † marks a flagged or failed "
                           "model (notes below). " +
                           "; ".join(f"{word(smp, words)} {n_phrase(fit, outcomes, smp, names)}"
                                     for smp in samples),
                           nrows, ncols, sharey=True, notes=notes, legend_rows=1)
    markers = ("o", "s", "^", "D")
    for i, smp in enumerate(samples):
        ax = axes.flat[i]
        parts, marked = [], False
        for j, o in enumerate(outcomes):
            status, _ = statuses[o, smp]
            marked |= status in ("failed", "missing", "flagged")
            if status in ("failed", "missing"):
                continue
            parts.append((model_rows(sub_all, o, smp), c.outcome(j), names[o],
                          markers[j % len(markers)]))
        forest_panel(ax, rows, parts, s)
        # the group's name, wrapped to the panel (long names no longer run into the next one)
        panel_title(ax, word(smp, words) + (" †" if marked else ""), s, ncols, loc="left",
                    fontweight="bold")
    for ax in axes.flat[len(samples):]:
        ax.set_visible(False)
    axis_title(fig, axes, s, always=True)
    foot_legend(fig, *unique_handles(axes.flat[: len(samples)]), ncols=len(outcomes))
    log_ticks(axes, 0.3, shared=False)
    return fig
