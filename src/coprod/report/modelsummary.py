"""Display tables about the models as a whole: who is in them, how each one went, and their
average marginal effects.

Why here: the report must account for every respondent (read -> kept -> in each model, with the
exclusions by variable) and every model (the flagged and failed ones with their reasons), and
show the effects on the probability scale that readers without odds ratios understand. Each
function turns tidy result tables into one display table (``variable``/``level`` stub or a first
stub column), rendered like every other table (:mod:`coprod.report.tables`).
"""
from __future__ import annotations

import pandas as pd

from .wording import NA, excluded_pairs, fit_row, fmt_ci, fmt_count, outcome_words, word


def _excluded_words(pairs, words: dict | None, labels: dict | None) -> str:
    """[('age', '7'), ('self_efficacy', '428')] -> 'Age (years) 7, Self-efficacy (1-4) 428'."""
    return ", ".join(f"{word(name, words, labels)} {n}" for name, n in pairs if n)


def sample_flow_table(summary: pd.DataFrame, fit: pd.DataFrame, *, sample: str,
                      outcomes: list[str], group_column: str, words: dict | None = None,
                      labels: dict | None = None,
                      excluded: pd.DataFrame | None = None) -> pd.DataFrame:
    """The analytic sample: rows read, dropped by reason and kept (per group, from the cleaning
    summary; only ``sample``'s group when it is one), then the respondents in each model of
    ``sample`` and who was excluded for which missing variable (``excluded``: the excluded
    table, results/models/excluded.csv; a respondent may miss several)."""
    if len(summary) and str(sample) in set(summary[group_column].astype(str)):
        summary = summary[summary[group_column].astype(str) == str(sample)]
    groups = [str(g) for g in summary[group_column]] if len(summary) else []
    per = lambda col: ", ".join(  # noqa: E731
        f"{g} {fmt_count(v)}" for g, v in zip(groups, summary[col]))
    rows = [{"Step": "Rows read", "Respondents": fmt_count(summary["read"].sum()),
             "Detail": per("read")}]
    for col in [c for c in summary.columns if c.startswith("dropped_")]:
        total = int(summary[col].sum())
        rows.append({"Step": "Dropped: " + col.removeprefix("dropped_").replace("_", " "),
                     "Respondents": fmt_count(total), "Detail": per(col) if total else ""})
    rows.append({"Step": "Kept (the clean table)", "Respondents": fmt_count(summary["kept"].sum()),
                 "Detail": per("kept")})
    for o in outcomes:
        r = fit_row(fit, o, sample)
        if r is None:
            continue
        n = NA if r["status"] == "failed" else fmt_count(r.get("n"))
        gone = _excluded_words(excluded_pairs(excluded, o, sample), words, labels)
        rows.append({"Step": f"In the model: {outcome_words(o, words, labels)} "
                             f"({word(sample, words)})", "Respondents": n,
                     "Detail": (f"{fmt_count(r.get('n_excluded_missing'))} excluded for a "
                                f"missing value: {gone}") if gone else ""})
    out = pd.DataFrame(rows, columns=["Step", "Respondents", "Detail"])
    out.attrs["foot"] = 0
    return out


def model_status_table(fit: pd.DataFrame, *, words: dict | None = None,
                       labels: dict | None = None) -> pd.DataFrame:
    """Every model that is not plainly ok, with its status and the reason (the others are
    counted in the caption); a failed model is never shown as numbers elsewhere."""
    bad = fit[fit["status"] != "ok"] if len(fit) else fit
    rows = [{"Model": f"{outcome_words(r['outcome'], words, labels)} "
                      f"({word(r['sample'], words)})",
             "Status": r["status"], "Reason": "" if pd.isna(r["message"]) else r["message"]}
            for _, r in bad.iterrows()]
    out = pd.DataFrame(rows, columns=["Model", "Status", "Reason"])
    out.attrs["foot"] = 0
    return out


def ame_table(ame: pd.DataFrame, fit: pd.DataFrame, *, sample: str, outcomes: list[str],
              covariates: list[str], words: dict | None = None, labels: dict | None = None,
              digits: int = 1) -> pd.DataFrame:
    """Average marginal effects in percentage points [CI], one row per covariate contrast
    (a level against the reference, or one unit more of a number), one column per outcome."""
    heads = [outcome_words(o, words, labels) for o in outcomes]
    sub = ame[(ame["sample"].astype(str) == str(sample)) & ame["outcome"].isin(outcomes)] \
        if len(ame) else ame
    failed = {o for o in outcomes
              if (r := fit_row(fit, o, sample)) is not None and r["status"] == "failed"}
    rows = []
    order = [c for c in covariates if c in set(sub["variable"])] + \
        [v for v in dict.fromkeys(sub["variable"]) if v not in covariates]
    for var in order:
        contrasts = list(dict.fromkeys(sub.loc[sub["variable"] == var, "contrast"]))
        name = word(var, words, labels)
        several = len(contrasts) > 1 or contrasts != ["per unit"]
        if several:
            rows.append({"variable": name, "level": "", **{h: "" for h in heads}})
        for c in contrasts:
            cells = {}
            for o, h in zip(outcomes, heads):
                hit = sub[(sub["variable"] == var) & (sub["contrast"] == c)
                          & (sub["outcome"] == o)]
                if o in failed or not len(hit):
                    cells[h] = NA
                    continue
                r = hit.iloc[0]
                cells[h] = fmt_ci(100 * r["estimate"], 100 * r["conf_low"], 100 * r["conf_high"],
                                  digits)
            rows.append({"variable": name, "level": c if several else "", **cells})
    out = pd.DataFrame(rows, columns=["variable", "level", *heads])
    out.attrs["foot"] = 0
    return out
