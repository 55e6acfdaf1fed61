"""The results' base class: one API for GLM and ordinal fits (conf_int, summary, short repr,
R's names), terms tested by any naming, the fields the pipeline reads unchanged, R's number
formatting. R's own numbers and printed summaries: tests/golden/test_summary_golden.py."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from coprod.errors import ConfigError, ModelError
from coprod.survey import (
    SvyGlmResult,
    SvyLogitResult,
    SvyModelResult,
    SvyOlrResult,
    SvySummary,
    joint_test,
    make_design,
    svy_glm,
    svy_logit,
    svy_olr,
    term_columns,
    term_tests,
)
from coprod.survey.rformat import coef_matrix, format_pval, format_r


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(2028)
    n = 1000
    d = pd.DataFrame({"stratum": rng.choice(["a", "b", "c", "d"], n),
                      "psu": rng.integers(0, 10, n), "weight": rng.uniform(0.5, 3.0, n),
                      "x": rng.normal(size=n), "age": rng.uniform(18, 80, n),
                      "stype": rng.choice(["E", "H", "M"], n),
                      "region": rng.choice(["north", "south"], n),
                      "urban": rng.choice([True, False], n),
                      "odd name": rng.normal(size=n)})
    d["stype"] = pd.Categorical(d["stype"], categories=["E", "H", "M"])
    d["y"] = (1.0 + 0.5 * d["x"] + 0.3 * (d["stype"] == "H") + 0.02 * d["age"]
              + rng.normal(size=n))
    d["b"] = (d["y"] > d["y"].median()).astype(int)
    d["freq"] = pd.Categorical(pd.cut(d["y"], [-np.inf, 1.0, 2.0, 3.0, np.inf],
                                      labels=["never", "rarely", "often", "always"]),
                               ordered=True)
    d.loc[[5, 50], "x"] = np.nan
    return d


@pytest.fixture(scope="module")
def design(data):
    return make_design(data, weights="weight", strata="stratum", psu="psu", keep_data=True,
                       lonely_psu="fail")


FORMULA = "y ~ x + I(x**2) + stype * region + age:stype + urban + Q('odd name')"


@pytest.fixture(scope="module")
def fit(design):
    return svy_glm(FORMULA, design)


def test_one_base_class_and_the_old_names(fit, data, design):
    olr = svy_olr("freq ~ x + stype", design)
    assert isinstance(fit, SvyModelResult) and isinstance(olr, SvyModelResult)
    assert SvyLogitResult is SvyGlmResult and isinstance(fit, SvyLogitResult)
    assert not isinstance(olr, SvyGlmResult) and not isinstance(fit, SvyOlrResult)
    shared = [f.name for f in dataclasses.fields(SvyModelResult)]
    for cls in (SvyGlmResult, SvyOlrResult):  # the fields as before, in their order
        assert [f.name for f in dataclasses.fields(cls)][:len(shared)] == shared
    assert shared == ["formula", "params", "cov", "df_resid", "conf_level", "model_based",
                      "converged", "n_iter", "flags", "term_flags", "terms"]
    for name in ("X", "y", "w", "rows", "design", "spec", "keep", "model_data", "variables",
                 "outcome", "stats", "deff", "replicate_params", "family"):
        assert hasattr(fit, name)
    assert olr.family == "ordinal" and olr.family_name == "ordinal"
    assert fit.family.name == "gaussian" and fit.family_name == "gaussian"
    assert svy_glm("b ~ x", design, family="quasibinomial").family_name == "quasibinomial"


def test_repr_is_short_and_has_no_arrays(fit, design):
    text = repr(fit)
    assert len(text) < 2000 and fit.stats["n"] == 998
    assert text.startswith("<SvyGlmResult gaussian \"y ~ x + I(x**2)")
    assert "n=998" in text and f"df_resid={fit.df_resid}" in text
    assert "stype[T.H]" in text and "array" not in text and "\n" not in text
    # a model with very many terms: the list is cut, the repr stays short
    many = pd.DataFrame({"y": np.arange(1000.0) % 7, "w": 1.0,
                         "g": [f"level_with_a_long_name_{i % 150:03d}" for i in range(1000)]})
    big = svy_glm("y ~ g", make_design(many, weights="w", keep_data=True))
    assert len(repr(big)) < 2000 and "150 terms: Intercept, g[T.level_with" in repr(big)
    shown = repr(big).count("g[T.level_with_a_long_name_")
    assert 0 < shown < 149 and repr(big).endswith(f", ... ({150 - 1 - shown} more)>")
    assert len(big.summary().coefficients) == 150  # every term is in the summary


def test_r_names_of_factor_interaction_numeric_logical_and_odd_names(fit):
    assert fit.r_names == [
        "(Intercept)", "x", "I(x^2)", "stypeH", "stypeM", "regionsouth", "urbanTRUE",
        "`odd name`", "stypeH:regionsouth", "stypeM:regionsouth", "stypeE:age", "stypeH:age",
        "stypeM:age"]  # R: stype appears before age in the formula, so stype:age
    assert list(fit.params.index) == [
        "Intercept", "x", "I(x ** 2)", "stype[T.H]", "stype[T.M]", "region[T.south]", "urban",
        "Q('odd name')", "stype[T.H]:region[T.south]", "stype[T.M]:region[T.south]",
        "age:stype[E]", "age:stype[H]", "age:stype[M]"]
    assert fit.r_terms[8:] == ["stype:region"] * 2 + ["stype:age"] * 3
    assert fit.names("R") == fit.r_names and fit.names() == list(fit.params.index)
    tidy_r = fit.tidy(names="R")
    assert tidy_r["term"].tolist() == fit.r_names
    pd.testing.assert_frame_equal(tidy_r.drop(columns="term"), fit.tidy().drop(columns="term"))


def test_r_names_without_a_formula_spec():
    from coprod.survey.rnames import r_names

    assert r_names(None, ["Intercept", "x", "low|high"], "") == (
        ["(Intercept)", "x", "low|high"], ["(Intercept)", "x", "low|high"])


def test_r_orders_an_interaction_by_first_appearance(design):
    a = svy_glm("y ~ age + x:age", design)       # x appears after age: R's age:x
    b = svy_glm("y ~ x + age + age:x", design)   # x first: R's x:age
    assert a.r_names[-1] == "age:x" and b.r_names[-1] == "x:age"


@pytest.mark.parametrize("naming", [
    "stype",                                   # the variable (R's regTermTest(~stype))
    ["stype[T.H]", "stype[T.M]"],              # formulaic's columns
    ["stypeH", "stypeM"],                      # R's columns
    "~stypeH + stypeM",                        # R's formula
])
def test_joint_test_by_every_naming(fit, naming):
    row = joint_test(fit, naming if isinstance(naming, list) else naming, "stype")
    ref = joint_test(fit, ["stype[T.H]", "stype[T.M]"], "stype")
    assert row == ref and row["df_num"] == 2 and row["flag"] == ""
    assert row["terms"] == "stype[T.H];stype[T.M]"


def test_term_tests_by_every_naming(fit):
    base = term_tests(fit).set_index("test")
    for names in (["stype:region"], ["stype[T.H]:region[T.south]", "stype[T.M]:region[T.south]"],
                  ["stypeH:regionsouth", "stypeM:regionsouth"]):
        got = term_tests(fit, {"interaction": names}).set_index("test").loc["interaction"]
        pd.testing.assert_series_equal(got, base.loc["stype:region"], check_names=False)
    quad = [term_tests(fit, {"q": [n]}).set_index("test").loc["q"]
            for n in ("I(x^2)", "I(x**2)", "I(x ** 2)")]
    for q in quad[1:]:
        pd.testing.assert_series_equal(q, quad[0])
    assert quad[0]["terms"] == "I(x ** 2)" and quad[0]["df_num"] == 1
    # a list tests each name on its own; a variable keeps its meaning (its main effects)
    listed = term_tests(fit, ["stype", "stype:age"]).set_index("test")
    assert listed.loc[["stype", "stype:age"], "df_num"].tolist() == [2, 3]
    # a factor named in the list is the model's own test of it: said once, not twice
    assert not listed.index.duplicated().any()
    assert term_tests(fit, ["x", "stype"])["test"].tolist().count("stype") == 1
    assert term_columns(fit, "x") == ["x"] and term_columns(fit, "nothing") == []
    assert term_tests(fit, {"v": ["x"]}).set_index("test").loc["v", "df_num"] == 2  # x, x**2


def test_an_unknown_term_names_the_namings(fit):
    with pytest.raises(ModelError) as exc:
        joint_test(fit, ["stypeZ"], "z")
    assert "['stypeZ'] are not in the model" in str(exc.value) and "stypeH" in str(exc.value)
    gone = term_tests(fit, {"g": ["stypeZ"]}).iloc[-1]
    assert gone["flag"] == "not_in_model: stypeZ" and math.isnan(gone["statistic"])


def test_conf_int_is_tidy_interval_and_normal_for_ordinal(fit, data, design):
    tidy = fit.tidy()
    ci = fit.conf_int()
    np.testing.assert_allclose(ci["2.5 %"], tidy["conf_low"], rtol=1e-14)
    np.testing.assert_allclose(ci["97.5 %"], tidy["conf_high"], rtol=1e-14)
    assert list(fit.conf_int(0.99).columns) == ["0.5 %", "99.5 %"]
    assert list(fit.conf_int(0.999).columns) == ["0.05 %", "99.95 %"]
    z = fit.conf_int(df=math.inf)
    se = fit.bse
    np.testing.assert_allclose(z["97.5 %"] - fit.params, 1.959963984540054 * se, rtol=1e-12)
    assert list(fit.conf_int(names="R").index) == fit.r_names
    pd.testing.assert_series_equal(fit.std_errors, fit.bse)
    np.testing.assert_allclose(fit.bse, tidy["std_error"].to_numpy(), rtol=0, atol=0)
    olr = svy_olr("freq ~ x + stype", design)
    np.testing.assert_allclose(olr.conf_int().to_numpy(), olr.conf_int(df=math.inf).to_numpy())
    t = olr.conf_int(df=olr.df_resid)  # tidy()'s intervals: t on the residual df
    np.testing.assert_allclose(t["2.5 %"], olr.tidy()["conf_low"], rtol=1e-14)


@pytest.mark.parametrize("kwargs, argument", [
    (dict(level=1.0), "level"), (dict(level=0), "level"), (dict(level="95%"), "level"),
    (dict(df=0), "df"), (dict(df=float("nan")), "df"), (dict(names="r"), "names")])
def test_bad_arguments_are_named(fit, kwargs, argument):
    with pytest.raises(ConfigError) as exc:
        fit.conf_int(**kwargs)
    assert exc.value.argument == argument and str(exc.value).startswith(f"{argument}: ")
    assert "\n" not in str(exc.value)


def test_bad_names_in_tidy_and_summary(fit):
    for call in (lambda: fit.tidy(names="Rstyle"), lambda: fit.summary(names="")):
        with pytest.raises(ConfigError) as exc:
            call()
        assert exc.value.argument == "names"


def test_summary_layout(fit, data, design):
    s = fit.summary()
    assert isinstance(s, SvySummary) and repr(s) == str(s)
    text = str(s)
    assert text.startswith(f"Call:\nsvy_glm({FORMULA!r}, design, family='gaussian')\n")
    assert "\nSurvey design:\n" + design.describe() + "\n" in text
    assert "Estimate Std. Error t value Pr(>|t|)" in text
    assert "\n(Dispersion parameter for gaussian family taken to be " in text
    assert list(s.coefficients.index) == fit.r_names
    assert list(fit.summary(names="formula").coefficients.index) == list(fit.params.index)
    olr = str(svy_olr("freq ~ x + stype", design).summary())
    assert "\nCoefficients:\n" in olr and "\nIntercepts:\n" in olr and "Dispersion" not in olr
    assert olr.index("stypeH") < olr.index("Intercepts:") < olr.index("never|rarely")
    assert "Value Std. Error t value" in olr


def test_summary_of_model_based_and_flagged_fits():
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x": rng.normal(size=300), "g": rng.choice(["a", "b"], 300)})
    d["y"] = (rng.random(300) < 0.4).astype(int)
    d.loc[d["g"] == "b", "y"] = 0  # separation along g
    res = svy_logit("y ~ x + g", make_design(d, keep_data=True), model_based=True)
    text = str(res.summary())
    assert "z value Pr(>|z|)" in text and "Note (separation)" in text
    assert "gb" in text and res.summary().coefficients.loc["gb"].isna().all()
    assert res.conf_int().loc["g[T.b]"].isna().all()
    assert res.summary().dispersion == pytest.approx(res.dispersion())


def test_nothing_is_computed_at_fit_time(design):
    res = svy_glm("y ~ x + stype", design)
    assert "_r_naming" not in res.__dict__  # R's names: on first use, then kept
    assert res.r_names[1] == "x" and "_r_naming" in res.__dict__


def test_r_number_formatting():
    # what R 4.2.2 prints: format(c(0.13722, 0.94288, 0.0544), digits = 3), format.pval(...,
    # digits = 3), printCoefmat(m, digits = 4) of the same numbers
    assert format_r([0.13722, 0.94288, 0.0544], 3) == ["0.1372", "0.9429", "0.0544"]
    assert format_r([123456789.0, 1.5], 4) == ["1.235e+08", "1.500e+00"]
    assert format_r([384.97175702515489], 7) == ["384.9718"]
    assert format_r([np.nan, -1.25, np.inf], 3) == ["   NA", "-1.25", "  Inf"]
    assert format_pval([4.78e-11, 0.13722, 0.00034, 1e-20]) == [
        "4.78e-11", "0.13722", "0.00034", "< 2e-16"]
    lines, stars = coef_matrix(["a", "bb"], [1.0, -0.5], [0.1, 0.2], [10.0, -2.5],
                               [1e-10, 0.2], ["Estimate", "Std. Error", "t value", "Pr(>|t|)"])
    assert stars and lines[0] == "   Estimate Std. Error t value Pr(>|t|)    "
    assert lines[1] == "a       1.0        0.1    10.0    1e-10 ***"
    assert lines[2] == "bb     -0.5        0.2    -2.5      0.2    "
