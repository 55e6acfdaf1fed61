"""An empty models.outcomes (no models) or models.covariates (intercept-only models): the
config is accepted, the keys with nothing to act on are set aside and named, what each run
writes follows (coprod.pipeline.modelplan); and an intercept-only model is the prevalence."""
import copy

import numpy as np
import pytest
from catalogue import safe_load
from conftest import ROOT

from coprod.errors import ConfigError
from coprod.pipeline.codebook import load_codebook
from coprod.pipeline.modelplan import (
    FULL,
    INTERCEPT_ONLY,
    MODEL_TABLES,
    NO_MODELS,
    aside_keys,
    model_tables,
    plan_note,
)
from coprod.pipeline.reportsettings import (
    ReportSettings,
    figure_names,
    report_settings,
    table_names,
)
from coprod.pipeline.settings import load_settings


@pytest.fixture(scope="module")
def base():
    cfg = safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    return cfg, load_codebook(ROOT / "config" / "codebook.yaml")


def edited(base, **models):
    cfg = copy.deepcopy(base[0])
    cfg["models"].update(models)
    return cfg


#: every key the bundled config sets that an empty list leaves nothing to act on
BUNDLED_ASIDE = ["models.contrast", "models.scales", "models.joint_tests",
                 "models.predictions", "imputation.analyses", "specifications",
                 "report.findings", "report.per", "report.tables.models",
                 "report.figures.predictions"]


def test_the_full_plan_sets_nothing_aside(base):
    cfg = copy.deepcopy(base[0])
    s = load_settings(cfg, base[1])
    assert s.models.plan == FULL and s.set_aside == () and aside_keys(FULL) == []
    assert s.models.contrast == ("individual_any", "collective_any")
    assert s.imputation.analyses == "both" and s.report["findings"] == "config/findings.yaml"
    assert model_tables(FULL) == list(MODEL_TABLES[FULL])
    assert plan_note(FULL, []) == ""


def test_no_covariates_are_intercept_only_models_and_set_aside_what_needs_them(base):
    cfg = edited(base, covariates=[])
    s = load_settings(cfg, base[1], in_place=True)
    assert s.models.plan == INTERCEPT_ONLY
    assert [k for k, _ in s.set_aside] == BUNDLED_ASIDE
    assert dict(s.set_aside)["report.findings"] == "the claims check of config/findings.yaml"
    # set aside in the config the rules read, too
    m = cfg["models"]
    assert m["contrast"] is None and m["scales"] == {} and m["joint_tests"] == {}
    assert m["predictions"] == {}
    assert m["group_effects"] is False  # y ~ 1 on everyone: the pooled prevalence
    assert cfg["imputation"]["analyses"] == "complete_case"
    assert cfg["report"]["findings"] is None and cfg["report"]["per"] == {}
    assert set(cfg["specifications"]) == {"imputations", "chunks"}  # no dimension left
    assert s.models.group_effects is False and s.models.contrast is None
    # only what needs no covariate is written: no margins, tests, effect sizes, cuts
    assert model_tables(INTERCEPT_ONLY) == ["coefficients", "fit", "flags", "excluded", "vcov"]
    r = ReportSettings.from_params(report_settings(s))
    assert r.plan == INTERCEPT_ONLY
    # no forest plot or prediction figure (nothing to draw), no scales table; the
    # descriptives' prevalence figure stays; no descriptives table (no variable to describe)
    assert figure_names(r) == ["prevalence", "cleaning"]
    assert table_names(r, contrast=False) == ["prevalence_models", "cleaning"]
    assert r.title.startswith("Who co-produces?")  # the user's title is kept


def test_no_outcomes_fit_no_model_and_describe_the_covariates(base):
    cfg = edited(base, outcomes=[])
    cfg["report"]["figures"]["compare"] = ["individual_any", "collective_any"]
    s = load_settings(cfg, base[1])
    assert s.models.plan == NO_MODELS and model_tables(NO_MODELS) == []
    assert [k for k, _ in s.set_aside] == [*BUNDLED_ASIDE[:-1], "report.figures.compare",
                                           "report.figures.predictions"]
    assert s.models.group_effects is True  # (moot: no model)
    r = ReportSettings.from_params(report_settings(s))
    assert list(r.descriptives["variables"]) == base[0]["models"]["covariates"]
    assert figure_names(r) == ["cleaning"]  # no outcome: no prevalence figure
    assert table_names(r, contrast=False) == ["descriptives", "cleaning"]


