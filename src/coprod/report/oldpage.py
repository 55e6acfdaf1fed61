"""The page's string builders as the flat package had them (``coprod.page``, and the names
``coprod.report`` took from it), kept for one release: :mod:`coprod.compat` resolves the old
names here, with a DeprecationWarning. The report no longer uses them: its page is a model
(:mod:`coprod.report.pagemodel`) rendered by a template (:mod:`coprod.report.page`).
"""
from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .captions import figure_alt
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
.table-wrap{overflow-x:auto;margin:1rem 0}
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
    body = re.sub(r'<table class="coprod-table"[^>]*>\s*<caption>', table, body)
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
        wide = block.count('<th scope="col">') > 6
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
    def wrap(name: str, table: str) -> str:
        return f'<div class="table-wrap" id="tab-{esc(name)}">\n{table}</div>'

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


def figure_html(name: str, png: bytes, caption: str, files: Sequence[tuple[str, str]] = (),
                alt: str | None = None) -> str:
    """A figure with the PNG embedded (the page stays self-contained); ``files`` [(format,
    relative path)] link the image to its full-size file and list every format's file;
    ``alt`` describes what the figure shows (default :func:`figure_alt` of its name)."""
    data = base64.b64encode(png).decode("ascii")
    img = f'<img src="data:image/png;base64,{data}" alt="{esc(alt or figure_alt(name))}">'
    if files:
        img = f'<a href="{esc(files[0][1])}" title="open the figure full size">{img}</a>'
    return (f'<figure id="fig-{esc(name)}">\n{img}\n<figcaption>{esc(caption)}</figcaption>\n'
            f'</figure>' + (f"\n{files_line(files)}" if files else ""))


def xref(target: str) -> str:
    """A cross-reference to a figure (fig-<name>) or a table (table-<name>): "Figure 3",
    numbered when the page is finished (a target the page lacks leaves no trace)."""
    return f'<a class="xref" href="#{esc(target)}"></a>'


def findings_section(table_html: str, rule: str, lead: Sequence[str] = ()) -> str:
    """The claims table under the verdict rule, said once (the table file's own note, the
    same rule for readers of the file alone, is left out here); ``lead``: the counts of
    verdicts and the doubtful claims, above the table. The rule is one click away: the table
    and its verdicts come first."""
    table_html = re.sub(r"<tfoot>.*?</tfoot>\n?", "", table_html, flags=re.S)
    return "\n".join([
        '<section id="findings">', "<h2>Findings check</h2>",
        ul(lead) if lead else "",
        f'<details id="verdict-rule"><summary>The verdict rule</summary><p>'
        f"{esc(rule)}</p></details>",
        f'<div class="table-wrap">{table_html}</div>', "</section>"])


TITLE = "Does the cut of the scale matter?"


def robustness_section(*, tables: list[str], figure_html: str, sentences: list[str],
                       threshold: str = "", cut_lines: Sequence[str] = ()) -> str:
    """The report's section, from the tables' and figure's HTML and the claim sentences."""
    cut = f" (an item counts when answered <em>{esc(threshold)}</em> or more)" \
        if threshold else ""
    intro = ("<p>The 0/1 outcomes cut each frequency scale at one point" + cut + ". Here the "
             "same activities are modelled on the survey's own scales: as an ordered category "
             "(proportional-odds model: odds ratios of being in a higher category) and as a "
             "count (quasi-Poisson model: rate ratios). If a conclusion holds only at one cut, "
             "it is weaker than it looks.</p>")
    claims = ("<h3>The claims under each model</h3><ul>"
              + "".join(f"<li>{s}</li>" for s in sentences) + "</ul>") if sentences else ""
    cuts = ("<h3>Where the scale is cut</h3><ul>"
            + "".join(f"<li>{esc(s)}</li>" for s in cut_lines) + "</ul>") if cut_lines else ""
    return "\n".join(['<section id="robustness">', f"<h2>{TITLE}</h2>", intro, claims,
                      *[f'<div class="table-wrap">\n{t}</div>' for t in tables[:1]],
                      cuts, figure_html,
                      *[f'<div class="table-wrap">\n{t}</div>' for t in tables[1:]],
                      "</section>"])


def mi_section(*, table_html: str, sentences: list[str], excluded: str = "") -> str:
    intro = ("<p>Respondents who did not answer a question used in a model (don't know, "
             "refused) leave that model" + (f" ({esc(excluded)})" if excluded else "")
             + ". Unless their answers are missing completely at random, that can bias the "
             "estimates. Here every model is also estimated on multiply imputed data, where "
             "the missing answers are filled in many times from what the respondents did "
             "answer.</p>")
    claims = ("<h3>The claims on complete cases and on imputed data</h3><ul>"
              + "".join(f"<li>{s}</li>" for s in sentences) + "</ul>") if sentences else ""
    return "\n".join(['<section id="imputation">',
                      "<h2>Complete cases or imputed data?</h2>", intro, claims,
                      f'<div class="table-wrap">\n{table_html}</div>', "</section>"])
