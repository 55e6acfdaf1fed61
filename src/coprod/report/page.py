"""The report page: its order, its collapsed sections and its style.

Why its own module: what a reader sees first decides what the report says. The order is fixed
here, once: the answer (who, what goes with it, what matters most, how robust), then the
check of the published claims, the main figures and tables, and only then the robustness
analyses and the appendix (who is in the models, cleaning, methods), each of those collapsed to
one summary line on screen (``<details>``) and printed whole (CSS alone: the page carries no
script). Figures and tables are numbered in reading order.
"""
from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .wording import esc


def ul(items) -> str:
    return "<ul>\n" + "\n".join(f"<li>{i}</li>" for i in items) + "\n</ul>"


def files_line(files: Sequence[tuple[str, str]]) -> str:
    return ('<p class="files">Files: ' + " \u00b7 ".join(
        f'<a href="{esc(href)}">{esc(label)}</a>' for label, href in files) + "</p>")


@dataclass(frozen=True)
class Fold:
    """A section shown as one summary line on screen and whole in print: ``html`` is the
    section (``<section id=...><h2>title</h2>...``), ``gist`` its summary line (plain text)."""

    html: str
    title: str
    gist: str = ""

    def render(self) -> str:
        if not self.html:
            return ""
        gist = f'<span class="gist">{esc(self.gist)}</span>' if self.gist else ""
        return (f'<details class="fold"><summary><span class="fold-title">{esc(self.title)}'
                f"</span>{gist}</summary>\n{self.html}\n</details>")


CSS = """
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;max-width:76rem;margin:1.5rem auto;
padding:0 1rem;color:#222;line-height:1.45;font-size:15px}
p,ul,ol,figcaption,.warning,figure img{max-width:60rem}
table.coprod-table tbody th{min-width:8rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;
margin-top:2.2rem}h3{margin-top:1.6rem}
.warning{background:#fff3cd;border:2px solid #D55E00;padding:.7rem 1rem;font-weight:bold}
figure{margin:1.2rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9rem;color:#444}
.table-wrap{overflow-x:auto;margin:.3rem 0}
.table-caption{font-weight:bold;margin:1.2rem 0 .2rem}
.table-note{font-size:.8rem;color:#444;margin:.2rem 0}
table.coprod-table th.num{text-align:right}
table.coprod-table tr.spans th{text-align:center;border-bottom:1px solid #222}
table.coprod-table{border-collapse:collapse;font-size:.85rem}
table.coprod-table caption{text-align:left;font-weight:bold;padding:.3rem 0}
table.coprod-table th,table.coprod-table td{padding:.15rem .6rem;text-align:left;
vertical-align:top}
table.coprod-table thead th{border-top:2px solid #222;border-bottom:1px solid #222}
table.coprod-table tbody:last-of-type tr:last-child th,
table.coprod-table tbody:last-of-type tr:last-child td{border-bottom:2px solid #222}
table.coprod-table tbody.foot tr:first-child th,table.coprod-table tbody.foot tr:first-child td{
border-top:1px solid #222}
table.coprod-table tr.group th{font-style:italic}
table.coprod-table tr.level th{padding-left:1.6rem;font-weight:normal}
table.coprod-table tbody th{font-weight:normal}
table.coprod-table td.note{font-size:.8rem;color:#444;border:none}
code{font-size:.85rem;overflow-wrap:anywhere}
.run-date{color:#555;font-size:.85rem}
table.coprod-table td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.files{font-size:.8rem;color:#555;margin:-.6rem 0 1rem}
nav#toc ol{columns:2;column-gap:2rem;padding-left:1.4rem;margin:.3rem 0}
nav#toc h2{font-size:1rem;border:none;margin:1.2rem 0 0}
#answer{border:2px solid #0072B2;border-radius:4px;padding:0 1.2rem .6rem;margin-top:1rem;
background:#f4f8fb}
#answer h2{border:none;margin-top:.8rem}
.answer-grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,26rem);gap:1.5rem;
align-items:start}
#answer ul{padding-left:1.2rem;margin:.2rem 0}#answer li{margin:.4rem 0}
#answer figure{margin:.4rem 0}#answer figcaption{font-size:.8rem}
details.fold{margin:1.6rem 0 0;border-top:1px solid #ccc}
details.fold>summary{cursor:pointer;padding:.5rem 0}
details.fold>summary .fold-title{font-size:1.3rem;font-weight:bold}
details.fold>summary .gist{display:block;color:#444;font-size:.9rem;margin-left:1.2rem}
details.fold>section>h2:first-child{display:none}
details.more>summary,details#verdict-rule>summary{cursor:pointer;font-weight:bold;margin:.6rem 0}
figure a{display:block}
@media (max-width:60rem){.answer-grid{grid-template-columns:minmax(0,1fr)}}
@media (max-width:40rem){body{font-size:14px;padding:0 .6rem;margin:.8rem auto}
nav#toc ol{columns:1}h1{font-size:1.3rem}}
@media print{body{max-width:none;margin:0;font-size:10pt}nav#toc{break-after:page}
figure,.table-wrap,table.coprod-table{break-inside:avoid}
h2,h3,caption,figcaption{break-after:avoid}.table-wrap{overflow:visible}
.table-wrap.wide{page:wide}.files,figure a::after{display:none}
table.coprod-table{font-size:7.5pt}
details::details-content{content-visibility:visible;display:contents}
details.fold>summary{display:none}details.fold>section>h2:first-child{display:block}}
@page{size:A4;margin:1.6cm}@page wide{size:A4 landscape}
""".strip()


