"""The fonts of a PDF figure, subset quickly and byte for byte as matplotlib subsets them.

A PDF's fonts are embedded as Type 42 (``pdf.fonttype: 42``: text stays text, searchable
and selectable), each a subset of the font with the glyphs the figure draws, made by
fontTools through matplotlib (``_backend_pdf_ps.get_glyphs_subset``). A subset of the full
DejaVu Sans costs ~70 ms even for one glyph, because fontTools decompiles the whole font's
layout tables; a figure needs about four (regular and bold, title and body), ~2.5 s of a
bundled run. Two things make it cheaper without changing a byte of any PDF:

- **each subset is made once a process** (:data:`SUBSETS`): the same font file and glyphs
  give the same subset, and a job's figures share many (the same bold title characters);
- **a subset is cut from a small font, not the full one.** At a font's second subset in a
  process (one whose glyphs it would hold), matplotlib's own subsetting makes, once, a *base
  font*: the subset with the glyphs of a fixed set of characters (:data:`BASE_CHARACTERS`:
  Latin, the punctuation and signs the report uses, the f-ligatures matplotlib's text layout
  draws). A later subset whose glyphs are all in the base font is cut from it (~17 ms
  instead of ~70 ms), again by matplotlib's own function, and its glyph numbers are mapped
  back through the base font's.

Why the second way gives the same bytes: fontTools keeps, of each table, what the requested
glyphs need (their outlines, metrics, kerning pairs, the ligatures they form, their
character map entries), so cutting a subset from a larger subset keeps exactly what cutting
it from the full font keeps, and in the same order. A test compares the two on random glyph
sets of both fonts (``tests/unit/report/test_pdffonts.py``); a glyph outside the base font
(another script, a symbol) takes matplotlib's path as before.
"""
from __future__ import annotations

import io
import logging
from contextlib import contextmanager
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: the characters whose glyphs make a font's base font: printable ASCII, Latin-1 and Latin
#: Extended-A (the five countries' names and accents), general punctuation (dashes, quotes,
#: the ellipsis, the per-mille sign), the minus and a few mathematical signs, and the
#: f-ligatures (U+FB00-FB06) that matplotlib's text layout substitutes
BASE_CHARACTERS = (
    [*range(0x20, 0x7F), *range(0xA0, 0x180), *range(0x2010, 0x203B)]
    + [0x2212, 0x2264, 0x2265, 0x2248, 0x2260, 0x221E, *range(0xFB00, 0xFB07)]
)

#: each subset made in this process: (font file, face, glyphs) -> (font bytes, glyph map)
SUBSETS: dict[tuple, tuple[bytes, dict]] = {}


@dataclass
class _Base:
    """A font's base font: its bytes, the glyphs it was cut for, and their numbers in it."""

    data: bytes
    glyphs: frozenset
    index_map: dict


#: per font (file, face): how many subsets it has needed, the glyphs a base font would hold,
#: and its base font once made
_MISSES: dict[tuple, int] = {}
_CANDIDATES: dict[tuple, frozenset] = {}
_BASES: dict[tuple, _Base | None] = {}


def forget() -> None:
    """Forget every subset and base font made so far, as a new process would start."""
    SUBSETS.clear()
    _MISSES.clear()
    _CANDIDATES.clear()
    _BASES.clear()


class _SubsetFont:
    """A subset already made, as matplotlib's PDF writer uses one: saved to a file
    (``_backend_pdf_ps.font_as_file``) inside a ``with`` block."""

    def __init__(self, data: bytes):
        self.data = data

    def save(self, fh, **_kw) -> None:
        fh.write(self.data)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


class _FontBytes(io.BytesIO):
    """A base font handed to matplotlib's subsetting in place of a font file: fontTools
    reads a file object as it reads a path, and matplotlib asks only for the face number
    (a base font is a single font, face 0)."""

    face_index = 0


def _candidates(font: tuple) -> frozenset:
    """The glyphs of :data:`BASE_CHARACTERS` in the font (read by FreeType, ~1 ms): the glyphs
    its base font would be cut for; only {0} (.notdef) for a font that maps none of them."""
    if font not in _CANDIDATES:
        from matplotlib.ft2font import FT2Font

        face = FT2Font(font[0], face_index=font[1])
        _CANDIDATES[font] = frozenset({face.get_char_index(c) for c in BASE_CHARACTERS} | {0})
    return _CANDIDATES[font]


def _base(font: tuple, fontfile, subset_of) -> _Base | None:
    """The font's base font, made at its first call; None where the font maps none of
    :data:`BASE_CHARACTERS` (a symbol font), or where matplotlib's subsetting cannot make it
    (every subset then takes matplotlib's path, which gives the same bytes)."""
    if font not in _BASES:
        glyphs = _candidates(font)
        _BASES[font] = None
        if glyphs != {0}:
            try:
                data, index_map = subset_of(fontfile, glyphs)
            except Exception:  # any failure: matplotlib's own path for this font's subsets
                log.info("no base font for %s: its subsets are cut from the full font", font[0])
            else:
                _BASES[font] = _Base(data, glyphs, index_map)
    return _BASES[font]


@contextmanager
def subsets_kept(on: bool = True):
    """While writing a PDF: matplotlib's font subsetting with each subset made once a process
    and, from a font's second, cut from its base font (see the module's docstring). A
    matplotlib without the interface this relies on (``SubsetResults``, 3.11) subsets as
    usual."""
    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    original = getattr(pdf_ps, "get_glyphs_subset", None)
    results = getattr(pdf_ps, "SubsetResults", None)
    if not on or original is None or results is None \
            or getattr(results, "_fields", ()) != ("font", "glyph_index_map"):
        yield
        return

    def subset_of(fontfile, glyphs) -> tuple[bytes, dict]:
        with original(fontfile, set(glyphs)) as sub:
            return pdf_ps.font_as_file(sub.font).getvalue(), dict(sub.glyph_index_map)

    def made(fontfile, glyphs) -> tuple[bytes, dict]:
        font = (str(fontfile), getattr(fontfile, "face_index", 0))
        _MISSES[font] = _MISSES.get(font, 0) + 1
        # a base font only for glyphs it would hold (labels in another script never make one)
        base = _base(font, fontfile, subset_of) \
            if _MISSES[font] > 1 and glyphs <= _candidates(font) else None
        if base is None:
            return subset_of(fontfile, glyphs)
        data, index_map = subset_of(_FontBytes(base.data),
                                    {base.index_map[g] for g in glyphs})
        return data, {g: index_map[i] for g, i in base.index_map.items() if i in index_map}

    def kept(fontfile, glyphs):
        key = (str(fontfile), getattr(fontfile, "face_index", 0), frozenset(glyphs))
        if key not in SUBSETS:
            SUBSETS[key] = made(fontfile, frozenset(glyphs))
        data, index_map = SUBSETS[key]
        return results(_SubsetFont(data), dict(index_map))._as_cm()

    # matplotlib's function is swapped for the process while a PDF is written: figures are
    # saved from one thread (a figure job, a test); two threads saving PDFs at once could
    # restore it out of order (the bytes would still be matplotlib's)
    pdf_ps.get_glyphs_subset = kept
    try:
        yield
    finally:
        pdf_ps.get_glyphs_subset = original
