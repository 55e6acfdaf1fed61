"""The model stage on the bundled data: generating values recovered, published directions hold,
and a model that cannot be estimated is reported, not faked."""
import numpy as np
import pandas as pd
import pytest
from catalogue import safe_load
from conftest import ROOT

from coprod.pipeline.clean import clean_survey
from coprod.pipeline.codebook import load_codebook
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.models import contrast_sample, fit_model, term_parts
from coprod.pipeline.simulate import GENERATING_VALUES

CFG = safe_load((ROOT / "config" / "config.yaml").read_text())
DESIGN = DesignSettings.from_params(
    {k: CFG["design"].get(k) for k in ("weights", "strata", "psu", "lonely_psu", "model_based")})
M = CFG["models"]


@pytest.fixture(scope="module")
def table():
    cb = load_codebook(ROOT / "config" / "codebook.yaml")
    return clean_survey(cb, root=ROOT, threshold=CFG["cleaning"]["threshold"],
                        group_column=CFG["groups"]["column"])[0]


def fit(table, outcome, sample="pooled", covariates=None, **kw):
    return fit_model(table, outcome=outcome, sample=sample,
                     covariates=covariates or M["covariates"],
                     reference_levels=M["reference_levels"], design=DESIGN, **kw)


def true_terms(outcome):
    for var, v in GENERATING_VALUES[outcome].items():
        if isinstance(v, dict):
            for level, b in v.items():
                yield f"{var}[T.{level}]", b
        else:
            yield var, v


@pytest.fixture(scope="module")
def pooled(table):
    return {o: fit(table, o)["coefficients"].set_index("term")
            for o in ("individual_any", "collective_any")}


@pytest.mark.parametrize("outcome", ["individual_any", "collective_any"])
def test_pooled_estimates_recover_the_generating_values(pooled, outcome):
    """Every term within 3.5 standard errors of its generating value. Not "every 95% interval
    covers": of 36 such intervals about 2 miss by chance (the bundled draw misses 2 on complete
    cases, 1 on the imputed data); 3.5 SE is a family-wise check (a chance failure in about 1.7%
    of draws) that still catches a wrong sign or scale. The complete cases are a MAR-selected
    subsample (data/raw/README.md), whose bias for these slopes is a fraction of a SE."""
    coefs = pooled[outcome]
    terms = dict(true_terms(outcome))
    assert set(terms) == set(coefs.index)
    z = {t: (coefs.loc[t, "estimate"] - b) / coefs.loc[t, "std_error"] for t, b in terms.items()}
    assert max(abs(v) for v in z.values()) < 3.5, z


def test_published_directions_hold(pooled, table):
    ind, col = pooled["individual_any"], pooled["collective_any"]

    def sig(c, t, sign):
        return (c.loc[t, "conf_low"] > 0) if sign > 0 else (c.loc[t, "conf_high"] < 0)

    assert sig(ind, "age", +1) and sig(col, "age", -1)                  # age: + individual, - collective
    assert sig(ind, "gender[T.woman]", +1)                              # women more individual
    assert col.loc["gender[T.woman]", "conf_low"] < 0 < col.loc["gender[T.woman]", "conf_high"]
    assert sig(ind, "self_efficacy", +1) and sig(col, "self_efficacy", +1)
    assert sig(ind, "informed[T.yes]", +1) and sig(col, "informed[T.yes]", +1)
    # consulted's individual effect (log-OR 0.35) is too small for the complete cases' n to be
    # significant in every draw (this one: [-0.02, 0.34]): its sign is checked
    assert ind.loc["consulted[T.yes]", "estimate"] > 0 and sig(col, "consulted[T.yes]", +1)
    assert sig(ind, "outcome_perception", -1) and sig(col, "outcome_perception", -1)
    # self-efficacy stronger for collective: the formal contrast test
    con = contrast_sample(table, sample="pooled", outcomes=["individual_any", "collective_any"],
                          covariates=M["covariates"], reference_levels=M["reference_levels"],
                          design=DESIGN).set_index("term")
    eff = con[con["kind"] == "term"].loc["self_efficacy"]
    assert eff["difference"] > 0 and eff["conf_low"] > 0
    assert np.isclose(eff["estimate_a"], ind.loc["self_efficacy", "estimate"], atol=1e-8)
    assert np.isclose(eff["estimate_b"], col.loc["self_efficacy", "estimate"], atol=1e-8)


