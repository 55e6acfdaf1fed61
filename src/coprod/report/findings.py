"""The claims check as the reader sees it: the findings table (a verdict, its estimate in
words, the specifications' counts, the source with its bibliography key) and the findings
rule, which checks every claim (:mod:`coprod.pipeline.findings`) and writes the tidy check and
its table.

Why apart from the check: the verdicts are the pipeline's (the specification curve and the
robustness sections use them too); their display is the report's.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..pipeline.estimable import SPEC_COUNTS, count_phrase
from ..pipeline.findings import (
    SCALE_FAMILIES,
    verdict_rule,
)
from .tablefiles import FORMATS, write_table
from .tablemodel import Cell, Column, Row, Table, build
from .wording import NA, fmt, outcome_words, word

# -- the findings table ----------------------------------------------------------------------

def _spec_cell(r) -> str:
    """'supported in 24 of 48 estimable (16 not estimable), contradicted in 8'."""

    n = r.get("spec_total")
    if n is None or pd.isna(n) or not n:
        return NA
    return count_phrase(*(int(r[k]) for k in SPEC_COUNTS[1:]))


def odds_words(ratio: float, low: float, high: float) -> str:
    """An odds ratio and its interval in words: "60% higher odds (38% to 87% higher)"; empty
    when a number is missing or infinite."""
    if not np.all(np.isfinite([ratio, low, high])):
        return ""

    def change(x: float) -> str:
        if round(abs(x - 1) * 100) == 0:
            return "0%"
        return f"{abs(x - 1) * 100:.0f}% {'higher' if x > 1 else 'lower'}"

    lo, hi = change(low), change(high)
    if lo.split()[-1] == hi.split()[-1] == "lower":  # the smaller change first
        lo, hi = hi, lo
    if lo.split()[-1] == hi.split()[-1] and lo != "0%":  # both higher or both lower
        lo = lo.split()[0]
    return f"{change(ratio)} odds ({lo} to {hi})".replace("0% odds", "the same odds")


def findings_table(checked: pd.DataFrame, sources: dict, *, digits: int = 2,
                   words: dict | None = None, name: str = "findings",
                   caption: str = "Claims checked against these data") -> Table:
    """The check as a table: every estimate on one scale, the odds ratio (a contrast's
    difference of log-odds as the ratio of the two odds ratios; the cell keeps the log-odds),
    then the same in words; each claim's source with its bibliography key (``cite``). The
    Note column only when some claim has a note."""
    scale_cols = [(f"verdict_{fam}", f"{fam.capitalize()} model") for fam in SCALE_FAMILIES
                  if f"verdict_{fam}" in checked.columns]
    scale_cols += [("verdict_mi", "Imputed data")] if "verdict_mi" in checked.columns else []
    spec = "spec_total" in checked.columns
    notes = bool(checked["note"].fillna("").astype(str).str.strip().any()) if len(checked) \
        else False
    heads = [("Model", "model"), ("Expected", "expected"), ("Odds ratio [CI]", "estimate"),
             ("In words", "in_words"), ("Verdict", "verdict"),
             *[(h, k) for k, h in scale_cols], *([("Specifications", "specifications")]
                                                 if spec else []),
             *([("Note", "note")] if notes else []), ("Source", "source")]
    rows = []
    for _, r in checked.iterrows():
        log_odds = r["scale"] == "log-odds"
        if pd.notna(r["estimate"]):
            e, lo, hi = np.exp([r["estimate"], r["conf_low"], r["conf_high"]])
            est = Cell("estimate", estimate=float(r["estimate"]), conf_low=float(r["conf_low"]),
                       conf_high=float(r["conf_high"]), p_value=_num(r.get("p_value")),
                       scale="log_odds" if log_odds else "log_odds_difference", show="exp",
                       null=1.0)
            if log_odds:
                say = odds_words(e, lo, hi)
            else:  # a contrast: the ratio of the two outcomes' odds ratios
                say = (f"the odds ratio for {outcome_words(r['outcome'], words).lower()} is "
                       f"{fmt(e, digits)} times that for "
                       f"{outcome_words(r['compared_with'], words).lower()}")
        else:
            est, say = Cell("na"), ""
        model = outcome_words(r["outcome"], words)
        if r["compared_with"]:
            model += f" vs {outcome_words(r['compared_with'], words).lower()}"
        text = {"model": f"{model} ({word(r['sample'], words)})", "expected": r["expected"],
                "in_words": say, "verdict": r["verdict"],
                **{k: r.get(k) or NA for k, _ in scale_cols},
                "specifications": _spec_cell(r) if spec else "", "note": r["note"] or ""}
        cells = [est if k == "estimate" else
                 Cell("text", text=str(sources.get(r["source"], r["source"])).split(".")[0],
                      cite=str(r["source"])) if k == "source" else
                 Cell("text", text=str(text[k])) for _, k in heads]
        codes = {"claim": str(r["id"]), "outcome": str(r["outcome"]),
                 "sample": str(r["sample"]), "term": str(r.get("term") or ""),
                 **({"compared_with": str(r["compared_with"])} if r["compared_with"] else {})}
        rows.append((Row(str(r["claim"]), "term", codes), cells))
    return build(name, caption, [Column(h, codes={"measure": k}) for h, k in heads], rows,
                 stub_head="Claim", digits=digits)


def _num(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def write_findings_table(checked: pd.DataFrame, sources: dict, *, conf_level: float,
                         digits: int, words, outputs: dict, notice: str = "",
                         latex=None) -> None:
    """The findings rule's table files (csv, data, tex, html, json) from the judged claims
    (:func:`coprod.pipeline.findings.judge_claims`, which the rule's adapter runs first);
    ``latex``: report.latex (:class:`coprod.report.tablelatex.LatexSettings`)."""
    from .tablelatex import LatexSettings

    table = findings_table(checked, sources, digits=digits, words=dict(words))
    write_table(table.with_notes(verdict_rule(conf_level)),
                {k: v for k, v in outputs.items() if k in FORMATS}, notice=notice,
                latex_settings=LatexSettings.from_params(latex))


def run_findings(*, outputs: dict, digits, words, notice: str = "", latex=None,
                 **judge) -> None:
    """The findings rule in one call (as its adapter runs it): the claims judged by the
    pipeline, then their display table. For tests and library callers."""
    from ..pipeline.findings import judge_claims

    checked, sources = judge_claims(checked_csv=outputs["checked"], **judge)
    write_findings_table(checked, sources, conf_level=judge["conf_level"], digits=digits,
                         words=words, outputs=outputs, notice=notice, latex=latex)
