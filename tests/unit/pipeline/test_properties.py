"""Nothing is lost: over random raw data and codebooks, every row is kept or dropped for a
counted reason, and no value changes except as the codebook says."""
import numpy as np
import pandas as pd
from conftest import random_cases
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coprod.pipeline.clean import clean_survey, summarise_log
from coprod.pipeline.codebook import Codebook, validate_codebook

LEVELS = ["never", "sometimes", "often"]
#: random surveys a run (conftest.random_cases: all of them under make test)
EXAMPLES = random_cases(full=80, fast=12)


@st.composite
def survey(draw):
    n_groups = draw(st.integers(1, 3))
    missing = {97: "dont_know", 99: "refused"}
    cat_codes = {1: "often", 2: "sometimes", 3: "never"}
    lo, hi = draw(st.integers(0, 20)), draw(st.integers(40, 100))
    yob_group = draw(st.integers(-1, n_groups - 1))   # which group gives year of birth (-1: none)
    rev_group = draw(st.integers(-1, n_groups - 1))   # which group reverses the item codes
    groups, frames = {}, {}
    for gi in range(n_groups):
        n = draw(st.integers(1, 25))
        # ids repeat within a group (dropped, counted), never across groups (an error)
        ids = [100 * gi + i for i in draw(st.lists(st.integers(1, 40), min_size=n, max_size=n))]
        w = draw(st.lists(st.sampled_from([1.0, 0.5, 2.5, 0.0, -1.0, np.nan]), min_size=n, max_size=n))
        x = draw(st.lists(st.integers(-5, 120) | st.sampled_from([97, 99]), min_size=n, max_size=n))
        item = draw(st.lists(st.sampled_from([1, 2, 3, 97, 99]), min_size=n, max_size=n))
        df = pd.DataFrame({"ID": ids, "W": w, "X": [float(v) for v in x], "ITEM": [float(v) for v in item]})
        # exact repeats of some rows, as vendors deliver them
        reps = draw(st.lists(st.integers(0, n - 1), max_size=3))
        df = pd.concat([df, df.iloc[reps]], ignore_index=True)
        name = f"G{gi} é"
        g = {"file": f"g{gi}.csv"}
        if gi == yob_group:
            g["transform"] = {"x": {"year_of_birth": 2008}}
        if gi == rev_group:
            g["codes"] = {"item": {1: "never", 2: "sometimes", 3: "often"}}
        groups[name] = g
        frames[name] = df
    cb = {"variables": {
        "id": {"raw": "ID", "role": "id"},
        "weight": {"raw": "W", "role": "weight"},
        "x": {"raw": "X", "type": "numeric", "valid_range": [lo, hi]},
        "item": {"raw": "ITEM", "type": "category", "codes": cat_codes, "levels": LEVELS, "ordered": True},
    }, "defaults": {"missing": missing}, "groups": groups,
        "outcomes": {"does_item": {"items": ["item"]}}}
    validate_codebook(cb)
    return cb, frames


def expected_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The rows the codebook says to keep: no exact repeats, unique ids, valid weights."""
    df = df.drop_duplicates()
    df = df[~df["ID"].duplicated(keep=False)]
    return df[df["W"] > 0]


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(survey())
def test_every_row_accounted_and_values_only_changed_by_the_codebook(tmp_path_factory, s):
    cb, frames = s
    root = tmp_path_factory.mktemp("prop")
    for name, df in frames.items():
        df.to_csv(root / cb["groups"][name]["file"], index=False)
    keep = {name: expected_rows(df) for name, df in frames.items()}
    if any(len(k) == 0 for k in keep.values()):
        import pytest

        from coprod.errors import DataError
        with pytest.raises(DataError, match="no rows left"):
            clean_survey(Codebook.from_yaml(cb), root=root)
        return
    table, log = clean_survey(Codebook.from_yaml(cb), root=root)
    summ = summarise_log(log).set_index("group")
    drop_cols = [c for c in summ.columns if c.startswith("dropped_")]
    for name, df in frames.items():
        assert summ.loc[name, "read"] == len(df)
        assert summ.loc[name, "kept"] + summ.loc[name, drop_cols].sum() == len(df)
        got = table[table["group"] == name].set_index("id")
        exp = keep[name].assign(ID=keep[name]["ID"].astype(str)).set_index("ID")
        assert sorted(got.index) == sorted(exp.index)
        got = got.loc[exp.index]
        g = cb["groups"][name]
        # numeric: missing codes -> NA; transform; out of range -> NA; else unchanged
        x = exp["X"].where(~exp["X"].isin([97, 99]))
        if "transform" in g:
            x = 2008 - x
        lo, hi = cb["variables"]["x"]["valid_range"]
        x = x.where((x >= lo) & (x <= hi))
        np.testing.assert_array_equal(got["x"].to_numpy(float), x.to_numpy(float))
        # category: codes -> levels by the group's own codes; missing codes -> NA
        codes = g.get("codes", {}).get("item", cb["variables"]["item"]["codes"])
        want = [None if v in (97, 99) else codes[int(v)] for v in exp["ITEM"]]
        assert [None if pd.isna(v) else v for v in got["item"].astype(object)] == want
        # weights untouched
        np.testing.assert_array_equal(got["weight"].to_numpy(float), exp["W"].to_numpy(float))
        # every value set to missing is counted: NA in the table = missing codes + out of range
        sm = log[(log.group == name) & (log.step == "set_missing") & (log.variable == "x")]
        assert sm["count"].sum() == got["x"].isna().sum()
