"""The answer box: who co-produces, and what goes with more or less of it, in plain words.

Why its own module: the answer is the one part of the report a reader may read alone, so every
sentence in it follows a rule stated here once, from the result tables and the config's words,
for any survey (the bundled one, NHANES, a user's own):

* **Who.** Each compared outcome's share of respondents in the whole sample, and in the lowest
  and highest group (``descriptives/prevalence.csv``; weighted when the design is); the whole
  sample's row is never a group's.
* **What goes with it.** In the models of the figures' sample, each covariate whose average
  marginal effect has a confidence interval that excludes 0, in percentage points with its
  interval: a number per one standard deviation (``models/effects.csv``) or per unit when that
  table is absent; a level of a category against the reference level. The group fixed effects
  are never listed; covariates whose every interval includes 0 are named as "not clearly
  related" (absence of evidence, not evidence of absence).
* **What matters most.** Only by the one rule of ``models/effects.csv``: the change in
  percentage points that goes with one standard deviation of each covariate (a category as a
  whole), the top one said to be the largest only when its difference from every other is
  clear, otherwise the covariates it cannot be told apart from are named with it. Never |t|.
* **How robust.** Each published claim's share of estimable specifications and its verdict on
  imputed data (``tables/findings_check.csv``), or a plain statement that no alternative
  analysis was run.
* **What failed.** A model of the answer that failed or was flagged is said, never shown as a
  number.

No statistical jargon reaches the box: no |t|, odds ratios, FMI or "domain" in the
statistical sense. Every string is HTML-escaped here (the box is HTML).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..pipeline.estimable import NOT_APPLICABLE, NOT_ESTIMATED
from .wording import (
    MINUS,
    POOLED,
    esc,
    lower_word,
    model_rows,
    model_status,
    outcome_words,
    word,
)


def points(x: float) -> str:
    """A change in probability (0-1) as signed percentage points with one decimal: '+9.1'."""
    v = float(x) * 100
    s = f"{abs(v):.1f}"
    if s == "0.0":
        return "0.0"
    return ("+" if v > 0 else MINUS) + s


def _interval(lo: float, hi: float) -> str:
    return f"[{points(lo).lstrip('+')} to {points(hi).lstrip('+')}]"


def _name(outcome: str, words: dict, labels: dict) -> str:
    return str(labels.get(outcome) or outcome_words(outcome, words, labels))


def who_sentence(prev: pd.DataFrame, compare: list[str], *, words: dict, labels: dict,
                 unit: str, weighted: bool) -> str:
    """'How common: Individual co-production: 67% of respondents in all countries (pooled),
    from 58% (FR) to 78% (DK); ...' (HTML). The whole sample's row (group ``pooled``, with two
    or more groups) gives the first share; the lowest and highest are the groups'."""
    parts = []
    for o in compare:
        p = prev[prev["outcome"] == o].dropna(subset=["estimate"]) if len(prev) else prev
        if not len(p):
            continue
        share = lambda r: f"{float(r['estimate']) * 100:.0f}%"  # noqa: E731
        name = f"<strong>{esc(_name(o, words, labels))}</strong>"
        whole = p[p["group"].astype(str) == POOLED]
        p = p[p["group"].astype(str) != POOLED]
        if len(p) <= 1:
            parts.append(f"{name}: {share((p if len(p) else whole).iloc[0])} of {esc(unit)}")
            continue
        lo, hi = p.loc[p["estimate"].idxmin()], p.loc[p["estimate"].idxmax()]
        everyone = esc(lower_word(word(POOLED, words)))
        low = (f"{share(whole.iloc[0])} of {esc(unit)} in {everyone}, from {share(lo)}"
               if len(whole) else f"from {share(lo)} of {esc(unit)}")
        parts.append(f"{name}: {low} ({esc(word(lo['group'], words))}) to {share(hi)} "
                     f"({esc(word(hi['group'], words))})")
    if not parts:
        return ""
    return ("How common" + (" (weighted)" if weighted else "") + ": " + "; ".join(parts) + ".")


def _numeric_phrase(label: str, row, per_sd) -> str:
    if per_sd is not None:
        sd = float(per_sd["sd"])
        return (f"higher {esc(lower_word(label))} ({points(per_sd['effect'])} points "
                f"{_interval(per_sd['conf_low'], per_sd['conf_high'])} per {sd:.3g} more, one "
                "standard deviation)")
    return (f"higher {esc(lower_word(label))} ({points(row['estimate'])} points per unit "
            f"{_interval(row['conf_low'], row['conf_high'])})")


