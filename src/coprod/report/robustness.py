"""Does the cut of the scale matter? The 0/1 models beside the models of the survey's own
scales (ordinal and count), the proportional-odds check, and each claim under each model.

Why: a binary outcome cuts a frequency scale at one point (config cleaning.threshold). A
reviewer's first question is whether the conclusion depends on that cut. The answer is shown
three ways: the odds ratios of the 0/1 model beside the ordinal model's odds ratios (of being
in a higher category) and the count model's rate ratios; for each ordinal outcome, the logit
model of every binary cut beside the ordinal model (the proportional-odds assumption, which a
reader can judge); and a sentence per claim saying whether its verdict holds under each model.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..pipeline.designkeys import DesignSettings
from ..pipeline.findings import SCALE_FAMILIES
from ..pipeline.io import combined_fit, group_outputs, read_results, table_meta
from ..pipeline.reportsettings import (  # noqa: F401 (robustness_names: long imported from here)
    FigureSettings,
    ordinal_outcomes,
    robustness_names,
)
from .tablefiles import write_table
from .tablemodel import Cell, Column, Row, Table, build, interval_digits
from .tables import cuts_table, model_table, scales_columns, scales_note
from .wording import esc, fit_row, fmt_ci, marks_note, num, outcome_words, per_units, word

TITLE = "Does the cut of the scale matter?"


def run_robustness(*, coefficients, fit, cuts, tests, clean_table, scales: dict,
                   families: dict, sample: str, covariates, reference_levels, levels,
                   conf_level: float, digits: int, words: dict,
                   figure_settings: FigureSettings,
                   design: DesignSettings | None = None, outputs: dict, latex=None) -> None:
    """The robustness rule: the scales table, a cuts table per ordinal outcome, the figure;
    ``latex``: report.latex (:class:`coprod.report.tablelatex.LatexSettings`)."""
    from .tablelatex import LatexSettings

    lx = LatexSettings.from_params(latex)
    meta = table_meta(clean_table)
    labels, words = meta.get("labels", {}), dict(words)
    scales = {k: list(v) for k, v in dict(scales).items()}
    families = dict(families)
    coefs, fit_t = read_results(coefficients, "coefficients"), read_results(fit, "fit")
    per = dict(figure_settings.per)  # report.per: as in every table of effects
    cuts_raw = read_results(cuts, "cuts")
    cut_t, effect_labels = per_units(cuts_raw, labels, per, words)  # the figure's
    kw: dict[str, Any] = {"covariates": list(covariates),
                          "reference_levels": dict(reference_levels), "levels": dict(levels),
                          "words": words}
    paths = group_outputs(outputs)
    notice = figure_settings.notice or ""
    table = model_table(coefs, fit_t, columns=scales_columns(scales, sample), digits=digits,
                        tests=read_results(tests, "tests"), labels=labels, per=per,
                        name="scales", caption=f"{TITLE} The 0/1 models beside the ordinal "
                                               f"and count models ({word(sample, words)})",
                        **kw)
    write_table(table.with_notes(scales_note(families, conf_level, design, table)),
                paths["scales"], notice=notice, latex_settings=lx)
    ordinal = ordinal_outcomes(scales, families)
    for o in ordinal:
        cut = cuts_table(cuts_raw, outcome=o, sample=sample, digits=digits, labels=labels,
                         per=per, name=f"cuts_{o}",
                         caption=f"Binary cuts of {outcome_words(o, words, labels).lower()} "
                                 f"and the ordinal model ({word(sample, words)})", **kw)
        write_table(cut.with_notes(CUTS_NOTE.format(pct=f"{conf_level:.0%}"),
                                   marks_note(cut, use_stars=False, conf_level=conf_level)),
                    paths[f"cuts_{o}"], notice=notice, latex_settings=lx)
    kw["labels"] = effect_labels
    if "cuts" in paths:
        # matplotlib is imported only here: the workflow reads this module's names at start-up
        from .figstyle import save_figure
        from .figures import cuts_figure

        settings = figure_settings.replace(conf_level=conf_level)
        save_figure(cuts_figure(cut_t, sample=sample, outcomes=ordinal, settings=settings, **kw),
                    paths["cuts"], dpi=int(settings.dpi), settings=settings)


CUTS_NOTE = (
    "Odds ratios with {pct} confidence intervals. Each \u201cor higher\u201d column is a "
    "logistic model of one cut of the ordinal outcome (that category or a higher one, "
    "against the lower ones); the last column is the proportional-odds model, which assumes "
    "one odds ratio for every cut. Where the cuts' odds ratios differ by more than their "
    "intervals, the ordinal odds ratio is an average over different effects, and the cut "
    "matters.")


# -- the report section -----------------------------------------------------------------------

def claim_sentences(checked: pd.DataFrame, *, words: dict | None = None,
                    labels: dict | None = None, digits: int = 2) -> list[str]:
    """One plain sentence per claim: its verdict under the 0/1, ordinal and count models, and
    whether the verdict holds under all the estimable ones (:func:`agreement`)."""
    out: list[str] = []
    if checked is None or not len(checked) or not any(
            f"verdict_{f}" in checked.columns for f in SCALE_FAMILIES):
        return out
    for _, r in checked.iterrows():
        if r["verdict"] == "skipped":
            continue
        parts = [f"0/1 model: {r['verdict']}{_estimate(r, '', 'OR', digits)}"]
        verdicts = [r["verdict"]]
        for fam, ratio in (("ordinal", "OR"), ("count", "RR")):
            v = r.get(f"verdict_{fam}")
            if not isinstance(v, str) or not v:
                continue
            name = outcome_words(r[f"outcome_{fam}"], words, labels) if r.get(
                f"outcome_{fam}") else fam
            parts.append(f"{fam} model ({name.lower()}): {v}"
                         f"{_estimate(r, '_' + fam, ratio, digits)}")
            if v != "not applicable":
                verdicts.append(v)
        if len(verdicts) == 1:
            continue
        cuts = r.get("spec_by_threshold")  # the specification curve, one count per cut
        cuts = (" Across the specifications, by where the scale is cut: "
                f"{esc(cuts)}.") if isinstance(cuts, str) and cuts else ""
        out.append(f"<strong>{esc(r['claim'])}</strong> {esc('; '.join(parts))}. "
                   f"{agreement(verdicts)}{cuts}")
    return out


def agreement(verdicts: list[str], noun: str = "model") -> str:
    """Whether one claim's verdicts under several models agree, counting only the estimable
    ones (coprod.pipeline.estimable: a separated, unconverged or failed fit is "not estimated" and
    agrees or disagrees with nothing), and saying how many were not."""
    est = [v for v in verdicts if v != "not estimated"]
    m = len(verdicts) - len(est)
    if len(est) < 2:
        return (f"Only {len(est) or 'no'} {noun}{'' if len(est) == 1 else 's'} of "
                f"{len(verdicts)} estimable ({m} not estimable): nothing to compare.")
    if len(set(est)) > 1:
        return (f"The verdict depends on the {noun} ({len(est)} estimable, {m} not "
                "estimable): read the claim with care.")
    if not m:
        return f"The verdict holds under every {noun} (all {len(est)} estimable)."
    return (f"The verdict holds under every estimable {noun} ({len(est)} of {len(verdicts)}; "
            f"{m} not estimable).")


def cut_disagreements(cuts: pd.DataFrame, *, sample: str, words: dict | None = None,
                      labels: dict | None = None) -> list[str]:
    """Per ordinal outcome, the covariate levels whose binary cuts' intervals do not overlap
    (a plain sign that one ordinal odds ratio averages over different effects). A cut whose
    fit is separated or did not converge (a blocking flag on its rows: coprod.pipeline.estimable) is
    not estimable: it is left out of the comparison and named."""
    from ..pipeline.estimable import is_blocking

    out: list[str] = []
    if cuts is None or not len(cuts):
        return out
    sub = cuts[(cuts["sample"].astype(str) == str(sample))
               & ~cuts["cut"].astype(str).str.startswith("ordinal")]
    for o, block in sub.groupby("outcome", sort=False):
        flags = block["flag"] if "flag" in block.columns else pd.Series("", index=block.index)
        bad = list(dict.fromkeys(block.loc[flags.map(is_blocking), "cut"].astype(str)))
        n_cuts = block["cut"].nunique()
        block = block[~block["cut"].astype(str).isin(bad)]
        apart = []
        for _, t in block.groupby("term", sort=False):
            if len(t) > 1 and t["conf_low"].max() > t["conf_high"].min():
                apart.append(str(t["label"].iloc[0]))
        name = outcome_words(str(o), words, labels)
        if bad:
            name += (f" ({len(bad)} of {n_cuts} cuts not estimable, separated or not "
                     f"converged: {', '.join(bad)})")
        if block["cut"].nunique() < 2:
            out.append(f"{name}: fewer than two estimable cuts, nothing to compare.")
        elif apart:
            out.append(f"{name}: the binary cuts disagree (intervals apart) for "
                       f"{', '.join(apart)}; the ordinal odds ratio averages over different "
                       "effects at different points of the scale, so read the cuts.")
        else:
            out.append(f"{name}: the binary cuts' intervals overlap for every covariate (a "
                       "plain comparison, not a formal test of proportional odds): no sign "
                       "that the cut changes the effects.")
    return out


def _estimate(r, suffix: str, ratio: str, digits: int) -> str:
    """The estimate beside a verdict, with as many decimals as the decimals rule needs
    (:func:`coprod.report.tablemodel.interval_digits`: an interval that excludes the value of
    no effect never shows it as a bound, so "RR 0.99 [0.98, 1.00]" never stands beside
    "supported")."""
    est = r.get(f"estimate{suffix}")
    if est is None or pd.isna(est):
        return ""
    lo, hi = r[f"conf_low{suffix}"], r[f"conf_high{suffix}"]
    if suffix == "" and r.get("scale") != "log-odds":
        d = interval_digits([Cell("estimate", est, lo, hi, null=0.0)], digits)
        return f" (difference {fmt_ci(est, lo, hi, d)})"
    d = interval_digits([Cell("estimate", est, lo, hi, show="exp", null=1.0)], digits)
    return f" ({ratio} " + fmt_ci(np.exp(est), np.exp(lo), np.exp(hi), d) + ")"


# -- complete cases beside multiple imputation --------------------------------------------------

def mi_table(coefs: pd.DataFrame, fit: pd.DataFrame, coefs_mi: pd.DataFrame, *,
             outcomes: list[str], sample: str, covariates: list[str], reference_levels: dict,
             levels: dict | None = None, labels: dict | None = None,
             words: dict | None = None, digits: int = 2,
             per: dict | None = None, name: str = "imputation", caption: str = "") -> Table:
    """Odds ratios [CI] of the complete-case and the imputed models side by side under each
    outcome (a spanning head), with the fraction of missing information of each imputed
    estimate, one row per covariate level, and the respondents each analysis uses."""
    kw: dict[str, Any] = {"covariates": covariates, "reference_levels": reference_levels,
                          "levels": levels, "labels": labels, "words": words, "digits": digits,
                          "per": per, "fit_rows": False}
    columns = [(sample, o) for o in outcomes]
    cc = model_table(coefs, fit, columns=columns, **kw)
    mi = model_table(coefs_mi, combined_fit(coefs_mi), columns=columns, **kw)
    mi_rows = {(r.kind, r.label, tuple(sorted(r.codes.items()))): cells
               for r, cells in zip(mi.rows, mi.cells)}
    sub = coefs_mi[coefs_mi["sample"].astype(str) == str(sample)] if len(coefs_mi) else coefs_mi
    fmi = {(str(r["outcome"]), str(r["term"])): num(r.get("fmi")) for _, r in sub.iterrows()}
    rows: list[tuple[Row, list[Cell]]] = []
    for row, cells in zip(cc.rows, cc.cells):
        imputed = mi_rows.get((row.kind, row.label, tuple(sorted(row.codes.items()))))
        out = []
        for j, o in enumerate(outcomes):
            f = fmi.get((o, row.codes.get("term", "")))
            out += [cells[j], imputed[j] if imputed else Cell(),
                    Cell("number", estimate=f, scale="fmi") if f is not None else Cell()]
        rows.append((row, out))
    n_cells = []  # how many respondents each analysis uses: what imputation gives back
    for o in outcomes:
        f = fit_row(fit, o, sample)
        m = sub[sub["outcome"] == o] if len(sub) else sub
        n_cells += [Cell("count", estimate=num(f["n"]), scale="n") if f is not None and
                    pd.notna(f["n"]) else Cell(),
                    Cell("count", estimate=num(m["n"].iloc[0]), scale="n") if len(m) and
                    "n" in m and pd.notna(m["n"].iloc[0]) else Cell(), Cell()]
    rows.append((Row("Respondents in the model", "foot", {"measure": "n"}), n_cells))
    heads = (("Complete cases", "complete_cases"), ("Imputed", "imputed"), ("FMI", "fmi"))
    cols = [Column(h, span=c.head, codes={**c.codes, "data": d})
            for c in cc.columns for h, d in heads]
    return build(name, caption, cols, rows, digits=digits, scale_digits={"fmi": 2},
                 notes=cc.notes)


MI_NOTE = (
    "{what} with {pct} confidence intervals. Complete cases: respondents missing a model "
    "variable leave the model. Imputed: {m} datasets completed by chained equations (each "
    "incomplete variable regressed on all the others, the imputed outcomes, the weight and "
    "group indicators, then filled by predictive mean matching), each analysed with the same "
    "design-based model, combined by Rubin's rules with Barnard-Rubin degrees of freedom. One "
    "imputation model serves every group: relations that differ between groups are imputed as "
    "their average, and strata and clusters are not in it; categories are imputed on their "
    "level codes. FMI: the fraction of missing information of the imputed estimate (how much "
    "of its uncertainty the missing answers cause).")


def run_mi_table(*, coefficients, fit, coefficients_mi, clean_table, outcomes, sample,
                 covariates, reference_levels, levels, conf_level, digits, words, m,
                 outputs: dict, notice: str = "", per: dict | None = None,
                 latex=None) -> None:
    """The imputation rule's table; ``per`` (report.per): effects per so many units;
    ``latex``: report.latex."""
    from .tablelatex import LatexSettings

    meta = table_meta(clean_table)
    labels, words = meta.get("labels", {}), dict(words)
    coefs_mi = read_results(coefficients_mi, "coefficients")
    table = mi_table(read_results(coefficients, "coefficients"), read_results(fit, "fit"),
                     coefs_mi, outcomes=list(outcomes),
                     sample=sample, covariates=list(covariates),
                     reference_levels=dict(reference_levels), levels=dict(levels),
                     labels=labels, words=words, digits=digits, per=per,
                     caption=f"Complete cases or imputed data? ({word(sample, words)})")
    write_table(table.with_notes(MI_NOTE.format(pct=f"{conf_level:.0%}", m=m,
                                                what=mi_ratios(coefs_mi, outcomes)),
                                 marks_note(table, use_stars=False, conf_level=conf_level)),
                group_outputs(outputs)["imputation"], notice=notice,
                latex_settings=LatexSettings.from_params(latex))


def mi_ratios(coefs_mi: pd.DataFrame, outcomes) -> str:
    """What the imputation table's numbers are: odds ratios, or with an ordinal or count
    outcome among imputation.outcomes each family's ratio in words (a count's effects are rate
    ratios, never odds ratios), by the family the imputed models were fitted with."""
    from .wording import family_phrase

    fams = (coefs_mi.loc[coefs_mi["outcome"].astype(str).isin([str(o) for o in outcomes]),
                         "family"].dropna().astype(str)
            if len(coefs_mi) and "family" in coefs_mi.columns else pd.Series(dtype=str))
    kinds = set(fams) or {"logit"}
    if kinds == {"logit"}:
        return "Odds ratios"
    phrase = family_phrase(kinds)
    return f"{phrase[:1].upper()}{phrase[1:]}. All"


def mi_sentences(checked: pd.DataFrame | None, *, digits: int = 2) -> list[str]:
    """Per claim: its verdict on the complete cases and on the imputed data."""
    out: list[str] = []
    if checked is None or not len(checked) or "verdict_mi" not in checked.columns:
        return out
    for _, r in checked.iterrows():
        v = r.get("verdict_mi")
        if not isinstance(v, str) or not v or r["verdict"] == "skipped":
            continue
        cc = f"complete cases: {r['verdict']}{_estimate(r, '', 'OR', digits)}"
        mi = f"imputed: {v}{_estimate(r, '_mi', 'OR', digits)}"
        est = [x for x in (r["verdict"], v) if x != "not estimated"]
        same = ("the contrast test is run on complete cases only" if v == "not applicable"
                else f"{2 - len(est)} of the 2 not estimable, nothing to compare"
                if len(est) < 2 else "the same verdict" if v == r["verdict"] else
                "the verdict changes with the missing answers")
        out.append(f"<strong>{esc(r['claim'])}</strong> {esc(cc)}; {esc(mi)}: {same}.")
    return out
