"""Tests of the synthetic-survey simulator (coprod.pipeline.simulate), the bundled raw files and the codebook.

Why: the bundled data stand in for a non-public survey, so they must be reproducible, carry the
documented quirks, be undone exactly by config/codebook.yaml, and follow the documented
generating model (so that "the model recovers the generating values" is a fair check).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import statsmodels.api as sm
from catalogue import safe_load

from coprod.pipeline import simulate as S

ROOT = Path(__file__).resolve().parents[3]
RAW = ROOT / "data" / "raw"
CODEBOOK = ROOT / "config" / "codebook.yaml"
COUNTRIES = S.COUNTRIES
THRESHOLD = "often"


@pytest.fixture(scope="module")
def default_sims():
    return S.simulate_survey(seed=2008)


@pytest.fixture(scope="module")
def raw_files():
    return {c: pyreadstat.read_sav(str(RAW / f"{c}_2008.sav"), user_missing=True) for c in COUNTRIES}


@pytest.fixture(scope="module")
def codebook():
    return safe_load(CODEBOOK.read_text(encoding="utf-8"))


# --- reproducibility --------------------------------------------------------------------------
def test_same_seed_gives_identical_frames():
    for c in COUNTRIES:
        a = S.simulate_country(c, 300, np.random.default_rng(11))
        b = S.simulate_country(c, 300, np.random.default_rng(11))
        pd.testing.assert_frame_equal(a, b)


def test_different_seed_gives_different_frames():
    a = S.simulate_country("UK", 300, np.random.default_rng(1))
    b = S.simulate_country("UK", 300, np.random.default_rng(2))
    assert not a.equals(b)


def test_write_is_byte_identical_and_matches_bundled_files(tmp_path, default_sims, raw_files):
    S.write_survey(tmp_path / "a", seed=2008)
    S.write_survey(tmp_path / "b", seed=2008)
    for c in COUNTRIES:
        fa, fb = tmp_path / "a" / f"{c}_2008.sav", tmp_path / "b" / f"{c}_2008.sav"
        assert hashlib.sha256(fa.read_bytes()).digest() == hashlib.sha256(fb.read_bytes()).digest()
        bundled = RAW / f"{c}_2008.sav"
        assert bundled.stat().st_size < 1_000_000
        # the bundled files hold exactly the seed-2008 data
        got = raw_files[c][0]
        exp = default_sims[c].raw
        assert list(got.columns) == list(exp.columns)
        np.testing.assert_array_equal(got.to_numpy(dtype=float), exp.to_numpy(dtype=float))


def test_sizes_and_n_total():
    assert S.DEFAULT_SIZES == {"UK": 1020, "FR": 1005, "DE": 1010, "DK": 990, "CZ": 975}
    sz = S.sizes_for_total(40_000)
    assert sum(sz.values()) == 40_000 and len(set(sz.values())) > 1
    assert S.resolve_sizes(scale=2)["UK"] == 2040
    assert S.resolve_sizes(sizes={"UK": 50})["UK"] == 50


def test_cli(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        S.main(["--help"])
    assert e.value.code == 0
    assert "SYNTHETIC" in capsys.readouterr().out
    assert S.main(["--out", str(tmp_path), "--seed", "3", "--n-total", "500"]) == 0
    files = sorted(p.name for p in tmp_path.glob("*.sav"))
    assert files == sorted(f"{c}_2008.sav" for c in COUNTRIES)


# --- labels and quirks in the raw files ----------------------------------------------------------
def test_files_have_variable_and_value_labels(raw_files):
    for c, (df, meta) in raw_files.items():
        labels = meta.column_names_to_labels
        assert all(labels.get(col) for col in df.columns), c
        vl = meta.variable_value_labels
        for col in ("Q1A", "Q10A", "Q11A", "Q12A", "Q13A", "Q51", "Q52", "Q53", "Q54"):
            assert col in vl and len(vl[col]) >= 2, (c, col)
        assert "SYNTHETIC" in meta.file_label


def test_missing_codes_differ_by_country(raw_files):
    expected = {"UK": {8, 9}, "FR": {98, 99}, "DE": {-1, -2}, "DK": {8, 9}, "CZ": {97, 99}}
    for c, (df, meta) in raw_files.items():
        vals = set(np.unique(df["Q10A"].dropna()))
        assert expected[c] <= vals, c
        assert vals - expected[c] <= {1, 2, 3, 4}, c
        declared = c in S.PARAMS["quirks"]["declare_user_missing"]
        assert bool(meta.missing_ranges) == declared, c
        if declared:
            codes = {r["lo"] for r in meta.missing_ranges["Q10A"]}
            assert codes == expected[c]
    assert set(S.PARAMS["quirks"]["declare_user_missing"]) == {"FR", "DE", "CZ"}


def test_structural_quirks(raw_files):
    dk = raw_files["DK"][0]["Q50"]
    assert dk.between(1900, 1990).mean() > 0.99  # year of birth
    assert raw_files["UK"][0]["Q50"].between(18, 90).mean() > 0.99  # age
    assert "Q3C" not in raw_files["FR"][0].columns
    assert all("Q3C" in raw_files[c][0].columns for c in COUNTRIES if c != "FR")
    assert "Q2_GRUPPE" in raw_files["DE"][0].columns and "Q2D" not in raw_files["DE"][0].columns
    cz_df, cz_meta = raw_files["CZ"]
    assert cz_meta.variable_value_labels["Q51"] == {1.0: "Woman", 2.0: "Man"}
    assert raw_files["UK"][1].variable_value_labels["Q51"] == {1.0: "Man", 2.0: "Woman"}
    assert (cz_df["Q51"] == 1).mean() > 0.5  # women are the majority, and coded 1 in CZ
    assert (raw_files["UK"][0]["Q51"] == 2).mean() > 0.5


def test_record_quirks_match_the_record(raw_files):
    q = S.injected_quirks(seed=2008)
    for c, (df, _) in raw_files.items():
        dup_ids = sorted(int(i) for i in df.loc[df.duplicated(), "RESPID"])
        assert dup_ids == sorted(q[c]["duplicate_ids"])
        assert df.drop_duplicates()["RESPID"].is_unique  # duplicates are exact repeats
        assert len(df) == q[c]["n_rows"] == q[c]["n_respondents"] + len(dup_ids)
        ages = df.drop_duplicates().set_index("RESPID")["Q50"]
        if c == "DK":
            ages = 2008 - ages
        bad = ages[(ages < 18) | (ages > 105)]
        assert {int(k): int(v) for k, v in bad.items()} == q[c]["impossible_age_ids"]
        assert sorted(int(i) for i in df.loc[df["WGT"].isna(), "RESPID"]) == q[c]["missing_weight_ids"]
    assert sum(len(v["duplicate_ids"]) > 0 for v in q.values()) == 2
    assert all(2 <= len(v["duplicate_ids"]) <= 5 for v in q.values() if v["duplicate_ids"])
    assert sum(len(v["impossible_age_ids"]) > 0 for v in q.values()) >= 2
    assert all(len(v["missing_weight_ids"]) <= 3 for v in q.values())


def test_weights_plausible(default_sims):
    for c, sim in default_sims.items():
        w = sim.truth["weight"].dropna()
        assert abs(w.mean() - 1) < 0.01, c
        assert 0.25 < w.min() and w.max() < 3.6, c


# --- the codebook undoes every quirk -------------------------------------------------------------
def test_codebook_lists_every_raw_column_and_group(codebook, raw_files):
    assert set(codebook["groups"]) == set(COUNTRIES)
    for c, (df, _) in raw_files.items():
        g = codebook["groups"][c]
        assert g["file"] == f"data/raw/{c}_2008.sav"
        named = {g.get("rename", {}).get(k, v["raw"]) for k, v in codebook["variables"].items()
                 if k not in g.get("not_asked", [])}
        assert named <= set(df.columns), (c, named - set(df.columns))
        assert set(df.columns) - named == set(S.PARAMS["quirks"]["extra_columns"])
    for spec in list(codebook["variables"].values()) + list(codebook["outcomes"].values()):
        assert spec.get("label"), spec


# --- prevalences and the generating model --------------------------------------------------------
def raw_any(df: pd.DataFrame, code: str, kind: str) -> pd.Series:
    """individual/collective "any" straight from the raw items with the threshold rule (often)."""
    items = ([S.raw_name(code, f"ind_{d}_{j}") for d in S.DOMAINS for j in (1, 2, 3)]
             if kind == "individual" else [S.raw_name(code, f"coll_{d}_1") for d in S.DOMAINS])
    items = [i for i in items if i in df.columns]
    block = df[items]
    answered = block.isin([1, 2, 3])
    return pd.Series(np.where((block == 1).any(axis=1), 1.0,
                              np.where(answered.any(axis=1), 0.0, np.nan)), index=df.index)


def test_prevalences_in_stated_ranges(raw_files):
    for c, (df, _) in raw_files.items():
        df = df.drop_duplicates()
        ind, col = raw_any(df, c, "individual"), raw_any(df, c, "collective")
        assert ind.notna().all() and col.notna().all()
        assert 0.50 <= ind.mean() <= 0.85, (c, ind.mean())
        assert 0.05 <= col.mean() <= 0.20, (c, col.mean())
        assert ind.mean() > col.mean() + 0.3  # the "major gulf"
    prev = {c: raw_any(raw_files[c][0], c, "collective").mean() for c in COUNTRIES}
    assert max(prev.values()) - min(prev.values()) > 0.03  # countries differ


def design_matrix(t: pd.DataFrame) -> pd.DataFrame:
    X = pd.DataFrame({"Intercept": 1.0, "age": t["age"], "self_efficacy": t["self_efficacy"],
                      "performance": t["performance"],
                      "outcome_perception": t["outcome_perception"]}, index=t.index)
    for var, levels in (("gender", ["woman"]), ("education", ["medium", "high"]),
                        ("employment", ["unemployed", "retired", "inactive"]),
                        ("urban", ["urban"]), ("informed", ["yes"]), ("consulted", ["yes"]),
                        ("country", ["FR", "DE", "DK", "CZ"])):
        for lv in levels:
            X[f"{var}[{lv}]"] = (t[var].astype(object) == lv).astype(float)
    return X


def flat_truth(outcome: str) -> dict[str, float]:
    g = S.GENERATING_VALUES[outcome]
    out = {}
    for k, v in g.items():
        if isinstance(v, dict):
            out.update({f"{k}[{lv}]": x for lv, x in v.items()})
        else:
            out[k] = v
    return out


def test_generating_values_encode_the_published_directions():
    ind, col = S.GENERATING_VALUES["individual_any"], S.GENERATING_VALUES["collective_any"]
    assert ind["age"] > 0 > col["age"] and abs(col["age"]) < ind["age"]
    assert ind["gender"]["woman"] > 0 and col["gender"]["woman"] == 0
    assert col["self_efficacy"] > ind["self_efficacy"] > 0
    for g in (ind, col):
        assert g["informed"]["yes"] > 0 and g["consulted"]["yes"] > 0
        assert g["outcome_perception"] < 0
        assert len(set(g["country"].values())) > 1
    assert S.PARAMS["generating_values"] is S.GENERATING_VALUES


def test_large_n_recovers_generating_values():
    """On the covariates the outcomes were drawn from (before the MAR block nonresponse)."""
    sims = S.simulate_survey(seed=12345, n_total=40_000)
    t = pd.concat([s.truth for s in sims.values()], ignore_index=True)
    full = pd.concat([s.complete for s in sims.values()], ignore_index=True)
    t[full.columns] = full
    covs = ["age", "gender", "education", "employment", "urban", "self_efficacy", "performance",
            "outcome_perception", "informed", "consulted"]
    t = t.dropna(subset=covs)
    assert len(t) > 38_000
    X = design_matrix(t)
    for outcome in ("individual_any", "collective_any"):
        fit = sm.Logit(t[outcome], X).fit(disp=0)
        truth = pd.Series(flat_truth(outcome))[X.columns]
        z = (fit.params - truth) / fit.bse
        assert (z.abs() < 4).all(), z[z.abs() >= 4]


def test_block_dont_know_is_missing_at_random_given_outcomes_age_and_education():
    """The whole-block don't-knows follow PARAMS["block_nonresponse"]: a logistic regression of
    "efficacy block missing" on age, education and the two outcomes recovers its coefficients,
    and adding the complete-data efficacy itself adds nothing (MAR, not MNAR)."""
    sims = S.simulate_survey(seed=777, n_total=60_000)
    t = pd.concat([s.truth for s in sims.values()], ignore_index=True)
    full = pd.concat([s.complete for s in sims.values()], ignore_index=True)
    # one raw row per respondent, in the truth's order (a duplicated record may come first)
    raw = pd.concat([s.raw.drop_duplicates().sort_values("RESPID") for s in sims.values()],
                    ignore_index=True)
    assert len(raw) == len(t) and (raw["RESPID"].to_numpy() == t["respondent_id"]).all()
    for stem, var in (("efficacy", "self_efficacy"), ("performance", "performance")):
        items = [S.raw_name("UK", f"{stem}_{d}") for d in S.DOMAINS]  # the same in every file
        # a block is missing when all three items carry a don't-know code (country codes differ)
        codes = {float(v["dont_know"]) for v in S.PARAMS["quirks"]["missing_codes"].values()}
        block = raw[items].isin(codes).all(axis=1).to_numpy(dtype=float)
        b = S.PARAMS["block_nonresponse"][stem]
        edu = t["education"].astype(object)
        X = pd.DataFrame({"Intercept": 1.0, "age10": (t["age"].fillna(50) - 50) / 10,
                          "medium": (edu == "medium").astype(float),
                          "high": (edu == "high").astype(float),
                          "y_ind": t["individual_any"], "y_col": t["collective_any"]})
        ok = edu.notna().to_numpy()
        fit = sm.Logit(block[ok], X[ok]).fit(disp=0)
        low = b["education"][0]
        truth = pd.Series({"Intercept": b["intercept"] + low, "age10": b["age_per_decade"],
                           "medium": b["education"][1] - low, "high": b["education"][2] - low,
                           "y_ind": b["individual_any"], "y_col": b["collective_any"]})
        z = (fit.params - truth) / fit.bse
        assert (z.abs() < 4).all(), (stem, z)
        X[var] = full[var]
        extra = sm.Logit(block[ok], X[ok]).fit(disp=0)
        assert abs(extra.params[var] / extra.bse[var]) < 4, (stem, extra.params[var])
    assert 0.07 < t["self_efficacy"].isna().mean() < 0.12
    assert 0.04 < t["performance"].isna().mean() < 0.08


def test_readme_states_synthetic_and_shows_the_generating_values():
    text = (RAW / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text.splitlines()[0]
    assert S.generating_values_markdown() in text
    for cmd in ("python -m coprod.pipeline.simulate --out data/raw --seed 2008", "snakemake --cores 1 simulate_raw"):
        assert cmd in text
