"""Config checks: every mistake gets one line naming the key and value, with a suggestion."""
import copy

import pytest
from catalogue import safe_load
from conftest import ROOT

from coprod.errors import ConfigError
from coprod.pipeline.codebook import load_codebook
from coprod.pipeline.config import check_config
from coprod.pipeline.settings import load_settings


@pytest.fixture(scope="module")
def base():
    cfg = safe_load((ROOT / "config" / "config.yaml").read_text())
    return cfg, load_codebook(ROOT / "config" / "codebook.yaml")


def check(cfg, cb):
    check_config(load_settings(cfg, cb))  # the schema check first (load_settings'), then these


def test_bundled_config_is_valid(base):
    check(*base)


@pytest.mark.parametrize("edit, needle", [
    (lambda c: c["cleaning"].update(treshold="often"), "unknown key 'cleaning.treshold' (did you mean 'threshold'?)"),
    (lambda c: c.update(model={}), "unknown key 'model' (did you mean 'models'?)"),
    (lambda c: c["models"].update(conf_level=1.5), "models.conf_level"),
    (lambda c: c["models"].update(outcomes="individual_any"), "models.outcomes"),
    (lambda c: c["models"]["covariates"].append("gendr"), "'gendr' is not a column of the clean table (did you mean 'gender'?)"),
    (lambda c: c["models"]["reference_levels"].update(gender="female"), "'female' is not a level of 'gender'"),
    (lambda c: c["models"]["reference_levels"].update(age="18"), "'age' is numeric"),
    (lambda c: c["models"]["samples"].append("Uk"), "'Uk' is neither 'pooled' nor a group"),
    (lambda c: c["models"].update(contrast=["individual_any", "collective_al"]), "'collective_al' is not one of models.outcomes"),
    (lambda c: c["models"].update(contrast=["individual_any", "collective_count"]), "models.contrast: 'collective_count' is a count outcome ({collective_count: count} in models.outcomes): the contrast test compares the log odds ratios of two 0/1 outcomes"),
    (lambda c: c["design"].update(weights="wieght"), "design.weights: 'wieght' is not a column of the clean table (did you mean 'weight'?)"),
    (lambda c: c["design"].update(model_based=True), "model_based: true is only for unweighted data"),
    (lambda c: c["design"].update(lonely_psu="ignore"), "design.lonely_psu"),
    (lambda c: c["cleaning"].update(threshold="always"), "cleaning.threshold: 'always' is not a level"),
    (lambda c: c["models"]["predictions"]["age_by_gender"].update(gender=["male"]), "['male'] not among the levels of 'gender'"),
])
def test_each_mistake_is_named(base, edit, needle):
    cfg, cb = copy.deepcopy(base[0]), base[1]
    edit(cfg)
    with pytest.raises(ConfigError) as e:
        check(cfg, cb)
    assert needle in str(e.value)


def test_group_column_hint(base):
    cfg, cb = copy.deepcopy(base[0]), base[1]
    cfg["design"]["strata"] = "group"
    with pytest.raises(ConfigError, match=r"is called 'country' \(config: groups.column\)"):
        check(cfg, cb)


def test_slugs_are_readable_unique_and_only_for_paths():
    from coprod.pipeline.config import sample_slugs, slug

    assert slug("Trøndelag") == "Trondelag" and slug("Région Norte") == "Region_Norte"
    assert slug("Oslo og Viken") == "Oslo_og_Viken" and slug("Nord-Norge") == "Nord_Norge"
    assert slug("Straße") == "Strasse" and slug("Łódź") == "Lodz"
    assert slug("Ærø") == "Aero"
    out = sample_slugs(["pooled", "Nord-Norge", "Nord Norge", "nord_norge"])
    assert list(out) == ["pooled", "Nord_Norge", "Nord_Norge_2", "nord_norge_3"]
    assert list(out.values()) == ["pooled", "Nord-Norge", "Nord Norge", "nord_norge"]


