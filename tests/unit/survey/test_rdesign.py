"""R's design vocabulary (svydesign, svrepdesign, as_svrepdesign, degf, subset): the arguments
as R reads them, the designs equal to the engine's own, R's rules for the replicate constants,
the bootstrap's rule with an fpc by its expectation, and one clear line naming the argument for
each kind of bad input. The numbers against R are in tests/golden/test_rdesign_golden.py."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from coprod.errors import CoprodError
from coprod.survey import (
    ReplicateDesign,
    as_replicate,
    as_svrepdesign,
    calibrate,
    calibration_spec,
    degf,
    design_df,
    hadamard,
    make_design,
    paley,
    svrepdesign,
    svy_mean,
    svydesign,
)
from coprod.survey.brr import brr_factors, is_hadamard

GOLDEN = ROOT / "tests" / "data" / "golden"


@pytest.fixture(scope="module")
def clus() -> pd.DataFrame:
    return pd.read_csv(GOLDEN / "api_clus1.csv")


@pytest.fixture(scope="module")
def strat() -> pd.DataFrame:
    ids = pd.read_csv(GOLDEN / "api_strat_ids.csv")
    return pd.read_csv(GOLDEN / "api_strat.csv").assign(dnum=ids["dnum"])


@pytest.fixture(scope="module")
def scd() -> pd.DataFrame:
    return pd.read_csv(GOLDEN / "scd.csv")


def _fails(call, argument: str, *words: str) -> str:
    """The call raises one line starting with the argument's name (and saying ``words``)."""
    with pytest.raises(CoprodError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text and text.startswith(f"{argument}: "), text
    assert info.value.argument == argument, (info.value.argument, text)
    for w in words:
        assert w in text, (w, text)
    return text


def _same_design(a, b) -> None:
    for f in ("weights", "stratum", "psu", "psu_stratum", "n_psu"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    for f in ("fpc", "ssu", "fpc2"):
        x, y = getattr(a, f), getattr(b, f)
        assert (x is None) == (y is None), f
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=f)


# ---- svydesign ---------------------------------------------------------------------------------

def test_svydesign_reads_rs_formulas_names_lists_and_values_alike(clus):
    engine = make_design(clus, weights="pw", psu="dnum", fpc="fpc")
    for kw in (dict(ids="~dnum", weights="~pw", fpc="~fpc"),
               dict(ids="dnum", weights="pw", fpc="fpc"),
               dict(ids=["dnum"], weights=clus["pw"].to_numpy(), fpc=list(clus["fpc"])),
               dict(ids=" ~ dnum ", probs=1 / clus["pw"], fpc="fpc")):
        d = svydesign(clus, **kw)
        _same_design(d, engine) if "probs" not in kw else np.testing.assert_allclose(
            d.weights, engine.weights, rtol=1e-15)
        assert d.data is not None and d.lonely_psu == "fail"
    for none in (None, 1, "1", "~1", "~ 1", "~0"):
        d = svydesign(clus, ids=none, weights="pw")
        _same_design(d, make_design(clus, weights="pw"))


def test_two_stages_and_their_fpcs(clus):
    data = clus.assign(fpc2=40)
    engine = make_design(data, psu="dnum", ssu="snum", fpc="fpc", fpc2="fpc2")
    for kw in (dict(ids="~dnum + snum", fpc="~fpc+fpc2"),
               dict(ids=["dnum", "snum"], fpc=["fpc", "fpc2"]),
               dict(ids="~dnum+snum", fpc=[clus["fpc"].to_numpy(), np.full(len(clus), 40)])):
        _same_design(svydesign(data, **kw), engine)


def test_probs_are_inverse_weights_and_prob_one_is_rs_tilde_one(scd):
    for one in ("~1", "1", 1):
        d = svydesign(scd, ids="ambulance", strata="ESA", probs=one, nest=True)
        assert (d.weights == 1).all() and d.columns["weights"] == "1/(probs)"
    d = svydesign(scd.assign(p=0.25), ids="ambulance", strata="ESA", probs="p", nest=True)
    assert (d.weights == 4).all() and d.columns["weights"] == "1/p"


def test_no_weights_warns_as_r(clus):
    with pytest.warns(UserWarning, match="equal probability"):
        d = svydesign(clus, ids="dnum")
    assert (d.weights == 1).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svydesign(clus, ids="dnum", fpc="fpc")  # weights from the fpc: no warning, as R


def test_nest_false_needs_clusters_nested_in_strata(strat, scd):
    """?svydesign's example: apistrat's districts cross school types; R stops without
    nest=TRUE. Labels unique across strata need no nest, and give the same design."""
    _fails(lambda: svydesign(strat, ids="~dnum", strata="~stype", weights="~pw"), "ids",
           "not nested in strata", "nest=True")
    nested = svydesign(strat, ids="~dnum", strata="~stype", weights="~pw", nest=True)
    assert degf(nested) == nested.degf()
    _fails(lambda: svydesign(scd, ids="ambulance", strata="ESA", probs=1), "ids", "nest=True")
    unique = scd.assign(amb=scd["ESA"] * 10 + scd["ambulance"])
    _same_design(svydesign(unique, ids="amb", strata="ESA", probs=1),
                 svydesign(scd, ids="ambulance", strata="ESA", probs=1, nest=True))


@pytest.mark.parametrize(("kwargs", "argument", "words"), [
    (dict(ids="~nope", weights="pw"), "ids", ("'nope'", "not in the data")),
    (dict(ids="dnum", weights="~wt"), "weights", ("'wt'",)),
    (dict(ids="dnum", weights="pw", strata="~region"), "strata", ("'region'",)),
    (dict(ids="dnum", weights="pw", fpc="~N"), "fpc", ("'N'",)),
    (dict(ids="dnum", weights="pw", probs="pw"), "weights", ("not both",)),
    (dict(ids="~dnum + snum + cnum", weights="pw"), "ids", ("two stages",)),
    (dict(ids="dnum", fpc="~fpc + fpc"), "fpc", ("2 stages",)),
    (dict(ids="dnum", strata="~stype + sch.wide"), "strata", ("one strata column",)),
    (dict(ids="dnum", probs="pw"), "probs", ("probabilities",)),
    (dict(ids="dnum", weights=[1.0, 2.0]), "weights", ("one value per row",)),
    (dict(ids="dnum", weights="pw", lonely_psu="never"), "lonely_psu", ()),
])
def test_svydesign_bad_input_names_the_argument(clus, kwargs, argument, words):
    _fails(lambda: svydesign(clus, **kwargs), argument, *words)


def test_svydesign_refuses_a_single_psu_and_a_non_frame(clus):
    _fails(lambda: svydesign(clus.assign(one=1), ids="one", weights="pw"), "ids",
           "only one primary sampling unit")
    _fails(lambda: svydesign(clus.to_dict(), ids="dnum"), "data", "DataFrame")


# ---- degf, subset, design_df -------------------------------------------------------------------

def test_degf_and_subset_of_a_taylor_design(clus):
    d = svydesign(clus, ids="dnum", weights="pw", fpc="fpc")
    assert degf(d) == d.degf() == design_df(d) == 14
    high = d.subset("stype == 'H'")
    mask = (clus["stype"] == "H").to_numpy()
    assert degf(high) == high.degf() == design_df(d, np.flatnonzero(mask))
    assert high.degf() == clus.loc[mask, "dnum"].nunique() - 1
    for same in (d.subset(mask), d.subset(pd.Series(mask)), d.domain(mask)):
        np.testing.assert_array_equal(same.in_domain, high.in_domain)
    assert svy_mean("api00", high)["estimate"] == svy_mean("api00", d, domain=mask)["estimate"]
    assert high.subset("api00 > 700").degf() <= high.degf()  # nested subsets intersect
    _fails(lambda: d.subset("stype === 'H'"), "condition", "expression")


def test_subset_with_missing_values_leaves_them_out(clus):
    data = clus.assign(x=clus["api00"].where(clus.index % 5 > 0))
    d = svydesign(data, ids="dnum", weights="pw")
    assert d.subset("x > 600").in_domain.sum() == ((data["x"] > 600).sum())


def test_degf_of_replicate_designs_default_to_their_rows(clus):
    r = as_svrepdesign(svydesign(clus, ids="dnum", weights="pw", fpc="fpc"))
    assert degf(r) == r.degf() == r.degf(np.arange(r.n)) == 14
    e = r.subset("stype == 'E'")
    assert e.degf() == r.degf(np.flatnonzero(clus["stype"] == "E"))
    _fails(lambda: degf("design"), "design", "survey design")


# ---- svrepdesign -------------------------------------------------------------------------------

def test_svrepdesign_finds_repweights_as_r_does(clus):
    boot = pd.read_csv(GOLDEN / "api_boot_weights.csv").drop(columns="snum")
    data = pd.concat([clus, boot], axis=1)
    designs = [svrepdesign(data, repweights=spec, type="bootstrap", weights="~pw")
               for spec in ("boot_", "^boot_[0-9]+$", list(boot.columns),
                            "~" + " + ".join(boot.columns))]
    designs.append(svrepdesign(clus, repweights=boot, type="bootstrap", weights="pw"))
    designs.append(svrepdesign(clus, repweights=boot.to_numpy(), type="bootstrap",
                               weights=clus["pw"]))
    for d in designs:
        np.testing.assert_array_equal(d.repweights, designs[0].repweights)
        assert d.scale == 1 / 19 and d.replicates == 20


def test_svrepdesign_constants_follow_rs_rules(scd):
    rep = 2 * np.column_stack([[1, 0, 1, 0, 1, 0], [1, 0, 0, 1, 0, 1], [0, 1, 1, 0, 0, 1],
                               [0, 1, 0, 1, 1, 0]])
    kw = dict(repweights=rep, weights=np.ones(6), combined_weights=False)
    with pytest.warns(UserWarning, match="ignored"):
        assert svrepdesign(scd, type="BRR", scale=3.0, **kw).scale == 1 / 4
    fay = svrepdesign(scd, type="Fay", rho=0.5, **kw)
    assert fay.scale == 1 / (4 * 0.25) and fay.rho == 0.5
    with pytest.warns(UserWarning, match="guessing from the weights"):
        assert svrepdesign(scd, type="JK1", **kw).scale == 0.5
    with pytest.warns(UserWarning, match="guessing n"):
        assert svrepdesign(scd, type="JK1", repweights=rep, weights=np.ones(6)).scale == 3 / 4
    with pytest.warns(UserWarning, match="rscales"):
        np.testing.assert_array_equal(svrepdesign(scd, type="JKn", **kw).rscales, 0.5)
    for kind, scale in (("ACS", 1.0), ("successive-difference", 1.0), ("JK2", 1.0)):
        d = svrepdesign(scd, type=kind, **kw)
        assert d.type == kind and d.scale == scale  # 4/R with R = 4 replicates; JK2: 1
    with pytest.warns(UserWarning, match="set to 1"):
        assert svrepdesign(scd, type="other", **kw).scale == 1.0
    with pytest.warns(UserWarning, match="not used"):
        assert svrepdesign(scd, type="bootstrap", rho=0.3, **kw).rho is None
    assert svrepdesign(scd, type="BRR", mse=True, **kw).mse


def test_svrepdesign_warns_when_weights_do_not_look_as_said(clus):
    factors = np.full((len(clus), 3), 1.0)
    with pytest.warns(UserWarning, match="do not look like combined"):
        svrepdesign(clus, repweights=factors, type="bootstrap", weights="pw")
    with pytest.warns(UserWarning, match="look like combined"):
        svrepdesign(clus, repweights=factors * clus["pw"].to_numpy()[:, None],
                    type="bootstrap", weights="pw", combined_weights=False)


@pytest.mark.parametrize(("kwargs", "argument", "words"), [
    (dict(repweights="^nope", type="BRR"), "repweights", ("no column",)),
    (dict(repweights="([", type="BRR"), "repweights", ("regular expression",)),
    (dict(repweights=["w1", "nope"], type="BRR"), "repweights", ("'nope'",)),
    (dict(repweights=np.ones((3, 2)), type="BRR"), "repweights", ("one row per row",)),
    (dict(repweights="^w", type="BBR"), "type", ("'BBR'", "JKn")),
    (dict(repweights="^w", type="Fay"), "rho", ("rho",)),
    (dict(repweights="^w", type="JKn"), "rscales", ("combined",)),
    (dict(repweights="^w", type="JK1", scale=0.5, rscales=[1, 1, 1]), "rscales", ("3 values",)),
    (dict(repweights="^w", type="BRR", weights="~nope"), "weights", ("'nope'",)),
])
def test_svrepdesign_bad_input_names_the_argument(kwargs, argument, words):
    data = pd.DataFrame({"pw": [1.0, 2, 3, 4], "w1": [2.0, 0, 6, 0], "w2": [0.0, 4, 0, 8]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _fails(lambda: svrepdesign(data, **{"weights": "pw", **kwargs}), argument, *words)


def test_svrepdesign_refuses_missing_replicate_weights():
    data = pd.DataFrame({"pw": [1.0, 2], "w1": [2.0, None], "w2": [0.0, 4]})
    _fails(lambda: svrepdesign(data, "^w", "bootstrap", weights="pw"), "repweights", "'w1'",
           "missing")


# ---- as_svrepdesign ----------------------------------------------------------------------------

def test_auto_is_jk1_without_strata_and_jkn_with_them(clus, strat):
    assert as_svrepdesign(svydesign(clus, ids="dnum", weights="pw")).type == "JK1"
    d = svydesign(strat, strata="stype", weights="pw", fpc="fpc")
    r = as_svrepdesign(d)
    assert r.type == "JKn" and r.replicates == len(strat)


def test_fay_rho_zero_is_brr_and_brr_with_rho_is_fay(scd):
    d = svydesign(scd, ids="ambulance", strata="ESA", probs=1, nest=True)
    assert as_svrepdesign(d, "Fay").type == "BRR"
    fay = as_svrepdesign(d, "BRR", fay_rho=0.3)
    assert fay.type == "Fay" and fay.rho == 0.3 and fay.scale == 1 / (4 * 0.7 ** 2)
    np.testing.assert_allclose(np.sort(np.unique(fay.repweights)), [0.3, 1.7])


def test_brr_sorts_strata_as_text_and_pairs_psus_by_first_appearance():
    """R's brrweights: strata sorted as text ("10" before "2"), PSUs of a stratum in order of
    first appearance; each pair's factors add to 2 in every replicate."""
    strata = [2, 10, 2, 10, 1, 1]
    f = brr_factors(strata)
    h = hadamard(3)
    # sorted: "1" (pseudo-stratum 0), "10" (1), "2" (2); first PSU of a pair at 2 when H is 1
    for j, k in ((4, 0), (1, 1), (0, 2)):
        np.testing.assert_array_equal(f[j], np.where(h[1 + k] == 1, 2.0, 0.0))
    np.testing.assert_array_equal(f[[4, 1, 0]] + f[[5, 3, 2]], 2.0)
    split = brr_factors(["a"] * 4 + ["b"] * 2)  # a's 4 PSUs make two pseudo-strata
    assert split.shape == (6, 4) and (split[0] + split[1] == 2).all()


def test_hadamard_matrices_are_hadamard():
    for n in (1, 3, 4, 7, 8, 11, 15, 20, 25, 27, 35, 50, 60, 99):
        h = hadamard(n)
        assert h.shape[0] >= n + 1 and is_hadamard(h), n
    p = paley(11)
    assert p is not None and p.shape == (12, 12) and is_hadamard(p)


def test_a_users_hadamard_matrix_in_any_two_values(scd):
    d = svydesign(scd, ids="ambulance", strata="ESA", probs=1, nest=True)
    h = hadamard(3)
    default = as_svrepdesign(d, "BRR").repweights
    # R reads the first value met (column order) as 0: hadamard(3) given back flips every
    # replicate's halves (as R's as.svrepdesign(hadamard.matrix = hadamard(3)) does)
    for given in (h, 1 - h, np.where(h == 1, 1, -1), np.where(h == 1, "+", "-")):
        np.testing.assert_array_equal(as_svrepdesign(d, "BRR", hadamard_matrix=given)
                                      .repweights, 2 - default)


def _two_strata() -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Two strata of 4 and 5 PSUs from populations of 12 and 20 (3 and 4 copies each)."""
    rng = np.random.default_rng(3)
    n_h, big_n = np.array([4, 5]), np.array([12, 20])
    rows = pd.DataFrame({"h": np.repeat([0, 0, 0, 0, 1, 1, 1, 1, 1], 3),
                         "psu": np.repeat(np.arange(9), 3)})
    rows["y"] = rng.normal(10, 3, len(rows))
    rows["N"] = big_n[rows["h"]]
    return rows, n_h, big_n


@pytest.mark.parametrize("fpc", [False, True])
def test_bootstrap_variance_expectation_is_rs_rule(fpc):
    """R's bootweights: the replicates' variance of a total is, in expectation, nbar/(nbar - 1)
    x sum_h c_h x sum_i (z_hi - mean_h)^2 (z: the PSUs' weighted totals) with c_h = 1 drawn
    with replacement and (N_h - n_h)/(N_h - 1) drawn without replacement from the
    pseudo-population (N_h/n_h copies of each PSU), R's finite-population rule; nbar is the
    harmonic mean of the n_h. 20,000 replicates: within 4%."""
    data, n_h, big_n = _two_strata()
    d = svydesign(data, ids="psu", strata="h", fpc="N" if fpc else None,
                  weights=None if fpc else np.full(len(data), 2.0), nest=True)
    reps = 20_000
    b = as_svrepdesign(d, "bootstrap", replicates=reps, seed=11)
    nbar = 1 / np.mean(1 / n_h)
    assert b.scale == pytest.approx(nbar / ((nbar - 1) * (reps - 1)), rel=1e-14)
    z = np.bincount(data["psu"], weights=d.weights * data["y"])
    h_of = np.array([0] * 4 + [1] * 5)
    c = (big_n - n_h) / (big_n - 1) if fpc else np.ones(2)
    spread = [((z[h_of == h] - z[h_of == h].mean()) ** 2).sum() for h in (0, 1)]
    expected = nbar / (nbar - 1) * float(np.dot(c, spread))
    totals = b.repweights.T @ data["y"].to_numpy()
    v = float(b.variance(totals, np.array([d.weights @ data["y"]]))[0, 0])
    assert v == pytest.approx(expected, rel=0.04)
    counts = b.repweights / d.weights[:, None]
    firsts = np.unique(data["psu"], return_index=True)[1]
    per_stratum = np.array([counts[firsts][h_of == h].sum(axis=0) for h in (0, 1)])
    assert (per_stratum == n_h[:, None]).all()  # n_h PSUs drawn in every replicate
    if fpc:  # without replacement: no PSU more often than its copies
        assert counts[firsts].max(axis=1).max() <= (big_n // n_h).max()


def test_bootstrap_is_seeded_and_subbootstrap_has_rs_scale(clus):
    d = svydesign(clus, ids="dnum", weights="pw", fpc="fpc")
    a, b = (as_svrepdesign(d, "bootstrap", replicates=30, seed=4) for _ in range(2))
    np.testing.assert_array_equal(a.repweights, b.repweights)
    s = as_svrepdesign(d, "subbootstrap", replicates=30, seed=4)
    assert s.scale == 1 / 29 and s.type == "subbootstrap"
    factors = s.repweights / d.weights[:, None]
    firsts = np.unique(d.psu, return_index=True)[1]
    np.testing.assert_allclose(factors[firsts].sum(axis=0), 15.0)  # 14 draws x 15/14


def test_two_stage_designs_use_the_first_stage_with_rs_warning(clus):
    d = svydesign(clus.assign(f2=40), ids="~dnum + snum", fpc="~fpc + f2")
    with pytest.warns(UserWarning, match="after the first stage"):
        r = as_svrepdesign(d, "JK1")
    one = as_svrepdesign(svydesign(clus, ids="dnum", weights=d.weights, fpc="fpc"), "JK1")
    np.testing.assert_array_equal(r.repweights, one.repweights)
    _fails(lambda: as_replicate(d, "JK1"), "design", "second-stage")


def test_brr_drops_the_fpc_with_rs_warning(scd):
    d = svydesign(scd, ids="ambulance", strata="ESA", probs=1, nest=True, fpc=[5] * 6)
    with pytest.warns(UserWarning, match="dropped"):
        assert as_svrepdesign(d, "BRR").scale == 1 / 4


def test_jkn_lonely_psus_follow_the_designs_rule(strat):
    data = strat[strat["stype"] != "H"].copy()
    data = pd.concat([data, strat[strat["stype"] == "H"].iloc[:1]], ignore_index=True)
    d = svydesign(data, ids=None, strata="stype", weights="pw")
    _fails(lambda: as_svrepdesign(d), "type", "'H'", "single PSU", "lonely_psu")
    adjust = as_svrepdesign(svydesign(data, strata="stype", weights="pw",
                                      lonely_psu="adjust"))
    assert adjust.replicates == len(data)  # one replicate drops the lonely stratum
    assert adjust.rscales[-1] == pytest.approx(2 / 3)
    removed = as_svrepdesign(svydesign(data, strata="stype", weights="pw",
                                       lonely_psu="remove"))
    average = as_svrepdesign(svydesign(data, strata="stype", weights="pw",
                                       lonely_psu="average"))
    assert removed.replicates == average.replicates == len(data) - 1
    assert removed.scale == 1 and average.scale == len(data) / (len(data) - 1)


@pytest.mark.parametrize(("make", "kwargs", "argument", "words"), [
    ("scd", dict(type="BBR"), "type", ("'BBR'", "JKn")),
    ("scd", dict(type="mrbbootstrap"), "type", ("not supported",)),
    ("scd3", dict(type="BRR"), "type", ("'1'", "has 3")),
    ("scd1", dict(type="BRR"), "type", ("'3'", "has 1")),
    ("scd", dict(type="JK1"), "type", ("stratified",)),
    ("clus", dict(type="JKn"), "type", ("needs strata",)),
    ("clus", dict(type="BRR"), "type", ("needs strata",)),
    ("scd", dict(type="Fay", fay_rho=1.0), "fay_rho", ("[0, 1)",)),
    ("scd", dict(type="BRR", hadamard_matrix=np.ones((4, 4))), "hadamard_matrix", ("two",)),
    ("scd", dict(type="BRR", hadamard_matrix=np.triu(np.ones((4, 4)))), "hadamard_matrix",
     ("not a",)),
    ("scd", dict(type="BRR", hadamard_matrix=hadamard(1)[:3]), "hadamard_matrix", ("4 rows",)),
    ("scd", dict(type="JKn", hadamard_matrix=hadamard(3)), "hadamard_matrix", ("only for",)),
    ("clus", dict(type="bootstrap", replicates=1), "replicates", ("at least 2",)),
])
def test_as_svrepdesign_bad_input_names_the_argument(scd, clus, make, kwargs, argument, words):
    designs = {
        "scd": lambda: svydesign(scd, ids="ambulance", strata="ESA", probs=1, nest=True),
        # ESA 1 with a third ambulance (R: "Can't split with odd numbers of PSUs")
        "scd3": lambda: svydesign(pd.concat([scd, scd.iloc[:1].assign(ambulance=3)]),
                                  ids="ambulance", strata="ESA", probs=1, nest=True),
        "scd1": lambda: svydesign(scd.iloc[:5], ids="ambulance", strata="ESA", probs=1,
                                  nest=True, lonely_psu="adjust"),
        "clus": lambda: svydesign(clus, ids="dnum", weights="pw"),
    }
    d = designs[make]()
    _fails(lambda: as_svrepdesign(d, **kwargs), argument, *words)


def test_as_svrepdesign_converts_taylor_designs_only(clus):
    d = svydesign(clus, ids="dnum", weights="pw", fpc="fpc")
    r = as_svrepdesign(d)
    assert isinstance(r, ReplicateDesign)
    _fails(lambda: as_svrepdesign(r), "design", "ReplicateDesign")
    cal = calibrate(d, clus, calibration_spec("poststrat",
                                              {"stype": {"E": 4421, "H": 755, "M": 1018}}))
    _fails(lambda: as_svrepdesign(cal), "design", "calibrated")
