"""The specification curves drawn: one figure per claim from the gathered specifications
(:mod:`coprod.pipeline.speccurve` fits them), and the sentence that counts them.

Why the figure is here and not among the report's other figures (:mod:`coprod.report.figures`):
it draws the specifications, not the models' tables, and only the specification-curve rule
draws it; the house style it shares with them is :mod:`coprod.report.figstyle`.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..pipeline.estimable import SPEC_COUNTS, count_phrase
from ..pipeline.io import group_outputs, read_results
from ..pipeline.reportsettings import FigureSettings
from .figstyle import (
    GREY,
    concepts,
    new_figure,
    pct_label,
    save_figure,
    style_settings,
    styled,
    text_size,
    wrap_to_width,
)


def spec_sentence(row) -> str:
    """'supported in 24 of 48 estimable specifications (16 not estimable), contradicted in
    8'."""
    return count_phrase(*(int(row[k]) for k in SPEC_COUNTS[1:]), noun="specifications")


def run_speccurve(*, table, figures: dict, claims: dict, settings: FigureSettings) -> None:
    """Draw each claim's specification curve from the gathered table."""
    specs = read_results(table)
    for stem, paths in group_outputs(figures).items():
        cid = stem.removeprefix("spec_")
        fig = spec_curve_figure(specs[specs["claim"] == claims[cid]["id"]] if len(specs)
                                else specs, claim=claims[cid]["claim"],
                                settings=settings)
        save_figure(fig, paths, dpi=int(settings.dpi), settings=settings)


#: each verdict's colour is :class:`coprod.report.figstyle.Concepts`' (green, orange, grey:
#: colours no other concept takes); each verdict's marker: the shape tells the verdict without
#: the colour (print, colour blindness); a specification that is not estimable is an x at the
#: foot of the panel
VERDICT_MARKERS = {"supported": "o", "contradicted": "s", "inconclusive": "D",
                   "not estimated": "x"}
#: the equivalence bounds' band: a neutral grey (blue is an outcome's colour)
BAND = "#999999"
_VERDICT_KIND = {"equivalent": "supported", "different": "contradicted"}


