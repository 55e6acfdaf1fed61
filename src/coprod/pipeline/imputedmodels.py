"""The model stage under multiple imputation: every outcome's model fitted on each completed
dataset as :func:`coprod.pipeline.models.fit_sample` fits it, then combined by Rubin's rules
into one table of coefficients, one covariance and, when asked, the effect sizes. Of each
dataset's fit only what the rules read is kept (:class:`_Fit`), not its tables; and each
dataset after the first is fitted from the first's model frame, only the imputed variables'
columns made again, wherever that is certain (:mod:`coprod.pipeline.imputedrefit`).

Why apart from the models themselves (:mod:`coprod.pipeline.models`): fitting one model is the
same with or without imputations; combining many is its own rule (Rubin's, Barnard-Rubin df,
which flags of an imputed fit make the combined model not estimable), run only when the
config imputes.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .designkeys import DesignSettings, typed_design
from .effectrule import EFFECT_COLUMNS
from .models import fit_sample, front_columns, job_design, vcov_long

if TYPE_CHECKING:
    from .effectsize import ImputedSizes


def fit_sample_mi(table: pd.DataFrame, imputed: pd.DataFrame, *, outcomes: list[str],
                  sample: str, covariates: list[str], reference_levels: dict,
                  design: DesignSettings,
                  conf_level: float = 0.95, labels: dict | None = None,
                  group_effects: bool = True, families: dict | None = None, built=None,
                  datasets: dict | None = None, effects: bool | Collection[str] = False
                  ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Every outcome's model on each completed dataset, combined by Rubin's rules (Barnard-Rubin
    df from the design's complete-data df): one row per (outcome, term), as coefficients.csv
    plus fmi (fraction of missing information), riv, within, between and n_imputations; and
    the combined covariance W + (1 + 1/M) B of all terms (long, as vcov.csv). A model that
    fails in any imputation is reported failed. A model whose fit on any imputed dataset is
    flagged for separation or did not converge (:data:`coprod.pipeline.estimable.BLOCKING_FLAGS`) is
    reported flagged, its message naming the flag, the imputations and the first one's detail
    ('separation: in imputations 1, 3 of 5: ...'): Rubin's rules combine estimates that do not
    exist there into numbers that look whole, so one such imputation makes the combined model
    not estimable (the combination itself fits nothing and adds no flag of its own). Other
    flags of the imputed fits are not carried. ``datasets``: a dict the caller keeps between
    calls on the same table and imputations (a specification curve), where the completed
    datasets and their model frames are kept instead of rebuilt. ``effects``: also the
    effect sizes and which covariate is the strongest, each size and each difference from
    the top one combined by Rubin's rules
    (:func:`coprod.pipeline.effectsize.combine_imputed`); else the third table is empty."""
    parts = fit_outcomes_mi(table, imputed, outcomes=outcomes, sample=sample,
                            covariates=covariates, reference_levels=reference_levels,
                            design=design, conf_level=conf_level, labels=labels,
                            group_effects=group_effects, families=families, built=built,
                            datasets=datasets, effects=effects)
    return joined_mi([parts[o] for o in outcomes])


@dataclass
class OutcomeMI:
    """One outcome's share of :func:`fit_sample_mi`'s three tables: its rows of the
    coefficients, of the covariance (None: a failed model has none, or not asked) and of the
    effect sizes (None: none combined)."""

    coefficients: pd.DataFrame
    vcov: pd.DataFrame | None
    effects: pd.DataFrame | None


