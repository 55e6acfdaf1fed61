"""The cleaning stage on the bundled synthetic survey: every quirk undone, every row accounted for.

The simulator keeps the harmonised truth behind each raw file, so the cleaned values can be
checked exactly, not just for plausibility.
"""
import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from coprod.pipeline.clean import clean_survey, summarise_log
from coprod.pipeline.codebook import load_codebook
from coprod.pipeline.simulate import simulate_survey

COMPARE = ["weight", "age", "gender", "education", "employment", "urban", "self_efficacy",
           "performance", "outcome_perception", "informed", "consulted",
           "individual_safety", "collective_safety", "individual_environment",
           "collective_environment", "individual_health", "collective_health",
           "individual_any", "collective_any"]


@pytest.fixture(scope="module")
def cleaned():
    cb = load_codebook(ROOT / "config" / "codebook.yaml")
    table, log = clean_survey(cb, root=ROOT, threshold="often", group_column="country")
    return table, log, simulate_survey(2008)


def test_bundled_files_match_the_simulator(cleaned):
    """The bundled data/raw files are what the seeded simulator makes (nobody edited them):
    every column and every value, not just the number of rows."""
    from coprod.pipeline.io import read_raw

    _, log, sims = cleaned
    reads = log[log.step == "read"].set_index("country")["count"]
    cb = load_codebook(ROOT / "config" / "codebook.yaml")
    for c, sim in sims.items():
        assert reads[c] == len(sim.raw)
        raw, _ = read_raw(ROOT / cb.groups[c]["file"])
        assert list(raw.columns) == list(sim.raw.columns), c
        pd.testing.assert_frame_equal(raw.reset_index(drop=True),
                                      sim.raw.reset_index(drop=True), check_dtype=False,
                                      obj=f"data/raw file of {c}")


@pytest.mark.parametrize("country", ["UK", "FR", "DE", "DK", "CZ"])
def test_clean_values_equal_the_harmonised_truth(cleaned, country):
    table, _, sims = cleaned
    truth = sims[country].truth
    truth = truth[truth["weight"].notna()]
    truth = truth.set_index(truth["respondent_id"].astype(str))
    got = table[table.country == country].set_index("respondent_id")
    assert sorted(got.index) == sorted(truth.index)
    got = got.loc[truth.index]
    for col in COMPARE:
        a, b = got[col], truth[col]
        if isinstance(b.dtype, pd.CategoricalDtype) or b.dtype == object or str(b.dtype) == "str":
            assert a.astype(object).where(a.notna(), None).tolist() == \
                b.astype(object).where(b.notna(), None).tolist(), col
        else:
            np.testing.assert_allclose(a.astype("float64"), b.astype("float64"), rtol=1e-12,
                                       err_msg=f"{country} {col}")


def test_each_quirk_is_undone(cleaned):
    table, log, sims = cleaned
    q = {c: s.quirks for c, s in sims.items()}
    by = {c: table[table.country == c].set_index("respondent_id") for c in q}
    # different missing codes: each country's own codes end up as dont_know / refused
    for c in q:
        reasons = set(log[(log.country == c) & (log.step == "set_missing")].reason)
        assert {"dont_know", "refused"} <= reasons, c
        codes = set(log[(log.country == c) & (log.reason == "dont_know")].value)
        assert codes == {str(q[c]["missing_codes"]["dont_know"])}, c
    # year of birth -> age in DK, logged as a recode of every DK row
    dk_yob = log[(log.country == "DK") & (log.reason == "year_of_birth")]
    assert dk_yob["count"].sum() == len(sims["DK"].raw)
    assert (by["DK"]["age"].between(18, 105) | by["DK"]["age"].isna()).all()
    # item not asked in FR: all missing, logged per row
    assert by["FR"]["ind_health_3"].isna().all()
    assert log[(log.country == "FR") & (log.reason == "not_asked")]["count"].sum() == len(by["FR"])
    # renamed variable in DE: answered like elsewhere
    assert by["DE"]["coll_environment_1"].notna().mean() > 0.9
    # gender reversed in CZ: cleaned gender equals the truth (checked above); the recode is logged
    assert log[(log.country == "CZ") & (log.reason == "group_codes")]["count"].sum() > 0
    # duplicated ids: exactly the injected repeats dropped
    for c in q:
        dropped = log[(log.country == c) & (log.reason == "duplicate_record")]["count"].sum()
        assert dropped == len(q[c]["duplicate_ids"]), c
    # impossible ages: set missing, one log entry per value
    for c in q:
        for rid in q[c]["impossible_age_ids"]:
            assert pd.isna(by[c].loc[str(rid), "age"]), (c, rid)
        oor = log[(log.country == c) & (log.reason == "out_of_range")]["count"].sum()
        assert oor == len(q[c]["impossible_age_ids"]), c
    # missing weights: rows dropped
    for c in q:
        dropped = log[(log.country == c) & (log.reason == "invalid_weight")]["count"].sum()
        assert dropped == len(q[c]["missing_weight_ids"]), c


def test_row_accounting_balances(cleaned):
    table, log, _ = cleaned
    summ = summarise_log(log).set_index("country")
    drops = summ[[c for c in summ.columns if c.startswith("dropped_")]].sum(axis=1)
    assert (summ["kept"] + drops == summ["read"]).all()
    assert summ["balanced"].all()
    assert summ["kept"].sum() == len(table)
    assert table.groupby("country", observed=True).size().to_dict() == summ["kept"].to_dict()


def test_unused_raw_column_is_listed(cleaned):
    _, log, _ = cleaned
    info = log[log.reason == "raw_columns_not_in_codebook"]
    assert set(info.country) == {"UK", "FR", "DE", "DK", "CZ"}
    assert all("REGION" in v for v in info.value)
