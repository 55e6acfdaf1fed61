"""The house style every figure shares: the settings and their defaults, matplotlib's full set
of parameters, the colours of each concept, the figure's frame (a wrapped title, a grey
subtitle, the synthetic-data notice, notes at the foot), the small notes in a panel, and saving
with fixed metadata.

Why apart from the figures (:mod:`coprod.report.figures`, :mod:`coprod.report.forest`,
:mod:`coprod.report.predictions`, :mod:`coprod.report.speccurve`): one colour must mean the
same thing in every figure (:class:`Concepts`: the outcomes take the configured palette, every
other concept a set of its own, safe for colour-blind readers), and fonts and sizes are fixed
here, not by a user's matplotlibrc, so two runs give byte-identical files -- whichever module
draws the figure.
"""
from __future__ import annotations

import functools
import re
import weakref
from contextlib import contextmanager
from dataclasses import dataclass
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
from .pdffonts import subsets_kept  # noqa: E402

OKABE_ITO = list(_OKABE_ITO)
GREY = "#555555"

#: report.figures.width by name: a journal's full text width and its single column (85-90 mm)
WIDTHS = {"full": 7.0, "column": 3.5}
#: the base font of a column-wide figure (report.figures.font_size if smaller), and the
#: smallest text any figure has, at print size
COLUMN_FONT, MIN_TEXT = 8.0, 7.0


@dataclass(frozen=True)
class Concepts:
    """One colour set per concept, used by every figure (issue 27: blue and orange meant the
    two outcomes in some figures and the cuts of a scale in another).

    - ``outcomes``: report.figures.palette, the compared outcomes first (Individual blue,
      Collective vermillion by default); no other concept takes these colours.
    - ``levels``: the lines of a second variable (Men, Women) in a prediction figure: black and
      reddish purple, each with its own line style and marker (told apart without colour,
      and far apart under deuteranopia: tests/unit/report/test_colour_vision.py).
    - ``verdicts``: a specification's verdict, each with its own marker as well.
    - ``cuts``: the binary cuts of a scale, light to dark grey in the order of the cut, each
      with its own marker; the ordinal model black.
    - ``neutral``: a single series whose panel names it (the scales' forest plot, the
      cleaning counts).
    """

    outcomes: tuple[str, ...] = tuple(OKABE_ITO)
    levels: tuple[str, ...] = ("#000000", "#CC79A7", "#56B4E9", "#999999")
    level_styles: tuple[str, ...] = ("-", "--", ":", "-.")
    level_markers: tuple[str, ...] = ("o", "s", "^", "D")
    verdicts: tuple[tuple[str, str], ...] = (("supported", "#009E73"),
                                             ("contradicted", "#E69F00"),
                                             ("inconclusive", GREY), ("not estimated", GREY))
    cuts: tuple[str, ...] = ("#B0B0B0", "#808080", "#505050")
    cut_markers: tuple[str, ...] = ("^", "s", "D")
    neutral: str = "#333333"

    def outcome(self, j: int) -> str:
        return self.outcomes[j % len(self.outcomes)]

    def level(self, j: int) -> tuple[str, str, str]:
        """(colour, line style, marker) of the ``j``-th line of a second variable."""
        return (self.levels[j % len(self.levels)], self.level_styles[j % len(self.level_styles)],
                self.level_markers[j % len(self.level_markers)])

    def verdict(self, v: str) -> str:
        return dict(self.verdicts).get(v, GREY)

    def cut(self, j: int, k: int) -> tuple[str, str]:
        """(colour, marker) of cut ``j`` of ``k``: light to dark in the cut's order."""
        at = round(j * (len(self.cuts) - 1) / max(k - 1, 1)) if k > 1 else len(self.cuts) - 1
        return self.cuts[min(at, len(self.cuts) - 1)], self.cut_markers[j % len(self.cut_markers)]


def concepts(settings: FigureSettings | None = None) -> Concepts:
    return Concepts(outcomes=tuple(style_settings(settings).palette))


def style_settings(settings: FigureSettings | None) -> FigureSettings:
    """The settings a figure is drawn with (none given: the defaults, a figure drawn in a test
    or a notebook), the width in inches: "full" 7 in, "column" 3.5 in with its text at
    :data:`COLUMN_FONT` points (or report.figures.font_size when smaller)."""
    s = settings if settings is not None else FigureSettings()
    if isinstance(s.width, str):
        fs = min(float(s.font_size), COLUMN_FONT) if s.width == "column" else s.font_size
        s = s.replace(width=WIDTHS[s.width], font_size=fs)
    return s


def narrow(settings: FigureSettings) -> bool:
    """A column-wide figure (panels stack rather than stand side by side)."""
    return float(style_settings(settings).width) < 5.0


