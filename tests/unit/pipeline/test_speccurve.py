"""The specification curve: which specifications run, how they are shared among jobs, the
counts beside each claim, and the bad settings named at start-up."""
from __future__ import annotations

import numpy as np
import pandas as pd

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


def test_a_fit_the_cut_leaves_as_it_is_is_made_once_and_equals_a_fresh_one(monkeypatch):
    """Two specifications differing only in the cut: an outcome whose column (and covariates,
    design columns) the cut leaves as they are is fitted once and the kept tables equal a
    fresh fit's bit for bit; an outcome the cut changes is fitted again."""
    from pathlib import Path

    from coprod.pipeline import models, speccurve
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
    families = {"level": "ordinal", "cut": "logit"}
    calls = []
    real = models.fit_sample

    def counted(t, **kw):
        calls.append(list(kw["outcomes"]))
        return real(t, **kw)

    monkeypatch.setattr(models, "fit_sample", counted)
    spec = {"weights": True, "group_effects": True, "missing": "complete_case",
            "family": "ordinal"}
    fitted = speccurve._Fitted()
    got = []
    for t, cut in ((often, "often"), (sometimes, "sometimes")):
        got.append(speccurve._fit(t, None, {**spec, "threshold": cut}, ["cut", "level"],
                                  "pooled", ["age", "gender"], {}, design, 0.95, families,
                                  models.job_design(t, design, {}), {}, {"level"}, fitted))
    assert calls == [["cut", "level"], ["cut"]]
    fresh = speccurve._fit(sometimes, None, {**spec, "threshold": "sometimes"},
                           ["cut", "level"], "pooled", ["age", "gender"], {}, design, 0.95,
                           families, models.job_design(sometimes, design, {}), {}, {"level"})
    for a, b in zip(got[1], fresh, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
