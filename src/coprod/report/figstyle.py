"""The house style every figure shares: the settings and their defaults, matplotlib's full set
of parameters, the figure's frame (a wrapped title, a grey subtitle, the synthetic-data notice),
the small notes in a panel, and saving with fixed metadata.

Why apart from the figures (:mod:`coprod.report.figures`, :mod:`coprod.report.speccurve`): one
colour must mean the same thing in every figure (Okabe-Ito, safe for colour-blind readers),
and fonts and sizes are fixed here, not by a user's matplotlibrc, so two runs give
byte-identical files -- whichever module draws the figure.
"""
from __future__ import annotations

import functools
import re
import textwrap
from contextlib import contextmanager
from typing import cast

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.layout_engine import ConstrainedLayoutEngine  # noqa: E402
from matplotlib.rcsetup import cycler  # noqa: E402 (matplotlib.cycler, typed)

from ..pipeline.reportsettings import OKABE_ITO as _OKABE_ITO  # noqa: E402
from ..pipeline.reportsettings import FigureSettings  # noqa: E402

OKABE_ITO = list(_OKABE_ITO)
GREY = "#555555"


def style_settings(settings: FigureSettings | None) -> FigureSettings:
    """The settings a figure is drawn with (none given: the defaults, a figure drawn in a test
    or a notebook)."""
    return settings if settings is not None else FigureSettings()


def rc(settings: FigureSettings | None = None) -> dict:
    """Matplotlib settings of the house style (a full set: nothing comes from matplotlibrc)."""
    s = style_settings(settings)
    fs = float(s.font_size)
    return {
        "font.family": "DejaVu Sans", "font.size": fs, "axes.titlesize": fs,
        "axes.labelsize": fs, "xtick.labelsize": fs - 1, "ytick.labelsize": fs - 1,
        "legend.fontsize": fs - 1, "figure.titlesize": fs + 2,
        "axes.prop_cycle": cycler(color=list(s.palette)),
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": False,
        "axes.edgecolor": GREY, "xtick.color": GREY, "ytick.color": GREY,
        "axes.labelcolor": "#222222", "text.color": "#222222",
        "legend.frameon": False, "figure.dpi": 100, "savefig.dpi": int(s.dpi),
        "figure.facecolor": "white", "savefig.facecolor": "white",
        "pdf.fonttype": 42, "svg.hashsalt": "coprod", "path.simplify": True,
        # labels, levels, titles are users' text: "Age ($ years $)" is not mathtext
        "text.parse_math": False,
    }


@contextmanager
def house_style(settings: FigureSettings | None = None):
    with matplotlib.rc_context({**matplotlib.rcParamsDefault, **rc(settings)}):
        yield


