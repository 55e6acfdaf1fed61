"""The report page rendered: the page model (:mod:`coprod.report.pagemodel`) through the
Jinja2 template ``templates/page.html.j2`` (with its style sheet ``templates/page.css``).

Why a template: the page's markup is in one file a reader of HTML can follow, and every text
is escaped by the template (autoescape), once, instead of by hand at each string; what passes
unescaped is :class:`markupsafe.Markup`, marked where it is made. The page is one
self-contained file: the CSS inline, the figures as base64 PNG, no script, nothing fetched, and
two renderings of the same page are the same bytes. The order of the sections is the report
stage's (:func:`coprod.report.report.run_report`); the template only lays them out: the
robustness and appendix sections collapsed to one summary line on screen (``<details>``) and
printed whole (CSS alone).
"""
from __future__ import annotations

import base64
from functools import cache
from typing import TYPE_CHECKING

from .pagemodel import Code, Em, Page, Strong, Xref, numbering

if TYPE_CHECKING:
    import jinja2


@cache
def _environment() -> jinja2.Environment:
    import jinja2  # imported when a page is made (the workflow imports report modules early)

    env = jinja2.Environment(loader=jinja2.PackageLoader("coprod.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    env.tests.update(xref=lambda x: isinstance(x, Xref), strong=lambda x: isinstance(x, Strong),
                     em=lambda x: isinstance(x, Em), code=lambda x: isinstance(x, Code))
    return env


def render(page: Page) -> str:
    """The page as one HTML file: figures and tables numbered in order of first mention, the
    contents list after the section ``page.toc_after``."""
    before, after = page.split()
    text = _environment().get_template("page.html.j2").render(
        page=page, before=before, after=after, contents=page.contents(),
        numbers=numbering(page.sections))
    return text if text.endswith("\n") else text + "\n"
