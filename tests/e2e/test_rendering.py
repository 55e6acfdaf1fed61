"""The bundled report in a real browser and the LaTeX tables in a real TeX.

Headless Chromium lays the page out at a desktop (1400 px) and a phone (390 px) width: nothing
outside a scroll box may be wider than the screen (or a table wider than its column), no
caption or note may sit inside a box that scrolls sideways, a table that scrolls keeps its row
labels in view, the claims' verdicts are in view, figures and tables are numbered in order of
first mention, every image must decode, every contents link and cross-reference must lead
somewhere. Its print-to-PDF must keep every table's last column (pdftotext reads it
back). pdflatex compiles every .tex table in one plain A4 article: no error, no overfull box,
one number per table, none sideways by default.

Needs Debian's chromium, poppler-utils and texlive-latex-recommended/-extra/-science (``.ci/run``
installs them); without them these tests skip, saying which program is missing.
"""
import html
import json
import re
import shutil
import subprocess

import pytest
from latexrun import MISSING, compile_log, has_siunitx

pytestmark = pytest.mark.pipeline

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PDFTOTEXT = shutil.which("pdftotext")

# the page is laid out in an iframe of the width under test (headless Chromium's window is at
# least 500 px wide) and measured once loaded; the result is written into the DOM, which
# Chromium prints with --dump-dom (no driver needed)
PROBE = """<!DOCTYPE html><html><body style="margin:0">
<iframe id="page" src="report.html" style="width:%dpx;height:1000px;border:0"></iframe>
<script>
document.getElementById("page").addEventListener("load", () => {
  const win = document.getElementById("page").contentWindow, doc = win.document;
  const vw = doc.documentElement.clientWidth, bad = [];
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
    const o = win.getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll") return true; }
    return false; };
  for (const el of doc.body.querySelectorAll("*")) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > vw + 1 && !scrolls(el))
      bad.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} right=${Math.round(r.right)}`);
  }
  const images = [...doc.images];
  const top = el => el ? Math.round(el.getBoundingClientRect().top + win.scrollY) : -1;
  const shown = images.filter(i => i.getBoundingClientRect().height > 0);
  const out = {vw, scroll: doc.documentElement.scrollWidth, bad: bad.slice(0, 15),
    images: images.length, undecoded: images.filter(i => !(i.complete && i.naturalWidth)).length,
    height: doc.documentElement.scrollHeight, answer: top(doc.getElementById("answer")),
    first_image: shown.length ? top(shown[0]) : -1,
    closed: [...doc.querySelectorAll("details.fold")].filter(d => !d.open).length,
    toc: [...doc.querySelectorAll("nav#toc a")].map(a => a.getAttribute("href"))
         .filter(h => !doc.getElementById(h.slice(1)))};
  const box = el => { for (let p = el.parentElement; p; p = p.parentElement) {
    const o = win.getComputedStyle(p).overflowX; if (o === "auto" || o === "scroll") return p; }
    return null; };
  const shownBox = el => el.getBoundingClientRect().width > 0;
  // captions and notes (of tables and figures) that sit inside a box that scrolls sideways
  out.boxed = [...doc.querySelectorAll(".table-caption, .table-note, caption, td.note, figcaption")]
    .filter(el => shownBox(el) && box(el)).map(el => `${el.className || el.tagName}: `
      + el.textContent.slice(0, 40));
  // tables wider than their column (the section's text width) outside a box of their own
  out.wide = [...doc.querySelectorAll("table")].filter(shownBox).map(t => {
    const sec = t.closest("section") || doc.body, cs = win.getComputedStyle(sec);
    const col = sec.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const b = box(t), w = t.getBoundingClientRect().width;
    return {id: t.id, w: Math.round(w), col: Math.round(col),
            box: b ? Math.round(b.getBoundingClientRect().width) : null};
  }).filter(t => t.w > t.col + 1 && (t.box === null || t.box > t.col + 1));
  // the row labels of a table that scrolls stay in view
  out.unpinned = [...doc.querySelectorAll("table")].filter(t => shownBox(t) && box(t)
      && box(t).scrollWidth > box(t).clientWidth + 1)
    .filter(t => [...t.querySelectorAll("th[scope=row]")].some(
      th => win.getComputedStyle(th).position !== "sticky")).map(t => t.id);
  // the claims' verdicts: a "Verdict" label shown within the screen's width
  out.verdict = [...doc.querySelectorAll("#findings th, #findings dt")].filter(
    el => el.textContent.trim() === "Verdict" && shownBox(el)).map(
    el => Math.round(el.getBoundingClientRect().right));
  // numbers in reading order: each figure and table numbered at its first mention
  out.mentions = [...doc.querySelectorAll("a.xref, figcaption > strong:first-child, "
                                          + ".table-caption > strong:first-child")]
    .filter(el => /^(Figure|Table) \\d+/.test(el.textContent.trim()))
    .map(el => el.textContent.trim().replace(/\\.$/, ""));
  out.xrefs = [...doc.querySelectorAll("a.xref")].map(a => a.getAttribute("href"))
    .filter(h => !doc.getElementById(h.slice(1)));
  const pre = document.createElement("pre"); pre.id = "coprod-check";
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
});
</script></body></html>"""


