"""The tables rule's other tables as :class:`~coprod.report.tablemodel.Table` s: the
respondents by group (descriptives), the contrast test of the two compared outcomes, and the
cleaning summary.

Why apart from the model tables (:mod:`coprod.report.tables`): each reads its own result file
and says its own kind of number (proportions and means, a ratio of odds ratios, counts);
what they share -- the cells that keep their numbers, the renderers -- is the table model's.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ..pipeline.designkeys import DesignSettings
from ..pipeline.io import read_results, term_names, tidy_contrast
from .tablemodel import Cell, Column, Row, Table, build
from .wording import POOLED, lower_word, marks_note, num, variance_wording, word

# -- descriptives ----------------------------------------------------------------------------

def descriptives_table(desc: pd.DataFrame, *, groups: Sequence[str] | None = None,
                       words: dict | None = None, digits: int = 1, mean_digits: int = 2,
                       weighted: bool = True, conf_level: float = 0.95,
                       design: DesignSettings | None = None, group_label: str = "Group",
                       name: str = "descriptives") -> Table:
    """% (categories) or mean (numbers) with CI by group, and unweighted n. A share is kept as
    the proportion of the result file (0-1, ``scale="proportion"``) and shown as a
    percentage; a mean as it is. The whole sample's rows (``pooled``, with two or more groups:
    :mod:`coprod.pipeline.descriptives`) are a column like a group's, named by ``words``, and
    the note says they are not an average of the groups."""
    if groups is None:
        groups = list(dict.fromkeys(desc["group"].astype(str))) if len(desc) else []
    columns = [Column(word(g, words), codes={"group": str(g)}) for g in groups]
    by_group = desc["group"].astype(str) if len(desc) else pd.Series(dtype=str)
    rows: list[tuple[Row, list[Cell]]] = [(Row("n (unweighted)", "term", {"measure": "n"}), [
        Cell("count", estimate=num(desc.loc[by_group == g, "group_n"].max()), scale="n")
        for g in groups])]
    for var in dict.fromkeys(desc["variable"]) if len(desc) else []:
        sub = desc[desc["variable"] == var]
        label = sub["label"].iloc[0]
        if (sub["stat"] == "mean").all():
            rows.append((Row(f"{label}, mean", "term", {"variable": str(var)}),
                         _desc_cells(sub, groups)))
            continue
        rows.append((Row(f"{label}, %", "variable", {"variable": str(var)}),
                     [Cell() for _ in groups]))
        for level in dict.fromkeys(sub["level"]):
            rows.append((Row(str(level), "level", {"variable": str(var), "level": str(level)}),
                         _desc_cells(sub[sub["level"] == level], groups)))
    pct, ci = f"{conf_level:.0%}", variance_wording(design)["ci"]
    everyone = word(POOLED, words)
    whole = (f" {everyone[:1].upper() + everyone[1:]}: the whole sample, estimated on the "
             f"whole design (not an average of the {lower_word(group_label)} columns)."
             if POOLED in groups else "")
    return build(name, f"{word('respondents', words).capitalize()} by {lower_word(group_label)}: "
                       f"{'weighted ' if weighted else ''}% or mean [{pct} CI]",
                 columns, rows, stub_head="", digits=mean_digits,
                 scale_digits={"proportion": digits, "mean": mean_digits},
                 notes=(f"{'Weighted p' if weighted else 'P'}ercentages (categories) or means "
                        f"(numbers) with {pct} {ci} confidence intervals; n is unweighted. The "
                        f"tidy data file holds the percentages as proportions (0 to 1).{whole}",))


def _desc_cells(sub: pd.DataFrame, groups: Sequence[str]) -> list[Cell]:
    cells = []
    for g in groups:
        hit = sub[sub["group"].astype(str) == str(g)]
        if not len(hit):
            cells.append(Cell("na"))
            continue
        r = hit.iloc[0]
        share = r["stat"] == "percent"
        cells.append(Cell("estimate", estimate=num(r["estimate"]), conf_low=num(r["conf_low"]),
                          conf_high=num(r["conf_high"]),
                          scale="proportion" if share else "mean",
                          show="percent" if share else ""))
    return cells


# -- the contrast test -----------------------------------------------------------------------

def contrast_table(contrast: pd.DataFrame, *, samples: list[str], words: dict | None = None,
                   digits: int = 2, use_stars: bool = False,
                   per: Mapping[str, float] | None = None,
                   outcomes: Sequence[str] = (), name: str = "contrast",
                   caption: str = "") -> Table:
    """The difference of each coefficient between the two compared outcomes, per covariate
    level and sample: kept on the log-odds scale (the contrast file's), shown as the ratio of
    the two odds ratios (as the claims table shows it). ``per`` ({variable: k}): the
    differences of those variables are per k units already (:func:`per_difference`).
    ``outcomes``: (first, second), the second minus the first (the columns' codes)."""
    c = tidy_contrast(contrast) if len(contrast) else tidy_contrast(pd.DataFrame())
    per = dict(per or {})
    pair = ({"outcome": str(outcomes[1]), "compared_with": str(outcomes[0])}
            if len(outcomes) == 2 else {})
    columns = [Column(word(s, words), codes={"sample": str(s), **pair}) for s in samples]
    terms = c[(c["kind"] == "term") & (c["term"] != "") & (c["term"] != "Intercept")]
    rows: list[tuple[Row, list[Cell]]] = []
    for term in dict.fromkeys(terms["term"]):
        first = terms[terms["term"] == term].iloc[0]
        var, level = first["variable"], first["level"]
        k = per.get(var) if not level else None
        cells = []
        for s in samples:
            hit = terms[(terms["sample"] == s) & (terms["term"] == term)]
            done = c[(c["sample"] == s) & (c["status"] != "failed")]
            if not len(hit) and len(done):  # not a term of this sample's model (a group's own
                cells.append(Cell())        # model has no group effects): blank, not a dash
            elif not len(hit) or hit["status"].iloc[0] == "failed":
                cells.append(Cell("na"))
            else:
                r = hit.iloc[0]
                cells.append(Cell("estimate", estimate=num(r["estimate"]),
                                  conf_low=num(r["conf_low"]), conf_high=num(r["conf_high"]),
                                  p_value=num(r["p_value"]), scale="log_odds_difference",
                                  show="exp", null=1.0, per=float(k) if k else None))
        codes = {"term": str(term), "variable": str(var), **({"level": level} if level else {})}
        rows.append((Row(first["label"] or term, "term", codes), cells))
    joint = c[c["kind"] == "joint"]
    if "df_num" in joint.columns:  # a 1-df joint test repeats its term's row: keep the others
        joint = joint[pd.to_numeric(joint["df_num"], errors="coerce").fillna(2) > 1]
    named = joint["label"].where(joint["label"] != "", joint["term"])
    for test in dict.fromkeys(named):
        cells = []
        for s in samples:
            hit = joint[(joint["sample"] == s) & (named == test)]
            done = c[(c["sample"] == s) & (c["status"] != "failed")]
            if not len(hit):
                cells.append(Cell() if len(done) else Cell("na"))
                continue
            r = hit.iloc[0]
            cells.append(Cell("test", p_value=num(r["p_value"]), statistic=num(r["statistic"]),
                              df_num=num(r.get("df_num")),
                              df_den=num(r.get("df_resid", r.get("df_den"))), scale="F"))
        rows.append((Row(f"Joint test{': ' + test if test else ''}", "test",
                         {"test": str(test)}), cells))
    failed = {s: c.loc[(c["sample"] == s) & (c["status"] == "failed"), "message"]
              for s in samples}
    if any(len(v) for v in failed.values()):
        rows.append((Row("Status", "foot", {"measure": "status"}),
                     [Cell("text", text=f"failed: {failed[s].iloc[0]}" if len(failed[s])
                           else "ok") for s in samples]))
    return build(name, caption, columns, rows, digits=digits, stars=use_stars)


def per_difference(con: pd.DataFrame, labels: dict, per: dict | None,
                   words: dict | None = None) -> pd.DataFrame:
    """The contrast test's differences of a numeric covariate in ``per`` ({variable: k}) per k
    units (differences, their SEs and intervals times k; t and p unchanged), as the model
    tables show its odds ratios; for display only."""
    if not per or not len(con) or not {"variable", "term"} & set(con.columns):
        return con
    out = con.copy()
    terms = out["term"] if "term" in out.columns else pd.Series("", index=out.index)
    parts = terms.fillna("").astype(str).map(term_names)
    variable = out["variable"].fillna("").astype(str) if "variable" in out.columns \
        else parts.str[0]
    level = out["level"].fillna("").astype(str) if "level" in out.columns else parts.str[1]
    for var, k in per.items():
        rows = (variable == var) & (level == "")
        if "kind" in out.columns:
            rows &= out["kind"].astype(str) != "joint"
        for col in ("difference", "std_error", "conf_low", "conf_high", "estimate_a",
                    "std_error_a", "estimate_b", "std_error_b"):
            if col in out.columns:
                out.loc[rows, col] = out.loc[rows, col] * float(k)
        if "label" in out.columns:
            out.loc[rows, "label"] = f"{word(var, words, labels)}, per {k:g}"
    return out


def contrast_file_table(contrast, contrast_outcomes, labels: dict, words: dict, *,
                        conf_level: float, digits: int, use_stars: bool,
                        per: dict | None = None, design: DesignSettings | None = None,
                        name: str = "contrast") -> Table:
    """The tables rule's contrast table, with its caption and note, from models/contrast.csv."""
    a, b = contrast_outcomes
    second, first = labels.get(b, b), lower_word(labels.get(a, a))  # second minus first
    con = per_difference(read_results(contrast, "contrast"), labels, per, words)
    samples = list(dict.fromkeys(con["sample"].astype(str))) if len(con) else []
    table = contrast_table(con, samples=samples, words=words, digits=digits,
                           use_stars=use_stars, per=per, outcomes=(a, b), name=name,
                           caption=f"Contrast test: {second} vs {first}, ratio of the odds "
                                   "ratios")
    v = variance_wording(design)
    seen = table.occurring()
    return table.with_notes(" ".join(p for p in [
        f"The odds ratio for {second} divided by the odds ratio for {first} (the exponent of "
        f"the difference between their coefficients), with {conf_level:.0%} confidence "
        f"intervals from one model of both outcomes ({v['se']}); above 1, the covariate goes "
        f"with {second} more strongly than with {first}. The tidy data file holds the "
        "differences on the log-odds scale.",
        "Joint tests: the p-value of the F test that all the differences of the named terms "
        "are zero." if "test" in seen else "",
        marks_note(table, use_stars=use_stars, conf_level=conf_level,
                   scale="ratio of odds ratios")] if p))


# -- cleaning --------------------------------------------------------------------------------

def cleaning_table(summary: pd.DataFrame, words: dict | None = None,
                   group_label: str = "Group", name: str = "cleaning") -> Table:
    """The cleaning summary: one row per group, its counts in words (the first column: the
    groups)."""
    cols = list(summary.columns[1:])
    heads = ["Dropped: " + c[len("dropped_"):].replace("_", " ") if c.startswith("dropped_")
             else word(c, words).capitalize() for c in cols]

    def cell(v) -> Cell:
        if v is True or v is False or v in ("True", "False"):
            return Cell("text", text="yes" if v in (True, "True") else "no")
        if isinstance(v, (int, float, np.integer, np.floating)):
            return Cell("count", estimate=num(v), scale="n")
        return Cell("text", text=str(v))

    rows = [(Row(str(r.iloc[0]), "term", {"group": str(r.iloc[0])}),
             [cell(r[c]) for c in cols]) for _, r in summary.iterrows()]
    return build(name, "Cleaning: rows read, dropped by reason and kept",
                 [Column(h, codes={"measure": c}) for h, c in zip(heads, cols)], rows,
                 stub_head=group_label)
