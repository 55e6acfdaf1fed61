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


#: the first character of every text :func:`neutralise` changes (``_RISKY``), and of every
#: text :func:`restore` changes (``_ESCAPED``)
_RISKY_FIRST = frozenset("' =+-@\t\r")
_ESCAPED_FIRST = frozenset("'")


def _text_values(df: pd.DataFrame):
    """(position, cells as an object array) of each column that may hold text (not numbers,
    not dates)."""
    for i, (_, s) in enumerate(df.items()):
        if pd.api.types.is_numeric_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        yield i, s.to_numpy(dtype=object)


def _apply(df: pd.DataFrame, fn, first: frozenset) -> tuple[pd.DataFrame, bool]:
    """``fn`` on every text cell and column name; the frame itself when nothing changes (so
    a table without such cells is written exactly as before); and whether a text cell or
    name holds a carriage return. ``first``: the first characters of the texts ``fn``
    changes; a column without such a text is not mapped (most are not: one pass over plain
    values instead of a pandas map of every cell)."""
    out = df
    old_names = list(df.columns)  # one list: an Index may give new objects on each pass
    has_cr = any("\r" in str(c) for c in old_names)
    for i, values in _text_values(df):
        has_cr = has_cr or any(isinstance(v, str) and "\r" in v for v in values)
        if not any(isinstance(v, str) and v[:1] in first for v in values):
            continue
        cells = df.iloc[:, i].astype(object)
        new = cells.map(fn)
        if any(a is not b for a, b in zip(cells, new)):
            if out is df:
                out = df.copy()
            out.isetitem(i, new)
    names = [fn(c) for c in old_names]
    if any(a is not b for a, b in zip(old_names, names)):
        out = out.copy() if out is df else out
        out.columns = names
    return out, has_cr


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column names are safe to open in a spreadsheet
    (``df`` itself when it has none to change)."""
    return _apply(df, neutralise, _RISKY_FIRST)[0]


def restore_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A frame read from a CSV written by coprod, with the apostrophes of
    :func:`neutralise_frame` removed."""
    return _apply(df, restore, _ESCAPED_FIRST)[0]


def to_csv(df: pd.DataFrame, path: str | Path, **kw) -> None:
    """``df.to_csv(path, index=False, **kw)`` with its text made inert; a frame with a carriage
    return in a text cell or name has every text field quoted (Python's csv quotes only the
    line terminator, "\\n", and a spreadsheet would start a new row, and a formula, at the
    bare "\\r")."""
    df, has_cr = _apply(df, neutralise, _RISKY_FIRST)  # an added "'" adds no "\r"
    df.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL,
              **kw)
