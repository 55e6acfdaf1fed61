"""Tables about the models as a whole: who is in them, how each one went, and their average
marginal effects, as :class:`~coprod.report.tablemodel.Table` s.

Why here: the report must account for every respondent (read -> kept -> in each model, with the
exclusions by variable) and every model (the flagged and failed ones with their reasons), and
show the effects on the probability scale that readers without odds ratios understand. Each
function turns tidy result tables into one table, rendered like every other
(:mod:`coprod.report.tablefiles`, :mod:`coprod.report.tablehtml`).
"""
from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from .tablemodel import Cell, Column, Row, Table, build
from .wording import (  # noqa: F401 (NA and fmt_ci: named here before)
    NA,
    excluded_pairs,
    fit_row,
    fmt_ci,
    fmt_count,
    marks_note,
    num,
    outcome_words,
    per_ame,
    word,
)


def _excluded_words(pairs, words: dict | None, labels: dict | None) -> str:
    """[('age', '7'), ('self_efficacy', '428')] -> 'Age (years) 7, Self-efficacy (1-4) 428'."""
    return ", ".join(f"{word(name, words, labels)} {n}" for name, n in pairs if n)


def sample_flow_table(summary: pd.DataFrame, fit: pd.DataFrame, *, sample: str,
                      outcomes: list[str], group_column: str, words: dict | None = None,
                      labels: dict | None = None, name: str = "sample_flow",
                      excluded: pd.DataFrame | None = None) -> Table:
    """The analytic sample: rows read, dropped by reason and kept (per group, from the cleaning
    summary; only ``sample``'s group when it is one), then the respondents in each model of
    ``sample`` and who was excluded for which missing variable (``excluded``: the excluded
    table, results/models/excluded.csv; a respondent may miss several). The exclusions every
    model shares are said once, in the note; a model's row names only its own."""
    if len(summary) and str(sample) in set(summary[group_column].astype(str)):
        summary = summary[summary[group_column].astype(str) == str(sample)]
    groups = [str(g) for g in summary[group_column]] if len(summary) else []
    per = lambda col: ", ".join(  # noqa: E731
        f"{g} {fmt_count(v)}" for g, v in zip(groups, summary[col]))

    def count(x) -> Cell:
        return Cell("count", estimate=num(x), scale="n")

    rows = [(Row("Rows read", codes={"step": "read"}),
             [count(summary["read"].sum()), Cell("text", text=per("read"))])]
    for col in [c for c in summary.columns if c.startswith("dropped_")]:
        total = int(summary[col].sum())
        rows.append((Row("Dropped: " + col.removeprefix("dropped_").replace("_", " "),
                         codes={"step": col}),
                     [count(total), Cell("text", text=per(col) if total else "")]))
    rows.append((Row("Kept (the clean table)", codes={"step": "kept"}),
                  [count(summary["kept"].sum()), Cell("text", text=per("kept"))]))
    models = [(o, r) for o in outcomes if (r := fit_row(fit, o, sample)) is not None]
    gone = {o: pairs for o, _ in models if (pairs := excluded_pairs(excluded, o, sample))}
    common = [p for p in next(iter(gone.values()), []) if all(p in v for v in gone.values())] \
        if len(gone) > 1 else []
    for o, r in models:
        own = [p for p in gone.get(o, []) if p not in common]
        detail = ""
        if o in gone:
            detail = f"{fmt_count(r.get('n_excluded_missing'))} excluded for a missing value"
            if own:
                detail += ("; besides those in the note: " if common else ": ") + \
                    _excluded_words(own, words, labels)
        rows.append((Row(f"In the model: {outcome_words(o, words, labels)}",
                         codes={"step": "model", "outcome": str(o), "sample": str(sample)}),
                     [Cell("na") if r["status"] == "failed" else count(r.get("n")),
                      Cell("text", text=detail)]))
    note = (f"Excluded for a missing value, in every model: "
            f"{_excluded_words(common, words, labels)}." if common else "")
    return build(name, f"The analytic sample: from the rows read to each model "
                       f"({word(sample, words)})",
                 [Column("Respondents", codes={"measure": "n"}),
                  Column("Detail", codes={"measure": "detail"})], rows, stub_head="Step",
                 notes=(note,) if note else ())