def correlates_sentence(ame: pd.DataFrame, effects: pd.DataFrame | None, outcome: str,
                        sample: str, *, covariates: list[str], group_column: str | None,
                        words: dict, labels: dict) -> str:
    """'Individual co-production is more likely with ...; less likely with ...; not clearly
    related to ...' (HTML), from the average marginal effects of one model."""
    rows = model_rows(ame, outcome, sample) if len(ame) else ame
    if not len(rows):
        return ""
    rows = rows[rows["variable"].isin(covariates) & (rows["variable"] != group_column)]
    eff = (model_rows(effects, outcome, sample)
           if effects is not None and len(effects) else None)
    more: list[str] = []
    less: list[str] = []
    clear: set[str] = set()
    for r in rows.to_dict("records"):
        if not np.isfinite([r["estimate"], r["conf_low"], r["conf_high"]]).all():
            continue
        if r["conf_low"] <= 0 <= r["conf_high"]:
            continue
        clear.add(r["variable"])
        label = word(r["variable"], words, labels)
        if str(r.get("contrast", "")) == "per unit":
            sd = None
            if eff is not None and len(eff):
                hit = eff[(eff["variable"] == r["variable"]) & (eff["kind"] == "numeric")]
                sd = hit.iloc[0] if len(hit) and np.isfinite(hit.iloc[0]["effect"]) else None
            text = _numeric_phrase(label, r, sd)
        else:
            text = (f"{esc(lower_word(label))} {esc(r['contrast'])} ({points(r['estimate'])} "
                    f"points {_interval(r['conf_low'], r['conf_high'])})")
        (more if r["estimate"] > 0 else less).append(text)
    unclear = [word(v, words, labels) for v in dict.fromkeys(rows["variable"])
               if v not in clear]
    name = _name(outcome, words, labels)
    bits = []
    if more:
        bits.append("more likely with " + "; ".join(more))
    if less:
        bits.append("less likely with " + "; ".join(less))
    if not bits:
        bits.append("not clearly related to any covariate")
    held = (f", with {esc(lower_word(word(group_column, words, labels)))} held equal,"
            if group_column and len(ame) and (ame["variable"] == group_column).any() else "")
    text = f"<strong>{esc(name)}</strong>{held} is " + ", and ".join(bits) + "."
    if unclear and (more or less):
        text += " Not clearly related: " + esc(", ".join(lower_word(u) for u in unclear)) + "."
    return text


def _size(r) -> str:
    """An effect size in the unit of its scale (points of probability, or counts) and its
    kind's words: per standard deviation of a number, spread across a category's levels."""
    if str(r.get("scale", "")) == "expected count":
        size = f"{abs(float(r['effect'])):.2f} more or fewer counted"
    else:
        size = f"{abs(float(r['effect'])) * 100:.1f} points"
    if str(r.get("kind", "")) == "factor":
        return f"a spread of {size} across its levels"
    return f"{size} per standard deviation"


