"""The claims check as the reader sees it: the findings table (a verdict, its estimate in
words, the specifications' counts) and the findings rule, which checks every claim
(:mod:`coprod.pipeline.findings`) and writes the tidy check and its display table.

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
from .tablerender import write_table_files
from .wording import NA, fmt, fmt_ci, outcome_words, word

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
                   words: dict | None = None) -> pd.DataFrame:
    """The check as a display table: every estimate on one scale, the odds ratio (a contrast's
    difference of log-odds as the ratio of the two odds ratios), then the same in words. The
    Note column only when some claim has a note."""

    rows = []
    for _, r in checked.iterrows():
        if pd.notna(r["estimate"]):
            e, lo, hi = np.exp([r["estimate"], r["conf_low"], r["conf_high"]])
            est = fmt_ci(e, lo, hi, digits)
            if r["scale"] == "log-odds":
                say = odds_words(e, lo, hi)
            else:  # a contrast: the ratio of the two outcomes' odds ratios
                say = (f"the odds ratio for {outcome_words(r['outcome'], words).lower()} is "
                       f"{fmt(e, digits)} times that for "
                       f"{outcome_words(r['compared_with'], words).lower()}")
        else:
            est, say = NA, ""
        model = outcome_words(r["outcome"], words)
        if r["compared_with"]:
            model += f" vs {outcome_words(r['compared_with'], words).lower()}"
        rows.append({"Claim": r["claim"], "Model": f"{model} ({word(r['sample'], words)})",
                     "Expected": r["expected"], "Odds ratio [CI]": est, "In words": say,
                     "Verdict": r["verdict"],
                     **{f"{fam.capitalize()} model": r.get(f"verdict_{fam}") or NA
                        for fam in SCALE_FAMILIES if f"verdict_{fam}" in checked.columns},
                     **({"Imputed data": r.get("verdict_mi") or NA}
                        if "verdict_mi" in checked.columns else {}),
                     **({"Specifications": _spec_cell(r)}
                        if "spec_total" in checked.columns else {}),
                     "Note": r["note"] or "",
                     "Source": str(sources.get(r["source"], r["source"])).split(".")[0]})
    scale_cols = [f"{fam.capitalize()} model" for fam in SCALE_FAMILIES
                  if f"verdict_{fam}" in checked.columns]
    scale_cols += ["Imputed data"] if "verdict_mi" in checked.columns else []
    scale_cols += ["Specifications"] if "spec_total" in checked.columns else []
    notes = ["Note"] if any(r["Note"] for r in rows) else []
    out = pd.DataFrame(rows, columns=["Claim", "Model", "Expected", "Odds ratio [CI]", "In words",
                                      "Verdict",
                                      *scale_cols, *notes, "Source"])
    out.attrs["foot"] = 0
    return out


def write_findings_table(checked: pd.DataFrame, sources: dict, *, conf_level: float,
                         digits: int, words, outputs: dict, notice: str = "") -> None:
    """The findings rule's display table (csv, data, tex, html) from the judged claims
    (:func:`coprod.pipeline.findings.judge_claims`, which the rule's adapter runs first)."""
    write_table_files(findings_table(checked, sources, digits=digits, words=dict(words)),
                      {k: v for k, v in outputs.items() if k in ("csv", "data", "tex", "html")},
                      caption="Claims checked against these data",
                      note=verdict_rule(conf_level), name="findings", notice=notice)


def run_findings(*, outputs: dict, digits, words, notice: str = "", **judge) -> None:
    """The findings rule in one call (as its adapter runs it): the claims judged by the
    pipeline, then their display table. For tests and library callers."""
    from ..pipeline.findings import judge_claims

    checked, sources = judge_claims(checked_csv=outputs["checked"], **judge)
    write_findings_table(checked, sources, conf_level=judge["conf_level"], digits=digits,
                         words=words, outputs=outputs, notice=notice)
