"""The specification curve: which specifications run, how they are shared among jobs, the
counts beside each claim, and the bad settings named at start-up."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coprod.pipeline.findings import with_specifications
from coprod.pipeline.settings import Specifications
from coprod.pipeline.speccurve import _shares, specifications, summarise

DIMS = Specifications.from_params({
    "threshold": ["often", "sometimes"], "weights": [True, False],
    "covariates": {"all": None, "core": ["age"]}, "group_effects": [True, False],
    "missing": ["complete_case", "imputed"], "family": ["logit", "ordinal"]})


def test_every_combination_and_group_effects_only_when_pooled():
    pooled = specifications(DIMS, pooled=True, threshold="often")
    assert len(pooled) == 64
    assert len({tuple(sorted(s.items())) for s in pooled}) == 64
    group = specifications(DIMS, pooled=False, threshold="often")
    assert len(group) == 32 and {s["group_effects"] for s in group} == {True}
    # a dimension not configured keeps the main analysis's choice
    one = specifications(Specifications(weights=(True, False)), pooled=True, threshold="sometimes")
    assert [s["threshold"] for s in one] == ["sometimes", "sometimes"]
    assert {s["missing"] for s in one} == {"complete_case"}


def test_jobs_share_costly_specifications_evenly():
    specs = specifications(DIMS, pooled=True, threshold="often")
    share = np.array(_shares(specs, 2))
    assert set(share) == {1, 2} and (share == 1).sum() == 32
    for key in ("missing", "family", "threshold"):
        for value in {s[key] for s in specs}:
            mine = share[[s[key] == value for s in specs]]
            assert (mine == 1).sum() == (mine == 2).sum()


def test_counts_beside_each_claim():
    specs = pd.DataFrame({"claim": ["a"] * 5 + ["b"] * 2,
                          "verdict": ["supported", "supported", "contradicted", "inconclusive",
                                      "not estimated", "equivalent", "different"]})
    s = summarise(specs).set_index("claim")  # all, supported, contradicted, estimable, not
    assert s.loc["a"].tolist() == [5, 2, 1, 4, 1] and s.loc["b"].tolist() == [2, 1, 1, 2, 0]
    checked = pd.DataFrame({"id": ["a", "b", "c"], "verdict": ["supported"] * 3})
    out = with_specifications(checked, specs).set_index("id")
    assert out.loc["a", ["spec_total", "spec_supported", "spec_contradicted",
                         "spec_estimable", "spec_not_estimable"]].tolist() == [5, 2, 1, 4, 1]
    assert np.isnan(out.loc["c", "spec_total"])  # a claim without specifications


def _cut_tables():
    """The golden design survey with an ordinal outcome no cut changes ('level') and a 0/1
    one each cut makes anew ('cut'), at two cuts; the design's settings."""
    from pathlib import Path

    from coprod.pipeline.designkeys import DesignSettings

    data = pd.read_csv(Path(__file__).resolve().parents[2] / "data" / "golden"
                       / "design_survey.csv")
    data["gender"] = pd.Categorical(np.where(data["female"] == 1, "woman", "man"))
    data["country"] = data["country"].astype("category")
    data.attrs = {"group_column": "country"}
    level = data["individual"] + data["collective"]
    often = data.assign(level=pd.Categorical(level, categories=[0, 1, 2], ordered=True),
                        cut=data["individual"].astype(float))
    sometimes = often.assign(cut=data["collective"].astype(float))  # the cut changes this one
    design = DesignSettings.from_params({"weights": "weight", "strata": "country",
                                         "psu": "psu", "lonely_psu": "adjust"})
    return often, sometimes, design


def _imputed_ages(t: pd.DataFrame) -> pd.DataFrame:
    """Two imputations of the first rows' ages (the same cells whatever the cut)."""
    rows = np.arange(12)
    return pd.concat([pd.DataFrame({"imputation": m, "row": rows, "variable": "age",
                                    "value": (t["age"].to_numpy()[rows] + m).astype(object)})
                      for m in (1, 2)], ignore_index=True)


