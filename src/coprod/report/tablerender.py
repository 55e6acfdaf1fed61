"""A display table rendered: LaTeX (booktabs, laid out to fit the page), HTML, tidy cell data,
and the files of each.

Why apart from the tables themselves (:mod:`coprod.report.tables`): those decide what a table
says; this decides how any display table is set, for every table of the report (the findings,
the robustness checks, the page's own) alike. A display table has the columns ``variable`` and
``level`` (the row stub) or a first stub column, then one column per model or group;
``df.attrs["foot"]`` is how many final rows go below a rule.
"""
from __future__ import annotations

import html
import re

import pandas as pd

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "\u00b2": r"\textsuperscript{2}",
                  "\u2014": "---", "\u2013": "--", "\u201c": "``", "\u201d": "''",
                  "\u2212": "$-$", "\u2020": r"\textdagger{}",
                  "<": r"\textless{}", ">": r"\textgreater{}",
                  # the model notes' formulas (FAMILY_WORDING) and arrows, outside T1's glyphs
                  "\u2264": r"\ensuremath{\le}", "\u2265": r"\ensuremath{\ge}",
                  "\u03b6": r"\ensuremath{\zeta}", "\u03b2": r"\ensuremath{\beta}",
                  "\u2032": r"\ensuremath{'}", "\u2192": r"\ensuremath{\to}",
                  "\u00d7": r"\ensuremath{\times}"}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(text) -> str:
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group()], str(text))


def _stub_rows(df: pd.DataFrame):
    """(label, is_header, is_indented, cells) for each row of a display table."""
    stub = {"variable", "level"} <= set(df.columns)
    cells_cols = [c for c in df.columns if c not in ("variable", "level")] if stub else \
        list(df.columns[1:])
    for _, r in df.iterrows():
        cells = [str(r[c]) for c in cells_cols]
        if not stub:
            yield str(r[df.columns[0]]), False, False, cells
        elif r["level"]:
            yield str(r["level"]), False, True, cells
        else:
            yield str(r["variable"]), all(c == "" for c in cells), False, cells


def _heads(df: pd.DataFrame) -> tuple[str, list[str]]:
    if {"variable", "level"} <= set(df.columns):
        return "", [c for c in df.columns if c not in ("variable", "level")]
    return str(df.columns[0]), [str(c) for c in df.columns[1:]]


#: the packages the .tex tables need (written at the top of each file)
LATEX_PACKAGES = r"\usepackage{booktabs,tabularx,threeparttable,rotating,array}"
#: the text widths the layout is planned for (pt): an A4 article's portrait text width and its
#: text height, the width of a landscape (sideways) table
LATEX_WIDTH, LATEX_HEIGHT = 345.0, 550.0


def _latex_layout(stub: list[str], columns: list[list[str]], heads: list[str]):
    """(size command, landscape, widths, fits): the smallest change that makes the table fit --
    portrait, then landscape, then a smaller font (``fits`` False: not even then).
    ``widths`` per column: the width (pt) of a numeric column (most of its cells numbers,
    which never break) or, for a text column, minus its share of the rest (text and headings
    wrap)."""
    def chars(c: str) -> float:  # a minus sign ($-$) is wider than a digit
        return len(c) + 0.6 * c.count("\u2212")

    def longest_word(texts) -> int:
        return max((len(w) for t in texts for w in t.split()), default=1)

    def plan(char: float, width: float):
        widths, need = [], 14.0 + char * min(max((len(x) for x in stub), default=4), 28)
        for cells, head in zip(columns, heads):
            filled = [c for c in cells if c]
            nums = [chars(c) for c in filled if NUMERIC_CELL.match(c)]
            if nums and len(nums) * 2 >= len(filled):
                w = char * max(max(nums), longest_word([head])) + 2.0
                widths.append(w)
                need += 12.0 + w
            else:
                words = max(longest_word([head, *filled]),
                            min(max((len(c) for c in filled), default=1), 30) / 2)
                widths.append(-words)  # a text column: its share, by its longest word
                need += 12.0 + char * words
        return widths, need <= 0.92 * width

    layouts = ((r"\small", 4.6, LATEX_WIDTH, False), (r"\small", 4.6, LATEX_HEIGHT, True),
               (r"\footnotesize", 4.1, LATEX_HEIGHT, True))
    for size, char, width, landscape in layouts:
        widths, fits = plan(char, width)
        if fits:
            return size, landscape, widths, True
    return size, landscape, widths, False


