"""svy_glm (R's svyglm in R's words) and the gaussian family: weighted least squares exactly,
nothing of the logit's (separation, events, odds ratios) on a linear fit, one-line errors that
name the argument. R's own numbers: tests/golden/test_gaussian_golden.py."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from coprod.errors import ConfigError
from coprod.survey import (
    average_marginal_effects,
    make_design,
    predict_margins,
    svy_glm,
    svy_logit,
    svy_poisson,
    term_tests,
)
from coprod.survey.glm import fit_svy_logit


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(28)
    n = 400
    d = pd.DataFrame({"stratum": rng.choice(["a", "b", "c"], n),
                      "psu": rng.integers(0, 8, n), "weight": rng.uniform(0.5, 3.0, n),
                      "x": rng.normal(size=n), "g": rng.choice(["lo", "mid", "hi"], n)})
    d["g"] = pd.Categorical(d["g"], categories=["lo", "mid", "hi"])
    d["y"] = 2.0 + 1.5 * d["x"] + (d["g"] == "hi") * 0.8 + rng.normal(size=n)
    d["b"] = (d["y"] > 2.5).astype(int)
    d["k"] = rng.poisson(np.exp(0.3 * d["x"]))
    d.loc[[3, 17], "x"] = np.nan  # left out of the fit, kept in the design
    return d


@pytest.fixture(scope="module")
def design(data):
    return make_design(data, weights="weight", strata="stratum", psu="psu", keep_data=True,
                       lonely_psu="fail")


def test_gaussian_is_weighted_least_squares(data, design):
    fit = svy_glm("y ~ x + g", design)
    ok = data["x"].notna().to_numpy()
    X = np.column_stack([np.ones(ok.sum()), data["x"][ok],
                         data["g"][ok] == "mid", data["g"][ok] == "hi"]).astype(float)
    sw = np.sqrt(data["weight"][ok].to_numpy())
    beta = np.linalg.lstsq(X * sw[:, None], data["y"][ok].to_numpy() * sw, rcond=None)[0]
    np.testing.assert_allclose(fit.params.to_numpy(), beta, rtol=0, atol=1e-12)
    assert fit.converged and fit.n_iter <= 2
    assert fit.df_resid == 24 - 3 - 3  # PSUs - strata - non-intercept terms
    assert fit.stats["n"] == 398 and fit.stats["events"] is None
    r = data["y"][ok].to_numpy() - X @ beta
    w = data["weight"][ok].to_numpy()
    ybar = np.average(data["y"][ok], weights=w)
    tss = w @ (data["y"][ok].to_numpy() - ybar) ** 2
    assert fit.stats["pseudo_r2"] == pytest.approx(1 - (w @ r**2) / tss, rel=1e-12)


def test_a_gaussian_table_has_no_exp_coefficient(data, design):
    tidy = svy_glm("y ~ x + g", design).tidy()
    assert {"odds_ratio", "rate_ratio", "or_conf_low", "rr_conf_low"}.isdisjoint(tidy.columns)
    assert list(tidy.columns) == ["term", "estimate", "std_error", "df_resid", "statistic",
                                  "p_value", "conf_low", "conf_high", "deff", "flag"]
    assert (tidy["flag"] == "").all()


def test_logit_and_count_are_unchanged_by_svy_glm(data, design):
    pd.testing.assert_frame_equal(svy_glm("b ~ x + g", design, "quasibinomial").tidy(),
                                  svy_logit("b ~ x + g", design).tidy())
    pd.testing.assert_frame_equal(svy_glm("k ~ x + g", design, "quasipoisson").tidy(),
                                  svy_poisson("k ~ x + g", design).tidy())
    assert "odds_ratio" in svy_logit("b ~ x + g", design).tidy().columns
    assert "rate_ratio" in svy_poisson("k ~ x + g", design).tidy().columns


def test_gaussian_outcomes_need_no_zero_one_or_count_checks(data, design):
    # negative, fractional and all-zero-at-a-level outcomes are fine for a linear model
    d = data.assign(z=np.where(data["g"] == "hi", 0.0, data["y"] - 10.5))
    des = make_design(d, weights="weight", strata="stratum", psu="psu", keep_data=True)
    fit = svy_glm("z ~ x + g", des)
    assert not [f for f in fit.flags if f["flag"] in ("separation", "low_events_per_parameter")]
    assert fit.term_flags == {}


def test_margins_of_a_linear_fit_are_its_coefficients(design):
    fit = svy_glm("y ~ x + g", design)
    ame = average_marginal_effects(fit).set_index("contrast")
    assert ame.at["per unit", "estimate"] == pytest.approx(fit.params["x"], rel=1e-9)
    assert ame.at["hi vs lo", "estimate"] == pytest.approx(fit.params["g[T.hi]"], rel=1e-12)
    se = np.sqrt(fit.cov.loc["g[T.hi]", "g[T.hi]"])
    assert ame.at["hi vs lo", "std_error"] == pytest.approx(se, rel=1e-9)
    pred = predict_margins(fit, {"g": ["lo"]}).iloc[0]
    half = pred["conf_high"] - pred["predicted"]  # identity link: a symmetric interval
    assert pred["predicted"] - pred["conf_low"] == pytest.approx(half, rel=1e-9)


def test_term_tests_df_inf_is_the_chi_square(design):
    fit = svy_glm("y ~ x + g", design)
    f = term_tests(fit).iloc[0]
    chi = term_tests(fit, df=math.inf).iloc[0]
    ten = term_tests(fit, df=10).iloc[0]
    assert f["df_den"] == fit.df_resid and chi["df_den"] == math.inf and ten["df_den"] == 10
    assert chi["statistic"] == pytest.approx(2 * f["statistic"], rel=1e-12)
    assert ten["statistic"] == f["statistic"]
    from scipy import stats

    assert chi["p_value"] == pytest.approx(stats.chi2.sf(chi["statistic"], 2), rel=1e-12)
    assert ten["p_value"] == pytest.approx(stats.f.sf(f["statistic"], 2, 10), rel=1e-12)


@pytest.mark.parametrize("family", ["binomial", "logistic", "Gaussian", None, 1])
def test_an_unknown_family_names_the_argument_and_the_accepted_values(design, family):
    with pytest.raises(ConfigError) as exc:
        svy_glm("y ~ x", design, family=family)
    text = str(exc.value)
    assert text.startswith(f"family: {family!r} is not a family of svy_glm; use one of "
                           "'gaussian', 'quasibinomial', 'quasipoisson'"), text
    assert exc.value.argument == "family" and "\n" not in text


def test_the_engine_s_own_family_names_are_named_too(data):
    with pytest.raises(ConfigError) as exc:
        fit_svy_logit(data, "y ~ x", weights="weight", family="normal")
    assert str(exc.value) == ("family: 'normal' is not a family; use one of 'logit', "
                              "'count', 'gaussian'")
    assert exc.value.argument == "family"
    fit = fit_svy_logit(data, "y ~ x", weights="weight", family="gaussian")
    assert fit.family.name == "gaussian"


def test_a_design_without_its_data_is_refused_naming_design(data):
    bare = make_design(data, weights="weight")
    with pytest.raises(ConfigError) as exc:
        svy_glm("y ~ x", bare)
    assert exc.value.argument == "design" and "keep_data=True" in str(exc.value)


def test_a_gaussian_fit_has_no_model_based_errors(data):
    """glm's model-based errors assume dispersion 1 and normal tests: not an lm's."""
    d = data.assign(one=1.0)
    with pytest.raises(ConfigError) as exc:
        svy_glm("y ~ x", make_design(d, weights="one", keep_data=True), model_based=True)
    assert exc.value.argument == "model_based"
    assert str(exc.value).startswith("model_based: plain-glm errors are for the logit")
