"""The files of a table: results/tables/NAME.csv (as shown), NAME.data.csv (tidy, every number
at full precision), NAME.tex, NAME.html (a standalone fragment) and NAME.json (the table as
data, which the report page renders).

Why one writer: every rule that makes tables (tables, findings, robustness, imputation)
writes the same five files the same way from one :class:`~coprod.report.tablemodel.Table`, so
they cannot disagree.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..pipeline.io import write_csv, write_text
from .tabledata import display_frame, tidy_frame
from .tablehtml import fragment_html
from .tablelatex import to_latex
from .tablemodel import Table, from_json, to_json

#: the formats of a table's files, as the rules name their outputs (``<stem>_<format>``)
FORMATS = ("csv", "data", "tex", "html", "json")


def write_table(table: Table, paths: Mapping[str, str | Path], *, notice: str = "",
                latex_settings=None) -> None:
    """Write ``table`` as the files in ``paths`` ({format: path}, formats of :data:`FORMATS`);
    ``notice`` (the synthetic-data notice) opens the notes of the LaTeX and HTML files. The
    tidy CSV keeps every digit (:func:`coprod.pipeline.io.write_csv` writes Python's shortest
    exact form), the display CSV the text as shown."""
    unknown = set(paths) - set(FORMATS)
    if unknown:
        raise ValueError(f"table {table.name}: no format {sorted(unknown)} (known: {FORMATS})")
    if "csv" in paths:
        write_csv(display_frame(table), paths["csv"])
    if "data" in paths:
        write_csv(tidy_frame(table), paths["data"])
    if "tex" in paths:
        write_text(paths["tex"], to_latex(table, notice=notice, settings=latex_settings))
    if "html" in paths:
        write_text(paths["html"], fragment_html(table, notice=notice))
    if "json" in paths:
        write_text(paths["json"], to_json(table))


def read_table(path: str | Path) -> Table:
    """A table :func:`write_table` wrote as JSON."""
    return from_json(Path(path).read_text(encoding="utf-8"))
