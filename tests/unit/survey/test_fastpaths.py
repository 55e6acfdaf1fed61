"""The speed-ups give the same numbers as the straightforward computations they replace.

Each fast path in coprod.survey.glm / .margins / .counterfactual / .contrast is checked here
against a plain reference written the obvious way (the way the code did it before): the variance sums
against PSU totals centred one by one, the domain model matrix against the full one subset, the
counterfactual columns of AMEs and predictions against rebuilding the whole model matrix.
"""
import numpy as np
import pandas as pd
import pytest
from conftest import fast_first
from scipy.special import expit

from coprod.survey.contrast import contrast_test
from coprod.survey.glm import build_model_frame, design_cov, fit_svy_logit, make_design, score_cov
from coprod.survey.margins import average_marginal_effects, predict_margins


def survey(n=600, seed=0, clusters=True):
    rng = np.random.default_rng(seed)
    h = rng.choice(["A", "B", "C"], n, p=[0.5, 0.3, 0.2])
    d = pd.DataFrame({
        "h": h, "c": pd.Series(h).str.cat(rng.integers(0, 8, n).astype(str)) if clusters
        else np.arange(n).astype(str),
        "w": rng.uniform(0.2, 3, n), "age": rng.integers(18, 90, n).astype(float),
        "x": rng.normal(size=n),
        "g": pd.Categorical(rng.choice(["m", "w"], n), categories=["m", "w"]),
        "e": pd.Categorical(rng.choice(["lo", "mid", "hi"], n), categories=["lo", "mid", "hi"]),
        "txt": rng.choice(["p", "q", "r"], n), "id": np.arange(n)})
    eta = -0.5 + 0.02 * (d["age"] - 50) + 0.5 * d["x"] + 0.4 * (d["g"] == "w")
    d["y"] = (rng.random(n) < expit(eta)).astype(float)
    d["y2"] = (rng.random(n) < expit(eta / 2 + 0.3)).astype(float)
    d.loc[rng.choice(n, 25, replace=False), "x"] = np.nan
    d.loc[rng.choice(n, 15, replace=False), "e"] = np.nan
    d.loc[rng.choice(n, 10, replace=False), "y"] = np.nan
    return d


def reference_cov(design, rows, z):
    """svyrecvar by hand: PSU totals (zeros for PSUs without rows), centred within strata; a
    lonely stratum's total uncentred under "adjust" (survey 4.1.1's onestrat)."""
    z = np.asarray(z, float).reshape(len(rows), -1)
    totals = np.zeros((len(design.psu_stratum), z.shape[1]))
    np.add.at(totals, design.psu[rows], z)
    present = np.bincount(design.stratum[rows], minlength=len(design.n_psu)) > 0
    B = np.zeros((z.shape[1],) * 2)
    for h in np.flatnonzero(present):
        T = totals[design.psu_stratum == h]
        n_h = len(T)
        if n_h == 1:
            if design.lonely_psu == "adjust":
                B += T.T @ T
            continue
        dev = T - T.mean(0)
        B += n_h / (n_h - 1) * dev.T @ dev
    return B


@pytest.mark.parametrize("clusters", [True, False])
@pytest.mark.parametrize("lonely", ["adjust", "remove"])
def test_design_cov_and_score_cov_equal_the_plain_sums(clusters, lonely):
    d = survey(clusters=clusters)
    d.loc[:4, "h"], d.loc[:4, "c"] = "lonely", "L1"  # a stratum with a single PSU
    rng = np.random.default_rng(1)
    design = make_design(d, weights="w", strata="h", psu="c" if clusters else None,
                         lonely_psu=lonely)
    for rows in (np.arange(len(d)), np.flatnonzero(d["h"].isin(["A", "lonely"])),
                 np.flatnonzero(rng.random(len(d)) < 0.3)):
        X = rng.normal(size=(len(rows), 4)) + np.array([50.0, 0, 1, 0])  # a large mean, too
        r = rng.normal(size=len(rows))
        ref = reference_cov(design, rows, X * r[:, None])
        np.testing.assert_allclose(design_cov(design, rows, X * r[:, None]), ref, rtol=1e-10,
                                   atol=1e-10 * np.abs(ref).max())
        np.testing.assert_allclose(score_cov(design, rows, np.asfortranarray(X), r), ref,
                                   rtol=1e-10, atol=1e-10 * np.abs(ref).max())
        r2 = rng.normal(size=(len(rows), 2))
        ref2 = reference_cov(design, rows, np.hstack([X * r2[:, [0]], X * r2[:, [1]]]))
        np.testing.assert_allclose(score_cov(design, rows, X, r2), ref2, rtol=1e-10,
                                   atol=1e-10 * np.abs(ref2).max())


def test_large_stratum_means_are_centred_exactly():
    d = survey(n=300, clusters=False)
    design = make_design(d, weights="w", strata="h")
    rows = np.arange(len(d))
    z = 1e6 + np.random.default_rng(2).normal(size=(len(d), 2))  # mean >> spread
    np.testing.assert_allclose(design_cov(design, rows, z), reference_cov(design, rows, z),
                               rtol=1e-9)


