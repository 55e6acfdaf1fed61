"""Sphinx configuration of coprod's documentation site (``make docs``: HTML in docs/_build/html).

The API reference is built from the docstrings of ``coprod.survey`` (the names of its
``__all__``, listed in api.rst; tests/unit/test_api_docs.py keeps the two in step) with
numpydoc and the PyData theme, as statsmodels and scipy; the Markdown pages (the page for R
survey users, the pipeline's guides) are read by MyST. ``make docs`` builds with ``-W
--keep-going``: any warning (a broken reference, a malformed docstring) fails the build, after
reporting all of them.
"""
from importlib.metadata import version as _version

project = "coprod"
author = "coprod contributors"
copyright = "coprod contributors, MIT licence"
release = _version("coprod")
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]
# a class's page: its docstring and its documented public methods (not the default template's
# member tables, which repeat every dataclass field and inherited method)
templates_path = ["_templates"]

# one page per public name, generated at build time under docs/_autosummary (git-ignored)
autosummary_generate = True
autodoc_typehints = "none"             # the signature is enough; the docstrings say the rest
autodoc_member_order = "bysource"
numpydoc_show_class_members = False    # the classes' methods are described in their docstrings
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
# `name` in a docstring is code, as in the Markdown pages (not a cross-reference to resolve)
default_role = "literal"

myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = f"coprod {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_static_path: list[str] = []