def model_status_table(fit: pd.DataFrame, *, words: dict | None = None,
                       labels: dict | None = None, name: str = "model_status") -> Table:
    """Every model that is not plainly ok, with its status and the reason (the others are
    counted in the caption); a failed model is never shown as numbers elsewhere."""
    bad = fit[fit["status"] != "ok"] if len(fit) else fit
    rows = [(Row(f"{outcome_words(r['outcome'], words, labels)} ({word(r['sample'], words)})",
                 codes={"outcome": str(r["outcome"]), "sample": str(r["sample"])}),
             [Cell("text", text=str(r["status"])),
              Cell("text", text="" if pd.isna(r["message"]) else str(r["message"]))])
            for _, r in bad.iterrows()]
    return build(name, "Models flagged or failed, with the reason",
                 [Column("Status", codes={"measure": "status"}),
                  Column("Reason", codes={"measure": "message"})], rows, stub_head="Model")


def ame_table(ame: pd.DataFrame, fit: pd.DataFrame, *, sample: str, outcomes: list[str],
              covariates: list[str], words: dict | None = None, labels: dict | None = None,
              digits: int = 1, per: Mapping[str, float] | None = None,
              name: str = "ame", caption: str = "") -> Table:
    """Average marginal effects, one row per covariate contrast (a level against the
    reference, or one unit more of a number), one column per outcome. A cell keeps the
    difference of probabilities of ame.csv (0-1, ``scale="probability_difference"``) and shows
    it in percentage points. ``per`` (report.per, {variable: k}): a number's effect per k
    units (the cell says ``per=k``)."""
    per = dict(per or {})
    if per and len(ame):
        ame, labels = per_ame(ame, dict(labels or {}), per, words)
    sub = ame[(ame["sample"].astype(str) == str(sample)) & ame["outcome"].isin(outcomes)] \
        if len(ame) else ame
    failed = {o for o in outcomes
              if (r := fit_row(fit, o, sample)) is not None and r["status"] == "failed"}
    variables = set(sub["variable"]) if len(sub) else set()
    order = [c for c in covariates if c in variables] + \
        [v for v in dict.fromkeys(sub["variable"] if len(sub) else []) if v not in covariates]
    rows: list[tuple[Row, list[Cell]]] = []
    for var in order:
        contrasts = list(dict.fromkeys(sub.loc[sub["variable"] == var, "contrast"]))
        label = word(var, words, labels)
        several = len(contrasts) > 1 or contrasts != ["per unit"]
        if several:
            rows.append((Row(label, "variable", {"variable": str(var)}),
                         [Cell() for _ in outcomes]))
        for c in contrasts:
            k = per.get(var) if c == "per unit" else None
            cells = []
            for o in outcomes:
                hit = sub[(sub["variable"] == var) & (sub["contrast"] == c)
                          & (sub["outcome"] == o)]
                if o in failed or not len(hit):
                    cells.append(Cell("na"))
                    continue
                r = hit.iloc[0]
                cells.append(Cell("estimate", estimate=num(r["estimate"]),
                                  conf_low=num(r["conf_low"]), conf_high=num(r["conf_high"]),
                                  p_value=num(r.get("p_value")),
                                  scale="probability_difference", show="percent", null=0.0,
                                  per=float(k) if k else None))
            rows.append((Row(str(c) if several else label, "level" if several else "term",
                             {"variable": str(var), "contrast": str(c)}), cells))
    columns = [Column(outcome_words(o, words, labels), codes={"outcome": str(o),
                                                               "sample": str(sample)})
               for o in outcomes]
    return build(name, caption, columns, rows, digits=digits)


def ame_file_table(ame: pd.DataFrame, fit: pd.DataFrame, *, outcomes: list[str], sample: str,
                   covariates: list[str], words: dict | None = None,
                   labels: dict | None = None, per: Mapping[str, float] | None = None,
                   conf_level: float = 0.95, source: str = "") -> Table:
    """The tables rule's average-marginal-effects table, with its caption and note."""
    table = ame_table(ame, fit, sample=sample, outcomes=outcomes, covariates=covariates,
                      words=words, labels=labels, per=per,
                      caption=f"Average marginal effects in percentage points "
                              f"({word(sample, words)})")
    return table.with_notes(
        "The change in the probability of each outcome, in percentage points, averaged over "
        "the respondents, for the level against the reference level or one unit more of a "
        f"number{' (or as many as its row says)' if per else ''}, with {conf_level:.0%} "
        "confidence intervals (delta method, the same design). The tidy data file holds the "
        "changes as differences of probabilities (0 to 1)."
        + (f" From {source}." if source else ""),
        marks_note(table, use_stars=False, conf_level=conf_level,
                   scale="percentage-point difference"))