def test_make_design_numbers_psus_by_stratum_then_row():
    d = survey(n=200, clusters=False)
    design = make_design(d, weights="w", strata="h")
    key = pd.Series(pd.factorize(d["h"], sort=True)[0] * len(d) + np.arange(len(d)))
    np.testing.assert_array_equal(design.psu, pd.factorize(key, sort=True)[0])
    np.testing.assert_array_equal(design.psu_stratum, np.sort(design.stratum))
    cat = make_design(d.assign(h=pd.Categorical(d["h"], categories=["C", "A", "B", "Z"])),
                      weights="w", strata="h")
    assert cat.strata_labels == ("C", "A", "B")  # category order, used levels only


@pytest.mark.parametrize("formula", [
    "y ~ age + x + g + e",                       # plain columns: rows of the domain only
    "y ~ age + Q('x') + g:e",                    # quoted, interaction
    "y ~ age + txt + g",                         # a text column: levels from all rows
    "y ~ center(age) + np.log(age) + e",         # transforms: all rows
])
def test_domain_model_frame_equals_the_full_one_subset(formula):
    d = survey()
    dom = (d["h"] == "B").to_numpy()
    full = build_model_frame(d, formula)
    sub = build_model_frame(d, formula, subset=dom)
    keep = dom[full.complete]
    np.testing.assert_array_equal(sub.complete, full.complete[keep])
    np.testing.assert_array_equal(sub.X, full.X[keep])
    np.testing.assert_array_equal(sub.y, full.y[keep])
    assert sub.columns == full.columns and sub.variables == full.variables


@pytest.mark.parametrize("budget", [0, 256 * 2 ** 20], ids=["made-each-time", "remembered"])
def test_remembered_right_hand_side_equals_formulaic_on_the_model_rows(monkeypatch, budget):
    """The right-hand side made once for the rows complete on the covariates (remembered, or
    not for a large survey) and cut to each outcome's rows equals formulaic's matrix of those
    rows; a caller changing its matrix changes nothing remembered. (An interaction: plain
    columns are filled directly, modelframe._direct, and never remembered.)"""
    import formulaic

    import coprod.survey.modelframe as mf

    monkeypatch.setattr(mf, "_RHS_BYTES", budget)
    monkeypatch.setattr(mf, "_RHS_SEEN", {})
    d = survey()
    d["y2"] = d["y"].where(np.arange(len(d)) % 7 != 0)  # another outcome, missing elsewhere
    dom = (d["h"] == "B").to_numpy()
    for _ in range(2):
        for outcome in ("y", "y2"):
            for subset in (None, dom):
                got = build_model_frame(d, f"{outcome} ~ age + x + g:e", subset=subset)
                rows = d.iloc[got.complete]
                want = formulaic.model_matrix(f"{outcome} ~ age + x + g:e",
                                              rows.reset_index(drop=True))
                np.testing.assert_array_equal(got.X, np.asarray(want.rhs, dtype=float))
                np.testing.assert_array_equal(got.y, np.asarray(want.lhs.iloc[:, 0], float))
                assert got.columns == list(want.rhs.columns)
                got.X[:] = -1.0
    assert len(mf._RHS_SEEN) == (2 if budget else 0)  # the domain's and the whole sample's
    d["z"] = 1.0
    two = build_model_frame(d, "y:z ~ age + g")  # an outcome of two factors: formulaic's way
    np.testing.assert_array_equal(two.y, d["y"].to_numpy()[two.complete])


@pytest.mark.parametrize("formula", [
    "y ~ age + x + g + e",        # numbers and categoricals (treatment coding)
    "y ~ 0 + e + age + g",        # no intercept: the first categorical in full rank
    "y ~ n + g + e + b",          # an integer column; a bool column (formulaic's way)
    "y ~ age + g:e + x",          # an interaction (formulaic's way)
    "y ~ center(age) + e",        # a transform (formulaic's way)
])
@pytest.mark.parametrize("domain", [False, True])
def test_model_frame_without_formulaic_equals_formulaic_bit_for_bit(formula, domain,
                                                                    monkeypatch):
    """A large survey's model frame (not remembered) is filled column by column for plain
    numbers and categoricals (modelframe._direct): the same matrix bit for bit, the same
    outcome, rows and spec as formulaic's materialisation; anything else still goes to
    formulaic."""
    import coprod.survey.modelframe as mf

    monkeypatch.setattr(mf, "_RHS_BYTES", 0)  # as a large survey: nothing remembered
    d = survey()
    d["e"] = d["e"].cat.add_categories("none")  # a level nobody has: an all-zero column
    d["n"] = np.arange(len(d)) % 5
    d["b"] = np.arange(len(d)) % 3 == 0
    subset = (d["h"] != "C").to_numpy() if domain else None
    calls = []
    real = mf._direct

    def spy(*a):
        calls.append(real(*a))
        return calls[-1]

    monkeypatch.setattr(mf, "_direct", spy)
    got = build_model_frame(d, formula, subset=subset)
    monkeypatch.setattr(mf, "_direct", lambda *a: None)
    want = build_model_frame(d, formula, subset=subset)
    plain = formula in ("y ~ age + x + g + e", "y ~ 0 + e + age + g")
    assert (bool(calls) and calls[0] is not None) == plain
    assert got.X.tobytes() == want.X.tobytes() and got.X.flags.f_contiguous
    assert got.y.tobytes() == want.y.tobytes()
    assert got.complete.tobytes() == want.complete.tobytes()
    assert (got.columns, got.variables, got.outcome) == (want.columns, want.variables,
                                                         want.outcome)
    assert got.spec == want.spec