def test_a_default_title_says_what_the_run_is(base):
    for models, title in (({"covariates": []}, "Prevalence of co-production: "),
                          ({"outcomes": []}, "Descriptives: ")):
        cfg = edited(base, **models)
        cfg["report"]["title"] = None
        r = report_settings(load_settings(cfg, base[1]))
        assert r["title"].startswith(title), r["title"]


def test_the_note_names_only_the_keys_the_config_set(base):
    cfg = edited(base, covariates=[], scales={}, joint_tests={}, predictions={})
    cfg["models"].pop("contrast")
    cfg["imputation"]["analyses"] = "complete_case"
    cfg["specifications"] = {}
    cfg["report"].update(findings=None, per={})
    cfg["report"]["tables"].pop("models")
    cfg["report"]["figures"].pop("predictions")
    s = load_settings(cfg, base[1], in_place=True)
    assert s.set_aside == ()
    # a default that would act (the schema's model tables) is set aside all the same, unsaid
    assert cfg["report"]["tables"]["models"] == {}
    note = plan_note(s.models.plan, [])
    assert note.startswith("models.covariates is empty: intercept-only models (y ~ 1)")
    assert "set aside" not in note
    s = load_settings(edited(base, outcomes=[]), base[1])
    note = plan_note(s.models.plan, list(s.set_aside))
    assert note.startswith("models.outcomes is empty: no model is fitted")
    assert "set aside, with nothing to act on: models.contrast (the contrast test)" in note


def test_the_start_up_says_it_in_one_line_and_stops_when_nothing_is_left(base, monkeypatch,
                                                                        capsys):
    from coprod.pipeline.startup import check_project

    monkeypatch.chdir(ROOT)
    project = check_project(edited(base, covariates=[]))
    assert project["plan"] == INTERCEPT_ONLY
    err = capsys.readouterr().err
    notes = [ln for ln in err.splitlines() if ln.startswith("coprod note: models.covariates")]
    assert len(notes) == 1 and "report.findings (the claims check of " in notes[0]
    # no claims check: the findings are set aside before they would be checked
    assert project["report"]["findings"] is None
    with pytest.raises(ConfigError, match="models.outcomes is empty and there is nothing to "
                                          "describe .*report.descriptives.variables"):
        check_project(edited(base, outcomes=[], covariates=[]))
    cfg = edited(base, outcomes=[], covariates=[])
    cfg["report"]["descriptives"]["variables"] = ["age", "individual_any"]
    assert check_project(cfg)["plan"] == NO_MODELS  # something to describe: it runs


def test_an_intercept_only_model_is_the_prevalence():
    """y ~ 1 in a group equals the group's prevalence (descriptives), and the pooled model
    without group fixed effects the prevalence of everyone (svy_proportion on the whole
    design): estimate and logit interval."""
    from conftest import small_survey

    from coprod.pipeline.descriptives import prevalence
    from coprod.pipeline.designconfig import design_from_config
    from coprod.pipeline.designkeys import DesignSettings
    from coprod.pipeline.models import fit_sample
    from coprod.report.intercepts import back_transformed
    from coprod.survey.means import svy_proportion

    df = small_survey()
    df.attrs["group_column"] = "country"  # as the clean table's metadata names it
    design = DesignSettings.from_params({"weights": "weight", "strata": "country",
                                         "psu": None})
    prev = prevalence(df, ["y"], design)
    built = design_from_config(df, design)
    whole = svy_proportion(df["y"].astype("Float64").to_numpy(dtype=float, na_value=np.nan),
                           built, None, 0.95)
    for sample in ("pooled", "B"):
        fit = fit_sample(df, outcomes=["y"], sample=sample, covariates=[],
                         reference_levels={}, design=design, group_effects=False)["y"]
        coef = fit["coefficients"]
        assert list(coef["term"]) == ["Intercept"]
        got = back_transformed(coef.iloc[0].to_dict(), "logit")
        want = whole if sample == "pooled" else prev[prev["group"] == "B"].iloc[0]
        np.testing.assert_allclose(got, [want["estimate"], want["conf_low"],
                                         want["conf_high"]], rtol=1e-9)
