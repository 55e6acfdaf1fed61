"""The specification curve: every claim estimated under every combination of defensible
analysis choices (Simonsohn, Simmons & Nelson 2020; Steegen et al. 2016's multiverse).

Why: one analysis embodies choices -- where the frequency scale is cut, weights or not, which
controls, complete cases or imputed data, group effects or not, a 0/1 or an ordinal model. A
claim that holds under one set of choices and fails under most is not a finding. Each
specification is fitted with the same estimators as the main models; each claim's term gets the
verdict of the same rule (:mod:`coprod.pipeline.findings`), so "supported in k of K specifications"
counts
like with like.

The choices (config ``specifications``; each a list of the values to try):
``threshold`` (the cut of the items, re-deriving the outcomes from the clean table's items),
``weights`` (true / false), ``covariates`` (named sets; null = models.covariates), ``group_effects``
(pooled models only), ``missing`` (complete_case / imputed, the first ``imputations`` imputed
datasets), ``family`` (logit / ordinal: the outcome's ordinal version from models.scales).
All specifications of a sample run in one job (no Python start-up per specification); the
design of each (threshold, weights) pair is built once.
"""
from __future__ import annotations

import itertools
import logging
from typing import Any

import numpy as np
import pandas as pd

from .designkeys import DesignSettings
from .estimable import NOT_APPLICABLE
from .findings import (  # noqa: F401 (directional_verdict re-exported: it was imported here)
    ModelVerdicts,
    check_claims,
    directional_verdict,
    load_claims,
    split_covariate,
)
from .io import combined_fit, read_results, read_table, write_csv
from .settings import Specifications
from .vocab import POOLED, model_rows

log = logging.getLogger("coprod.pipeline.speccurve")

DIMENSIONS = ("threshold", "weights", "covariates", "group_effects", "missing", "family")
SPEC_COLUMNS = ["spec", *DIMENSIONS, "claim", "outcome", "sample", "term", "estimate",
                "conf_low", "conf_high", "verdict", "note", "equivalence_low",
                "equivalence_high", "bound_low", "bound_high"]


def specifications(dims: Specifications, *, pooled: bool, threshold: str) -> list[dict]:
    """Every combination of the configured choices (group effects only vary in a pooled
    sample). Dimensions not configured keep the main analysis's choice."""
    values: dict[str, list[Any]] = {
        "threshold": list(dims.threshold or [threshold]),
        "weights": list(dims.weights or [True]),
        "covariates": list(dims.covariates or {"main": None}),
        "group_effects": list(dims.group_effects or [True]) if pooled else [True],
        "missing": list(dims.missing or ["complete_case"]),
        "family": list(dims.family or ["logit"]),
    }
    return [dict(zip(DIMENSIONS, combo)) for combo in itertools.product(*values.values())]


