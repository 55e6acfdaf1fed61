r"""A table of the model (:mod:`coprod.report.tablemodel`) as LaTeX, as a journal takes it.

A document that inputs these tables needs (the first line of every .tex file says it)::

    \usepackage{booktabs,siunitx,longtable,threeparttable,array}
    \usepackage{rotating,pdflscape}  % only with report.latex.sideways: true

What a journal expects, and why each choice: one portrait table under one number; numbers
aligned on the decimal point (siunitx ``S`` columns, whose width is reserved from the digits
the column holds, so the layout is known before TeX runs); countries (or any groups) as
spanning heads over their outcomes (``\multicolumn`` and ``\cmidrule``); the fit statistics
below a rule; notes under the table (threeparttable), the synthetic-data notice first.

A table too wide for the text width is fitted in this order (:func:`plan`): a smaller font
(``\small``, ``\footnotesize``, ``\scriptsize``) with its heads wrapped to the width of their
columns; then the interval under its estimate instead of beside it; then the columns set as
panels one under the other (each with its heads and its rows: the groups of a spanning head
stay together), still one table with one number. A table too long for a page continues across
pages under the same number (longtable, "Table n (continued)" at the head of each page, the
notes after its last row). Sideways only when the user asks (``report.latex.sideways``): then
a table that does not fit the portrait width at ``\small`` or ``\footnotesize`` is rotated
(sidewaystable, or landscape pages for a long one) before it is made smaller or panelled.

The widths are planned for an A4 article at 10 pt (text 345 x 598 pt; Computer Modern's
metrics, with a margin). Cells: an estimate's number in the S column, its marks reserved after
it, its interval beside it in a column of its own ("[lo, hi]", ``report.latex.ci: beside``) or
on a second line under it (``below``); "ref.", the dash, a joint test's p-value and a count
among other numbers (a model's n) are text in braces, centred; a column of counts is numbers
siunitx groups. A text cell with a bibliography key (``Cell.cite``) prints its text and then
``\cite{key}``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import groupby
from typing import Any

from ..errors import ConfigError
from ..pipeline.codebook import frozen_from
from .tablemodel import MINUS, Cell, Table, cell_text, column_digits, number

#: what a document needs for the portrait tables, and for the sideways ones in addition
LATEX_PACKAGES = r"\usepackage{booktabs,siunitx,longtable,threeparttable,array}"
LATEX_SIDEWAYS_PACKAGES = r"\usepackage{rotating,pdflscape}"
#: the text block the layout is planned for (pt): an A4 article at 10 pt
TEXT_WIDTH, TEXT_HEIGHT = 345.0, 598.0
#: the font sizes tried, largest first: (command, size in pt, baseline skip in pt)
SIZES = ((r"\small", 9.0, 11.0), (r"\footnotesize", 8.0, 9.5), (r"\scriptsize", 7.0, 8.0))
CI_MODES = ("beside", "below")


@dataclass(frozen=True)
class LatexSettings:
    """``report.latex``: ``sideways`` (rotate a table too wide for the portrait width, instead
    of first making it smaller; default no), ``ci`` (an estimate's interval ``beside`` it, in a
    column of its own, or ``below`` it, on a second line)."""

    sideways: bool = False
    ci: str = "beside"

    def __post_init__(self) -> None:
        if self.ci not in CI_MODES:
            raise ConfigError(f"report.latex.ci: {self.ci!r} is none of {', '.join(CI_MODES)}")

    @classmethod
    def from_params(cls, params: Mapping[str, Any] | LatexSettings | None = None
                    ) -> LatexSettings:
        if isinstance(params, LatexSettings):
            return params
        return frozen_from(cls, params, "report.latex", "a LaTeX setting")


# -- escaping ------------------------------------------------------------------------------------

_GREEK = {ch: rf"\ensuremath{{\{name}}}" for ch, name in zip(
    "\u03b1\u03b2\u03b3\u03b4\u03b5\u03b6\u03b7\u03b8\u03ba\u03bb\u03bc\u03bd\u03be\u03c0\u03c1"
    "\u03c3\u03c4\u03c6\u03c7\u03c8\u03c9\u0393\u0394\u0398\u039b\u03a3\u03a6\u03a8\u03a9",
    ("alpha beta gamma delta epsilon zeta eta theta kappa lambda mu nu xi pi rho sigma tau phi "
     "chi psi omega Gamma Delta Theta Lambda Sigma Phi Psi Omega").split())}
_LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", "\u00a0": "~",
    "\u00b2": r"\textsuperscript{2}", "\u00b3": r"\textsuperscript{3}", "\u2014": "---",
    "\u2013": "--", "\u201c": "``", "\u201d": "''", "\u2018": "`", "\u2019": "'",
    "\u2212": "$-$", "\u2020": r"\textdagger{}", "\u2021": r"\textdaggerdbl{}",
    "\u00a7": r"\S{}", "\u2026": r"\dots{}",
    # the notes' formulas (FAMILY_WORDING), symbols and arrows, outside T1's glyphs
    **{ch: rf"\ensuremath{{{cmd}}}" for ch, cmd in zip(
        "\u2264\u2265\u2260\u2248\u00b1\u00b7\u2032\u2192\u00d7\u221e\u00b0",
        r"\le \ge \neq \approx \pm \cdot ' \to \times \infty ^\circ".split())}, **_GREEK}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(text: object) -> str:
    """Text as LaTeX source that prints it: TeX's special characters, dashes, quotes, the
    minus sign and the symbols and Greek letters of the notes (outside T1's glyphs)."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group()], str(text))


def cite_key(key: str) -> str:
    """``\\cite{...}`` of a cell's key (several split on ";" or ","); characters a key
    cannot hold are dropped; "" when none is left."""
    keys = [re.sub(r"[^A-Za-z0-9:._/+-]", "", k) for k in re.split(r"[;,\s]+", key)]
    keys = [k for k in keys if k]
    return rf"\cite{{{','.join(keys)}}}" if keys else ""


# -- widths (pt at 10 pt, Computer Modern; a margin is added in _width) -----------------------

_CHAR_W = {**dict.fromkeys("0123456789$*/_?\"", 5.0), **dict.fromkeys(".,:;!'`[]|il", 2.78),
           " ": 3.33, "-": 3.33, "(": 3.89, ")": 3.89, "+": 7.78, "=": 7.78, "<": 7.78,
           ">": 7.78, "%": 8.33, "#": 8.33, "&": 7.78, "@": 7.78, "\u2212": 7.78,
           "\u2014": 10.0, "\u2013": 5.0, "\u2020": 4.44, "\u2264": 7.78, "\u2265": 7.78,
           "\u00d7": 7.78, "a": 5.0, "b": 5.56, "c": 4.44, "d": 5.56, "e": 4.44, "f": 3.06,
           "g": 5.0, "h": 5.56, "j": 3.06, "k": 5.28, "m": 8.33, "n": 5.56, "o": 5.0,
           "p": 5.56, "q": 5.28, "r": 3.92, "s": 3.94, "t": 3.89, "u": 5.56, "v": 5.28,
           "w": 7.22, "x": 5.28, "y": 5.28, "z": 4.44, "I": 3.61, "J": 5.14, "M": 9.17,
           "W": 10.28, "S": 5.56, "L": 6.25, "F": 6.53, "Z": 6.11}


def _em(size: float) -> float:
    """The em of the ``size`` pt font: the smaller sizes are drawn wider (Computer Modern's
    and Latin Modern's optical sizes: a digit of cmr7 is 4.07 pt, not 3.5)."""
    return size * {9.0: 1.03, 8.0: 1.065, 7.0: 1.165}.get(size, 1.0)


@lru_cache(maxsize=1 << 16)  # a layout asks for the same few hundred texts ~100 times each
def _width(text: str, size: float) -> float:
    """An upper estimate of ``text``'s width at ``size`` pt (unlisted: capitals 7.8, others 6 pt
    at 10 pt), with a 5% margin."""
    w = sum(_CHAR_W.get(ch, 7.8 if ch.isupper() else 6.0) for ch in text)
    return 1.05 * w * _em(size) / 10.0


def _words(text: str) -> list[str]:
    """The pieces a line may break between: words, and a hyphenated word after its hyphens
    ("co-", "production")."""
    return [w for word in text.split() for w in re.split(r"(?<=-)(?=\w)", word)]


def _longest_word(text: str, size: float) -> float:
    return max((_width(w, size) for w in _words(text)), default=0.0)


def _wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` broken at spaces and after hyphens into lines no wider than ``width`` where
    the words allow."""
    lines: list[str] = []
    for word in text.split():
        parts = re.split(r"(?<=-)(?=\w)", word)
        for k, part in enumerate(parts):
            joined = f"{lines[-1]}{'' if k else ' '}{part}" if lines else part
            if lines and _width(joined, size) <= width:
                lines[-1] = joined
            else:
                lines.append(part)
    return lines or [""]


# -- cells ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Piece:
    """A cell as the LaTeX table sets it (raw, not escaped): ``num`` (siunitx input) or
    ``text``, ``marks``, ``interval``, a bibliography key; ``shown`` all of it as text."""

    num: str = ""
    text: str = ""
    marks: str = ""
    interval: str = ""
    cite: str = ""
    kind: str = "blank"
    shown: str = ""


def _piece(cell: Cell, digits: int, stars: bool) -> _Piece:
    ct = cell_text(cell, digits, stars)
    marks = ct.marks.replace(" ", "")
    est = cell.shown[0]
    finite = est is not None and math.isfinite(est)
    if cell.kind in ("estimate", "number") and finite:
        return _Piece(num=number(est, digits).replace(MINUS, "-"), marks=marks,
                      interval=ct.interval, kind=cell.kind, shown=str(ct))
    if cell.kind == "count" and finite:  # (the text: for a column of other numbers)
        return _Piece(num=f"{est:.0f}", text=ct.estimate, marks=marks, kind="count", shown=str(ct))
    return _Piece(text=ct.estimate, marks=marks, interval=ct.interval, cite=cell.cite,
                  kind=cell.kind, shown=str(ct))


@dataclass(frozen=True)
class _Col:
    """A column of the model as LaTeX sets it: numeric (an S column) or text, its pieces."""

    numeric: bool
    pieces: tuple[_Piece, ...]
    head: str
    span: str


def _columns(table: Table) -> list[_Col]:
    out = []
    for j, column in enumerate(table.columns):
        digits = column_digits(table, j)
        cells = table.column(j)
        # numbers in an S column, a few words among them (a model's status) as text in it
        numeric = sum(c.numeric for c in cells) > 2 * sum(c.kind == "text" for c in cells)
        pieces = tuple(_piece(c, digits.get(c.scale, table.digits), table.stars)
                       for c in cells)
        if any(p.num and p.kind != "count" for p in pieces):
            # counts among other numbers (a model's n at its foot): centred text, so that
            # they do not widen the estimates' reserved digits
            pieces = tuple(replace(p, num="") if p.kind == "count" else p for p in pieces)
        out.append(_Col(numeric, pieces, column.head, column.span))
    return out


# -- the plan: font size, interval, panels, orientation, widths --------------------------------

@dataclass(frozen=True)
class _Slot:
    """One column position of the LaTeX table (the panels share them): for a numeric one its
    siunitx format and whether an interval column follows it; its width (pt) as planned."""

    numeric: bool
    fmt: str = ""
    after: str = ""
    interval: bool = False
    width: float = 0.0


@dataclass(frozen=True)
class Plan:
    """How a table is set (:func:`plan`)."""

    size: tuple[str, float, float]
    ci: str
    panels: tuple[tuple[int, ...], ...]
    sideways: bool
    slots: tuple[_Slot, ...]
    stub: float
    texts: tuple[float, ...]   # the width of each text slot (0 for a numeric one)
    width: float               # the table's planned width
    fits: bool
    roomy: bool = True         # the row labels have 10 em (or their length)
    long: bool = False


def _sep(size: float) -> float:
    return 0.5 * size  # \tabcolsep: half an em


def _slot(cols: Sequence[_Col], ci: str, size: float) -> _Slot:
    """The slot the columns ``cols`` (one per panel) share."""
    if not all(c.numeric for c in cols):
        return _Slot(False)
    nums = [p for c in cols for p in c.pieces if p.num]
    ints = [len(p.num.lstrip("-").split(".")[0]) for p in nums]
    ints = [n + (n - 1) // 3 for n in ints]  # thousands separators reserved as digits
    decs = max((len(p.num.split(".")[1]) for p in nums if "." in p.num), default=0)
    sign = any(p.num.startswith("-") for p in nums)
    after = max((p.marks for c in cols for p in c.pieces if p.num), default="",
                key=lambda m: _width(m, 10))
    fmt = ("-" if sign else "") + str(max(ints, default=1)) + (f".{decs}" if decs else "")
    s_w = (7.78 * sign + 5.0 * max(ints, default=1) + (2.78 + 5.0 * decs if decs else 0)) \
        * 1.02 * _em(size) / 10 + _width(after, size)
    texts = [p.text + p.marks for c in cols for p in c.pieces
             if p.text and p.kind != "test" and not p.num]
    tests = [p.text + p.marks for c in cols for p in c.pieces if p.kind == "test"]
    intervals = [p.interval for c in cols for p in c.pieces if p.interval]
    body = max([s_w, *(_width(t, size) for t in texts)])
    beside = ci == "beside" and bool(intervals)
    if beside:
        body += 0.3 * size + max(_width(i, size) for i in intervals)
    elif intervals:
        body = max(body, *(_width(i, size) for i in intervals))
    body = max([body, *(_width(t, size) for t in tests)])
    head = max(_longest_word(c.head, size) for c in cols)
    return _Slot(True, fmt, after, beside, max(body, head))


def _text_need(cols: Sequence[_Col], size: float) -> tuple[float, float]:
    """(least, natural) width of a text slot: its longest word; its longest text (capped)."""
    texts = [c.head for c in cols] + [p.shown for c in cols
                                      for p in c.pieces]
    least = max(_longest_word(t, size) for t in texts)
    natural = min(max(_width(t, size) for t in texts), 22 * size)
    return least, max(least, natural, 6 * size)


def _layout(table: Table, cols: Sequence[_Col], panels: Sequence[Sequence[int]], ci: str,
            size: tuple[str, float, float], sideways: bool) -> Plan:
    pt = size[1]
    n = max(len(p) for p in panels)
    slots = [_slot([cols[p[k]] for p in panels if k < len(p)], ci, pt) for k in range(n)]
    # a spanning head's longest word must fit over its slots: widen the last slot if not
    for p in panels:
        k = 0
        for span, m in _spans(table, p):
            over = sum(slots[i].width for i in range(k, k + m)) + 2 * _sep(pt) * (m - 1)
            need = _longest_word(span, pt)
            if need > over:
                slots[k + m - 1] = replace(slots[k + m - 1],
                                           width=slots[k + m - 1].width + need - over)
            k += m
    labels = [(r.label, r.kind) for r in table.rows if r.kind != "section"]
    indent = [_em(pt) if kind == "level" else 0.0 for _, kind in labels]
    stub_least = max([_longest_word(table.stub_head, pt), *(
        _longest_word(lab, pt) + i for (lab, _), i in zip(labels, indent))], default=0.0)
    stub_natural = max([_width(table.stub_head, pt), *(
        _width(lab, pt) + i for (lab, _), i in zip(labels, indent))], default=0.0)
    stub_natural = max(stub_least, min(stub_natural, 16 * pt))
    texts = [_text_need([cols[p[k]] for p in panels if k < len(p)], pt) if not s.numeric
             else (0.0, 0.0) for k, s in enumerate(slots)]
    fixed = sum(s.width for s in slots if s.numeric) + 2 * _sep(pt) * len(slots)
    avail = (TEXT_HEIGHT if sideways else TEXT_WIDTH) - 2.0
    # the stub and the text columns take their natural widths if they fit, else their least
    # (the longest word; the stub 7 em unless its labels are shorter) and shares of the rest
    room = avail - fixed
    flex = [k for k, t in enumerate(texts) if t[1]]
    least = [max(stub_least, min(stub_natural, 7 * pt))] + [texts[k][0] for k in flex]
    natural = [stub_natural] + [texts[k][1] for k in flex]
    if sum(natural) <= room:
        got = natural
    else:
        extra = max(room - sum(least), 0.0) / max(sum(natural) - sum(least), 1e-9)
        got = [lo + (hi - lo) * min(extra, 1.0) for lo, hi in zip(least, natural)]
    stub = got[0]
    given = dict(zip(flex, got[1:]))
    widths = tuple(given.get(k, 0.0) for k in range(len(texts)))
    total = fixed + stub + sum(widths)
    fits = total <= avail
    roomy = stub >= min(stub_natural, 10 * _em(pt))
    return Plan(size, ci, tuple(tuple(p) for p in panels), sideways, tuple(slots), stub,
                widths, total, fits, roomy)


def _spans(table: Table, cols: Sequence[int]) -> list[tuple[str, int]]:
    """The spanning heads over the columns ``cols`` (:meth:`Table.spans` of a panel)."""
    return [(s, len(list(g))) for s, g in groupby(table.columns[j].span for j in cols)]


def _panels(table: Table, cols: Sequence[_Col], ci: str, size: tuple[str, float, float],
            sideways: bool) -> list[list[int]]:
    """The columns as panels of at most ``m`` columns, for the largest ``m`` that fits (the
    panels share their columns' widths); a spanning head's columns stay in one panel where
    there are no more than ``m`` of them."""
    groups: list[list[int]] = []
    for j, c in enumerate(table.columns):
        if groups and c.span and table.columns[groups[-1][-1]].span == c.span:
            groups[-1].append(j)
        else:
            groups.append([j])
    panels: list[list[int]] = []
    for m in range(len(cols), 0, -1):
        panels = []
        for group in groups:
            for part in (group[i:i + m] for i in range(0, len(group), m)):
                if panels and len(panels[-1]) + len(part) <= m:
                    panels[-1] += part
                else:
                    panels.append(list(part))
        if _layout(table, cols, panels, ci, size, sideways).fits:
            break
    return panels


def plan(table: Table, settings: LatexSettings | None = None) -> Plan:
    """The first layout in the order of the module's docstring that fits with room for its
    row labels (10 em, or their length), else the first that fits at all; panels only when
    none does (the fewest panels, then that order). Then whether it is too long for a page."""
    settings = settings or LatexSettings()
    cols = _columns(table)
    intervals = any(p.interval for c in cols for p in c.pieces)
    modes = [settings.ci] + (["below"] if settings.ci == "beside" and intervals else [])
    first = [(False, settings.ci, s) for s in SIZES[:2]]
    rest = [(settings.sideways, ci, s) for ci in modes for s in SIZES]
    order = first + [o for o in rest if o not in first]
    every = [list(range(len(cols)))]
    fitting = [p for p in (_layout(table, cols, every, ci, size, side)
                           for side, ci, size in order) if p.fits]
    chosen = next((p for p in fitting if p.roomy), fitting[0] if fitting else None)
    if chosen is None and len(cols) > 1:  # panels
        fitting = [p for p in (_layout(table, cols, _panels(table, cols, ci, size, side), ci,
                                       size, side) for side, ci, size in order) if p.fits]
        chosen = min(fitting, key=lambda p: (len(p.panels), not p.roomy), default=None)
    if chosen is None:  # not even so: the smallest, its stub and text columns at their least
        chosen = _layout(table, cols, [[j] for j in range(len(cols))], modes[-1], SIZES[-1],
                         settings.sideways)
    return _with_length(table, cols, chosen)


def _with_length(table: Table, cols: Sequence[_Col], p: Plan) -> Plan:
    """``p`` with ``long`` set when its estimated height exceeds most of a page."""
    _, pt, skip = p.size
    height = 3 * skip + 12.0 + len(_wrap(table.caption, p.width, pt)) * (pt + 3)
    for panel in p.panels:
        heads = max((len(_wrap(cols[j].head, p.slots[k].width or p.texts[k], pt))
                     for k, j in enumerate(panel)), default=1)
        height += (heads + (1 if any(table.columns[j].span for j in panel) else 0)) * skip + 8
        for i, row in enumerate(table.rows):
            lines = len(_wrap(row.label, p.stub, pt))
            for k, j in enumerate(panel):
                piece = cols[j].pieces[i]
                if not p.slots[k].numeric:
                    lines = max(lines, len(_wrap(piece.shown, p.texts[k], pt)))
                elif piece.interval and p.ci == "below":
                    lines = max(lines, 2)
            height += lines * skip
    height += sum(len(_wrap(n, p.width, 8.0)) * 9.5 for n in table.notes) + 20
    page = TEXT_WIDTH if p.sideways else TEXT_HEIGHT
    return replace(p, long=height > 0.85 * page)


# -- writing -------------------------------------------------------------------------------------

def _head_cell(text: str, width: float, size: float, ncols: int, last: bool) -> str:
    """A head over ``ncols`` columns, wrapped at ``width`` (a stacked tabular: each line a
    box of its own width, never an overfull one)."""
    lines = _wrap(text, width, size)
    body = latex_escape(lines[0]) if len(lines) == 1 else (
        r"\begin{tabular}[b]{@{}c@{}}" + r" \\ ".join(latex_escape(x) for x in lines)
        + r"\end{tabular}")
    if not text:
        return " & ".join([""] * ncols)
    return rf"\multicolumn{{{ncols}}}{{{_centre(last)}}}{{{body}}}"


def _centre(last: bool) -> str:
    """A centred cell's column; the last without the space after it, as the table's own."""
    return "c@{}" if last else "c"


def _text(piece: _Piece) -> str:
    cite = cite_key(piece.cite) if piece.cite else ""
    return latex_escape(piece.shown) + (f"~{cite}" if cite else "")


def _spec(p: Plan) -> tuple[str, list[int]]:
    """The column specification and, per slot, how many LaTeX columns it takes."""
    pt = p.size[1]
    spec = [rf">{{\raggedright\arraybackslash}}p{{{p.stub:.1f}pt}}"]
    widths = []
    for s, w in zip(p.slots, p.texts):
        if not s.numeric:
            spec.append(rf">{{\raggedright\arraybackslash}}p{{{w:.1f}pt}}")
            widths.append(1)
            continue
        after = f"{{{latex_escape(s.after)}}}" if s.after else ""
        spec.append(f"S[table-format={s.fmt}{after}]")
        if s.interval:
            spec.append(rf"@{{\hspace{{{0.3 * pt:.1f}pt}}}}l")
        widths.append(2 if s.interval else 1)
    return "".join(spec), widths


def _head_rows(table: Table, cols: Sequence[_Col], p: Plan, panel: Sequence[int],
               widths: Sequence[int]) -> list[str]:
    pt = p.size[1]
    out = []
    spans = _spans(table, panel)
    if any(s for s, _ in spans):
        cells, rules, k, at = [""], [], 0, 2
        for span, m in spans:
            n = sum(widths[k:k + m])
            w = sum(p.slots[i].width or p.texts[i] for i in range(k, k + m)) \
                + 2 * _sep(pt) * (m - 1)
            cells.append(_head_cell(span, w, pt, n, k + m == len(p.slots)) if span
                         else " & ".join([""] * n))
            if span:
                rules.append(rf"\cmidrule(lr){{{at}-{at + n - 1}}}")
            k, at = k + m, at + n
        out += [" & ".join(cells) + r" \\", " ".join(rules)]
    heads = [latex_escape(table.stub_head)]
    for k, j in enumerate(panel):
        s = p.slots[k]
        heads.append(_head_cell(cols[j].head, s.width, pt, widths[k], k + 1 == len(p.slots))
                     if s.numeric else latex_escape(cols[j].head))
    heads += [""] * (sum(widths[len(panel):]))
    out.append(" & ".join(heads) + r" \\")
    return [line for line in out if line]


def _body_rows(table: Table, cols: Sequence[_Col], p: Plan, panel: Sequence[int],
               widths: Sequence[int], ncol: int) -> list[str]:
    out = []
    in_foot = False
    for i, row in enumerate(table.rows):
        if row.kind == "section":
            wide = _width(row.label, p.size[1]) > 0.9 * p.width
            spec = rf"@{{}}>{{\raggedright\arraybackslash}}p{{{p.width:.1f}pt}}@{{}}" \
                if wide else "@{}l@{}"
            out += ([r"\addlinespace"] if i else []) + [
                rf"\multicolumn{{{ncol}}}{{{spec}}}{{\textbf{{{latex_escape(row.label)}}}}} \\"]
            continue
        if row.kind == "foot" and not in_foot:
            in_foot = True
            if i:
                out.append(r"\midrule")
        first, second = [_label(row.label, row.kind)], [""]
        for k, j in enumerate(panel):
            piece, slot = cols[j].pieces[i], p.slots[k]
            if not slot.numeric:
                first.append(_text(piece))
                second.append("")
                continue
            if piece.kind == "test" and slot.interval:
                first.append(rf"\multicolumn{{2}}{{{_centre(k + 1 == len(p.slots))}}}"
                             rf"{{{_text(piece)}}}")
                second.append(" & ")
                continue
            if piece.num:
                marks = f"{{{latex_escape(piece.marks)}}}" if piece.marks else ""
                first.append(piece.num + marks)
            else:
                first.append(f"{{{_text(piece)}}}" if piece.text or piece.marks else "")
            if slot.interval:
                first[-1] += " & " + latex_escape(piece.interval)
                second.append(" & ")
            else:
                second.append(f"{{{latex_escape(piece.interval)}}}"
                              if piece.interval and p.ci == "below" else "")
        pad = [""] * sum(widths[len(panel):])
        if any(x.strip(" &") for x in second[1:]):
            # the intervals under their estimates: a label that wraps goes on in the second
            # line, not between them
            em = _em(p.size[1])
            lines = _wrap(row.label, p.stub - (em if row.kind == "level" else 0.0), p.size[1])
            first[0] = _label(lines[0], row.kind)
            second[0] = _label(" ".join(lines[1:]), row.kind) if len(lines) > 1 else ""
            out += [" & ".join(first + pad) + r" \\", " & ".join(second + pad) + r" \\"]
        else:
            out.append(" & ".join(first + pad) + r" \\")
    return out


def _label(text: str, kind: str) -> str:
    """A row's label: a variable's in italics, a level's indented."""
    label = latex_escape(text)
    return (rf"\textit{{{label}}}" if kind == "variable" else
            rf"\setlength{{\leftskip}}{{1em}}{label}" if kind == "level" else label)


def to_latex(table: Table, *, notice: str = "", settings: LatexSettings | None = None) -> str:
    """The table as a LaTeX table (a float, or a longtable when it is too long for a page),
    planned by :func:`plan`; ``notice`` (the synthetic-data notice) opens its notes. Its first
    line says which packages it needs."""
    settings = settings or LatexSettings()
    p = plan(table, settings)
    cols = _columns(table)
    spec, widths = _spec(p)
    ncol = 1 + sum(widths)
    size, pt = p.size[0], p.size[1]
    label = re.sub(r"[^A-Za-z0-9:-]", "-", table.name)
    caption = rf"\caption{{{latex_escape(table.caption)}}}" + (
        rf"\label{{tab:{label}}}" if label else "")
    packages = LATEX_PACKAGES + (f" {LATEX_SIDEWAYS_PACKAGES}" if p.sideways else "")
    setup = [size, rf"\setlength{{\tabcolsep}}{{{_sep(pt):.1f}pt}}",
             r"\sisetup{group-separator={,}, group-minimum-digits=4, group-digits=integer}"]
    body = []
    for n, panel in enumerate(p.panels):
        heads = _head_rows(table, cols, p, panel, widths)
        body += ([r"\toprule"] if n == 0 else [r"\midrule"]) + heads + [r"\midrule"]
        body += _body_rows(table, cols, p, panel, widths, ncol)
    notes = [latex_escape(n) for n in (notice, *table.notes) if n]
    lines = [f"% {packages}"]
    if not p.long:
        env = "sidewaystable" if p.sideways else "table"
        lines += [rf"\begin{{{env}}}[htbp]", r"\centering", *setup, r"\begin{threeparttable}",
                  caption, rf"\begin{{tabular}}{{@{{}}{spec}@{{}}}}", *body, r"\bottomrule",
                  r"\end{tabular}"]
        if notes:
            lines += [r"\begin{tablenotes}[flushleft]", r"\footnotesize",
                      *(rf"\item[] {x}" for x in notes), r"\end{tablenotes}"]
        lines += [r"\end{threeparttable}", rf"\end{{{env}}}"]
        return "\n".join(lines) + "\n"
    # a long table: one number, continued across pages; centred, its caption and notes as wide
    # as planned
    first_heads = body[:body.index(r"\midrule", 1) + 1] if len(p.panels) == 1 else []
    rest = body[len(first_heads):]
    # (the heads and feet across the table in boxes of no width, which longtable would
    # otherwise count into its last column on the first run)
    cont = rf"\multicolumn{{{ncol}}}{{@{{}}l}}{{\makebox[0pt][l]{{\tablename~\thetable{{}} " \
        r"(continued)}} \\"
    paragraphs = r" \par ".join(notes)
    foot_notes = [rf"\multicolumn{{{ncol}}}{{@{{}}l@{{}}}}{{\makebox[0pt][l]{{\parbox[t]"
                  rf"{{{p.width:.1f}pt}}{{\footnotesize {paragraphs}}}}}}} \\"] if notes else []
    lines += ([r"\begin{landscape}"] if p.sideways else []) + [
        r"\begingroup", *setup, rf"\setlength{{\LTcapwidth}}{{{p.width:.1f}pt}}",
        rf"\begin{{longtable}}{{@{{}}{spec}@{{}}}}", caption + r" \\",
        *first_heads, r"\endfirsthead", cont, *first_heads, r"\endhead",
        r"\midrule", rf"\multicolumn{{{ncol}}}{{r@{{}}}}{{\makebox[0pt][r]{{\textit{{continued "
        r"on the next page}}} \\", r"\endfoot", r"\bottomrule", *foot_notes, r"\endlastfoot",
        *rest, r"\end{longtable}", r"\endgroup"] + ([r"\end{landscape}"] if p.sideways else [])
    return "\n".join(lines) + "\n"