def chromium(*args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", *args], capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install "
                                            "chromium): the report is not checked in a browser")
@pytest.mark.parametrize("width", [1400, 390])
def test_report_fits_the_screen(pipeline, tmp_path, width):
    shutil.copy(pipeline / "results" / "report.html", tmp_path / "report.html")
    probe = tmp_path / "probe.html"
    probe.write_text(PROBE % width, encoding="utf-8")
    proc = chromium("--window-size=1500,1100", "--virtual-time-budget=20000",
                    "--allow-file-access-from-files", "--dump-dom", probe.as_uri())
    found = re.search(r'<pre id="coprod-check">(.*?)</pre>', proc.stdout, re.S)
    assert found, proc.stderr[-2000:]
    out = json.loads(html.unescape(found.group(1)))
    assert out["vw"] <= width and out["scroll"] <= out["vw"], out  # no sideways scrolling
    assert out["bad"] == [], out["bad"]
    assert out["images"] > 5 and out["undecoded"] == 0, out
    assert out["toc"] == [], out["toc"]
    # a table's caption and notes outside the box that scrolls; row labels pinned there; no
    # table wider than its column outside a box of its own
    assert out["boxed"] == [], out["boxed"]
    assert out["unpinned"] == [], out["unpinned"]
    assert out["wide"] == [], out["wide"]
    # the claims' verdicts readable without scrolling sideways
    assert out["verdict"] and all(r <= out["vw"] for r in out["verdict"]), out["verdict"]
    # figures and tables numbered in order of first mention; every reference resolves
    assert out["xrefs"] == [], out["xrefs"]
    first = list(dict.fromkeys(out["mentions"]))
    for kind in ("Figure", "Table"):
        numbers = [int(m.split()[1]) for m in first if m.startswith(kind)]
        assert numbers == list(range(1, len(numbers) + 1)), (kind, first)
    assert any(m.startswith("Table") for m in first) and any(m.startswith("Figure")
                                                            for m in first)
    if width == 1400:
        # the answer first, on the first screen; the main results within 15 screens of 900 px
        # with the robustness and appendix sections closed; a figure on the first two screens
        assert 0 <= out["answer"] < 900, out
        assert out["closed"] >= 5 and out["height"] <= 15 * 900, out
        assert 0 <= out["first_image"] <= 1800, out


def _last_column_cells(page: str) -> dict[str, list[str]]:
    """Each table's id -> the numeric cells of its last column (what a printer that clips a
    wide table loses first)."""
    out = {}
    for table in re.findall(r"<table class=\"coprod-table\".*?</table>", page, re.S):
        caption = re.search(r'id="([^"]+)"', table).group(1)
        cells = []
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
            tds = re.findall(r"<td([^>]*)>(.*?)</td>", row, re.S)
            if tds and 'class="num"' in tds[-1][0] and re.search(r"\d", tds[-1][1]):
                cells.append(html.unescape(tds[-1][1]))
        out[html.unescape(caption)] = cells
    return out


