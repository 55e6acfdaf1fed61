"""Scale invariance: a design-based estimate does not depend on the scale of the weights, so
multiplying every weight (and every replicate weight) by any positive constant from 1e-300 to
1e300 must leave every estimate and standard error as it is at scale 1, within a relative
1e-9 (absolute 1e-12 for numbers near zero): fits, marginal effects, means, proportions,
the contrast test, on Taylor designs (strata, clusters, fpc, two stages), replicate designs
and calibrated designs. Totals keep the weights' scale (the weighted n; calibrated weights
meet the population totals whatever the scale). Before the engine divided the weights by a
power of two (coprod.survey.design.unit_exponent), x 1e-20 moved log-odds by up to 1.28 and x 1e300
gave NaN standard errors and ZeroDivisionError.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from catalogue import safe_load
from conftest import ROOT
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coprod.pipeline.designkeys import DesignSettings
from coprod.survey.calibration import calibrate, calibration_spec
from coprod.survey.contrast import contrast_test
from coprod.survey.design import make_design, unit_exponent
from coprod.survey.glm import fit_svy_logit
from coprod.survey.margins import average_marginal_effects
from coprod.survey.means import svy_mean, svy_proportion
from coprod.survey.ordinal import fit_svy_olr
from coprod.survey.replicate import make_replicate_design

GOLDEN = ROOT / "tests" / "data" / "golden"
RTOL, ATOL = 1e-9, 1e-12
DESIGNS = ["taylor", "two_stage_fpc", "replicate_jk1", "raked", "greg", "raked_replicate"]
# powers of ten over the whole range, and any factor in between
SCALES = st.one_of(st.integers(-300, 300).map(lambda k: 10.0 ** k),
                   st.floats(1e-300, 1e300).filter(lambda f: f > 0))


def _data() -> dict[str, pd.DataFrame]:
    rep = pd.read_csv(GOLDEN / "replicate_survey.csv").merge(
        pd.read_csv(GOLDEN / "replicate_weights.csv").filter(regex="^(id|jk1_.*)$"), on="id")
    rep["country"] = pd.Categorical(rep["country"], categories=["AA", "BB", "CC"])
    rep["agegrp"] = pd.Categorical(rep["agegrp"], categories=["18-34", "35-54", "55+"],
                                   ordered=True)
    rep["psu"] = rep["psu"].astype(str)
    fpc = pd.read_csv(GOLDEN / "fpc_survey.csv")
    fpc["efficacy"] = fpc["efficacy"].astype(float)
    return {"rep": rep, "fpc": fpc}


DATA = _data()


def _scaled(frame: pd.DataFrame, factor: float) -> pd.DataFrame:
    d = frame.copy()
    cols = [c for c in d.columns if c == "weight" or c.startswith("jk1_")]
    d[cols] = d[cols] * factor
    return d


def _design(kind: str, d: pd.DataFrame):
    if kind == "two_stage_fpc":
        return make_design(d, weights="weight", strata="stratum", psu="psu", fpc="N1",
                           ssu="ssu", fpc2="M2", keep_data=True)
    if kind in ("replicate_jk1", "raked_replicate", "bounded_replicate"):
        des = make_replicate_design(d, weights="weight", replicates="^jk1_\\d+$", type="JK1",
                                    keep_data=True)
    else:
        des = make_design(d, weights="weight", strata="country", psu="psu", keep_data=True)
    method = {"raked": {"method": "rake", "epsilon": 1e-13},
              "raked_replicate": {"method": "rake", "epsilon": 1e-13},
              "greg": {"method": "linear"},
              "greg_bounded": {"method": "linear", "bounds": [0.7, 1.4], "epsilon": 1e-12},
              "bounded_replicate": {"method": "raking", "bounds": [0.7, 1.4],
                                    "epsilon": 1e-12}}.get(kind)
    if method:
        spec = calibration_spec(**method, variables=["agegrp", "sex"],
                                totals=str(GOLDEN / "calibration_totals.csv"))
        des = calibrate(des, d, spec)
    return des


def estimates(kind: str, factor: float, full: bool = True) -> dict[str, np.ndarray]:
    """Every estimate and SE the engine gives on design ``kind`` with the weights x factor
    (warnings are errors: an overflow or a division by zero is a failure here); ``full=False``:
    the logistic fit, a mean and a proportion only (the random scales: a test's time)."""
    frame = DATA["fpc" if kind == "two_stage_fpc" else "rep"]
    d = _scaled(frame, factor)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        des = _design(kind, d)
        unscale = 1.0 if des.calibration else factor
        out: dict[str, np.ndarray] = {}
        if kind == "two_stage_fpc":
            fits = {"logit": fit_svy_logit("y ~ age + female + efficacy", des)}
            if full:
                fits["count"] = fit_svy_logit("efficacy ~ age + female", des, family="count")
            mean = svy_mean(d["age"].to_numpy(float), des)
            prop = svy_proportion(d["y"].to_numpy(float), des)
        else:
            dom = (d["country"] == "BB").to_numpy()
            fits = {"logit": fit_svy_logit("collective ~ age + female + efficacy", des)}
            mean = svy_mean(d["age"].to_numpy(float), des, domain=dom)
            prop = svy_proportion(d["individual"].to_numpy(float), des)
        if full and kind != "two_stage_fpc":
            fits["domain"] = fit_svy_logit("individual ~ age + efficacy", des, domain=dom)
            fits["ordinal"] = fit_svy_olr(d, "agegrp ~ female + efficacy", design=des)
            table, info = contrast_test(d, ("individual", "collective"),
                                        "~ age + female + efficacy", design=des)
            out["contrast"] = table[["difference", "std_error", "statistic"]].to_numpy(float)
            out["contrast_df"] = np.array([info["df_resid"]], float)
            out["ame"] = average_marginal_effects(fits["logit"])[
                ["estimate", "std_error"]].to_numpy(float)
        for name, res in fits.items():
            assert not res.flags, res.flags
            out[name] = np.r_[res.params.to_numpy(), np.sqrt(np.diag(res.cov.to_numpy())),
                              res.df_resid]
            # a total: on the weights' scale (calibrated weights: the population's)
            out[f"{name}_weighted_n"] = np.array([res.stats["weighted_n"] / unscale])
        out["mean"] = np.array([mean[k] for k in ("estimate", "std_error", "conf_low")])
        out["proportion"] = np.array([prop[k] for k in ("estimate", "std_error", "conf_high")])
        out["weights"] = des.weights / unscale
    return out


BASE = {}


def base(kind: str, factor: float = 1.0, full: bool = True) -> dict[str, np.ndarray]:
    if (kind, factor, full) not in BASE:
        BASE[kind, factor, full] = estimates(kind, factor, full)
    return BASE[kind, factor, full]


def assert_same(kind: str, factor: float, reference: float = 1.0, full: bool = True) -> None:
    ref, got = base(kind, reference, full), estimates(kind, factor, full)
    assert set(got) == set(ref)
    assert all(np.isfinite(v).any() for v in ref.values())
    for name in ref:
        # empty cells (a joint test has no single difference) stay the same cells
        assert np.array_equal(np.isfinite(got[name]), np.isfinite(ref[name])), name
        np.testing.assert_allclose(got[name], ref[name], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{kind}: {name} at weights x {factor!r}")


@pytest.mark.parametrize("kind", DESIGNS)
@pytest.mark.parametrize("factor", [1e-300, 1e300])
def test_the_extreme_scales_change_nothing(kind, factor):
    """Every estimator at the scales that failed (1e300: NaN SEs and ZeroDivisionError)."""
    assert_same(kind, factor)


@pytest.mark.parametrize("kind", DESIGNS)
@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(factor=SCALES)
@example(factor=1e-20)  # measured before: log-odds off by up to 1.28, SEs by 68 %
@example(factor=1e-15)  # measured before: log-odds off by 0.11, SEs by 18 %
@example(factor=1e-12)  # 8e-5
@example(factor=2.0 ** -996)
@example(factor=2.0 ** 994)
def test_any_scale_changes_nothing(kind, factor):
    assert_same(kind, factor, full=False)


@pytest.mark.parametrize("kind", ["greg_bounded", "bounded_replicate"])
@pytest.mark.parametrize("factor", [1e-300, 1e-20, 1e-5, 0.01, 100.0, 1e8, 1e300])
def test_bounded_calibration_is_invariant_away_from_the_totals_scale(kind, factor):
    """Bounds limit new / old weight, so the old weights' scale is part of their meaning (R's
    calibrate): weights within 20 times the totals' scale are taken as given (tests/
    test_calibration_golden.py checks R's numbers there); weights further off, below (as R)
    or above it, are first rescaled to it, so every such scale gives the same calibration."""
    assert_same(kind, factor, reference=1e-3, full=False)


@given(st.floats(1e-300, 1e300).filter(lambda f: f > 0),
       st.lists(st.floats(0.05, 20.0), min_size=1, max_size=50))
@settings(max_examples=200, deadline=None)
def test_unit_weights_have_mean_between_half_and_two(factor, w):
    w = np.asarray(w) * factor
    e = unit_exponent(w)
    assert e % 2 == 0
    u = np.ldexp(w, -e)
    assert 0.5 <= u.mean() * (1 + 1e-15) and u.mean() < 2 * (1 + 1e-15)
    assert np.array_equal(np.ldexp(u, e), w)  # exact: nothing rounded


def test_weights_near_one_are_not_touched():
    """Weights with a mean in [0.5, 2) are used as given, so results of ordinary (mean-1)
    weights stay bit-identical; a power of four changes nothing at all (an even power keeps
    square roots of weights exact)."""
    des = _design("taylor", DATA["rep"])
    assert des.weight_exponent == 0 and des.unit_weights is des.weights
    ref = base("taylor")
    got = estimates("taylor", 4.0 ** 300)
    for name in ("logit", "ordinal", "mean", "proportion", "contrast"):
        np.testing.assert_array_equal(got[name], ref[name], err_msg=name)


def test_weighted_n_and_calibrated_weights_keep_the_population_scale():
    big = _design("raked", _scaled(DATA["rep"], 1e300))
    totals = pd.read_csv(GOLDEN / "calibration_totals.csv")
    assert big.weights.sum() == pytest.approx(float(totals["total"].iloc[0]), rel=1e-12)
    tiny = fit_svy_logit("collective ~ age", _design("taylor", _scaled(DATA["rep"], 1e-300)))
    assert tiny.stats["weighted_n"] == pytest.approx(DATA["rep"]["weight"].sum() * 1e-300,
                                                     rel=1e-12)


def test_a_non_finite_standard_error_is_flagged_not_ok(monkeypatch):
    """Whatever its cause, a NaN variance is never reported as an ok fit: the term is named
    in a ``non_finite`` flag, so the model stage marks the fit flagged."""
    from coprod.survey import glm as survey

    real = survey.score_cov

    def broken(*a, **k):
        B = real(*a, **k)
        B[1, 1] = np.nan
        return B

    monkeypatch.setattr(survey, "score_cov", broken)
    res = fit_svy_logit("collective ~ age + female", _design("taylor", DATA["rep"]))
    assert [f["flag"] for f in res.flags] == ["non_finite"]
    # the NaN spreads through the sandwich to every term; each is named
    assert res.term_flags == dict.fromkeys(["Intercept", "age", "female"], "non_finite")
    assert "['Intercept', 'age', 'female']" in res.flags[0]["detail"]
    assert res.tidy()["std_error"].isna().all()


def test_the_model_stage_at_weights_x_1e_minus_300_equals_scale_1():
    """End to end through the model stage (models.fit_sample, as the rule calls it) on the
    bundled clean table: the pooled logit and ordinal models with every weight x 1e-300 give
    the coefficients, SEs and status of the weights as they are."""
    from coprod.pipeline.clean import clean_survey
    from coprod.pipeline.codebook import load_codebook
    from coprod.pipeline.models import fit_sample

    cfg = safe_load((ROOT / "config" / "config.yaml").read_text())
    cb = load_codebook(ROOT / "config" / "codebook.yaml")
    table = clean_survey(cb, root=ROOT, threshold=cfg["cleaning"]["threshold"],
                         group_column=cfg["groups"]["column"])[0]
    design = DesignSettings.from_params({k: cfg["design"].get(k) for k in (
        "weights", "strata", "psu", "lonely_psu", "model_based", "deff")})
    m = cfg["models"]
    outcomes = ["collective_any", "individual_domains"]

    def run(factor):
        t = table.copy()
        t[design.weights] = t[design.weights] * factor
        return fit_sample(t, outcomes=outcomes, sample="pooled", covariates=m["covariates"],
                          reference_levels=m["reference_levels"], design=design,
                          families={"individual_domains": "ordinal"}, margins=False)

    one, tiny = run(1.0), run(1e-300)
    for o in outcomes:
        a, b = one[o]["coefficients"], tiny[o]["coefficients"]
        assert tiny[o]["fit"]["status"].iloc[0] == one[o]["fit"]["status"].iloc[0] != "failed"
        np.testing.assert_allclose(b[["estimate", "std_error"]].to_numpy(float),
                                   a[["estimate", "std_error"]].to_numpy(float),
                                   rtol=RTOL, atol=ATOL)


def test_imputation_with_the_weight_as_predictor_at_any_scale():
    """The weight is a predictor of the imputation models (imputation.auxiliary's default):
    at weights x 1e-6 their covariance was not positive semi-definite, at x 1e300 it
    overflowed. Now weights x a power of four give the same imputations bit for bit, and any
    other factor runs cleanly (its draws differ as any rounding makes a chain's draws differ)."""
    from coprod.pipeline.impute import impute_chain

    rng = np.random.default_rng(1)
    n = 300
    t = pd.DataFrame({"age": rng.normal(50, 10, n), "w": rng.uniform(0.3, 3, n),
                      "g": pd.Categorical(rng.choice(["a", "b", "c"], n)),
                      "y": rng.integers(0, 2, n).astype(float)})
    t.loc[rng.random(n) < 0.2, "age"] = np.nan
    t.loc[rng.random(n) < 0.2, "g"] = np.nan

    def run(factor):
        d = t.assign(w=t["w"] * factor)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            return impute_chain(d, variables=["age", "g"], auxiliary=["y", "w"], group=None,
                                n_imputations=2, seed=3)

    one = run(1.0)
    for factor in (4.0 ** 250, 4.0 ** -250):
        pd.testing.assert_frame_equal(run(factor), one)
    for factor in (1e300, 1e-300, 1e-6):
        out = run(factor)
        assert len(out) == len(one)
        ages = out.loc[out["variable"] == "age", "value"].astype(float)
        assert ages.between(t["age"].min(), t["age"].max()).all()  # PMM: observed values
        assert set(out.loc[out["variable"] == "g", "value"]) <= {"a", "b", "c"}


def test_model_based_errors_of_constant_weights_are_those_of_no_weights():
    """Model-based (glm) errors are for unweighted data, which constant weights are: weights
    all 5 (or 1e-300) give the errors of no weights, not errors shrunk by the constant."""
    d = DATA["rep"]
    plain = make_design(d, keep_data=True)
    res0 = fit_svy_logit("collective ~ age + female", plain, model_based=True)
    olr0 = fit_svy_olr(d, "agegrp ~ female + efficacy", design=plain, model_based=True)
    p0 = svy_proportion(d["individual"].to_numpy(float), plain, model_based=True)
    for c in (5.0, 1e-300, 1e300):
        des = make_design(d.assign(weight=c), weights="weight", keep_data=True)
        res = fit_svy_logit("collective ~ age + female", des, model_based=True)
        np.testing.assert_allclose(res.cov.to_numpy(), res0.cov.to_numpy(), rtol=RTOL, atol=ATOL)
        olr = fit_svy_olr(d, "agegrp ~ female + efficacy", design=des, model_based=True)
        np.testing.assert_allclose(olr.cov.to_numpy(), olr0.cov.to_numpy(), rtol=RTOL, atol=ATOL)
        p = svy_proportion(d["individual"].to_numpy(float), des, model_based=True)
        assert p["std_error"] == pytest.approx(p0["std_error"], rel=RTOL)


@pytest.mark.parametrize("scale", [1e-170, 1.0, 1e200])
def test_the_design_effect_of_weighting_does_not_depend_on_the_scale(scale):
    """Kish's 1 + CV^2 (the Methods' "design effect due to weighting") overflowed to nan at
    weights x 1e200 and underflowed at x 1e-170 (found by review)."""
    from coprod.survey.calibration import weights_summary

    w = np.array([1.0, 2.0, 3.0])
    assert weights_summary(w * scale)["deff_weighting"] == pytest.approx(14 * 3 / 36,
                                                                         rel=1e-12)