def _finish_page(body: str, table_files: dict) -> tuple[str, str]:
    """Number the figures and tables in reading order, add each table's file links and mark
    wide tables (printed landscape); return (contents, body). Post-processing the assembled
    page keeps every section's own renderer unaware of its place."""
    counter = {"fig": 0, "tab": 0}

    def figure(m):
        counter["fig"] += 1
        return f'{m.group(0)}<strong>Figure {counter["fig"]}.</strong> '

    def table(m):
        counter["tab"] += 1
        return f'{m.group(0)}<strong>Table {counter["tab"]}.</strong> '

    body = re.sub(r"<figcaption>", figure, body)
    body = re.sub(r'<p class="table-caption">', table, body)
    numbers = {fid: f"Figure {k}" for k, fid in
               enumerate(re.findall(r'<figure id="([^"]+)"', body), start=1)}
    numbers.update({tid: f"Table {k}" for k, tid in enumerate(
        re.findall(r'<table class="coprod-table" id="([^"]+)"', body), start=1)})

    def resolve(m):  # " (Figure 2)", or nothing for a target the page lacks
        name = numbers.get(html.unescape(m.group(1)))
        return f' (<a class="xref" href="#{m.group(1)}">{name}</a>)' if name else ""

    body = re.sub(r'\s?\(?<a class="xref" href="#([^"]+)"></a>\)?', resolve, body)

    def wrap(m):
        block, name = m.group(0), m.group(2)
        wide = block.count('scope="col"') > 6
        links = files_line(table_files[name]) if table_files.get(name) else ""
        head = m.group(1).replace('class="table-wrap"', 'class="table-wrap wide"') if wide \
            else m.group(1)
        return head + block[len(m.group(1)):] + links

    body = re.sub(r'(<div class="table-wrap"[^>]*>\s*)<table class="coprod-table" '
                  r'id="table-([^"]+)".*?</table>\s*</div>', wrap, body, flags=re.S)
    sections = re.findall(r'<section id="([^"]+)">\s*<h2>(.*?)</h2>', body)
    toc = ('<nav id="toc"><h2>Contents</h2><ol>' + "".join(
        f'<li><a href="#{sid}">{title}</a></li>' for sid, title in sections) + "</ol></nav>")
    return toc, body


# -- the whole page ---------------------------------------------------------------------------

SYNTHETIC_WARNING = ('<div class="warning" id="synthetic-warning">These data are synthetic: '
                     "they were simulated (config: data.synthetic is true). The results "
                     "demonstrate the method; they are not findings about real people.</div>")


def answer_section(items: Sequence[str], figure: str = "") -> str:
    """The answer box: its sentences (HTML) beside the figure of who has each outcome."""
    if not items:
        return ""
    return "\n".join(['<section id="answer">', "<h2>The answer in brief</h2>",
                      '<div class="answer-grid">', f"<div>{ul(items)}</div>",
                      f"<div>{figure}</div>" if figure else "", "</div>", "</section>"])


def tables_section(main: Sequence[tuple[str, str]], more: Sequence[tuple[str, str]] = ()
                   ) -> str:
    """The main tables, then every other one under one collapsed line."""
    def wrap(name: str, table: str) -> str:  # table: its caption, scroll box and notes
        return f'<div id="tab-{esc(name)}">\n{table}</div>'

    if not (main or more):
        return ""
    extra = ""
    if more:
        extra = (f'<details class="more"><summary>{len(more)} more '
                 f'table{"s" if len(more) > 1 else ""}</summary>\n'
                 + "\n".join(wrap(n, t) for n, t in more) + "\n</details>")
    return "\n".join(['<section id="tables">', "<h2>Tables</h2>",
                      *[wrap(n, t) for n, t in main], extra, "</section>"])


def build_report(*, title: str, synthetic: bool, answer_html: str, findings_html: str,
                 figures: Sequence[str], tables_html: str, folds: Sequence[Fold],
                 run_date: str, table_files: dict | None = None) -> str:
    """The HTML page; every argument is already computed and rendered (this function only
    lays out). ``figures``: the main figures' HTML; ``folds``: the robustness and appendix
    sections in order; ``table_files``: {table name: [(format, relative path)]}, linked under
    each table."""
    body = [answer_html, "<!--toc-->", findings_html,
            *(['<section id="figures">', "<h2>Figures</h2>", *figures, "</section>"]
              if figures else []),
            tables_html, *[f.render() for f in folds]]
    toc, body_html = _finish_page("\n".join(p for p in body if p), table_files or {})
    body_html = body_html.replace("<!--toc-->", toc, 1)
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{'SYNTHETIC DATA: ' if synthetic else ''}{esc(title)}</title>",
        f"<style>\n{CSS}\n</style>", "</head>", "<body>",
        "<header>", f"<h1>{esc(title)}</h1>", SYNTHETIC_WARNING if synthetic else "",
        "</header>", body_html,
        "<footer>", f'<p class="run-date" id="run-date">Run date: {esc(run_date)}</p>',
        "</footer>", "</body>", "</html>"]
    return "\n".join(p for p in parts if p) + "\n"
