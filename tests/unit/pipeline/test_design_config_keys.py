"""One mistake, two vocabularies: the engine's error names the argument of the library call
(``rho: ...``, with ``.argument``), and the pipeline, building the same design from a config's
``design:`` section, names the config key the user wrote (``design.fay_rho: ...``)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coprod.errors import ConfigError, CoprodError, DataError
from coprod.pipeline.designconfig import calibration_from_config, design_from_config
from coprod.pipeline.designkeys import Calibration, DesignSettings, design_key_errors
from coprod.survey import as_replicate, calibration_spec, make_design, make_replicate_design
from coprod.survey.designspec import key_errors


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(26)
    n = 40
    d = pd.DataFrame({"w": rng.uniform(0.5, 2.0, n), "h": np.repeat(["a", "b"], n // 2),
                      "p": np.repeat(np.arange(8), n // 8), "sex": rng.choice(["f", "m"], n),
                      "pop": 10.0})
    for r in range(1, 5):  # the clean table's replicate columns: <codebook variable>_<r>
        d[f"rw_{r}"] = d["w"] * (0.5 + (np.arange(n) % (r + 1)) / (r + 1))
    return d


REPLICATES = {"weights": "w", "replicates": "rw"}  # the config: a codebook variable's name
ENGINE_REPLICATES = {"weights": "w", "replicates": "^rw_[0-9]+$"}


# (engine keyword arguments, the config's design section, the engine's message, the config's)
CASES = [
    ({**ENGINE_REPLICATES, "type": "Fay", "rho": 2},
     {**REPLICATES, "replicate_type": "Fay", "fay_rho": 2},
     "rho: Fay's rho must be in [0, 1), not 2", "design.fay_rho: Fay's rho must be in [0, 1)"),
    ({**ENGINE_REPLICATES, "type": "JK1", "rho": 0.5},
     {**REPLICATES, "replicate_type": "JK1", "fay_rho": 0.5},
     "rho: only for Fay replicates, not JK1", "design.fay_rho: only for Fay replicates"),
    ({**ENGINE_REPLICATES, "type": "JK2"}, {**REPLICATES, "replicate_type": "JK2"},
     "type: 'JK2' is not one of BRR", "design.replicate_type: 'JK2' is not one of BRR"),
    ({**ENGINE_REPLICATES, "type": "other"}, {**REPLICATES, "replicate_type": "other"},
     "scale: other replicates need their scale", "design.replicate_scale: other replicates"),
    ({**ENGINE_REPLICATES, "type": "BRR", "scale": -1.0},
     {**REPLICATES, "replicate_type": "BRR", "replicate_scale": -1.0},
     "scale: must be a positive number, not -1.0", "design.replicate_scale: must be a positive"),
    ({**ENGINE_REPLICATES, "type": "JKn"}, {**REPLICATES, "replicate_type": "JKn"},
     "rscales: JKn replicates need one rscale", "design.replicate_rscales: JKn replicates"),
    ({**ENGINE_REPLICATES, "type": "JKn", "rscales": [1.0, 1.0, 1.0]},
     {**REPLICATES, "replicate_type": "JKn", "replicate_rscales": [1.0, 1.0, 1.0]},
     "rscales: 3 non-negative numbers for 4 replicates are needed",
     "design.replicate_rscales: 3 non-negative numbers for 4 replicates are needed"),
    ({"weights": "w", "replicates": "^nope_[0-9]+$", "type": "JK1"},
     {"weights": "w", "replicates": "nope", "replicate_type": "JK1"},
     "replicates: no column matches '^nope_[0-9]+$'", "design.replicates: no column matches"),
    ({"weights": "w", "strata": "h", "lonely_psu": "drop"},
     {"weights": "w", "strata": "h", "lonely_psu": "drop"},
     "lonely_psu: must be one of", "design.lonely_psu: must be one of"),
]


def _engine(data, kw):
    return (make_replicate_design(data, **kw) if "replicates" in kw
            else make_design(data, **kw))


@pytest.mark.parametrize("kw, section, engine, config", CASES)
def test_the_engine_names_its_argument_and_the_pipeline_the_config_key(data, kw, section,
                                                                       engine, config):
    with pytest.raises(CoprodError) as exc:
        _engine(data, kw)
    assert str(exc.value).startswith(engine), str(exc.value)
    assert exc.value.argument == engine.split(":")[0]
    assert "design." not in str(exc.value)
    with pytest.raises(CoprodError) as exc:
        design_from_config(data, DesignSettings.from_params(section))
    assert str(exc.value).startswith(config), str(exc.value)


def test_data_errors_of_a_design_column_name_the_argument_or_the_key(data):
    small = data.assign(pop=np.where(data["h"] == "a", 2.0, 10.0))
    with pytest.raises(DataError, match=r"^fpc: column 'pop' gives 2 PSUs in the population "
                                        r"of stratum 'a', fewer than the 4 sampled$") as exc:
        make_design(small, strata="h", psu="p", fpc="pop")
    assert exc.value.argument == "fpc"
    with pytest.raises(DataError, match=r"^design.fpc: column 'pop' gives 2 PSUs"):
        design_from_config(small, DesignSettings.from_params({"strata": "h", "psu": "p",
                                                                   "fpc": "pop"}))


def test_stage_rules_are_one_rule_in_two_vocabularies():
    stages = {"ssu": "s", "fpc2": "m"}
    assert key_errors(stages) == [
        "ssu: 's' names second-stage units, which need first-stage clusters: set psu too",
        "fpc2: 'm' needs fpc too: without first-stage population sizes the first stage is with "
        "replacement and the second stage adds nothing (R cannot express this design either)"]
    assert design_key_errors(stages) == [
        "design.ssu: 's' names second-stage units, which need first-stage clusters: set "
        "design.psu too",
        "design.fpc2: 'm' needs design.fpc too: without first-stage population sizes the first "
        "stage is with replacement and the second stage adds nothing (R cannot express this "
        "design either)"]
    # the config's own rules (replicates, calibration, model-based) stay in the pipeline
    assert design_key_errors({"replicates": "rw", "weights": "w", "replicate_type": "Fay",
                              "fay_rho": 1.2}) == ["design.fay_rho: 1.2 is outside [0, 1)"]


def test_as_replicate_names_its_arguments_and_the_pipeline_as_replicates(data):
    design = make_design(data, weights="w", strata="h", psu="p", keep_data=True)
    with pytest.raises(ConfigError, match=r"^type: 'BRR' is not one of JK1, JKn, bootstrap") \
            as exc:
        as_replicate(design, "BRR")
    assert exc.value.argument == "type"
    with pytest.raises(ConfigError, match=r"^design.as_replicates.type: 'BRR' is not one of"):
        design_from_config(data, DesignSettings.from_params(
            {"weights": "w", "strata": "h", "psu": "p", "as_replicates": {"type": "BRR"}}))


@pytest.fixture
def totals(tmp_path):
    p = tmp_path / "totals.csv"
    p.write_text("variable,level,total\nsex,f,50\nsex,m,50\nh,a,60\nh,b,40\n")
    return p


@pytest.mark.parametrize("kw, engine, config", [
    (dict(method="ipf"), "method: 'ipf' is not one of poststrat, rake, linear, raking",
     "design.calibration.method: 'ipf' is not one of"),
    (dict(method="poststrat", variables=["sex", "h"]), "method: poststrat takes one variable",
     "design.calibration.method: poststrat takes one variable"),
    (dict(method="rake", variables=["sex"], bounds=[0.5, 2]), "bounds: not for method rake",
     "design.calibration.bounds: not for method rake"),
    (dict(method="linear", variables=["sex"], bounds=[1.5, 2]),
     "bounds: [1.5, 2] must be [lower, upper] around 1",
     "design.calibration.bounds: [1.5, 2] must be"),
    (dict(method="rake", variables=["age"]), "variables: no totals for age in ",
     "design.calibration.variables: no totals for age in "),
    (dict(method="rake", variables=["sex"], totals="nope.csv"), "totals: nope.csv: file not found",
     "design.calibration.totals: nope.csv: file not found"),
])
def test_calibration_names_its_argument_and_the_pipeline_the_config_key(totals, kw, engine,
                                                                        config):
    args = {"totals": str(totals), **kw}
    with pytest.raises(ConfigError) as exc:
        calibration_spec(**args)
    assert str(exc.value).startswith(engine), str(exc.value)
    assert exc.value.argument == engine.split(":")[0]
    with pytest.raises(ConfigError) as exc:
        calibration_from_config(Calibration.from_params(args))
    assert str(exc.value).startswith(config), str(exc.value)


def test_calibration_totals_may_be_given_as_a_mapping(data, totals):
    """R's calibrate takes the population totals themselves: a {variable: {level: total}}
    mapping calibrates as the same totals read from a file, and is checked alike."""
    from coprod.survey.calibration import calibrate  # (coprod.survey.calibration: the module)

    design = make_design(data, weights="w", keep_data=True)

    by_file = calibrate(design, data, calibration_spec("rake", str(totals), ["sex", "h"]))
    given = {"sex": {"f": 50, "m": 50}, "h": {"a": 60, "b": 40}}
    by_map = calibrate(design, data, calibration_spec("rake", given))
    np.testing.assert_array_equal(by_file.weights, by_map.weights)
    with pytest.raises(ConfigError, match=r"^totals: the margins add up to different "
                                          r"populations \(sex: 100, h: 90\)") as exc:
        calibration_spec("rake", {"sex": {"f": 50, "m": 50}, "h": {"a": 50, "b": 40}})
    assert exc.value.argument == "totals"
    with pytest.raises(ConfigError, match=r"^totals: -5.0 for sex 'm' is not a non-negative"):
        calibration_spec("rake", {"sex": {"f": 50, "m": -5}})


def test_a_renamed_error_keeps_its_class_and_drops_the_argument():
    exc = DataError("fpc: column 'N' varies", argument="fpc")
    out = exc.renamed("design.fpc")
    assert type(out) is DataError and str(out) == "design.fpc: column 'N' varies"
    assert out.argument is None
    plain = ConfigError("weights column 'w' is not in the data", argument="weights")
    assert str(plain.renamed("design.weights")) == "weights column 'w' is not in the data"


def test_a_dict_design_is_refused_naming_the_typed_settings(data):
    """The flat package's functions took the config's design section as a dict; the typed
    ones say what to pass instead of failing on a missing attribute."""
    from coprod.pipeline.descriptives import prevalence
    from coprod.pipeline.models import fit_sample

    with pytest.raises(TypeError, match=r"^design_from_config: design must be a "
                                        r"DesignSettings \(DesignSettings.from_params\(\)"):
        design_from_config(data, {"weights": "w"})
    with pytest.raises(TypeError, match="^prevalence: design must be a DesignSettings"):
        prevalence(data, [], {"weights": "w"})
    with pytest.raises(TypeError, match="^fit_sample: design must be a DesignSettings"):
        fit_sample(data, outcomes=[], sample="pooled", covariates=[], reference_levels={},
                   design={"weights": "w"})


def test_replicate_rscales_as_a_list_a_number_or_a_file(data, tmp_path, monkeypatch):
    """design.replicate_rscales as the data producer delivers it: the same design from a list,
    one number for all (here 0.5 each) and a CSV file (its only column, or its column rscales),
    with every mistake in the file named by file and row."""
    from coprod.pipeline.designkeys import rscales_values

    monkeypatch.chdir(tmp_path)  # a path is read relative to the project
    base = {**REPLICATES, "replicate_type": "JKn"}

    def se(rscales):
        d = design_from_config(data, DesignSettings.from_params(
            {**base, "replicate_rscales": rscales}))
        return d.rscales.tolist()

    assert se(0.5) == se([0.5] * 4) == [0.5] * 4
    (tmp_path / "one.csv").write_text("x\n0.75\n0.75\n0.5\n0.5\n")
    (tmp_path / "named.csv").write_text("replicate,rscales\n1,0.75\n2,0.75\n3,0.5\n4,0.5\n")
    assert se("one.csv") == se("named.csv") == se([0.75, 0.75, 0.5, 0.5])
    # the data producer's own table of its replicates: the column named
    (tmp_path / "producer.csv").write_text("rep,stratum,jk_factor\n1,A,0.75\n2,A,0.75\n"
                                           "3,B,0.5\n4,B,0.5\n")
    assert se({"file": "producer.csv", "column": "jk_factor"}) == se("named.csv")
    (tmp_path / "bad.csv").write_text("rscales\n0.5\nabc\n")
    (tmp_path / "two.csv").write_text("a,b\n1,2\n")
    for value, message in [
            ("gone.csv", "design.replicate_rscales: file 'gone.csv' not found (a CSV with one "
                         "number per replicate)"),
            ("bad.csv", "design.replicate_rscales: file 'bad.csv', row 3: 'abc' is not a "
                        "non-negative number"),
            ("two.csv", "design.replicate_rscales: file 'two.csv' has 2 columns (a, b); give "
                        "the numbers in its only column or in a column named rscales, or name "
                        "it: {file: two.csv, column: <its name>}"),
            ({"file": "producer.csv", "column": "rscale"},
             "design.replicate_rscales: file 'producer.csv' has no column 'rscale' (its "
             "columns: rep, stratum, jk_factor)"),
            ({"file": "bad.csv", "column": "rscales"}, "design.replicate_rscales: file "
             "'bad.csv', row 3: 'abc' is not a non-negative number")]:
        with pytest.raises(ConfigError) as exc:
            rscales_values(value)
        assert str(exc.value) == message
    # too few in a file: the engine's count check, in the config's words
    (tmp_path / "short.csv").write_text("rscales\n0.5\n0.5\n")
    with pytest.raises(ConfigError, match="design.replicate_rscales: 2 non-negative numbers "
                                          "for 4 replicates are needed"):
        se("short.csv")


def test_methods_state_the_replicate_scale_and_rscales():
    from coprod.report.methods import _design_items

    def said(**design):
        return " ".join(_design_items(DesignSettings.from_params({**REPLICATES, **design}), str))

    assert ("type <code>JKn</code>, scale 1 with R replicates (R's default for the type), "
            "rscales for 8 replicates from 0.5 to 0.95 (3 distinct values)") in said(
        replicate_type="JKn", replicate_rscales=[0.9, 0.9, 0.95, 0.95, 0.95, 0.9, 0.5, 0.9])
    assert "scale 1/(R \u2212 1) with R replicates (R's default for the type)" in said(
        replicate_type="bootstrap")
    assert "scale 0.05, rscales 0.5 for every replicate" in said(
        replicate_type="other", replicate_scale=0.05, replicate_rscales=0.5)
