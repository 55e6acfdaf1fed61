"""The gaussian (linear) design-based GLM and regTermTest's ``df`` option against R's survey.

The reference numbers come from tools/golden_gaussian.R (R 4.2.2, survey 4.1.1):
``svyglm(family = gaussian())`` (R's default) and ``quasibinomial()`` on Taylor designs with
strata, clusters and population sizes (one and two stages, tests/data/golden/fpc_survey.csv)
and on JK1 and BRR replicate designs (replicate_survey.csv + replicate_weights.csv), on the
whole sample and a domain, and ``regTermTest(model, ~terms, df = NULL / Inf / 10)`` on every
fit. Through the public API: :func:`coprod.survey.svy_glm`, :func:`coprod.survey.term_tests`.
Tolerances: estimates 1e-8, SEs and design effects 1e-6, test statistics and p-values 1e-8
(relative); df equal.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from coprod.errors import ConfigError
from coprod.survey import make_design, make_replicate_design, svy_glm, term_tests

GOLDEN = ROOT / "tests" / "data" / "golden"
COEF = pd.read_csv(GOLDEN / "gaussian_reference.csv", keep_default_na=False,
                   na_values={"estimate": "NA", "std_error": "NA", "deff": "NA"},
                   dtype={"level": str})
TESTS = pd.read_csv(GOLDEN / "regtermtest_reference.csv", dtype={"df_arg": str},
                    keep_default_na=False)  # df_arg "NULL" is R's default, not a missing value
TAYLOR = {"clus_fpc": dict(psu="psu", fpc="N1"),
          "two_stage": dict(psu="psu", ssu="ssu", fpc="N1", fpc2="M2")}
REPLICATE = {"JK1": "jk1_", "BRR": "brr_"}
FAMILY = {"gaussian": "gaussian", "logit": "quasibinomial"}
DF = {"NULL": None, "Inf": math.inf, "10": 10}


@pytest.fixture(scope="module")
def designs():
    fpc = pd.read_csv(GOLDEN / "fpc_survey.csv")
    fpc["eff"] = pd.Categorical(fpc["efficacy"].astype(str), categories=["0", "1", "2", "3"])
    rep = pd.read_csv(GOLDEN / "replicate_survey.csv").merge(
        pd.read_csv(GOLDEN / "replicate_weights.csv"), on="id", validate="one_to_one")
    rep["country"] = pd.Categorical(rep["country"], categories=["AA", "BB", "CC"])
    out = {}
    for name, kw in TAYLOR.items():
        d = make_design(fpc, weights="weight", strata="stratum", lonely_psu="fail",
                        keep_data=True, **kw)
        out[name, "all"], out[name, "north"] = d, d.domain(fpc["region"] == "north")
    for name, prefix in REPLICATE.items():
        d = make_replicate_design(rep, weights="weight", replicates=f"^{prefix}\\d+$",
                                  type=name, keep_data=True)
        out[name, "all"], out[name, "BB"] = d, d.domain(rep["country"] == "BB")
    return out


CASES = sorted(set(zip(COEF["case"], COEF["design"], COEF["domain"], COEF["family"],
                       COEF["model"])))


def coprod_term(variable: str, level: str) -> str:
    return "Intercept" if variable == "Intercept" else f"{variable}[T.{level}]" if level \
        else variable


def test_every_reference_case_is_tested():
    assert {c[1] for c in CASES} == set(TAYLOR) | set(REPLICATE)
    assert {c[3] for c in CASES} == set(FAMILY)
    assert set(zip(TESTS["case"], TESTS["family"])) == {(c[0], c[3]) for c in CASES}


@pytest.mark.parametrize("case, design, domain, family, model", CASES)
def test_svy_glm_equals_svyglm(designs, case, design, domain, family, model):
    fit = svy_glm(model, designs[design, domain], family=FAMILY[family])
    ref = COEF[(COEF["case"] == case) & (COEF["family"] == family)]
    terms = [coprod_term(v, lv) for v, lv in zip(ref["variable"], ref["level"])]
    tidy = fit.tidy().set_index("term")
    assert sorted(tidy.index) == sorted(terms)
    tidy = tidy.loc[terms]
    np.testing.assert_allclose(tidy["estimate"], ref["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(tidy["std_error"], ref["std_error"], rtol=1e-6, atol=0)
    assert (tidy["df_resid"].to_numpy() == ref["df"].to_numpy()).all()
    assert fit.stats["n"] == ref["n"].iloc[0]
    if ref["deff"].notna().all():  # Taylor designs: svyglm(deff = TRUE)
        np.testing.assert_allclose(tidy["deff"], ref["deff"], rtol=1e-6, atol=0)
    ratio = {"odds_ratio", "or_conf_low", "or_conf_high"}
    if family == "gaussian":  # the coefficient is the effect: no exp(coefficient) to misread
        assert not ratio & set(tidy.columns)
        assert fit.stats["events"] is None and fit.fit_stats()["flags"] == []
    else:
        assert ratio <= set(tidy.columns)


@pytest.mark.parametrize("case, design, domain, family, model", CASES)
def test_term_tests_equal_regtermtest(designs, case, design, domain, family, model):
    fit = svy_glm(model, designs[design, domain], family=FAMILY[family])
    ref = TESTS[(TESTS["case"] == case) & (TESTS["family"] == family)]
    assert set(ref["df_arg"]) == set(DF)
    for df_arg, block in ref.groupby("df_arg"):
        # named groups (R's ~female + y); a factor's own row (R's ~eff) comes with it too
        groups = {f"R: {t}": [v.strip() for v in t.split("+")] for t in block["test"]}
        out = term_tests(fit, groups, df=DF[df_arg]).set_index("test")
        for _, r in block.iterrows():
            got = out.loc[f"R: {r['test']}"]
            if "+" not in r["test"] and r["test"] in out.index:  # the factor's own row
                pd.testing.assert_series_equal(out.loc[r["test"]], got, check_names=False)
            assert got["flag"] == ""
            assert got["df_num"] == r["df_num"]
            assert float(got["df_den"]) == float(r["df_den"])  # "Inf" reads as inf
            assert got["statistic"] == pytest.approx(r["statistic"], rel=1e-8, abs=0)
            assert got["p_value"] == pytest.approx(r["p_value"], rel=1e-8, abs=0)


def test_chi_square_and_f_answer_the_same_wald_question(designs):
    """df = inf: the chi-square is k times the F of the model's df (same b' V^-1 b)."""
    fit = svy_glm("age ~ female + eff + y", designs["clus_fpc", "all"])
    f = term_tests(fit, {"eff": ["eff"]}).iloc[0]
    chi = term_tests(fit, {"eff": ["eff"]}, df=math.inf).iloc[0]
    assert chi["statistic"] == pytest.approx(3 * f["statistic"], rel=1e-12)
    assert chi["df_den"] == math.inf and f["df_den"] == fit.df_resid
    assert isinstance(f["df_den"], (int, np.integer))  # the default's column is as before


def test_the_default_family_is_gaussian_and_svy_logit_is_unchanged(designs):
    from coprod.survey import svy_logit

    d = designs["clus_fpc", "all"]
    a = svy_glm("y ~ age + female + eff", d, family="quasibinomial").tidy()
    pd.testing.assert_frame_equal(a, svy_logit("y ~ age + female + eff", d).tidy())
    assert svy_glm("age ~ female", d).family.name == "gaussian"


@pytest.mark.parametrize("family, hint", [
    ("binomial", "'quasibinomial'"), ("poisson", "'quasipoisson'"), ("Gaussian", None),
    ("normal", None), (3, None)])
def test_an_unknown_family_is_one_line_naming_the_argument_and_the_choices(designs, family,
                                                                           hint):
    with pytest.raises(ConfigError) as exc:
        svy_glm("age ~ female", designs["clus_fpc", "all"], family=family)
    text = str(exc.value)
    assert text.startswith(f"family: {family!r} is not a family of svy_glm; use one of "
                           "'gaussian', 'quasibinomial', 'quasipoisson'"), text
    assert exc.value.argument == "family" and "\n" not in text
    assert (hint in text) if hint else "same estimates" not in text


def test_bad_df_and_design_arguments_are_named(designs):
    fit = svy_glm("age ~ female + eff", designs["clus_fpc", "all"])
    for bad in (0, -1, "Inf", float("nan"), True):
        with pytest.raises(ConfigError) as exc:
            term_tests(fit, df=bad)
        assert str(exc.value).startswith(f"df: {bad!r} is not a number of degrees of freedom")
        assert exc.value.argument == "df"
    with pytest.raises(ConfigError) as exc:
        svy_glm("age ~ female", pd.DataFrame({"age": [1.0]}))
    assert exc.value.argument == "design" and str(exc.value).startswith("design: a DataFrame")
    with pytest.raises(ConfigError) as exc:
        svy_glm(None, designs["clus_fpc", "all"])
    assert exc.value.argument == "formula"
