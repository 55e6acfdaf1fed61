"""The blocked passes and the warm start of coprod.survey.newton give the fit of the one-block
Newton-Raphson from zero (the computation every bundled analysis uses, unchanged to the bit):
the same estimates to rounding, for each family, for replicate refits, and when the warm start
must be refused. The block thresholds are lowered here so that small data take the large-data
path; an independent check of the estimates themselves (statsmodels GLM) is in
test_svyglm.py and the R goldens.
"""
import numpy as np
import pytest
from scipy.special import expit

from coprod.survey import newton
from coprod.survey.families import GAUSSIAN, LOGIT, POISSON
from coprod.survey.framechecks import check_rank
from coprod.survey.glm import replicate_fits


def data(n=20_000, seed=1):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 2, n),
                         rng.integers(18, 90, n) / 10.0, rng.integers(0, 3, n) == 1])
    X = X.astype(float)
    eta = X @ np.array([-0.8, 0.5, 0.3, 0.05, -0.4])
    w = rng.uniform(0.2, 3.0, n)
    return X, eta, w, rng


def outcome(family, eta, rng):
    if family is LOGIT:
        return (rng.random(len(eta)) < expit(eta)).astype(float)
    if family is POISSON:
        return rng.poisson(np.exp(eta / 2)).astype(float)
    return eta + rng.normal(size=len(eta))


@pytest.fixture
def small_blocks(monkeypatch):
    """The large-data path on 20,000 rows: blocks of 1,000 rows, a 2,000-row warm start."""
    monkeypatch.setattr(newton, "BLOCK", 1000)
    monkeypatch.setattr(newton, "BLOCKED_FROM", 5000)
    monkeypatch.setattr(newton, "WARM_ROWS", 2000)


@pytest.mark.parametrize("family", [LOGIT, POISSON, GAUSSIAN], ids=lambda f: f.name)
def test_blocked_fit_with_warm_start_equals_the_one_block_fit(family, monkeypatch):
    X, eta, w, rng = data()
    y = outcome(family, eta, rng)
    plain = newton.irls(X, y, w, family=family)
    with monkeypatch.context() as m:
        m.setattr(newton, "BLOCK", 1000)
        m.setattr(newton, "BLOCKED_FROM", 5000)
        m.setattr(newton, "WARM_ROWS", 2000)
        warm = newton.irls(X, y, w, family=family, gram=check_rank(X, w, list("abcde")))
    assert plain.converged and warm.converged
    np.testing.assert_allclose(warm.beta, plain.beta, rtol=1e-10, atol=1e-12)
    # the last pass is the fit's: its information is the sandwich's bread at the estimate
    np.testing.assert_allclose(warm.last.information, plain.last.information, rtol=1e-10)
    np.testing.assert_allclose(warm.last.mu, family.mean(X @ warm.beta), rtol=1e-12)
    if family is not GAUSSIAN:  # the warm start saves passes over the data
        assert warm.n_iter < plain.n_iter


@pytest.mark.parametrize("family", [LOGIT, POISSON], ids=lambda f: f.name)
def test_a_blocked_pass_equals_the_one_block_pass(family, small_blocks):
    X, eta, w, rng = data()
    y = outcome(family, eta, rng)
    beta = np.array([-0.5, 0.4, 0.2, 0.03, -0.3])
    blocked = newton.glm_pass(X, y, w, beta, family)
    newton.BLOCKED_FROM = len(y)  # (restored by the fixture) the same rows in one block
    one = newton.glm_pass(X, y, w, beta, family)
    for got, want in [(blocked.eta, one.eta), (blocked.mu, one.mu), (blocked.score, one.score),
                      (blocked.information, one.information)]:
        np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-9)
    assert blocked.deviance == pytest.approx(one.deviance, rel=1e-13)
    assert blocked.deviance == pytest.approx(family.deviance(y, X @ beta, w), rel=1e-13)


def test_the_first_logit_information_is_a_quarter_of_the_rank_checks_gram_to_the_bit():
    """Why the fit may take the rank check's Gram: at eta = 0 every variance is 1/4 exactly."""
    X, eta, w, rng = data(3000)
    y = outcome(LOGIT, eta, rng)
    G = check_rank(X, w, list("abcde"))
    first = newton.glm_pass(X, y, w, np.zeros(5), LOGIT, eta=np.zeros(3000))
    assert np.array_equal(first.information, 0.25 * G)
    with_gram = newton.irls(X, y, w, gram=G)
    without = newton.irls(X, y, w)
    assert np.array_equal(with_gram.beta, without.beta)


