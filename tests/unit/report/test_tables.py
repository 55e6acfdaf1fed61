"""Tables as data (coprod.report.tablemodel) from hand-made tidy tables: what each table says,
the numbers its cells keep, its files, and the descriptive statistics behind it."""
import json

import _report_data as D
import numpy as np
import pandas as pd
import pytest
from conftest import small_survey

from coprod.pipeline.descriptives import describe, prevalence
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.reportsettings import ReportSettings, TableSettings
from coprod.pipeline.settings import load_settings
from coprod.report import moretables as M
from coprod.report import tablelatex as L
from coprod.report import tables as T
from coprod.report.tabledata import display_frame, tidy_frame
from coprod.report.tablefiles import read_table, write_table
from coprod.report.tablemodel import formatted
from coprod.report.wording import Grouping

COLS = [("pooled", "individual_any"), ("pooled", "collective_any")]


def pooled_table(**kw):
    return T.model_table(D.coefficients(), D.fit(), columns=COLS, covariates=D.COVARIATES,
                         reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS,
                         words=D.WORDS, **kw)


def _find(table, label, column, variable=None):
    rows = [i for i, r in enumerate(table.rows) if r.label == label
            and (variable is None or r.codes.get("variable") == variable)]
    assert len(rows) == 1, (label, variable, rows)
    heads = [f"{c.span}: {c.head}" if c.span else c.head for c in table.columns]
    return rows[0], heads.index(column)


def cell(table, label, column, variable=None) -> str:
    """The text of a cell as every renderer shows it (row by its label, column by its head)."""
    i, j = _find(table, label, column, variable)
    return str(list(formatted(table))[i][1][j])


def raw(table, label, column, variable=None):
    """The cell itself, with its numbers."""
    i, j = _find(table, label, column, variable)
    return table.cells[i][j]


IND, COL = "Individual, any domain", "Collective, any domain"


# -- model tables ----------------------------------------------------------------------------

def test_model_table_rows_references_and_fit_rows():
    t = pooled_table()
    assert [c.head for c in t.columns] == [IND, COL]
    assert [dict(c.codes) for c in t.columns] == [
        {"outcome": "individual_any", "sample": "pooled"},
        {"outcome": "collective_any", "sample": "pooled"}]
    assert cell(t, "man", IND) == "ref."
    assert cell(t, "woman", IND) == f"{np.exp(0.45):.2f} [{np.exp(0.45 - 1.96 * 0.08):.2f}, " \
                                    f"{np.exp(0.45 + 1.96 * 0.08):.2f}]"
    # the cell keeps the log-odds of the result file, not the ratio it shows
    woman = raw(t, "woman", IND)
    assert (woman.estimate, woman.conf_low, woman.p_value) == (0.45, 0.45 - 1.96 * 0.08, 0.0001)
    assert (woman.scale, woman.show, woman.null) == ("log_odds", "exp", 1.0)
    assert cell(t, "low", COL) == "ref."
    # one number of decimals per column: 3 here, as Education medium's lower bound (1.004,
    # an interval that excludes 1) would read 1.00 at 2
    assert cell(t, "high_100%", COL) == "1.419 [1.166, 1.726]"
    assert cell(t, "medium", COL) == "1.221 [1.004, 1.486]"
    assert cell(t, "UK", IND) == "ref."
    # a categorical variable gets a header row, a numeric one a single row
    assert cell(t, "Gender", IND) == ""
    assert [r.kind for r in t.rows if r.label in ("Gender", "woman", "Age (years)")] == \
        ["term", "variable", "level"]
    assert cell(t, "Age (years)", IND).startswith("1.02 [")
    assert dict(t.rows[0].codes) == {"term": "age", "variable": "age"}
    assert "Intercept" not in {r.label for r in t.rows}
    foot = [r.label for r in t.rows if r.kind == "foot"]
    assert foot == ["n", "Excluded (missing)", "Weighted n", "Events", "Pseudo-R\u00b2"]
    assert cell(t, "n", IND) == "4,988" and cell(t, "Pseudo-R\u00b2", COL) == "0.081"
    assert cell(t, "Excluded (missing)", IND) == "12"
    assert "*" not in " ".join(str(x) for _, texts in formatted(t) for x in texts)


