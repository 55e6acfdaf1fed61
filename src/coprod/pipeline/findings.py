"""Check the published claims (config/findings.yaml) against the model estimates.

Why claims as data: the study's point is whether the published directions hold in a given
survey. Writing each claim as data (covariate, outcome, expected direction, source) makes the
check explicit, reviewable and re-runnable on any data swapped in. The verdict rule is fixed and
stated in the report (:data:`VERDICT_RULE`):

* directional claim (expected ``positive`` / ``negative``): **supported** when the estimate has
  the expected sign and its confidence interval excludes 0 (an odds ratio's excludes 1);
  **contradicted** when the interval excludes 0 on the other side; otherwise **inconclusive**.
* ``none`` (no relation) is an equivalence test (two one-sided tests) against the smallest
  effect of interest given with the claim (``equivalence: [0.8, 1.25]``, odds ratios):
  **equivalent** when the (1 - 2 alpha) interval lies inside the bounds, **different** when the
  interval excludes 0 and reaches outside them, **inconclusive** otherwise. Without bounds the
  claim can only be **different** or **inconclusive**: an interval that includes 0 is absence of
  evidence, not evidence of absence.
* ``strongest: true`` (with a direction, judged once the direction is supported): by the one
  rule of "which covariate matters most" (:data:`coprod.pipeline.effectrule.EFFECT_RULE`: the
  change in
  probability per SD, a categorical covariate as a whole), read from the model stage's effects
  table (results/models/effects.csv), the same table the report's key findings and the
  specification curve read: **supported** when the claimed covariate is the strongest (clearly
  larger than every other), **contradicted** when another covariate's effect is clearly larger,
  **inconclusive** when it cannot be told apart from the largest; **not estimated** when the
  model compares nothing (flagged for separation or non-convergence, failed).
* a comparison claim (``compared_with``) applies the same rule to the difference between the two
  outcomes' coefficients (the contrast test), ``outcome`` minus ``compared_with``.
* a model that failed, did not converge or is flagged for separation, or a term not estimated:
  **not estimated**, whatever the term's own estimate (:mod:`coprod.pipeline.estimable`).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .claims import (  # noqa: F401 (the claims file's names, long imported from here)
    CLAIM_FIELDS,
    CLAIM_KEYS,
    EXPECTED,
    VERDICTS,
    check_claims,
    load_claims,
    split_covariate,
)
from .codebook import did_you_mean, load_yaml  # noqa: F401 (load_yaml: the flat module's)
from .effectrule import strongest_verdict
from .vocab import POOLED  # noqa: F401 (the flat module's)

VERDICT_RULE = (
    "How each claim is judged. A claim that a covariate goes with more (or less) of the outcome "
    "is supported when the {pct} confidence interval of its odds ratio lies entirely above 1 (or "
    "below 1), contradicted when it lies entirely on the other side, and inconclusive when it "
    "includes 1. A claim of no relation needs more than an interval that includes 1 (that only "
    "says the data cannot tell): it names the smallest odds ratios that would matter (for "
    "example 0.8 and 1.25), and it is called equivalent when the {pct2} interval lies between "
    "them, different when the {pct} interval excludes 1 and reaches beyond them, and "
    "inconclusive otherwise. A claim that a covariate is the strongest correlate is judged by "
    "the rule of which covariate matters most (the change in probability per standard "
    "deviation, a categorical covariate as a whole; stated with the methods): supported when "
    "it is the strongest, contradicted when another covariate's change is clearly larger, "
    "inconclusive when it cannot be told apart from the largest. A claim that a covariate "
    "matters more for one outcome than another tests the difference of its two coefficients "
    "(the contrast test). A claim whose model failed, did not converge or is flagged for "
    "separation (some category of the outcome perfectly predicted, so the estimates do not "
    "exist), or whose term could not be estimated, is marked not estimated.")


def verdict_rule(conf_level: float) -> str:
    """The rule in plain words, with the confidence levels filled in (the rule of which
    covariate matters most, :data:`coprod.pipeline.effectrule.EFFECT_RULE`, is printed with the
    methods, once)."""
    return VERDICT_RULE.format(pct=f"{conf_level:.0%}", pct2=f"{1 - 2 * (1 - conf_level):.0%}")


def equivalence_verdict(estimate, std_error, df, bounds, conf_level: float = 0.95,
                        conf_low=None, conf_high=None) -> str:
    """Two one-sided tests on the log scale: equivalent when the (1 - 2 alpha) interval lies
    inside ``log(bounds)``; different when the (1 - alpha) interval excludes 0 and is not inside
    them; inconclusive otherwise. Without ``bounds``: different or inconclusive."""
    from ..survey import dist

    if any(pd.isna(v) for v in (estimate, std_error)):
        return "not estimated"
    q2 = float(dist.t_ppf(1 - (1 - conf_level) / 2, df))
    lo = conf_low if conf_low is not None else estimate - q2 * std_error
    hi = conf_high if conf_high is not None else estimate + q2 * std_error
    if bounds:
        low, high = np.log(bounds[0]), np.log(bounds[1])
        tost_low, tost_high = equivalence_interval(estimate, std_error, df, conf_level)
        if low < tost_low and tost_high < high:
            return "equivalent"
    if lo > 0 or hi < 0:
        return "different"
    return "inconclusive"


def equivalence_interval(estimate, std_error, df, conf_level: float = 0.95
                         ) -> tuple[float, float]:
    """The (1 - 2 alpha) interval the equivalence test judges (90% for a 95% level): inside
    the bounds means both one-sided tests reject. Figures draw this one beside the bounds."""
    from ..survey import dist

    q1 = float(dist.t_ppf(1 - (1 - conf_level), df))  # 1 - alpha, as the test
    return estimate - q1 * std_error, estimate + q1 * std_error




def verdict(expected: str, estimate, conf_low, conf_high) -> str:
    """The verdict rule on the log-odds scale (0 = no relation)."""
    if expected not in EXPECTED:
        raise ConfigError(f"expected must be one of {EXPECTED}, not {expected!r}")
    if any(pd.isna(v) for v in (estimate, conf_low, conf_high)):
        return "not estimated"
    above, below = conf_low > 0, conf_high < 0
    if expected == "none":  # without equivalence bounds (see equivalence_verdict)
        return "different" if above or below else "inconclusive"
    want_above = expected == "positive"
    if (above and want_above and estimate > 0) or (below and not want_above and estimate < 0):
        return "supported"
    if above or below:
        return "contradicted"
    return "inconclusive"


# -- the check -------------------------------------------------------------------------------

def _pick(table: pd.DataFrame, var: str, level: str) -> pd.DataFrame:
    """The estimate rows of a covariate: its named level, its one non-reference level, or the
    numeric covariate's single row."""
    if not len(table):
        return table
    return table[_picked(*_term_texts(table), var, level)]


