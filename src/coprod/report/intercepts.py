"""The report of a run that is not the full models (:mod:`coprod.pipeline.modelplan`): the
table of prevalence by model of intercept-only models (``models.covariates: []``), and the
answer box of intercept-only models and of a run without models (``models.outcomes: []``).

Why its own module: an intercept-only model says how common an outcome is, not what goes with
it, so its table and its answer are other numbers than the odds ratios and marginal effects of
:mod:`coprod.report.tables` and :mod:`coprod.report.answer`, in their own words: the intercept
back-transformed (a 0/1 outcome's prevalence, the inverse logit of the intercept with the
inverse logit of its interval's bounds, which is the logit interval of R's svyciprop; a count's
mean, the exponent; an ordinal outcome's share at or above each level, the inverse logit of
minus each cut-point).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import pandas as pd

from ..pipeline.designkeys import DesignSettings
from ..pipeline.modelplan import NO_MODELS
from .tablemodel import Cell, Column, Row, Table, build
from .wording import (
    DAGGER,
    NA,
    esc,
    lower_word,
    model_rows,
    model_status,
    outcome_words,
    variance_wording,
    word,
)

#: the table's stem (results/tables/prevalence_models.*)
TABLE = "prevalence_models"


def expit(x: float) -> float:
    """The inverse logit, without overflow for a large negative x."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _num(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def back_transformed(row: Mapping, family: str) -> tuple[float | None, float | None,
                                                          float | None]:
    """(estimate, low, high) of an intercept-only model's coefficient row on the outcome's
    own scale: a share (0/1 outcome: inverse logit; an ordinal cut-point: the share above it,
    the inverse logit of minus it, which turns the interval round) or a mean count (exp)."""
    b, lo, hi = (_num(row.get(k)) for k in ("estimate", "conf_low", "conf_high"))
    if family == "ordinal":
        b, lo, hi = (None if v is None else -v for v in (b, hi, lo))

    def f(x: float | None) -> float | None:
        return None if x is None else math.exp(x) if family == "count" else expit(x)

    return f(b), f(lo), f(hi)


def _cell(row: Mapping | None, family: str, status: str) -> Cell:
    if status in ("failed", "missing") or row is None:
        return Cell("na")
    est, lo, hi = back_transformed(row, family)
    if est is None:
        return Cell("na")
    flag = row.get("flag")
    share = family != "count"
    return Cell("estimate", estimate=est, conf_low=lo, conf_high=hi,
                scale="proportion" if share else "mean", show="percent" if share else "",
                marks=(DAGGER,) if isinstance(flag, str) and flag.strip() else ())


def prevalence_models_table(coefs: pd.DataFrame, fit: pd.DataFrame, *, samples: Sequence[str],
                            families: Mapping[str, str], words: dict | None = None,
                            labels: dict | None = None, conf_level: float = 0.95,
                            design: DesignSettings | None = None, weighted: bool = True,
                            subject: str = "the outcomes", name: str = TABLE) -> Table:
    """Prevalence by model: one column per sample, one row per outcome (an ordinal outcome a
    row per level above its lowest), each intercept back-transformed with its interval
    (:func:`back_transformed`); a dash for a model that failed."""
    columns = [Column(word(s, words), codes={"sample": str(s)}) for s in samples]
    rows: list[tuple[Row, list[Cell]]] = []
    for o, family in families.items():
        label = outcome_words(o, words, labels)
        status = {s: model_status(fit, o, s)[0] for s in samples}
        mine = {s: model_rows(coefs, o, s) if len(coefs) else coefs for s in samples}
        if family == "ordinal":
            cuts = list(dict.fromkeys(t for s in samples for t in mine[s].get(
                "term", pd.Series(dtype=str)).astype(str) if "|" in t))
            rows.append((Row(f"{label}, % at or above", "variable", {"outcome": o}),
                         [Cell() for _ in samples]))
            for cut in cuts:
                level = cut.split("|", 1)[1]
                rows.append((Row(f"{word(level, words)} or higher", "level",
                                 {"outcome": o, "term": cut, "level": level}),
                             [_cell(_term(mine[s], cut), family, status[s]) for s in samples]))
            continue
        what = "mean" if family == "count" else "%"
        rows.append((Row(f"{label}, {what}", "term", {"outcome": o, "term": "Intercept"}),
                     [_cell(_term(mine[s], "Intercept"), family, status[s]) for s in samples]))
    pct, v = f"{conf_level:.0%}", variance_wording(design)
    kinds = {f == "count" for f in families.values()}
    what = "mean" if kinds == {True} else "%" if kinds == {False} else "% or mean"
    table = build(name, f"Prevalence of {subject} by model: intercept-only models, "
                        f"{'weighted ' if weighted else ''}{what} [{pct} CI]",
                  columns, rows, stub_head="", digits=2,
                  scale_digits={"proportion": 1, "mean": 2})
    return table.with_notes(
        f"Intercept-only models (y ~ 1: models.covariates is empty), one per outcome and "
        f"sample, the pooled one without group fixed effects. A 0/1 outcome's prevalence is "
        f"the inverse logit of the intercept, its {pct} interval the inverse logit of the "
        f"intercept's interval ({v['se']}, {v['interval']}; the logit interval of R's "
        "svyciprop); a count outcome's mean is the exponent of the intercept and of its "
        "bounds; an ordinal outcome's share at or above a level is the inverse logit of minus "
        "the cut-point below it. The tidy data file holds the shares as proportions (0 to 1); "
        "models/coefficients.csv the intercepts themselves.",
        " ".join(m for m in ((f"{NA} = not estimated (the model failed)."
                              if "na" in table.occurring() else ""),
                             (f"{DAGGER} = the estimator flagged this estimate."
                              if DAGGER in table.occurring() else "")) if m))


