"""A table as HTML: the ``<table>`` element alone (the page sets its number, caption and notes
around it, outside the box that scrolls), or a standalone fragment for results/tables/.

Why the table element alone: on a phone a wide table scrolls sideways in its own box; what
must stay readable (the caption, the notes) goes outside that box, which only the page can
do. Every text is escaped here, once; numeric cells carry class "num" (right-aligned, tabular
figures), the row labels are ``<th scope="row">`` (the page keeps them in view when the table
scrolls) and spanning heads are a first header row of ``<th colspan scope="colgroup">``.
"""
from __future__ import annotations

from collections.abc import Sequence
from html import escape as esc

from .tablemodel import Table, formatted

ROW_CLASS = {"variable": "group", "level": "level", "test": "test", "foot": "foot",
             "section": "section", "term": ""}


def table_html(table: Table, *, caption: str | None = None) -> str:
    """The ``<table>`` element; ``caption`` (escaped) inside it only when given (a standalone
    table; the page puts its caption outside the scroll box)."""
    ident = f' id="table-{esc(table.name)}"' if table.name else ""
    out = [f'<table class="coprod-table"{ident}>']
    if caption is not None:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead>")
    spans = table.spans()
    if spans:
        out.append('<tr class="spans"><td></td>' + "".join(
            f'<th scope="colgroup" colspan="{n}">{esc(s)}</th>' if s else
            f'<td colspan="{n}"></td>' for s, n in spans) + "</tr>")
    numeric = [any(c.numeric for c in table.column(j)) for j in range(len(table.columns))]
    num_class = ' class="num"'
    out.append(f'<tr><th scope="col">{esc(table.stub_head)}</th>' + "".join(
        f'<th scope="col"{num_class if num else ""}>{esc(c.head)}</th>'
        for c, num in zip(table.columns, numeric)) + "</tr>")
    out.append("</thead>")
    out.append("<tbody>")
    in_foot = False
    for (row, texts), cells in zip(formatted(table), table.cells):
        if row.kind == "foot" and not in_foot:
            out.append('</tbody><tbody class="foot">')
            in_foot = True
        cls = ROW_CLASS.get(row.kind, "")
        tr = f'<tr class="{cls}">' if cls else "<tr>"
        if row.kind == "section":
            out.append(f'{tr}<th scope="rowgroup" colspan="{len(table.columns) + 1}">'
                       f"{esc(row.label)}</th></tr>")
            continue
        tds = "".join(f'<td class="num">{esc(str(t))}</td>' if c.numeric
                      else f"<td>{esc(str(t))}</td>" for c, t in zip(cells, texts))
        out.append(f'{tr}<th scope="row">{esc(row.label)}</th>{tds}</tr>')
    out.append("</tbody>")
    out.append("</table>")
    return "\n".join(out) + "\n"


def fragment_html(table: Table, *, notice: str = "") -> str:
    """A standalone fragment (results/tables/NAME.html): the table with its caption, then its
    notes (``notice`` first: the synthetic-data notice) as paragraphs."""
    notes = [n for n in (notice, *table.notes) if n]
    return table_html(table, caption=table.caption) + "".join(
        f'<p class="table-note">{esc(n)}</p>\n' for n in notes)


def page_table(table: Table, *, notice: str = "", notes: Sequence[str] | None = None) -> str:
    """A table as the report page shows it: its caption (the page numbers it), the table
    alone in the box that scrolls sideways on a narrow screen, then its notes (``notice``
    first; ``notes`` instead of the table's own when given) -- the caption and the notes
    outside the box, where a phone reader can read them."""
    said = [n for n in (notice, *(table.notes if notes is None else notes)) if n]
    return (f'<div class="table-block">\n<p class="table-caption">{esc(table.caption)}</p>\n'
            f'<div class="table-wrap">\n{table_html(table)}</div>\n'
            + "".join(f'<p class="table-note">{esc(n)}</p>\n' for n in said) + "</div>\n")