def test_a_separated_subsample_is_no_warm_start(small_blocks):
    """A rare level whose respondents are all 1 in the subsample (and not in the data): the
    subsample's fit runs away, so the full fit starts from zero and still converges."""
    X, eta, w, rng = data()
    y = outcome(LOGIT, eta, rng)
    rare = np.zeros(len(y))
    rare[::10][:30] = 1.0  # 30 rows, all in the every-10th-row subsample
    rare[1:400:13] = 1.0   # and 31 outside it
    X = np.column_stack([X, rare])
    y[::10][:30] = 1.0
    assert newton._warm_start(X, y, w, LOGIT) is None
    fit = newton.irls(X, y, w)
    newton.BLOCKED_FROM = len(y)
    plain = newton.irls(X, y, w)
    assert fit.converged
    np.testing.assert_allclose(fit.beta, plain.beta, rtol=1e-9)


def test_blocked_replicate_refits_equal_the_one_block_refits(monkeypatch):
    X, eta, w, rng = data(12_000)
    y = outcome(LOGIT, eta, rng)
    W = w[:, None] * rng.poisson(1.0, (len(y), 6))
    full = newton.irls(X, y, w)
    plain, bad = replicate_fits(X, y, W, full.beta, threads=1)
    monkeypatch.setattr(newton, "BLOCK", 1000)
    monkeypatch.setattr(newton, "BLOCKED_FROM", 5000)
    blocked, bad2 = replicate_fits(X, y, W, full.beta, threads=2, first=full.last)
    assert bad == bad2 == 0
    np.testing.assert_allclose(blocked, plain, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("family", [LOGIT, POISSON], ids=lambda f: f.name)
def test_all_replicates_refitted_together_equal_one_at_a_time(family, monkeypatch):
    """newton_many (large data) against newton_from per replicate (small data), the
    full-sample start and its last pass shared; a replicate with an exponent-scaled weight."""
    X, eta, w, rng = data(12_000, seed=4)
    y = outcome(family, eta, rng)
    W = w[:, None] * rng.poisson(1.0, (len(y), 7))
    full = newton.irls(X, y, w, family=family)
    one_by_one, bad = replicate_fits(X, y, W, full.beta, threads=1, family=family)
    scaled = np.ldexp(W, 3)  # weights stored 8x larger, exponent 3: the same unit weights
    monkeypatch.setattr(newton, "BLOCKED_FROM", 5000)
    monkeypatch.setattr(newton, "MANY_BLOCK", 1000)
    for threads in (1, 3):
        together, bad2 = replicate_fits(X, y, scaled, full.beta, threads=threads,
                                        family=family, exponent=3, first=full.last)
        assert bad == bad2 == 0
        np.testing.assert_allclose(together, one_by_one, rtol=1e-10, atol=1e-12)
    betas, ok = newton.newton_many(X, y, W, full.beta, family=family, columns=np.array([5, 2]))
    assert ok.all()
    np.testing.assert_allclose(betas, one_by_one[[5, 2]], rtol=1e-10, atol=1e-12)


def test_a_refit_that_misbehaves_together_falls_back_as_one_at_a_time(monkeypatch):
    """A replicate that deletes every 0 at a rare level separates that level: its refit
    fails together as alone (the full IRLS then runs for it); the other refits are unmoved."""
    X, eta, w, rng = data(12_000, seed=6)
    rare = np.zeros(len(w))
    rare[rng.choice(len(w), 40, replace=False)] = 1.0
    X = np.column_stack([X, rare])
    y = outcome(LOGIT, eta, rng)
    W = w[:, None] * rng.poisson(1.0, (len(y), 5)) + 0.0
    W[(rare == 1) & (y == 0), 2] = 0.0
    full = newton.irls(X, y, w)
    alone, bad = replicate_fits(X, y, W, full.beta, threads=1)
    monkeypatch.setattr(newton, "BLOCKED_FROM", 5000)
    _, ok = newton.newton_many(X, y, W, full.beta, first=full.last)
    assert ok.tolist() == [True, True, False, True, True]
    together, bad2 = replicate_fits(X, y, W, full.beta, threads=2, first=full.last)
    assert bad2 == bad
    keep = [0, 1, 3, 4]
    np.testing.assert_allclose(together[keep], alone[keep], rtol=1e-10, atol=1e-12)
    assert abs(together[2, -1]) > 5 and abs(alone[2, -1]) > 5  # the separated level runs off


def test_the_ordinal_fit_from_a_subsample_equals_the_fit_from_the_null_model(monkeypatch):
    from coprod.survey import ordinal

    X, eta, w, rng = data(20_000, seed=8)
    X = X[:, 1:]  # the proportional-odds model has cut-points, no intercept
    y = np.digitize(eta + rng.logistic(size=len(eta)), [-1.5, -0.5, 0.8])
    plain, ok, n_plain = ordinal.newton_olr(X, y, w, 3)
    monkeypatch.setattr(newton, "BLOCKED_FROM", 5000)
    monkeypatch.setattr(newton, "WARM_ROWS", 2000)
    assert ordinal._warm_start(X, y, w, 3) is not None
    warm, ok2, n_warm = ordinal.newton_olr(X, y, w, 3)
    assert ok and ok2 and n_warm <= n_plain  # (fewer on 1M rows: 6 -> 4)
    np.testing.assert_allclose(warm, plain, rtol=1e-10, atol=1e-12)
    y_rare = np.where(np.arange(len(y)) % 10 == 0, np.minimum(y, 2), y)  # top level never in
    assert ordinal._warm_start(X, y_rare, w, 3) is None                  # the subsample


def test_a_logit_block_gives_the_plain_means_variances_and_deviance():
    """newton._logit_block (one exponential per row) against expit, mu (1 - mu) and the
    blocked deviance formula, bit for bit for the deviance, over the whole range of eta."""
    rng = np.random.default_rng(3)
    eta = np.concatenate([rng.normal(size=3000) * 4, [0.0, -0.0, 36.0, -36.0, 800.0, -800.0]])
    y = (rng.random(len(eta)) < 0.4).astype(float)
    w = rng.uniform(0.1, 3.0, len(eta))
    mu, tmp = np.empty(len(eta)), np.empty((5, len(eta)))
    var, dev = newton._logit_block(eta, y, w, mu, tmp, True)
    assert dev == newton._logit_deviance_fast(y, eta, w)
    assert dev == pytest.approx(LOGIT.deviance(y, eta, w), rel=1e-13)
    np.testing.assert_allclose(mu, expit(eta), rtol=1e-15, atol=0)
    plain = expit(eta) * expit(-eta)  # mu (1 - mu) without cancellation
    np.testing.assert_allclose(var, plain, rtol=1e-15, atol=0)
    assert np.isfinite(var).all() and var.min() == 0.0  # eta = +-800: a variance of 0, no NaN


def test_a_blocked_logit_fit_reports_the_family_log_likelihood(small_blocks):
    """A blocked logit fit's log-likelihood is its last pass's deviance / -2: the family's
    own to rounding (glm.fit_matrix)."""
    import pandas as pd

    from coprod.survey.glm import fit_svy_logit

    X, eta, w, rng = data()
    y = outcome(LOGIT, eta, rng)
    df = pd.DataFrame({"y": y, "x1": X[:, 1], "x2": X[:, 2], "w": w})
    fit = fit_svy_logit(df, "y ~ x1 + x2", weights="w")
    newton.BLOCKED_FROM = len(y)  # (restored by the fixture) one block: the family's own
    plain = fit_svy_logit(df, "y ~ x1 + x2", weights="w")
    assert fit.stats["log_likelihood"] == pytest.approx(plain.stats["log_likelihood"],
                                                        rel=1e-12)
    assert fit.stats["pseudo_r2"] == pytest.approx(plain.stats["pseudo_r2"], rel=1e-10)
    np.testing.assert_allclose(fit.params, plain.params, rtol=1e-10)
    np.testing.assert_allclose(fit.cov, plain.cov, rtol=1e-9)


def test_the_rank_check_proved_from_the_subsample_decides_as_the_full_gram(small_blocks):
    """check_rank(gram=False) on large data: None when the warm-start subsample proves full
    rank; otherwise the full Gram decides, returning it or raising the same error."""
    from coprod.errors import ModelError

    X, eta, w, rng = data()
    names = list("abcde")
    assert check_rank(X, w, names, gram=False) is None
    full = check_rank(X, w, names)
    assert full is not None
    rare = np.zeros(len(w))
    rare[5:2000:10] = 1.0  # no row of the every-10th-row subsample: the proof fails
    Xr = np.column_stack([X, rare])
    np.testing.assert_array_equal(check_rank(Xr, w, [*names, "r"], gram=False),
                                  check_rank(Xr, w, [*names, "r"]))
    collinear = np.column_stack([X, X[:, 1] - 2 * X[:, 2]])
    for gram in (True, False):
        with pytest.raises(ModelError, match=r"linear combinations of one another"):
            check_rank(collinear, w, [*names, "c"], gram=gram)
    # a negative weight (linear calibration) voids the proof: the full Gram decides
    wn = w.copy()
    wn[7] = -0.5
    np.testing.assert_array_equal(check_rank(X, wn, names, gram=False),
                                  check_rank(X, wn, names))


@pytest.mark.parametrize("family", [LOGIT, POISSON], ids=lambda f: f.name)
def test_the_rank_check_proved_from_the_first_pass_decides_as_the_full_gram(family,
                                                                            small_blocks):
    """A large logit or count fit proves full rank from its first pass's information
    (framechecks.first_pass_rank_check: no Gram, no column squares); collinear terms raise
    the full Gram's error; where the proof does not hold (fitted values far out, a negative
    weight) check_rank decides, and the fit is the one without the check."""
    from coprod.errors import ModelError
    from coprod.survey import framechecks

    X, eta, w, rng = data()
    y = outcome(family, eta, rng)
    names = list("abcde")
    seen = []
    real = framechecks.check_rank
    with pytest.MonkeyPatch.context() as m:
        m.setattr(framechecks, "check_rank", lambda *a, **k: seen.append(a) or real(*a, **k))
        fit = newton.irls(X, y, w, family=family,
                          check=framechecks.first_pass_rank_check(X, w, names, family))
    assert fit.converged and not seen  # proved from the pass: no Gram
    plain = newton.irls(X, y, w, family=family)
    np.testing.assert_array_equal(fit.beta, plain.beta)
    first = newton.glm_pass(X, y, w, plain.beta, family)
    assert framechecks._full_rank_from_information(first.information, first.eta, w, family,
                                                   1e-11)
    far = first.eta * 40.0  # variances down to exp(-|eta|): no proof
    assert not framechecks._full_rank_from_information(first.information, far, w, family,
                                                       1e-11)
    wn = w.copy()
    wn[7] = -0.5
    assert not framechecks._full_rank_from_information(first.information, first.eta, wn,
                                                       family, 1e-11)
    collinear = np.column_stack([X, X[:, 1] - 2 * X[:, 2]])
    with pytest.raises(ModelError, match=r"linear combinations of one another"):
        newton.irls(collinear, y, w, family=family,
                    check=framechecks.first_pass_rank_check(collinear, w, [*names, "c"],
                                                            family))


def test_the_null_log_likelihood_from_two_sums_is_the_row_by_row_one():
    from coprod.survey.families import _logit_null, logit_null_by_sums

    X, eta, w, rng = data()
    y = outcome(LOGIT, eta, rng)
    np.testing.assert_allclose(logit_null_by_sums(y, w), _logit_null(y, w), rtol=1e-13)
    w0 = np.where(y == 1, 0.0, w)  # no weighted events: the row-by-row formula's answer
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_equal(logit_null_by_sums(y, w0), _logit_null(y, w0))


@pytest.mark.parametrize("strata", [5, 80], ids=["few strata", "many strata"])
def test_large_data_scores_of_rows_that_are_psus_equal_the_plain_design_covariance(
        strata, monkeypatch):
    """variance._row_score_sums (each row its own PSU, large data): the stratum sums and the
    Gram of the scores from X and the residuals, equal to design_cov of the score matrix."""
    import pandas as pd

    from coprod.survey import variance
    from coprod.survey.design import make_design
    from coprod.survey.variance import design_cov, score_cov

    monkeypatch.setattr(variance, "_ROW_SUMS_FROM", 5000)
    X, eta, w, rng = data()
    r = rng.normal(size=len(w)) * w
    d = pd.DataFrame({"h": rng.integers(0, strata, len(w)), "w": w})
    design = make_design(d, weights="w", strata="h")
    rows = np.flatnonzero(rng.random(len(w)) < 0.9)
    Xf = np.asfortranarray(X[rows])
    want = design_cov(design, rows, Xf * r[rows, None])
    got = score_cov(design, rows, Xf, r[rows])
    np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-13 * np.abs(want).max())
    assert np.array_equal(got, got.T)
