"""Which covariate matters most: the one rule, stated once, and the sentence that reports it.

Why one rule: a covariate's |t| measures how precisely its coefficient is estimated, not how
much the outcome changes with it, and a factor's best level is not the factor. The key
findings, the findings check (``strongest: true`` claims) and the specification curve all
read the same per-fit table (results/models/effects.csv, computed by
:mod:`coprod.pipeline.effectsize` at the model stage), so they cannot contradict each other. This
module holds what they share without the estimation code: the rule in plain words
(:data:`EFFECT_RULE`, printed in the report), the verdict names, and :func:`strongest_summary`.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .vocab import fmt, model_rows, outcome_words, word

#: the columns of results/models/effects.csv (code columns, full precision)
EFFECT_COLUMNS = ["outcome", "sample", "variable", "label", "kind", "scale", "sd", "effect",
                  "std_error", "conf_low", "conf_high", "rank", "diff", "diff_low", "diff_high",
                  "verdict", "note"]
#: the verdict of each covariate: the top one is "strongest" or "similar"
EFFECT_VERDICTS = ("strongest", "similar", "smaller", "not compared")
#: the scale of the effect by model family
SCALES = {"logit": "probability", "count": "expected count",
          "ordinal": "probability of the highest category"}

#: the rule in the words the report prints (once, in the Methods): what the effects table
#: computes and every "strongest" verdict and the answer box read
EFFECT_RULE = (
    "Which covariate matters most is judged on one scale: the change in the probability of the "
    "outcome, in percentage points, that goes with one standard deviation of the covariate "
    "(for a category, the spread of the probability across its levels, weighted by how common "
    "each level is), averaged over the respondents. The covariate with the largest change is "
    "called the strongest only when its difference from every other covariate is clear (the "
    "confidence interval of the difference excludes 0); otherwise the covariates it cannot be "
    "told apart from are named with it. The size of a test statistic is never used: it "
    "measures precision, not importance. A category is compared as a whole, never by its "
    "largest level (for a yes/no one the spread is the change times the standard deviation "
    "of its 0/1 indicator, so it is one rule for numbers and categories; the levels' shares "
    "are taken as fixed); a category is called the strongest only when the test that its "
    "levels differ at all rejects too (its spread adds every level's noise, so a category of "
    "many levels and no effect would otherwise look large; on imputed data, where that test "
    "is not combined, a category is never called the strongest, only the largest); the group "
    "fixed effects are never candidates; a model flagged for "
    "separation or non-convergence compares nothing. Count models use the change in the "
    "expected count (units, not points), ordinal models the change in the probability of the "
    "highest category.")


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _size(r, digits: int, interval: bool = True) -> str:
    """'12 points per SD (15.2) [9, 15]' (a number) or '5 points [3, 7]' (a category)."""
    count = r["scale"] == SCALES["count"]
    k = 100.0 if not count else 1.0
    d = digits if not count else digits + 2
    unit = "" if count else " points"
    est = fmt(abs(r["effect"]) * k if r["kind"] == "factor" else r["effect"] * k, d)
    text = f"{est}{unit}"
    if r["kind"] == "numeric":
        text += f" per SD ({r['sd']:.3g})"
    else:
        text += " across its categories"
    if interval and not (pd.isna(r["conf_low"]) or pd.isna(r["conf_high"])):
        text += f" [{fmt(r['conf_low'] * k, d)}, {fmt(r['conf_high'] * k, d)}]"
    return text


def strongest_summary(effects: pd.DataFrame, outcome: str, sample: str, *, labels: dict,
                      words: dict, digits: int = 0) -> dict:
    """Which covariate goes with the largest change in one model, in one plain sentence.

    Returns ``{"top": [variable codes of the strongest covariate, or of the set that cannot be
    told apart from the top], "sentence": plain text (not HTML), "rows": the model's rows}``.
    The sentence never mentions |t|: it gives the sizes by :data:`EFFECT_RULE`.
    """
    rows = model_rows(effects, outcome, sample) if len(effects) else effects
    name = str(labels.get(outcome) or outcome_words(outcome, words, labels))
    head = f"In the {word(sample, words)} model of {name[:1].lower() + name[1:]}"
    if not len(rows):
        return {"top": [], "rows": rows, "sentence": f"{head}, the covariates' effect sizes "
                "are not compared: the model has none (it failed, or has no covariate)."}
    rows = rows.sort_values("rank", kind="stable", na_position="last")
    compared = rows[rows["verdict"] != "not compared"]
    scale = str(rows["scale"].iloc[0])
    what = {"probability": "", SCALES["count"]: " in the expected count",
            SCALES["ordinal"]: " in the probability of the highest category"}.get(scale, "")
    if not len(compared) or compared["verdict"].iloc[0] not in ("strongest", "similar"):
        reason = str(rows["note"].iloc[0]) or "no covariate could be compared"
        return {"top": [], "rows": rows,
                "sentence": f"{head}, the covariates' effect sizes are not compared: {reason}."}

    def label(r) -> str:  # the codebook's label, else the report's words for the name
        own = r["label"] if isinstance(r["label"], str) else ""
        text = own if own and own != str(r["variable"]) else word(r["variable"], words, labels)
        return text[:1].lower() + text[1:] if text[1:2].islower() else text

    top = compared.iloc[0]
    if top["verdict"] == "strongest":
        others = compared.iloc[1:]
        closest = others.sort_values("diff", kind="stable").iloc[0]
        # one decimal more for the difference: an end near 0 must not read as 0
        d = digits + 1 if scale != SCALES["count"] else digits + 3
        k = 100.0 if scale != SCALES["count"] else 1.0
        sentence = (f"{head}, {label(top)} goes with the largest change{what}: "
                    f"{_size(top, digits)}; clearly larger than every other covariate (the "
                    f"closest, {label(closest)}, by {fmt(closest['diff'] * k, d)} "
                    f"[{fmt(closest['diff_low'] * k, d)}, {fmt(closest['diff_high'] * k, d)}]).")
        return {"top": [str(top["variable"])], "rows": rows, "sentence": sentence}
    similar = pd.concat([top.to_frame().T, compared[compared["verdict"] == "similar"].iloc[1:]])
    names = [label(r) for _, r in similar.iterrows()]
    sizes = "; ".join(f"{label(r)} {_size(r, digits)}" for _, r in similar.iterrows())
    diff = "the difference cannot" if len(names) == 2 else "the differences cannot"
    sentence = (f"{head}, {_and(names)} go with the largest changes{what} (similar: {diff} "
                f"be told apart): {sizes}.")
    return {"top": [str(v) for v in similar["variable"]], "rows": rows, "sentence": sentence}


def strongest_verdict(variable: str, effects: pd.DataFrame | None) -> tuple[str, str]:
    """Is ``variable`` the strongest covariate of its model by the rule of
    :data:`coprod.pipeline.effectrule.EFFECT_RULE`? ``effects``: that model's rows of the effects
    table
    (its verdicts are the rule's). supported: it is the strongest; contradicted: the largest
    is clearly larger than it; inconclusive: it cannot be told apart from the largest."""
    if effects is None or not len(effects):
        return "not estimated", "no effect sizes for this model (results/models/effects.csv)"
    mine = np.flatnonzero((effects["variable"].astype(str) == variable).to_numpy())
    if not len(mine):
        return "not estimated", f"{variable} has no effect size in this model"
    r = effects.iloc[mine[0]]
    count = str(r["scale"]) == SCALES["count"]

    def size(x, unit: bool = True) -> str:
        return f"{x:.2f}" if count else f"{x * 100:.1f}" + (" points" if unit else "")

    if r["verdict"] == "not compared":
        return "not estimated", f"effect sizes not compared: {r['note']}"
    # the compared rows by rank (and, below, the others by difference) as sort_values orders
    # them, found as positions: the rows themselves taken one by one
    order = _by(effects, np.flatnonzero((effects["verdict"] != "not compared").to_numpy()),
                "rank")
    ranked = [effects.iloc[i] for i in order]
    top = ranked[0]
    name = str(top["label"] or top["variable"])
    if r["verdict"] == "strongest":
        closest = effects.iloc[_by(effects, order[1:], "diff")[0]]
        return "supported", (f"the largest change per SD ({size(abs(r['effect']))}), clearly "
                             f"larger than every other covariate; the closest is "
                             f"{closest['label'] or closest['variable']} (difference "
                             f"{size(closest['diff'])} [{size(closest['diff_low'], False)}, "
                             f"{size(closest['diff_high'], False)}])")
    if r["verdict"] == "smaller":
        return "contradicted", (f"{name} goes with a clearly larger change per SD "
                                f"({size(abs(top['effect']))} against {size(abs(r['effect']))};"
                                f" difference {size(r['diff'])} [{size(r['diff_low'], False)}, "
                                f"{size(r['diff_high'], False)}])")
    if str(top["variable"]) == variable:
        alike = ", ".join(str(x["label"] or x["variable"]) for x in ranked[1:]
                          if x["verdict"] == "similar")
        return "inconclusive", (f"the largest change per SD ({size(abs(r['effect']))}), but it "
                                f"cannot be told apart from: {alike}")
    return "inconclusive", (f"{name} goes with the largest change per SD "
                            f"({size(abs(top['effect']))}); this covariate's "
                            f"({size(abs(r['effect']))}) cannot be told apart from it")


def _by(table: pd.DataFrame, rows: np.ndarray, column: str) -> np.ndarray:
    """The positions ``rows`` of ``table`` in the order ``sort_values(column, kind="stable")``
    puts those rows in (the same sort of the same values: missing last, ties as they come)."""
    values = pd.Series(table[column].array[rows])  # (the column's own dtype)
    return rows[values.sort_values(kind="stable").index.to_numpy()]


def is_zero(x: float) -> bool:
    """A factor's size too close to 0 for its gradient (that of a square root) to exist."""
    return not math.isfinite(x) or abs(x) < 1e-12