def run_specifications(*, table, codebook, findings, imputed: list, sample: str,
                       dims: Specifications,
                       covariates: list[str], reference_levels: dict, design: DesignSettings,
                       conf_level: float, threshold: str, scales: dict, families: dict,
                       outcomes: list[str], samples: list[str], levels: dict, group: str,
                       output, n_imputations: int = 5, chunk: int = 1, chunks: int = 1
                       ) -> None:
    """One sample's specifications (every ``chunks``-th, from the ``chunk``-th): a row per
    (specification, claim of this sample)."""
    from .codebook import load_codebook
    from .derive import derive
    from .models import job_design

    spec = load_claims(findings) if findings else {"claims": [], "sources": {}}
    spec = {**spec, "claims": [c for c in spec["claims"]  # comparisons: the contrast test's
                               if isinstance(c, dict) and not c.get("compared_with")]}
    claims = [c for c in check_claims(spec, outcomes=list(outcomes),
                                      covariates=list(covariates), samples=list(samples),
                                      levels=dict(levels), group=group)
              if c["sample"] == sample and not c.get("skip")]
    data = read_table(table)
    cb = load_codebook(codebook, schema=False)  # checked at the workflow's start-up
    sets = {k: list(v) if v else list(covariates) for k, v in
            (dims.covariates or {"main": None}).items()}
    cells = pd.concat([read_results(p) for p in imputed], ignore_index=True) if imputed \
        else pd.DataFrame(columns=["imputation", "row", "variable", "value"])
    cells = cells[cells["imputation"] <= n_imputations] if len(cells) else cells
    specs = specifications(dims, pooled=sample == POOLED, threshold=threshold)
    strongest = [c for c in claims if c.get("strongest")]
    rows = []
    tables: dict[str, pd.DataFrame] = {}
    designs: dict[tuple, object] = {}
    completed: dict[str, dict] = {}  # the imputed datasets of the current cut, built once
    fitted = _Fitted()  # fits whose data another cut leaves as they are
    frames: dict[str, dict] = {}  # the current cut's model frames, for the other weights
    share = _shares(specs, chunks)
    for i, spec in enumerate(specs, start=1):
        if share[i - 1] != chunk:
            continue
        if spec["threshold"] not in tables:
            t = data if spec["threshold"] == threshold else derive(data, cb, spec["threshold"])
            t.attrs = data.attrs
            tables[spec["threshold"]] = t
        t = tables[spec["threshold"]]
        d = design if spec["weights"] else design.replace(weights=None)
        key = (spec["threshold"], bool(spec["weights"]))
        if key not in designs:
            designs[key] = job_design(t, d, reference_levels)
        covs = sets[spec["covariates"]]
        wanted = {}
        for c in claims:
            o = c["outcome"]
            if spec["family"] != "logit":
                o = next((a for a in scales.get(o, []) if families.get(a) == spec["family"]),
                         None)
            wanted[c["id"]] = o
        fit_outcomes = sorted({o for o in wanted.values() if o})
        # a strongest claim is judged by the effect sizes of the specification's own fit
        sizes = {wanted[c["id"]] for c in strongest} - {None}
        coefs, fit, effects = _fit(t, cells, spec, fit_outcomes, sample, covs,
                                   reference_levels, d, conf_level, families, designs[key],
                                   _of_cut(completed, spec["threshold"]), sizes, fitted,
                                   _of_cut(frames, spec["threshold"]))
        mine = _Models(coefs, fit, effects, sample)
        for c in claims:
            var, level = split_covariate(c)
            o = wanted[c["id"]]
            base = {"spec": i, **spec, "claim": c["id"], "outcome": o or "", "sample": sample}
            # a specification that cannot carry the claim at all is not applicable to it
            # (left out of its counts), not "not estimated" (a fit that failed or is separated)
            if not o:
                rows.append({**base, "verdict": NOT_APPLICABLE,
                             "note": f"no {spec['family']} version of {c['outcome']}"})
                continue
            if var not in covs:
                rows.append({**base, "verdict": NOT_APPLICABLE,
                             "note": f"{var} is not in the covariate set"})
                continue
            r = mine.judge(o).verdict({**c, "outcome": o}, var, level, conf_level,
                                      effects=mine.effects_of(o))
            rows.append({**base, **{k: r.get(k) for k in ("term", "estimate", "conf_low",
                                                           "conf_high", "verdict", "note")},
                         **_equivalence(c, r, mine.of(o)[0], o, sample, conf_level)})
    out = pd.DataFrame(rows, columns=SPEC_COLUMNS)
    write_csv(out, output)
    log.info("%s: %d of %d specifications x %d claims", sample, len(out["spec"].unique()),
             len(specs), len(claims))


def _equivalence(claim: dict, judged: dict, coefs: pd.DataFrame, outcome: str, sample: str,
                 conf_level: float) -> dict:
    """For a claim of no relation with bounds, judged on an estimable fit: the (1 - 2 alpha)
    interval the equivalence test judges (log scale) and the bounds (odds ratios), so the
    figure draws what the rule compares, not the (1 - alpha) interval beside no bounds."""
    from .findings import equivalence_interval

    bounds = claim.get("equivalence")
    if not bounds or claim["expected"] != "none" or judged.get("verdict") == "not estimated":
        return {}
    rows = model_rows(coefs, outcome, sample)
    r = rows.iloc[np.flatnonzero((rows["term"] == judged["term"]).to_numpy())[0]]
    low, high = equivalence_interval(float(r["estimate"]), float(r["std_error"]),
                                     float(r["df_resid"]), conf_level)
    return {"equivalence_low": low, "equivalence_high": high, "bound_low": float(bounds[0]),
            "bound_high": float(bounds[1])}


