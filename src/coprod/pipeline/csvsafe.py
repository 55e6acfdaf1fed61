"""CSV cells a spreadsheet would run as a formula, made inert on writing and restored on reading.

Why: result CSVs carry names users typed (codebook labels and levels, group names, claims, raw
column names). A cell beginning with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return
before one) is a formula to Excel, LibreOffice and Google Sheets:
``=HYPERLINK("http://...","click")`` becomes a live link in a colleague's spreadsheet. OWASP's
rule is to prefix such a cell with an apostrophe, which spreadsheets show as text.

Only text is touched: numeric columns never (a negative estimate stays ``-0.5``), nor a text
cell that is a plain number (``-1`` as a level, a formatted ``-0.50``), which no spreadsheet
runs. The rule is reversible: a cell that already begins with apostrophes before a trigger gets
one more, and :func:`restore_frame` removes exactly one, so coprod reads back what it wrote.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd

#: the characters that start a formula (OWASP CSV injection), possibly after apostrophes we added
#: and after spaces (a spreadsheet that trims them on import would run " =HYPERLINK(...)")
_RISKY = re.compile(r"^'* *[=+\-@\t\r]")
_ESCAPED = re.compile(r"^'+ *[=+\-@\t\r]")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def neutralise(value):
    """``'`` + a text that a spreadsheet would run as a formula; anything else unchanged."""
    if isinstance(value, str) and _RISKY.match(value) and not _NUMBER.match(value):
        return "'" + value
    return value


def restore(value):
    """The text :func:`neutralise` was given (one added apostrophe removed)."""
    if isinstance(value, str) and _ESCAPED.match(value):
        return value[1:]
    return value


def _apply(df: pd.DataFrame, fn) -> pd.DataFrame:
    """``fn`` on every text cell and column name; the frame itself when nothing changes (so
    a table without such cells is written exactly as before)."""
    out = df
    for i in range(df.shape[1]):
        s = df.iloc[:, i]
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        cells = s.astype(object)
        new = cells.map(fn)
        if any(a is not b for a, b in zip(cells, new)):
            if out is df:
                out = df.copy()
            out.isetitem(i, new)
    names = [fn(c) for c in df.columns]
    if any(a is not b for a, b in zip(df.columns, names)):
        out = out.copy() if out is df else out
        out.columns = names
    return out


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are safe to open in a spreadsheet
    (``df`` itself when it has none to change)."""
    return _apply(df, neutralise)


def restore_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A frame read from a CSV written by coprod, with the apostrophes of
    :func:`neutralise_frame` removed."""
    return _apply(df, restore)


def to_csv(df: pd.DataFrame, path: str | Path, **kw) -> None:
    """``df.to_csv(path, index=False, **kw)`` with its text made inert; a frame with a carriage
    return in a text cell or name has every text field quoted (Python's csv quotes only the
    line terminator, "\\n", and a spreadsheet would start a new row, and a formula, at the
    bare "\\r")."""
    df = neutralise_frame(df)
    has_cr = any("\r" in str(c) for c in df.columns) or any(
        any(isinstance(v, str) and "\r" in v for v in df.iloc[:, i].astype(object))
        for i in range(df.shape[1]) if not pd.api.types.is_numeric_dtype(df.iloc[:, i]))
    df.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL,
              **kw)
