"""The descriptives files' whole-sample rows (coprod.pipeline.descriptives): every respondent on
the whole design, beside the groups' rows, only when there are two or more groups.

The golden checks against R are tests/golden/test_descriptives_golden.py and
tests/golden/test_real_surveys.py; here the rule, and the whole-sample share against an
independent path: the engine's estimator on a design built directly, and a linearisation
written out by hand."""
import numpy as np
import pandas as pd
import pytest
from conftest import small_survey
from scipy import stats

from coprod.errors import DataError
from coprod.pipeline.descriptives import WHOLE_SAMPLE, describe, prevalence
from coprod.pipeline.designkeys import DesignSettings
from coprod.survey.design import make_design
from coprod.survey.means import svy_mean, svy_proportion

DESIGN = DesignSettings.from_params({"weights": "weight", "strata": "country"})


@pytest.fixture
def survey() -> pd.DataFrame:
    df = small_survey()
    # unequal groups, unequal shares: an average of the groups' shares is not the whole's
    df = df[(df["country"] != "C") | (np.arange(len(df)) % 3 == 0)].reset_index(drop=True)
    df.loc[df["country"] == "A", "y"] = pd.array(
        (np.arange(int((df["country"] == "A").sum())) % 4 == 0).astype(int), dtype="Int8")
    df.attrs["group_column"] = "country"
    return df


def test_the_whole_sample_comes_first_once_with_two_or_more_groups(survey):
    prev = prevalence(survey, ["y"], DESIGN)
    desc = describe(survey, ["age", "sex"], DESIGN)
    assert WHOLE_SAMPLE == "pooled"  # the name models.samples gives all groups together
    assert list(prev["group"]) == ["pooled", "A", "B", "C"]
    assert list(dict.fromkeys(desc["group"])) == ["pooled", "A", "B", "C"]
    assert (desc["group"] == "pooled").sum() == (desc["group"] == "A").sum() == 3  # age, 2 sexes
    assert desc.loc[desc["group"] == "pooled", "group_n"].eq(len(survey)).all()


@pytest.mark.parametrize("keep", ["one category", "no categories"])
def test_one_group_gets_no_whole_sample_rows(survey, keep):
    """They would repeat the group's own: one group (the others without rows, or a column
    that is not a category) has its rows alone."""
    one = survey[survey["country"] == "B"].reset_index(drop=True)
    if keep == "no categories":
        one["country"] = one["country"].astype(str)
    one.attrs["group_column"] = "country"
    assert list(prevalence(one, ["y"], DESIGN)["group"]) == ["B"]
    assert set(describe(one, ["age", "sex"], DESIGN)["group"]) == {"B"}


def test_a_group_named_like_the_whole_sample_is_refused(survey):
    survey["country"] = survey["country"].cat.rename_categories({"B": "pooled"})
    with pytest.raises(DataError, match="a group is named 'pooled', the name of the whole "
                                        "sample's rows"):
        prevalence(survey, ["y"], DESIGN)


def test_the_whole_sample_is_the_whole_design_not_an_average_of_groups(survey):
    prev = prevalence(survey, ["y"], DESIGN).set_index("group")
    whole = prev.loc["pooled"]
    # the engine on a design built directly (no pipeline adapter), no domain: svymean(~y, d)
    direct = svy_proportion(survey["y"].astype(float).to_numpy(),
                            make_design(survey, weights="weight", strata="country",
                                        lonely_psu="adjust"))
    for k in ("estimate", "std_error", "conf_low", "conf_high", "df", "n", "events"):
        assert whole[k] == pytest.approx(direct[k], rel=1e-12), k
    # by hand: the weighted share, its linearised SE (strata, each respondent a PSU), df n - H
    ok = survey["y"].notna()
    y, w, h = (survey.loc[ok, "y"].astype(float), survey.loc[ok, "weight"],
               survey.loc[ok, "country"].astype(str))
    p = float((w * y).sum() / w.sum())
    z = w * (y - p) / w.sum()
    var = sum(len(zh) / (len(zh) - 1) * ((zh - zh.mean()) ** 2).sum() for _, zh in z.groupby(h))
    df = int(ok.sum()) - h.nunique()
    assert whole["estimate"] == pytest.approx(p, rel=1e-12)
    assert whole["std_error"] == pytest.approx(np.sqrt(var), rel=1e-9)
    assert whole["df"] == df
    half = stats.t.ppf(0.975, df) * np.sqrt(var) / (p * (1 - p))  # the logit interval
    logit = np.log(p / (1 - p))
    assert whole["conf_low"] == pytest.approx(1 / (1 + np.exp(half - logit)), rel=1e-9)
    assert whole["conf_high"] == pytest.approx(1 / (1 + np.exp(-half - logit)), rel=1e-9)
    assert abs(whole["estimate"] - prev.drop(index="pooled")["estimate"].mean()) > 0.005


def test_the_groups_rows_are_the_domains_of_the_same_design(survey):
    """Adding the whole sample leaves every group's row as it was: a domain estimate."""
    design = make_design(survey, weights="weight", strata="country", lonely_psu="adjust")
    prev = prevalence(survey, ["y"], DESIGN).set_index("group")
    desc = describe(survey, ["age"], DESIGN).set_index("group")
    age = survey["age"].to_numpy(float)
    for g in ("A", "B", "C"):
        dom = (survey["country"] == g).to_numpy()
        assert prev.loc[g, "std_error"] == pytest.approx(
            svy_proportion(survey["y"].astype(float).to_numpy(), design, dom)["std_error"],
            rel=1e-12)
        assert desc.loc[g, "estimate"] == pytest.approx(svy_mean(age, design, dom)["estimate"],
                                                        rel=1e-12)
    assert desc.loc["pooled", "estimate"] == pytest.approx(
        np.average(age[~np.isnan(age)], weights=survey["weight"][~np.isnan(age)]), rel=1e-12)