def test_country_model_is_a_domain_with_all_tables(table):
    out = fit(table, "individual_any", sample="DK", grids=M["predictions"])
    assert out["fit"]["status"].iloc[0] in ("ok", "flagged")
    assert not any(t.startswith("country") for t in out["coefficients"]["term"])
    assert int(out["fit"]["n"].iloc[0]) <= (table.country == "DK").sum()
    assert set(out["predictions"]["grid"]) == {"age_by_gender", "self_efficacy"}
    assert {"gender", "age", "self_efficacy"} <= set(out["ame"]["variable"])


def test_excluded_rows_are_counted(table):
    out = fit(table, "individual_any")
    f = out["fit"].iloc[0]
    used = table[["individual_any", *M["covariates"]]].notna().all(axis=1).sum()
    assert f["n"] == used
    assert f["n_excluded_missing"] == len(table) - used
    # by variable, in long form (excluded.csv): each variable's own count, so a respondent
    # missing several variables counts under each and the counts add up to more than the total
    variables = ["individual_any", *M["covariates"], "country"]
    missing = {v: int(table[v].isna().sum()) for v in variables}
    by = out["excluded"]
    assert list(by.columns) == ["outcome", "sample", "variable", "n_excluded"]
    assert (by["outcome"] == "individual_any").all() and (by["sample"] == "pooled").all()
    assert list(by["variable"]) == [v for v in variables if missing[v]]  # the model's order
    assert dict(zip(by["variable"], by["n_excluded"])) == {v: n for v, n in missing.items() if n}
    several = int((table[variables].isna().sum(axis=1) > 1).sum())
    assert several > 0 and by["n_excluded"].sum() > f["n_excluded_missing"]
    assert by["n_excluded"].max() <= f["n_excluded_missing"]


def test_the_fit_row_holds_one_value_a_cell(table):
    """No list in a cell: the flags are rows of the flags table and the fit row counts them;
    who was excluded for which variable is in the excluded table."""
    t = table.copy()
    t.loc[(t.country == "UK") & (t.employment == "unemployed"), "employment"] = "inactive"
    out = fit(t, "individual_any", sample="UK")
    f = out["fit"].iloc[0]
    assert "excluded_by" not in out["fit"].columns and "flags" not in out["fit"].columns
    assert f["status"] == "flagged" and f["n_flags"] == len(out["flags"]) > 0
    uk = t[t.country == "UK"]
    assert dict(zip(out["excluded"]["variable"], out["excluded"]["n_excluded"])) == {
        v: int(uk[v].isna().sum()) for v in ["individual_any", *M["covariates"]]
        if uk[v].isna().any()}


def test_collinear_model_fails_alone_with_the_terms_named(table):
    t = table.assign(age_copy=table["age"] * 2.0)
    out = fit(t, "individual_any", covariates=["age", "age_copy", "gender"])
    f = out["fit"].iloc[0]
    assert f["status"] == "failed"
    assert "age" in f["message"] and "age_copy" in f["message"]
    assert out["coefficients"].empty
    assert out["flags"]["flag"].tolist() == ["failed"]
    assert f["n_flags"] == 1 and out["excluded"].empty


def test_empty_level_in_a_sample_is_flagged_not_reported_as_one(table):
    t = table.copy()
    t.loc[(t.country == "UK") & (t.employment == "unemployed"), "employment"] = "inactive"
    out = fit(t, "individual_any", sample="UK")
    assert "employment[T.unemployed]" not in set(out["coefficients"]["term"])
    assert "empty_level" in set(out["flags"]["flag"])


def test_term_parts():
    assert term_parts("gender[T.woman]") == ("gender", "woman")
    assert term_parts("Q('my var')[T.a b]") == ("my var", "a b")
    assert term_parts("age") == ("age", "")


def test_no_effect_is_reported_for_an_empty_level(table):
    t = table.copy()
    t.loc[(t.country == "UK") & (t.employment == "unemployed"), "employment"] = "inactive"
    ame = fit(t, "individual_any", sample="UK")["ame"]
    assert not ame["contrast"].str.startswith("unemployed").any()
    assert ame["std_error"].gt(0).all()


def test_one_models_unexpected_error_fails_that_model_only(table, monkeypatch):
    """A bug in a later step of one model (here the prediction grid) marks that model failed;
    the sample's other models are fitted and written as usual."""
    from coprod.pipeline.models import fit_sample
    from coprod.survey import margins

    real = margins.predict_margins

    def broken(res, grid):
        if res.outcome.startswith("collective"):
            raise RuntimeError("boom")
        return real(res, grid)

    monkeypatch.setattr(margins, "predict_margins", broken)
    out = fit_sample(table, outcomes=["individual_any", "collective_any"], sample="UK",
                     covariates=M["covariates"], reference_levels=M["reference_levels"],
                     design=DESIGN, grids=M["predictions"])
    assert out["individual_any"]["fit"]["status"].iloc[0] in ("ok", "flagged")
    assert len(out["individual_any"]["predictions"]) > 0
    failed = out["collective_any"]["fit"].iloc[0]
    assert failed["status"] == "failed"
    assert failed["message"] == "unexpected error: RuntimeError: boom"


