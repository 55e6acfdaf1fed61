"""The table model: a report table built once, as data, and rendered from that to HTML
(:mod:`coprod.report.tablehtml`), LaTeX (:mod:`coprod.report.tablelatex`), the display CSV and
the tidy CSV (:mod:`coprod.report.tabledata`).

Why a model: a table that is formatted into strings first can only be laid out, aligned or
exported by reading those strings back, which breaks on the first new kind of cell and loses
the precision a reader of the data needs. Here a cell carries its numbers at full precision
(the estimate as the model files hold it, its interval, p-value, test statistic and degrees of
freedom), what they are (``scale``), how the page shows them (``show``: as they are, as a ratio
of a log-scale estimate, as a percentage of a proportion) and its marks; a row and a column
carry the codes that say what they are (outcome, sample, term, variable, level). Formatting is
the renderers' last step, with one number of decimals per column and kind of number
(:func:`column_digits`), so every renderer says the same and the tidy data keep every digit.

A table is also written as JSON (:func:`to_json`): the report page reads the tables the
tables rule built from it, as data, instead of reading their HTML back.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

#: the kinds of cell. ``estimate``: a number with (optionally) its interval; ``ref``: the
#: reference level of a categorical variable; ``na``: not estimated (a dash); ``blank``: not
#: applicable here (empty); ``count``: a whole number (thousands separated); ``number``: a
#: statistic shown alone (pseudo-R², a mean without interval); ``test``: a joint test, shown
#: as its p-value (its F and df in the data); ``text``: words (a status, a verdict, a claim).
KINDS = ("estimate", "ref", "na", "blank", "count", "number", "test", "text")
#: how a cell's numbers are shown: as they are; ``exp``: a log-scale estimate as its ratio
#: (log-odds as an odds ratio); ``percent``: a proportion as a percentage
SHOWS = ("", "exp", "percent")
#: the kinds of row. ``term``: a covariate with one estimate; ``variable``: the head of a
#: categorical covariate (its joint test, if any, in its cells); ``level``: one level of it
#: (indented); ``test``: a joint test of a named group of covariates; ``foot``: the fit
#: statistics below a rule (n, events); ``section``: a heading row across the table
ROW_KINDS = ("term", "variable", "level", "test", "foot", "section")

NA_TEXT, REF_TEXT, MINUS = "\u2014", "ref.", "\u2212"


@dataclass(frozen=True)
class Cell:
    """One cell: its numbers at full precision, what they are, and how they are shown.

    ``estimate``, ``conf_low``, ``conf_high`` are on the scale of the result files (log-odds
    for a logistic model's coefficient, a proportion for a share); ``show`` says how the page
    shows them and ``null`` is the value of no effect on the shown scale (1 for a ratio, 0 for
    a difference; None when there is none), which the decimals rule uses. ``per``: the
    estimate is the effect of so many units of a number (report.per), as shown. ``cite``: a
    bibliography key for the text (LaTeX writes ``\\cite{key}`` beside it).
    """

    kind: str = "blank"
    estimate: float | None = None
    conf_low: float | None = None
    conf_high: float | None = None
    p_value: float | None = None
    statistic: float | None = None
    df_num: float | None = None
    df_den: float | None = None
    scale: str = ""
    show: str = ""
    null: float | None = None
    marks: tuple[str, ...] = ()
    text: str = ""
    per: float | None = None
    cite: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Cell kind {self.kind!r} is none of {', '.join(KINDS)}")
        if self.show not in SHOWS:
            raise ValueError(f"Cell show {self.show!r} is none of {SHOWS}")

    @property
    def shown(self) -> tuple[float | None, float | None, float | None]:
        """(estimate, low, high) on the shown scale."""
        def f(x: float | None) -> float | None:
            if x is None or _missing(x):
                return None
            if self.show == "exp":
                return math.exp(x)
            if self.show == "percent":
                return 100.0 * x
            return float(x)
        return f(self.estimate), f(self.conf_low), f(self.conf_high)

    @property
    def numeric(self) -> bool:
        """Set as a number (right-aligned, tabular figures, never broken)."""
        return self.kind in ("estimate", "ref", "na", "count", "number", "test")


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


@dataclass(frozen=True)
class Column:
    """A column of cells: its head, the spanning head above it (consecutive columns with the
    same ``span`` share one; "" for none) and the codes of what it holds (``outcome``,
    ``sample``...)."""

    head: str
    span: str = ""
    codes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Row:
    """A row: its label (the stub), its kind (:data:`ROW_KINDS`) and the codes of what it holds
    (``term``, ``variable``, ``level``...)."""

    label: str
    kind: str = "term"
    codes: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ROW_KINDS:
            raise ValueError(f"Row kind {self.kind!r} is none of {', '.join(ROW_KINDS)}")


@dataclass(frozen=True)
class Table:
    """A whole table: ``cells[i][j]`` is row ``i``'s cell in column ``j``.

    ``notes`` are paragraphs under the table (plain text); ``digits`` the table's decimals for
    estimates (raised per column by :func:`column_digits`); ``stars`` whether p-value stars
    follow estimates (``conf_level`` words their note); ``scale_digits`` the decimals of a
    kind of number other than the table's (a descriptive table's percentages: 1)."""

    name: str
    caption: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    cells: tuple[tuple[Cell, ...], ...]
    stub_head: str = ""
    notes: tuple[str, ...] = ()
    digits: int = 2
    scale_digits: Mapping[str, int] = field(default_factory=dict)
    stars: bool = False
    conf_level: float = 0.95

    def __post_init__(self) -> None:
        if len(self.cells) != len(self.rows):
            raise ValueError(f"table {self.name}: {len(self.rows)} rows but "
                             f"{len(self.cells)} rows of cells")
        for row, cells in zip(self.rows, self.cells):
            if len(cells) != len(self.columns):
                raise ValueError(f"table {self.name}: row {row.label!r} has {len(cells)} "
                                 f"cells for {len(self.columns)} columns")

    def column(self, j: int) -> list[Cell]:
        return [r[j] for r in self.cells]

    def spans(self) -> list[tuple[str, int]]:
        """The spanning heads in order, each with how many columns it spans ([] when no
        column has one)."""
        if not any(c.span for c in self.columns):
            return []
        out: list[tuple[str, int]] = []
        for c in self.columns:
            if out and out[-1][0] == c.span:
                out[-1] = (c.span, out[-1][1] + 1)
            else:
                out.append((c.span, 1))
        return out

    def occurring(self) -> set[str]:
        """The kinds of cell and the marks that occur in the table (``"ref"``, ``"na"``,
        ``"test"``, a mark such as ``"\u2020"``...): a note gives a legend only for what
        occurs."""
        return {x for row in self.cells for c in row for x in (c.kind, *c.marks)}

    def with_notes(self, *notes: str) -> Table:
        return replace(self, notes=tuple(n for n in (*self.notes, *notes) if n))


def build(name: str, caption: str, columns: Sequence[Column],
          rows: Iterable[tuple[Row, Sequence[Cell]]], **kw: Any) -> Table:
    """A table from (row, its cells) pairs: the usual way a builder makes one."""
    pairs = list(rows)
    return Table(name=name, caption=caption, columns=tuple(columns),
                 rows=tuple(r for r, _ in pairs), cells=tuple(tuple(c) for _, c in pairs),
                 **kw)


# -- numbers as text ---------------------------------------------------------------------------

MAX_DIGITS = 4


def number(x: float | None, digits: int) -> str:
    """A number with ``digits`` decimals and a true minus sign; a dash when missing, the
    infinity sign when infinite."""
    if x is None or _missing(x):
        return NA_TEXT
    if math.isinf(x):
        return ("" if x > 0 else MINUS) + "\u221e"
    text = f"{x:.{digits}f}"
    if text.startswith("-"):
        text = MINUS + text[1:] if any(ch not in "0." for ch in text[1:]) else text[1:]
    return text


def count(x: float | None) -> str:
    return NA_TEXT if x is None or _missing(x) else f"{float(x):,.0f}"


def p_text(p: float | None) -> str:
    """p as papers print it: "p = 0.097", "p < 0.001"."""
    if p is None or _missing(p):
        return NA_TEXT
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def interval_digits(cells: Iterable[Cell], base: int) -> int:
    """THE decimals rule, stated once: the numbers of one kind in one column share one number
    of decimals -- the table's (``base``), raised (up to 4) until no interval that excludes
    the value of no effect shows that value as a bound and no estimate that differs from it
    shows as it (so "0.99 [0.98, 1.00]" never stands for an interval that excludes 1)."""
    shown = [(c.shown, c.null) for c in cells if c.kind == "estimate" and c.null is not None]
    def clash(shown: tuple, null: float, d: int) -> bool:
        est, lo, hi = shown
        excludes = (lo is not None and lo > null) or (hi is not None and hi < null)
        return excludes and any(v is not None and round(v, d) == round(null, d)
                                for v in (est, lo, hi))

    for d in range(base, MAX_DIGITS + 1):
        if not any(clash(s, null, d) for s, null in shown):
            return d
    return max(base, MAX_DIGITS)


def column_digits(table: Table, j: int) -> dict[str, int]:
    """{scale: decimals} for column ``j``: :func:`interval_digits` per kind of number (a
    column of a descriptive table holds percentages and means, each with its own)."""
    by_scale: dict[str, list[Cell]] = {}
    for c in table.column(j):
        if c.kind in ("estimate", "number"):
            by_scale.setdefault(c.scale, []).append(c)
    return {s: interval_digits(cs, table.scale_digits.get(s, table.digits))
            for s, cs in by_scale.items()}


@dataclass(frozen=True)
class CellText:
    """A cell as text parts, for renderers that set them apart (LaTeX puts the interval
    under the estimate on request; HTML keeps them on one line)."""

    estimate: str
    interval: str = ""   # "[1.01, 1.50]" or ""
    marks: str = ""      # stars and symbols, "" when none

    def __str__(self) -> str:
        return f"{self.estimate}{' ' + self.interval if self.interval else ''}{self.marks}"


#: p-value stars (only where report.tables.stars asks for them): the one list of thresholds
STAR_LEVELS = ((0.001, "***"), (0.01, "**"), (0.05, "*"))


def star(p: float | None) -> str:
    if p is None or _missing(p):
        return ""
    return next((s for cut, s in STAR_LEVELS if p < cut), "")


def cell_text(cell: Cell, digits: int, stars: bool = False) -> CellText:
    """A cell's text with ``digits`` decimals (the column's, from :func:`column_digits`)."""
    marks = "".join(cell.marks)
    if cell.kind == "estimate":
        est, lo, hi = cell.shown
        interval = (f"[{number(lo, digits)}, {number(hi, digits)}]"
                    if lo is not None or hi is not None else "")
        sym = star(cell.p_value) if stars else ""
        return CellText(number(est, digits), interval, sym + (f" {marks}" if marks else ""))
    if cell.kind == "number":
        return CellText(number(cell.shown[0], digits), "", marks)
    if cell.kind == "count":
        return CellText(count(cell.estimate), "", marks)
    if cell.kind == "test":
        return CellText(p_text(cell.p_value), "", marks)
    if cell.kind == "ref":
        return CellText(REF_TEXT)
    if cell.kind == "na":
        return CellText(NA_TEXT, "", marks)
    if cell.kind == "text":
        return CellText(cell.text, "", marks)
    return CellText("")


def formatted(table: Table) -> Iterator[tuple[Row, list[CellText]]]:
    """Every row with its cells as text: what every renderer shows."""
    digits = [column_digits(table, j) for j in range(len(table.columns))]
    for row, cells in zip(table.rows, table.cells):
        yield row, [cell_text(c, digits[j].get(c.scale, table.digits), table.stars)
                    for j, c in enumerate(cells)]


# -- the table as JSON (for the report page) ---------------------------------------------------

def to_json(table: Table) -> str:
    """The table as JSON (NaN as null), deterministic: the tables rule writes it, the report
    page renders from it."""
    def clean(x: Any) -> Any:
        if isinstance(x, float) and not math.isfinite(x):
            return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x
    return json.dumps(clean(asdict(table)), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def from_json(text: str) -> Table:
    """The table :func:`to_json` wrote."""
    data = json.loads(text)

    def num(x: Any) -> Any:
        return float(x) if x in ("inf", "-inf") else x

    def cell(d: dict) -> Cell:
        d = {k: num(v) for k, v in d.items()}
        d["marks"] = tuple(d.get("marks") or ())
        return Cell(**d)

    return Table(
        name=data["name"], caption=data["caption"], stub_head=data.get("stub_head", ""),
        columns=tuple(Column(head=c["head"], span=c.get("span", ""),
                             codes=dict(c.get("codes") or {})) for c in data["columns"]),
        rows=tuple(Row(label=r["label"], kind=r.get("kind", "term"),
                       codes=dict(r.get("codes") or {})) for r in data["rows"]),
        cells=tuple(tuple(cell(c) for c in row) for row in data["cells"]),
        notes=tuple(data.get("notes") or ()), digits=int(data.get("digits", 2)),
        scale_digits={k: int(v) for k, v in (data.get("scale_digits") or {}).items()},
        stars=bool(data.get("stars", False)), conf_level=float(data.get("conf_level", 0.95)))
