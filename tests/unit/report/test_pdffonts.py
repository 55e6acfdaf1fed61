"""A PDF figure's font subsets cut from a base font (coprod.report.pdffonts) are byte for byte
the subsets matplotlib cuts from the full font: checked against matplotlib's own subsetting
on random glyph sets of both fonts the figures use, and on whole PDFs."""
import io
import random

import matplotlib
import pytest
from conftest import fast_first, random_cases
from matplotlib import font_manager
from matplotlib.backends import _backend_pdf_ps as pdf_ps
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

from coprod.report import figstyle as S
from coprod.report import pdffonts

if not hasattr(pdf_ps, "SubsetResults"):  # pragma: no cover - older matplotlib
    pytest.skip("pdffonts needs matplotlib's SubsetResults (3.11)", allow_module_level=True)

FONTS = {"regular": {"family": "DejaVu Sans"},
         "bold": {"family": "DejaVu Sans", "weight": "bold"}}


def font_path(which: str):
    path = font_manager.findfont(font_manager.FontProperties(**FONTS[which]))
    return font_manager.FontPath(path, 0)


def matplotlibs(fontfile, glyphs) -> tuple[bytes, dict]:
    """matplotlib's own subset of the full font, outside pdffonts."""
    with pdf_ps.get_glyphs_subset(fontfile, set(glyphs)) as sub:
        return pdf_ps.font_as_file(sub.font).getvalue(), dict(sub.glyph_index_map)


def through_pdffonts(fontfile, glyphs) -> tuple[bytes, dict]:
    with pdffonts.subsets_kept(), pdf_ps.get_glyphs_subset(fontfile, set(glyphs)) as sub:
        return pdf_ps.font_as_file(sub.font).getvalue(), dict(sub.glyph_index_map)


@pytest.fixture
def calls(monkeypatch):
    """What matplotlib's subsetting was given, call by call: "base" for a base font (a file
    object), "font" for a font file."""
    seen: list[str] = []
    real = pdf_ps.get_glyphs_subset

    def spy(fontfile, glyphs):
        seen.append("base" if isinstance(fontfile, io.BytesIO) else "font")
        return real(fontfile, glyphs)

    monkeypatch.setattr(pdf_ps, "get_glyphs_subset", spy)
    return seen


def cut(fontfile, glyphs, calls: list) -> tuple[tuple[bytes, dict], str]:
    """The subset through pdffonts, and how it was made: "kept" (made before), "base" (cut
    from the base font) or "font" (from the full font)."""
    if (str(fontfile), 0, frozenset(glyphs)) in pdffonts.SUBSETS:
        return through_pdffonts(fontfile, glyphs), "kept"
    before = len(calls)
    got = through_pdffonts(fontfile, glyphs)
    return got, calls[-1] if len(calls) > before else "kept"


@pytest.fixture(scope="module")
def warm():
    """pdffonts as a process that has made one subset of each font: the next come from the
    base font (made at the first of them)."""
    pdffonts.forget()
    for which in FONTS:
        through_pdffonts(font_path(which), {0})
    yield
    pdffonts.forget()


@pytest.mark.parametrize("which", fast_first(list(FONTS)))
def test_subsets_cut_from_the_base_font_are_matplotlibs(warm, calls, which):
    fontfile = font_path(which)
    face = FT2Font(str(fontfile))
    base = sorted({face.get_char_index(c) for c in pdffonts.BASE_CHARACTERS} | {0})
    rng = random.Random(20261207)
    cases = [set(base), {0}, {face.get_char_index(ord("f")), face.get_char_index(0xFB01)}]
    for _ in range(random_cases(24, 2)):
        cases.append(set(rng.sample(base, rng.choice([1, 3, 10, 40, 120]))))
    for glyphs in cases:
        ours, how = cut(fontfile, glyphs, calls)
        assert how in ("base", "kept"), (how, sorted(glyphs))  # every new one from the base
        assert ours == matplotlibs(fontfile, glyphs), sorted(glyphs)


def test_a_glyph_outside_the_base_font_takes_matplotlibs_path(warm, calls):
    fontfile = font_path("regular")
    face = FT2Font(str(fontfile))
    arrow = face.get_char_index(0x2192)  # a rightwards arrow: not among BASE_CHARACTERS
    assert arrow
    glyphs = {arrow, face.get_char_index(ord("a"))}
    ours, how = cut(fontfile, glyphs, calls)
    assert how == "font"
    assert ours == matplotlibs(fontfile, glyphs)


def test_a_whole_pdf_is_matplotlibs_byte_for_byte(warm, calls):
    """Ligatures (fi, ffl), Czech and Danish letters, the minus sign, a Greek letter outside
    the base font, regular and bold: the PDF written with pdffonts (warm: cut from the base
    fonts) is the PDF matplotlib writes alone."""
    def pdf(kept: bool) -> bytes:
        with matplotlib.rc_context({"pdf.fonttype": 42}):
            fig = Figure(figsize=(3, 2))
            ax = fig.add_subplot()
            ax.set_title("Efficacy of official co-production", fontweight="bold")
            ax.set_xlabel("Česká republika, Danmark (Ø, å) \u2212 0.5 \u2264 \u03b2")
            ax.plot([0, 1], [-1, 1])
            buf = io.BytesIO()
            if kept:
                with pdffonts.subsets_kept():
                    fig.savefig(buf, format="pdf", metadata=S.PDF_METADATA)
            else:
                fig.savefig(buf, format="pdf", metadata=S.PDF_METADATA)
            return buf.getvalue()

    ours = pdf(kept=True)
    assert calls.count("base") >= 2  # the regular and the bold text cut from base fonts
    assert ours == pdf(kept=False)