def test_model_table_stars_are_optional():
    t = pooled_table(use_stars=True)
    assert cell(t, "woman", IND).endswith("***")
    assert not cell(t, "woman", COL).endswith("*")
    assert "p < 0.05" in T.model_table_note(True) and "No significance stars" in \
        T.model_table_note(False)


def test_failed_model_column_is_dashes_and_says_failed():
    cols = [("FR", "individual_any"), ("FR", "collective_any")]
    t = T.model_table(D.coefficients(), D.fit(), columns=cols, covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS,
                      words=D.WORDS)
    failed = 1  # one sample: the heads are the outcomes
    body = [cells[failed] for r, cells in zip(t.rows, t.cells) if r.kind == "level"]
    assert {c.kind for c in body} == {"na"}
    # the status as a footnote mark in the cell, its text in the table's note
    assert cell(t, "Model status", COL) == "failed (a)"
    assert t.notes[-1].startswith("Model status: (a) the outcome is 0")
    assert cell(t, "n", COL) == T.NA
    assert cell(t, "woman", IND) != T.NA


def test_flagged_term_gets_a_dagger_and_its_legend():
    coefs = D.coefficients()
    coefs.loc[(coefs["term"] == "age") & (coefs["sample"] == "pooled"), "flag"] = "separation"
    t = T.model_table(coefs, D.fit(), columns=COLS, covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS)
    assert cell(t, "Age (years)", "Individual co-production, any domain").endswith("\u2020")
    assert "\u2020 = the estimator flagged" in T.model_table_note(False, table=t)
    # legends only for the marks that occur: no dagger, no dash in the plain table
    plain = T.model_table_note(False, table=pooled_table())
    assert "\u2020" not in plain and "not estimated" not in plain and "ref." in plain


def test_joint_tests_are_one_p_value_per_variable_with_f_in_the_data():
    tests = pd.DataFrame({"outcome": ["individual_any"], "sample": ["pooled"],
                          "test": ["education"], "label": ["Education"],
                          "statistic": [2.34], "df_num": [2], "df_den": [4878],
                          "p_value": [0.0972]})
    t = pooled_table(tests=tests)
    assert cell(t, "Education", IND) == "p = 0.097" and cell(t, "Education", COL) == ""
    test = raw(t, "Education", IND)
    assert (test.kind, test.statistic, test.df_num, test.df_den, test.scale) == \
        ("test", 2.34, 2, 4878, "F")
    tidy = tidy_frame(t)
    row = tidy[(tidy["kind"] == "test")].iloc[0]
    assert (row["statistic"], row["df_num"], row["df_den"], row["p_value"]) == \
        (2.34, 2, 4878, 0.0972)
    note = T.model_table_note(False, table=t)
    assert "joint Wald test that all its levels' effects are zero (an F test" in note
    assert "regTermTest" not in note and "design.incomplete" not in note


def test_groups_are_spanning_heads_over_their_outcomes():
    cols = [(s, o) for s in ("UK", "FR") for o in D.OUTCOMES]
    t = T.model_table(D.coefficients(), D.fit(), columns=cols, covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS,
                      words=D.WORDS)
    assert t.spans() == [("UK", 2), ("FR", 2)]
    assert [c.head for c in t.columns] == [IND, COL] * 2
    assert dict(t.columns[2].codes) == {"outcome": "individual_any", "sample": "FR"}


def test_report_per_scales_the_cell_and_says_so():
    t = pooled_table(per={"age": 10})
    age = raw(t, "Age (years), per 10", IND)
    assert age.per == 10 and age.estimate == 10 * 0.02 and age.conf_low == 10 * (0.02 - 1.96 * 0.004)
    assert cell(t, "Age (years), per 10", IND).startswith(f"{np.exp(0.2):.2f} [")


# -- renderers and files ----------------------------------------------------------------------

