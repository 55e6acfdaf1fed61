"""Average marginal effects and predicted margins: numerical checks of estimates and SEs."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from coprod.errors import ModelError
from coprod.survey.glm import fit_svy_logit
from coprod.survey.margins import average_marginal_effects, predict_margins

DATA = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "golden" / "design_survey.csv")
DATA["gender"] = pd.Categorical(np.where(DATA["female"] == 1, "woman", "man"),
                                categories=["man", "woman"])
KW = {"weights": "weight", "strata": "country", "psu": "psu"}


@pytest.fixture(scope="module")
def res():
    return fit_svy_logit(DATA, "individual ~ age + I(age**2) + gender*efficacy + country", **KW)


def wmean_pred(result, beta, frame):
    return np.average(expit(result.model_matrix(frame) @ beta), weights=result.w)


def num_grad(f, beta, eps=1e-6):
    g = np.zeros_like(beta)
    for j in range(len(beta)):
        e = np.zeros_like(beta)
        e[j] = eps
        g[j] = (f(beta + e) - f(beta - e)) / (2 * eps)
    return g


def delta_se(result, f):
    beta = result.params.to_numpy()
    g = num_grad(f, beta)
    return np.sqrt(g @ result.cov.to_numpy() @ g)


def shifted(frame, var, h):
    out = frame.copy()
    out[var] = out[var].astype(float) + h
    return out


def test_continuous_ame_is_a_finite_difference_with_delta_method_se(res):
    ame = average_marginal_effects(res).set_index("variable")
    md, h = res.model_data, 1e-3

    def ame_age(beta):
        return (wmean_pred(res, beta, shifted(md, "age", h))
                - wmean_pred(res, beta, shifted(md, "age", -h))) / (2 * h)

    beta = res.params.to_numpy()
    assert ame.loc["age", "contrast"] == "per unit"
    assert ame.loc["age", "estimate"] == pytest.approx(ame_age(beta), rel=1e-6)
    assert ame.loc["age", "std_error"] == pytest.approx(delta_se(res, ame_age), rel=1e-4)
    # efficacy enters through an interaction with gender: still the average derivative
    eff = lambda b: (wmean_pred(res, b, shifted(md, "efficacy", h))  # noqa: E731
                     - wmean_pred(res, b, shifted(md, "efficacy", -h))) / (2 * h)
    assert ame.loc["efficacy", "estimate"] == pytest.approx(eff(beta), rel=1e-6)
    assert ame.loc["efficacy", "std_error"] == pytest.approx(delta_se(res, eff), rel=1e-4)


def test_categorical_ame_is_the_weighted_mean_difference_of_predictions(res):
    ame = average_marginal_effects(res)
    md = res.model_data

    def diff(beta, var, level, ref):
        a, b = md.copy(), md.copy()
        a[var], b[var] = level, ref
        return wmean_pred(res, beta, a) - wmean_pred(res, beta, b)

    beta = res.params.to_numpy()
    row = ame[ame["variable"] == "gender"].iloc[0]
    assert row["contrast"] == "woman vs man"
    assert row["estimate"] == pytest.approx(diff(beta, "gender", "woman", "man"), abs=1e-12)
    assert row["std_error"] == pytest.approx(
        delta_se(res, lambda b: diff(b, "gender", "woman", "man")), rel=1e-5)
    cc = ame[(ame["variable"] == "country") & (ame["contrast"] == "CC vs AA")].iloc[0]
    assert cc["estimate"] == pytest.approx(diff(beta, "country", "CC", "AA"), abs=1e-12)
    # by hand on the design matrix (main effect only): switch the dummy on and off
    X1, X0 = res.X.copy(), res.X.copy()
    j = res.params.index.get_loc("country[T.CC]")
    k = res.params.index.get_loc("country[T.BB]")
    X1[:, j], X1[:, k], X0[:, j], X0[:, k] = 1, 0, 0, 0
    by_hand = np.average(expit(X1 @ beta) - expit(X0 @ beta), weights=res.w)
    assert cc["estimate"] == pytest.approx(by_hand, abs=1e-12)
    assert set(ame.columns) >= {"variable", "contrast", "estimate", "std_error", "df_resid",
                                "statistic", "p_value", "conf_low", "conf_high"}
    assert (ame["df_resid"] == res.df_resid).all()


def test_binary_numeric_variable_is_a_discrete_change():
    r = fit_svy_logit(DATA, "individual ~ age + female + efficacy", **KW)
    row = average_marginal_effects(r, ["female"]).iloc[0]
    assert row["contrast"] == "1 vs 0"
    beta = r.params.to_numpy()
    X1, X0 = r.X.copy(), r.X.copy()
    X1[:, 2], X0[:, 2] = 1, 0
    assert row["estimate"] == pytest.approx(
        np.average(expit(X1 @ beta) - expit(X0 @ beta), weights=r.w), abs=1e-12)


def test_predictions_at_own_values_average_the_fitted_probabilities(res):
    own = predict_margins(res, {})
    assert len(own) == 1
    assert own["predicted"].iloc[0] == pytest.approx(np.average(res.fitted, weights=res.w),
                                                     abs=1e-14)
    se = delta_se(res, lambda b: np.average(expit(res.X @ b), weights=res.w))
    assert own["std_error"].iloc[0] == pytest.approx(se, rel=1e-5)


def test_prediction_grid(res):
    grid = {"age": [20, 30, 40, 50, 60, 70, 80], "gender": ["man", "woman"]}
    out = predict_margins(res, grid)
    assert len(out) == 14 and list(out.columns[:2]) == ["age", "gender"]
    assert {"predicted", "std_error", "conf_low", "conf_high"} <= set(out.columns)
    assert ((out["conf_low"] < out["predicted"]) & (out["predicted"] < out["conf_high"])).all()
    assert ((out["conf_low"] > 0) & (out["conf_high"] < 1)).all()
    md = res.model_data.copy()
    md["age"], md["gender"] = 60, "woman"
    row = out[(out["age"] == 60) & (out["gender"] == "woman")].iloc[0]
    beta = res.params.to_numpy()
    assert row["predicted"] == pytest.approx(wmean_pred(res, beta, md), abs=1e-14)
    assert row["std_error"] == pytest.approx(
        delta_se(res, lambda b: wmean_pred(res, b, md)), rel=1e-5)


def test_domain_margins_average_over_the_domain_only():
    r = fit_svy_logit(DATA, "individual ~ age + efficacy", domain="female", **KW)
    women = DATA[DATA["female"] == 1]
    # with an intercept the weighted mean fitted probability equals the weighted mean outcome
    assert predict_margins(r, {})["predicted"].iloc[0] == pytest.approx(
        np.average(women["individual"], weights=women["weight"]), abs=1e-10)
    assert len(r.model_data) == len(women)


def test_quoted_variable_names():
    d = DATA.rename(columns={"efficacy": "self efficacy"})
    r = fit_svy_logit(d, 'individual ~ age + Q("self efficacy") + gender', **KW)
    ame = average_marginal_effects(r)
    assert ame["variable"].tolist() == ["age", "self efficacy", "gender"]
    out = predict_margins(r, {"self efficacy": [0, 1, 2, 3]})
    assert out["predicted"].is_monotonic_increasing


def test_margin_errors(res):
    with pytest.raises(ModelError, match="'income'"):
        predict_margins(res, {"income": [1]})
    with pytest.raises(ModelError, match="'other'"):
        predict_margins(res, {"gender": ["other"]})
    with pytest.raises(ModelError, match="'income'"):
        average_marginal_effects(res, ["income"])


def test_distribution_functions_equal_scipy_stats():
    """coprod.survey.dist avoids importing scipy.stats; it must give the same numbers."""
    from scipy import stats

    from coprod.survey import dist

    x = np.array([-3.0, -0.5, 0.0, 1.2, 4.0])
    for df in (1, 5, 28, 4860):
        np.testing.assert_allclose(dist.t_sf(x, df), stats.t.sf(x, df), rtol=1e-12)
        np.testing.assert_allclose(dist.t_ppf(0.975, df), stats.t.ppf(0.975, df), rtol=1e-12)
        np.testing.assert_allclose(dist.f_sf(np.abs(x), 3, df), stats.f.sf(np.abs(x), 3, df), rtol=1e-10)
    np.testing.assert_allclose(dist.norm_sf(x), stats.norm.sf(x), rtol=1e-12)
    np.testing.assert_allclose(dist.norm_ppf(0.975), stats.norm.ppf(0.975), rtol=1e-12)
    np.testing.assert_allclose(dist.chi2_sf(np.abs(x), 2), stats.chi2.sf(np.abs(x), 2), rtol=1e-12)
