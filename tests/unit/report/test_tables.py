"""Display tables from hand-made tidy tables, their three renderings, and the descriptive
statistics behind them."""
import html.parser

import _report_data as D
import numpy as np
import pandas as pd
import pytest
from conftest import small_survey

from coprod.pipeline.descriptives import describe, prevalence
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.reportsettings import ReportSettings, TableSettings
from coprod.pipeline.settings import load_settings
from coprod.report import tablerender as R
from coprod.report import tables as T
from coprod.report.wording import Grouping

COLS = [("pooled", "individual_any"), ("pooled", "collective_any")]


def pooled_table(**kw):
    return T.model_table(D.coefficients(), D.fit(), columns=COLS, covariates=D.COVARIATES,
                         reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS,
                         words=D.WORDS, **kw)


def cell(table, variable, level, column):
    row = table[(table["variable"] == variable) & (table["level"] == level)]
    assert len(row) == 1, (variable, level)
    return row.iloc[0][column]


# -- model tables ----------------------------------------------------------------------------

def test_model_table_rows_references_and_fit_rows():
    t = pooled_table()
    ind, col = "Individual, any domain", "Collective, any domain"
    assert list(t.columns) == ["variable", "level", ind, col]
    assert cell(t, "Gender", "man", ind) == "ref."
    assert cell(t, "Gender", "woman", ind) == f"{np.exp(0.45):.2f} [{np.exp(0.45 - 1.96 * 0.08):.2f}, " \
                                              f"{np.exp(0.45 + 1.96 * 0.08):.2f}]"
    assert cell(t, "Education", "low", col) == "ref."
    assert cell(t, "Education", "high_100%", col).startswith("1.42 [")
    assert cell(t, "Country", "UK", ind) == "ref."
    # a categorical variable gets a header row, a numeric one a single row
    assert cell(t, "Gender", "", ind) == ""
    assert cell(t, "Age (years)", "", ind).startswith("1.02 [")
    assert "Intercept" not in set(t["variable"])
    foot = t.tail(t.attrs["foot"])
    assert list(foot["variable"]) == ["n", "Excluded (missing)", "Weighted n", "Events",
                                      "Pseudo-R\u00b2"]
    assert cell(t, "n", "", ind) == "4,988" and cell(t, "Pseudo-R\u00b2", "", col) == "0.081"
    assert cell(t, "Excluded (missing)", "", ind) == "12"
    assert "*" not in " ".join(t[ind])


def test_model_table_stars_are_optional():
    t = pooled_table(use_stars=True)
    assert cell(t, "Gender", "woman", "Individual, any domain").endswith("***")
    assert not cell(t, "Gender", "woman", "Collective, any domain").endswith("*")
    assert "p < 0.05" in T.model_table_note(True) and "No significance stars" in \
        T.model_table_note(False)


def test_failed_model_column_is_dashes_and_says_failed():
    cols = [("FR", "individual_any"), ("FR", "collective_any")]
    t = T.model_table(D.coefficients(), D.fit(), columns=cols, covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS,
                      words=D.WORDS)
    failed = "Collective, any domain"  # one sample: the heads are the outcomes
    body = t.head(len(t) - t.attrs["foot"])
    assert set(body.loc[body["level"] != "", failed]) == {T.NA}
    # the status as a footnote mark in the cell, its text in the table's note
    assert cell(t, "Model status", "", failed) == "failed (a)"
    assert t.attrs["status_notes"].startswith("Model status: (a) the outcome is 0")
    assert cell(t, "n", "", failed) == T.NA
    assert cell(t, "Gender", "woman", "Individual, any domain") != T.NA


def test_flagged_term_gets_a_dagger():
    coefs = D.coefficients()
    coefs.loc[(coefs["term"] == "age") & (coefs["sample"] == "pooled"), "flag"] = "separation"
    t = T.model_table(coefs, D.fit(), columns=COLS, covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS)
    assert cell(t, "Age (years)", "", "Individual co-production, any domain").endswith("\u2020")