def test_direct_model_frame_of_imputed_datasets_equals_formulaic(monkeypatch):
    """Each imputed dataset has the same columns and dtypes and other values: the direct
    model frame's plan is made once (one formulaic call on one row) and every dataset's
    matrix equals formulaic's materialisation of its rows, value for value. A Categorical
    whose levels are reordered, a nullable integer or categories that are not text get a plan
    of their own, or formulaic's way, and still formulaic's matrix."""
    import formulaic

    import coprod.survey.modelframe as mf

    monkeypatch.setattr(mf, "_PLANS", {})
    planned = []
    real = mf._direct_plan
    monkeypatch.setattr(mf, "_direct_plan", lambda *a: planned.append(a[0]) or real(*a))
    base = survey()
    rng = np.random.default_rng(5)
    formula = "y ~ age + x + g + e"
    dom = (base["h"] != "A").to_numpy()

    def same(d, formula, subset=None):
        got = build_model_frame(d, formula, subset=subset)
        rows = d.iloc[got.complete].reset_index(drop=True)
        want = formulaic.model_matrix(formula, rows)
        assert got.X.tobytes() == np.asfortranarray(want.rhs, dtype=float).tobytes()
        assert got.y.tobytes() == np.asarray(want.lhs.iloc[:, 0], dtype=float).tobytes()
        assert got.columns == list(want.rhs.columns) and got.X.flags.f_contiguous
        return got

    for _ in range(3):  # three imputed datasets
        d = base.copy()
        x, e = d["x"].isna(), d["e"].isna()
        d.loc[x, "x"] = rng.normal(size=x.sum())
        d.loc[e, "e"] = rng.choice(["lo", "mid", "hi"], e.sum())
        for subset in (None, dom):
            assert len(same(d, formula, subset).complete) == (d["y"].notna() & (
                True if subset is None else dom)).sum()
    assert planned == [formula]  # one plan for all of them
    d["e"] = d["e"].cat.reorder_categories(["hi", "lo", "mid"])  # equal as a dtype, not here
    assert same(d, formula).columns[-2:] == ["e[T.lo]", "e[T.mid]"]
    assert len(planned) == 2
    d["age"] = d["age"].astype("Int64")  # nullable: formulaic's way
    same(d, formula)
    d["e"] = pd.Categorical(d["e"].cat.codes.where(d["e"].notna()).astype(float))  # numbers
    same(d, formula)
    assert [mf._PLANS[k] is None for k in mf._PLANS] == [False, False, True, True]


def test_outcomes_on_the_same_covariates_share_one_plan_and_equal_formulaic(monkeypatch):
    """The direct model frame's plan is the right-hand side's: the models of every outcome on
    the same covariates (0/1 outcomes and an ordinal one's codes) share one, each matrix and
    spec still formulaic's; another right-hand side, or a right-hand side that reads the
    outcome, gets its own."""
    import formulaic

    import coprod.survey.modelframe as mf

    monkeypatch.setattr(mf, "_PLANS", {})
    planned = []
    real = mf._direct_plan
    monkeypatch.setattr(mf, "_direct_plan", lambda *a: planned.append(a[0]) or real(*a))
    d = survey()
    d["code"] = (d["age"] > 50).astype(float) + (d["x"] > 0)
    for formula in ("y ~ age + x + g + e", "y2 ~ age + x + g + e", "code ~ age + x + g + e",
                    "y ~ age + g", "y ~ age + y2 + g", "y2 ~ age + y + g"):
        got = build_model_frame(d, formula, binary=not formula.startswith("code"))
        want = formulaic.model_matrix(formula, d.iloc[got.complete].reset_index(drop=True))
        assert got.X.tobytes() == np.asfortranarray(want.rhs, dtype=float).tobytes()
        assert got.y.tobytes() == np.asarray(want.lhs.iloc[:, 0], dtype=float).tobytes()
        assert got.columns == list(want.rhs.columns) and got.spec == want.rhs.model_spec
    assert planned == ["y ~ age + x + g + e", "y ~ age + g", "y ~ age + y2 + g",
                       "y2 ~ age + y + g"]


def test_bad_outcome_code_outside_the_domain_still_stops():
    from coprod.errors import ModelError

    d = survey()
    d.loc[d.index[d["h"] == "A"][0], "y"] = 2.0
    with pytest.raises(ModelError, match="0/1"):
        fit_svy_logit(d, "y ~ age + g", weights="w", domain=(d["h"] == "B").to_numpy())


