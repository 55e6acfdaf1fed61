"""A table as data: the display CSV (what the reader sees, one column per table column) and
the tidy CSV (one row per cell, every number at full precision in its own column).

Why both: the display CSV pastes into a spreadsheet as the table looks; the tidy CSV is for
analysis -- keyed by the codes of the result files (``outcome``, ``sample``, ``term``,
``variable``, ``level``), not by display labels, with one statistic per column, proportions as
proportions (0-1) and estimates on the result files' own scale, so it joins back to
``results/models/*.csv`` exactly.
"""
from __future__ import annotations

import math

import pandas as pd

from .tablemodel import Table, formatted

#: the code columns of a tidy table, first, in this order (those no row or column has are left
#: out)
CODES = ("outcome", "sample", "term", "variable", "level")
#: the statistics of a tidy table, one per column
STATISTICS = ("estimate", "conf_low", "conf_high", "p_value", "statistic", "df_num", "df_den")


def head_text(table: Table, j: int) -> str:
    """Column ``j``'s head with its spanning head ("UK: Individual"), for flat files."""
    c = table.columns[j]
    return f"{c.span}: {c.head}" if c.span else c.head


def display_frame(table: Table) -> pd.DataFrame:
    """The table as it reads: the stub, then one column per table column, cells as shown."""
    heads = [head_text(table, j) for j in range(len(table.columns))]
    stub = table.stub_head or "Row"
    rows = [{stub: ("    " if row.kind == "level" else "") + row.label,
             **{h: str(t) for h, t in zip(heads, texts)}}
            for row, texts in formatted(table)]
    return pd.DataFrame(rows, columns=[stub, *heads])


def tidy_frame(table: Table) -> pd.DataFrame:
    """One row per non-blank cell: the codes of its row and column, the row's label and kind,
    the column's head, what the cell is (``kind``, ``scale``; ``shown_as``: "exp" when the
    table shows the exponent of the estimate, "percent" a proportion times 100; ``per``), its
    statistics at full precision, its text as shown and its marks."""
    codes = [k for k in CODES if any(k in c.codes for c in table.columns)
             or any(k in r.codes for r in table.rows)]
    extra = sorted(({k for c in table.columns for k in c.codes}
                    | {k for r in table.rows for k in r.codes}) - set(CODES))
    out = []
    for (row, texts), cells in zip(formatted(table), table.cells):
        for j, (cell, text) in enumerate(zip(cells, texts)):
            if cell.kind == "blank":
                continue
            col = table.columns[j]
            merged = {**col.codes, **row.codes}
            rec: dict[str, object] = {k: merged.get(k, "") for k in (*codes, *extra)}
            rec.update(row=row.label, row_kind=row.kind, column=head_text(table, j),
                       kind=cell.kind, scale=cell.scale, shown_as=cell.show,
                       per=cell.per if cell.per is not None else "")
            for k in STATISTICS:
                v = getattr(cell, k)
                rec[k] = "" if v is None or (isinstance(v, float) and math.isnan(v)) else v
            rec["text"] = str(text)
            rec["marks"] = "".join(cell.marks)
            out.append(rec)
    columns = [*codes, *extra, "row", "row_kind", "column", "kind", "scale", "shown_as", "per",
               *STATISTICS, "text", "marks"]
    return pd.DataFrame(out, columns=columns)