def _term(rows: pd.DataFrame, term: str) -> Mapping | None:
    if not len(rows) or "term" not in rows.columns:
        return None
    hit = rows[rows["term"].astype(str) == term]
    return hit.iloc[0].to_dict() if len(hit) else None


# -- the answer box --------------------------------------------------------------------------

def set_aside_sentence(set_aside: Sequence[Sequence[str]]) -> str:
    """The keys an empty list set aside, in plain words (HTML), or nothing."""
    if not set_aside:
        return ""
    return ("Not run, with nothing to act on: " + "; ".join(
        f"{esc(what)} (<code>{esc(key)}</code>)" for key, what in set_aside) + ".")


def plan_answer(plan: str, *, coefs: pd.DataFrame | None, fit: pd.DataFrame | None,
                compare: Sequence[str], samples: Sequence[str], families: Mapping[str, str],
                set_aside: Sequence[Sequence[str]] = (), words: dict | None = None,
                labels: dict | None = None, unit: str = "respondents", weighted: bool = True,
                conf_level: float = 0.95) -> list[str]:
    """The answer box of a run without models or with intercept-only models (HTML): what was
    asked for, how common the compared outcomes are by model (intercept-only), and what was
    set aside."""
    if plan == NO_MODELS:
        return [s for s in (f"No models were asked for (<code>models.outcomes</code> is "
                            f"empty): this report describes the {esc(unit)} (the "
                            "descriptives) and how the data were cleaned.",
                            set_aside_sentence(set_aside)) if s]
    out = ["Intercept-only models (<code>models.covariates</code> is empty): each outcome "
           "by sample with no covariate (y ~ 1), so this report says how common each outcome "
           "is, not what goes with it."]
    coefs = coefs if coefs is not None else pd.DataFrame()
    parts = []
    for o in compare:
        said = []
        for s in samples:
            status = model_status(fit, o, s)[0] if fit is not None else "missing"
            row = _term(model_rows(coefs, o, s), "Intercept") if len(coefs) else None
            if status in ("failed", "missing") or row is None:
                continue
            est, lo, hi = back_transformed(row, families.get(o, "logit"))
            if est is None or lo is None or hi is None:
                continue
            said.append(f"{est * 100:.0f}% [{lo * 100:.0f} to {hi * 100:.0f}] in "
                        f"{esc(word(s, words))}")
        if said:
            parts.append(f"<strong>{esc(outcome_words(o, words, labels))}</strong>: "
                         + ", ".join(said))
    if parts:
        out.append("How common" + (" (weighted)" if weighted else "") + f", by model, of "
                   f"{esc(lower_word(unit))}: " + "; ".join(parts) + f" ({conf_level:.0%} "
                   "confidence intervals in brackets).")
    failed = [f"{esc(outcome_words(o, words, labels))} ({esc(word(s, words))})"
              for o in families for s in samples
              if fit is not None and model_status(fit, o, s)[0] == "failed"]
    if failed:
        out.append("Caution: could not be estimated: " + ", ".join(failed) + ".")
    out.append(set_aside_sentence(set_aside))
    return [s for s in out if s]