def test_an_outcome_of_several_columns_is_refused_in_the_family_s_words():
    from coprod.errors import ModelError

    d = survey()
    with pytest.raises(ModelError, match="must be one 0/1 column, got columns"):
        build_model_frame(d, "e ~ age + g")  # a factor outcome: one column per level
    with pytest.raises(ModelError, match="must be one numeric column, got columns"):
        build_model_frame(d, "e ~ age + g", binary=False)


def rebuilt_margins(res, var=None, values=None, shift=None):
    """The weighted mean prediction and its gradient from a full rebuild of the model matrix."""
    md = res.model_data.copy()
    if shift is not None:
        md[var] = md[var].astype(float) + shift
    for v, value in (values or {}).items():
        md[v] = (pd.Categorical([value] * len(md), categories=md[v].cat.categories)
                 if isinstance(md[v].dtype, pd.CategoricalDtype) else value)
    X = res.model_matrix(md)
    w = res.w / res.w.sum()
    mu = expit(X @ res.params.to_numpy())
    return X, w @ mu, (w * mu * (1 - mu)) @ X


@pytest.mark.parametrize("formula", ["y ~ age + x + g + e + h",
                                     "y ~ age + I(age**2) + g*x + e"])
def test_ame_and_predictions_equal_a_full_rebuild(formula):
    d = survey()
    res = fit_svy_logit(d, formula, weights="w", strata="h", psu="c",
                        domain=(d["h"] != "C").to_numpy())
    V = res.cov.to_numpy()
    ame = average_marginal_effects(res).set_index(["variable", "contrast"])
    for var, ref, level in (("g", "m", "w"), ("e", "lo", "hi")):
        _, p0, g0 = rebuilt_margins(res, values={var: ref})
        _, p1, g1 = rebuilt_margins(res, values={var: level})
        row = ame.loc[(var, f"{level} vs {ref}")]
        assert row["estimate"] == pytest.approx(p1 - p0, abs=1e-13)
        assert row["std_error"] == pytest.approx(np.sqrt((g1 - g0) @ V @ (g1 - g0)), rel=1e-10)
    beta = res.params.to_numpy()
    x = res.model_data["x"].to_numpy(float)
    h = 1e-4 * np.std(x)
    Xp, _, _ = rebuilt_margins(res, "x", shift=h)
    Xm, _, _ = rebuilt_margins(res, "x", shift=-h)
    dX = (Xp - Xm) / (2 * h)
    w = res.w / res.w.sum()
    mu = expit(res.X @ beta)
    s = mu * (1 - mu)
    est = w @ (s * (dX @ beta))
    grad = (w * s * (1 - 2 * mu) * (dX @ beta)) @ res.X + (w * s) @ dX
    row = ame.loc[("x", "per unit")]
    assert row["estimate"] == pytest.approx(est, rel=1e-10)
    assert row["std_error"] == pytest.approx(np.sqrt(grad @ V @ grad), rel=1e-8)
    grid = {"age": [20, 50, 80], "g": ["m", "w"]}
    out = predict_margins(res, grid)
    for _, r in out.iterrows():
        _, p, g = rebuilt_margins(res, values={"age": r["age"], "g": r["g"]})
        assert r["predicted"] == pytest.approx(p, abs=1e-13)
        assert r["std_error"] == pytest.approx(np.sqrt(g @ V @ g), rel=1e-10)


@pytest.mark.parametrize("formula", fast_first(["~ age + I(age**2) + g*x + e",
                                                 "~ age + x + g + e", "~ center(age) + g + e"]))
def test_counterfactual_matrices_shared_between_models_change_nothing(formula):
    """The model matrices of counterfactual frames are kept for the next model of the same
    sample; margins of a second model (other outcome, other rows) must equal a cold start,
    and a model whose spec differs (another domain's centring) must not reuse them."""
    from coprod.survey import counterfactual

    d = survey()
    grid = {"age": [20, 50, 80], "g": ["m", "w"]}

    def margins_of(outcome, domain):
        res = fit_svy_logit(d, f"{outcome} {formula}", weights="w", strata="h", psu="c",
                            domain=domain)
        return average_marginal_effects(res), predict_margins(res, grid)

    everyone, not_c = None, (d["h"] != "C").to_numpy()
    counterfactual._CACHE.clear()
    margins_of("y", everyone)
    # main effects alone are encoded without the formula engine (counterfactual._MainEffect):
    # no engine matrix to keep; the other formulas' terms go through the engine and its cache
    assert bool(counterfactual._CACHE) == (formula != "~ age + x + g + e")
    warm = [margins_of("y2", everyone), margins_of("y2", not_c)]
    counterfactual._CACHE.clear()
    cold = [margins_of("y2", everyone)]
    counterfactual._CACHE.clear()
    cold.append(margins_of("y2", not_c))
    for (ame_w, pred_w), (ame_c, pred_c) in zip(warm, cold):
        pd.testing.assert_frame_equal(ame_w, ame_c, check_exact=True)
        pd.testing.assert_frame_equal(pred_w, pred_c, check_exact=True)