# -- renderers --------------------------------------------------------------------------------

def test_latex_is_booktabs_and_escaped():
    tex = R.to_latex(pooled_table(), caption="Odds ratios (100% of cases_x)", note="50% & more",
                     label="models_pooled")
    assert r"\toprule" in tex and r"\midrule" in tex and r"\bottomrule" in tex
    assert r"high\_100\%" in tex
    assert r"(100\% of cases\_x)" in tex and r"50\% \& more" in tex
    assert r"Pseudo-R\textsuperscript{2}" in tex
    assert r"\label{tab:models-pooled}" in tex
    # every row has as many cells as the header
    rows = [line for line in tex.splitlines() if line.endswith(r"\\")]
    assert len({line.count(" & ") for line in rows}) == 1
    unescaped = [line for line in tex.splitlines() if not line.startswith("% ")  # comments
                 and ("%" in line.replace(r"\%", "") or "_" in line.replace(r"\_", ""))]
    assert not unescaped


def test_the_model_notes_reach_latex_in_glyphs_a_t1_font_has():
    """The family notes' formulas (logit P(Y <= k) = zeta_k - x'beta) are set as math: a
    character outside Latin-1 stops pdflatex ("Unicode character not set up")."""
    from coprod.report.wording import FAMILY_WORDING

    for text in FAMILY_WORDING.values():
        R.latex_escape(text).encode("latin-1")  # raises on a character LaTeX cannot set


def test_latex_escape_specials():
    assert R.latex_escape("a_b%c&d#e$f{g}h~i^j\\k") == \
        r"a\_b\%c\&d\#e\$f\{g\}h\textasciitilde{}i\textasciicircum{}j\textbackslash{}k"


class _Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def test_html_table_escapes_and_marks_rows():
    df = pooled_table()
    df.loc[0, "variable"] = "Age <years> & more"
    out = R.to_html(df, caption="A <b>caption</b>", note="Note & more", table_id="x")
    p = _Collect()
    p.feed(out)
    tags = [t for t, _ in p.tags]
    assert "b" not in tags and "script" not in tags
    assert "Age <years> & more" in "".join(p.text)
    assert tags.count("caption") == 1 and "tfoot" in tags
    assert any(a.get("class") == "level" for t, a in p.tags if t == "tr")
    assert out.count('<tbody class="foot">') == 1


def test_write_table_files(tmp_path):
    paths = {f: tmp_path / f"t.{f}" for f in ("csv", "tex", "html")}
    R.write_table_files(pooled_table(), paths, caption="c", note="n", name="t")
    back = pd.read_csv(paths["csv"], keep_default_na=False)
    assert list(back.columns[:2]) == ["variable", "level"]
    assert "ref." in set(back.iloc[:, 2])
    assert r"\begin{table}" in paths["tex"].read_text()
    assert paths["html"].read_text().startswith('<table class="coprod-table" id="table-t">')


# -- contrast, descriptives and cleaning tables -----------------------------------------------

def test_tidy_contrast_reads_the_estimator_columns():
    c = T.tidy_contrast(D.contrast())
    assert {"estimate", "conf_low", "conf_high", "kind", "variable", "level"} <= set(c.columns)
    assert c.loc[c["term"] == "gender[T.woman]", "level"].iloc[0] == "woman"
    assert set(c.loc[c["term"] == "joint", "kind"]) == {"joint"}
    alias = D.contrast().rename(columns={"difference": "diff", "p_value": "p"})
    assert T.tidy_contrast(alias)["estimate"].notna().sum() == c["estimate"].notna().sum()


def test_contrast_table_samples_joint_tests_and_failures():
    t = T.contrast_table(D.contrast(), samples=["pooled", "UK", "FR"], words=D.WORDS)
    pooled = D.WORDS["pooled"]
    assert list(t.columns) == ["variable", "level", pooled, "UK", "FR"]
    assert cell(t, "Self-efficacy (1-4)", "", pooled).startswith("0.60 [")
    # a country's own model has no country effects: blank (cannot apply), not a dash
    assert cell(t, "Country: FR", "", "UK") == ""
    assert set(t.loc[t["variable"] == "Gender: woman", "FR"]) == {T.NA}
    assert cell(t, "Joint test (F): all covariates", "", "UK").startswith("25.00 (p < 0.001)")
    assert cell(t, "Status", "", "FR").startswith("failed:")


