"""The report page as data: an ordered list of sections, each holding items (paragraphs, lists,
figures, tables, collapsed groups), numbered and listed here, rendered by the template
(:mod:`coprod.report.page`).

Why a model: a page built as one string can only be numbered, cross-referenced or given its
contents list by reading its own HTML back, which breaks on the first change of markup. Here
a figure or a table is numbered where it is first mentioned -- a cross-reference in the text
before it (:class:`Xref`) or the item itself -- walking the sections in order; the contents
list is the sections list. Text is plain (the template escapes it); the few pieces that are
already HTML (a rendered ``<table>`` element, the answer box's escaped sentences) arrive as
:class:`markupsafe.Markup`, marked where they are made.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

from markupsafe import Markup


@dataclass(frozen=True)
class Xref:
    """A cross-reference to a figure (``fig-<name>``) or a table (``table-<name>``): shown as
    " (Figure 3)", linked; nothing at all when the page lacks the target (a figure or table
    the config turned off)."""

    target: str


@dataclass(frozen=True)
class Strong:
    """Words set in bold (a claim before what is said of it)."""

    text: str


@dataclass(frozen=True)
class Em:
    """Words set in italics (an answer category)."""

    text: str


@dataclass(frozen=True)
class Code:
    """A file name or a formula, set as code."""

    text: str


#: a piece of running text: plain words (escaped by the template), bold, italics, code, a cross-
#: reference, or HTML that was escaped where it was made (Markup)
Inline = str | Strong | Em | Code | Xref | Markup


def parts(*pieces: Inline | None) -> tuple[Inline, ...]:
    """Running text from its pieces, empty ones left out."""
    return tuple(p for p in pieces if p)


@dataclass(frozen=True)
class Paragraph:
    kind: ClassVar[str] = "paragraph"
    text: tuple[Inline, ...]
    css: str = ""


@dataclass(frozen=True)
class Bullets:
    """A list; each entry is running text."""

    kind: ClassVar[str] = "bullets"
    entries: tuple[tuple[Inline, ...], ...]


@dataclass(frozen=True)
class Heading:
    """A heading inside a section (h3)."""

    kind: ClassVar[str] = "heading"
    text: str
    id: str = ""


@dataclass(frozen=True)
class Figure:
    """A figure: the PNG embedded; ``files`` [(format, relative path)] link the image to its
    full-size file and list every format's file."""

    kind: ClassVar[str] = "figure"
    name: str
    png: bytes
    caption: str
    alt: str
    files: tuple[tuple[str, str], ...] = ()

    @property
    def target(self) -> str:
        return f"fig-{self.name}"


@dataclass(frozen=True)
class TableBlock:
    """A table: ``html`` the ``<table>`` element alone (``tablehtml.table_html``: id
    ``table-<name>``, no caption), its caption and notes set outside the box that scrolls;
    ``files`` [(format, relative path)] its CSV and LaTeX files. ``wide``: more columns than a
    portrait page holds (printed on a landscape page); ``stack``: the rows as (label, [(column
    head, text)]) for a phone, where the table becomes one card per row (the claims table,
    whose verdict would otherwise start off-screen), empty for none."""

    kind: ClassVar[str] = "table"
    name: str
    html: Markup
    caption: str
    notes: tuple[str, ...] = ()
    files: tuple[tuple[str, str], ...] = ()
    wide: bool = False
    stack: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    @property
    def target(self) -> str:
        return f"table-{self.name}"


@dataclass(frozen=True)
class Details:
    """Items behind one summary line (a click away on screen, printed whole)."""

    kind: ClassVar[str] = "details"
    summary: str
    items: tuple[Item, ...]
    id: str = ""
    css: str = "more"


@dataclass(frozen=True)
class Answer:
    """The answer box's layout: its sentences beside a figure (on a wide screen)."""

    kind: ClassVar[str] = "answer"
    sentences: Bullets
    figure: Figure | None = None


Item = Paragraph | Bullets | Heading | Figure | TableBlock | Details | Answer


@dataclass(frozen=True)
class Section:
    """A section of the page: ``fold`` collapses it on screen to its title and ``gist`` (one
    plain line), printed whole; ``toc`` lists it in the contents."""

    id: str
    title: str
    items: tuple[Item, ...]
    fold: bool = False
    gist: str = ""
    toc: bool = True
    show_title: bool = True


@dataclass(frozen=True)
class Page:
    """The whole page: the sections in reading order; the contents list follows the section
    whose id is ``toc_after`` (the first one when it is absent)."""

    title: str
    sections: tuple[Section, ...]
    run_date: str
    synthetic: bool = False
    toc_after: str = "answer"

    def contents(self) -> list[tuple[str, str]]:
        """(section id, title) of every listed section, in order."""
        return [(s.id, s.title) for s in self.sections if s.toc]

    def split(self) -> tuple[tuple[Section, ...], tuple[Section, ...]]:
        """The sections before the contents list and after it."""
        ids = [s.id for s in self.sections]
        k = ids.index(self.toc_after) + 1 if self.toc_after in ids else min(1, len(ids))
        return self.sections[:k], self.sections[k:]


def _mentions(item: Item) -> Iterator[str]:
    """The targets an item mentions or is, in reading order."""
    if isinstance(item, (Paragraph, Bullets)):
        entries = (item.text,) if isinstance(item, Paragraph) else item.entries
        for text in entries:
            yield from (p.target for p in text if isinstance(p, Xref))
    elif isinstance(item, (Figure, TableBlock)):
        yield item.target
    elif isinstance(item, Details):
        for sub in item.items:
            yield from _mentions(sub)
    elif isinstance(item, Answer):
        yield from _mentions(item.sentences)
        if item.figure is not None:
            yield item.figure.target


def targets(sections: Sequence[Section]) -> set[str]:
    """Every figure and table the page holds."""
    out: set[str] = set()

    def walk(items: Sequence[Item]) -> None:
        for it in items:
            if isinstance(it, (Figure, TableBlock)):
                out.add(it.target)
            elif isinstance(it, Details):
                walk(it.items)
            elif isinstance(it, Answer) and it.figure is not None:
                out.add(it.figure.target)
    for s in sections:
        walk(s.items)
    return out


def numbering(sections: Sequence[Section]) -> dict[str, str]:
    """{target: "Figure k" or "Table k"}: walking the sections in order, each figure and table
    takes the next number of its kind where it is first mentioned (a cross-reference before
    it, or the item itself). A reference to a target the page lacks takes no number."""
    present = targets(sections)
    out: dict[str, str] = {}
    count = {"fig": 0, "table": 0}
    for s in sections:
        for item in s.items:
            for t in _mentions(item):
                if t in out or t not in present:
                    continue
                kind = t.split("-", 1)[0]
                count[kind] += 1
                out[t] = f"{'Figure' if kind == 'fig' else 'Table'} {count[kind]}"
    return out


def stack_rows(table) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """A table model's rows as :attr:`TableBlock.stack` wants them: (row label, [(column head,
    cell text)]), the text as every renderer shows it (``tablemodel.formatted``)."""
    from .tablemodel import formatted

    return tuple((row.label, tuple((c.head, str(t)) for c, t in zip(table.columns, texts)))
                 for row, texts in formatted(table) if row.kind != "section")