@pytest.mark.parametrize("formula", ["~ age + x + g + e", "~ 0 + e + age + g",
                                     "~ age + I(age**2) + g*x + e"])
def test_main_effect_counterfactuals_are_the_formula_engines_bit_for_bit(formula, monkeypatch):
    """The columns of main-effect terms computed without the formula engine (a level's
    indicators, a number, a shifted column; counterfactual._MainEffect) equal the engine's bit
    for bit, with the same row maps and layout: for treatment and full-rank coding, a level with
    no respondents (its column dropped), numbers given as int or float, shifts of a column
    with few and with many distinct values, several variables at once; terms that are not
    main effects (a transform, an interaction) still go to the engine."""
    from coprod.survey import counterfactual

    d = survey()
    d["e"] = d["e"].cat.add_categories("none")  # empty: its column is dropped from the fit
    res = fit_svy_logit(d, f"y {formula}", weights="w", strata="h", psu="c")
    requests = [([{"g": "m"}, {"g": "w"}], None),
                ([{"e": lv} for lv in ("lo", "mid", "hi", "none")], None),
                ([{"age": 20}, {"age": 50.5}], None), ([{"age": 1e-3}, {"age": -1e-3}], "age"),
                ([{"x": 0.1}, {"x": -0.1}], "x"), ([{"age": 40, "g": "w", "e": "hi"}], None)]
    fast_cf = counterfactual.Counterfactual(res)
    direct = {next(iter(v)) for v, _, _, e in fast_cf.terms if e is not None}
    assert direct == ({"age", "g", "e"} if formula.startswith("~ 0") else {"age", "x", "g", "e"})
    fast = fast_cf.columns_many(requests)
    # the engine for every term
    monkeypatch.setattr(counterfactual, "_main_effect", lambda *a: None)
    counterfactual._CACHE.clear()
    slow = counterfactual.Counterfactual(res).columns_many(requests)
    for f, s in zip(fast, slow, strict=True):
        for (c1, C1, i1), (c2, C2, i2) in zip(f, s, strict=True):
            assert c1.tobytes() == c2.tobytes()
            assert (C1.dtype, C1.shape, C1.flags.c_contiguous) == (C2.dtype, C2.shape,
                                                                   C2.flags.c_contiguous)
            assert C1.tobytes() == C2.tobytes()
            assert (i1 is None and i2 is None) or i1.tobytes() == i2.tobytes()


def test_contrast_equals_the_stacked_model_fitted_as_one():
    """The stacked sandwich assembled from the two fits equals fitting the stacked data."""
    from coprod.survey.glm import fit_matrix

    d = survey().dropna(subset=["x", "e"]).reset_index(drop=True)
    d = d[d["y"].notna()].reset_index(drop=True)
    kw = dict(weights="w", strata="h", psu="c")
    table, info = contrast_test(d, ("y", "y2"), "age + x + g", id_col="id", **kw)
    t = table[table["kind"] == "term"].reset_index(drop=True)
    design = make_design(d, **{"weights": "w", "strata": "h", "psu": "c"})
    mf = build_model_frame(d, "age + x + g")
    n, p = mf.X.shape
    Xs = np.zeros((2 * n, 2 * p))
    Xs[:n, :p], Xs[n:, p:] = mf.X, mf.X
    ys = np.concatenate([d["y"].to_numpy(), d["y2"].to_numpy()])
    st = fit_matrix(Xs, ys, np.concatenate([mf.complete, mf.complete]), design,
                    [f"a{i}" for i in range(p)] + [f"b{i}" for i in range(p)],
                    check_separation=False)
    D = np.hstack([-np.eye(p), np.eye(p)])
    np.testing.assert_allclose(t["difference"], D @ st.params.to_numpy(), atol=1e-8)
    np.testing.assert_allclose(t["std_error"],
                               np.sqrt(np.diag(D @ st.cov.to_numpy() @ D.T)), rtol=1e-7)
    assert info["df_resid"] == st.df_resid


def test_the_caches_drop_their_oldest_entries_by_count_and_by_bytes():
    from coprod.survey.modelframe import remember

    cache: dict = {}
    for k in range(5):
        remember(cache, k, k, entries=3)
    assert list(cache) == [2, 3, 4]
    big: dict = {}
    for k, n in enumerate([40, 30, 50, 20]):
        remember(big, k, np.zeros(n, dtype=np.uint8), entries=10, nbytes=lambda v: v.nbytes,
                  budget=100)
    assert list(big) == [1, 2, 3]  # adding 50 to 40 + 30 dropped 40; then 30 + 50 + 20 = 100