def test_descriptives_table():
    t = T.descriptives_table(D.descriptives(), groups=["UK", "FR"])
    assert cell(t, "n (unweighted)", "", "UK") == "1,000"
    assert cell(t, "Gender, %", "woman", "FR") == "52.0 [49.0, 55.0]"
    assert cell(t, "Age (years), mean", "", "UK") == "47.50 [46.50, 48.50]"


def test_cleaning_table_words():
    t = T.cleaning_table(D.cleaning_summary())
    assert "Dropped: invalid weight" in t.columns and "Read" in t.columns
    assert list(t["Balanced"]) == ["yes", "yes"]
    assert t.loc[0, "Read"] == "1,010"


def test_run_tables_writes_every_table(tmp_path):
    from coprod.report.report import report_settings, table_names

    paths = D.write_inputs(tmp_path)
    settings = report_settings(load_settings(D.config()))
    names = table_names(ReportSettings.from_params(settings))
    outputs = {f"{n}_{f}": tmp_path / "t" / f"{n}.{f}" for n in names for f in ("csv", "tex",
                                                                                 "html")}
    T.run_tables(descriptives=paths["descriptives"], coefficients=paths["coefficients"],
                 fit=paths["fit"], contrast=paths["contrast"],
                 cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
                 settings=TableSettings.from_params(settings["tables"]), words=settings["words"], covariates=D.COVARIATES,
                 reference_levels=D.REFERENCE, levels=D.LEVELS,
                 contrast_outcomes=D.OUTCOMES, conf_level=0.95, outputs=outputs)
    for path in outputs.values():
        assert path.stat().st_size > 100, path
    assert "Collective co-production, any domain vs individual" in \
        (tmp_path / "t" / "contrast.html").read_text()


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
    assert list(prev["group"]) == ["A", "B", "C"] and set(prev["kind"]) == {"y"}
    desc = describe(survey, ["age", "sex"], DESIGN, labels=labels)
    shares = desc[desc["variable"] == "sex"].groupby("group")["estimate"].sum()
    assert np.allclose(shares, 1.0)
    assert set(desc.loc[desc["variable"] == "age", "stat"]) == {"mean"}
    assert desc.loc[desc["group"] == "A", "group_n"].iloc[0] == int((survey["country"] == "A").sum())


