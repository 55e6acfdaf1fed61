"""The journal LaTeX of a table (coprod.report.tablelatex): one portrait table under one
number, numbers in siunitx S columns, spanning heads, notes, citations, every text escaped;
and, where pdflatex is installed, one article with every kind of table compiled: no overfull
box, nothing sideways by default, no table split into separately numbered parts."""
from __future__ import annotations

import math
import re
import shutil
import subprocess

import pytest
from catalogue import safe_load

from coprod.errors import ConfigError
from coprod.report.tablelatex import (
    LATEX_PACKAGES,
    LATEX_SIDEWAYS_PACKAGES,
    LatexSettings,
    cite_key,
    latex_escape,
    plan,
    to_latex,
)
from coprod.report.tablemodel import Cell, Column, Row, Table, build

PDFLATEX = shutil.which("pdflatex")
KPSEWHICH = shutil.which("kpsewhich")

COUNTRIES = ("United Kingdom", "Germany", "France", "Czech Republic", "Denmark")
OUTCOMES = ("Individual co-production", "Collective co-production", "Any co-production")
LONG_NAMES = ("Age of the respondent (years), per 10 years",
              "Highest completed level of formal education (ISCED 2011)",
              "Satisfaction with the quality of local public services",
              "Trust in the municipal council and local administration",
              "Household income (deciles of the national distribution)")


def _or(est: float, lo: float, hi: float, p: float = 0.2, marks: tuple = ()) -> Cell:
    return Cell("estimate", math.log(est), math.log(lo), math.log(hi), p_value=p,
                scale="log_odds", show="exp", null=1.0, marks=marks)


def model_table(countries=COUNTRIES, outcomes=OUTCOMES, *, stars=False) -> Table:
    """A model table as the builders make one: countries over their outcomes, terms,
    a categorical variable with its joint test and levels, fit statistics at the foot."""
    cols = [Column(o, span=c, codes={"sample": c, "outcome": o})
            for c in countries for o in outcomes]
    n = len(cols)
    rows = []
    for k, name in enumerate(LONG_NAMES):
        if k == 1:
            rows.append((Row(name, "variable"),
                         [Cell("test", p_value=0.0004 if j % 2 else 0.2178, statistic=3.2,
                               df_num=2, df_den=40, scale="F") for j in range(n)]))
            rows.append((Row("Lower secondary or less", "level"), [Cell("ref")] * n))
            rows += [(Row(lvl, "level"), [_or(1.0 + 0.07 * j, 0.8, 1.9 + j, p=0.03)
                                          for j in range(n)])
                     for lvl in ("Upper secondary", "Tertiary (bachelor's degree or higher)")]
            continue
        rows.append((Row(name), [_or(0.5 + 0.11 * j + 0.02 * k, 0.31, 1.7 + 0.1 * j,
                                     p=0.0001 if j % 3 else 0.4,
                                     marks=("\u2020",) if j % 3 == 1 else ())
                                 if (j + k) % 7 else Cell("na") for j in range(n)]))
    rows.append((Row("Observations", "foot"), [Cell("count", 4281.0 + 1000 * j, scale="n")
                                               for j in range(n)]))
    rows.append((Row("Pseudo-R\u00b2", "foot"), [Cell("number", 0.0412 + j / 100, scale="r2")
                                                for j in range(n)]))
    return build("models_groups", "Correlates of co-production by country (odds ratios, "
                 "95% CI) & more_", cols, rows, stars=stars,
                 notes=("Odds ratios with 95% confidence intervals; \u2020 the model was "
                        "flagged (separation): its estimates are not shown as reliable.",
                        "Joint tests: design-based F tests (\u03b2 = 0), p \u2264 0.05; "
                        "n \u00d7 2 < 10% of # cases ~ $5 {a} ^ \u2212 3 \u2013 4 \u2014 "
                        "x > y."))


def long_table(rows: int = 60) -> Table:
    cols = [Column("Individual", span="Pooled"), Column("Collective", span="Pooled")]
    body = [(Row(f"Region {i + 1:02d} (a long label of a region of the survey)"),
             [_or(1 + i / 100, 0.9, 1.3 + i / 50), _or(0.8, 0.5 + i / 1000, 1.2)])
            for i in range(rows)]
    body.append((Row("n", "foot"), [Cell("count", 12345.0), Cell("count", 987.0)]))
    return build("long", "Sixty regions", cols, body, notes=("A note under the long table.",))