def test_a_broken_contrast_keeps_the_samples_models(table, tmp_path, monkeypatch, capsys):
    from coprod.pipeline import io, stages
    from coprod.survey import contrast

    monkeypatch.setattr(io, "read_table", lambda path: table)
    monkeypatch.setattr(contrast, "contrast_test",
                        lambda *a, **k: (_ for _ in ()).throw(ValueError("bad")))
    outcomes = ["individual_any", "collective_any"]
    paths = {o: {t: str(tmp_path / f"{o}_{t}.csv") for t in ("coefficients", "fit")}
             for o in outcomes}
    stages.run_models(table="unused", sample="pooled", outcomes=outcomes,
                      covariates=M["covariates"], reference_levels=M["reference_levels"],
                      design=DESIGN, conf_level=0.95, grids={}, contrast_outcomes=outcomes,
                      outputs=paths, contrast_output=str(tmp_path / "contrast.csv"))
    assert all(pd.read_csv(p["fit"])["status"].iloc[0] != "failed" for p in paths.values())
    c = pd.read_csv(tmp_path / "contrast.csv")
    assert c["status"].tolist() == ["failed"] and "ValueError: bad" in c["message"].iloc[0]
    assert "contrast test for pooled failed" in capsys.readouterr().err


def test_ordinal_estimates_recover_the_generating_values(table):
    """The highest collective frequency is drawn from a proportional-odds model with
    collective_any's linear predictor (simulate.PARAMS["collective_frequency"]): the ordinal fit
    recovers its coefficients and its two cut-points, -(Intercept + shift) and -Intercept
    in R's svyolr sign."""
    from coprod.pipeline.simulate import PARAMS

    coefs = fit(table, "collective_any_level",
                families={"collective_any_level": "ordinal"})["coefficients"].set_index("term")
    truth = dict(true_terms("collective_any"))
    b0 = truth.pop("Intercept")
    shift = PARAMS["collective_frequency"]["sometimes_shift"]
    truth.update({"never|sometimes": -(b0 + shift), "sometimes|often": -b0})
    assert set(truth) == set(coefs.index)
    z = {t: (coefs.loc[t, "estimate"] - b) / coefs.loc[t, "std_error"] for t, b in truth.items()}
    assert max(abs(v) for v in z.values()) < 3.5, z  # as for the 0/1 models, above


def test_lonely_psu_fail_fails_the_model_not_the_run(table):
    """design.lonely_psu: fail, as its key reference says: a model whose sample has a stratum
    with a single PSU is marked failed, naming the stratum (the run goes on); adjust fits it."""
    t = table.assign(psu=np.where(table["country"] == "DK", 0, np.arange(len(table)) % 7))
    design = DESIGN.replace(psu="psu", lonely_psu="fail")
    kw = dict(outcome="individual_any", sample="pooled", covariates=["age", "gender"],
              reference_levels=M["reference_levels"])
    out = fit_model(t, design=design, **kw)
    f = out["fit"].iloc[0]
    assert f["status"] == "failed" and "'DK'" in f["message"] and "fail" in f["message"], f
    assert out["coefficients"].empty
    ok = fit_model(t, design=design.replace(lonely_psu="adjust"), **kw)["fit"].iloc[0]
    assert ok["status"] != "failed", ok
    doc = safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    text = doc["properties"]["design"]["properties"]["lonely_psu"]["description"]
    assert "fail (stop)" not in text and "marked failed" in " ".join(text.split())


def test_an_ordinal_outcome_keeps_its_order_when_it_has_a_reference_level():
    """A variable that is a covariate in one analysis and the ordinal outcome in another may
    carry a reference level in the config: the outcome's order must survive it (it became
    unordered and every model failed with "has no order")."""
    import pandas as pd

    from coprod.pipeline.models import model_frame

    lv = ["0-19", "20-39", "40-59", "60+"]
    t = pd.DataFrame({"age_group": pd.Categorical(["0-19", "40-59", "60+", "20-39"],
                                                  categories=lv, ordered=True),
                      "sex": pd.Categorical(["m", "f", "f", "m"]), "region": list("abab")})
    t.attrs["group_column"] = "region"
    df = model_frame(t, ["age_group"], ["sex"], {"age_group": "20-39", "sex": "m"})
    assert df["age_group"].cat.ordered and list(df["age_group"].cat.categories) == lv
    assert list(df["sex"].cat.categories)[0] == "m"