def strongest_sentence(effects: pd.DataFrame | None, outcome: str, sample: str, *,
                       words: dict, labels: dict) -> str:
    """What matters most for one outcome, by the one rule of
    :data:`coprod.pipeline.effectrule.EFFECT_RULE` (HTML);
    empty without the effect sizes. Said inside the outcome's own sentence."""
    if effects is None or not len(effects):
        return ""
    rows = model_rows(effects, outcome, sample)
    if not len(rows):
        return ""
    top = rows[rows["verdict"].isin(["strongest", "similar"])]
    if not len(top):
        why = next((str(n) for n in rows.get("note", pd.Series(dtype=object)).dropna()
                    if str(n)), "the model could not be compared")
        return f"What matters most cannot be said ({esc(why)})."
    top = top.sort_values("rank")
    if len(top) == 1 and top.iloc[0]["verdict"] == "strongest":
        r = top.iloc[0]
        rest = rows[(rows["variable"] != r["variable"]) & rows["rank"].notna()]
        rest = rest.sort_values("rank")
        nxt = (f" (next: {esc(lower_word(word(rest.iloc[0]['variable'], words, labels)))}, "
               f"{_size(rest.iloc[0])})" if len(rest) else "")
        return (f"What matters most: {esc(lower_word(word(r['variable'], words, labels)))} "
                f"({_size(r)}), clearly more than any other characteristic{nxt}.")
    names = [f"{esc(lower_word(word(r['variable'], words, labels)))} ({_size(r)})"
             for r in top.to_dict("records")]
    return ("What matters most: " + " and ".join(
        [", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
            + "; the data cannot tell them apart.")


def robustness_sentence(checked: pd.DataFrame | None, *, words: dict, labels: dict) -> str:
    """How far the published claims hold beyond the main model (HTML): each claim's share of
    estimable specifications, and whether the verdicts change on imputed answers; or that no
    alternative analysis was run."""
    if checked is None or not len(checked):
        return ("How robust: one model per outcome and sample; this report checks no "
                "published claim and runs no alternative analysis.")
    counts = checked["verdict"].value_counts()
    said = {"equivalent": "equivalent (no relation, as claimed)"}
    head = (f"How robust: of {len(checked)} published claims, "
            + ", ".join(f"{int(n)} {said.get(v, v)}" for v, n in counts.items())
            + " in the main models")
    specs = []
    for r in checked.to_dict("records"):
        n = r.get("spec_total")
        if n is None or pd.isna(n) or not n:
            continue
        est = r.get("spec_estimable", n)
        est = int(n) if est is None or pd.isna(est) else int(est)
        what = (f"{word(r['covariate'], words, labels)} \u2192 "
                f"{lower_word(_name(r['outcome'], words, labels))}")
        how = "no relation confirmed" if r.get("expected") == "none" else "supported"
        specs.append(f"{what}: {how} in {int(r['spec_supported'])} of {est}"
                     + (f" ({int(n) - est} could not be estimated)" if int(n) > est else ""))
    text = head
    if specs:
        text += "; across the alternative analyses that could be estimated: " + "; ".join(specs)
    if "verdict_mi" in checked.columns:
        mi = checked.dropna(subset=["verdict_mi"])
        skip = [NOT_APPLICABLE, "skipped", "", NOT_ESTIMATED]  # nothing to compare
        mi = mi[~mi["verdict_mi"].isin(skip) & ~mi["verdict"].isin(skip)]
        changed = mi[mi["verdict_mi"].astype(str) != mi["verdict"].astype(str)]
        if len(mi) and not len(changed):
            text += "; every verdict is the same with imputed answers"
        elif len(changed):
            text += "; with imputed answers " + "; ".join(
                f"\u201c{r['claim']}\u201d is {r['verdict_mi']}"
                for r in changed.to_dict("records"))
    return esc(text) + "."


def caveat_sentence(fit: pd.DataFrame, compare: list[str], sample: str, *,
                    words: dict | None = None, labels: dict | None = None) -> str:
    """The answer's own models that failed or were flagged (plain words), or nothing."""
    out = []
    for o in compare:
        status, msg = model_status(fit, o, sample)
        if status in ("failed", "flagged"):
            out.append(f"{_name(o, words or {}, labels or {})} "
                       f"({'could not be estimated' if status == 'failed' else 'flagged'}"
                       + (f": {msg}" if msg else "") + ")")
    if not out:
        return ""
    return ("Caution: " + esc("; ".join(out)) + ". A model that could not be estimated gives "
            "no numbers above.")


def answer_items(*, prevalence: pd.DataFrame, ame: pd.DataFrame, effects: pd.DataFrame | None,
                 fit: pd.DataFrame, checked: pd.DataFrame | None, compare: list[str],
                 sample: str, covariates: list[str], group_column: str | None, words: dict,
                 labels: dict, unit: str, weighted: bool, conf_level: float = 0.95
                 ) -> list[str]:
    """The box's sentences (HTML), in reading order: who, what goes with each outcome, what
    matters most, how robust, what failed."""
    out = [who_sentence(prevalence, compare, words=words, labels=labels, unit=unit,
                        weighted=weighted)]
    for o in compare:  # what goes with it, then what matters most, in one item per outcome
        out.append(" ".join(filter(None, [
            correlates_sentence(ame, effects, o, sample, covariates=covariates,
                                group_column=group_column, words=words, labels=labels),
            strongest_sentence(effects, o, sample, words=words, labels=labels)])))
    out.append(robustness_sentence(checked, words=words, labels=labels))
    out.append(caveat_sentence(fit, compare, sample, words=words, labels=labels))
    out.append(f"Changes are in percentage points of probability, averaged over the "
               f"respondents with their other characteristics as observed; brackets hold "
               f"{conf_level:.0%} confidence intervals. To compare a category with a number, "
               "what matters most uses one scale: a number's change per standard deviation, a "
               "category's spread across its levels (for two equally common levels, half the "
               "gap between them).")
    return [s for s in out if s]
