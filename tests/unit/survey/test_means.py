"""The engine's means and proportions of domains (R's svymean, svyciprop 'logit'): textbook
cases, the closed-form proportion against the design-based logistic fit it replaces, and the
notes that say why an estimate has no interval. Designs are given as the config's design:
section would give them, built by the engine's make_design."""
import numpy as np
import pytest
from conftest import small_survey

from coprod.errors import DataError
from coprod.survey import make_design, svy_mean, svy_proportion


@pytest.fixture
def survey():
    return small_survey()


DESIGN = {"weights": "weight", "strata": "country", "psu": None, "lonely_psu": "adjust",
          "model_based": False}


def est(fn, y, data, cfg, domain=None, conf_level=0.95):
    """``fn`` (svy_mean or svy_proportion) on the design ``cfg`` describes."""
    design = make_design(data, weights=cfg.get("weights"), strata=cfg.get("strata"),
                         psu=cfg.get("psu"), lonely_psu=cfg.get("lonely_psu", "adjust"),
                         keep_data=True)
    return fn(y, design, domain, conf_level, model_based=bool(cfg.get("model_based")))


def test_svy_mean_of_a_simple_random_sample_is_the_textbook_mean(survey):
    full = survey.dropna(subset=["age"])
    r = est(svy_mean, full["age"].to_numpy(), full, {})
    age = full["age"]
    assert r["n"] == len(age)
    assert r["estimate"] == pytest.approx(age.mean())
    assert r["std_error"] == pytest.approx(age.std(ddof=1) / np.sqrt(len(age)))


