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