def test_psu_codes_of_integer_labels_by_a_table_equal_pandas_factorize():
    """design._nested_codes codes small-range integer labels by a table of first rows
    (design._small_int_codes); the codes and each unit's parent are pd.factorize's."""
    from coprod.survey import design as D

    rng = np.random.default_rng(5)
    for trial in range(60):
        n = int(rng.integers(1, 2000))
        low = int(rng.integers(-50, 50))
        labels = pd.Series(rng.integers(low, low + int(rng.integers(1, 40)), n) * 3)
        if trial % 3 == 0:
            labels = labels - labels.min()
            labels = labels.astype(np.uint16)
        parent = rng.integers(0, int(rng.integers(1, 5)), n).astype(np.int64)
        got = D._nested_codes(parent, labels)
        raw = pd.factorize(labels)[0].astype(np.int64)
        span = int(raw.max()) + 1
        codes, uniques = pd.factorize(parent * span + raw, sort=True)
        np.testing.assert_array_equal(got[0], codes)
        np.testing.assert_array_equal(got[1], np.asarray(uniques) // span)
    assert D._small_int_codes(pd.Series(["a", "b"])) is None
    assert D._small_int_codes(pd.Series([0, 10 ** 9])) is None  # a wide range: pandas


def test_score_covariance_is_the_design_covariance_of_the_scores_bit_for_bit():
    """score_cov sums each score column by unit as it forms it (no n x p matrix), at one
    stage or two: the same products summed in the same order as design_cov of the scores."""
    d = survey().assign(N1=100.0, M2=1000.0)
    d["s"] = np.arange(len(d)) % 4
    d["one"] = np.arange(len(d))  # second-stage units of one row each
    rng = np.random.default_rng(3)
    rows = np.flatnonzero(rng.random(len(d)) < 0.7)
    X = np.asfortranarray(rng.normal(size=(len(rows), 4)))
    r = rng.normal(size=len(rows))
    r2 = rng.normal(size=(len(rows), 2))
    for extra in ({}, {"fpc": "N1", "ssu": "s", "fpc2": "M2"},
                  {"fpc": "N1", "ssu": "one", "fpc2": "M2"}):  # one and two stages
        design = make_design(d, weights="w", strata="h", psu="c", **extra)
        assert np.array_equal(score_cov(design, rows, X, r),
                              design_cov(design, rows, X * r[:, None]))
        assert np.array_equal(score_cov(design, rows, X, r2),
                              design_cov(design, rows, np.hstack([X * r2[:, [0]],
                                                                  X * r2[:, [1]]])))


def test_empty_column_checks_that_stop_early_decide_as_the_whole_matrix(monkeypatch):
    """framechecks looks at the first rows first: a level seen only further down is kept,
    and a reference level seen only further down is no empty reference."""
    from coprod.errors import ModelError
    from coprod.survey import framechecks
    from coprod.survey.modelframe import term_table

    monkeypatch.setattr(framechecks, "_CHUNK", 16)
    d = survey(n=200)
    d["e"] = pd.Categorical(["mid"] * 150 + ["hi"] * 49 + ["lo"], categories=["lo", "mid", "hi"])
    mf = build_model_frame(d, "y ~ age + e")
    keep, flags = framechecks.drop_empty_columns(mf.X, term_table(mf.spec), mf.spec)
    assert list(keep) == [0, 1, 2, 3] and not flags
    d["e"] = pd.Categorical(["mid"] * 150 + ["hi"] * 50, categories=["lo", "mid", "hi"])
    mf = build_model_frame(d, "y ~ age + e")
    with pytest.raises(ModelError, match="reference level 'lo'"):
        framechecks.drop_empty_columns(mf.X, term_table(mf.spec), mf.spec)


def test_the_remembered_formula_spec_follows_the_columns_dtypes(monkeypatch):
    """modelframe._direct keeps formulaic's spec by formula and dtypes: other categories,
    another spec (and matrix)."""
    import coprod.survey.modelframe as mf

    monkeypatch.setattr(mf, "_RHS_BYTES", 0)  # as a large survey: the direct path
    d = survey()
    first = build_model_frame(d, "y ~ age + e")
    again = build_model_frame(d, "y ~ age + e")
    assert again.spec is first.spec and again.X.tobytes() == first.X.tobytes()
    other = d.assign(e=d["e"].cat.reorder_categories(["hi", "lo", "mid"]))
    moved = build_model_frame(other, "y ~ age + e")
    assert moved.columns == ["Intercept", "age", "e[T.lo]", "e[T.mid]"]
    assert moved.spec is not first.spec


@pytest.mark.parametrize("family", ["logit", "ordinal"])
def test_model_frames_kept_for_other_weights_give_the_fresh_fits(monkeypatch, family):
    """A frame fitted with several designs (a specification curve, weighted and not) keeps its
    model frame in the caller's dict (``prepared``): each fit equals a fresh one bit for bit,
    the frame is made once per (formula, domain), and another frame object is never served
    another's entry."""
    from coprod.survey import glm, ordinal

    d = survey(seed=4)
    noise = np.random.default_rng(5).logistic(size=len(d))
    d["yo"] = pd.Categorical(np.digitize(d["x"].fillna(0) + (d["g"] == "w") + noise, [-1, 1]),
                             categories=[0, 1, 2], ordered=True)
    formula = "y ~ age + x + g" if family == "logit" else "yo ~ age + x + g"
    made = []
    module, name = (glm, "_logit_frame") if family == "logit" else (ordinal, "_olr_frame")
    real = getattr(module, name)
    monkeypatch.setattr(module, name, lambda *a, **k: made.append(1) or real(*a, **k))

    def fit(data, design, domain=None, prepared=None):
        if family == "logit":
            return fit_svy_logit(data, formula, design=design, domain=domain, prepared=prepared)
        return ordinal.fit_svy_olr(data, formula, design=design, domain=domain,
                                   prepared=prepared)

    designs = [make_design(d, weights="w", strata="h", psu="c"),
               make_design(d, strata="h", psu="c")]
    dom = (d["h"] != "C").to_numpy()
    kept: dict = {}
    for design in designs * 2:
        for domain in (None, dom):
            got, fresh = fit(d, design, domain, kept), fit(d, design, domain)
            for a, b in ((got.params, fresh.params), (got.cov, fresh.cov)):
                pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b), check_exact=True)
            assert got.flags == fresh.flags and got.term_flags == fresh.term_flags
            pd.testing.assert_series_equal(pd.Series(got.stats), pd.Series(fresh.stats),
                                           check_exact=True)
            np.testing.assert_array_equal(got.X, fresh.X)
    assert len(kept) == 2  # one entry a domain, whatever the weights
    # (the fresh fits made theirs: 8; the kept ones 2)
    assert len(made) == 8 + 2
    other = d.copy()  # equal values, another object: made again, not served d's entry
    fit(other, designs[0], None, kept)
    assert len(made) == 11 and len(kept) == 3