def test_latex_is_booktabs_and_escaped():
    t = pooled_table().with_notes("50% & more")
    t = t.__class__(**{**t.__dict__, "caption": "Odds ratios (100% of cases_x)"})
    tex = L.to_latex(t)
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert r"high\_100\%" in tex
    assert r"(100\% of cases\_x)" in tex and r"50\% \& more" in tex
    assert r"Pseudo-R\textsuperscript{2}" in tex
    assert r"\label{tab:models-pooled}" not in tex  # no name, no label of it
    # every row spans as many columns as the header (a \multicolumn{k} counts k)
    import re

    rows = [line for line in tex.splitlines() if line.endswith(r"\\")
            and not line.lstrip().startswith("\\cmidrule")]

    def width(line: str) -> int:
        cells = re.split(r"(?<!\\)&", line)
        return sum(int(m[1]) if (m := re.match(r"\s*\\multicolumn\{(\d+)\}", c)) else 1
                   for c in cells)
    assert len({width(line) for line in rows}) == 1, {width(line) for line in rows}
    unescaped = [line for line in tex.splitlines() if not line.startswith("% ")  # comments
                 and ("%" in line.replace(r"\%", "") or "_" in line.replace(r"\_", ""))]
    assert not unescaped


def test_the_model_notes_reach_latex_in_glyphs_a_t1_font_has():
    """The family notes' formulas (logit P(Y <= k) = zeta_k - x'beta) are set as math: a
    character outside Latin-1 stops pdflatex ("Unicode character not set up")."""
    from coprod.report.wording import FAMILY_WORDING

    for text in FAMILY_WORDING.values():
        L.latex_escape(text).encode("latin-1")  # raises on a character LaTeX cannot set


def test_latex_escape_specials():
    assert L.latex_escape("a_b%c&d#e$f{g}h~i^j\\k") == \
        r"a\_b\%c\&d\#e\$f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k"


def test_write_table_writes_the_five_files(tmp_path):
    paths = {f: tmp_path / f"t.{f}" for f in ("csv", "data", "tex", "html", "json")}
    table = pooled_table(name="t", caption="c").with_notes("n")
    write_table(table, paths, notice="SYNTHETIC")
    back = pd.read_csv(paths["csv"], keep_default_na=False)
    assert list(back.columns) == ["Row", IND, COL]
    assert "ref." in set(back[IND])
    assert r"\begin{table}" in paths["tex"].read_text() and "SYNTHETIC" in paths["tex"].read_text()
    html = paths["html"].read_text()
    assert html.startswith('<table class="coprod-table" id="table-t">')
    assert '<p class="table-note">SYNTHETIC</p>' in html
    assert read_table(paths["json"]) == table  # the page renders what the rule built
    assert json.loads(paths["json"].read_text())["name"] == "t"
    with pytest.raises(ValueError, match="no format"):
        write_table(table, {"xlsx": tmp_path / "t.xlsx"})


def test_the_tidy_csv_keeps_every_digit_and_the_codes(tmp_path):
    coefs = D.coefficients()
    coefs.loc[coefs["term"] == "age", "estimate"] = 0.1 + 0.2  # 0.30000000000000004
    t = T.model_table(coefs, D.fit(), columns=COLS, covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS,
                      name="t")
    write_table(t, {"data": tmp_path / "t.data.csv"})
    tidy = pd.read_csv(tmp_path / "t.data.csv")
    assert list(tidy.columns[:5]) == ["outcome", "sample", "term", "variable", "level"]
    age = tidy[(tidy["term"] == "age") & (tidy["outcome"] == "individual_any")].iloc[0]
    assert age["estimate"] == 0.1 + 0.2 and age["p_value"] == 0.0001  # not 0.3, not "<0.001"
    assert age["shown_as"] == "exp" and age["scale"] == "log_odds"


# -- contrast, descriptives and cleaning tables -----------------------------------------------

