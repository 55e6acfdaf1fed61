"""The report page's sections, each from what the report stage read: the answer, the findings
check, the figures and tables, and the robustness and appendix sections (page items of
:mod:`coprod.report.pagemodel`).

Why apart from the stage (:mod:`coprod.report.report`): the stage reads the result files and
decides the order; here each section says what it holds, in plain text the template escapes.
The sentences other modules make as HTML (the answer box, the claims under each model and on
imputed data: :mod:`coprod.report.answer`, :mod:`coprod.report.robustness`), escaped where
they are made, are marked as such in :func:`made_html`, the one place they enter the page.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from markupsafe import Markup

from .pagemodel import (
    Answer,
    Bullets,
    Details,
    Em,
    Figure,
    Heading,
    Inline,
    Item,
    Paragraph,
    Section,
    Strong,
    TableBlock,
    parts,
)


def made_html(sentences: Iterable[str]) -> Bullets:
    """A list of sentences that are already HTML. Safe to pass unescaped: the modules that
    make them (answer, robustness) escape every user string they put in (their rule), and add
    only <strong> around a claim or a covariate's name."""
    return Bullets(tuple((Markup(s),) for s in sentences if s))


def text_list(entries: Iterable[str | tuple[Inline, ...]]) -> Bullets:
    """A list of plain sentences (or running text)."""
    return Bullets(tuple(e if isinstance(e, tuple) else (e,) for e in entries if e))


def answer_section(sentences: Sequence[str], figure: Figure | None) -> Section | None:
    """The answer box: its sentences (HTML, :mod:`coprod.report.answer`) beside the figure of
    who has each outcome."""
    if not sentences:
        return None
    return Section("answer", "The answer in brief",
                   (Answer(made_html(sentences), figure),))


def findings_section(table: TableBlock | None, rule: str,
                     lead: Sequence[tuple[Inline, ...]] = ()) -> Section | None:
    """The claims table under the verdict rule, said once (the table's own note, the same
    rule for readers of the file alone, is left out here); ``lead``: the counts of verdicts
    and the doubtful claims, above the table. The rule is one click away: the table and its
    verdicts come first."""
    if table is None:
        return None
    return Section("findings", "Findings check", (
        *([text_list(lead)] if lead else []),
        Details("The verdict rule", (Paragraph((rule,)),), id="verdict-rule", css=""),
        table))


def figures_section(figures: Sequence[Figure]) -> Section | None:
    return Section("figures", "Figures", tuple(figures)) if figures else None


def tables_section(main: Sequence[TableBlock], more: Sequence[TableBlock] = ()) -> Section | None:
    """The main tables, then every other one under one collapsed line."""
    if not (main or more):
        return None
    extra = (Details(f"{len(more)} more table{'s' if len(more) > 1 else ''}", tuple(more)),) \
        if more else ()
    return Section("tables", "Tables", (*main, *extra))


ROBUSTNESS_TITLE = "Does the cut of the scale matter?"


def robustness_section(*, tables: Sequence[TableBlock], figures: Sequence[Figure],
                       sentences: Sequence[str], threshold: str = "",
                       cut_lines: Sequence[str] = ()) -> Section | None:
    """The 0/1 models beside the ordinal and count models, the claims under each model, the
    binary cuts (only with models.scales); ``sentences`` are HTML
    (:func:`coprod.report.robustness.claim_sentences`)."""
    if not tables:
        return None
    intro = Paragraph(parts(
        "The 0/1 outcomes cut each frequency scale at one point",
        *((" (an item counts when answered ", Em(threshold), " or more)") if threshold else ()),
        ". Here the same activities are modelled on the survey's own scales: as an ordered "
        "category (proportional-odds model: odds ratios of being in a higher category) and as "
        "a count (quasi-Poisson model: rate ratios). If a conclusion holds only at one cut, it "
        "is weaker than it looks."))
    items: list[Item] = [intro]
    if sentences:
        items += [Heading("The claims under each model"), made_html(sentences)]
    items += list(tables[:1])
    if cut_lines:
        items += [Heading("Where the scale is cut"), text_list(cut_lines)]
    items += [*figures, *tables[1:]]
    return Section("robustness", ROBUSTNESS_TITLE, tuple(items), fold=True,
                   gist="The claims on the survey's own scales (ordered categories and counts) "
                        "and at every cut of the scale.")


def imputation_section(table: TableBlock | None, sentences: Sequence[str]) -> Section | None:
    """Complete cases beside multiply imputed data (only with imputation.analyses: both);
    ``sentences`` are HTML (:func:`coprod.report.robustness.mi_sentences`)."""
    if table is None:
        return None
    intro = Paragraph((
        "Respondents who did not answer a question used in a model (don't know, refused) "
        "leave that model. Unless their answers are missing completely at random, that can "
        "bias the estimates. Here every model is also estimated on multiply imputed data, "
        "where the missing answers are filled in many times from what the respondents did "
        "answer.",))
    claims: tuple[Item, ...] = (Heading("The claims on complete cases and on imputed data"),
                                made_html(sentences)) if sentences else ()
    return Section("imputation", "Complete cases or imputed data?", (intro, *claims, table),
                   fold=True, gist="Every model again on multiply imputed answers, beside the "
                                   "complete cases.")


SPEC_INTRO = (
    "Every analysis embodies choices: where the frequency scale is cut, weights or not, which "
    "controls, complete cases or imputed data, group effects or not, a 0/1 or an ordinal "
    "model. Each claim is estimated under every combination of the choices in the config "
    "(specifications) and judged by the same rule. A claim that holds under most "
    "specifications is a finding; one that holds under a few is not. ")


def specifications_section(figures: Sequence[Figure], counts: Sequence[tuple[str, str]],
                           not_estimable_rule: str) -> Section | None:
    """How many analyses support each claim (only with specifications); ``counts``: (claim,
    what its specifications say)."""
    if not figures:
        return None
    n = len(figures)
    return Section("specifications", "How many analyses support each claim?", (
        Paragraph((SPEC_INTRO + not_estimable_rule,)),
        *([text_list((Strong(c), f" {said}.") for c, said in counts)] if counts else []),
        *figures), fold=True,
        gist=f"{n} claim{'s' if n != 1 else ''}, each estimated under every combination of "
             "the analysis choices.")


def overview_section(lead: str, extra: Sequence[str], tables: Sequence[TableBlock]) -> Section:
    """Who is in the models, and how did each model go: the analytic sample and every model
    not plainly ok (``extra`` lines below the lead)."""
    return Section("models-overview", "Who is in the models, and how did each go?", (
        Paragraph((lead,)), *[Paragraph((x,)) for x in extra], *tables), fold=True,
        gist="From the rows read to each model's respondents; every model that was flagged "
             "or failed, with the reason.")


def cleaning_section(table: TableBlock | None, figure: Figure | None, group: str) -> Section | None:
    if table is None and figure is None:
        return None
    return Section("cleaning", "Cleaning summary",
                   tuple(x for x in (figure, table) if x is not None), fold=True,
                   gist=f"Rows read, dropped by reason and kept, per {group}.")


def methods_section(items: Sequence[Item]) -> Section:
    return Section("methods", "Methods", tuple(items), fold=True,
                   gist="Data, weighting and design, outcome definitions, models, software and "
                        "the input files' checksums.")