def joined_mi(parts: list[OutcomeMI]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three tables of :func:`fit_sample_mi` of these outcomes' parts, in this order."""
    vrows = [p.vcov for p in parts if p.vcov is not None]
    vcov = pd.concat(vrows, ignore_index=True) if vrows else pd.DataFrame(
        columns=["outcome", "sample", "term", "term2", "covariance"])
    combined = [p.effects for p in parts if p.effects is not None]
    eff = pd.concat(combined, ignore_index=True) if combined else pd.DataFrame(
        columns=EFFECT_COLUMNS)
    return pd.concat([p.coefficients for p in parts], ignore_index=True), vcov, eff


def fit_outcomes_mi(table: pd.DataFrame, imputed: pd.DataFrame, *, outcomes: list[str],
                    sample: str, covariates: list[str], reference_levels: dict,
                    design: DesignSettings, conf_level: float = 0.95,
                    labels: dict | None = None, group_effects: bool = True,
                    families: dict | None = None, built=None, datasets: dict | None = None,
                    effects: bool | Collection[str] = False, lean: bool = False,
                    prepare: bool = False) -> dict[str, OutcomeMI]:
    """:func:`fit_sample_mi`, each outcome's tables apart (``lean``: only what a verdict
    reads, without the covariance and the coefficients' sd_x). Why apart: a specification
    curve keeps an outcome's combined model for another specification whose data leave it as
    it is (the other cut of the scale).
    ``prepare``: the datasets' model frames of each formula are also kept in ``datasets``, for
    a call with other weights (:func:`coprod.pipeline.models.fit_result`)."""
    design = typed_design(design, "fit_sample_mi")
    from ..survey.mi import rubin
    from .effectsize import ImputedSizes, combined_model_effects
    from .estimable import BLOCKING_FLAGS
    from .impute import completed
    from .imputedrefit import Refits

    labels = labels or {}
    if built is None:  # the design does not change between imputations
        built = job_design(table, design, reference_levels)
    ms = sorted(int(m) for m in imputed["imputation"].unique()) if len(imputed) else []
    if not ms:  # nothing was missing: the complete data are every imputed dataset
        ms = [0]
    per: dict[str, list[_Fit]] = {o: [] for o in outcomes}
    first: dict[str, pd.DataFrame] = {}  # the first dataset's coefficients (their columns)
    failed: dict[str, str] = {}
    n_used: dict[str, int] = {}
    sizes: dict[str, pd.DataFrame] = {}  # the first dataset's effects table
    parts: dict[str, list[ImputedSizes]] = {o: [] for o in outcomes}
    blocked: dict[str, dict[str, list]] = {o: {} for o in outcomes}  # flag: [imputations, detail]
    refits = Refits(imputed, datasets)  # each later dataset's fit from the first's frame
    opts = {"outcomes": outcomes, "sample": sample, "covariates": covariates,
            "reference_levels": reference_levels, "design": design, "conf_level": conf_level,
            "built": built, "group_effects": group_effects, "families": families,
            "effects": effects}
    for m in ms:
        full = None if datasets is None else datasets.get(m)
        if full is None:
            full = completed(table, imputed, m)
            full.attrs = table.attrs
            if datasets is not None:
                datasets[m] = full
        # each dataset's fits as the arrays Rubin's rules combine (and the first's terms and
        # effect sizes as the tables the combined ones take their columns from); one dataset
        # (nothing missing): its tables, as they are
        kept = None if datasets is None else datasets.setdefault(("model frames", m), {})
        prepared = datasets.setdefault("prepared", {}) if prepare and datasets is not None \
            else None
        res = fit_sample(full, labels=labels, margins=False, kept=kept, prepared=prepared,
                         **opts) if len(ms) == 1 \
            else _lean_sample(full, labels=labels, first=m == ms[0], **opts, kept=kept,
                              prepared=prepared, sd_x=not lean, refits=refits)
        for o, got in res.items():
            if isinstance(got, _Fit):
                fit: _Fit | None = got
                if got.top is not None:
                    first.setdefault(o, got.top)
                if got.judged is not None:
                    sizes.setdefault(o, got.judged.assign(imputation=m))
            else:
                row = got["fit"].iloc[0]
                if row["status"] == "failed":
                    failed.setdefault(o, f"imputation {m}: {row['message']}")
                    fit = None
                else:
                    fit = _Fit.of_tables(got)
                    first.setdefault(o, got["coefficients"])
                    if "effects" in got:
                        eff = got["effects"].assign(imputation=m)
                        sizes.setdefault(o, eff)
                        fit.sizes = ImputedSizes.of(eff)
            if fit is None:
                continue
            n_used.setdefault(o, fit.n)
            _note_blocking(blocked[o], fit.flags, m, BLOCKING_FLAGS)
            if fit.sizes is not None:
                fit.sizes.imputation = m
                parts[o].append(fit.sizes)
            per[o].append(fit)
    out: dict[str, OutcomeMI] = {}
    for o in outcomes:
        sets = {frozenset(f.terms) for f in per[o]}
        if len(sets) > 1 and o not in failed:  # a level empty, a category unseen, in some
            odd = sorted(frozenset.union(*sets) - frozenset.intersection(*sets))
            failed[o] = (f"the imputed datasets do not all estimate the same terms "
                         f"({', '.join(odd)}): merge sparse levels")
        if o in failed or not per[o]:
            out[o] = OutcomeMI(pd.DataFrame([{"outcome": o, "sample": sample,
                                              "status": "failed",
                                              "message": failed.get(o, "no imputations")}]),
                               None, None)
            continue
        top = first[o]
        terms = top["term"].tolist()
        est, se = (np.array([f.by_term(col, terms) for f in per[o]])
                   for col in ("estimate", "std_error"))
        if len(est) > 1:
            comb = rubin(est, se ** 2, float(top["df_resid"].iloc[0]), conf_level)
        else:  # no missing value: the complete-case estimates, no missing information
            comb = {k: top[k].to_numpy() for k in ("estimate", "std_error", "statistic",
                                                   "p_value", "conf_low", "conf_high")}
            zero = np.zeros(len(top))
            comb.update(df=top["df_resid"].to_numpy(dtype=float), fmi=zero, riv=zero,
                        within=top["std_error"].to_numpy() ** 2, between=zero)
        cols = {k: comb[k] for k in ("estimate", "std_error", "df", "statistic", "p_value",
                                     "conf_low", "conf_high", "fmi", "riv", "within",
                                     "between")}
        cut = (top["variable"].eq("") | top["term"].eq("Intercept")).to_numpy()
        ratio = ("rate_ratio", "rr_conf_low", "rr_conf_high") if (families or {}).get(o) == \
            "count" else ("odds_ratio", "or_conf_low", "or_conf_high")
        with np.errstate(over="ignore"):
            for col, src in zip(ratio, ("estimate", "conf_low", "conf_high")):
                cols[col] = np.where(cut, np.nan, np.exp(np.asarray(cols[src], dtype=float)))
        if lean:  # read by no verdict
            cols["sd_x"] = np.full(len(terms), np.nan)
        else:  # the mean over the datasets as pandas takes it (its sums are not numpy's)
            stack = pd.DataFrame({"term": [t for f in per[o] for t in f.terms],
                                  "sd_x": np.concatenate([f.sd_x for f in per[o]])})
            cols["sd_x"] = stack.groupby("term", sort=False)["sd_x"].mean().reindex(
                terms).to_numpy()
        cols.update(df_complete=int(top["df_resid"].iloc[0]), n=n_used.get(o, 0),
                    n_imputations=len(ms) if ms != [0] else 0,
                    family=(families or {}).get(o, "logit"),
                    **_blocked_status(blocked[o], len(ms) if ms != [0] else 0))
        ids = top[["outcome", "sample", "term", "variable", "level", "label"]]
        row = pd.concat([ids, pd.DataFrame(cols, index=ids.index)], axis=1)
        vrow = None
        if not lean:
            V = np.mean([f.square(terms) for f in per[o]], axis=0)
            T = V if len(est) < 2 else V + (1 + 1 / len(ms)) * np.atleast_2d(
                np.cov(est, rowvar=False))
            vrow = front_columns(vcov_long(terms, T), {"outcome": o, "sample": sample})
        out[o] = OutcomeMI(row, vrow, combined_model_effects(
            [sizes[o]], conf_level=conf_level, parts=parts[o]) if o in sizes else None)
    return out


@dataclass
class _Fit:
    """What pooling takes of one imputed dataset's fit of a model: its terms (real names, in
    the fit's order) with their estimates, standard errors (empty where separated, as the
    coefficients table has them), covariance and sd_x; its n; its flags [(flag, detail)]; and,
    when asked, its effect sizes."""

    terms: list[str]
    estimate: np.ndarray
    std_error: np.ndarray
    cov: np.ndarray
    sd_x: np.ndarray
    n: int
    flags: list[tuple[str, str]]
    sizes: ImputedSizes | None = None
    top: pd.DataFrame | None = None  # the first dataset's: the terms' columns and df_resid
    judged: pd.DataFrame | None = None  # the first dataset's: its effects table

    @classmethod
    def of_tables(cls, tables: dict[str, pd.DataFrame]) -> _Fit:
        """Those of a fit's tables (:func:`coprod.pipeline.models.fit_sample`)."""
        coefs, vcov, flags = tables["coefficients"], tables["vcov"], tables["flags"]
        terms = coefs["term"].tolist()
        p = int(round(np.sqrt(len(vcov))))
        names = list(vcov["term2"].iloc[:p])
        at = [names.index(t) for t in terms]
        cov = vcov["covariance"].to_numpy(dtype=float).reshape(p, p)[np.ix_(at, at)]
        return cls(terms, coefs["estimate"].to_numpy(dtype=float),
                   coefs["std_error"].to_numpy(dtype=float), cov,
                   coefs["sd_x"].to_numpy(dtype=float), int(tables["fit"]["n"].iloc[0]),
                   list(zip(flags["flag"], flags["detail"])))

    def by_term(self, column: str, terms: list[str]) -> np.ndarray:
        """``column`` (estimate, std_error) in the order of ``terms``."""
        at = {t: i for i, t in enumerate(self.terms)}
        return getattr(self, column)[[at[t] for t in terms]]

    def square(self, terms: list[str]) -> np.ndarray:
        """The covariance of ``terms`` in that order."""
        at = {t: i for i, t in enumerate(self.terms)}
        ix = [at[t] for t in terms]
        return self.cov[np.ix_(ix, ix)]


def _lean_sample(table: pd.DataFrame, *, outcomes: list[str], sample: str,
                 covariates: list[str], reference_levels: dict, design: DesignSettings,
                 conf_level: float, built, group_effects: bool, families: dict | None,
                 effects: bool | Collection[str], labels: dict, first: bool = False,
                 kept: dict | None = None, prepared: dict | None = None,
                 sd_x: bool = True, refits=None) -> dict:
    """Every outcome's model in one sample, as :func:`coprod.pipeline.models.fit_sample`
    fits it (the same frame, design, failures), each kept as a :class:`_Fit` (or its failed
    tables). Why: Rubin's rules read a few arrays of each dataset's fit; its tables (terms
    parsed, labelled, framed; the effect sizes judged) were most of an imputed model's cost.
    ``first``: also the first dataset's tables of the terms and effect sizes (:class:`_Fit`);
    ``kept``, ``prepared``: the dataset's model frames, kept between samples and weights
    (:func:`coprod.pipeline.models.sample_frame`, :func:`coprod.pipeline.models.fit_result`);
    ``sd_x=False``: the coefficients' sd_x not computed (empty); ``refits``: the sample's
    :class:`coprod.pipeline.imputedrefit.Refits` (each dataset's fit from the first's frame)."""
    from .models import failed_tables, fit_one, group_of, sample_frame, wants_effects

    covs, al, frame, domain, failure = sample_frame(table, outcomes, sample, covariates,
                                                    reference_levels, group_effects, kept)
    if failure is not None:
        return {o: failed_tables(o, sample, failure) for o in outcomes}
    families = families or {}
    return {o: fit_one(frame, al, outcome=o, sample=sample, build=_lean_fit, covs=covs,
                        domain=domain, design=design, built=built, conf_level=conf_level,
                        family=families.get(o, "logit"), effects=wants_effects(effects, o, False),
                        group=group_of(table), labels=labels, first=first,
                        prepared=prepared, sd_x=sd_x, refits=refits)
            for o in outcomes}


def _lean_fit(frame: pd.DataFrame, al, *, outcome, sample, covs, domain, design, built,
              conf_level, family, effects: bool, group: str, labels: dict,
              first: bool = False, prepared: dict | None = None, sd_x: bool = True,
              refits=None) -> _Fit:
    """One model of :func:`_lean_sample`: the numbers of the tables of
    :func:`coprod.pipeline.models.fit_sample` (margins=False), none of the tables."""
    from ..survey.ordinal import SvyOlrResult
    from .effectsize import FLAGGED_NOTE, ImputedSizes, blocked_reason, effect_arrays
    from .models import column_sd, effects_table, fit_result, group_exclusion, with_term_columns

    fit = {"outcome": outcome, "covs": covs, "domain": domain, "design": design, "built": built,
           "conf_level": conf_level, "family": family, "prepared": prepared}
    res = refits.fit(frame, al, sample=sample, **fit) if refits is not None \
        else fit_result(frame, al, **fit)[0]
    back = (lambda x: x) if al.plain else al.restore
    names = res.params.index.tolist()
    cov = np.asarray(res.cov.to_numpy(), dtype=float)
    est = np.array(res.params.to_numpy(), dtype=float)
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    sep = np.array(["separation" in res.term_flags.get(t, "") for t in names], dtype=bool)
    if sep.any():  # as dist.coefficient_table: a separated term's numbers are empty
        est, se = np.where(sep, np.nan, est), np.where(sep, np.nan, se)
    # the flags' details with real names, as al.restore_frame gives them in the tables
    flags = [(f["flag"], back(f["detail"])) for f in res.flags]
    sizes = arrays = None
    if effects:
        # (the joint tests of the levels only for the first dataset: its table is judged)
        arrays = info, e, C = effect_arrays(res, group_exclusion(al, group), joint=first)
        why = blocked_reason(res)
        sizes = ImputedSizes(None, [back(v) for v in info["variable"].tolist()], e, C,
                             info["sd"].to_numpy(dtype=float),
                             back(f"{FLAGGED_NOTE}{why})") if why else "")
    out = _Fit([back(t) for t in names], est, se, cov,
               column_sd(res, len(names)) if sd_x else np.full(len(names), np.nan),
               int(res.stats["n"]), flags, sizes)
    if first:  # the columns of the coefficients table the combined table takes, as made there
        ident = {"outcome": outcome, "sample": sample}
        terms = al.restore_frame(pd.DataFrame({"term": names}))
        cut = terms["term"].isin(res.cut_names) if isinstance(res, SvyOlrResult) else None
        terms = with_term_columns(terms, labels, cut)
        terms["df_resid"] = res.df_resid
        out.top = front_columns(terms, ident, copy=False)
        out.judged = effects_table(res, al, labels, group, ident, arrays) if effects else None
    return out


def _note_blocking(seen: dict[str, list], flags: list[tuple[str, str]], m: int,
                   blocking) -> None:
    """Remember which flags of ``blocking`` imputation ``m``'s fit carries (and the first
    detail of each), from its flags [(flag, detail)]."""
    for f, detail in flags:
        if f in blocking:
            seen.setdefault(f, [[], str(detail).strip()])[0].append(m)


def _blocked_status(seen: dict[str, list], n: int) -> dict[str, str]:
    """The combined model's status and message: flagged with 'separation: in imputations 1, 3
    of 5: <detail>' when any imputation's fit was (see :func:`fit_sample_mi`), else ok; ``n``
    0: nothing was missing, the one fit is the complete data's."""
    if not seen:
        return {"status": "ok", "message": ""}
    parts = []
    for f, (ms, detail) in seen.items():
        which = (f"in imputation {ms[0]} of {n}" if len(ms) == 1 else
                 f"in imputations {', '.join(str(m) for m in ms)} of {n}")
        parts.append(": ".join(x for x in (f, which if n else "", detail) if x))
    return {"status": "flagged", "message": "; ".join(parts)}
