"""Journal-style tables from the tidy model outputs, rendered as CSV, LaTeX (booktabs) and HTML.

Why one display table rendered three ways: the numbers a reader sees in the paper (LaTeX), on
the web (HTML) and in a spreadsheet (CSV) come from one DataFrame, so they cannot disagree.
A display table has the columns ``variable`` and ``level`` (the row stub) followed by one column
per model or group; ``df.attrs["foot"]`` is how many final rows go below a rule (n, events...).
Values are formatted here, once; the renderers (:mod:`coprod.report.tablerender`) only
escape and lay out.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..pipeline.designkeys import DesignSettings
from ..pipeline.io import (
    RESULT_COLUMNS,  # noqa: F401,E402
    group_outputs,
    read_results,
    table_meta,
    term_names,
    tidy_contrast,
)
from ..pipeline.reportsettings import TableSettings
from .tablerender import write_table_files
from .wording import (  # noqa: F401 (re-exported: the table vocabulary lived here before)
    NA,
    REF,
    STAR_LEVELS,
    Grouping,
    default_table_title,
    df_wording,
    excluded_pairs,
    family_phrase,
    fit_row,
    fmt,
    fmt_ci,
    fmt_count,
    fmt_p,
    incomplete_wording,
    lower_word,
    model_rows,
    model_status,
    outcome_words,
    per_units,
    resolve_grouping,
    split_outcome,
    split_outcomes,
    star_note,
    stars,
    variance_wording,
    word,
)

# -- model tables ----------------------------------------------------------------------------

def _variable_order(coefs: pd.DataFrame, covariates: list[str]) -> list[str]:
    """Covariates in config order, then anything else estimated (the group fixed effects).

    ``coefs`` are the coefficients of the table's own models: a table of within-group models
    has no rows for the group column, which only the pooled model estimates.
    """
    seen = [v for v in coefs.get("variable", pd.Series(dtype=str)).unique()
            if v not in ("Intercept", "")]  # "": an ordinal model's cut-points
    return list(dict.fromkeys([*covariates, *seen]))


def model_table(coefs: pd.DataFrame, fit: pd.DataFrame, *, columns: list[tuple[str, str]],
                covariates: list[str], reference_levels: dict, levels: dict | None = None,
                labels: dict | None = None, words: dict | None = None, digits: int = 2,
                use_stars: bool = False, tests: pd.DataFrame | None = None) -> pd.DataFrame:
    """Odds ratios [95% CI] for the (sample, outcome) ``columns``; reference levels as 'ref.'.

    A failed model's column is all dashes with its status below, never numbers. ``tests``
    (the models' joint Wald tests): the row of a variable with several levels shows its joint
    test, and each named group of covariates gets a row of its own.
    """
    labels, levels = labels or {}, levels or {}
    coefs = coefs if len(coefs) else pd.DataFrame(columns=["outcome", "sample", "term",
                                                           "variable", "level"])
    heads = [_column_head(s, o, columns, words, labels) for s, o in columns]
    models, mine = {}, pd.Series(False, index=coefs.index)
    for (s, o), head in zip(columns, heads):
        hit = (coefs["outcome"] == o) & (coefs["sample"].astype(str) == str(s))
        models[head] = (coefs[hit], *model_status(fit, o, s))
        mine |= hit
    own = coefs[mine]  # the coefficients of this table's models only
    rows = []
    for var in _variable_order(own, covariates):
        est = own[own["variable"] == var]
        lv = [x for x in est["level"].unique() if x]
        is_cat = bool(lv) or var in levels and levels[var] is not None
        name = word(var, words, labels)
        if not is_cat:
            rows.append({"variable": name, "level": "",
                         **{h: _cell(sub[sub["variable"] == var], st, digits, use_stars)
                            for h, (sub, st, _) in models.items()}})
            continue
        ref = reference_levels.get(var)
        order = [str(x) for x in (levels.get(var) or [])] or lv
        if ref is None and order and order[0] not in lv:
            ref = order[0]
        order = ([ref] if ref is not None else []) + [x for x in order if x != ref]
        order += [x for x in lv if x not in order]
        rows.append({"variable": name, "level": "",
                     **{h: _test_cell(tests, o, s, var, st)
                        for ((s, o), (h, (_, st, _))) in zip(columns, models.items())}})
        for level in order:
            cells = {}
            for h, (sub, st, _) in models.items():
                if level == ref:
                    # "ref." only where the model has the variable at all (a group's own model
                    # has no group fixed effects: blank, not "ref.")
                    in_model = bool((sub["variable"] == var).any())
                    cells[h] = NA if st == "failed" else (REF if in_model else "")
                else:
                    hit = sub[(sub["variable"] == var) & (sub["level"] == level)]
                    cells[h] = _cell(hit, st, digits, use_stars)
            rows.append({"variable": name, "level": level, **cells})
    rows += _group_test_rows(tests, columns, models, own, labels, words)
    foot = _fit_rows(fit, columns, heads)
    status_notes = "".join(r.pop("_notes", "") for r in foot)
    out = pd.DataFrame(rows + foot, columns=["variable", "level", *heads])
    out.attrs["foot"] = len(foot)
    if status_notes:  # the model-status marks' text, for the table's note
        out.attrs["status_notes"] = f"Model status: {status_notes}."
    return out


def fmt_test(r) -> str:
    """A joint Wald test as papers print it: F(2, 4878) = 2.34, p = 0.097."""
    if pd.isna(r.get("statistic")):
        return NA
    return (f"F({int(r['df_num'])}, {int(r['df_den'])}) = {fmt(r['statistic'], 2)}, "
            f"p {_p_phrase(r['p_value'])}")


def _test_cell(tests, outcome, sample, test, status) -> str:
    if tests is None or not len(tests) or status in ("failed", "missing"):
        return ""
    mine = model_rows(tests, outcome, sample)
    hit = mine[mine["test"] == test]
    return fmt_test(hit.iloc[0]) if len(hit) else ""


def _group_test_rows(tests, columns, models, own, labels, words) -> list[dict]:
    """A row per named group of covariates (config models.joint_tests) tested jointly."""
    if tests is None or not len(tests):
        return []
    variables = set(own["variable"])
    mine = tests[tests["outcome"].isin({o for _, o in columns})
                 & ~tests["test"].isin(variables)]
    rows = []
    for test in dict.fromkeys(mine["test"]):
        cells = {h: _test_cell(tests, o, s, test, st)
                 for ((s, o), (h, (_, st, _))) in zip(columns, models.items())}
        if not any(cells.values()):  # a test no model of this table has (a group's own)
            continue
        name = word(test, words, labels)
        rows.append({"variable": f"Joint test: {name.replace('_', ' ')}", "level": "",
                     **cells})
    return rows


def _column_head(sample, outcome, columns, words, labels) -> str:
    ow = outcome_words(outcome, words, labels)
    if len({s for s, _ in columns}) == 1:
        return ow
    return f"{word(sample, words)}: {ow}"


def _cell(hit: pd.DataFrame, status: str, digits: int, use_stars: bool) -> str:
    if status in ("failed", "missing") or not len(hit):
        return NA
    r = hit.iloc[0]
    if pd.isna(r.get("odds_ratio")) and pd.notna(r.get("rate_ratio")):  # a count model
        r = r.drop(["odds_ratio", "or_conf_low", "or_conf_high"], errors="ignore").rename(
            {"rate_ratio": "odds_ratio", "rr_conf_low": "or_conf_low",
             "rr_conf_high": "or_conf_high"})
    lo = r.get("or_conf_low", np.exp(r["conf_low"]))
    hi = r.get("or_conf_high", np.exp(r["conf_high"]))
    est = r.get("odds_ratio", np.exp(r["estimate"]))
    text = fmt_ci(est, lo, hi, digits) + stars(r.get("p_value"), use_stars)
    if str(r.get("flag", "") or "").strip():
        text += " \u2020"
    return text


EXCLUDED = "Excluded (missing)"


def _fit_rows(fit: pd.DataFrame, columns, heads) -> list[dict]:
    specs = [("n", "n", fmt_count), (EXCLUDED, "n_excluded_missing", fmt_count),
             ("Weighted n", "weighted_n", fmt_count),
             ("Events", "events", fmt_count),
             ("Pseudo-R\u00b2", "pseudo_r2", lambda x: fmt(x, 3))]
    rows = []
    for name, col, f in specs:
        cells = {}
        for (s, o), h in zip(columns, heads):
            row = fit_row(fit, o, s)
            cells[h] = f(row[col]) if row is not None and col in row and \
                row["status"] != "failed" else NA
        rows.append({"variable": name, "level": "", **cells})
    status = {h: model_status(fit, o, s) for (s, o), h in zip(columns, heads)}
    if any(st != "ok" for st, _ in status.values()):
        marks: dict[str, str] = {}  # message -> its footnote letter, in column order
        cells = {}
        for h, (st, msg) in status.items():
            if st == "ok" or not msg:
                cells[h] = st
                continue
            mark = marks.setdefault(msg, "abcdefghijklmnopqrstuvwxyz"[len(marks) % 26])
            cells[h] = f"{st} ({mark})"
        rows.append({"variable": "Model status", "level": "", **cells})
        rows[-1]["_notes"] = "; ".join(f"({m}) {msg}" for msg, m in marks.items())
    return rows


def excluded_note(excluded: pd.DataFrame | None, columns, heads, words: dict | None = None,
                  labels: dict | None = None) -> str:
    """For which variables the respondents of each model were excluded (``excluded``: the
    excluded table, results/models/excluded.csv, one row a model's variable), in words: the
    counts every model shares once, then the rest by column (columns with the same rest
    together)."""
    parsed = {}
    for (s, o), h in zip(columns, heads):
        if pairs := excluded_pairs(excluded, o, s):
            parsed[h] = pairs
    if not parsed:
        return ""
    first = next(iter(parsed.values()))
    common = [p for p in first if all(p in v for v in parsed.values())]
    rest: dict[tuple, list[str]] = {}
    for h, pairs in parsed.items():
        own = tuple(p for p in pairs if p not in common)
        if own:
            rest.setdefault(own, []).append(h)
    say = lambda pairs: ", ".join(f"{word(n, words, labels)} {c}".strip()  # noqa: E731
                                  for n, c in pairs)
    parts = ([("in every model: " if rest else "") + say(common)] if common else [])
    parts += [f"{' and '.join(hs)}{' also' if common else ''}: {say(own)}"
              for own, hs in rest.items()]
    return "; ".join(parts)


def model_table_note(use_stars: bool, conf_level: float = 0.95,
                     design: DesignSettings | None = None,
                     excluded: str = "", families: list[str] | None = None) -> str:
    """The note under a model table: how it was estimated (from ``design``; ``families``: the
    model families of its outcomes, default logistic), what the marks mean, and who was
    excluded for a missing value (``excluded``: from :func:`excluded_note`)."""
    pct, v = f"{conf_level:.0%}", variance_wording(design)
    gone = (f"{EXCLUDED}: respondents of the sample missing a variable of the model, "
            f"{incomplete_wording(design)}"
            + (f"; missing, by variable (a respondent may miss several): {excluded}."
               if excluded else "."))
    kinds = set(families or ["logit"])
    what, models = "Odds ratios", v["models"]
    if kinds != {"logit"}:  # ordinal and count models are no logistic regressions
        phrase = family_phrase(kinds)
        what, models = f"{phrase[:1].upper()}{phrase[1:]}. All", models.replace("logistic ", "")
    return (f"{what} with {pct} confidence intervals from {models} ({v['se']}, "
            f"{v['interval']}). “ref.” marks the reference level; intercepts "
            f"{'and cut-points ' if 'ordinal' in kinds else ''}are not shown. "
            "Beside a variable with several levels: the joint Wald test that all its levels' "
            f"effects are zero (F on the number of levels - 1 and {df_wording(design)}, as "
            "R's regTermTest). "
            f"{NA} = not estimated. \u2020 = the estimator flagged this term. {gone} "
            f"{star_note(use_stars, conf_level)}")


# -- the survey's own scales (robustness) ----------------------------------------------------

def scales_columns(scales: dict, sample: str) -> list[tuple[str, str]]:
    """(sample, outcome) of each 0/1 outcome followed by its ordinal and count versions."""
    return [(sample, o) for binary, others in scales.items() for o in [binary, *others]]


def scales_note(families: dict, conf_level: float,
                design: DesignSettings | None = None) -> str:
    """What the numbers of the scales table are, by model family."""
    pct, v = f"{conf_level:.0%}", variance_wording(design)
    kinds = set(families.values())
    parts = ["0/1 outcomes: odds ratios of a logistic model"]
    if "ordinal" in kinds:
        parts.append("ordinal outcomes: odds ratios of being in a higher category, from a "
                     "proportional-odds (cumulative logit) model")
    if "count" in kinds:
        parts.append("counts: rate ratios (the factor by which the expected number changes) "
                     "from a quasi-Poisson model")
    return (f"{'; '.join(parts)}. All with {pct} confidence intervals from {v['models']} "
            f"({v['se']}, {v['interval']}); same covariates, same respondents' design. “ref.” "
            "marks the reference level. Beside a variable with several levels: its joint Wald "
            "test.")


def cuts_table(cuts: pd.DataFrame, *, outcome: str, sample: str, covariates: list[str],
               reference_levels: dict, levels: dict | None = None,
               labels: dict | None = None, words: dict | None = None, digits: int = 2
               ) -> pd.DataFrame:
    """The proportional-odds check as a table: one column per binary cut of the ordinal
    outcome and one for the ordinal model, odds ratios [CI], one row per covariate level."""
    sub = model_rows(cuts, outcome, sample)
    names = list(dict.fromkeys(sub["cut"])) if len(sub) else []
    ordinal = [c for c in names if c.startswith("ordinal")]
    order = [c for c in names if c not in ordinal] + ordinal
    coefs = sub.assign(outcome=sub["cut"]) if len(sub) else sub
    fit = pd.DataFrame({"outcome": order, "sample": sample, "status": "ok", "message": ""})
    table = model_table(coefs, fit, columns=[(sample, c) for c in order],
                        covariates=covariates, reference_levels=reference_levels,
                        levels=levels, labels=labels, words=words, digits=digits)
    table = table.iloc[:len(table) - table.attrs.get("foot", 0)].copy()
    table.attrs["foot"] = 0
    heads = [c for c in table.columns if c not in ("variable", "level")]
    return table.rename(columns={h: c[0].upper() + c[1:] for h, c in zip(heads, order)})


# -- the contrast table ----------------------------------------------------------------------



def contrast_table(contrast: pd.DataFrame, *, samples: list[str], words: dict | None = None,
                   digits: int = 2, use_stars: bool = False) -> pd.DataFrame:
    """Differences in log-odds between the two outcomes, per covariate level and sample."""
    c = tidy_contrast(contrast) if len(contrast) else tidy_contrast(pd.DataFrame())
    heads = [word(s, words) for s in samples]
    terms = c[(c["kind"] == "term") & (c["term"] != "") & (c["term"] != "Intercept")]
    order = list(dict.fromkeys(terms["term"]))
    rows = []
    for term in order:
        lab = terms.loc[terms["term"] == term, "label"].iloc[0] or term
        cells = {}
        for s, h in zip(samples, heads):
            hit = terms[(terms["sample"] == s) & (terms["term"] == term)]
            done = c[(c["sample"] == s) & (c["status"] != "failed")]
            if not len(hit) and len(done):  # not a term of this sample's model (a group's own
                cells[h] = ""               # model has no group effects): blank, not a dash
            elif not len(hit) or hit["status"].iloc[0] == "failed":
                cells[h] = NA
            else:
                r = hit.iloc[0]
                cells[h] = fmt_ci(r["estimate"], r["conf_low"], r["conf_high"], digits) + \
                    stars(r["p_value"], use_stars)
        rows.append({"variable": lab, "level": "", **cells})
    foot = []
    joint = c[c["kind"] == "joint"]
    if "df_num" in joint.columns:  # a 1-df joint test repeats its term's row: keep the others
        joint = joint[pd.to_numeric(joint["df_num"], errors="coerce").fillna(2) > 1]
    for name in dict.fromkeys(joint["label"].where(joint["label"] != "", joint["term"])):
        cells = {}
        for s, h in zip(samples, heads):
            hit = joint[(joint["sample"] == s) &
                        (joint["label"].where(joint["label"] != "", joint["term"]) == name)]
            done = c[(c["sample"] == s) & (c["status"] != "failed")]
            cells[h] = ("" if not len(hit) and len(done) else NA if not len(hit) else
                        f"{fmt(hit['statistic'].iloc[0], 2)} "
                        f"(p {_p_phrase(hit['p_value'].iloc[0])})")
        foot.append({"variable": f"Joint test (F){': ' + name if name else ''}", "level": "",
                     **cells})
    failed = {s: c.loc[(c["sample"] == s) & (c["status"] == "failed"), "message"]
              for s in samples}
    if any(len(v) for v in failed.values()):
        foot.append({"variable": "Status", "level": "",
                     **{h: f"failed: {failed[s].iloc[0]}" if len(failed[s]) else "ok"
                        for s, h in zip(samples, heads)}})
    out = pd.DataFrame(rows + foot, columns=["variable", "level", *heads])
    out.attrs["foot"] = len(foot)
    return out


def per_difference(con: pd.DataFrame, labels: dict, per: dict | None,
                   words: dict | None = None) -> pd.DataFrame:
    """The contrast test's differences of a numeric covariate in ``per`` ({variable: k}) per k
    units (differences, their SEs and intervals times k; t and p unchanged), as the model
    tables show its odds ratios; for display only."""
    if not per or not len(con) or not {"variable", "term"} & set(con.columns):
        return con
    out = con.copy()
    terms = out["term"] if "term" in out.columns else pd.Series("", index=out.index)
    parts = terms.fillna("").astype(str).map(term_names)
    variable = out["variable"].fillna("").astype(str) if "variable" in out.columns \
        else parts.str[0]
    level = out["level"].fillna("").astype(str) if "level" in out.columns else parts.str[1]
    for var, k in per.items():
        rows = (variable == var) & (level == "")
        if "kind" in out.columns:
            rows &= out["kind"].astype(str) != "joint"
        for col in ("difference", "std_error", "conf_low", "conf_high", "estimate_a",
                    "std_error_a", "estimate_b", "std_error_b"):
            if col in out.columns:
                out.loc[rows, col] = out.loc[rows, col] * float(k)
        if "label" in out.columns:
            out.loc[rows, "label"] = f"{word(var, words, labels)}, per {k:g}"
    return out


def _p_phrase(p) -> str:
    text = fmt_p(p)
    return text if text.startswith("<") or text == NA else f"= {text}"


# -- descriptive and cleaning tables ---------------------------------------------------------

def descriptives_table(desc: pd.DataFrame, *, groups: list[str], words: dict | None = None,
                       digits: int = 1, mean_digits: int = 2) -> pd.DataFrame:
    """% (categories) or mean (numbers) with CI by group, and unweighted n."""
    heads = [word(g, words) for g in groups]
    rows = [{"variable": "n (unweighted)", "level": "",
             **{h: fmt_count(desc.loc[desc["group"] == g, "group_n"].max())
                for g, h in zip(groups, heads)}}]
    for var in dict.fromkeys(desc["variable"]):
        sub = desc[desc["variable"] == var]
        label = sub["label"].iloc[0]
        if (sub["stat"] == "mean").all():
            rows.append({"variable": f"{label}, mean", "level": "",
                         **_desc_cells(sub, groups, heads, mean_digits)})
            continue
        rows.append({"variable": f"{label}, %", "level": "", **{h: "" for h in heads}})
        for level in dict.fromkeys(sub["level"]):
            rows.append({"variable": f"{label}, %", "level": str(level),
                         **_desc_cells(sub[sub["level"] == level], groups, heads, digits)})
    out = pd.DataFrame(rows, columns=["variable", "level", *heads])
    out.attrs["foot"] = 0
    return out


def _desc_cells(sub, groups, heads, digits):
    cells = {}
    for g, h in zip(groups, heads):
        hit = sub[sub["group"] == g]
        if not len(hit):
            cells[h] = NA
            continue
        r = hit.iloc[0]
        k = 100.0 if r["stat"] == "percent" else 1.0
        cells[h] = fmt_ci(r["estimate"] * k, r["conf_low"] * k, r["conf_high"] * k, digits)
    return cells


def cleaning_table(summary: pd.DataFrame, words: dict | None = None,
                   group_label: str = "Group") -> pd.DataFrame:
    """The cleaning summary with column names in words (the first: the groups' word)."""
    out = pd.DataFrame({group_label: summary.iloc[:, 0].astype(str)})
    for col in summary.columns[1:]:
        name = col
        if col.startswith("dropped_"):
            name = "Dropped: " + col[len("dropped_"):].replace("_", " ")
        else:
            name = word(col, words).capitalize()
        vals = summary[col]
        out[name] = vals.map(lambda v: "yes" if v is True or v == "True" else
                             "no" if v is False or v == "False" else
                             fmt_count(v) if isinstance(v, (int, float, np.integer, np.floating))
                             else str(v))
    out.attrs["foot"] = 0
    return out


# -- the tables rule -------------------------------------------------------------------------

def run_tables(*, descriptives, coefficients, fit, contrast, cleaning_summary, clean_table,
               settings: TableSettings, words: dict, covariates, reference_levels, levels,
               contrast_outcomes, conf_level, weighted: bool = True,
               design: DesignSettings | None = None,
               grouping: Grouping | None = None, subject: str | None = None,
               outputs: dict, tests=None, excluded=None) -> None:
    """Write every display table named in ``outputs`` as CSV, LaTeX and HTML.

    ``design`` (the config's design section) words the notes by the variance method used;
    ``grouping`` ({column, label, effects}) names the groups (default: the clean table's).
    """

    words = dict(words)
    digits, use_stars = int(settings.digits), bool(settings.stars)
    paths = group_outputs(outputs)
    coefs, fit_t = read_results(coefficients, "coefficients"), read_results(fit, "fit")
    meta = table_meta(clean_table)
    labels, grp = meta.get("labels", {}), resolve_grouping(grouping, meta)
    # report.per: effects per so many units in the coefficient rows only (the missing-data
    # note counts respondents, in the variable's own name)
    coefs, effect_labels = per_units(coefs, labels, dict(settings.per), words)
    desc = read_results(descriptives, "descriptives")
    groups = list(dict.fromkeys(desc["group"].astype(str))) if len(desc) else []
    ci, pct = variance_wording(design)["ci"], f"{conf_level:.0%}"
    notice = settings.notice or ""
    write_table_files(descriptives_table(desc, groups=groups, words=words),
                      paths["descriptives"], name="descriptives", notice=notice,
                      caption=f"{word('respondents', words).capitalize()} by "
                              f"{lower_word(grp.label)}: "
                              f"{'weighted ' if weighted else ''}% or mean [{pct} CI]",
                      note=f"{'Weighted p' if weighted else 'P'}ercentages (categories) or means "
                           f"(numbers) with {pct} {ci} confidence intervals; n is unweighted.")
    model_kw = dict(covariates=list(covariates), reference_levels=dict(reference_levels),
                    levels=dict(levels), labels=effect_labels, words=words, digits=digits,
                    use_stars=use_stars,
                    tests=read_results(tests, "tests") if tests else None)
    for name, spec in settings.models.items():
        if f"models_{name}" in paths:
            _write_model_table(name, spec, coefs, fit_t, paths[f"models_{name}"], model_kw,
                               conf_level=conf_level, design=design, grouping=grp,
                               subject=subject, notice=notice, labels=labels,
                               excluded=read_results(excluded, "excluded") if excluded else None)
    if "contrast" in paths:
        _write_contrast_table(contrast, paths["contrast"], contrast_outcomes, labels, words,
                              conf_level=conf_level, digits=digits, use_stars=use_stars,
                              notice=notice, per=dict(settings.per))
    log_csv = Path(cleaning_summary).with_name("cleaning_log.csv")
    write_table_files(cleaning_table(read_results(cleaning_summary), words, grp.label),
                      paths["cleaning"], name="cleaning", notice=notice,
                      caption="Cleaning: rows read, dropped by reason and kept",
                      note=f"From {cleaning_summary}; every row and value is in {log_csv}.")


def _write_model_table(name, spec, coefs, fit_t, stem_paths, model_kw, *, conf_level, design,
                       grouping, subject, notice="", labels=None, excluded=None) -> None:

    cols = [(s, o) for s in spec["samples"] for o in spec["outcomes"]]
    table = model_table(coefs, fit_t, columns=cols, **model_kw)
    families = [(spec.get("families") or {}).get(o, "logit") for o in spec["outcomes"]]
    heads = [c for c in table.columns if c not in ("variable", "level")]
    excluded = excluded_note(excluded, cols, heads, model_kw["words"],
                             model_kw["labels"] if labels is None else labels)
    title = spec.get("title") or default_table_title(
        subject or "the outcomes", spec["samples"], grouping.label, model_kw["words"])
    write_table_files(table, stem_paths, name=f"models_{name}", caption=title, notice=notice,
                      note=model_table_note(model_kw["use_stars"], conf_level, design, excluded,
                                            families))


def _write_contrast_table(contrast, stem_paths, contrast_outcomes, labels, words, *, conf_level,
                          digits, use_stars, notice="", per=None) -> None:
    a, b = contrast_outcomes
    second, first = labels.get(b, b), lower_word(labels.get(a, a))  # second minus first
    con = per_difference(read_results(contrast, "contrast"), labels, per, words)
    samples = list(dict.fromkeys(con["sample"].astype(str))) if len(con) else []
    table = contrast_table(con, samples=samples, words=words, digits=digits, use_stars=use_stars)
    write_table_files(
        table, stem_paths, name="contrast", notice=notice,
        caption=f"Contrast test: {labels.get(b, b)} vs {lower_word(labels.get(a, a))}, "
                "difference of the coefficients (log-odds)",
        note=f"Difference between the coefficients (log-odds) for {second} and {first} "
             f"({second} minus {first}), with {conf_level:.0%} confidence intervals from one "
             f"stacked design-based model; a positive difference means a stronger positive "
             f"effect on {second}. Joint tests: F statistic of all the differences of a term. "
             f"{star_note(use_stars, conf_level, scale='log-odds difference')}")