def to_latex(df: pd.DataFrame, *, caption: str, note: str = "", label: str = "",
             split: bool = True) -> str:
    """A journal table: booktabs rules, a tabularx as wide as the text (the stub and text
    columns wrap, numeric columns are right-aligned and never break), the note in a
    threeparttable; a table too wide for a portrait page is set sideways (rotating), then
    smaller; one too wide even then is split into parts of its columns, each a table with
    the stub (the note under the last). Every text is escaped (%, _, & and friends)."""
    stub_head, heads = _heads(df)
    foot = df.attrs.get("foot", 0)
    rows = list(_stub_rows(df))
    columns = [[r[3][j] for r in rows] for j in range(len(heads))]
    size, landscape, widths, fits = _latex_layout([r[0] for r in rows], columns, heads)
    if not fits and len(heads) > 1 and split:
        stub = ["variable", "level"] if {"variable", "level"} <= set(df.columns) else \
            [df.columns[0]]
        data = [c for c in df.columns if c not in stub]
        stubs = [r[0] for r in rows]
        for k in range(2, len(data) + 1):  # the fewest parts that each fit
            size = -(-len(data) // k)
            chunks = [data[i:i + size] for i in range(0, len(data), size)]
            if all(_latex_layout(stubs, [columns[data.index(c)] for c in chunk],
                                 [heads[data.index(c)] for c in chunk])[3] for chunk in chunks):
                break
        parts = []
        for k, cols in enumerate(chunks):
            part = df[stub + cols].copy()
            part.attrs = dict(df.attrs)
            last = k == len(chunks) - 1
            parts.append(to_latex(
                part, caption=caption if k == 0 else f"{caption} (continued, part {k + 1})",
                note=note if last else "", split=False,
                label=(label if k == 0 else f"{label}-part{k + 1}") if label else ""))
        # one packages comment, at the top
        return "\n".join([parts[0], *[q.split("\n", 1)[1] for q in parts[1:]]])
    env = "sidewaystable" if landscape else "table"
    # the stub and the text columns share what the numeric columns leave, each by its
    # longest word (tabularx's \hsize factors, which must average 1)
    shares = [max(min(max((len(x) for x in (r[0] for r in rows)), default=4), 28) / 2, 6.0),
              *[-w for w in widths if w < 0]]
    scale = len(shares) / sum(shares)
    text_shares = iter(shares[1:])

    def x_col(share: float) -> str:
        return rf">{{\hsize={share * scale:.3f}\hsize\raggedright\arraybackslash}}X"

    spec = [x_col(shares[0])] + [
        x_col(next(text_shares)) if w < 0 else rf">{{\raggedleft\arraybackslash}}p{{{w:.0f}pt}}"
        for w in widths]
    lines = [f"% {LATEX_PACKAGES}", rf"\begin{{{env}}}[htbp]", r"\centering", size,
             r"\begin{threeparttable}", rf"\caption{{{latex_escape(caption)}}}"]
    if label:
        lines.append(rf"\label{{tab:{re.sub(r'[^A-Za-z0-9:-]', '-', label)}}}")
    lines += [rf"\begin{{tabularx}}{{\linewidth}}{{{''.join(spec)}}}", r"\toprule",
              " & ".join([latex_escape(stub_head)] + [latex_escape(h) for h in heads]) + r" \\",
              r"\midrule"]

    def cell(c: str) -> str:
        return rf"\mbox{{{latex_escape(c)}}}" if c and NUMERIC_CELL.match(c) else latex_escape(c)

    for i, (lab, header, indent, cells) in enumerate(rows):
        if foot and i == len(rows) - foot:
            lines.append(r"\midrule")
        text = latex_escape(lab)
        text = rf"\quad {text}" if indent else rf"\textit{{{text}}}" if header else text
        lines.append(" & ".join([text] + [cell(c) for c in cells]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabularx}"]
    if note:
        lines += [r"\begin{tablenotes}[flushleft]", r"\footnotesize",
                  rf"\item {latex_escape(note)}", r"\end{tablenotes}"]
    lines += [r"\end{threeparttable}", rf"\end{{{env}}}"]
    return "\n".join(lines) + "\n"


#: a cell that holds a number, an estimate with its interval, "ref." or a dash: set right-aligned
#: in tabular figures and never broken across lines
NUMERIC_CELL = re.compile(r"^(?:[\u2212-]?[\d,]+(?:\.\d+)?%?(?: \[[\u2212-]?[\d.]+, "
                          r"[\u2212-]?[\d.]+\])?\**[\u2020*]*|ref\.|\u2014)$")


def to_html(df: pd.DataFrame, *, caption: str, note: str = "", table_id: str = "") -> str:
    """An HTML table fragment (no styles or scripts of its own), every text escaped; numeric
    cells carry class "num"."""
    esc = html.escape
    stub_head, heads = _heads(df)
    foot = df.attrs.get("foot", 0)
    ident = f' id="table-{esc(table_id)}"' if table_id else ""
    out = [f'<table class="coprod-table"{ident}>', f"<caption>{esc(caption)}</caption>",
           "<thead><tr>" + f"<th>{esc(stub_head)}</th>" +
           "".join(f'<th scope="col">{esc(h)}</th>' for h in heads) + "</tr></thead>", "<tbody>"]
    rows = list(_stub_rows(df))
    for i, (lab, header, indent, cells) in enumerate(rows):
        if foot and i == len(rows) - foot:
            out.append('</tbody><tbody class="foot">')
        cls = ' class="level"' if indent else ' class="group"' if header else ""
        out.append(f'<tr{cls}><th scope="row">{esc(lab)}</th>' +
                   "".join(f'<td class="num">{esc(c)}</td>' if NUMERIC_CELL.match(c)
                           else f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    out.append("</tbody>")
    if note:
        out.append(f'<tfoot><tr><td colspan="{len(heads) + 1}" class="note">{esc(note)}'
                   "</td></tr></tfoot>")
    out.append("</table>")
    return "\n".join(out) + "\n"


_NUMBER = r"[\u2212-]?[\d,]*\.?\d+"
_CELL_PARTS = re.compile(rf"^(?P<est>{_NUMBER})%?(?: \[(?P<lo>{_NUMBER}), (?P<hi>{_NUMBER})\])?"
                         r"(?P<marks>[*\u2020]*)$")
_TEST_PARTS = re.compile(rf"F\((?P<d1>\d+), (?P<d2>\d+)\) = (?P<est>{_NUMBER}), "
                         rf"p (?P<cmp>[=<]) (?P<p>{_NUMBER})")
_STAT_P = re.compile(rf"^(?P<est>{_NUMBER}) \(p (?P<cmp>[=<]) (?P<p>{_NUMBER})\)$")


def _number(text):
    return None if text is None else float(text.replace("\u2212", "-").replace(",", ""))


def table_data(df: pd.DataFrame) -> pd.DataFrame:
    """A display table as tidy data: one row per (row, column) cell with its text and, where
    the cell holds numbers, ``estimate``, ``conf_low``, ``conf_high`` (an F test: the statistic,
    its df and ``p_value``, or ``p_below`` for "p < 0.001"). The numbers as the table rounds
    them; the exact values are in results/models/."""
    stub = ["variable", "level"] if {"variable", "level"} <= set(df.columns) else \
        [df.columns[0]]
    rows = []
    for _, r in df.iterrows():
        for col in [c for c in df.columns if c not in stub]:
            text = str(r[col])
            out = {**{k: r[k] for k in stub}, "column": col, "text": text, "estimate": None,
                   "conf_low": None, "conf_high": None, "df_num": None, "df_den": None,
                   "p_value": None, "p_below": None}
            m = _CELL_PARTS.match(text)
            t = _TEST_PARTS.search(text) or _STAT_P.match(text)
            if m:
                out.update(estimate=_number(m["est"]), conf_low=_number(m["lo"]),
                           conf_high=_number(m["hi"]))
            elif t:
                out["estimate"] = _number(t["est"])
                if "d1" in t.groupdict():
                    out.update(df_num=int(t["d1"]), df_den=int(t["d2"]))
                out["p_value" if t["cmp"] == "=" else "p_below"] = _number(t["p"])
            rows.append(out)
    return pd.DataFrame(rows, columns=[*stub, "column", "text", "estimate", "conf_low",
                                       "conf_high", "df_num", "df_den", "p_value", "p_below"])


def write_table_files(df: pd.DataFrame, stem_paths: dict, *, caption: str, note: str = "",
                      name: str = "", notice: str = "") -> None:
    """Write one display table as the CSV, LaTeX and HTML files named in ``stem_paths``;
    ``notice`` (the synthetic-data notice) opens the LaTeX and HTML notes."""
    from ..pipeline.io import write_csv, write_text

    note = f"{notice} {note}".strip() if notice else note
    if df.attrs.get("status_notes"):
        note = f"{note} {df.attrs['status_notes']}".strip()

    if "csv" in stem_paths:
        write_csv(df, stem_paths["csv"])
    if "data" in stem_paths:
        write_csv(table_data(df), stem_paths["data"])
    if "tex" in stem_paths:
        write_text(stem_paths["tex"], to_latex(df, caption=caption, note=note, label=name))
    if "html" in stem_paths:
        write_text(stem_paths["html"], to_html(df, caption=caption, note=note, table_id=name))