def test_the_models_data_of_every_row_is_the_row_by_row_copy():
    """The data a fit keeps for its margins (modelframe.model_rows_data): every row's as the
    columns themselves, some rows' as before, both equal to taking the rows one by one."""
    from coprod.survey.modelframe import formula_ready, model_rows_data

    d = survey()
    variables = ["age", "x", "g", "e", "txt"]
    n = len(d)
    for rows in (np.arange(n), np.arange(1, n), np.arange(n - 1), np.flatnonzero(d["x"].notna()),
                 np.arange(0), np.r_[np.arange(n - 2), n - 1, n - 2]):
        want = formula_ready(d[variables].iloc[rows].reset_index(drop=True), variables)
        pd.testing.assert_frame_equal(model_rows_data(d, variables, rows), want,
                                      check_exact=True)


@pytest.mark.parametrize("family", ["logit", "ordinal"])
def test_margins_of_fits_sharing_their_data_share_its_columns_and_equal_fresh_ones(
        monkeypatch, family):
    """Fits of one kept model frame with other weights share its data (kept_frame): their
    margins take the counterfactual columns and the variables' kinds made for the first
    (one Counterfactual for both), and equal those of fresh fits bit for bit."""
    from coprod.survey import margins, ordinal

    d = survey(seed=6)
    noise = np.random.default_rng(2).logistic(size=len(d))
    d["yo"] = pd.Categorical(np.digitize(d["x"].fillna(0) + (d["g"] == "w") + noise, [-1, 1]),
                             categories=[0, 1, 2], ordered=True)
    made = []
    real = margins.Counterfactual.__init__
    monkeypatch.setattr(margins.Counterfactual, "__init__",
                        lambda self, r: made.append(1) or real(self, r))

    def fit(design, prepared=None):
        if family == "logit":
            return fit_svy_logit(d, "y ~ age + x + g + e", design=design, prepared=prepared)
        return ordinal.fit_svy_olr(d, "yo ~ age + x + g + e", design=design, prepared=prepared)

    def ame(res):
        return margins.ordinal_marginal_effects(res) if family == "ordinal" \
            else average_marginal_effects(res)

    designs = [make_design(d, weights="w", strata="h", psu="c"),
               make_design(d, strata="h", psu="c")]
    kept: dict = {}
    shared = [fit(design, kept) for design in designs]
    assert shared[0].model_data is shared[1].model_data
    got = [ame(r) for r in shared]
    assert len(made) == 1
    for g, design in zip(got, designs):
        pd.testing.assert_frame_equal(g, ame(fit(design)), check_exact=True)