def test_tidy_contrast_reads_the_estimator_columns():
    c = T.tidy_contrast(D.contrast())
    assert {"estimate", "conf_low", "conf_high", "kind", "variable", "level"} <= set(c.columns)
    assert c.loc[c["term"] == "gender[T.woman]", "level"].iloc[0] == "woman"
    assert set(c.loc[c["term"] == "joint", "kind"]) == {"joint"}
    alias = D.contrast().rename(columns={"difference": "diff", "p_value": "p"})
    assert T.tidy_contrast(alias)["estimate"].notna().sum() == c["estimate"].notna().sum()


def test_contrast_table_samples_joint_tests_and_failures():
    t = M.contrast_table(D.contrast(), samples=["pooled", "UK", "FR"], words=D.WORDS,
                         outcomes=D.OUTCOMES)
    pooled = D.WORDS["pooled"]
    assert [c.head for c in t.columns] == [pooled, "UK", "FR"]
    # the ratio of the odds ratios, as the claims table shows it; the log-odds kept
    eff = raw(t, "Self-efficacy (1-4)", pooled)
    diff = D.contrast().set_index(["sample", "term"]).loc[("pooled", "self_efficacy")]
    assert (eff.estimate, eff.show, eff.null) == (diff["difference"], "exp", 1.0)
    assert cell(t, "Self-efficacy (1-4)", pooled).startswith(f"{np.exp(0.6):.2f} [")
    assert dict(t.columns[0].codes) == {"sample": "pooled", "outcome": "collective_any",
                                        "compared_with": "individual_any"}
    # a country's own model has no country effects: blank (cannot apply), not a dash
    assert cell(t, "Country: FR", "UK") == ""
    assert cell(t, "Gender: woman", "FR") == T.NA
    assert cell(t, "Joint test: all covariates", "UK") == "p < 0.001"
    assert raw(t, "Joint test: all covariates", "UK").statistic == 25.0
    assert cell(t, "Status", "FR").startswith("failed:")


def test_the_contrast_note_reads_the_ratio_not_log_odds(tmp_path):
    path = tmp_path / "contrast.csv"
    D.contrast().to_csv(path, index=False)
    t = M.contrast_file_table(path, D.OUTCOMES, D.LABELS, D.WORDS, conf_level=0.95, digits=2,
                              use_stars=False)
    assert t.caption.endswith("ratio of the odds ratios")
    assert "excludes 1" in t.notes[-1] and "log-odds scale" in t.notes[-1]


def test_descriptives_table():
    t = M.descriptives_table(D.descriptives(), groups=["UK", "FR"])
    assert cell(t, "n (unweighted)", "UK") == "1,000"
    assert cell(t, "woman", "FR") == "52.0 [49.0, 55.0]"
    share = raw(t, "woman", "FR")
    assert (share.estimate, share.scale, share.show) == (0.52, "proportion", "percent")
    assert cell(t, "Age (years), mean", "UK") == "47.50 [46.50, 48.50]"
    tidy = tidy_frame(t)
    assert tidy.loc[tidy["kind"] == "estimate", "estimate"].max() < 100  # one scale: 0-1 or mean
    assert "group" in tidy.columns and "level" in tidy.columns


def test_descriptives_table_has_the_whole_sample_first_in_its_words():
    """The whole sample's rows (group pooled) are a column before the groups', headed by
    report.words and coded ``pooled`` in the tidy file; the note says what it is."""
    t = M.descriptives_table(D.descriptives(), words=D.WORDS, group_label="Country")
    assert [c.head for c in t.columns] == [D.WORDS["pooled"], "UK", "FR"]
    assert [c.codes["group"] for c in t.columns] == ["pooled", "UK", "FR"]
    assert cell(t, "n (unweighted)", D.WORDS["pooled"]) == "2,000"
    assert t.notes[-1].endswith("All countries (pooled): the whole sample, estimated on the "
                                "whole design (not an average of the country columns).")
    tidy = tidy_frame(t)
    assert (tidy["group"] == "pooled").sum() == (tidy["group"] == "UK").sum() > 0
    groups = M.descriptives_table(D.descriptives(), groups=["UK", "FR"])
    assert "whole sample" not in groups.notes[-1]  # no whole-sample column, no word of it