def test_proportion_agrees_with_the_linearised_mean(survey):
    """The logit interval comes from the public estimator; its SE must equal the ratio mean's."""
    y = survey["y"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    dom = (survey["country"] == "B").to_numpy()
    p = est(svy_proportion, y, survey, DESIGN, dom)
    m = est(svy_mean, y, survey, DESIGN, dom)
    assert p["estimate"] == pytest.approx(m["estimate"])
    assert p["std_error"] == pytest.approx(m["std_error"], rel=1e-6)
    assert 0 < p["conf_low"] < p["estimate"] < p["conf_high"] < 1
    assert p["n"] == int((dom & ~np.isnan(y)).sum())


DESIGNS = {
    "weights+strata": DESIGN,
    "weights+strata+clusters": {**DESIGN, "psu": "psu"},
    "clusters only": {"weights": None, "strata": None, "psu": "psu", "lonely_psu": "adjust",
                      "model_based": False},
    "model-based": {"weights": None, "strata": None, "psu": None, "lonely_psu": "adjust",
                    "model_based": True},
}


@pytest.mark.parametrize("name", list(DESIGNS))
@pytest.mark.parametrize("conf_level", [0.95, 0.9])
def test_closed_form_proportion_is_the_intercept_only_svy_logit(survey, name, conf_level):
    """The closed form against the iterative design-based fit it replaces (svyciprop 'logit':
    the intercept-only model on the domain, with the whole design kept)."""
    from scipy.special import expit

    from coprod.survey.glm import fit_svy_logit

    design = DESIGNS[name]
    data = survey.assign(psu=np.arange(len(survey)) // 4)
    y = data["y"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    dom = (data["country"] != "A").to_numpy()
    got = est(svy_proportion, y, data, design, dom, conf_level)
    inside = dom & ~np.isnan(y)
    frame = data.assign(coprod_y=np.where(inside, y, 0.0))
    res = fit_svy_logit(frame, "coprod_y ~ 1", weights=design["weights"],
                        strata=design["strata"], psu=design["psu"], domain=inside,
                        model_based=design["model_based"], conf_level=conf_level)
    row = res.tidy().iloc[0]
    p = expit(row["estimate"])
    assert got["estimate"] == pytest.approx(p, rel=1e-10)
    assert got["std_error"] == pytest.approx(row["std_error"] * p * (1 - p), rel=1e-8)
    assert got["conf_low"] == pytest.approx(expit(row["conf_low"]), rel=1e-8)
    assert got["conf_high"] == pytest.approx(expit(row["conf_high"]), rel=1e-8)


def test_proportion_of_a_domain_with_one_psu_is_not_estimable(survey):
    data = survey.assign(psu=0)
    y = data["y"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    r = est(svy_proportion, y, data, {**DESIGN, "strata": None, "psu": "psu"}, None)
    assert np.isnan(r["conf_low"]) and r["note"].startswith("not estimable: no residual")


@pytest.mark.parametrize("bad", [2.0, 0.5])
def test_proportion_of_values_not_coded_0_1_is_not_estimable(survey, bad):
    y = survey["y"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    y[0] = bad
    r = est(svy_proportion, y, survey, DESIGN, None)
    assert np.isnan(r["estimate"]) and "coded 0/1" in r["note"] and f"{bad:g}" in r["note"]


def test_proportion_whose_events_all_weigh_zero_is_zero_without_interval(survey):
    data = survey.assign(weight=np.where(survey["y"].fillna(0) == 1, 0.0, 1.0))
    y = data["y"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    r = est(svy_proportion, y, data, DESIGN, None)
    assert r["estimate"] == 0 and np.isnan(r["conf_low"]) and "no variation" in r["note"]


def test_proportion_without_variation_has_no_interval(survey):
    r = est(svy_proportion, np.zeros(len(survey)), survey, DESIGN, None)
    assert r["estimate"] == 0 and np.isnan(r["conf_low"]) and "no variation" in r["note"]


@pytest.mark.parametrize("name", list(DESIGNS))
def test_mean_of_a_one_respondent_domain_has_no_interval_and_says_why(survey, name):
    """One respondent: the mean is its value, with no interval (its variance would be 0, a
    zero-width interval), and a note, as a proportion's 'not estimable'."""
    data = survey.assign(psu=np.arange(len(survey)) // 4)
    dom = np.zeros(len(data), bool)
    dom[10] = True
    r = est(svy_mean, data["age"].to_numpy(), data, DESIGNS[name], dom)
    assert r["n"] == 1 and r["estimate"] == pytest.approx(data["age"].iloc[10])
    assert np.isnan(r["conf_low"]) and np.isnan(r["std_error"])
    assert r["note"].startswith("not estimable: one respondent")


def test_the_variable_and_the_domain_may_be_columns_of_the_design_data(survey):
    """As R's svymean(~age, subset(design, ...)): column names of the design's data give the
    same numbers as the values; without the data, a name is refused by argument."""
    data = survey.assign(in_b=(survey["country"] == "B").astype(int))
    design = make_design(data, weights="weight", strata="country", keep_data=True)
    by_name = svy_mean("age", design, "in_b")
    by_value = svy_mean(data["age"].to_numpy(), design, data["in_b"].to_numpy(bool))
    assert by_name == by_value
    bare = make_design(data, weights="weight", strata="country")
    with pytest.raises(DataError, match="^y: 'age' names a column") as exc:
        svy_proportion("age", bare)
    assert exc.value.argument == "y"
    with pytest.raises(DataError, match="^y: 3 values for a design of 600 rows"):
        svy_mean([1.0, 2.0, 3.0], design)


def test_deff_is_chosen_per_call_as_rs_deff_argument(survey):
    """R's ``svymean(deff = ...)`` is an argument of the call: True/"srswor", "replace" give
    what a design built with that kind gives, False leaves the design effect out, and the
    default is the design's own kind (the pipeline's config)."""
    from coprod.errors import ConfigError

    kw = {"weights": "weight", "strata": "country", "lonely_psu": "adjust", "keep_data": True}
    srswor, replace = make_design(survey, **kw), make_design(survey, deff="replace", **kw)
    for fn, y in ((svy_mean, "age"), (svy_proportion, "y"), (svy_mean, "country")):
        def deff(out):
            return out["deff"].tolist() if hasattr(out, "columns") else out["deff"]
        assert deff(fn(y, replace)) == deff(fn(y, srswor, deff="replace"))
        assert deff(fn(y, srswor)) == deff(fn(y, replace, deff=True)) \
            == deff(fn(y, replace, deff="srswor"))
        assert deff(fn(y, srswor)) != deff(fn(y, srswor, deff="replace"))
        none = fn(y, srswor, deff=False)
        keys = set(none.columns) if hasattr(none, "columns") else set(none)
        assert not keys & {"deff", "n_effective"}
        with pytest.raises(ConfigError, match=r"^deff: must be True, False or one of"):
            fn(y, srswor, deff="yes")


def test_a_design_prints_in_one_line_not_its_arrays(survey):
    """``repr(design)``: R's ``print(design)`` in a line -- rows, domain, calibration and the
    design's sentence -- never the weights (a 1M-row design would print megabytes)."""
    from coprod.survey import as_replicate

    d = make_design(survey, weights="weight", strata="country", keep_data=True)
    text = repr(d)
    assert text.startswith(f"<SurveyDesign: {len(survey)} rows; weights 'weight'")
    assert "array" not in text and len(text) < 600
    dom = d.domain(survey["country"] == survey["country"].iloc[0])
    assert f"(domain: {int((survey['country'] == survey['country'].iloc[0]).sum())})" \
        in repr(dom)
    rep = repr(as_replicate(d, "JKn"))
    assert rep.startswith(f"<ReplicateDesign: {len(survey)} rows;") and "array" not in rep
