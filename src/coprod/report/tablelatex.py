"""A table as LaTeX: a booktabs tabular with its caption and notes, scaled down to the text
width when wider.

Why minimal: this is the stand-in that keeps the pipeline's .tex files from the table model
(:func:`coprod.report.tablemodel.formatted`); the journal layout (decimal-aligned columns,
"continued" tables) replaces it.
"""
from __future__ import annotations

import re

from .tablemodel import Table, formatted

#: the packages the .tex tables need (written at the top of each file)
LATEX_PACKAGES = r"\usepackage{booktabs,array,adjustbox}"

_LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                  "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}", "\u00b2": r"\textsuperscript{2}",
                  "\u2014": "---", "\u2013": "--", "\u201c": "``", "\u201d": "''",
                  "\u2212": "$-$", "\u2020": r"\textdagger{}", "\u221e": r"\ensuremath{\infty}",
                  "<": r"\textless{}", ">": r"\textgreater{}",
                  # the model notes' formulas (FAMILY_WORDING) and arrows, outside T1's glyphs
                  "\u2264": r"\ensuremath{\le}", "\u2265": r"\ensuremath{\ge}",
                  "\u03b6": r"\ensuremath{\zeta}", "\u03b2": r"\ensuremath{\beta}",
                  "\u2032": r"\ensuremath{'}", "\u2192": r"\ensuremath{\to}",
                  "\u00d7": r"\ensuremath{\times}"}
_LATEX_RE = re.compile("|".join(re.escape(k) for k in _LATEX_SPECIAL))


def latex_escape(text) -> str:
    """Any text as LaTeX text: its special characters escaped, its symbols as commands."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIAL[m.group()], str(text))


def to_latex(table: Table, *, notice: str = "", settings=None) -> str:
    """The table as a LaTeX table float (``settings``: unused here)."""
    numeric = [any(c.numeric for c in table.column(j)) for j in range(len(table.columns))]
    spec = "l" + "".join("r" if n else r">{\raggedright\arraybackslash}p{4cm}" for n in numeric)
    lines = [f"% {LATEX_PACKAGES}", r"\begin{table}[htbp]", r"\centering", r"\small",
             rf"\caption{{{latex_escape(table.caption)}}}",
             rf"\label{{tab:{re.sub(r'[^A-Za-z0-9:-]', '-', table.name)}}}",
             r"\begin{adjustbox}{max width=\linewidth}", rf"\begin{{tabular}}{{{spec}}}",
             r"\toprule"]
    if table.spans():
        lines.append(" & ".join([""] + [rf"\multicolumn{{{n}}}{{c}}{{{latex_escape(s)}}}"
                                         for s, n in table.spans()]) + r" \\")
    lines += [" & ".join(latex_escape(h) for h in (table.stub_head,
                                                    *(c.head for c in table.columns)))
              + r" \\", r"\midrule"]
    in_foot = False
    for row, texts in formatted(table):
        if row.kind == "foot" and not in_foot:
            lines.append(r"\midrule")
            in_foot = True
        label = latex_escape(row.label)
        label = rf"\quad {label}" if row.kind == "level" else label
        lines.append(" & ".join([label, *(latex_escape(t) for t in texts)]) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{adjustbox}"]
    notes = [n for n in (notice, *table.notes) if n]
    if notes:
        lines += [r"\par\medskip\begin{minipage}{\linewidth}\footnotesize\raggedright",
                  *[rf"{latex_escape(n)}\par" for n in notes], r"\end{minipage}"]
    lines += [r"\end{table}"]
    return "\n".join(lines) + "\n"