def claims_table() -> Table:
    cols = [Column("Claim"), Column("Source"), Column("Reported"), Column("Found"),
            Column("Verdict")]
    claims = [
        ("Women co-produce more than men in every country of the survey, by about a third "
         "in odds, after age and education are held constant", "Smith & Jones 2019",
         "smith2019", 1.35, 1.74, "supported"),
        ("Collective co-production falls with trust in the municipal council_", "Doe (2020)",
         "doe2020", 0.80, 0.99, "not supported: the interval includes 1"),
        ("Education has no effect", "Internal memo", "", 1.0, 1.22, "contradicted"),
    ]
    body = [(Row(f"C{i + 1}"), [Cell("text", text=claim), Cell("text", text=src, cite=key),
                                Cell("number", rep, scale="ratio"),
                                _or(found, found - 0.2, found + 0.2), Cell("text", text=v)])
            for i, (claim, src, key, rep, found, v) in enumerate(claims)]
    return build("findings", "Claims of the literature, checked", cols, body,
                 stub_head="#", notes=("Verdicts follow the rules in the methods.",))


def descriptives_table() -> Table:
    cols = [Column(c) for c in COUNTRIES]
    body = [(Row("Women", "level"), [Cell("estimate", 0.5 + j / 50, 0.45, 0.6 + j / 40,
                                          scale="proportion", show="percent")
                                     for j in range(5)]),
            (Row("Age (years)"), [Cell("number", 45.123 + j, scale="mean") for j in range(5)]),
            (Row("Negative", "term"), [Cell("number", -2.5 + j, scale="mean")
                                       for j in range(5)]),
            (Row("Infinite"), [Cell("number", math.inf, scale="mean")] + [Cell("blank")] * 4),
            (Row("Respondents", "foot"), [Cell("count", 1234567.0 / (j + 1)) for j in range(5)])]
    return build("descriptives", "The samples", cols,
                 [(Row("Sex", "section"), [Cell("blank")] * 5), *body],
                 scale_digits={"proportion": 1})


# -- the LaTeX itself ------------------------------------------------------------------------


def test_escape_covers_specials_and_symbols():
    out = latex_escape("50% of a_b & #1 {x} ~ ^ < > \u2212 \u2013 \u2014 \u2264 \u2265 "
                       "\u00d7 \u03b2 \u03b6 $")
    for raw in ("%", "_", "&", "#", "{x}", "~", "^", "<", ">", "\u2212", "\u2264", "\u03b2"):
        assert raw not in out.replace(r"\%", "").replace(r"\_", "").replace(r"\&", "").replace(
            r"\#", "").replace(r"\{x\}", "").replace(r"\textasciitilde{}", "").replace(
            r"\textasciicircum{}", "").replace(r"\$", ""), raw
    assert r"\ensuremath{\beta}" in out and r"\ensuremath{\zeta}" in out
    assert "$-$" in out and "---" in out and " -- " in out


def test_a_model_table_is_one_portrait_table_with_aligned_numbers():
    t = model_table(COUNTRIES[:1])
    tex = to_latex(t, notice="SYNTHETIC DATA: not a finding.")
    assert tex.startswith(f"% {LATEX_PACKAGES}\n")
    assert tex.count(r"\begin{table}") == 1 and "sideways" not in tex
    assert r"\caption{Correlates of co-production by country (odds ratios, 95\% CI) \& " \
        r"more\_}\label{tab:models_groups}" not in tex  # the label is cleaned
    assert r"\label{tab:models-groups}" in tex
    assert re.search(r"S\[table-format=1\.2\{\\textdagger\{\}\}\]", tex)  # marks reserved
    assert "0.54 & [0.31, 1.70]" in tex and r"0.65{\textdagger{}} & [0.31, 1.80]" in tex
    assert r"\multicolumn{3}{c}{United Kingdom}" not in tex  # beside: 2 columns per outcome
    assert r"\multicolumn{6}{c@{}}{United Kingdom}" in tex and r"\cmidrule(lr){2-7}" in tex
    assert r"\multicolumn{2}{c}{p \textless{} 0.001}" in tex  # a joint test: its p-value
    assert r"\textit{Highest completed" in tex and r"\setlength{\leftskip}{1em}Tertiary" in tex
    assert "{ref.}" in tex and "{---}" in tex
    # a count among estimates is centred text; a column of counts is numbers siunitx groups
    assert "{4,281} & " in tex
    counts = to_latex(build("n", "c", [Column("N")], [(Row("a"), [Cell("count", 12345.0)]),
                                                      (Row("b"), [Cell("count", 7.0)])]))
    assert "S[table-format=6]" in counts and "a & 12345 \\\\" in counts
    assert tex.index(r"\midrule" + "\nObservations") > tex.index("Tertiary")  # the foot
    notes = tex[tex.index(r"\begin{tablenotes}"):]
    assert notes.index("SYNTHETIC DATA") < notes.index("Odds ratios with")  # notice first
    assert r"\ensuremath{\beta} = 0" in notes and r"\ensuremath{\le}" in notes
    assert r"\$5 \{a\} \textasciicircum{} $-$ 3 -- 4 --- x \textgreater{} y" in notes