@pytest.mark.parametrize("which", ["every row", "some rows", "repeated rows", "zero weights"])
def test_the_rows_psus_looked_up_once_count_as_the_separate_lookups(which):
    """variance.RowUnits (the PSUs of a fit's rows, counted once): the same PSUs, strata,
    degrees of freedom, lonely strata and score covariance as each computation's own
    look-up through the rows."""
    from coprod.survey.variance import RowUnits, design_df, every_row, lonely_strata, n_distinct

    d = survey()
    d["c"] = d["c"].where(d["h"] != "C", "C0")  # stratum C: a single PSU (lonely)
    if which == "zero weights":
        d.loc[d["c"] == "A1", "w"] = 0.0  # a PSU whose rows all weigh nothing
    design = make_design(d, weights="w", strata="h", psu="c", lonely_psu="adjust")
    rng = np.random.default_rng(5)
    rows = {"every row": np.arange(len(d)), "zero weights": np.arange(len(d)),
            "some rows": np.flatnonzero((rng.random(len(d)) < 0.5) & (d["h"] != "B")),
            "repeated rows": np.sort(rng.integers(0, len(d), 2 * len(d)))}[which]
    assert every_row(rows, design.n) == (which in ("every row", "zero weights"))
    units = RowUnits.of(design, rows)
    w = design.unit_weights[rows]
    assert units.degf(design, rows, w) == design_df(design, rows)
    assert units.n_clusters == n_distinct(design.psu[rows], len(design.psu_stratum))
    assert units.n_strata == n_distinct(design.stratum[rows], len(design.n_psu))
    assert lonely_strata(design, rows, units) == lonely_strata(design, rows)
    X = np.asfortranarray(rng.normal(size=(len(rows), 3)))
    r = rng.normal(size=len(rows))
    assert np.array_equal(score_cov(design, rows, X, r, units=units),
                          score_cov(design, rows, X, r))


def test_every_row_is_only_the_rows_in_order():
    from coprod.survey.variance import every_row

    assert every_row(np.arange(5), 5) and every_row(np.arange(0), 0)
    for rows in ([0, 1, 2, 3], [1, 0, 2, 3, 4], [0, 1, 1, 3, 4], [0, 2, 2, 3, 4]):
        assert not every_row(np.array(rows), 5)


def test_a_model_frame_found_complete_without_masks_equals_the_masked_one(monkeypatch):
    """modelframe._present finds columns without missing values from their type, minimum or
    codes; the frame (every row, or a subset, or with gaps) is the one of notna masks."""
    import coprod.survey.modelframe as mf

    gaps = survey()
    gaps["n"] = np.arange(len(gaps)) % 5
    gaps["b"] = np.arange(len(gaps)) % 3 == 0
    d = gaps.dropna()
    for data, subset in ((d, None), (d, (d["h"] != "C").to_numpy()), (gaps, None)):
        for formula in ("y ~ age + x + g + e", "y ~ n + b + e"):
            got = build_model_frame(data, formula, subset=subset)
            with monkeypatch.context() as m:
                m.setattr(mf, "_present", lambda col: col.notna().to_numpy())
                want = build_model_frame(data, formula, subset=subset)
            assert got.X.tobytes() == want.X.tobytes()
            assert got.y.tobytes() == want.y.tobytes()
            assert np.array_equal(got.complete, want.complete)
    assert mf._present(d["age"]) is None and mf._present(d["e"]) is None
    assert mf._present(d["n"]) is None and mf._present(d["b"]) is None
    assert mf._present(gaps["x"]).sum() == gaps["x"].notna().sum()
    assert mf._present(gaps["e"]).sum() == gaps["e"].notna().sum()


def test_score_covariance_summed_in_blocks_equals_the_one_block_sums(monkeypatch):
    """Beyond _ROW_SUMS_FROM rows the PSU totals of the scores are summed a block of rows at a
    time (when the PSUs are few next to the block): the same covariance to rounding; with
    many units, the one-block sums bit for bit."""
    from coprod.survey import variance

    d = survey(n=3000, seed=4)
    design = make_design(d, weights="w", strata="h", psu="c")
    rng = np.random.default_rng(8)
    rows = np.flatnonzero(rng.random(len(d)) < 0.8)
    X = np.asfortranarray(rng.normal(size=(len(rows), 4)))
    r = rng.normal(size=len(rows))
    want = score_cov(design, rows, X, r)
    monkeypatch.setattr(variance, "_ROW_SUMS_FROM", 1000)
    monkeypatch.setattr(variance, "_TOTALS_BLOCK", 512)  # 24 PSUs: blocks of 512 rows
    got = score_cov(design, rows, X, r)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14 * np.abs(want).max())
    monkeypatch.setattr(variance, "_TOTALS_BLOCK", 128)  # 24 PSUs > 128 / 8: one block
    assert np.array_equal(score_cov(design, rows, X, r), want)


def test_population_sizes_of_one_value_are_each_units():
    """make_design's fpc of a single value (sizes or fractions) skips the per-unit check: the
    same population sizes as a column that varies between strata."""
    d = survey()
    d["N"], d["f"] = 500.0, 0.25
    d["Nh"] = d["h"].map({"A": 500.0, "B": 501.0, "C": 502.0})
    one = make_design(d, weights="w", strata="h", psu="c", fpc="N")
    varying = make_design(d, weights="w", strata="h", psu="c", fpc="Nh")
    assert np.array_equal(one.fpc, [500.0] * 3)
    assert np.array_equal(varying.fpc, [500.0, 501.0, 502.0])
    frac = make_design(d, weights="w", strata="h", psu="c", fpc="f")
    assert np.array_equal(frac.fpc, frac.n_psu / 0.25)
    from coprod.errors import DataError

    d["tiny"] = 2.0  # fewer PSUs in the population than sampled
    with pytest.raises(DataError, match="fewer than"):
        make_design(d, weights="w", strata="h", psu="c", fpc="tiny")