@styled
def spec_curve_figure(specs: pd.DataFrame, *, claim: str, ratio: str = "Odds ratio",
                      settings: FigureSettings | None = None) -> Figure:
    """One claim's specification curve: the estimate and interval of every estimable
    specification, sorted (top; colour and shape by verdict), then the not estimable ones (an
    x at the foot of the panel: coprod.pipeline.estimable), and the choices each one made (bottom: a
    dot per choice). A claim of no relation with equivalence bounds shows the bounds (a band)
    and the (1 - 2 alpha) interval the equivalence test judges, the (1 - alpha) one thin."""
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D

    from ..pipeline.estimable import SPEC_COUNTS, count_phrase, spec_counts

    s = style_settings(settings)
    specs = specs[specs["verdict"].astype(str) != "not applicable"]  # not the claim's at all
    est = specs["verdict"].astype(str) != "not estimated"
    ok = specs[est & specs["estimate"].notna()].copy()
    ok["_or"] = np.exp(ok["estimate"].astype(float))
    n_ok = len(ok)
    ok = pd.concat([ok.sort_values("_or"), specs[~est]], ignore_index=True)
    dims = [d for d in ("threshold", "weights", "covariates", "group_effects", "missing",
                        "family") if d in specs.columns and specs[d].astype(str).nunique() > 1]
    rows = [(d, v) for d in dims for v in sorted(specs[d].astype(str).unique())]
    counts = dict(zip(SPEC_COUNTS, spec_counts(specs["verdict"])))
    equiv = "bound_low" in ok.columns and bool(ok["bound_low"].notna().any())
    pct2 = f"{1 - 2 * (1 - float(s.conf_level)):.0%}"
    fig, axes = new_figure(2.4 + 0.16 * len(rows), s, claim,
                            count_phrase(*(counts[k] for k in SPEC_COUNTS[1:]),
                                         noun="specifications") + "; " +
                            (f"{pct2} intervals (the equivalence test's; {pct_label(s)} thin) and "
                             "the equivalence bounds (band)" if equiv else
                             f"{pct_label(s)} intervals"),
                            2, 1, sharex=True,
                            gridspec_kw={"height_ratios": [2.2, max(0.16 * len(rows), 0.6)]})
    top, bottom = axes[0, 0], axes[1, 0]
    x = np.arange(len(ok))
    kind = [_VERDICT_KIND.get(v, v) for v in ok["verdict"].astype(str)]
    colours: list[Any] = [concepts(s).verdict(v) for v in kind]
    colour = np.array(colours, dtype=object)
    def interval(low: str, high: str):
        return (np.exp(ok[c].astype(float).to_numpy()[:n_ok]) for c in (low, high))

    ci_lo, ci_hi = interval("conf_low", "conf_high")
    if equiv:
        b_lo, b_hi = (float(ok[c].dropna().iloc[0]) for c in ("bound_low", "bound_high"))
        top.axhspan(b_lo, b_hi, color=BAND, alpha=0.25, lw=0, zorder=0,
                    label=f"equivalence bounds {b_lo:g} to {b_hi:g}")
        for b in (b_lo, b_hi):
            top.axhline(b, color=BAND, lw=0.8, zorder=0)
        top.vlines(x[:n_ok], ci_lo, ci_hi, colors=list(colour[:n_ok]), lw=0.5, alpha=0.6)
        ci_lo, ci_hi = interval("equivalence_low", "equivalence_high")
    top.vlines(x[:n_ok], ci_lo, ci_hi, colors=list(colour[:n_ok]), lw=1.2 if equiv else 0.8)
    for v in ("supported", "contradicted", "inconclusive"):
        at = np.flatnonzero(np.array(kind[:n_ok], dtype=object) == v)
        if len(at):
            top.plot(x[at], ok["_or"].to_numpy()[at], ls="", marker=VERDICT_MARKERS[v],
                     ms=3.5, color=colour[at[0]], zorder=3, gid=f"verdict:{v}")
    if len(ok) > n_ok:  # the not estimable: an x at the foot of the panel, not an estimate
        top.plot(x[n_ok:], np.full(len(ok) - n_ok, 0.03), ls="", marker="x", ms=4,
                 color=GREY, transform=top.get_xaxis_transform(), clip_on=False, zorder=3,
                 gid="verdict:not estimated")
    top.axhline(1.0, color=GREY, lw=0.8, ls="--", zorder=0)
    top.set_yscale("log")
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    lo, hi = top.get_ylim()
    ticks = [t for t in [0.1, 0.2, 0.25, 0.33, 0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 2, 3, 4,
                         5, 10] if lo <= t <= hi]
    if len(ticks) < 3:  # a narrow range (an effect per year: 1.01 to 1.04): three values in it
        ticks = sorted({*ticks, *(float(f"{v:.2g}") if v < 1 else round(v, 2)
                                  for v in np.geomspace(lo, hi, 5)[1:-1])})
        ticks = [t for t in ticks if lo <= t <= hi]
    top.yaxis.set_major_locator(FixedLocator(ticks))
    top.yaxis.set_minor_locator(NullLocator())
    top.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    top.yaxis.set_minor_formatter(NullFormatter())
    top.set_ylabel(f"{ratio} (log scale)")
    names = {"supported": "supported (or equivalent)", "contradicted":
             "contradicted (or different)", "inconclusive": "inconclusive",
             "not estimated": "not estimable"}
    handles: list[Artist] = [
        Line2D([], [], marker=VERDICT_MARKERS[v], ls="", label=names[v],
               color=concepts(s).verdict(v))
        for v in ("supported", "contradicted", "inconclusive", "not estimated")]
    if equiv:
        from matplotlib.patches import Patch

        handles.append(Patch(color=BAND, alpha=0.35,
                             label=f"equivalence bounds {b_lo:g} to {b_hi:g}"))
    top.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0),
               ncol=1 if float(s.width) < 5 else 3, fontsize=text_size(s, 1),
               borderaxespad=0.2)
    for j, (d, v) in enumerate(rows):
        used = ok[d].astype(str).to_numpy() == v
        bottom.scatter(x[used], np.full(used.sum(), j), s=6, color="black")
    bottom.set_yticks(np.arange(len(rows)), [f"{d.replace('_', ' ')}: {v}" for d, v in rows])
    bottom.set_ylim(len(rows) - 0.5, -0.5)
    bottom.set_xlabel("\n".join(wrap_to_width(
        "Specification (estimable ones sorted by estimate; then the not estimable, x)",
        0.7 * float(s.width), float(s.font_size))))
    bottom.set_xticks([])
    return fig