def test_every_figure_has_an_alt_text_of_its_own(pipeline):
    """issue 27: six figures of the bundled report shared one alt text; each now says what it
    shows (its outcomes, sample, variable or claim) before what it looks like."""
    page = (pipeline / "results" / "report.html").read_text(encoding="utf-8")
    alts = [html.unescape(a) for a in re.findall(r'<img [^>]*alt="([^"]*)"', page)]
    assert len(alts) >= 10
    assert len(set(alts)) == len(alts), [a for a in alts if alts.count(a) > 1]
    assert any("Specification curve of the claim: Older people" in a for a in alts)
    assert any(a.startswith("Predicted probability of") and "a line per gender" in a
               for a in alts)


@pytest.mark.skipif(CHROMIUM is None or PDFTOTEXT is None,
                    reason="chromium or pdftotext (poppler-utils) is not installed: the "
                           "printed report is not checked")
def test_printed_report_keeps_every_table_column(pipeline, tmp_path):
    pdf = tmp_path / "report.pdf"
    chromium("--no-pdf-header-footer", f"--print-to-pdf={pdf}",
             (pipeline / "results" / "report.html").as_uri())
    assert pdf.exists() and pdf.stat().st_size > 10_000
    text = subprocess.run([PDFTOTEXT, "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    page = (pipeline / "results" / "report.html").read_text(encoding="utf-8")
    tables = _last_column_cells(page)
    assert len(tables) >= 8
    missing = {cap: [c for c in cells if c not in flat]
               for cap, cells in tables.items() if cells}
    assert not {k: v for k, v in missing.items() if v}, missing
    assert "SYNTHETIC DATA" in flat
    # the sections collapsed on screen are printed whole
    for inside in ("Input files (SHA-256)", "The analytic sample", "Where the scale is cut",
                   "Every analysis embodies choices", "How each claim is judged"):
        assert inside in flat, inside


#: the test's article: its own list of tables (which the test reads to count the numbers) is
#: set sloppy, since a long caption's line in it is not a table and may not be what overflows
LATEX_DOC = r"""\documentclass[a4paper]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
%s
\begin{document}
{\sloppy\listoftables}
\clearpage
%s
\end{document}
"""


@pytest.mark.skipif(not has_siunitx(), reason=MISSING)
def test_latex_tables_compile_in_one_article_and_fit_the_page(pipeline, tmp_path):
    """Every bundled table in one A4 article, compiled as a journal would (pdflatex until
    longtable's widths settle): no error, no overfull box, one number per table (none split
    into separately numbered parts) and at most two set sideways (none by default)."""
    from coprod.report.tablelatex import LATEX_PACKAGES, LATEX_SIDEWAYS_PACKAGES

    tex = sorted((pipeline / "results" / "tables").glob("*.tex"))
    assert len(tex) >= 8
    texts = {path.name: path.read_text(encoding="utf-8") for path in tex}
    doc = tmp_path / "tables.tex"
    doc.write_text(LATEX_DOC % (f"{LATEX_PACKAGES}\n{LATEX_SIDEWAYS_PACKAGES}", "\n".join(
        f"\\input{{{path.as_posix()}}}\n\\clearpage" for path in tex)), encoding="utf-8")
    log = compile_log(doc, 4)
    over = re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)
    assert over == [], over
    numbered = re.findall(r"\\numberline \{(\d+)\}\{(.*?)\}\}",
                          doc.with_suffix(".lot").read_text(encoding="latin-1"))
    assert len(numbered) == len(tex), numbered  # one number per table
    assert not [c for _, c in numbered if re.search(r"continued|part \d", c)], numbered
    sideways = [n for n, t in texts.items() if "sidewaystable" in t or "{landscape}" in t]
    assert len(sideways) <= 2, sideways
    assert sideways == []  # report.latex.sideways is false in the bundled config


# the report (hostile.html) in an iframe; after it loads, what ran and what exists in its DOM
HOSTILE_PROBE = """<!DOCTYPE html><html><body>
<iframe id="page" src="hostile.html" style="width:1400px;height:1000px;border:0"></iframe>
<script>
document.getElementById("page").addEventListener("load", () => setTimeout(() => {
  const win = document.getElementById("page").contentWindow, doc = win.document;
  const attrs = [], hrefs = [];
  for (const el of doc.querySelectorAll("*")) for (const a of el.attributes) {
    if (a.name.startsWith("on")) attrs.push(`${el.tagName}@${a.name}`);
    if (/^\\s*(javascript|vbscript|data:text)/i.test(a.value) ||
        (/href|src|action/.test(a.name) && /javascript:/i.test(a.value)))
      hrefs.push(`${el.tagName}@${a.name}=${a.value.slice(0, 60)}`);
  }
  const out = {ran: [window.PWNED ?? null, win.PWNED ?? null],
    elements: [...doc.querySelectorAll("script,svg,iframe,object,embed,math,base,form,link,"
                                       + "meta[http-equiv]")].map(e => e.tagName),
    attrs, hrefs, imgs: [...doc.images].map(i => i.getAttribute("src").slice(0, 22)),
    text: doc.body.textContent};
  const pre = document.createElement("pre"); pre.id = "coprod-check";
  pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
}, 500));
</script></body></html>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install "
                                            "chromium): the hostile report is not opened in a "
                                            "browser")
def test_hostile_strings_do_not_run_in_the_report(tmp_path):
    """Every user string of the report (codebook labels, levels, group names and the survey,
    report title, subject, words, table titles, claims, grid names and values, model
    messages) carries a script, <img onerror>, <svg onload> or javascript: payload; opened in
    Chromium, none runs, no such element or attribute exists, and each is shown as text. The
    sections of the scales, the imputed data and the specification curve are there too."""
    import _hostile

    built = _hostile.build(tmp_path / "in")
    shutil.copy(built["report"], tmp_path / "hostile.html")
    (tmp_path / "probe.html").write_text(HOSTILE_PROBE, encoding="utf-8")
    proc = chromium("--window-size=1500,1100", "--virtual-time-budget=20000",
                    "--allow-file-access-from-files", "--dump-dom",
                    (tmp_path / "probe.html").as_uri())
    found = re.search(r'<pre id="coprod-check">(.*?)</pre>', proc.stdout, re.S)
    assert found, proc.stderr[-2000:]
    out = json.loads(html.unescape(found.group(1)))
    assert out["ran"] == [None, None], out["ran"]
    assert out["elements"] == [] and out["attrs"] == [] and out["hrefs"] == [], out
    assert out["imgs"] and set(out["imgs"]) == {"data:image/png;base64,"}, out["imgs"]
    page = built["report"].read_text(encoding="utf-8")
    for section in ("robustness", "imputation", "specifications", "findings", "methods"):
        assert f'<section id="{section}">' in page, section
    # a claim id names its specification-curve figure: an attribute, escaped
    assert re.search(r'<figure id="fig-spec_age_individual &lt;(img|svg)[^"<>]*&gt;">', page)
    # the payloads reached the page, as text: one of each kind, and every kind of string
    shown = {int(n) for n in re.findall(r"PWNED=(\d+)", out["text"], re.I)}
    where = built["hostile"].where
    for payload in ("<script>top.PWNED=", "<img src=x onerror=top.PWNED=",
                    "<svg onload=top.PWNED=", "javascript:top.PWNED="):
        assert payload in out["text"], payload
    kinds = {w.split(":")[0] for n, w in where.items() if n in shown}
    for kind in ("group name", "level", "codebook label", "grid name", "numeric grid value",
                 "survey name", "group label", "raw file", "claim text",
                 "report title", "report.words.individual_domains",
                 "report subject", "report.words.pooled",
                 "table title pooled_any", "a model's message", "threshold"):
        assert kind in kinds, (kind, sorted(kinds))
