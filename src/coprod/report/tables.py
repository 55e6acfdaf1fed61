"""The model tables (odds or rate ratios by model, their joint tests and fit statistics) as
:class:`~coprod.report.tablemodel.Table` s, their notes, and the tables rule.

Why tables as data: a cell keeps the numbers of the result files (the log-odds, its interval
and p-value, a joint test's F and degrees of freedom), so the display (odds ratios), the tidy
CSV (the log-odds at full precision, keyed by outcome, sample and term) and the LaTeX and HTML
renderers read the same numbers and nothing is parsed back from text. The other tables of the
tables rule (descriptives, contrast, cleaning, average marginal effects) are in
:mod:`coprod.report.moretables`; every table is written by :mod:`coprod.report.tablefiles`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from ..pipeline.designkeys import DesignSettings
from ..pipeline.io import (
    RESULT_COLUMNS,  # noqa: F401,E402
    group_outputs,
    read_results,
    table_meta,
    term_names,  # noqa: F401 (read here before)
    tidy_contrast,  # noqa: F401 (read here before)
)
from ..pipeline.reportsettings import TableSettings
from .intercepts import TABLE, prevalence_models_table
from .tablemodel import Cell, Column, Row, Table, build
from .wording import (  # noqa: F401 (re-exported: the table vocabulary lived here before)
    DAGGER,
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
    marks_note,
    model_rows,
    model_status,
    num,
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

EXCLUDED = "Excluded (missing)"


# -- model tables ----------------------------------------------------------------------------

def _variable_order(coefs: pd.DataFrame, covariates: list[str]) -> list[str]:
    """Covariates in config order, then anything else estimated (the group fixed effects).

    ``coefs`` are the coefficients of the table's own models: a table of within-group models
    has no rows for the group column, which only the pooled model estimates.
    """
    seen = [v for v in coefs.get("variable", pd.Series(dtype=str)).unique()
            if v not in ("Intercept", "")]  # "": an ordinal model's cut-points
    return list(dict.fromkeys([*covariates, *seen]))


def estimate_cell(hit: pd.DataFrame, status: str, per: float | None = None) -> Cell:
    """A coefficient as a cell: its log-odds (log-rate for a count model) with interval and
    p-value as the result file has them, shown as the ratio; a dash for a failed model or a
    term the model lacks. ``per``: the estimate is already the effect of so many units."""
    if status in ("failed", "missing") or not len(hit):
        return Cell("na")
    r = hit.iloc[0]
    count = pd.isna(r.get("odds_ratio")) and pd.notna(r.get("rate_ratio"))
    flag = r.get("flag")
    flagged = isinstance(flag, str) and bool(flag.strip())
    return Cell("estimate", estimate=num(r["estimate"]), conf_low=num(r["conf_low"]),
                conf_high=num(r["conf_high"]), p_value=num(r.get("p_value")),
                scale="log_rate" if count else "log_odds", show="exp", null=1.0,
                marks=(DAGGER,) if flagged else (), per=per)


def joint_cell(tests: pd.DataFrame | None, outcome: str, sample, test: str,
              status: str) -> Cell:
    """A joint Wald test as a cell: shown as its p-value; its F and degrees of freedom kept."""
    if tests is None or not len(tests) or status in ("failed", "missing"):
        return Cell()
    mine = model_rows(tests, outcome, sample)
    hit = mine[mine["test"] == test]
    if not len(hit):
        return Cell()
    r = hit.iloc[0]
    if pd.isna(r.get("statistic")):
        return Cell("na")
    return Cell("test", p_value=num(r["p_value"]), statistic=num(r["statistic"]),
                df_num=num(r["df_num"]), df_den=num(r["df_den"]), scale="F")


def model_columns(columns: Sequence[tuple[str, str]], words: dict | None,
                  labels: dict | None) -> list[Column]:
    """One column per (sample, outcome): the outcome's words, under its sample's words as a
    spanning head when the table has several samples."""
    several = len({str(s) for s, _ in columns}) > 1
    return [Column(outcome_words(o, words, labels), span=word(s, words) if several else "",
                   codes={"outcome": str(o), "sample": str(s)}) for s, o in columns]


def model_table(coefs: pd.DataFrame, fit: pd.DataFrame, *, columns: list[tuple[str, str]],
                covariates: list[str], reference_levels: dict, levels: dict | None = None,
                labels: dict | None = None, words: dict | None = None, digits: int = 2,
                use_stars: bool = False, tests: pd.DataFrame | None = None,
                per: Mapping[str, float] | None = None, name: str = "",
                caption: str = "", fit_rows: bool = True) -> Table:
    """Ratios [95% CI] for the (sample, outcome) ``columns``; reference levels as "ref.".

    A failed model's column is all dashes with its status below, never numbers. ``tests``
    (the models' joint Wald tests): the row of a variable with several levels shows its joint
    test's p-value, and each named group of covariates gets a row of its own. ``per``
    (report.per, {variable: k}): a numeric covariate's effect per k units (its log-odds times
    k in the cell, which says ``per=k``; the label says so too). ``fit_rows``: n, events and
    pseudo-R² at the foot.
    """
    labels, levels, per = dict(labels or {}), levels or {}, dict(per or {})
    if per:
        coefs, labels = per_units(coefs, labels, per, words)
    coefs = coefs if len(coefs) else pd.DataFrame(columns=["outcome", "sample", "term",
                                                           "variable", "level"])
    models, mine = [], pd.Series(False, index=coefs.index)
    for s, o in columns:
        hit = (coefs["outcome"] == o) & (coefs["sample"].astype(str) == str(s))
        models.append((coefs[hit], *model_status(fit, o, s)))
        mine |= hit
    own = coefs[mine]  # the coefficients of this table's models only
    # each model's rows by variable and by (variable, level), looked up once per cell rather
    # than found by masking the model's frame again for every cell (~1,500 masks a job)
    found = [_row_positions(sub) for sub, _, _ in models]
    rows: list[tuple[Row, list[Cell]]] = []
    for var in _variable_order(own, covariates):
        est = own[own["variable"] == var]
        lv = [x for x in est["level"].unique() if x]
        is_cat = bool(lv) or var in levels and levels[var] is not None
        label = word(var, words, labels)
        if not is_cat:
            term = str(est["term"].iloc[0]) if len(est) else var
            k = per.get(var)
            rows.append((Row(label, "term", {"term": term, "variable": var}),
                         [estimate_cell(_rows_at(sub, by_var.get(var)), st,
                                        float(k) if k else None)
                          for (sub, st, _), (by_var, _) in zip(models, found)]))
            continue
        ref = reference_levels.get(var)
        order = [str(x) for x in (levels.get(var) or [])] or lv
        if ref is None and order and order[0] not in lv:
            ref = order[0]
        order = ([ref] if ref is not None else []) + [x for x in order if x != ref]
        order += [x for x in lv if x not in order]
        rows.append((Row(label, "variable", {"variable": var}),
                     [joint_cell(tests, o, s, var, st)
                      for (s, o), (_, st, _) in zip(columns, models)]))
        for level in order:
            terms = est.loc[est["level"] == level, "term"]
            codes = {"variable": var, "level": str(level)}
            if len(terms):
                codes = {"term": str(terms.iloc[0]), **codes}
            cells = []
            for (sub, st, _), (by_var, by_level) in zip(models, found):
                if level == ref:
                    # "ref." only where the model has the variable at all (a group's own model
                    # has no group fixed effects: blank, not "ref.")
                    in_model = var in by_var
                    cells.append(Cell("na") if st == "failed" else
                                 Cell("ref") if in_model else Cell())
                else:
                    cells.append(estimate_cell(_rows_at(sub, by_level.get((var, level))), st))
            rows.append((Row(str(level), "level", codes), cells))
    rows += _group_test_rows(tests, columns, models, own, labels, words)
    status_note = ""
    if fit_rows:
        foot, status_note = _fit_rows(fit, columns)
        rows += foot
    table = build(name, caption, model_columns(columns, words, labels), rows, digits=digits,
                  scale_digits={"pseudo_r2": 3}, stars=use_stars)
    return table.with_notes(status_note)


def _row_positions(sub: pd.DataFrame) -> tuple[dict, dict]:
    """The position of the first row of each variable, and of each (variable, level), in a
    model's coefficients: what ``sub[sub.variable == v]`` and ``sub[(sub.variable == v) &
    (sub.level == l)]`` find first. A missing variable or level equals nothing, as in a mask."""
    by_var: dict = {}
    by_level: dict = {}
    variables = sub["variable"].tolist() if "variable" in sub else [None] * len(sub)
    levels = sub["level"].tolist() if "level" in sub else [None] * len(sub)
    for i, (v, lev) in enumerate(zip(variables, levels)):
        if v is None or pd.isna(v):
            continue
        by_var.setdefault(v, i)
        if lev is not None and not pd.isna(lev):
            by_level.setdefault((v, lev), i)
    return by_var, by_level


def _rows_at(sub: pd.DataFrame, at: int | None) -> pd.DataFrame:
    """The one row at position ``at`` of ``sub`` as a frame (none: no row)."""
    return sub.iloc[:0] if at is None else sub.iloc[[at]]


def _group_test_rows(tests, columns, models, own, labels, words) -> list:
    """A row per named group of covariates (config models.joint_tests) tested jointly."""
    if tests is None or not len(tests):
        return []
    variables = set(own["variable"])
    mine = tests[tests["outcome"].isin({o for _, o in columns})
                 & ~tests["test"].isin(variables)]
    rows = []
    for test in dict.fromkeys(mine["test"]):
        cells = [joint_cell(tests, o, s, test, st) for (s, o), (_, st, _) in zip(columns, models)]
        if all(c.kind == "blank" for c in cells):  # a test no model of this table has
            continue
        label = word(test, words, labels).replace("_", " ")
        rows.append((Row(f"Joint test: {label}", "test", {"test": str(test)}), cells))
    return rows


#: the fit statistics at a model table's foot: (label, fit.csv column, kind of cell)
FIT_ROWS = (("n", "n", "count"), (EXCLUDED, "n_excluded_missing", "count"),
            ("Weighted n", "weighted_n", "count"), ("Events", "events", "count"),
            ("Pseudo-R\u00b2", "pseudo_r2", "number"))


def _fit_rows(fit: pd.DataFrame, columns) -> tuple[list, str]:
    """The foot rows (fit statistics, then each model's status when one is not ok) and the
    note that explains the status marks."""
    rows = []
    for label, col, kind in FIT_ROWS:
        cells = []
        for s, o in columns:
            row = fit_row(fit, o, s)
            ok = row is not None and col in row and row["status"] != "failed"
            value = num(row[col]) if ok and row is not None else None
            cells.append(Cell(kind, estimate=value, scale=col) if value is not None
                         else Cell("na"))
        rows.append((Row(label, "foot", {"measure": col}), cells))
    status = [model_status(fit, o, s) for s, o in columns]
    if all(st == "ok" for st, _ in status):
        return rows, ""
    marks: dict[str, str] = {}  # message -> its footnote letter, in column order
    cells = []
    for st, msg in status:
        if st == "ok" or not msg:
            cells.append(Cell("text", text=st))
            continue
        mark = marks.setdefault(msg, "abcdefghijklmnopqrstuvwxyz"[len(marks) % 26])
        cells.append(Cell("text", text=f"{st} ({mark})"))
    rows.append((Row("Model status", "foot", {"measure": "status"}), cells))
    return rows, "Model status: " + "; ".join(f"({m}) {msg}" for msg, m in marks.items()) + "."


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


def incomplete_plain(design: DesignSettings | None = None) -> str:
    """Where a respondent missing a model variable went, in plain words (a table note)."""
    d = design or DesignSettings()
    if d.model_based:
        return "left out of that model"
    if d.incomplete == "drop":
        return "left out before the model's design was built"
    return "kept in the survey design but outside the model's estimation sample"


def joint_note(design: DesignSettings | None = None) -> str:
    """What the p-value beside a variable with several levels is."""
    return ("Beside a variable with several levels: the p-value of the joint Wald test that "
            "all its levels' effects are zero (an F test on the number of levels minus 1 and "
            f"{df_wording(design)}; the F statistic and its degrees of freedom are in the "
            "tidy data file).")


def model_table_note(use_stars: bool, conf_level: float = 0.95,
                     design: DesignSettings | None = None,
                     excluded: str = "", families: list[str] | None = None,
                     table: Table | None = None) -> str:
    """The note under a model table: how it was estimated (from ``design``; ``families``: the
    model families of its outcomes, default logistic), what the marks that occur in ``table``
    mean (every mark without a table), and who was excluded for a missing value
    (``excluded``: from :func:`excluded_note`)."""
    pct, v = f"{conf_level:.0%}", variance_wording(design)
    seen = table.occurring() if table is not None else {"test"}
    gone = (f"{EXCLUDED}: respondents of the sample missing a variable of the model, "
            f"{incomplete_plain(design)}"
            + (f"; missing, by variable (a respondent may miss several): {excluded}."
               if excluded else "."))
    kinds = set(families or ["logit"])
    what, models = "Odds ratios", v["models"]
    if kinds != {"logit"}:  # ordinal and count models are no logistic regressions
        phrase = family_phrase(kinds)
        what, models = f"{phrase[:1].upper()}{phrase[1:]}. All", models.replace("logistic ", "")
    return " ".join(p for p in [
        f"{what} with {pct} confidence intervals from {models} ({v['se']}, "
        f"{v['interval']}); intercepts {'and cut-points ' if 'ordinal' in kinds else ''}"
        "are not shown.", joint_note(design) if "test" in seen else "", gone,
        marks_note(table, use_stars=use_stars, conf_level=conf_level)] if p)


# -- the survey's own scales (robustness) ----------------------------------------------------

def scales_columns(scales: dict, sample: str) -> list[tuple[str, str]]:
    """(sample, outcome) of each 0/1 outcome followed by its ordinal and count versions."""
    return [(sample, o) for binary, others in scales.items() for o in [binary, *others]]


def scales_note(families: dict, conf_level: float,
                design: DesignSettings | None = None, table: Table | None = None) -> str:
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
    seen = table.occurring() if table is not None else {"test"}
    return " ".join(p for p in [
        f"{'; '.join(parts)}. All with {pct} confidence intervals from {v['models']} "
        f"({v['se']}, {v['interval']}); same covariates, same respondents' design.",
        joint_note(design) if "test" in seen else "",
        marks_note(table, use_stars=False, conf_level=conf_level)] if p)


def cuts_table(cuts: pd.DataFrame, *, outcome: str, sample: str, covariates: list[str],
               reference_levels: dict, levels: dict | None = None,
               labels: dict | None = None, words: dict | None = None, digits: int = 2,
               per: Mapping[str, float] | None = None, name: str = "", caption: str = ""
               ) -> Table:
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
                        levels=levels, labels=labels, words=words, digits=digits, per=per,
                        name=name, caption=caption, fit_rows=False)
    return replace(table, columns=tuple(
        Column(c[0].upper() + c[1:], codes={"outcome": outcome, "sample": str(sample),
                                            "cut": c}) for c in order))


# -- the tables rule -------------------------------------------------------------------------

def run_tables(*, descriptives, coefficients, fit, contrast, cleaning_summary, clean_table,
               settings: TableSettings, words: dict, covariates, reference_levels, levels,
               contrast_outcomes, conf_level, weighted: bool = True,
               design: DesignSettings | None = None,
               grouping: Grouping | None = None, subject: str | None = None,
               outputs: dict, tests=None, ame=None, compare: Sequence[str] = (),
               ame_sample: str | None = None, excluded=None) -> None:
    """Write every table named in ``outputs`` (:func:`coprod.report.tablefiles.write_table`).

    ``design`` (the config's design section) words the notes by the variance method used;
    ``grouping`` ({column, label, effects}) names the groups (default: the clean table's);
    ``ame`` (models/ame.csv) with ``compare`` (report.figures.compare) and ``ame_sample``:
    the average-marginal-effects table; ``excluded`` (models/excluded.csv): who each model
    excluded for which missing variable, for the model tables' notes. A run without models
    (models.outcomes: []) has no model files (``coefficients``, ``fit``: None); intercept-only
    models (models.covariates: []) have the table of prevalence by model
    (:mod:`coprod.report.intercepts`) instead of model tables.
    """
    from . import moretables as M
    from .modelsummary import ame_file_table
    from .tablefiles import write_table
    from .tablelatex import LatexSettings

    words = dict(words)
    digits, use_stars = int(settings.digits), bool(settings.stars)
    paths = group_outputs(outputs)
    # (no model files without models: models.outcomes: [])
    coefs = read_results(coefficients, "coefficients") if coefficients else pd.DataFrame()
    fit_t = read_results(fit, "fit") if fit else pd.DataFrame()
    meta = table_meta(clean_table)
    labels, grp = meta.get("labels", {}), resolve_grouping(grouping, meta)
    per = dict(settings.per)
    notice = settings.notice or ""
    lx = LatexSettings.from_params(settings.latex)  # report.latex: sideways, ci below|beside
    if "descriptives" in paths:
        desc = read_results(descriptives, "descriptives")
        write_table(M.descriptives_table(desc, words=words, weighted=weighted,
                                         conf_level=conf_level, design=design,
                                         group_label=grp.label),
                    paths["descriptives"], notice=notice, latex_settings=lx)
    model_kw = dict(covariates=list(covariates), reference_levels=dict(reference_levels),
                    levels=dict(levels), labels=labels, words=words, digits=digits,
                    use_stars=use_stars, per=per,
                    tests=read_results(tests, "tests") if tests else None)
    for name, spec in settings.models.items():
        if f"models_{name}" in paths:
            write_table(_model_table(name, spec, coefs, fit_t, model_kw, conf_level=conf_level,
                                     design=design, grouping=grp, subject=subject,
                                     excluded=read_results(excluded, "excluded")
                                     if excluded else None),
                        paths[f"models_{name}"], notice=notice, latex_settings=lx)
    if "contrast" in paths:
        write_table(M.contrast_file_table(contrast, contrast_outcomes, labels, words,
                                          conf_level=conf_level, digits=digits,
                                          use_stars=use_stars, per=per, design=design),
                    paths["contrast"], notice=notice, latex_settings=lx)
    if "ame" in paths and ame:
        write_table(ame_file_table(read_results(ame, "ame"), fit_t, outcomes=list(compare),
                                     sample=str(ame_sample), covariates=list(covariates),
                                     words=words, labels=labels, per=per,
                                     conf_level=conf_level, source=str(ame)),
                    paths["ame"], notice=notice, latex_settings=lx)
    if TABLE in paths:  # intercept-only models (models.covariates: [])
        write_table(prevalence_models_table(
            coefs, fit_t, samples=list(dict.fromkeys(fit_t["sample"].astype(str))),
            families=dict(zip(fit_t["outcome"], fit_t["family"].fillna("logit"))),
            words=words, labels=labels, conf_level=conf_level, design=design,
            weighted=weighted, subject=subject or "the outcomes"),
            paths[TABLE], notice=notice, latex_settings=lx)
    if "cleaning" in paths:
        log_csv = Path(cleaning_summary).with_name("cleaning_log.csv")
        write_table(M.cleaning_table(read_results(cleaning_summary), words, grp.label).with_notes(
            f"From {cleaning_summary}; every row and value is in {log_csv}."),
            paths["cleaning"], notice=notice, latex_settings=lx)


def _model_table(name, spec, coefs, fit_t, model_kw, *, conf_level, design, grouping,
                 subject, excluded=None) -> Table:
    cols = [(s, o) for s in spec["samples"] for o in spec["outcomes"]]
    title = spec.get("title") or default_table_title(
        subject or "the outcomes", spec["samples"], grouping.label, model_kw["words"])
    table = model_table(coefs, fit_t, columns=cols, name=f"models_{name}", caption=title,
                        **model_kw)
    families = [(spec.get("families") or {}).get(o, "logit") for o in spec["outcomes"]]
    heads = [f"{c.span}: {c.head}" if c.span else c.head for c in table.columns]
    said = excluded_note(excluded, cols, heads, model_kw["words"], model_kw["labels"])
    note = model_table_note(model_kw["use_stars"], conf_level, design, said, families,
                            table=table)
    return replace(table, notes=(note, *table.notes))