class _Models:
    """A specification's coefficients, fit and effect sizes, each outcome's rows selected
    once (:func:`coprod.pipeline.vocab.model_rows`) for all the claims on it.

    Why: a chunk judges every claim of every specification; selecting a model's rows of
    the whole tables for each claim (three tables for a strongest claim) cost more than the
    judging. The verdict selects again within its model's rows: the same rows
    (:class:`coprod.pipeline.findings.ModelVerdicts`, once for all the claims on it)."""

    def __init__(self, coefs: pd.DataFrame, fit: pd.DataFrame, effects: pd.DataFrame | None,
                 sample: str) -> None:
        self.tables, self.sample = (coefs, fit, effects), sample
        self.kept: dict[str, tuple] = {}
        self.judges: dict[str, ModelVerdicts] = {}

    def _rows(self, outcome: str) -> tuple:
        if outcome not in self.kept:  # none of its rows: the whole table, as before
            subs = [None if t is None else model_rows(t, outcome, self.sample)
                    for t in self.tables]
            self.kept[outcome] = tuple(s if s is not None and len(s) else t
                                       for s, t in zip(subs, self.tables))
        return self.kept[outcome]

    def of(self, outcome: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The outcome's coefficients and fit rows."""
        coefs, fit, _ = self._rows(outcome)
        return coefs, fit

    def effects_of(self, outcome: str) -> pd.DataFrame | None:
        return self._rows(outcome)[2]

    def judge(self, outcome: str) -> ModelVerdicts:
        """The verdicts of the claims on the outcome's model
        (:func:`coprod.pipeline.findings.directional_verdict`)."""
        if outcome not in self.judges:
            self.judges[outcome] = ModelVerdicts(*self.of(outcome), outcome, self.sample)
        return self.judges[outcome]


def _of_cut(kept: dict, threshold: str) -> dict:
    """What is kept for this cut -- its imputed datasets (built by the first imputed
    specification that needs them), its model frames; the specifications run cut by cut, so
    another cut's are let go (memory)."""
    if threshold not in kept:
        kept.clear()
    return kept.setdefault(threshold, {})


def _shares(specs: list[dict], chunks: int) -> list[int]:
    """Which job (1 .. chunks) fits each specification: round robin within each group of
    specifications that cost alike (missing-data handling, model family, threshold: imputed
    ones cost M fits, a cut where nearly everyone is 1 a separation check), so the jobs
    finish together."""
    seen: dict[tuple, int] = {}
    out = []
    for spec in specs:
        key = (spec["missing"], spec["family"], spec["threshold"])
        k = seen.get(key, 0)
        seen[key] = k + 1
        out.append(k % chunks + 1)
    return out


class _Fitted:
    """A specification's fit of an outcome (complete cases: its tables; imputed: its
    combined tables, :class:`coprod.pipeline.imputedmodels.OutcomeMI`), kept for a
    specification that differs only in the cut of the scale when that cut leaves every column
    the fit reads as it is (an ordinal outcome that is the highest answer, its covariates, the
    design's columns; the imputed cells are the same for every cut): the fit would be the same
    computation on the same data.

    Why: the specifications of a chunk run each ordinal fit at both cuts; a model of a
    million rows is seconds of Newton steps, an imputed one that many times over. Kept by
    (outcome, family, weights, group effects, missing data, covariates, effect sizes) with the
    table it was fitted on; used only when the columns are equal, value and dtype."""

    def __init__(self) -> None:
        self.kept: dict[tuple, tuple[pd.DataFrame, list[str], Any]] = {}
        self.same: dict[tuple[int, int, str], tuple[pd.DataFrame, pd.DataFrame, bool]] = {}

    @staticmethod
    def _key(spec: dict, outcome: str, family: str, covs: list[str], sized: bool) -> tuple:
        return (outcome, family, bool(spec["weights"]), bool(spec["group_effects"]),
                spec["missing"], tuple(covs), sized)

    def get(self, t: pd.DataFrame, spec: dict, outcome: str, family: str, covs: list[str],
            sized: bool) -> Any:
        hit = self.kept.get(self._key(spec, outcome, family, covs, sized))
        if hit is None:
            return None
        table, columns, tables = hit
        if table is t:
            return tables
        return tables if all(self._same(t, table, c) for c in columns) else None

    def _same(self, t: pd.DataFrame, table: pd.DataFrame, column: str) -> bool:
        """Whether ``column`` is in ``t`` as in ``table``, value and dtype; each pair of
        tables compared once a column (kept with the tables: their ids stay theirs)."""
        key = (id(t), id(table), column)
        hit = self.same.get(key)
        if hit is None or hit[0] is not t or hit[1] is not table:
            hit = self.same[key] = (t, table, column in t.columns
                                    and t[column].dtype == table[column].dtype
                                    and t[column].equals(table[column]))
        return hit[2]

    def put(self, t: pd.DataFrame, spec: dict, outcome: str, family: str, covs: list[str],
            sized: bool, columns: list[str], tables: Any) -> None:
        self.kept[self._key(spec, outcome, family, covs, sized)] = (t, columns, tables)


def _fit(t, cells, spec, outcomes, sample, covs, reference_levels, design, conf_level,
         families, built, datasets, sizes: set | None = None, fitted: _Fitted | None = None,
         frames: dict | None = None):
    """The coefficients, fit and (with ``sizes``) effect sizes of one specification.
    ``datasets``, ``frames``: dicts kept for this cut's table, of its imputed datasets
    (:func:`coprod.pipeline.imputedmodels.fit_outcomes_mi`) and of its model frames
    (:func:`coprod.pipeline.models.fit_sample`'s ``kept`` and ``prepared``)."""
    from .designkeys import design_columns
    from .imputedmodels import fit_outcomes_mi, joined_mi
    from .models import fit_sample, group_of, sample_covariates

    if not outcomes:
        return pd.DataFrame(columns=["outcome", "sample", "term"]), pd.DataFrame(), None
    fam = {o: families.get(o, "logit") for o in outcomes}
    fitted = fitted or _Fitted()
    frames = {} if frames is None else frames
    # every column a fit reads: its outcome, covariates (with the group), the design's
    reads = [*sample_covariates(covs, sample, t, spec["group_effects"]), group_of(t),
             *design_columns(design, t.columns)]
    sized = {o: o in (sizes or ()) for o in outcomes}
    known = {o: fitted.get(t, spec, o, fam[o], covs, sized[o]) for o in outcomes}
    res: dict[str, Any] = {o: k for o, k in known.items() if k is not None}
    todo = [o for o in outcomes if known[o] is None]
    imputed = spec["missing"] == "imputed"
    if todo:
        opts = {"outcomes": todo, "sample": sample, "covariates": covs,
                "reference_levels": reference_levels, "design": design,
                "conf_level": conf_level, "group_effects": spec["group_effects"],
                "families": {o: fam[o] for o in todo}, "built": built}
        new: dict[str, Any]
        if imputed:  # the imputed datasets' fits combined, each outcome's tables apart
            new = fit_outcomes_mi(t, cells, datasets=datasets, lean=True, prepare=True,
                                  effects={o for o in todo if sized[o]}, **opts)
        else:  # the table's model frames kept for the specifications of other weights
            new = fit_sample(t, margins=False, lean=True,
                             effects={o for o in todo if sized[o]},
                             kept=frames.setdefault("model frames", {}),
                             prepared=frames.setdefault("prepared", {}), **opts)
        for o in todo:
            res[o] = new[o]
            fitted.put(t, spec, o, fam[o], covs, sized[o],
                       list(dict.fromkeys(c for c in [o, *reads] if c)), new[o])
    if imputed:
        coefs, _, effects = joined_mi([res[o] for o in outcomes])
        coefs = coefs.rename(columns={"df": "df_resid"})
        return coefs, combined_fit(coefs), effects if sizes else None
    res = {o: res[o] for o in outcomes}  # the outcomes' order, as one fit_sample gave it
    coefs = pd.concat([r["coefficients"] for r in res.values()], ignore_index=True)
    fit = pd.concat([r["fit"] for r in res.values()], ignore_index=True)
    parts = [r["effects"] for r in res.values() if "effects" in r]
    effects = pd.concat(parts, ignore_index=True) if parts else None
    return coefs, fit, effects


def summarise(specs: pd.DataFrame) -> pd.DataFrame:
    """Per claim, its specifications counted by the rule of :mod:`coprod.pipeline.estimable`
    (columns
    ``SPEC_COUNTS``: all, supported, contradicted, estimable, not estimable)."""
    from .estimable import SPEC_COUNTS, spec_counts

    if specs is None or not len(specs):
        return pd.DataFrame(columns=["claim", *SPEC_COUNTS])
    return pd.DataFrame([[cid, *spec_counts(g["verdict"])]
                         for cid, g in specs.groupby("claim", sort=False)],
                        columns=["claim", *SPEC_COUNTS])
