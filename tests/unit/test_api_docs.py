"""The documentation site's API reference (docs/api.rst, built by ``make docs``) lists the
public API, ``coprod.survey.__all__``, each name once: a name added to the engine's exports
must be added to the reference (under its heading), and a name dropped from it too."""
import re

from conftest import ROOT

import coprod.survey


def test_api_reference_lists_every_public_name_once():
    text = (ROOT / "docs" / "api.rst").read_text(encoding="utf-8")
    blocks = re.findall(r"^\.\. autosummary::\n   :toctree: _autosummary\n\n((?:   \S+\n)+)",
                        text, flags=re.M)
    listed = [line.strip() for block in blocks for line in block.splitlines()]
    duplicates = sorted({n for n in listed if listed.count(n) > 1})
    assert not duplicates, f"listed twice in docs/api.rst: {duplicates}"
    missing = sorted(set(coprod.survey.__all__) - set(listed))
    assert not missing, f"add to docs/api.rst: {missing}"
    extra = sorted(set(listed) - set(coprod.survey.__all__))
    assert not extra, f"not in coprod.survey.__all__: {extra}"


def test_the_site_includes_every_page_of_docs():
    """Every Markdown page under docs/ is in a toctree of the index (Sphinx warns about an
    orphan page, and -W makes that an error: this says which one, without building)."""
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    for page in (ROOT / "docs").glob("*.md"):
        if page.stem != "index":
            assert re.search(rf"^{page.stem}$", index, flags=re.M), f"{page.name} not in index.md"