@pytest.mark.parametrize("missing", ["complete_case", "imputed"])
def test_a_fit_the_cut_leaves_as_it_is_is_made_once_and_equals_a_fresh_one(monkeypatch,
                                                                            missing):
    """Two specifications differing only in the cut: an outcome whose column (and covariates,
    design columns) the cut leaves as they are is fitted once and the kept tables equal a
    fresh fit's bit for bit; an outcome the cut changes is fitted again. So for complete
    cases and for the imputed datasets (their cells the same at every cut)."""
    from coprod.pipeline import imputedmodels, models, speccurve

    often, sometimes, design = _cut_tables()
    cells = _imputed_ages(often) if missing == "imputed" else None
    families = {"level": "ordinal", "cut": "logit"}
    calls = []
    module, name = (models, "fit_sample") if missing == "complete_case" else \
        (imputedmodels, "fit_outcomes_mi")
    real = getattr(module, name)

    def counted(t, *args, **kw):
        calls.append(list(kw["outcomes"]))
        return real(t, *args, **kw)

    monkeypatch.setattr(module, name, counted)
    spec = {"weights": True, "group_effects": True, "missing": missing, "family": "ordinal"}
    fitted = speccurve._Fitted()
    got = []
    for t, cut in ((often, "often"), (sometimes, "sometimes")):
        got.append(speccurve._fit(t, cells, {**spec, "threshold": cut}, ["cut", "level"],
                                  "pooled", ["age", "gender"], {}, design, 0.95, families,
                                  models.job_design(t, design, {}), {}, {"level"}, fitted))
    assert calls == [["cut", "level"], ["cut"]]
    fresh = speccurve._fit(sometimes, cells, {**spec, "threshold": "sometimes"},
                           ["cut", "level"], "pooled", ["age", "gender"], {}, design, 0.95,
                           families, models.job_design(sometimes, design, {}), {}, {"level"})
    for a, b in zip(got[1], fresh, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


@pytest.mark.parametrize("missing", ["complete_case", "imputed"])
def test_model_frames_kept_between_weightings_change_nothing(missing):
    """The specifications of a cut keep its model frames (``frames``, ``datasets``) for the
    specifications of the other weighting: each one's tables as when made afresh."""
    from coprod.pipeline import models, speccurve

    often, _, design = _cut_tables()
    cells = _imputed_ages(often) if missing == "imputed" else None
    families = {"level": "ordinal", "cut": "logit"}
    frames: dict = {}
    datasets: dict = {}
    for weights in (True, False, True):
        d = design if weights else design.replace(weights=None)
        spec = {"threshold": "often", "weights": weights, "group_effects": True,
                "missing": missing, "family": "ordinal"}
        args = (often, cells, spec, ["cut", "level"], "pooled", ["age", "gender"], {}, d, 0.95,
                families, models.job_design(often, d, {}))
        kept = speccurve._fit(*args, datasets, {"level"}, None, frames)
        fresh = speccurve._fit(*args, {}, {"level"})
        for a, b in zip(kept, fresh, strict=True):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert frames.get("prepared") if missing == "complete_case" else datasets.get("prepared")


def test_the_verdicts_of_a_model_read_once_are_directional_verdicts():
    """ModelVerdicts (the specification curve's verdicts, a model's tables read once) gives
    every claim the verdict directional_verdict gives it, and stops on a term the model does
    not have with the same message."""
    from coprod.errors import ConfigError
    from coprod.pipeline.findings import ModelVerdicts, directional_verdict

    coefs = pd.DataFrame({
        "outcome": ["y"] * 5 + ["z"] * 2, "sample": "pooled",
        "term": ["Intercept", "age", "gender[T.woman]", "edu[T.mid]", "edu[T.high]",
                 "Intercept", "age"],
        "variable": ["Intercept", "age", "gender", "edu", "edu", "Intercept", "age"],
        "level": ["", "", "woman", "mid", "high", "", ""],
        "estimate": [0.1, 0.5, -0.02, 0.3, -0.4, 0.2, 0.0],
        "std_error": [0.1, 0.1, 0.05, 0.1, 0.1, 0.1, 0.1], "df_resid": 40,
        "p_value": [0.3, 0.001, 0.7, 0.01, 0.001, 0.05, 0.9],
        "conf_low": [-0.1, 0.3, -0.12, 0.1, -0.6, 0.0, -0.2],
        "conf_high": [0.3, 0.7, 0.08, 0.5, -0.2, 0.4, 0.2],
        "flag": ["", "", "", "", "empty_level", "", ""]})
    fit = pd.DataFrame({"outcome": ["y", "z"], "sample": "pooled",
                        "status": ["flagged", "ok"], "message": ["low_events: few", ""]})
    claims = [({"id": "a", "outcome": "y", "sample": "pooled", "expected": "positive"},
               "age", ""),
              ({"id": "b", "outcome": "y", "sample": "pooled", "expected": "negative"},
               "edu", "high"),
              ({"id": "c", "outcome": "y", "sample": "pooled", "expected": "none",
                "equivalence": [0.8, 1.25]}, "gender", "woman"),
              ({"id": "d", "outcome": "z", "sample": "pooled", "expected": "negative"},
               "age", "")]
    judges = {o: ModelVerdicts(coefs, fit, o, "pooled") for o in ("y", "z")}
    for claim, var, level in claims:
        assert judges[claim["outcome"]].verdict(claim, var, level, 0.95) == \
            directional_verdict(claim, var, level, coefs, fit, 0.95)
    bad = {"id": "e", "outcome": "y", "sample": "pooled", "expected": "positive"}
    with pytest.raises(ConfigError) as mine:
        judges["y"].verdict(bad, "edu", "")  # two levels: no single estimate
    with pytest.raises(ConfigError) as theirs:
        directional_verdict(bad, "edu", "", coefs, fit)
    assert str(mine.value) == str(theirs.value)
    gone = {**bad, "outcome": "w"}  # a model not in the tables
    assert ModelVerdicts(coefs, fit, "w", "pooled").verdict(gone, "age", "") == \
        directional_verdict(gone, "age", "", coefs, fit)


def test_a_models_rows_taken_as_a_slice_are_the_selected_rows():
    """A specification's tables stack their outcomes' rows: a model's rows, which model_rows
    takes as a slice, are the rows a selection row by row gives (values, dtypes, labels);
    interleaved rows, a table of one model and a model without rows too."""
    from coprod.pipeline.vocab import model_rows

    t = pd.DataFrame({"outcome": pd.array(["y", "y", "z", "z", "z"], dtype="str"),
                      "sample": pd.array(["pooled"] * 5, dtype="str"),
                      "estimate": [0.1, 0.2, 0.3, 0.4, 0.5], "n": [1, 2, 3, 4, 5]})
    for table in (t, t.iloc[[0, 2, 1, 3, 4]], t.iloc[:2], t.iloc[:0]):
        for o in ("y", "z", "w"):
            selected = table[(table["outcome"] == o) & (table["sample"] == "pooled")]
            pd.testing.assert_frame_equal(model_rows(table, o, "pooled"), selected,
                                          check_exact=True)


def test_a_lean_fit_is_the_full_one_without_what_no_verdict_reads():
    """A specification's complete-case fit (fit_sample lean): the coefficients (sd_x empty),
    the fit and the effect sizes of the full fit, frame for frame; no covariance, no flags."""
    from coprod.pipeline import models

    often, _, design = _cut_tables()
    kw = dict(outcomes=["cut", "level"], sample="pooled", covariates=["age", "gender"],
              reference_levels={}, design=design, families={"level": "ordinal"},
              margins=False, effects={"level"})
    lean, full = models.fit_sample(often, lean=True, **kw), models.fit_sample(often, **kw)
    for o in ("cut", "level"):
        assert set(lean[o]) == set(full[o]) - {"vcov", "flags"}
        assert lean[o]["coefficients"]["sd_x"].isna().all()
        for name, table in lean[o].items():
            if name == "coefficients":
                table, want = table.drop(columns="sd_x"), full[o][name].drop(columns="sd_x")
            else:
                want = full[o][name]
            pd.testing.assert_frame_equal(table, want, check_exact=True)
