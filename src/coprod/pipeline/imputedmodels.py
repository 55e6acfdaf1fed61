"""The model stage under multiple imputation: every outcome's model fitted on each completed
dataset (:func:`coprod.pipeline.models.fit_sample`), then combined by Rubin's rules into one
table of coefficients, one covariance and, when asked, the effect sizes.

Why apart from the models themselves (:mod:`coprod.pipeline.models`): fitting one model is the
same with or without imputations; combining many is its own rule (Rubin's, Barnard-Rubin df,
which flags of an imputed fit make the combined model not estimable), run only when the
config imputes.
"""
from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from .designkeys import DesignSettings, typed_design
from .effectrule import EFFECT_COLUMNS
from .models import fit_sample, front_columns, job_design, vcov_long


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
    datasets are kept instead of rebuilt. ``effects``: also the effect sizes and which
    covariate is the strongest, each size and each difference from the top one combined by
    Rubin's rules (:func:`coprod.pipeline.effectsize.combine_imputed`); else the third table is
    empty."""
    design = typed_design(design, "fit_sample_mi")
    from ..survey.mi import rubin
    from .effectsize import combined_model_effects
    from .estimable import BLOCKING_FLAGS
    from .impute import completed

    labels = labels or {}
    if built is None:  # the design does not change between imputations
        built = job_design(table, design, reference_levels)
    ms = sorted(int(m) for m in imputed["imputation"].unique()) if len(imputed) else []
    if not ms:  # nothing was missing: the complete data are every imputed dataset
        ms = [0]
    per: dict[str, list[pd.DataFrame]] = {o: [] for o in outcomes}
    covs: dict[str, list[pd.DataFrame]] = {o: [] for o in outcomes}
    failed: dict[str, str] = {}
    n_used: dict[str, int] = {}
    sizes: dict[str, list[pd.DataFrame]] = {o: [] for o in outcomes}
    blocked: dict[str, dict[str, list]] = {o: {} for o in outcomes}  # flag: [imputations, detail]
    for m in ms:
        full = None if datasets is None else datasets.get(m)
        if full is None:
            full = completed(table, imputed, m)
            full.attrs = table.attrs
            if datasets is not None:
                datasets[m] = full
        res = fit_sample(full, outcomes=outcomes, sample=sample, covariates=covariates,
                         reference_levels=reference_levels, design=design,
                         conf_level=conf_level, labels=labels, built=built,
                         group_effects=group_effects, families=families, margins=False,
                         effects=effects)
        for o, tables in res.items():
            fit = tables["fit"].iloc[0]
            if fit["status"] == "failed":
                failed.setdefault(o, f"imputation {m}: {fit['message']}")
            else:
                n_used.setdefault(o, int(fit["n"]))
                _note_blocking(blocked[o], tables["flags"], m, BLOCKING_FLAGS)
                if "effects" in tables:
                    sizes[o].append(tables["effects"].assign(imputation=m))
            per[o].append(tables["coefficients"].assign(imputation=m))
            covs[o].append(tables["vcov"])
    rows, vrows = [], []
    for o in outcomes:
        sets = {frozenset(t["term"]) for t in per[o]}
        if len(sets) > 1 and o not in failed:  # a level empty, a category unseen, in some
            odd = sorted(set.union(*map(set, sets)) - set.intersection(*map(set, sets)))
            failed[o] = (f"the imputed datasets do not all estimate the same terms "
                         f"({', '.join(odd)}): merge sparse levels")
        if o in failed or not per[o]:
            rows.append(pd.DataFrame([{"outcome": o, "sample": sample, "status": "failed",
                                       "message": failed.get(o, "no imputations")}]))
            continue
        stack = pd.concat(per[o], ignore_index=True)
        first = per[o][0]
        terms = first["term"].tolist()
        est, se = (np.array([_by_term(t, col, terms) for t in per[o]])
                   for col in ("estimate", "std_error"))
        if len(est) > 1:
            comb = rubin(est, se ** 2, float(first["df_resid"].iloc[0]), conf_level)
        else:  # no missing value: the complete-case estimates, no missing information
            comb = {k: first[k].to_numpy() for k in ("estimate", "std_error", "statistic",
                                                     "p_value", "conf_low", "conf_high")}
            zero = np.zeros(len(first))
            comb.update(df=first["df_resid"].to_numpy(dtype=float), fmi=zero, riv=zero,
                        within=first["std_error"].to_numpy() ** 2, between=zero)
        cols = {k: comb[k] for k in ("estimate", "std_error", "df", "statistic", "p_value",
                                     "conf_low", "conf_high", "fmi", "riv", "within",
                                     "between")}
        cut = (first["variable"].eq("") | first["term"].eq("Intercept")).to_numpy()
        ratio = ("rate_ratio", "rr_conf_low", "rr_conf_high") if (families or {}).get(o) == \
            "count" else ("odds_ratio", "or_conf_low", "or_conf_high")
        with np.errstate(over="ignore"):
            for col, src in zip(ratio, ("estimate", "conf_low", "conf_high")):
                cols[col] = np.where(cut, np.nan, np.exp(np.asarray(cols[src], dtype=float)))
        cols["sd_x"] = stack.groupby("term", sort=False)["sd_x"].mean().reindex(terms).to_numpy()
        cols.update(df_complete=int(first["df_resid"].iloc[0]), n=n_used.get(o, 0),
                    n_imputations=len(ms) if ms != [0] else 0,
                    family=(families or {}).get(o, "logit"),
                    **_blocked_status(blocked[o], len(ms) if ms != [0] else 0))
        ids = first[["outcome", "sample", "term", "variable", "level", "label"]]
        rows.append(pd.concat([ids, pd.DataFrame(cols, index=ids.index)], axis=1))
        V = np.mean([_square(v, terms) for v in covs[o]], axis=0)
        T = V if len(est) < 2 else V + (1 + 1 / len(ms)) * np.atleast_2d(
            np.cov(est, rowvar=False))
        vrows.append(front_columns(vcov_long(terms, T), {"outcome": o, "sample": sample}))
    vcov = pd.concat(vrows, ignore_index=True) if vrows else pd.DataFrame(
        columns=["outcome", "sample", "term", "term2", "covariance"])
    combined = [combined_model_effects(sizes[o], conf_level=conf_level)
                for o in outcomes if o not in failed and sizes[o]]
    eff = pd.concat(combined, ignore_index=True) if combined else pd.DataFrame(
        columns=EFFECT_COLUMNS)
    return pd.concat(rows, ignore_index=True), vcov, eff


def _by_term(table: pd.DataFrame, column: str, terms: list[str]) -> np.ndarray:
    """``column`` of a tidy table in the order of ``terms``."""
    at = {t: i for i, t in enumerate(table["term"])}
    return table[column].to_numpy(dtype=float)[[at[t] for t in terms]]


def _square(vcov: pd.DataFrame, terms: list[str]) -> np.ndarray:
    """A long covariance table of :func:`vcov_long` (row-major: term, then term2) as the
    matrix of ``terms`` in that order."""
    p = int(round(np.sqrt(len(vcov))))
    names = list(vcov["term2"].iloc[:p])
    at = [names.index(t) for t in terms]
    return vcov["covariance"].to_numpy(dtype=float).reshape(p, p)[np.ix_(at, at)]


def _note_blocking(seen: dict[str, list], flags: pd.DataFrame, m: int, blocking) -> None:
    """Remember which flags of ``blocking`` imputation ``m``'s fit carries (and the first
    detail of each), from its flags table (one row a flag: flag, detail)."""
    for f, detail in zip(flags["flag"], flags["detail"]):
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
