"""Which covariate matters most: the one rule, stated once, and the sentence that reports it.

Why one rule: a covariate's |t| measures how precisely its coefficient is estimated, not how
much the outcome changes with it, and a factor's best level is not the factor. The key
findings, the findings check (``strongest: true`` claims) and the specification curve all
read the same per-fit table (results/models/effects.csv, computed by
:mod:`coprod.effectsize` at the model stage), so they cannot contradict each other. This
module holds what they share without the estimation code: the rule in plain words
(:data:`EFFECT_RULE`, printed in the report), the verdict names, and :func:`strongest_summary`.
"""
from __future__ import annotations

import math

import pandas as pd

from .wording import fmt, model_rows, outcome_words, word

#: the columns of results/models/effects.csv (code columns, full precision)
EFFECT_COLUMNS = ["outcome", "sample", "variable", "label", "kind", "scale", "sd", "effect",
                  "std_error", "conf_low", "conf_high", "rank", "diff", "diff_low", "diff_high",
                  "verdict", "note"]
#: the verdict of each covariate: the top one is "strongest" or "similar"
EFFECT_VERDICTS = ("strongest", "similar", "smaller", "not compared")
#: the scale of the effect by model family
SCALES = {"logit": "probability", "count": "expected count",
          "ordinal": "probability of the highest category"}

EFFECT_RULE = (
    "Which covariate matters most. Each covariate's effect size is the change in the "
    "probability of the outcome, in percentage points, that goes with one standard deviation "
    "of the covariate, averaged over the model's respondents. For a number it is its average "
    "marginal effect times its (weighted) standard deviation among the model's respondents. A "
    "categorical covariate is taken as a whole, never by its best category: its size is the "
    "standard deviation across respondents of the change in probability its categories make "
    "(each category's average predicted probability, with everyone set to it, weighted by the "
    "category's share; the shares are treated as fixed). For a yes/no covariate this is the "
    "number rule applied to its 0/1 indicator, so it is one rule for both. The covariate with "
    "the largest size is compared with each other one, each difference of sizes tested in the "
    "same model (delta method, the design's covariance, {pct} intervals): it is called the "
    "strongest only when every difference is clearly above 0; covariates it cannot be told "
    "apart from are similar. Group fixed effects are never candidates, and a model flagged for "
    "separation or non-convergence compares nothing. Count models use the change in the "
    "expected count (units, not points); ordinal models the change in the probability of the "
    "highest category.")


def effect_rule(conf_level: float = 0.95) -> str:
    """The rule in plain words, with the confidence level filled in."""
    return EFFECT_RULE.format(pct=f"{conf_level:.0%}")


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

    def label(r) -> str:
        text = str(r["label"]) if isinstance(r["label"], str) and r["label"] else \
            word(r["variable"], None, labels)
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


def is_zero(x: float) -> bool:
    """A factor's size too close to 0 for its gradient (that of a square root) to exist."""
    return not math.isfinite(x) or abs(x) < 1e-12
