"""Quantiles (R's svyquantile), proportions' intervals (svyciprop), estimates by domain (svyby)
and means of a factor: textbook cases, agreement with the engine's other estimators, and one
clear line naming the argument for each kind of bad input. R's numbers are in
tests/golden/test_quantiles_golden.py."""
import numpy as np
import pandas as pd
import pytest
from scipy import special

from coprod.errors import ConfigError, DataError, ModelError
from coprod.survey import (
    as_replicate,
    design_df,
    make_design,
    svy_by,
    svy_ciprop,
    svy_mean,
    svy_proportion,
    svy_quantile,
)
from coprod.survey.profile import approx, spline


@pytest.fixture
def survey():
    rng = np.random.default_rng(28)
    n = 300
    df = pd.DataFrame({
        "stratum": rng.choice(["A", "B", "C"], n), "psu": rng.integers(0, 6, n),
        "weight": rng.uniform(0.5, 3.0, n), "score": rng.normal(600, 80, n).round(),
        "stype": rng.choice(["E", "H", "M"], n), "wide": rng.choice(["No", "Yes"], n),
        "level": pd.Categorical(rng.choice(["low", "high"], n),
                                categories=["low", "mid", "high"]),
    })
    df["pass"] = (df["score"] > 620).astype(int)
    df.loc[[4, 9], "score"] = np.nan
    df.loc[[7], "stype"] = None
    return df


def design_of(df, **kw):
    return make_design(df, weights="weight", strata="stratum", psu="psu", keep_data=True, **kw)


def test_quantile_of_equal_weights_is_the_inverse_distribution_function():
    x = np.array([7.0, 1, 4, 10, 2, 9, 3, 8, 6, 5])
    d = make_design(pd.DataFrame({"x": x}), keep_data=True)
    out = svy_quantile("x", d, [0.25, 0.5, 0.55, 0.9], ci=False)
    expected = np.quantile(x, [0.25, 0.5, 0.55, 0.9], method="inverted_cdf")
    assert out["estimate"].tolist() == expected.tolist()
    assert out.index.tolist() == ["x.0.25", "x.0.5", "x.0.55", "x.0.9"]
    assert out["std_error"].isna().all()
    # "school": the midpoint where the cumulated share equals p exactly
    school = svy_quantile("x", d, 0.5, qrule="school", ci=False)
    assert school["estimate"].item() == 5.5


def test_r_s_rule_below_the_first_share_takes_the_second_value():
    """survey:::qs finds no value with a share <= p and takes the first position, then the
    next value (R's qrule_math gives the second smallest): kept, for equality with R."""
    d = make_design(pd.DataFrame({"x": [1.0, 2, 3, 4]}), keep_data=True)
    assert svy_quantile("x", d, 0.1, ci=False)["estimate"].item() == 2.0


def test_interval_is_woodruff_s_on_the_mean_of_the_indicator(survey):
    d = design_of(survey)
    q = svy_quantile("score", d, 0.5)
    med = q["estimate"].item()
    share = svy_mean((survey["score"] <= med).astype(float).where(survey["score"].notna())
                     .to_numpy(), d)
    x = survey["score"].dropna().to_numpy()
    w = survey.loc[survey["score"].notna(), "weight"].to_numpy()
    lo = svy_quantile(x, make_design(pd.DataFrame({"x": x, "w": w}), weights="w"),
                      share["conf_low"], ci=False)["estimate"].item()
    assert q["conf_low"].item() == lo
    rows = np.flatnonzero(survey["score"].notna().to_numpy())
    assert q["df"].item() == design_df(d, rows)
    t = special.stdtrit(design_df(d, rows), 0.975)
    assert q["std_error"].item() == pytest.approx(
        (q["conf_high"] - q["conf_low"]).item() / (2 * t), rel=1e-14)
    assert q["n"].item() == len(rows)


