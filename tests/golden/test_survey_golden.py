"""coprod.survey.glm against R's survey::svyglm (tests/data/golden) and statsmodels' GLM.

The public call is R's, ``svy_logit(formula, design)``; :func:`table` builds the design of
each case from ``make_design``'s arguments, as the data-first call of earlier versions did."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from coprod.survey.glm import design_cov, fit_svy_logit, make_design, svy_logit

GOLDEN = Path(__file__).resolve().parents[1] / "data" / "golden"
DATA = pd.read_csv(GOLDEN / "design_survey.csv")
REF = pd.read_csv(GOLDEN / "svyglm_reference.csv")
FULL_RHS = "age + female + efficacy + country"


def table(data, formula, *, domain=None, model_based=False, conf_level=0.95, **design):
    """``svy_logit(formula, design).tidy()`` on ``make_design(data, **design)``."""
    d = make_design(data, keep_data=True, **design)
    return svy_logit(formula, d, domain=domain, model_based=model_based,
                     conf_level=conf_level).tidy()


def r_name(term: str) -> str:
    """formulaic's names -> R's: Intercept -> (Intercept), country[T.BB] -> countryBB."""
    if term == "Intercept":
        return "(Intercept)"
    if "[T." in term:
        var, level = term[:-1].split("[T.")
        return var + level
    return term


def case_args(case: str):
    kind, y = case.split(":")
    rhs = FULL_RHS
    kw = {"weights": "weight", "strata": "country", "psu": "psu"}
    if kind == "weights_only":
        kw = {"weights": "weight"}
    elif kind == "glm_unweighted":
        kw = {"model_based": True}
    elif kind == "domain_country_BB":
        rhs, kw["domain"] = "age + female + efficacy", DATA["country"] == "BB"
    elif kind == "domain_female":
        rhs, kw["domain"] = "age + efficacy + country", "female"
    return f"{y} ~ {rhs}", kw


@pytest.mark.parametrize("case", REF["case"].unique())
def test_matches_svyglm(case):
    formula, kw = case_args(case)
    ref = REF[REF["case"] == case].set_index("term")
    out = table(DATA, formula, **kw)
    out.index = out["term"].map(r_name)
    assert sorted(out.index) == sorted(ref.index)
    out = out.loc[ref.index]
    np.testing.assert_allclose(out["estimate"], ref["estimate"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(out["std_error"], ref["std_error"], rtol=1e-6, atol=0)
    assert (out["df_resid"] == ref["df_resid"]).all()


def test_point_estimates_equal_statsmodels_weighted_glm():
    res = fit_svy_logit(DATA, f"individual ~ {FULL_RHS}", weights="weight", strata="country",
                        psu="psu")
    for kw in ({"var_weights": DATA["weight"]}, {"freq_weights": DATA["weight"]}):
        sm_fit = sm.GLM(res.y, res.X, family=sm.families.Binomial(), **kw).fit(tol=1e-13)
        np.testing.assert_allclose(res.params.to_numpy(), sm_fit.params, rtol=0, atol=1e-9)


def test_model_based_equals_statsmodels_glm():
    res = fit_svy_logit(DATA, f"collective ~ {FULL_RHS}", model_based=True)
    sm_fit = sm.GLM(res.y, res.X, family=sm.families.Binomial()).fit(tol=1e-13)
    np.testing.assert_allclose(res.params.to_numpy(), sm_fit.params, atol=1e-9)
    np.testing.assert_allclose(np.sqrt(np.diag(res.cov)), sm_fit.bse, rtol=1e-7)
    stats = res.fit_stats()
    assert stats["log_likelihood"] == pytest.approx(sm_fit.llf, rel=1e-10)
    assert stats["aic"] == pytest.approx(sm_fit.aic, rel=1e-10)
    assert stats["df_resid"] == len(DATA) - 6


def test_tidy_columns_and_odds_ratios():
    out = table(DATA, f"individual ~ {FULL_RHS}", weights="weight", strata="country",
                psu="psu", conf_level=0.9)
    need = ["term", "estimate", "std_error", "df_resid", "statistic", "p_value", "conf_low",
            "conf_high", "odds_ratio", "or_conf_low", "or_conf_high", "flag"]
    assert all(c in out.columns for c in need)
    np.testing.assert_allclose(out["odds_ratio"], np.exp(out["estimate"]))
    np.testing.assert_allclose(out["or_conf_low"], np.exp(out["conf_low"]))
    half = (out["conf_high"] - out["conf_low"]) / 2
    from scipy import stats
    np.testing.assert_allclose(half, stats.t.ppf(0.95, 28) * out["std_error"])
    res = fit_svy_logit(DATA, f"individual ~ {FULL_RHS}", **{"weights": "weight"})
    terms = res.terms.set_index("term")
    assert terms.loc["country[T.CC]", ["variable", "level"]].tolist() == ["country", "CC"]
    assert terms.loc["age", ["variable", "level"]].tolist() == ["age", ""]


def test_quoted_names_and_categorical_reference():
    """Q("...") columns and a pandas Categorical whose first category is the reference."""
    d = DATA.rename(columns={"efficacy": "self efficacy", "country": "the country"})
    d["the country"] = pd.Categorical(d["the country"], categories=["CC", "AA", "BB"])
    out = table(d, 'individual ~ age + female + Q("self efficacy") + Q("the country")',
                weights="weight", strata="the country", psu="psu").set_index("term")
    base = table(DATA, f"individual ~ {FULL_RHS}", weights="weight", strata="country",
                 psu="psu").set_index("term")
    assert "Q('the country')[T.AA]" in out.index and "Q('the country')[T.BB]" in out.index
    assert out.loc["Q('self efficacy')", "std_error"] == pytest.approx(
        base.loc["efficacy", "std_error"], rel=1e-10)
    # reference CC: AA vs CC = -(CC vs AA)
    assert out.loc["Q('the country')[T.AA]", "estimate"] == pytest.approx(
        -base.loc["country[T.CC]", "estimate"], abs=1e-9)


def test_domain_by_mask_or_column_and_not_a_subset():
    kw = {"weights": "weight", "strata": "country", "psu": "psu"}
    f = "individual ~ age + efficacy + country"
    by_col = table(DATA, f, domain="female", **kw)
    by_mask = table(DATA, f, domain=DATA["female"] == 1, **kw)
    pd.testing.assert_frame_equal(by_col, by_mask)
    # every cluster holds women, so here subsetting happens to give the same answer; with
    # respondents as PSUs it does not: the men stay as zero-score PSUs, so n/(n-1) uses the
    # full sample size N (the domain's scores sum to zero, so only that factor changes)
    domain = table(DATA, f, weights="weight", domain="female")
    subset = table(DATA[DATA["female"] == 1], f, weights="weight")
    np.testing.assert_allclose(subset["estimate"], domain["estimate"], atol=1e-10)
    N, n = len(DATA), int(DATA["female"].sum())
    np.testing.assert_allclose(domain["std_error"] / subset["std_error"],
                               np.sqrt(N / (N - 1) * (n - 1) / n), rtol=1e-9)
    assert domain["df_resid"].iloc[0] == n - 1 + 1 - 5
    # a domain of whole clusters: subsetting would forget the other clusters of each stratum
    f2 = "individual ~ age + efficacy"
    first = DATA.groupby("country")["psu"].transform(lambda c: c.isin(sorted(c.unique())[:4]))
    kw = {"weights": "weight", "strata": "country", "psu": "psu"}
    domain = table(DATA, f2, domain=first, **kw)
    subset = table(DATA[first], f2, **kw)
    np.testing.assert_allclose(subset["estimate"], domain["estimate"], atol=1e-10)
    assert np.all(np.abs(domain["std_error"] / subset["std_error"] - 1) > 0.02)
    assert domain["df_resid"].iloc[0] == subset["df_resid"].iloc[0] == 12 - 3 + 1 - 3


def test_missing_values_are_excluded_but_stay_in_the_design():
    d = DATA.copy()
    d.loc[[3, 50, 120, 300], "efficacy"] = np.nan
    kw = {"weights": "weight", "strata": "country", "psu": "psu"}
    res = fit_svy_logit(d, f"individual ~ {FULL_RHS}", **kw)
    as_domain = fit_svy_logit(DATA, f"individual ~ {FULL_RHS}",
                              domain=d["efficacy"].notna(), **kw)
    np.testing.assert_allclose(res.params, as_domain.params, atol=1e-12)
    np.testing.assert_allclose(res.cov, as_domain.cov, rtol=1e-10)
    assert res.fit_stats()["n_excluded_missing"] == 4
    assert res.fit_stats()["n"] == len(DATA) - 4
    # only rows in the domain count as excluded
    dom = fit_svy_logit(d, "individual ~ age + female + efficacy", domain=d["country"] == "BB",
                        **kw)
    assert dom.fit_stats()["n_excluded_missing"] == int(
        ((d["country"] == "BB") & d["efficacy"].isna()).sum())


def test_fit_stats():
    res = fit_svy_logit(DATA, "individual ~ age + female + efficacy", weights="weight",
                        strata="country", psu="psu", domain=DATA["country"] == "BB")
    s = res.fit_stats()
    bb = DATA[DATA["country"] == "BB"]
    assert s["n"] == len(bb) and s["events"] == int(bb["individual"].sum())
    assert s["weighted_n"] == pytest.approx(bb["weight"].sum())
    assert (s["clusters"], s["strata"], s["df_resid"]) == (9, 1, 5)
    mu = res.fitted
    y, w = bb["individual"].to_numpy(), bb["weight"].to_numpy()
    llf = np.sum(w * (y * np.log(mu) + (1 - y) * np.log(1 - mu)))
    ybar = np.average(y, weights=w)
    llnull = np.sum(w * (y * np.log(ybar) + (1 - y) * np.log(1 - ybar)))
    assert s["log_likelihood"] == pytest.approx(llf)
    assert s["pseudo_r2"] == pytest.approx(1 - llf / llnull)
    assert s["aic"] == pytest.approx(-2 * llf + 8)
    assert s["converged"] and s["flags"] == res.flags


# --- the variance step against a literal transcription of survey:::svyrecvar -----------------
def naive_recvar(z, rows, strata, psu, lonely="adjust"):
    """One-stage svyrecvar on a domain: per stratum, PSU totals padded with zeros to the full
    design's PSU count, centred, times n_h/(n_h-1); a stratum with one PSU under "adjust" adds
    its total uncentred (survey 4.1.1's onestrat: with these values, which do not sum to zero,
    that differs from centring at the grand mean; R's svyrecvar on the same data agrees to
    1e-15); written for clarity, not speed."""
    full = pd.DataFrame({"h": strata, "psu": [f"{h}|{c}" for h, c in zip(strata, psu)]})
    n_psu = full.groupby("h")["psu"].nunique()
    sub = pd.DataFrame(z, columns=range(z.shape[1]))
    sub["h"], sub["psu"] = full["h"].to_numpy()[rows], full["psu"].to_numpy()[rows]
    V = np.zeros((z.shape[1], z.shape[1]))
    for h, g in sub.groupby("h"):
        tot = g.groupby("psu")[list(range(z.shape[1]))].sum().to_numpy()
        nh = n_psu[h]
        tot = np.vstack([tot, np.zeros((nh - len(tot), z.shape[1]))])
        if nh > 1:
            d = tot - tot.mean(axis=0)
            V += nh / (nh - 1) * d.T @ d
        elif lonely == "adjust":
            V += tot.T @ tot
    return V


@pytest.mark.parametrize("lonely", ["adjust", "remove"])
def test_design_cov_matches_naive_svyrecvar(lonely):
    rng = np.random.default_rng(7)
    n = 300
    strata = rng.choice(["s1", "s2", "s3"], n)
    psu = rng.integers(0, 6, n)
    strata[:5], psu[:5] = "lonely", 0  # a stratum with a single PSU
    d = pd.DataFrame({"h": strata, "c": psu})
    design = make_design(d, strata="h", psu="c", lonely_psu=lonely)
    rows = np.flatnonzero(rng.random(n) < 0.6)  # a domain
    z = rng.normal(size=(len(rows), 3))
    np.testing.assert_allclose(design_cov(design, rows, z),
                               naive_recvar(z, rows, strata, psu, lonely), rtol=1e-12)


def test_nullable_dtypes_work_like_plain_ones():
    """Int64/Float64/string/boolean columns with pd.NA (as a cleaning step may produce)."""
    d = DATA.copy()
    d["sex"] = np.where(d["female"] == 1, "woman", "man")
    plain = fit_svy_logit(d, "individual ~ age + efficacy + sex + country",
                          domain=~d.index.isin([1, 3, 4]), **{"weights": "weight"})
    d["age"] = d["age"].astype("Int64")
    d["efficacy"] = d["efficacy"].astype("Float64")
    d["individual"] = d["individual"].astype("Int64")
    d["sex"] = d["sex"].astype("string")
    d.loc[1, "age"], d.loc[3, "sex"], d.loc[4, "individual"] = pd.NA, pd.NA, pd.NA
    res = fit_svy_logit(d, "individual ~ age + efficacy + sex + country", weights="weight")
    assert res.fit_stats()["n_excluded_missing"] == 3
    assert res.params.index.tolist() == plain.params.index.tolist()
    np.testing.assert_allclose(res.params, plain.params, atol=1e-12)
    np.testing.assert_allclose(res.cov, plain.cov, rtol=1e-10)
