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


def _may_hold_text(dtype) -> bool:
    """Whether a column of ``dtype`` may hold text (not numbers, not dates)."""
    return not (pd.api.types.is_numeric_dtype(dtype)
                or pd.api.types.is_datetime64_any_dtype(dtype))


def _distinct(s: pd.Series):
    """The distinct cells of a text column (a result column repeats a few names over many
    rows: the texts are scanned once each, by a hashing pass in C)."""
    if len(s) > 32:  # below, hashing costs more than it saves
        try:
            return s.unique()
        except TypeError:  # unhashable cells (lists): every cell
            pass
    return s.to_numpy(dtype=object)


def _apply(df: pd.DataFrame, fn, first: frozenset) -> tuple[pd.DataFrame, bool]:
    """``fn`` on every text cell and column name; the frame itself when nothing changes (so
    a table without such cells is written exactly as before); and whether a text cell or
    name holds a carriage return. ``first``: the first characters of the texts ``fn``
    changes; a column without such a text is not mapped (most are not: one pass over its
    distinct values instead of a pandas map of every cell)."""
    out = df
    old_names = list(df.columns)  # one list: an Index may give new objects on each pass
    has_cr = any("\r" in str(c) for c in old_names)
    for i, dtype in enumerate(df.dtypes):
        if not _may_hold_text(dtype):
            continue
        values = [v for v in _distinct(df.iloc[:, i]) if isinstance(v, str)]
        has_cr = has_cr or any("\r" in v for v in values)
        if not any(v[:1] in first for v in values):
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


#: where a cell may begin that :func:`neutralise` changes: at a field's start (after a comma
#: or a line end; the text is scanned with a line end before it, for its first field), a
#: formula start after any apostrophes and spaces (``_RISKY``), quoted or not; a field that
#: is a whole plain number (``_NUMBER``: a number is never quoted) is not one
_MAYBE_RISKY = re.compile(r"""[,\n](?:"'* *[=+\-@\t\r]"""
                          r"""|(?![+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:[,\n]|$))"""
                          r"""'* *[=+\-@\t\r])""")


def csv_text(df: pd.DataFrame, float_format: str | None = None) -> str:
    """What :func:`to_csv` writes (``lineterminator="\\n"``), as text.

    Why a text first: most result tables hold no cell to neutralise and no carriage return,
    which one scan of pandas' own text shows (a number like ``-0.5`` is told apart there);
    such a text is the file. Only a text with a candidate is made from the neutralised frame,
    by the rule of :func:`to_csv` (a false alarm gives the same text again)."""
    text = df.to_csv(None, index=False, float_format=float_format, lineterminator="\n")
    if "\r" not in text and not _MAYBE_RISKY.search("\n" + text):
        return text
    out, has_cr = _apply(df, neutralise, _RISKY_FIRST)
    if out is df and not has_cr:
        return text
    return out.to_csv(None, index=False, float_format=float_format, lineterminator="\n",
                      quoting=csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL)


def to_csv(df: pd.DataFrame, path: str | Path, **kw) -> None:
    """``df.to_csv(path, index=False, **kw)`` with its text made inert; a frame with a carriage
    return in a text cell or name has every text field quoted (Python's csv quotes only the
    line terminator, "\\n", and a spreadsheet would start a new row, and a formula, at the
    bare "\\r")."""
    df, has_cr = _apply(df, neutralise, _RISKY_FIRST)  # an added "'" adds no "\r"
    df.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC if has_cr else csv.QUOTE_MINIMAL,
              **kw)