def test_every_model_failed_gives_a_table_of_dashes(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    coefs = T.read_results(empty, "coefficients")
    failed = [(o, s) for o in D.OUTCOMES for s in D.SAMPLES]
    t = T.model_table(coefs, D.fit(failed=failed), columns=COLS, covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS)
    assert cell(t, "Age (years)", "", "Individual co-production, any domain") == T.NA
    assert cell(t, "Gender", "man", "Individual co-production, any domain") == T.NA
    assert cell(t, "Model status", "", "Collective co-production, any domain").startswith("failed")
    con = T.contrast_table(T.read_results(empty, "contrast"), samples=[])
    assert len(con) == 0


def test_group_rows_are_blank_in_a_groups_own_model():
    """A country's own model has no country fixed effects: no 'ref.' for it there."""
    cols = [("pooled", "individual_any"), ("UK", "individual_any")]
    t = T.model_table(D.coefficients(), D.fit(), columns=cols, covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS, labels=D.LABELS,
                      words=D.WORDS)
    pooled, uk = [c for c in t.columns if c not in ("variable", "level")]
    ref = D.REFERENCE["country"]
    row = t[(t["level"] == ref)]
    assert row[pooled].tolist() == ["ref."] and row[uk].tolist() == [""]


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
    assert "design.incomplete: keep" in glm
    assert "design.incomplete: drop" in T.model_table_note(False, 0.95, DS({"incomplete": "drop"}))


def test_excluded_row_and_the_variables_in_the_note():
    t = pooled_table()
    assert cell(t, "Excluded (missing)", "", "Individual, any domain") == "12"
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
    assert cell(t, "Excluded (missing)", "", "Individual, any domain") == T.NA
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
    assert "Country" not in set(groups["variable"])
    assert list(groups["variable"].drop_duplicates())[:4] == ["Age (years)", "Gender",
                                                              "Self-efficacy (1-4)", "Education"]
    pooled = pooled_table()
    assert cell(pooled, "Country", "UK", "Individual, any domain") == "ref."
    assert cell(pooled, "Country", "FR", "Individual, any domain").startswith("1.11 [")


def test_a_region_survey_from_config_alone(tmp_path):
    """Group column 'region' worded 'Region', a model-based design, tables without titles."""
    from coprod.report.report import report_settings, table_names

    paths = D.write_inputs(tmp_path, group_column="region", group_label="Region")
    cfg = D.config()
    cfg["groups"] = {"column": "region", "label": "Region"}
    cfg["report"] = {"subject": "voting"}
    settings = report_settings(load_settings(cfg))
    names = table_names(ReportSettings.from_params(settings))
    outputs = {f"{n}_{f}": tmp_path / "t" / f"{n}.{f}" for n in names for f in ("csv", "html")}
    T.run_tables(descriptives=paths["descriptives"], coefficients=paths["coefficients"],
                 fit=paths["fit"], contrast=paths["contrast"],
                 cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
                 settings=TableSettings.from_params(settings["tables"]), words=settings["words"], covariates=D.COVARIATES,
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
    assert "Region" in set(pooled["variable"]) and "Region" not in set(groups["variable"])
    assert list(pooled["variable"])[-4:] == ["Excluded (missing)", "Weighted n", "Events",
                                             "Pseudo-R\u00b2"]
    cleaning = pd.read_csv(tmp_path / "t" / "cleaning.csv", keep_default_na=False)
    assert list(cleaning["Region"]) == ["UK", "FR"]  # read from the first column, region


def test_lower_word_keeps_acronyms():
    assert T.lower_word("Region") == "region"
    assert T.lower_word("US state") == "US state" and T.lower_word("") == ""


def test_table_data_puts_the_numbers_in_columns():
    """tables/<stem>.data.csv: every cell of a display table with its numbers parsed back
    (estimate and interval, an F test's statistic, df and p), true minus signs included."""
    df = pd.DataFrame({"variable": ["Age", "Education", "Gender", "Gender"],
                       "level": ["", "", "man", "woman"],
                       "A": ["1.03 [1.02, 1.04]", "F(2, 851) = 0.58, p = 0.558", "ref.",
                             "\u22120.20 [\u22120.50, 0.10]**"],
                       "B": ["3.21 (p < 0.001)", "F(3, 40) = 9.10, p < 0.001", "", ""]})
    full = R.table_data(df).set_index(["variable", "level"])
    t = full[full["column"] == "A"]
    assert t.loc[("Age", ""), ["estimate", "conf_low", "conf_high"]].tolist() == [1.03, 1.02, 1.04]
    assert t.loc[("Education", ""), ["estimate", "df_num", "df_den", "p_value"]].tolist() == \
        [0.58, 2, 851, 0.558]
    assert pd.isna(t.loc[("Gender", "man"), "estimate"]) and t.loc[("Gender", "man"), "text"] == "ref."
    assert t.loc[("Gender", "woman"), ["estimate", "conf_low", "conf_high"]].tolist() == \
        [-0.2, -0.5, 0.1]
    b = full[full["column"] == "B"]
    assert b.loc[("Age", ""), ["estimate", "p_below"]].tolist() == [3.21, 0.001]
    assert pd.isna(b.loc[("Age", ""), "p_value"])  # a bound, not a value
    assert b.loc[("Education", ""), ["estimate", "df_num", "p_below"]].tolist() == [9.1, 3, 0.001]


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