def test_ci_below_puts_the_interval_on_a_second_line():
    t = model_table(COUNTRIES[:1])
    tex = to_latex(t, settings=LatexSettings(ci="below"))
    assert "& {[0.31, 1.70]}" in tex and "0.50 & [0.31" not in tex
    assert r"\multicolumn{3}{c@{}}{United Kingdom}" in tex


def test_a_wide_table_fits_by_font_heads_and_panels_never_sideways_by_default():
    t = model_table()
    p = plan(t)
    assert p.fits and not p.sideways
    assert len(p.panels) > 1 and sorted(j for q in p.panels for j in q) == list(range(15))
    # a country's outcomes stay together in one panel
    for q in p.panels:
        assert len({t.columns[j].span for j in q}) * 3 == len(q)
    tex = to_latex(t)
    assert tex.count(r"\caption") == 1 and not re.search(r"part \d", tex)
    assert "sideways" not in tex and "landscape" not in tex
    # sideways only on request
    side = plan(t, LatexSettings(sideways=True))
    assert side.sideways
    assert LATEX_SIDEWAYS_PACKAGES in to_latex(t, settings=LatexSettings(sideways=True))
    # a narrow table is not rotated even when sideways is allowed
    assert not plan(model_table(COUNTRIES[:1], OUTCOMES[:2]), LatexSettings(sideways=True)).sideways


def test_a_long_table_continues_under_one_number():
    tex = to_latex(long_table(), notice="Synthetic")
    assert tex.count(r"\begin{longtable}") == 1 and r"\begin{table}" not in tex
    assert tex.count(r"\caption") == 1
    assert r"\endfirsthead" in tex and r"\tablename~\thetable{} (continued)" in tex
    last = tex[tex.index(r"\endfoot"):tex.index(r"\endlastfoot")]
    assert "Synthetic" in last and "A note under the long table." in last
    assert not plan(long_table(10)).long


def test_claims_cite_their_sources_and_wrap_their_text():
    tex = to_latex(claims_table())
    assert r"Smith \& Jones 2019~\cite{smith2019}" in tex
    assert r"Internal memo" in tex and r"\cite{}" not in tex
    assert re.search(r">\{\\raggedright\\arraybackslash\}p\{[\d.]+pt\}", tex)
    assert cite_key("a2019; b{2}%") == r"\cite{a2019,b2}" and cite_key(" ;") == ""


def test_settings_from_params():
    assert LatexSettings.from_params(None) == LatexSettings()
    assert LatexSettings.from_params({"ci": "below", "sideways": None}).ci == "below"
    with pytest.raises(ConfigError, match="report.latex.ci"):
        LatexSettings.from_params({"ci": "under"})
    with pytest.raises(ConfigError, match="report.latex.landscape"):
        LatexSettings.from_params({"landscape": True})


def test_report_latex_reaches_the_tables_job_with_the_schemas_defaults():
    """report.latex: the schema's defaults are LatexSettings' own; the tables rule's params
    (report.tables, resolved) carry the section to the tables job (TableSettings.latex)."""
    from pathlib import Path

    from coprod.pipeline.reportsettings import TableSettings, report_settings
    from coprod.pipeline.settings import load_settings

    root = Path(__file__).resolve().parents[3]
    cfg = safe_load((root / "config" / "config.yaml").read_text(encoding="utf-8"))
    params = report_settings(load_settings(cfg))["tables"]
    assert LatexSettings.from_params(TableSettings.from_params(params).latex) == LatexSettings()
    cfg.setdefault("report", {})["latex"] = {"ci": "below", "sideways": True}
    params = report_settings(load_settings(cfg))["tables"]
    assert LatexSettings.from_params(TableSettings.from_params(params).latex) == \
        LatexSettings(sideways=True, ci="below")
    cfg["report"]["latex"] = {"ci": "under"}
    with pytest.raises(ConfigError, match="under"):
        load_settings(cfg)


