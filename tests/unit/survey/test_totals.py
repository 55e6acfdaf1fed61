"""The engine's totals and ratios (R's svytotal, svyratio): textbook cases, agreement with the
engine's means (a mean is the ratio of the totals of y and 1), scale of the weights, and one
clear line naming the argument for each kind of bad input. R's numbers are in
tests/golden/test_totals_golden.py."""
import numpy as np
import pandas as pd
import pytest

from coprod.errors import ConfigError, DataError, ModelError
from coprod.survey import as_replicate, make_design, svy_mean, svy_ratio, svy_total


@pytest.fixture
def survey():
    rng = np.random.default_rng(28)
    n = 400
    df = pd.DataFrame({
        "stratum": rng.choice(["A", "B", "C"], n), "psu": rng.integers(0, 6, n),
        "weight": rng.uniform(0.5, 3.0, n), "enroll": rng.integers(100, 900, n).astype(float),
        "stype": rng.choice(["E", "H", "M"], n),
        "level": pd.Categorical(rng.choice(["low", "high"], n), categories=["low", "mid", "high"]),
        "flag": rng.random(n) < 0.3,
    })
    df["api_stu"] = np.round(df["enroll"] * rng.uniform(0.7, 0.95, n))
    df.loc[[5, 17], "api_stu"] = np.nan
    df.loc[[3], "stype"] = None
    return df


def design_of(df, **kw):
    return make_design(df, weights="weight", strata="stratum", psu="psu", keep_data=True, **kw)


def test_total_of_a_simple_random_sample_is_the_textbook_one():
    y = np.arange(1.0, 21.0)
    d = make_design(pd.DataFrame({"y": y, "w": 5.0}), weights="w")
    out = svy_total(y, d)
    assert out.index.tolist() == ["y"] and out.at["y", "level"] == ""
    assert out.at["y", "estimate"] == pytest.approx(5 * y.sum())
    # with replacement: N^2 s^2 / n, N = 100
    assert out.at["y", "std_error"] == pytest.approx(100 * y.std(ddof=1) / np.sqrt(20))
    assert out.at["y", "df"] == 19 and out.at["y", "n"] == 20


def test_factor_totals_are_one_row_per_level_in_r_names(survey):
    d = design_of(survey)
    out = svy_total("stype", d)
    assert out.index.tolist() == ["stypeE", "stypeH", "stypeM"]
    assert out["level"].tolist() == ["E", "H", "M"]
    has = survey["stype"].notna()
    assert out["estimate"].sum() == pytest.approx(survey.loc[has, "weight"].sum())
    assert (out["n"] == has.sum()).all()
    # a Categorical keeps its categories' order, unused ones included (R's factor levels)
    cat = svy_total("level", d)
    assert cat.index.tolist() == ["levellow", "levelmid", "levelhigh"]
    assert cat.at["levelmid", "estimate"] == 0 and cat.at["levelmid", "std_error"] == 0
    # a level's total is the total of its indicator
    ind = svy_total((survey["stype"] == "H").astype(float).where(has), d)
    assert ind["estimate"].iloc[0] == pytest.approx(out.at["stypeH", "estimate"])
    assert ind["std_error"].iloc[0] == pytest.approx(out.at["stypeH", "std_error"])


def test_booleans_are_numbers_and_values_keep_their_series_name(survey):
    d = design_of(survey)
    out = svy_total(survey["flag"], d)
    assert out.index.tolist() == ["flag"]
    assert out.at["flag", "estimate"] == pytest.approx(survey.loc[survey["flag"], "weight"].sum())
    assert svy_total(survey["enroll"].to_numpy(), d).index.tolist() == ["y"]


@pytest.mark.parametrize("replicate", [False, True])
def test_a_ratio_to_one_is_the_mean(survey, replicate):
    """R's svymean is svyratio(~y, ~1): estimate, SE and df agree, in a domain too."""
    d = design_of(survey)
    if replicate:
        d = as_replicate(d, "JKn")
    dom = (survey["stratum"] != "C").to_numpy()
    r = svy_ratio(survey["api_stu"], np.ones(len(survey)), d, dom).iloc[0]
    m = svy_mean(survey["api_stu"], d, dom)
    assert r["estimate"] == pytest.approx(m["estimate"], rel=1e-12)
    assert r["std_error"] == pytest.approx(m["std_error"], rel=1e-9)
    assert r["n"] == m["n"] and r["conf_low"] < r["estimate"] < r["conf_high"]


def test_ratio_is_the_ratio_of_totals_on_complete_rows(survey):
    d = design_of(survey)
    out = svy_ratio("api_stu", "enroll", d, deff=True)
    assert out.index.tolist() == ["api_stu/enroll"]
    ok = survey["api_stu"].notna()
    w = survey.loc[ok, "weight"]
    expected = (w * survey.loc[ok, "api_stu"]).sum() / (w * survey.loc[ok, "enroll"]).sum()
    assert out["estimate"].iloc[0] == pytest.approx(expected)
    assert out["n"].iloc[0] == ok.sum() and out["deff"].iloc[0] > 0