def text_size(settings: FigureSettings, smaller: float = 0.0) -> float:
    """The base font ``smaller`` points down, never below :data:`MIN_TEXT` (a small note must
    stay legible at print size) unless the base font itself is smaller."""
    fs = float(style_settings(settings).font_size)
    return max(fs - smaller, min(fs, MIN_TEXT))


def rc(settings: FigureSettings | None = None) -> dict:
    """Matplotlib settings of the house style (a full set: nothing comes from matplotlibrc)."""
    s = style_settings(settings)
    fs = float(s.font_size)
    return {
        "font.family": "DejaVu Sans", "font.size": fs, "axes.titlesize": fs,
        "axes.labelsize": fs, "xtick.labelsize": text_size(s, 1),
        "ytick.labelsize": text_size(s, 1), "legend.fontsize": text_size(s, 1),
        "figure.titlesize": fs + 2,
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


class _HouseFigure(Figure):
    """A figure whose layout pass before each save is the layout alone.

    Why: to save a figure with a layout engine, matplotlib first draws it whole with drawing
    switched off (``print_figure``) only so that the constrained layout runs with the format's
    renderer, then draws it again for real with the layout engine off. The first pass's
    drawing is thrown away and the real draw repeats it: about a tenth of a second a file, a
    quarter of the figures job. Here that pass runs the layout (after the aspect step that
    precedes it in :meth:`Figure.draw`) and stops: the positions, and so the files, are byte
    for byte what they were. Any other draw (on screen, in a notebook, the real one of a save)
    is matplotlib's own.
    """

    def draw(self, renderer):
        engine = self.get_layout_engine()
        if not (self.canvas.is_saving() and isinstance(engine, ConstrainedLayoutEngine)
                and self.axes and self.get_visible()
                and hasattr(self, "_get_draw_artists")):
            super().draw(renderer)
            return
        self._get_draw_artists(renderer)  # applies each axes' aspect, as draw() does first
        try:
            engine.execute(self)
        except ValueError:  # as Figure.draw: a layout that cannot be made is left undone
            pass


#: the top of each figure's foot band, in figure fractions (new_figure -> foot_legend)
_KEY_TOP: weakref.WeakKeyDictionary[Figure, float] = weakref.WeakKeyDictionary()


def new_figure(height: float, settings: FigureSettings, title: str, subtitle: str, nrows=1,
               ncols=1, notes: list[str] | tuple[str, ...] = (), legend_rows: int = 0, **kw):
    """A figure with panels below a left-aligned title and a grey subtitle (sample sizes), and
    at its foot a key of ``legend_rows`` lines (:func:`foot_legend`) above ``notes`` (flagged
    or failed models, keys to marks).

    ``height`` is the height of the panels; the title band is added above it and the key's and
    notes' band below. A title, subtitle or note too long for the figure's width wraps onto
    more lines (its band grows), never runs off the edge; notes are never drawn over the panels
    (issue 27: a note box in a panel hid an interval and the line at 1).
    """
    settings = style_settings(settings)
    width = float(settings.width)
    fs = float(settings.font_size)
    if not settings.titles:  # journal export: the caption carries the words
        title = subtitle = ""
    lines = wrap_to_width(title, 0.96 * width, fs + 2, bold=True) if title else []
    extra = max(len(lines) - 1, 0) * (fs + 2) * 1.2 / 72  # the title's further lines
    sub = wrap_to_width(subtitle, 0.96 * width, fs - 1) if subtitle else []
    band = (0.3 + 0.18 * len(sub)) * fs / 9 + 0.1 + extra if lines or sub else 0.08
    notice_fs = text_size(settings, 1.5)
    notice = "\n".join(wrap_to_width(settings.notice, 0.97 * width, notice_fs, bold=True)) \
        if settings.notice else ""
    # a band above the title for the notice (legends below the panels take the figure's foot)
    top = (0.24 + (notice.count("\n")) * notice_fs * 1.25 / 72) * fs / 9 if notice else 0.0
    note_fs = text_size(settings, 1.5)
    foot_lines = [ln for n in notes for ln in wrap_to_width(n, 0.97 * width, note_fs)]
    key = legend_rows * float(rc(settings)["legend.fontsize"]) * 1.9 / 72 + 0.08 \
        if legend_rows else 0.0
    foot = (len(foot_lines) * note_fs * 1.3 / 72 + 0.1 if foot_lines else 0.0) + key
    total = height + band + top + foot
    fig = plt.figure(figsize=(width, total), layout="constrained", FigureClass=_HouseFigure)
    cast(ConstrainedLayoutEngine, fig.get_layout_engine()).set(
        rect=(0, foot / total, 1, 1 - (band + top + foot) / total))
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    if notice:
        fig.text(0.01, 1 - 0.5 * top / total, notice, ha="left", va="center", color="#B00020",
                 fontsize=notice_fs, fontweight="bold", linespacing=1.15,
                 gid="notice").set_in_layout(False)
    if lines:
        t = fig.suptitle("\n".join(lines), x=0.01, y=1 - (0.06 + top) / total, ha="left",
                         va="top", fontweight="bold")
        t.set_in_layout(False)
    if sub:
        fig.text(0.01, 1 - (0.3 * fs / 9 + extra + top) / total, "\n".join(sub), ha="left",
                 va="top", color=GREY, fontsize=fs - 1, linespacing=1.3,
                 gid="subtitle").set_in_layout(False)
    _KEY_TOP[fig] = foot / total  # where foot_legend hangs the key
    if foot_lines:
        fig.text(0.01, (foot - key - 0.04) / total, "\n".join(foot_lines), ha="left", va="top",
                 color=GREY, fontsize=note_fs, linespacing=1.3,
                 gid="notes").set_in_layout(False)
    return fig, axes


def wrap_to_width(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """``text`` in lines no wider than ``width`` inches in the house font at ``size`` points
    (measured from the font's outlines, so the result does not depend on a screen or backend)."""
    def fits(line: str) -> bool:
        return text_width(line, size, bold) <= width

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


def foot_legend(fig: Figure, handles, labels, **kw) -> None:
    """The figure's key, centred at its foot below the panels and above the notes, in the band
    :func:`new_figure` kept for it (``legend_rows``): never over a panel or a note."""
    leg = fig.legend(handles, labels, loc="upper center",
                     bbox_to_anchor=(0.5, _KEY_TOP.get(fig, 0.08)), **kw)
    leg.set_in_layout(False)


def notes(fig: Figure) -> str:
    """The notes at the figure's foot (flagged and failed models, keys)."""
    return next((t.get_text() for t in fig.texts if t.get_gid() == "notes"), "")


def panel_note(ax, text: str, settings: FigureSettings | None = None,
               n_panels: int = 1) -> None:
    """A short word in the middle of an empty panel (a failed model: nothing else is drawn
    there), wrapped to the panel's width; the reason goes to the figure's notes."""
    s = style_settings(settings)
    ax.text(0.5, 0.5, "\n".join(wrap_to_width(text, panel_width(s, n_panels) * 0.9,
                                              text_size(s, 1))),
            transform=ax.transAxes, ha="center", va="center", color=GREY,
            fontsize=text_size(s, 1), gid="panel-note")


def panel_width(settings: FigureSettings, n_panels: int) -> float:
    """About the width of one of ``n_panels`` side by side, in inches (the row labels take
    about 40% of the figure's width)."""
    return float(style_settings(settings).width) * 0.6 / max(n_panels, 1)


def pct_label(settings: FigureSettings) -> str:
    return f"{float(settings.conf_level):.0%}"


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def fmt_n(x) -> str:
    return "?" if x is None or pd.isna(x) else f"{float(x):,.0f}"


def panel_title(ax, text: str, settings: FigureSettings, n_panels: int, **kw) -> None:
    """A panel's title wrapped to the panel's width (side-by-side titles must not run into
    each other or off the figure: "non-Hispanic whitenon-Hispanic black"); a single word too
    long for the panel is cut with an ellipsis rather than run into its neighbour."""
    s = style_settings(settings)
    width = panel_width(s, n_panels)
    size = float(kw.pop("fontsize", s.font_size))
    bold = kw.get("fontweight") == "bold"
    # a word wider than the panel ("Metropolitana"): a smaller size first, down to MIN_TEXT
    while size > MIN_TEXT and any(text_width(w, size, bold) > width for w in str(text).split()):
        size = max(size - 0.5, MIN_TEXT)
    lines = [fit_width(ln, width, size, bold)
             for ln in wrap_to_width(text, width, size, bold=bold)]
    ax.set_title("\n".join(lines), fontsize=size, **kw)


@functools.lru_cache(maxsize=4096)
def text_width(text: str, size: float, bold: bool = False) -> float:
    """The width of ``text`` in inches in the house font (from the font's outlines, so the
    result does not depend on a screen or backend)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family="DejaVu Sans", size=size, weight="bold" if bold else "normal")
    return TextToPath().get_text_width_height_descent(text, prop, ismath=False)[0] / 72


def fit_width(text: str, width: float, size: float, bold: bool = False) -> str:
    """``text``, cut with an ellipsis if it is wider than ``width`` inches."""
    if text_width(text, size, bold) <= width:
        return text
    while len(text) > 1 and text_width(text + "\u2026", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "\u2026"


def short(msg: str, n: int = 160) -> str:
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
            with atomic_path(path) as tmp, subsets_kept(fmt_ == "pdf"):
                fig.savefig(tmp, format=fmt_, dpi=dpi, metadata=meta)
    plt.close(fig)
