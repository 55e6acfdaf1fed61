"""Rubin's rules with design-based analyses of each completed dataset, against R's
mitools::MIcombine over svyglm fits (tools/golden_mi.R on tests/data/golden/mi_survey.csv: five
completed datasets, whole sample and a domain, Rubin's and Barnard-Rubin df)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from conftest import r_term as r_name

from coprod.survey.design import make_design
from coprod.survey.glm import fit_svy_logit
from coprod.survey.mi import mi_combine, rubin

GOLDEN = ROOT / "tests" / "data" / "golden"


@pytest.fixture(scope="module")
def fits():
    d = pd.read_csv(GOLDEN / "mi_survey.csv")
    d["educ"] = pd.Categorical(d["educ"], categories=["low", "mid", "high"])
    out = {}
    for part in ("whole", "south"):
        per = []
        for _, block in d.groupby("imp"):
            block = block.reset_index(drop=True)
            design = make_design(block, weights="weight", strata="stratum", psu="psu",
                                 lonely_psu="fail", keep_data=True)
            if part == "south":
                design = design.domain(block["region"].eq("south").to_numpy())
            per.append(fit_svy_logit(block, "y ~ age + female + efficacy + educ",
                                     design=design))
        out[part] = per
    return out


@pytest.mark.parametrize("model, part, br", [("whole_inf", "whole", False),
                                             ("whole_br", "whole", True),
                                             ("domain_br", "south", True)])
def test_rubin_equals_mitools(fits, model, part, br):
    ref = pd.read_csv(GOLDEN / "mi_reference.csv")
    ref = ref[ref["model"] == model].set_index("term")
    per = fits[part]
    names = [r_name(t) for t in per[0].params.index]
    Q = np.array([f.params.to_numpy() for f in per])
    U = np.array([np.diag(f.cov.to_numpy()) for f in per])
    df_complete = per[0].df_resid if br else np.inf
    if br:
        assert df_complete == ref["df_complete"].iloc[0]
    got = pd.DataFrame(rubin(Q, U, df_complete), index=names).loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-8, atol=1e-10)
    for col, rcol in (("std_error", "std_error"), ("df", "df"), ("fmi", "missinfo"),
                      ("within", "within"), ("between", "between")):
        np.testing.assert_allclose(got[col], ref[rcol], rtol=1e-6, err_msg=col)


@pytest.mark.parametrize("model, part, br", [("whole_inf", "whole", False),
                                             ("domain_br", "south", True)])
def test_mi_combine_takes_the_fits_as_micombine(fits, model, part, br):
    """mi_combine(fits): MIcombine(results) on the fits themselves, one row per term, the same
    numbers as rubin on their estimates and variances (and so as mitools)."""
    ref = pd.read_csv(GOLDEN / "mi_reference.csv")
    ref = ref[ref["model"] == model].set_index("term")
    per = fits[part]
    got = mi_combine(per, per[0].df_resid if br else np.inf)
    assert list(got.index) == list(per[0].params.index)
    got.index = [r_name(t) for t in got.index]
    got = got.loc[ref.index]
    np.testing.assert_allclose(got["estimate"], ref["estimate"], rtol=1e-8, atol=1e-10)
    for col, rcol in (("std_error", "std_error"), ("df", "df"), ("fmi", "missinfo")):
        np.testing.assert_allclose(got[col], ref[rcol], rtol=1e-6, err_msg=col)


def test_mi_combine_needs_two_fits_with_the_same_terms(fits):
    from coprod.errors import ConfigError

    with pytest.raises(ConfigError, match="^fits: 1 fit") as exc:
        mi_combine(fits["whole"][:1])
    assert exc.value.argument == "fits"
    with pytest.raises(ConfigError, match="^estimates: 1 imputation"):
        rubin(np.ones((1, 2)), np.ones((1, 2)))