@pytest.mark.parametrize("scale", [2.0 ** -900, 1e-300, 3.7, 1e300])
def test_totals_keep_the_weights_scale_and_ratios_do_not_depend_on_it(survey, scale):
    base = design_of(survey)
    scaled = design_of(survey.assign(weight=survey["weight"] * scale))
    # deff "replace" (srswor's depends on the population, the weights' sum)
    a, b = (svy_total("enroll", x, deff="replace") for x in (base, scaled))
    np.testing.assert_allclose(b[["estimate", "std_error"]] / scale,
                               a[["estimate", "std_error"]], rtol=1e-9)
    np.testing.assert_allclose(b["deff"], a["deff"], rtol=1e-9)
    ra, rb = svy_ratio("api_stu", "enroll", base), svy_ratio("api_stu", "enroll", scaled)
    np.testing.assert_allclose(rb[["estimate", "std_error"]], ra[["estimate", "std_error"]],
                               rtol=1e-9)


def test_deff_is_per_call_and_srswor_by_default(survey):
    d = design_of(survey, deff="replace")
    assert "deff" not in svy_total("enroll", d).columns
    srswor = svy_total("enroll", d, deff=True)["deff"].iloc[0]
    assert srswor == svy_total("enroll", d, deff="srswor")["deff"].iloc[0]
    assert srswor != svy_total("enroll", d, deff="replace")["deff"].iloc[0]


def _one_line(exc, argument, start):
    text = str(exc.value)
    assert text.startswith(start), text
    assert exc.value.argument == argument and "\n" not in text


@pytest.mark.parametrize("call, error, argument, start", [
    (lambda d, s: svy_total("nope", d), DataError, "y",
     "y: 'nope' is not a column of the design's data"),
    (lambda d, s: svy_ratio("nope", "enroll", d), DataError, "numerator",
     "numerator: 'nope' is not a column of the design's data"),
    (lambda d, s: svy_ratio("api_stu", "nope", d), DataError, "denominator",
     "denominator: 'nope' is not a column of the design's data"),
    (lambda d, s: svy_ratio("stype", "enroll", d), DataError, "numerator",
     "numerator: 'stype' is text or categorical (e.g. 'E'); a ratio needs numbers"),
    (lambda d, s: svy_ratio("api_stu", "level", d), DataError, "denominator",
     "denominator: 'level' is text or categorical (e.g. 'low'); a ratio needs numbers"),
    (lambda d, s: svy_ratio("api_stu", s["enroll"] * 0, d), ModelError, "denominator",
     "denominator: the total of 'enroll' is 0 in this domain (398 respondents with both "
     "values); a ratio needs a non-zero denominator"),
    (lambda d, s: svy_ratio("api_stu", "enroll", d, s["stratum"] == "Z"), ModelError,
     "denominator", "denominator: the total of 'enroll' is 0 in this domain (0 respondents"),
    (lambda d, s: svy_total(s["enroll"][:10], d), DataError, "y",
     "y: 10 values for a design of 400 rows"),
    (lambda d, s: svy_total("enroll", d, np.ones(3, bool)), DataError, "domain",
     "domain: 3 values for a design of 400 rows"),
    (lambda d, s: svy_total("enroll", d, deff="yes"), ConfigError, "deff",
     "deff: must be True, False or one of ('srswor', 'replace'), not 'yes'"),
    (lambda d, s: svy_ratio("api_stu", "enroll", d, conf_level=95), ConfigError, "conf_level",
     "conf_level: must be between 0 and 1, not 95"),
])
def test_bad_input_is_one_line_naming_the_argument(survey, call, error, argument, start):
    with pytest.raises(error) as exc:
        call(design_of(survey), survey)
    _one_line(exc, argument, start)


def test_a_column_name_needs_the_design_built_with_its_data(survey):
    d = make_design(survey, weights="weight")
    with pytest.raises(DataError) as exc:
        svy_total("enroll", d)
    _one_line(exc, "y", "y: 'enroll' names a column, which needs a design built with its data "
                        "(keep_data=True); pass the values instead")
    assert svy_total(survey["enroll"], d).index.tolist() == ["enroll"]


def test_a_lonely_stratum_under_fail_raises(survey):
    s = survey.assign(psu=np.where(survey["stratum"] == "A", 0, survey["psu"]))
    with pytest.raises(ModelError, match="stratum 'A' has only one PSU"):
        svy_total("enroll", design_of(s, lonely_psu="fail"))


def test_replicates_without_denominator_are_left_out_with_a_warning(survey):
    """A domain inside one PSU: the jackknife replicate that drops it has no denominator (R
    would carry its infinite ratio into the variance)."""
    d = as_replicate(design_of(survey), "JKn")
    dom = ((survey["stratum"] == "A") & (survey["psu"] == 0)).to_numpy()
    with pytest.warns(RuntimeWarning, match=r"svy_ratio: 1 replicate\(s\) have a zero"):
        out = svy_ratio("api_stu", "enroll", d, dom)
    assert np.isfinite(out["std_error"].iloc[0])