def test_quantiles_of_several_variables_and_weights_scale(survey):
    survey = survey.assign(other=survey["score"] * 2)
    d = design_of(survey)
    both = svy_quantile(["score", "other"], d, [0.25, 0.75])
    assert both.index.tolist() == ["score.0.25", "score.0.75", "other.0.25", "other.0.75"]
    assert (both.loc[["other.0.25", "other.0.75"], "estimate"].to_numpy()
            == 2 * both.loc[["score.0.25", "score.0.75"], "estimate"].to_numpy()).all()
    scaled = design_of(survey.assign(weight=survey["weight"] * 1024.0))
    pd.testing.assert_frame_equal(svy_quantile("score", scaled, [0.25, 0.75]),
                                  both.iloc[:2])


def test_replicate_quantile_interval_is_the_replicates_spread(survey):
    r = as_replicate(design_of(survey, lonely_psu="fail"), "JKn")
    q = svy_quantile("score", r, 0.5, interval_type="quantile")
    m = svy_quantile("score", r, 0.5)
    assert q["estimate"].item() == m["estimate"].item()
    half = (q["conf_high"] - q["estimate"]).item()
    assert half == pytest.approx((q["estimate"] - q["conf_low"]).item())
    assert q["std_error"].item() > 0


@pytest.mark.parametrize("call, argument, words", [
    (lambda d: svy_quantile("nope", d), "y", "not a column"),
    (lambda d: svy_quantile("stype", d), "y", "text or categorical"),
    (lambda d: svy_quantile("score", d, 0), "quantiles", "strictly between 0 and 1"),
    (lambda d: svy_quantile("score", d, [0.5, 1.5]), "quantiles", "1.5"),
    (lambda d: svy_quantile("score", d, interval_type="score"), "interval_type", "'score'"),
    (lambda d: svy_quantile("score", d, qrule="hf7"), "qrule", "'hf7'"),
    (lambda d: svy_quantile("score", d, alpha=5), "alpha", "between 0 and 1"),
    (lambda d: svy_quantile("score", d, df=0), "df", "positive"),
    (lambda d: svy_quantile("score", d, domain=np.zeros(d.n, bool)), "y", "no value"),
    (lambda d: svy_quantile("score", as_replicate(d, "JKn"), interval_type="beta"),
     "interval_type", "R 4.1.1 computes 'mean'"),
    (lambda d: svy_ciprop("pass", d, method="wilson"), "method", "'wilson'"),
    (lambda d: svy_ciprop("score", d), "y", "values 0/1"),
    (lambda d: svy_ciprop("stype", d), "y", "text or categorical"),
    (lambda d: svy_ciprop("nope", d), "y", "not a column"),
    (lambda d: svy_ciprop("pass", d, level=95), "level", "between 0 and 1"),
    (lambda d: svy_ciprop("pass", as_replicate(d, "JKn"), method="likelihood"), "method",
     "Taylor design"),
    (lambda d: svy_by("score", "nope", d, svy_mean), "by", "not a column"),
    (lambda d: svy_by("score", "stype", d, svy_mean, domain="x"), "domain", "each group"),
    (lambda d: svy_by("score", "stype", d, "svymean"), "fun", "an estimator"),
    (lambda d: svy_by("score", "stype", d, lambda y, design, domain: 1.0), "fun",
     "returned a float"),
])
def test_bad_input_is_one_line_naming_the_argument(survey, call, argument, words):
    d = design_of(survey, lonely_psu="fail")
    with pytest.raises((ConfigError, DataError, ModelError)) as info:
        call(d)
    assert info.value.argument == argument
    text = str(info.value)
    assert text.startswith(f"{argument}: ") and words in text and "\n" not in text


