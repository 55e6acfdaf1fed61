"""The individual-vs-collective contrast test (stacked model, design-clustered)."""
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit

from coprod.errors import DataError, ModelError
from coprod.survey.contrast import contrast_test
from coprod.survey.glm import design_cov, fit_svy_logit

DATA = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "golden" / "design_survey.csv")
KW = {"weights": "weight", "strata": "country", "psu": "psu"}
RHS = "age + female + efficacy + country"


def with_gaps():
    d = DATA.copy()
    d.loc[[1, 7, 30], "collective"] = np.nan
    d.loc[[2, 7], "individual"] = np.nan
    d.loc[[40, 41], "efficacy"] = np.nan
    return d


@pytest.mark.parametrize("design", [KW, {"weights": "weight", "strata": "country"},
                                    {"weights": "weight"}])
def test_stacked_fit_equals_separate_fits(design):
    d = with_gaps()
    table, info = contrast_test(d, ("individual", "collective"), RHS, id_col="id", **design)
    table = table[table["kind"] == "term"]
    both = d["individual"].notna() & d["collective"].notna()
    for suffix, y in (("a", "individual"), ("b", "collective")):
        sep = fit_svy_logit(d, f"{y} ~ {RHS}", domain=both, **design)
        np.testing.assert_allclose(table[f"estimate_{suffix}"], sep.params, rtol=0, atol=1e-8)
        np.testing.assert_allclose(table[f"std_error_{suffix}"], np.sqrt(np.diag(sep.cov)),
                                   rtol=1e-6)
    assert info["check"]["max_rel_coef_diff"] < 1e-8
    assert info["check"]["max_rel_se_diff"] < 1e-6
    assert info["n_respondents"] == len(d) - 6  # rows 1, 2, 7, 30, 40, 41
    assert info["n_excluded"] == 6
    assert info["n_missing_outcome"] == {"individual": 2, "collective": 3}
    assert info["n_missing_covariates"] == 2


def test_difference_se_includes_the_within_respondent_covariance():
    table, info = contrast_test(DATA, ("individual", "collective"), RHS, id_col="id", **KW)
    table = table[table["kind"] == "term"].reset_index(drop=True)
    ra = fit_svy_logit(DATA, f"individual ~ {RHS}", **KW)
    rb = fit_svy_logit(DATA, f"collective ~ {RHS}", **KW)

    def influence(r):  # per-respondent score x A^-1: the linearised coefficients
        mu = r.fitted
        U = r.X * (r.w * (r.y - mu))[:, None]
        A = r.X.T @ (r.X * (r.w * mu * (1 - mu))[:, None])
        return U @ np.linalg.inv(A)

    V = design_cov(ra.design, ra.rows, np.hstack([influence(ra), influence(rb)]))
    p = len(ra.params)
    var_diff = np.diag(V[:p, :p]) + np.diag(V[p:, p:]) - 2 * np.diag(V[:p, p:])
    np.testing.assert_allclose(table["difference"], rb.params.to_numpy() - ra.params.to_numpy(),
                               atol=1e-10)
    np.testing.assert_allclose(table["std_error"], np.sqrt(var_diff), rtol=1e-8)
    naive = np.sqrt(table["std_error_a"] ** 2 + table["std_error_b"] ** 2)
    assert not np.allclose(table["std_error"], naive, rtol=1e-2)
    # df of the stacked model: (PSUs - strata) + 1 - 2p, as svyglm on stacked data
    assert info["df_resid"] == 36 - 3 + 1 - 2 * p
    assert (table["df_resid"] == info["df_resid"]).all()


def simulate(n=6000, seed=42):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({
        "id": np.arange(n), "stratum": rng.choice(["A", "B", "C", "D"], n),
        "x_same": rng.normal(size=n), "x_diff": rng.normal(size=n),
        "edu": pd.Categorical(rng.choice(["low", "mid", "high"], n),
                              categories=["low", "mid", "high"]),
        "weight": rng.uniform(0.5, 2.0, n)})
    d["cluster"] = d["stratum"] + rng.integers(0, 40, n).astype(str)
    shared = rng.normal(size=n)  # the same person answers both: correlated outcomes
    high = (d["edu"] == "high").to_numpy()
    eta_a = -0.5 + 0.8 * d["x_same"] + 0.0 * d["x_diff"] + 0.0 * high + shared
    eta_b = -1.0 + 0.8 * d["x_same"] + 1.2 * d["x_diff"] + 1.0 * high + shared
    d["ind"] = (rng.random(n) < expit(eta_a)).astype(int)
    d["col"] = (rng.random(n) < expit(eta_b)).astype(int)
    return d


