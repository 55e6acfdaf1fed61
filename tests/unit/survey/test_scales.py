"""Ordinal and count models, their margins and the joint Wald tests, against a second library
(statsmodels) and against numerical derivatives; the R goldens are in test_scales_golden.py."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.miscmodels.ordinal_model import OrderedModel

from coprod.errors import ModelError
from coprod.pipeline.codebook import Codebook
from coprod.pipeline.derive import derive
from coprod.survey.design import make_design
from coprod.survey.glm import fit_svy_logit
from coprod.survey.margins import (
    average_marginal_effects,
    ordinal_marginal_effects,
    ordinal_predictions,
    predict_margins,
)
from coprod.survey.ordinal import category_probabilities, fit_svy_olr
from coprod.survey.termtests import term_tests

LEVELS = ["never", "rarely", "sometimes", "often"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    n = 3000
    d = pd.DataFrame({"x": rng.normal(size=n), "g": rng.choice(["a", "b", "c"], n),
                      "s": rng.choice(["s1", "s2", "s3"], n),
                      "psu": rng.integers(0, 60, n), "w": rng.uniform(0.5, 2.0, n)})
    d["g"] = pd.Categorical(d["g"], categories=["a", "b", "c"])
    eta = 0.8 * d["x"] + 0.5 * (d["g"] == "b")
    lat = eta + rng.logistic(size=n)
    d["y"] = pd.Categorical(np.select([lat < -1, lat < 0.5, lat < 2], LEVELS[:3], LEVELS[3]),
                            categories=LEVELS, ordered=True)
    d["k"] = rng.poisson(np.exp(0.3 + 0.4 * eta)).astype(float)
    d["psu"] = d["s"] + "-" + d["psu"].astype(str)
    return d


def dummies(d):
    return pd.get_dummies(d[["x", "g"]], drop_first=True).astype(float)


def test_ordinal_equals_statsmodels_unweighted(data):
    """Estimates and model-based SEs equal statsmodels' OrderedModel (its cut-points are the
    first one and then log increments: converted back)."""
    design = make_design(data, keep_data=True)
    res = fit_svy_olr(data, "y ~ x + g", design=design, model_based=True)
    ref = OrderedModel(data["y"], dummies(data), distr="logit").fit(method="newton", disp=0,
                                                                    maxiter=200)
    b = ref.params.to_numpy()
    zeta = np.cumsum(np.r_[b[3], np.exp(b[4:])])
    np.testing.assert_allclose(res.params.to_numpy()[:3], b[:3], atol=1e-7)
    np.testing.assert_allclose(res.params.to_numpy()[3:], zeta, atol=1e-7)
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov.to_numpy()))[:3], ref.bse.to_numpy()[:3],
                               rtol=1e-5)


def test_count_equals_statsmodels(data):
    """Weighted estimates equal statsmodels' Poisson GLM with var_weights; model-based SEs of an
    unweighted fit equal its SEs."""
    X = sm.add_constant(dummies(data))
    design = make_design(data, weights="w", strata="s", psu="psu", keep_data=True)
    res = fit_svy_logit(data, "k ~ x + g", design=design, family="count")
    ref = sm.GLM(data["k"], X, family=sm.families.Poisson(), var_weights=data["w"]).fit(
        tol=1e-14)
    np.testing.assert_allclose(res.params.to_numpy(), ref.params.to_numpy(), atol=1e-9)
    assert {"rate_ratio", "rr_conf_low", "rr_conf_high"} <= set(res.tidy().columns)
    plain = fit_svy_logit(data, "k ~ x + g", design=make_design(data, keep_data=True),
                          family="count", model_based=True)
    ref = sm.GLM(data["k"], X, family=sm.families.Poisson()).fit(tol=1e-14)
    np.testing.assert_allclose(np.sqrt(np.diag(plain.cov.to_numpy())), ref.bse.to_numpy(),
                               rtol=1e-7)


def _numerical_se(res, compute, eps=1e-6):
    """Delta-method SE from a central-difference gradient of ``compute(res)`` in the params."""
    theta = res.params.copy()

    def at(j, step):
        res.params = theta.copy()
        res.params.iloc[j] += step
        return compute(res)

    G = np.column_stack([(at(j, eps) - at(j, -eps)) / (2 * eps) for j in range(len(theta))])
    res.params = theta
    return np.sqrt(np.einsum("ij,jk,ik->i", G, res.cov.to_numpy(), G))


def test_ordinal_margins_delta_method(data):
    design = make_design(data, weights="w", strata="s", psu="psu", keep_data=True)
    res = fit_svy_olr(data, "y ~ x + g", design=design)
    ame = ordinal_marginal_effects(res)
    # the effects on the four categories sum to zero
    sums = ame.groupby(["variable", "contrast"])["estimate"].sum()
    assert np.abs(sums).max() < 1e-9
    num = _numerical_se(res, lambda r: ordinal_marginal_effects(r)["estimate"].to_numpy())
    np.testing.assert_allclose(ame["std_error"], num, rtol=1e-4)
    pred = ordinal_predictions(res, {"g": ["a", "b"]})
    assert np.allclose(pred.groupby("g")["predicted"].sum(), 1.0)
    # the prediction at g = b by hand
    w = res.w / res.w.sum()
    X = res.X.copy()
    X[:, 1], X[:, 2] = 1.0, 0.0
    theta = res.params.to_numpy()
    by_hand = w @ category_probabilities(X @ theta[:3], theta[3:])
    np.testing.assert_allclose(pred[pred["g"] == "b"]["predicted"], by_hand, atol=1e-12)
    num = _numerical_se(res, lambda r: ordinal_predictions(r, {"g": ["a", "b"]})
                        ["predicted"].to_numpy())
    np.testing.assert_allclose(pred["std_error"], num, rtol=1e-4)


def test_count_margins_delta_method(data):
    design = make_design(data, weights="w", strata="s", psu="psu", keep_data=True)
    res = fit_svy_logit(data, "k ~ x + g", design=design, family="count")
    ame = average_marginal_effects(res)
    num = _numerical_se(res, lambda r: average_marginal_effects(r)["estimate"].to_numpy())
    np.testing.assert_allclose(ame["std_error"], num, rtol=1e-4)
    pred = predict_margins(res, {"g": ["a", "b"]})
    assert (pred["conf_low"] < pred["predicted"]).all() and (pred["predicted"] > 0).all()
    x_ame = ame.loc[ame["variable"] == "x", "estimate"].iloc[0]
    mu = res.fitted
    assert x_ame == pytest.approx(np.average(mu * res.params["x"], weights=res.w), rel=1e-6)


def test_joint_test_of_one_term_is_its_t_squared(data):
    design = make_design(data, weights="w", strata="s", psu="psu", keep_data=True)
    for res in (fit_svy_olr(data, "y ~ x + g", design=design),
                fit_svy_logit(data, "k ~ x + g", design=design, family="count")):
        t = res.tidy().set_index("term").loc["x"]
        row = term_tests(res, {"x alone": ["x"]}).set_index("test").loc["x alone"]
        assert row["statistic"] == pytest.approx(t["statistic"] ** 2, rel=1e-10)
        assert row["p_value"] == pytest.approx(t["p_value"], rel=1e-8)
        tests = term_tests(res)
        assert list(tests["test"]) == ["g"] and tests["df_num"].iloc[0] == 2
    # a variable that has no column in this sample (an empty level): flagged, not fatal
    bad = term_tests(res, {"bad": ["x", "z"]}).set_index("test").loc["bad"]
    assert bad["flag"] == "not_in_model: z" and np.isnan(bad["statistic"])
    with pytest.raises(ModelError, match="joint test 'odd': term\\(s\\) \\['q'\\]"):
        from coprod.survey.termtests import joint_test
        joint_test(res, ["q"], "odd")


def test_ordinal_and_count_refuse_what_they_cannot_model(data):
    design = make_design(data, keep_data=True)
    d = data.assign(u=data["y"].astype(str))
    with pytest.raises(ModelError, match="ordinal outcome 'u' has no order"):
        fit_svy_olr(d, "u ~ x", design=design)
    two = data.assign(t=pd.Categorical(np.where(data["x"] > 0, "often", "never"),
                                       categories=LEVELS, ordered=True))
    with pytest.raises(ModelError, match="ordinal outcome 't' has 2 observed level"):
        fit_svy_olr(two, "t ~ x", design=design)
    with pytest.raises(ModelError, match="count outcome 'h': 3000 value"):
        fit_svy_logit(data.assign(h=data["x"]), "h ~ g", design=design, family="count")


def test_an_empty_middle_category_is_flagged_not_fatal(data):
    d = data.assign(y=data["y"].where(data["y"] != "rarely", "never"))
    res = fit_svy_olr(d, "y ~ x + g", design=make_design(d, keep_data=True))
    assert res.levels == ["never", "sometimes", "often"]
    assert [f["flag"] for f in res.flags] == ["empty_category"]


def test_highest_of_and_count_of():
    cats = pd.CategoricalDtype(["never", "sometimes", "often"], ordered=True)
    df = pd.DataFrame({"a": pd.Series(["never", "often", None, None, "sometimes"], dtype=cats),
                       "b": pd.Series(["sometimes", "never", "never", None, "sometimes"],
                                      dtype=cats)})
    cb = {"outcomes": {"top": {"highest_of": ["a", "b"]},
                       "n_often": {"count_of": ["a", "b"]},
                       "any": {"items": ["a", "b"]},
                       "n_some": {"count_of": ["a", "b"], "threshold": "sometimes"}}}
    out = derive(df, Codebook.from_yaml({"variables": {}, "groups": {}, **cb}), "often")
    assert out["top"].astype(object).tolist()[:3] == ["sometimes", "often", "never"]
    assert pd.isna(out["top"].iloc[3]) and out["top"].cat.ordered
    assert out["n_often"].tolist()[:3] == [0, 1, 0] and pd.isna(out["n_often"].iloc[3])
    assert out["n_some"].tolist()[:3] == [1, 1, 0] and out["n_some"].iloc[4] == 2
    # the cut of the highest level at the threshold is the 0/1 outcome of the same items
    cut = (out["top"].cat.codes >= 2).astype(float).where(out["top"].notna())
    pd.testing.assert_series_equal(cut, out["any"].astype("float64"), check_names=False)


def test_separation_in_count_and_ordinal_models_is_flagged_not_reported(data):
    """A level where every count is 0 (or every answer is the lowest category): the estimate
    runs off to infinity; it is flagged and left empty, as a logit's under separation."""
    design = make_design(data, keep_data=True)
    d = data.assign(k=np.where(data["g"] == "c", 0.0, data["k"]))
    res = fit_svy_logit(d, "k ~ x + g", design=design, family="count")
    t = res.tidy().set_index("term")
    assert t.loc["g[T.c]", "flag"] == "separation" and np.isnan(t.loc["g[T.c]", "estimate"])
    assert not np.isnan(t.loc["x", "estimate"])
    assert "separation" in [f["flag"] for f in res.flags]
    low = data.assign(y=data["y"].where(data["g"] != "c", "never"))
    res = fit_svy_olr(low, "y ~ x + g", design=design)
    t = res.tidy().set_index("term")
    assert t.loc["g[T.c]", "flag"] == "separation" and np.isnan(t.loc["g[T.c]", "estimate"])