def test_cleaning_table_words():
    t = M.cleaning_table(D.cleaning_summary())
    heads = [c.head for c in t.columns]
    assert "Dropped: invalid weight" in heads and "Read" in heads
    frame = display_frame(t)
    assert list(frame["Balanced"]) == ["yes", "yes"]
    assert frame.loc[0, "Read"] == "1,010"


def test_run_tables_writes_every_table(tmp_path):
    from coprod.report.report import report_settings, table_names

    paths = D.write_inputs(tmp_path)
    settings = report_settings(load_settings(D.config()))
    names = table_names(ReportSettings.from_params(settings))
    assert "ame" in names
    outputs = {f"{n}_{f}": tmp_path / "t" / f"{n}.{'data.csv' if f == 'data' else f}"
               for n in names for f in ("csv", "data", "tex", "html", "json")}
    ame = tmp_path / "ame.csv"
    pd.DataFrame({"outcome": D.OUTCOMES, "sample": "pooled", "variable": "age",
                  "contrast": "per unit", "estimate": 0.01, "std_error": 0.001,
                  "conf_low": 0.008, "conf_high": 0.012, "flag": ""}).to_csv(ame, index=False)
    T.run_tables(descriptives=paths["descriptives"], coefficients=paths["coefficients"],
                 fit=paths["fit"], contrast=paths["contrast"],
                 cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
                 settings=TableSettings.from_params(settings["tables"]),
                 words=settings["words"], covariates=D.COVARIATES,
                 reference_levels=D.REFERENCE, levels=D.LEVELS,
                 contrast_outcomes=D.OUTCOMES, conf_level=0.95, outputs=outputs, ame=str(ame),
                 compare=D.OUTCOMES, ame_sample="pooled")
    for path in outputs.values():
        assert path.stat().st_size > 100, path
    assert "Collective co-production, any domain vs individual" in \
        (tmp_path / "t" / "contrast.html").read_text()
    effects = read_table(tmp_path / "t" / "ame.json")  # report.per: {age: 10} in D.config
    age = effects.cells[0][0]
    assert (age.estimate, age.per, age.show) == (10 * 0.01, 10, "percent")
    assert str(list(formatted(effects))[0][1][0]) == "10.0 [8.0, 12.0]"  # points shown


# -- descriptive statistics -------------------------------------------------------------------

@pytest.fixture
def survey():
    df = small_survey()
    df.attrs["group_column"] = "country"  # as the clean table's metadata names it
    return df


DS = DesignSettings.from_params
DESIGN = DS({"weights": "weight", "strata": "country", "psu": None,
                                     "lonely_psu": "adjust", "model_based": False})


def test_prevalence_and_describe_by_group(survey):
    labels = {"y": "Does it", "sex": "Sex", "age": "Age"}
    prev = prevalence(survey, ["y"], DESIGN, labels=labels)
    # the whole sample first (three groups), then each group
    assert list(prev["group"]) == ["pooled", "A", "B", "C"] and set(prev["kind"]) == {"y"}
    desc = describe(survey, ["age", "sex"], DESIGN, labels=labels)
    shares = desc[desc["variable"] == "sex"].groupby("group")["estimate"].sum()
    assert np.allclose(shares, 1.0)
    assert set(desc.loc[desc["variable"] == "age", "stat"]) == {"mean"}
    assert desc.loc[desc["group"] == "A", "group_n"].iloc[0] == int((survey["country"] == "A").sum())
    assert desc.loc[desc["group"] == "pooled", "group_n"].iloc[0] == len(survey)