def test_samples_fitted_together_write_what_one_job_a_sample_writes(table, tmp_path,
                                                                    monkeypatch):
    """models.jobs: together fits every sample in one job on one design; its files are byte
    for byte those of one job a sample (a sample is a domain of the whole design either way),
    and the combined tables it writes from its texts those the gather job writes from the
    files of one job a sample."""
    from coprod.pipeline import io, stages

    monkeypatch.setattr(io, "read_table", lambda path: table)
    outcomes, samples, tables = ["individual_any", "collective_any"], ["pooled", "UK", "DK"], \
        ["coefficients", "fit", "ame", "effects"]
    kw = dict(outcomes=outcomes, covariates=M["covariates"],
              reference_levels=M["reference_levels"], design=DESIGN, conf_level=0.95,
              grids={}, contrast_outcomes=outcomes)

    def paths(root, sample):
        return {o: {t: str(root / sample / o / f"{t}.csv") for t in tables} for o in outcomes}

    for s in samples:
        stages.run_models(table="unused", sample=s, outputs=paths(tmp_path / "each", s),
                          contrast_output=str(tmp_path / "each" / f"{s}_contrast.csv"), **kw)
    stages.run_models_together(
        table="unused", samples=samples,
        outputs={s: paths(tmp_path / "together", s) for s in samples},
        contrast_outputs={s: str(tmp_path / "together" / f"{s}_contrast.csv") for s in samples},
        combined={t: str(tmp_path / "combined" / f"{t}.csv") for t in [*tables, "contrast"]},
        **kw)
    # the gather job on the files of one job a sample, in the rule's order (outcome, sample)
    stages.run_gather(
        fits=[paths(tmp_path / "each", s)[o][t] for o in outcomes for s in samples
              for t in tables],
        contrast=[str(tmp_path / "each" / f"{s}_contrast.csv") for s in samples],
        tables=tables,
        outputs={t: str(tmp_path / "gathered" / f"{t}.csv") for t in [*tables, "contrast"]})
    for t in [*tables, "contrast"]:
        gathered = (tmp_path / "gathered" / f"{t}.csv").read_bytes()
        assert (tmp_path / "combined" / f"{t}.csv").read_bytes() == gathered, t
        assert gathered.count(b"\n") > len(samples), t  # the rows of every model
    each = sorted(p.relative_to(tmp_path / "each") for p in (tmp_path / "each").rglob("*.csv"))
    assert len(each) == len(samples) * (len(outcomes) * len(tables) + 1)
    assert each == sorted(p.relative_to(tmp_path / "together")
                          for p in (tmp_path / "together").rglob("*.csv"))
    for rel in each:
        assert (tmp_path / "each" / rel).read_bytes() == \
            (tmp_path / "together" / rel).read_bytes(), rel


def test_output_paths_of_the_job_fitting_every_sample():
    from coprod.pipeline.stages import fit_output_paths_by_sample

    paths = [f"{s}/{o}/{t}" for s in ("pooled", "UK") for o in ("a", "b") for t in ("x", "y")]
    got = fit_output_paths_by_sample(paths, ["pooled", "UK"], ["a", "b"], ["x", "y"])
    assert got["UK"]["b"] == {"x": "UK/b/x", "y": "UK/b/y"}
    assert got["pooled"]["a"]["y"] == "pooled/a/y"
    with pytest.raises(ValueError, match="7 output paths for 2 samples"):
        fit_output_paths_by_sample(paths[:7], ["pooled", "UK"], ["a", "b"], ["x", "y"])


@pytest.mark.parametrize("jobs, sizes, together", [
    ("together", [10 * 2 ** 20], True), ("per_sample", [1000], False),
    ("auto", [300_000] * 5, True), ("auto", [2 ** 20, 2 ** 20 + 1], False)])
def test_which_jobs_fit_the_samples(jobs, sizes, together):
    """models.jobs: auto fits a small survey's samples in one job (a job's start-up is then a
    large part of its work), a large one's in one job a sample (in parallel)."""
    from coprod.pipeline.modelplan import TOGETHER_BYTES, fit_together

    assert fit_together(jobs, sizes) is together
    assert sum([2 ** 20, 2 ** 20 + 1]) > TOGETHER_BYTES >= 5 * 300_000