def test_ciprop_methods_share_estimate_and_se_and_logit_is_svy_proportion(survey):
    d = design_of(survey)
    outs = {m: svy_ciprop("pass", d, m) for m in
            ("logit", "likelihood", "asin", "beta", "mean", "xlogit")}
    p = svy_proportion(survey["pass"].to_numpy(float), d)
    for m, out in outs.items():
        assert out["estimate"].item() == pytest.approx(p["estimate"], rel=1e-14), m
        assert out["std_error"].item() == pytest.approx(p["std_error"], rel=1e-12), m
        assert out["conf_low"].item() < p["estimate"] < out["conf_high"].item(), m
    assert outs["logit"]["conf_low"].item() == pytest.approx(p["conf_low"], rel=1e-12)
    assert outs["logit"]["conf_high"].item() == pytest.approx(p["conf_high"], rel=1e-12)
    # on a Taylor design the model's logit interval is the delta method's (xlogit)
    assert outs["xlogit"]["conf_low"].item() == pytest.approx(
        outs["logit"]["conf_low"].item(), rel=1e-12)
    mean = svy_mean(survey["pass"].to_numpy(float), d)
    wide = svy_ciprop("pass", d, "mean", df=np.inf)
    assert wide["conf_high"].item() - wide["estimate"].item() == pytest.approx(
        1.959963984540054 * mean["std_error"], rel=1e-12)
    assert outs["mean"]["conf_high"].item() == pytest.approx(mean["conf_high"], rel=1e-12)


def test_svy_by_is_each_group_s_domain_in_r_s_order(survey):
    d = design_of(survey)
    out = svy_by("score", ["stype", "wide"], d, svy_mean)
    # the first by variable varies fastest; the row without stype is in no group
    assert list(zip(out["stype"], out["wide"], strict=True)) == [
        ("E", "No"), ("H", "No"), ("M", "No"), ("E", "Yes"), ("H", "Yes"), ("M", "Yes")]
    assert (out["term"] == "score").all()
    for row in out.itertuples():
        dom = ((survey["stype"] == row.stype) & (survey["wide"] == row.wide)).to_numpy()
        assert row.estimate == svy_mean("score", d, dom)["estimate"]
    # a Categorical's categories keep their order; absent ones give no group
    by_level = svy_by("score", "level", d, svy_quantile, quantiles=[0.5])
    assert by_level["level"].tolist() == ["low", "high"]
    assert by_level["term"].tolist() == ["score.0.5", "score.0.5"]
    # a design's own domain restricts the groups
    only_e = svy_by("pass", "wide", d.domain((survey["stype"] == "E").to_numpy()), svy_ciprop)
    assert only_e["wide"].tolist() == ["No", "Yes"] and (only_e["term"] == "pass").all()


def test_factor_means_are_one_row_per_level(survey):
    d = design_of(survey)
    out = svy_mean("stype", d)
    assert out.index.tolist() == ["stypeE", "stypeH", "stypeM"]
    assert out["estimate"].sum() == pytest.approx(1.0)
    has = survey["stype"].notna()
    assert (out["n"] == has.sum()).all()
    h = svy_mean((survey["stype"] == "H").astype(float).where(has).to_numpy(), d)
    assert out.at["stypeH", "estimate"] == pytest.approx(h["estimate"])
    assert out.at["stypeH", "std_error"] == pytest.approx(h["std_error"])
    # values (a Series of text) as well as a column name; a Categorical keeps unused levels
    assert svy_mean(survey["stype"], d)["estimate"].tolist() == out["estimate"].tolist()
    level = svy_mean("level", d)
    assert level.index.tolist() == ["levellow", "levelmid", "levelhigh"]
    assert level.at["levelmid", "estimate"] == 0
    # numbers still give the pipeline's dict
    assert isinstance(svy_mean("score", d), dict)


def test_spline_and_approx_are_r_s():
    """stats::spline (fmm) and approx on a small case, R's numbers (R 4.2.2)."""
    x = np.array([1, 2, 3.5, 4, 7, 8.1])
    y = np.array([0.3, 1, -2, 4, 0.1, 3])
    sx, sy = spline(x, y)
    assert len(sx) == 18 and sx[1] == 1.4176470588235293 and sx[-2] == 7.6823529411764699
    np.testing.assert_allclose(sy[[1, 5, 9, 16]], [2.4022059628556094, -3.8455351031597198,
                                                   8.5633021964409934, 0.3820909470063526],
                               rtol=1e-14)
    assert approx(np.array([0.0, 1, 3]), np.array([0.0, 10, 30]),
                  np.array([0.5, 2, 4])).tolist()[:2] == [5.0, 20.0]
    assert np.isnan(approx(np.array([0.0, 1]), np.array([0.0, 1]), np.array([2.0]))[0])
