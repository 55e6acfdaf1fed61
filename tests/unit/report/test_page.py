"""The page model and its template: figures and tables numbered in order of first mention, the
contents list from the sections list, cross-references as data, every text escaped once and
only the table element passed through, a table's caption and notes outside its scroll box."""
import re

from markupsafe import Markup

from coprod.report.page import render
from coprod.report.pagemodel import (
    Bullets,
    Details,
    Figure,
    Page,
    Paragraph,
    Section,
    Strong,
    TableBlock,
    Xref,
    numbering,
    stack_rows,
)

PNG = b"\x89PNG\r\n\x1a\n"


def fig(name):
    return Figure(name, PNG, f"caption of {name}", f"alt of {name}", (("PNG", f"{name}.png"),))


def tab(name, **kw):
    return TableBlock(name, Markup(f'<table class="coprod-table" id="table-{name}"><tbody><tr>'
                              '<th scope="row">a</th><td class="num">1.00</td></tr></tbody>'
                              "</table>"), f"caption of {name}", **kw)


SECTIONS = (
    Section("answer", "The answer", (Paragraph(("See", Xref("table-late"), " first.")),)),
    Section("figures", "Figures", (fig("one"), fig("two"))),
    Section("tables", "Tables", (tab("early"), Details("1 more table", (tab("late"),)))),
    Section("more", "More", (Paragraph(("Again", Xref("table-early"), Xref("fig-gone"))),),
            fold=True, gist="a summary line"),
)


def test_numbers_follow_first_mention_in_reading_order():
    assert numbering(SECTIONS) == {"table-late": "Table 1", "fig-one": "Figure 1",
                                   "fig-two": "Figure 2", "table-early": "Table 2"}
    # without the early reference, the tables take the order in which they stand
    plain = (SECTIONS[2],)
    assert numbering(plain) == {"table-early": "Table 1", "table-late": "Table 2"}
    assert numbering(()) == {}


def test_cross_references_resolve_or_leave_no_trace():
    text = render(Page("T", SECTIONS, "now"))
    assert 'See (<a class="xref" href="#table-late">Table 1</a>) first.' in text
    assert 'Again (<a class="xref" href="#table-early">Table 2</a>)</p>' in text
    assert "fig-gone" not in text  # a figure the page lacks: no number, no link
    # every number a caption shows is the one its references show
    assert "<strong>Table 1.</strong> caption of late" in text
    assert "<strong>Figure 2.</strong> caption of two" in text


def test_the_contents_list_is_the_sections_list():
    page = Page("T", SECTIONS, "now")
    assert page.contents() == [("answer", "The answer"), ("figures", "Figures"),
                               ("tables", "Tables"), ("more", "More")]
    text = render(page)
    toc = re.search(r'<nav id="toc">.*?</nav>', text, re.S).group(0)
    assert re.findall(r'href="#([^"]+)"', toc) == ["answer", "figures", "tables", "more"]
    # after the answer: the answer first, then the contents, then the rest
    assert text.index('<section id="answer">') < text.index('<nav id="toc">') < \
        text.index('<section id="figures">')
    assert '<details class="fold"><summary><span class="fold-title">More</span>' in text


def test_every_text_is_escaped_and_only_the_table_element_passes():
    evil = "<script>x()</script>"
    page = Page(evil, (Section("s", evil, (
        Paragraph((evil, Strong(evil))), Bullets(((evil,),)),
        Figure("f", PNG, evil, f'"{evil}', (("PNG", f"{evil}.png"),)),
        tab("t", notes=(evil,), files=(("CSV", evil),)),
        Details(evil, (Paragraph((evil,)),))), gist=evil, fold=True),), evil, synthetic=True)
    text = render(page)
    assert "<script>" not in text and text.count("&lt;script&gt;") >= 12
    assert 'alt="&#34;&lt;script&gt;' in text  # attributes too
    assert '<table class="coprod-table" id="table-t">' in text  # the one Markup, as it is


def test_a_table_caption_and_notes_lie_outside_its_scroll_box():
    table = tab("t", notes=("a note",), files=(("CSV", "t.csv"),))
    text = render(Page("T", (Section("s", "S", (table,)),), "now"))
    block = re.search(r'<div class="table-block" id="tab-t">.*?\n</div>', text, re.S).group(0)
    wrap = re.search(r'<div class="table-wrap"[^>]*>(.*?)</div>', block, re.S).group(1)
    assert wrap.strip().startswith("<table") and wrap.strip().endswith("</table>")
    caption, note = block.index("table-caption"), block.index("a note")
    assert caption < block.index("table-wrap") < block.index("</table>") < note
    assert '<p class="files">Files: <a href="t.csv">CSV</a></p>' in block


def test_rendering_is_deterministic_and_self_contained():
    page = Page("T", SECTIONS, "now", synthetic=True)
    first, second = render(page), render(page)
    assert first == second and first.endswith("</html>\n")
    assert "<script" not in first and "http" not in first and "url(" not in first
    assert first.count('src="data:image/png;base64,iVBORw0KGgo=') == 2
    assert 'id="synthetic-warning"' in first and "<title>SYNTHETIC DATA: T</title>" in first
    assert first.count('<p class="run-date" id="run-date">Run date: now</p>') == 1


def test_a_stacked_table_gives_each_row_a_card():
    from coprod.report import tablemodel as M

    t = M.build("claims", "Claims", [M.Column("Verdict"), M.Column("Odds ratio")], [
        (M.Row("A claim"), [M.Cell("text", text="supported"),
                            M.Cell("estimate", estimate=0.0, conf_low=-0.1, conf_high=0.1,
                                   show="exp", null=1.0)])])
    rows = stack_rows(t)
    assert rows == (("A claim", (("Verdict", "supported"),
                                 ("Odds ratio", "1.00 [0.90, 1.11]"))),)
    text = render(Page("T", (Section("s", "S", (tab("claims", stack=rows),)),), "now"))
    assert 'class="table-block stacked"' in text
    assert '<dt>Verdict</dt><dd>supported</dd>' in text


def test_a_table_model_goes_on_the_page_as_it_is():
    """What the page takes from a table model (tablemodel, tablehtml): the <table> element
    without caption, the caption and notes beside it, numeric heads marked for alignment."""
    from coprod.report import tablemodel as M
    from coprod.report.report import table_item
    from coprod.report.tablehtml import table_html

    t = M.build("t", "A <caption>", [M.Column("OR", span="UK")], [
        (M.Row("Age"), [M.Cell("estimate", estimate=0.1, show="exp", null=1.0)])],
        notes=("A note & more.",))
    item = table_item(t.name, table_html(t), t.caption, ("Synthetic.", *t.notes),
                      wide=len(t.columns) > 6, stack=stack_rows(t))
    text = render(Page("T", (Section("s", "S", (item,)),), "now"))
    assert "<caption>" not in text and "<strong>Table 1.</strong> A &lt;caption&gt;" in text
    assert '<th scope="col" class="num">OR</th>' in text
    assert '<p class="table-note">Synthetic.</p>\n<p class="table-note">A note &amp; more.</p>' \
        in text