def test_did_you_mean_only_for_near_spellings():
    from coprod.pipeline.codebook import did_you_mean

    assert did_you_mean("gender", ["eduyrs", "agea", "cntry"]) == ""
    assert did_you_mean("self_eficacy", ["self_efficacy", "age"]) == \
        " (did you mean 'self_efficacy'?)"
    assert did_you_mean("SEX", ["SEKS", "AGE"]) == " (did you mean 'SEKS'?)"


def test_group_column_is_configurable(base):
    cfg, cb = copy.deepcopy(base[0]), base[1]
    cfg["groups"] = {"column": "nation"}
    cfg["design"]["strata"] = "nation"
    cfg["models"]["reference_levels"]["nation"] = cfg["models"]["reference_levels"].pop("country")
    check(cfg, cb)
    cfg["models"]["reference_levels"]["nation"] = "GB"
    with pytest.raises(ConfigError, match="reference_levels.nation: 'GB' is not a level of "
                                          "'nation'"):
        check(cfg, cb)


def test_unquoted_no_in_the_config_gets_a_quote_hint(base):
    cfg, cb = copy.deepcopy(base[0]), base[1]
    cfg["models"]["predictions"]["by_informed"] = {"informed": [False, True]}
    # (a config without its file: the schema says the value is not text, and to quote it)
    with pytest.raises(ConfigError, match="models.predictions.by_informed.informed.0: False is "
                                          "not of type 'number', 'string'; YAML reads unquoted "
                                          "yes/no/on/off/true/false as a true/false value: "
                                          "write the text you meant in quotes"):
        check(cfg, cb)


def test_command_line_values_arrive_as_text_and_are_read_as_the_schema_says():
    """snakemake --config reads nested values with YAML's base loader: "50", not 50."""
    from coprod.pipeline.config import SCHEMA, command_line_scalars

    schema = safe_load(SCHEMA.read_text())
    c = {"imputation": {"m": "50", "chains": "4"},
         "models": {"conf_level": "0.9", "group_effects": "false",
                    "outcomes": ["a", {"b": "ordinal"}]},
         "report": {"figures": {"dpi": "150"}, "title": "2008"}}
    out = command_line_scalars(c, schema)
    assert out["imputation"] == {"m": 50, "chains": 4}
    assert out["models"]["conf_level"] == 0.9 and out["models"]["group_effects"] is False
    assert out["report"]["figures"]["dpi"] == 150
    assert out["report"]["title"] == "2008"            # a string stays a string
    assert command_line_scalars({"imputation": {"m": "many"}}, schema) == \
        {"imputation": {"m": "many"}}                   # left for the schema check to name


def test_the_model_jobs_receive_every_design_key_of_the_schema():
    """common.smk's design_params() and the in-process model stage pass designspec's
    DESIGN_KEYS: a key added to the schema must reach the model jobs too."""
    from coprod.pipeline.designkeys import DESIGN_KEYS, design_settings

    schema = safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    assert sorted(DESIGN_KEYS) == sorted(schema["properties"]["design"]["properties"])
    assert design_settings({"weights": "w"}) == {k: "w" if k == "weights" else None
                                                 for k in DESIGN_KEYS}


@pytest.mark.parametrize("compare, needle", [
    (["individual_any", "individual_domains"],
     "report.figures.compare: 'individual_domains' is an ordinal outcome ({individual_domains: "
     "ordinal} in models.outcomes): the compared pair is drawn side by side as 0/1 outcomes"),
    (["individual_count", "collective_any"], "'individual_count' is a count outcome"),
    (["individual_any", "individual_al"],
     "report.figures.compare: 'individual_al' is not one of models.outcomes (did you mean"),
])
def test_compare_says_what_it_cannot_draw(base, compare, needle):
    """An outcome models.outcomes has as {name: ordinal} is there: the refusal says what it
    is and why the compared pair cannot be it, not that it is missing (issue 29)."""
    from coprod.pipeline.reportsettings import report_settings

    cfg, cb = copy.deepcopy(base[0]), base[1]
    cfg["report"]["figures"]["compare"] = compare
    with pytest.raises(ConfigError) as e:
        report_settings(load_settings(cfg, cb))
    assert needle in str(e.value)
    assert "the 0/1 outcomes are individual_any, collective_any" in str(e.value) \
        or "did you mean" in str(e.value)