def _term_texts(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The variable and level of each row of a tidy table, as text (:func:`_text`)."""
    return tuple(np.array([_text(v) for v in table[c].to_numpy(dtype=object)], dtype=object)
                 for c in ("variable", "level"))  # type: ignore[return-value]


def _picked(variables: np.ndarray, levels: np.ndarray, var: str, level: str) -> np.ndarray:
    """:func:`_pick`'s rows as a mask, from the rows' texts (:func:`_term_texts`)."""
    is_var = variables == var
    if level:
        return is_var & (levels == level)
    cats = is_var & (levels != "")
    return cats if cats.any() else is_var & (levels == "")


def _text(value) -> str:
    """A cell as text, empty for a missing one (a tidy table's blank variable or level)."""
    return "" if value is None or value is pd.NA or (isinstance(value, float)
                                                      and value != value) else str(value)


def check_findings(claims: list[dict], coefs: pd.DataFrame, fit: pd.DataFrame,
                   contrast: pd.DataFrame, *,
                   contrast_outcomes: list[str] | None = None, scales: dict | None = None,
                   families: dict | None = None, effects: pd.DataFrame | None = None,
                   conf_level: float = 0.95) -> pd.DataFrame:
    """One row per claim: the estimate it rests on, its interval and the verdict.

    ``scales`` ({0/1 outcome: [its ordinal and count versions]}) with ``families`` ({outcome:
    family}): each claim is also judged, by the same rule, on the ordinal and the count model
    of its outcome (columns ``verdict_<family>``, ``estimate_<family>``, ...); a comparison
    claim rests on the contrast of the 0/1 models only ("not applicable"). ``effects``: the
    model stage's effects table, for ``strongest: true`` claims."""
    from .io import tidy_contrast

    con = tidy_contrast(contrast) if len(contrast) else pd.DataFrame()
    rows = []
    for c in claims:
        var, level = split_covariate(c)
        base = {"id": c["id"], "claim": c["claim"], "covariate": var, "level": level,
                "outcome": c["outcome"], "compared_with": c.get("compared_with", ""),
                "sample": c["sample"], "expected": c["expected"], "source": c["source"],
                "scale": "", "term": "", "estimate": np.nan, "conf_low": np.nan,
                "conf_high": np.nan, "p_value": np.nan, "verdict": "", "note": ""}
        if c.get("skip"):
            rows.append({**base, "verdict": "skipped", "note": f"optional claim: {c['skip']}"})
            continue
        judge: dict[str, Any] = {"effects": effects, "conf_level": conf_level}
        if c.get("compared_with"):
            rows.append(_comparison(base, c, var, level, con, contrast_outcomes, conf_level))
        else:
            rows.append(_directional(base, c, var, level, coefs, fit, **judge))
        if scales:
            rows[-1].update(_other_scales(c, var, level, coefs, fit, scales, families or {},
                                          judge))
    return pd.DataFrame(rows)


SCALE_FAMILIES = ("ordinal", "count")
#: the findings check's columns (of every claim; the other models' verdicts come after)
CHECK_COLUMNS = ["id", "claim", "covariate", "level", "outcome", "compared_with", "sample",
                 "expected", "source", "scale", "term", "estimate", "conf_low", "conf_high",
                 "p_value", "verdict", "note"]


def _other_scales(c, var, level, coefs, fit, scales, families, judge) -> dict:
    """The claim judged on the ordinal and count versions of its outcome."""
    out: dict[str, Any] = {}
    alts = {families.get(o): o for o in reversed(scales.get(c["outcome"], []))}
    for fam in SCALE_FAMILIES:
        keys: dict[str, Any] = {f"{k}_{fam}": np.nan for k in ("estimate", "conf_low",
                                                               "conf_high")}
        keys.update({f"outcome_{fam}": alts.get(fam, ""), f"verdict_{fam}": ""})
        if c.get("skip") or fam not in alts:
            out.update(keys)
            continue
        if c.get("compared_with"):
            out.update({**keys, f"verdict_{fam}": "not applicable"})
            continue
        if fam == "count" and c["expected"] == "none":  # the bounds are odds ratios
            out.update({**keys, f"outcome_{fam}": alts[fam],
                        f"verdict_{fam}": "not applicable"})
            continue
        r = _directional({"note": ""}, {**c, "outcome": alts[fam]}, var, level, coefs, fit,
                         **judge)
        out.update({f"outcome_{fam}": alts[fam], f"verdict_{fam}": r["verdict"],
                    **{f"{k}_{fam}": r.get(k, np.nan)
                       for k in ("estimate", "conf_low", "conf_high")}})
    return out


def _directional(base, c, var, level, coefs, fit, *, effects=None,
                 conf_level: float = 0.95) -> dict:
    return _judged(base, c, var, level, ModelVerdicts(coefs, fit, c["outcome"], c["sample"]),
                   effects=effects, conf_level=conf_level)


def _judged(base, c, var, level, model: ModelVerdicts, *, effects=None,
            conf_level: float = 0.95) -> dict:
    """:func:`_directional` of the model's status, message and rows, read once
    (:class:`ModelVerdicts`)."""
    from .estimable import not_estimable_reason
    from .vocab import model_rows

    status, msg, sub = model.status, model.msg, model.rows
    base["scale"] = "log-odds"
    why = not_estimable_reason(status, msg)  # the message names every flag of the fit
    if status in ("failed", "missing"):
        return {**base, "verdict": "not estimated", "note": why}
    assert sub is not None  # the rows of a model that has a status
    at = np.flatnonzero(_picked(*model.texts, var, level)) if model.texts is not None \
        else np.zeros(0, dtype=np.intp)
    if len(at) != 1:
        raise ConfigError(_term_error(c, var, level, sub))
    r = sub.iloc[int(at[0])]  # the row _pick selects
    if why:  # a separated or unconverged fit judges no claim (coprod.pipeline.estimable)
        return {**base, "term": r["term"], "verdict": "not estimated", "note": why}
    out = {**base, "term": r["term"], "estimate": r["estimate"], "conf_low": r["conf_low"],
           "conf_high": r["conf_high"], "p_value": r.get("p_value", np.nan)}
    if c["expected"] == "none":
        out["verdict"] = equivalence_verdict(r["estimate"], r.get("std_error", np.nan),
                                             r.get("df_resid", np.inf), c.get("equivalence"),
                                             conf_level, r["conf_low"], r["conf_high"])
        bounds = c.get("equivalence")
        out["note"] = (f"equivalence bounds: odds ratios {bounds[0]:g} to {bounds[1]:g}"
                       if bounds else "no equivalence bounds given: the claim can only be "
                       "found different or inconclusive")
    else:
        out["verdict"] = verdict(c["expected"], r["estimate"], r["conf_low"], r["conf_high"])
    if c.get("strongest") and out["verdict"] == "supported":
        mine = None if effects is None or not len(effects) else \
            model_rows(effects, c["outcome"], c["sample"])
        out["verdict"], out["note"] = strongest_verdict(var, mine)
    elif c.get("strongest"):
        out["note"] = (f"the effect itself is {out['verdict']} in the expected direction, so "
                       "its size is not compared")
    if status == "flagged":  # said beside what the note already says, never instead of it
        out["note"] = (out["note"] + "; " if out["note"] else "") + f"model flagged: {msg}"
    if str(r.get("flag", "") or ""):
        out["note"] = (out["note"] + "; " if out["note"] else "") + f"term flagged: {r['flag']}"
    return out


def directional_verdict(claim: dict, variable: str, level: str, coefs: pd.DataFrame,
                        fit: pd.DataFrame, conf_level: float = 0.95,
                        effects: pd.DataFrame | None = None) -> dict:
    """The verdict of one claim (not a comparison) on these coefficients (and, for a
    ``strongest`` claim, these effect sizes), by the rule above: {term, estimate, conf_low,
    conf_high, verdict, note}. The specification curve judges every specification with it
    (:class:`ModelVerdicts`)."""
    return _directional({"note": ""}, claim, variable, level, coefs, fit, effects=effects,
                        conf_level=conf_level)


class ModelVerdicts:
    """:func:`directional_verdict` of the claims on one model (outcome and sample), its
    status and rows read from the tables once.

    Why: the specification curve judges several claims on each model of each specification;
    finding the model's rows, its status and each row's text again for every claim cost more
    than the judging itself. The verdicts are those of :func:`directional_verdict` (the same
    steps on the same rows)."""

    def __init__(self, coefs: pd.DataFrame, fit: pd.DataFrame, outcome: str, sample: str):
        from .vocab import model_rows, model_status

        self.status, self.msg = model_status(fit, outcome, sample)
        self.rows = None if self.status in ("failed", "missing") else \
            model_rows(coefs, outcome, sample)
        self.texts = _term_texts(self.rows) if self.rows is not None and len(self.rows) \
            else None

    def verdict(self, claim: dict, variable: str, level: str, conf_level: float = 0.95,
                effects: pd.DataFrame | None = None) -> dict:
        """:func:`directional_verdict` of ``claim`` (on this model's outcome and sample)."""
        return _judged({"note": ""}, claim, variable, level, self, effects=effects,
                       conf_level=conf_level)


def _comparison(base, c, var, level, con, contrast_outcomes, conf_level: float = 0.95) -> dict:
    a, b = list(contrast_outcomes or ["", ""])
    sign = 1.0 if (c["compared_with"], c["outcome"]) == (a, b) else -1.0
    base["scale"] = f"difference in log-odds, {c['outcome']} minus {c['compared_with']}"
    sub = con[(con["sample"] == c["sample"])] if len(con) else con
    if not len(sub):
        return {**base, "verdict": "not estimated", "note": "no contrast test for this sample"}
    if (sub["status"] == "failed").any():
        msg = sub.loc[sub["status"] == "failed", "message"].iloc[0]
        return {**base, "verdict": "not estimated", "note": f"contrast failed: {msg}"}
    from .estimable import not_estimable_reason

    why = not_estimable_reason(sub["status"].iloc[0], sub["message"].iloc[0])
    if why:  # the contrast of a separated or unconverged fit judges nothing either
        return {**base, "verdict": "not estimated", "note": f"contrast {why}"}
    terms = sub[sub["kind"] == "term"]
    hit = _pick(terms, var, level)
    if len(hit) != 1:
        raise ConfigError(_term_error(c, var, level, terms))
    r = hit.iloc[0]
    est, lo, hi = sign * r["estimate"], sign * r["conf_low"], sign * r["conf_high"]
    lo, hi = min(lo, hi), max(lo, hi)
    if c["expected"] == "none":  # bounds on the ratio of the two odds ratios
        judged = equivalence_verdict(est, r.get("std_error", np.nan),
                                     r.get("df_resid", r.get("df", np.inf)),
                                     c.get("equivalence"), conf_level, conf_low=lo,
                                     conf_high=hi)
    else:
        judged = verdict(c["expected"], est, lo, hi)
    return {**base, "term": r["term"], "estimate": est, "conf_low": lo, "conf_high": hi,
            "p_value": r["p_value"], "verdict": judged}


def _term_error(c, var, level, table) -> str:
    terms = sorted(set(table["term"])) if len(table) else []
    want = f"{var}[T.{level}]" if level else var
    return (f"claim '{c['id']}': covariate: no single estimate for '{want}' in the "
            f"{c['outcome']} / {c['sample']} results (terms: {', '.join(terms) or 'none'})"
            f"{did_you_mean(want, terms)}")


def with_imputed(checked: pd.DataFrame, claims: list[dict], coefs_mi: pd.DataFrame,
                 conf_level: float = 0.95, effects_mi: pd.DataFrame | None = None
                 ) -> pd.DataFrame:
    """Each claim judged again on the multiply imputed models (columns ``verdict_mi``,
    ``estimate_mi``, ``conf_low_mi``, ``conf_high_mi``); claims on outcomes not imputed, and
    comparison claims, are left empty or "not applicable". ``effects_mi``: the effect sizes
    combined over the imputed datasets (Rubin's rules), for ``strongest`` claims."""
    if coefs_mi is None or not len(coefs_mi):
        return checked
    from .io import combined_fit

    coefs = coefs_mi.rename(columns={"df": "df_resid"})
    fit = combined_fit(coefs)
    imputed = set(coefs["outcome"])
    out = checked.copy()
    for k in ("verdict_mi", "estimate_mi", "conf_low_mi", "conf_high_mi"):
        out[k] = "" if k == "verdict_mi" else np.nan
    for i, c in enumerate(claims):
        if c.get("skip") or c["outcome"] not in imputed:
            continue
        if c.get("compared_with"):
            out.loc[out.index[i], "verdict_mi"] = "not applicable"
            continue
        var, level = split_covariate(c)
        r = _directional({"note": ""}, c, var, level, coefs, fit, conf_level=conf_level,
                         effects=effects_mi)
        out.loc[out.index[i], ["verdict_mi", "estimate_mi", "conf_low_mi", "conf_high_mi"]] = [
            r["verdict"], r.get("estimate", np.nan), r.get("conf_low", np.nan),
            r.get("conf_high", np.nan)]
    return out


def with_specifications(checked: pd.DataFrame, specs: pd.DataFrame) -> pd.DataFrame:
    """Beside each claim's verdict, its specifications counted by
    :func:`coprod.pipeline.estimable.spec_counts` (columns ``SPEC_COUNTS``; empty for a claim
    without
    specifications); when the specifications cut the scale in several places, the same count
    per cut (``spec_by_threshold``, words: the "cut of the scale" section says it)."""
    from .estimable import SPEC_COUNTS, count_phrase, spec_counts

    out = checked.copy()
    for k in SPEC_COUNTS:
        out[k] = np.nan
    cuts = bool(len(specs)) and "threshold" in specs \
        and specs["threshold"].astype(str).nunique() > 1
    if cuts:
        out["spec_by_threshold"] = ""
    for i, cid in zip(out.index, out["id"]):
        mine = specs[specs["claim"] == cid] if len(specs) else pd.DataFrame({"verdict": []})
        if len(mine):
            out.loc[i, list(SPEC_COUNTS)] = spec_counts(mine["verdict"])
        if cuts and len(mine):
            out.loc[i, "spec_by_threshold"] = "; ".join(
                f"{t}: {count_phrase(*spec_counts(g['verdict'])[1:])}"
                for t, g in mine.groupby(mine["threshold"].astype(str), sort=False))
    return out


def judge_claims(*, findings, coefficients, fit, contrast, outcomes, covariates, samples,
                 contrast_outcomes, levels, conf_level, checked_csv, group: str = "group",
                 scales=None, families=None, effects=None, coefficients_mi=None,
                 effects_mi=None, specifications=None) -> tuple[pd.DataFrame, dict]:
    """The findings rule's judging: every claim of the ``findings`` file checked against the
    model tables (and the imputed ones, and the specifications), the tidy check written to
    ``checked_csv``; returns the check and the claims' sources for the display table
    (:func:`coprod.report.findings.write_findings_table`)."""
    from .io import read_results, write_csv

    spec = load_claims(findings)
    claims = check_claims(spec, outcomes=list(outcomes), covariates=list(covariates),
                          samples=list(samples), contrast=list(contrast_outcomes or []),
                          levels=dict(levels), group=group)
    checked = check_findings(claims, read_results(coefficients, "coefficients"),
                             read_results(fit, "fit"),
                             # no contrast file: no comparison to judge (they say so)
                             read_results(contrast, "contrast") if contrast else pd.DataFrame(),
                             contrast_outcomes=contrast_outcomes,
                             scales={k: list(v) for k, v in dict(scales or {}).items()},
                             families=dict(families or {}),
                             effects=read_results(effects, "effects") if effects else None,
                             conf_level=conf_level)
    if coefficients_mi:
        checked = with_imputed(checked, claims, read_results(coefficients_mi, "coefficients"),
                               conf_level,
                               read_results(effects_mi, "effects") if effects_mi else None)
    if specifications:
        checked = with_specifications(checked, read_results(specifications))
    write_csv(checked, checked_csv, columns=CHECK_COLUMNS)  # no claims: the header
    return checked, dict(spec["sources"])