# -- compiled --------------------------------------------------------------------------------

DOC = r"""\documentclass[a4paper]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
%s
\begin{document}
%s
\listoftables
%s
\begin{thebibliography}{9}
\bibitem{smith2019} Smith and Jones. 2019.
\bibitem{doe2020} Doe. 2020.
\end{thebibliography}
\end{document}
"""


def compile_tables(tables: list[str], tmp_path, preamble: str = "") -> dict:
    """pdflatex (twice) on one article holding ``tables``: the log's overfull boxes, the
    numbered tables (the list of tables), the sideways ones, the pages."""
    doc = tmp_path / "doc.tex"
    doc.write_text(DOC % (f"{LATEX_PACKAGES}\n{LATEX_SIDEWAYS_PACKAGES}\n{preamble}",
                          "Some text.", "\n\\clearpage\n".join(tables)), encoding="utf-8")
    for _ in range(2):
        proc = subprocess.run([PDFLATEX, "-interaction=nonstopmode", "-halt-on-error",
                               doc.name], cwd=tmp_path, capture_output=True, text=True,
                              timeout=180)
    log = doc.with_suffix(".log").read_text(encoding="latin-1")
    assert proc.returncode == 0, re.findall(r"^! .*$", log, re.M)[:5]
    lot = doc.with_suffix(".lot").read_text(encoding="latin-1")
    pdftotext = shutil.which("pdftotext")
    text = subprocess.run([pdftotext, str(doc.with_suffix(".pdf")), "-"], capture_output=True,
                          text=True).stdout if pdftotext else None
    return {"text": text, "overfull": re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log),
            "numbered": re.findall(r"\\numberline \{(\d+)\}\{(.*?)\}\}", lot),
            "pages": int(re.search(r"Output written on .*?\((\d+) page", log).group(1)),
            "log": log}


NEEDS_TEX = pytest.mark.skipif(
    PDFLATEX is None or KPSEWHICH is None or not subprocess.run(
        [KPSEWHICH or "kpsewhich", "siunitx.sty"], capture_output=True).stdout.strip(),
    reason="pdflatex or siunitx is not installed (apt-get install texlive-latex-extra "
           "texlive-science): the LaTeX tables are not compiled")


@pytest.mark.slow
@NEEDS_TEX
def test_every_kind_of_table_compiles_in_one_article_with_no_overfull_box(tmp_path):
    tables = [model_table(), model_table(COUNTRIES[:2]), model_table(COUNTRIES[:1], stars=True),
              long_table(), claims_table(), descriptives_table()]
    texts = [to_latex(t, notice="SYNTHETIC DATA") for t in tables]
    texts += [to_latex(model_table(COUNTRIES[:2]), settings=LatexSettings(ci="below")),
              to_latex(model_table(COUNTRIES[:1]), settings=LatexSettings(ci="below"))]
    out = compile_tables(texts, tmp_path)
    assert out["overfull"] == [], out["overfull"]
    assert len(out["numbered"]) == len(texts), out["numbered"]  # one number per table
    assert [int(n) for n, _ in out["numbered"]] == list(range(1, len(texts) + 1))
    assert not any("part" in caption for _, caption in out["numbered"])
    assert not any("sideways" in t or "landscape" in t for t in texts)
    # the 60-row table continues on a second page under its number, as does the 15-column one
    assert "(continued)" in texts[3] and out["pages"] >= len(texts) + 2
    if out["text"] is not None:  # (pdftotext, poppler-utils, reads the pages back)
        assert "Table 4 (continued)" in out["text"] and "Table 1 (continued)" in out["text"]
        assert "continued on the next page" in out["text"]
    assert not re.search(r"Citation `\w+' on page \d+ undefined", out["log"])  # \cite resolved


@pytest.mark.slow
@NEEDS_TEX
def test_sideways_on_request_compiles(tmp_path):
    side = LatexSettings(sideways=True)
    texts = [to_latex(descriptives_table(), settings=side), to_latex(model_table(), settings=side),
             to_latex(claims_table(), settings=side)]
    assert r"\begin{sidewaystable}" in texts[0]  # a wide table, rotated
    assert r"\begin{landscape}" in texts[1] and r"\begin{longtable}" in texts[1]  # and long
    assert "sideways" not in texts[2] and "landscape" not in texts[2]  # it fits: portrait
    out = compile_tables(texts, tmp_path)
    assert out["overfull"] == [], out["overfull"]
    assert len(out["numbered"]) == 3