def test_simulated_zero_and_large_differences():
    d = simulate()
    table, info = contrast_test(d, ("ind", "col"), "x_same + x_diff + edu", id_col="id",
                                weights="weight", strata="stratum", psu="cluster")
    t = table[table["kind"] == "term"].set_index("term")
    assert info["difference"].startswith("col minus ind")
    # the true difference is 0 for x_same: the 99.9% CI covers 0 and the estimate is small
    assert abs(t.loc["x_same", "difference"]) < 3.3 * t.loc["x_same", "std_error"]
    assert t.loc["x_same", "p_value"] > 0.001
    # large for x_diff (1.2 on the latent scale, attenuated a little by the shared term)
    assert t.loc["x_diff", "difference"] > 0.6 and t.loc["x_diff", "p_value"] < 1e-10
    joint = {j["term"]: j for j in info["joint_tests"]}
    assert joint["edu"]["df_num"] == 2 and joint["edu"]["p_value_F"] < 1e-6
    assert joint["edu"]["df_den"] == info["df_resid"]
    assert joint["x_same"]["F"] == pytest.approx(t.loc["x_same", "statistic"] ** 2)
    assert joint["edu"]["chi2"] == pytest.approx(2 * joint["edu"]["F"])
    rows = table[table["kind"] == "joint"].set_index("term")
    assert rows.index.tolist() == ["x_same", "x_diff", "edu"]
    assert rows.loc["edu", "statistic"] == pytest.approx(joint["edu"]["F"])
    assert rows.loc["edu", "df_num"] == 2 and rows.loc["edu", "p_value"] < 1e-6
    assert rows["difference"].isna().all()


def test_null_factor_is_not_significant_jointly():
    d = simulate(seed=7)
    # a random 3-level factor has no effect on either outcome: its joint test is null
    d["edu2"] = pd.Categorical(np.random.default_rng(3).choice(["p", "q", "r"], len(d)))
    table, info = contrast_test(d, ("ind", "col"), "x_same + edu2", id_col="id",
                                weights="weight", strata="stratum", psu="cluster")
    joint = {j["term"]: j for j in info["joint_tests"]}
    assert joint["edu2"]["p_value_F"] > 0.001


def test_quoted_names_and_errors():
    d = DATA.rename(columns={"efficacy": "self efficacy", "individual": "ind any"})
    table, _ = contrast_test(d, ("ind any", "collective"), 'age + Q("self efficacy")',
                             id_col="id", **KW)
    assert "Q('self efficacy')" in table["term"].tolist()
    dup = DATA.copy()
    dup.loc[5, "id"] = dup.loc[4, "id"]
    with pytest.raises(DataError, match="'id'"):
        contrast_test(dup, ("individual", "collective"), "age", id_col="id", **KW)
    bad = DATA.copy()
    bad["collective"] = bad["collective"] * 3
    with pytest.raises(ModelError, match="'collective'"):
        contrast_test(bad, ("individual", "collective"), "age", id_col="id", **KW)
    nullable = with_gaps()
    for col in ("individual", "collective"):
        nullable[col] = nullable[col].astype("Int64")
    t1, _ = contrast_test(nullable, ("individual", "collective"), "age", id_col="id", **KW)
    t2, _ = contrast_test(with_gaps(), ("individual", "collective"), "age", id_col="id", **KW)
    pd.testing.assert_frame_equal(t1, t2)
    with pytest.raises(DataError, match="'nope'"):
        contrast_test(DATA, ("individual", "nope"), "age", id_col="id", **KW)


def test_domain_contrast():
    table, info = contrast_test(DATA, ("individual", "collective"), "age + female + efficacy",
                                id_col="id", domain=DATA["country"] == "CC", **KW)
    sep = fit_svy_logit(DATA, "collective ~ age + female + efficacy",
                        domain=DATA["country"] == "CC", **KW)
    np.testing.assert_allclose(table.loc[table["kind"] == "term", "estimate_b"], sep.params,
                               atol=1e-8)
    assert info["n_respondents"] == int((DATA["country"] == "CC").sum())
    assert info["df_resid"] == 15 - 1 + 1 - 8


def test_equal_outcomes_keep_the_term_rows_and_flag_the_joint_test():
    """Two outcomes equal for every respondent: the differences are 0 with no variance; the
    per-term rows stay (difference 0), the joint tests are empty and say why (R's stacked
    svyglm gives differences of ~1e-17 with SEs of ~1e-16)."""
    import numpy as np
    import pandas as pd

    from coprod.survey.contrast import contrast_test

    rng = np.random.default_rng(3)
    n = 300
    df = pd.DataFrame({"id": np.arange(n), "x": rng.normal(size=n),
                       "g": pd.Categorical(rng.choice(["a", "b", "c"], n)),
                       "w": rng.uniform(0.5, 2, n)})
    df["y1"] = (rng.random(n) < 1 / (1 + np.exp(-df["x"]))).astype(float)
    df["y2"] = df["y1"]
    table, info = contrast_test(df, ("y1", "y2"), "x + g", id_col="id", weights="w")
    terms = table[table["kind"] == "term"]
    assert np.allclose(terms["difference"], 0, atol=1e-12)
    assert terms["statistic"].isna().all() and terms["flag"].str.contains("singular").all()
    assert terms["std_error_a"].notna().all()
    joint = table[table["kind"] == "joint"]
    assert joint["statistic"].isna().all() and (joint["flag"] == "singular").all()
    assert any(f["flag"] == "singular_difference" for f in info["flags"])