def test_every_outcome_kind_goes_into_a_model_table(base):
    """A model table takes ordinal and count outcomes too (report.tables.models.*.outcomes)."""
    from coprod.pipeline.reportsettings import report_settings

    cfg, cb = copy.deepcopy(base[0]), base[1]
    cfg["report"]["tables"]["models"]["mixed"] = {
        "samples": ["pooled"], "outcomes": ["individual_any", "individual_domains",
                                            "individual_count"]}
    t = report_settings(load_settings(cfg, cb))["tables"]["models"]["mixed"]
    assert t["families"] == {"individual_any": "logit", "individual_domains": "ordinal",
                             "individual_count": "count"}


# every key that names outcomes, given an ordinal and a count outcome of models.outcomes
# ({individual_domains: ordinal}, {individual_count: count} in the bundled config): accepted
# where it can use them, else refused saying what kind the outcome is and what the key takes --
# never "is not one of models.outcomes" about an outcome that is there (issue 29)
OUTCOME_KEYS = {
    "report.figures.compare": (lambda c, o: c["report"]["figures"].update(
        compare=["individual_any", o]), "the compared pair is drawn side by side as 0/1 "
                                        "outcomes"),
    "models.contrast": (lambda c, o: c["models"].update(contrast=["individual_any", o]),
                        "the contrast test compares the log odds ratios of two 0/1 outcomes"),
    "models.scales": (lambda c, o: c["models"]["scales"].update({o: ["collective_count"]}),
                      "its keys are 0/1 outcomes, each listing its ordinal and count versions"),
    "report.tables.models.*.outcomes": (lambda c, o: c["report"]["tables"]["models"].update(
        mine={"samples": ["pooled"], "outcomes": [o]}), None),
    "imputation.outcomes": (lambda c, o: c["imputation"].update(
        outcomes=["individual_any", o]), None),
    "imputation.auxiliary": (lambda c, o: c["imputation"].update(auxiliary=[o]), None),
    "report.descriptives.variables": (lambda c, o: c["report"]["descriptives"].update(
        variables=["age", o]), None),
}


@pytest.mark.parametrize("outcome, kind", [("individual_domains", "an ordinal outcome"),
                                           ("individual_count", "a count outcome")])
@pytest.mark.parametrize("key", list(OUTCOME_KEYS))
def test_each_outcome_key_takes_or_names_the_kind_it_cannot_use(base, key, outcome, kind):
    from coprod.pipeline.reportsettings import report_settings

    edit, why = OUTCOME_KEYS[key]
    cfg, cb = copy.deepcopy(base[0]), base[1]
    edit(cfg, outcome)
    settings = load_settings(cfg, cb)
    if why is None:  # accepted: the checks pass and the key keeps the outcome
        check_config(settings)
        resolved = report_settings(settings)
        if key.startswith("report.tables"):
            assert resolved["tables"]["models"]["mine"]["families"] == {
                outcome: "ordinal" if "ordinal" in kind else "count"}
        return
    with pytest.raises(ConfigError) as e:
        check_config(settings)
        report_settings(settings)
    family = "ordinal" if "ordinal" in kind else "count"
    assert f"{key}: '{outcome}' is {kind} ({{{outcome}: {family}}} in models.outcomes): " \
           f"{why}" in str(e.value)
    assert "is not one of models.outcomes" not in str(e.value)