def styled(func):
    """Build the figure inside the house style (``settings=`` keyword)."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with house_style(kwargs.get("settings")):
            return func(*args, **kwargs)
    return wrapper


def new_figure(height: float, settings: FigureSettings, title: str, subtitle: str, nrows=1,
               ncols=1,
                **kw):
    """A figure with panels below a left-aligned title and a grey subtitle (sample sizes).

    ``height`` is the height of the panels; the title band is added above it. A title or
    subtitle too long for the figure's width wraps onto more lines (the band grows), never runs
    off the edge.
    """
    width = float(settings.width)
    fs = float(settings.font_size)
    if not settings.titles:  # journal export: the caption carries the words
        title = subtitle = ""
    lines = wrap_to_width(title, 0.96 * width, fs + 2, bold=True) if title else []
    extra = max(len(lines) - 1, 0) * (fs + 2) * 1.2 / 72  # the title's further lines
    sub = wrap_to_width(subtitle, 0.96 * width, fs - 1) if subtitle else []
    band = (0.3 + 0.18 * len(sub)) * fs / 9 + 0.1 + extra if lines or sub else 0.08
    notice = settings.notice or ""
    top = 0.24 * fs / 9 if notice else 0.0  # a band above the title for the notice (legends
    total = height + band + top               # below the panels take the figure's foot)
    fig = plt.figure(figsize=(width, total), layout="constrained")
    cast(ConstrainedLayoutEngine, fig.get_layout_engine()).set(
        rect=(0, 0, 1, 1 - (band + top) / total))
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    if notice:
        fig.text(0.01, 1 - 0.5 * top / total, notice, ha="left", va="center", color="#B00020",
                 fontsize=fs - 1.5, fontweight="bold", gid="notice").set_in_layout(False)
    if lines:
        t = fig.suptitle("\n".join(lines), x=0.01, y=1 - (0.06 + top) / total, ha="left",
                         va="top", fontweight="bold")
        t.set_in_layout(False)
    if sub:
        fig.text(0.01, 1 - (0.3 * fs / 9 + extra + top) / total, "\n".join(sub), ha="left",
                 va="top", color=GREY, fontsize=fs - 1, linespacing=1.3,
                 gid="subtitle").set_in_layout(False)
    return fig, axes


def wrap_to_width(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """``text`` in lines no wider than ``width`` inches in the house font at ``size`` points
    (measured from the font's outlines, so the result does not depend on a screen or backend)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family="DejaVu Sans", size=size, weight="bold" if bold else "normal")
    t2p = TextToPath()

    def fits(line: str) -> bool:
        return t2p.get_text_width_height_descent(line, prop, ismath=False)[0] / 72 <= width

    lines: list[str] = []
    for w in (w for w in re.split(r"[ \t\n]+", str(text)) if w):  # not at no-break spaces
        if lines and fits(f"{lines[-1]} {w}"):
            lines[-1] += f" {w}"
        else:
            lines.append(w)
    return lines or [""]


def subtitle(fig: Figure) -> str:
    """The grey line under the title (sample sizes, model status)."""
    return next((t.get_text() for t in fig.texts if t.get_gid() == "subtitle"), "")


def panel_note(ax, text: str) -> None:
    text = "\n".join(textwrap.wrap(text, 38))
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color=GREY,
            fontsize=matplotlib.rcParams["font.size"] - 1,
            bbox={"facecolor": "white", "edgecolor": GREY, "boxstyle": "round,pad=0.4"})


def pct_label(settings: FigureSettings) -> str:
    return f"{float(settings.conf_level):.0%}"


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def fmt_n(x) -> str:
    return "?" if x is None or pd.isna(x) else f"{float(x):,.0f}"


def status_note(status: str, message: str) -> str:
    if status == "failed":
        return f"Model failed: {message}" if message else "Model failed"
    if status == "missing":
        return "Model not in the results"
    return ""


def panel_title(ax, text: str, settings: FigureSettings, n_panels: int, **kw) -> None:
    """A panel's title wrapped to the panel's width (side-by-side titles must not run into
    each other or off the figure); the row labels take about 40% of the figure's width."""
    width = settings.width * 0.6 / max(n_panels, 1)
    ax.set_title("\n".join(wrap_to_width(text, width, settings.font_size)), **kw)


def corner_note(ax, text: str, width: int = 45) -> None:
    """A small grey note in the lower right corner of a panel (flags, failed models)."""
    ax.text(0.98, 0.02, "\n".join(textwrap.wrap(_short(text), width)), transform=ax.transAxes,
            ha="right", va="bottom", fontsize=6.5, color=GREY,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.5})


def _short(msg: str, n: int = 120) -> str:
    return msg if len(msg) <= n else msg[: n - 1] + "\u2026"


def unique_handles(axes):
    handles, names = [], []
    for ax in axes:
        for h, n in zip(*ax.get_legend_handles_labels()):
            if n not in names:
                handles.append(h)
                names.append(n)
    return handles, names


# -- saving ----------------------------------------------------------------------------------

PNG_METADATA = {"Software": None}
PDF_METADATA = {"Creator": "coprod", "Producer": None, "CreationDate": None, "ModDate": None}


def save_figure(fig: Figure, paths: dict, *, dpi: int = 200,
                settings: FigureSettings | None = None) -> None:
    """Write the figure to each ``{format: path}`` with fixed metadata (byte-identical reruns)."""
    from ..pipeline.io import atomic_path

    with house_style(settings):
        for fmt_, path in paths.items():
            meta = {"png": PNG_METADATA, "pdf": PDF_METADATA}.get(fmt_, {})
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt_, dpi=dpi, metadata=meta)
    plt.close(fig)