def test_every_model_failed_gives_a_table_of_dashes(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    coefs = T.read_results(empty, "coefficients")
    failed = [(o, s) for o in D.OUTCOMES for s in D.SAMPLES]
    t = T.model_table(coefs, D.fit(failed=failed), columns=COLS, covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS)
    assert cell(t, "Age (years)", "Individual co-production, any domain") == T.NA
    assert cell(t, "man", "Individual co-production, any domain") == T.NA
    assert cell(t, "Model status", "Collective co-production, any domain").startswith("failed")
    con = M.contrast_table(T.read_results(empty, "contrast"), samples=[])
    assert len(con.rows) == 0


def test_group_rows_are_blank_in_a_groups_own_model():
    """A country's own model has no country fixed effects: no 'ref.' for it there."""
    cols = [("pooled", "individual_any"), ("UK", "individual_any")]
    t = T.model_table(D.coefficients(), D.fit(), columns=cols, covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS,
                      words=D.WORDS)
    pooled, uk = (f"{c.span}: {c.head}" for c in t.columns)
    ref = D.REFERENCE["country"]
    assert cell(t, ref, pooled, "country") == "ref." and cell(t, ref, uk, "country") == ""


def test_contrast_note_speaks_of_differences_not_odds_ratios():
    assert "excludes 0" in T.star_note(False, 0.95, scale="log-odds difference")
    assert "excludes 1" in T.star_note(False, 0.95)


# -- any survey: variance wording, excluded respondents, group rows, group names -------------

def test_variance_wording_follows_the_design():
    taylor = T.variance_wording(DS({"weights": "w", "model_based": False}))
    assert taylor["stat"] == "t" and taylor["ci"] == "design-based"
    assert "Taylor linearisation (with-replacement design" in taylor["methods"]
    fpc = T.variance_wording(DS({"fpc": "N", "ssu": "hh"}))
    assert "two-stage design without replacement" in fpc["methods"]
    glm = T.variance_wording(DS({"model_based": True}))
    assert glm["stat"] == "z" and glm["ci"] == "model-based"
    assert glm["interval"] == "z-based (normal) intervals"
    assert T.variance_wording(None) == T.variance_wording(DS({}))  # no design given: the defaults


def test_model_table_note_says_the_variance_used():
    taylor = T.model_table_note(False, 0.95, DS({"weights": "w"}))
    assert "Taylor-linearised standard errors, t-based intervals on the design's degrees of " \
           "freedom" in taylor
    glm = T.model_table_note(False, 0.9, DS({"model_based": True}))
    assert "90% confidence intervals from logistic regressions (model-based (glm) standard " \
           "errors, z-based (normal) intervals)" in glm
    assert "Taylor" not in glm and "t-based" not in glm and "design-based" not in glm
    # where the excluded respondents went, in plain words: no config keys
    assert "design.incomplete" not in glm and "left out of that model" in glm
    drop = T.model_table_note(False, 0.95, DS({"incomplete": "drop"}))
    assert "design.incomplete" not in drop and "before the model's design was built" in drop
    keep = T.model_table_note(False, 0.95, DS({}))
    assert "kept in the survey design but outside the model's estimation sample" in keep


def test_excluded_row_and_the_variables_in_the_note():
    t = pooled_table()
    assert cell(t, "Excluded (missing)", "Individual, any domain") == "12"
    heads = ["Individual, any domain", "Collective, any domain"]
    assert T.excluded_note(D.excluded(), COLS, heads, D.WORDS, D.LABELS) == \
        "Age (years) 5, Self-efficacy (1-4) 9"
    # one model also excluded respondents missing its outcome (listed first, as the model's
    # variables are)
    outcome = pd.DataFrame([{"outcome": "collective_any", "sample": "pooled",
                             "variable": "collective_any", "n_excluded": 31}])
    excluded = pd.concat([outcome, D.excluded()], ignore_index=True)
    assert T.excluded_note(excluded, COLS, heads, D.WORDS, D.LABELS) == (
        "in every model: Age (years) 5, Self-efficacy (1-4) 9; Collective, any domain also: "
        "Collective co-production, any domain 31")
    note = T.model_table_note(False, 0.95, None, "Age (years) 5")
    assert note.count("Excluded (missing)") == 1 and "by variable" in note and \
        "Age (years) 5." in note


def test_old_fit_files_without_the_excluded_columns(tmp_path):
    old = D.fit().drop(columns=["n_excluded_missing"])
    old.to_csv(tmp_path / "fit.csv", index=False)
    fit = T.read_results(tmp_path / "fit.csv", "fit")
    t = T.model_table(D.coefficients(), fit, columns=COLS, covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS,
                      words=D.WORDS)
    assert cell(t, "Excluded (missing)", "Individual, any domain") == T.NA
    # no excluded.csv (an older results folder), or nobody excluded: no list in the note
    assert T.excluded_note(None, COLS, ["a", "b"]) == ""
    D.excluded().iloc[:0].to_csv(tmp_path / "excluded.csv", index=False)
    assert T.excluded_note(T.read_results(tmp_path / "excluded.csv", "excluded"), COLS,
                           ["a", "b"]) == ""


def test_within_group_table_has_no_group_rows_the_pooled_one_has():
    groups = T.model_table(D.coefficients(), D.fit(), columns=[("UK", "individual_any"),
                                                             ("FR", "individual_any")],
                           covariates=D.COVARIATES, reference_levels=D.REFERENCE,
                           levels=D.LEVELS, labels=D.LABELS, words=D.WORDS)
    variables = [r.label for r in groups.rows if r.kind in ("term", "variable")]
    assert "Country" not in variables
    assert variables[:4] == ["Age (years)", "Gender", "Self-efficacy (1-4)", "Education"]
    pooled = pooled_table()
    assert cell(pooled, "UK", "Individual, any domain", "country") == "ref."
    assert cell(pooled, "FR", "Individual, any domain", "country").startswith("1.11 [")


def test_a_region_survey_from_config_alone(tmp_path):
    """Group column 'region' worded 'Region', a model-based design, tables without titles."""
    from coprod.report.report import report_settings, table_names

    paths = D.write_inputs(tmp_path, group_column="region", group_label="Region")
    cfg = D.config()
    cfg["groups"] = {"column": "region", "label": "Region"}
    cfg["report"] = {"subject": "voting"}
    settings = report_settings(load_settings(cfg))
    names = [n for n in table_names(ReportSettings.from_params(settings)) if n != "ame"]
    outputs = {f"{n}_{f}": tmp_path / "t" / f"{n}.{f}" for n in names for f in ("csv", "html")}
    T.run_tables(descriptives=paths["descriptives"], coefficients=paths["coefficients"],
                 fit=paths["fit"], contrast=paths["contrast"],
                 cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
                 settings=TableSettings.from_params(settings["tables"]),
                 words=settings["words"], covariates=D.COVARIATES,
                 reference_levels={"gender": "man", "region": "UK"}, levels=D.LEVELS,
                 contrast_outcomes=D.OUTCOMES, conf_level=0.95,
                 design=DS({"model_based": True}), grouping=Grouping("region", "Region", True),
                 outputs=outputs)
    html = {n: (tmp_path / "t" / f"{n}.html").read_text() for n in names}
    assert "<caption>Correlates of voting (pooled)</caption>" in html["models_pooled"]
    assert "<caption>Correlates of voting by region</caption>" in html["models_groups"]
    assert "<caption>Respondents by region: weighted % or mean [95% CI]" in html["descriptives"]
    assert "95% model-based confidence intervals" in html["descriptives"]
    assert "z-based (normal) intervals" in html["models_pooled"]
    pooled = pd.read_csv(tmp_path / "t" / "models_pooled.csv", keep_default_na=False)
    groups = pd.read_csv(tmp_path / "t" / "models_groups.csv", keep_default_na=False)
    assert "Region" in set(pooled["Row"]) and "Region" not in set(groups["Row"])
    assert list(pooled["Row"])[-4:] == ["Excluded (missing)", "Weighted n", "Events",
                                        "Pseudo-R\u00b2"]
    cleaning = pd.read_csv(tmp_path / "t" / "cleaning.csv", keep_default_na=False)
    assert list(cleaning["Region"]) == ["UK", "FR"]  # read from the first column, region


def test_lower_word_keeps_acronyms():
    assert T.lower_word("Region") == "region"
    assert T.lower_word("US state") == "US state" and T.lower_word("") == ""


def test_no_report_module_reads_its_own_display_text_back():
    """Issue 27: the tables were formatted into strings and their numbers recovered with
    regexes (_CELL_PARTS, _TEST_PARTS, _STAT_P, NUMERIC_CELL). A cell keeps its numbers now;
    no module of the report matches a displayed number, and the old renderer is gone."""
    import re
    from pathlib import Path

    import coprod.report as report

    here = Path(report.__file__).parent
    assert not (here / "tablerender.py").exists()
    for path in here.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for old in ("_CELL_PARTS", "_TEST_PARTS", "_STAT_P", "NUMERIC_CELL", "table_data("):
            assert old not in text, (path.name, old)
    for name in ("tables.py", "moretables.py", "modelsummary.py", "findings.py", "report.py",
                 "tabledata.py", "tablehtml.py", "tablemodel.py", "tablefiles.py"):
        text = (here / name).read_text(encoding="utf-8")
        assert not re.search(r"\bre\.(match|search|findall|fullmatch|sub|compile)\(", text), name


def test_the_removed_renderers_say_what_replaced_them():
    import importlib
    import sys
    import warnings

    from coprod.compat import RemovedNameError

    sys.modules.pop("coprod.tables", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = importlib.import_module("coprod.tables")
    with pytest.raises(RemovedNameError, match="tabledata.tidy_frame"):
        old.table_data(pd.DataFrame())
    with pytest.raises(RemovedNameError, match="Cell.numeric"):
        old.NUMERIC_CELL.match("1.0")
    assert old.latex_escape("a_b") == r"a\_b"  # moved, not removed


def test_effects_per_so_many_units():
    """report.per: {age: 10} shows age's odds ratio per 10 years, exp(10 b) with its interval,
    under a label that says so; other terms and the files per unit are untouched."""
    import numpy as np

    from coprod.report.wording import per_units

    coefs = pd.DataFrame({"variable": ["age", "gender"], "level": ["", "woman"],
                          "label": ["Age (years)", "Gender: woman"],
                          "estimate": [0.027, 0.44], "conf_low": [0.021, 0.30],
                          "conf_high": [0.033, 0.58], "std_error": [0.003, 0.07]})
    coefs["odds_ratio"] = np.exp(coefs["estimate"])
    out, labels = per_units(coefs, {"age": "Age (years)"}, {"age": 10})
    age = out.iloc[0]
    assert np.isclose(age["odds_ratio"], np.exp(0.27)) and np.isclose(age["estimate"], 0.27)
    assert np.isclose(age["conf_low"], 0.21) and np.isclose(age["std_error"], 0.03)
    assert labels["age"] == "Age (years), per 10" and age["label"] == "Age (years), per 10"
    assert out.iloc[1].equals(coefs.iloc[1])
    assert np.isclose(coefs.loc[0, "estimate"], 0.027)  # the input is not changed



def test_the_imputation_table_says_rate_ratios_for_an_imputed_count():
    """imputation.outcomes may name an ordinal or count outcome of models.outcomes (issue
    29): the table's note says each family's ratio, never 'odds ratios' of a count."""
    from coprod.report.robustness import MI_NOTE, mi_ratios

    coefs = pd.DataFrame({"outcome": ["individual_any", "individual_count", "individual_domains"],
                          "family": ["logit", "count", "ordinal"]})
    assert mi_ratios(coefs, ["individual_any"]) == "Odds ratios"
    assert mi_ratios(coefs.iloc[:0], ["individual_any"]) == "Odds ratios"  # none fitted
    both = mi_ratios(coefs, ["individual_any", "individual_count"])
    assert both.startswith("0/1 outcomes: logistic regression; odds ratios; counts: ")
    assert "rate ratios" in both and both.endswith(". All")
    assert "odds ratios (exp \u03b2) of being in a higher category" in mi_ratios(
        coefs, ["individual_domains"])
    note = MI_NOTE.format(pct="95%", m=5, what=both)
    assert ". All with 95% confidence intervals. Complete cases:" in note
