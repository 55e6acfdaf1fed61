"""R's design vocabulary against R's survey (tools/golden_rdesign.R, R 4.2.2 / survey 4.1.1):
the examples of ?svydesign (stratified, one- and two-stage cluster samples, weights as values,
nest=TRUE), ?svrepdesign (scd's BRR weights by hand) and ?as.svrepdesign (scd to BRR, Fay,
JKn with and without fpc and with paley(11); apiclus1 to JK1 and to the bootstrap with fpc),
plus conversions that exercise each branch of R's Hadamard matrices (NHANES as JKn; apistrat
arranged as 25 and 50 pairs of PSUs and as 10 strata of 4 PSUs, which R splits into pairs), and
JKn with a lonely stratum (each of R's survey.lonely.psu rules) and with a census stratum.
Converted designs' replicate factors equal R's (1e-15); estimates 1e-8, SEs 1e-6, df equal.
The bootstrap is random: R's own draws go through coprod's scale and variance."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from coprod.survey import (
    as_svrepdesign,
    degf,
    hadamard,
    paley,
    svrepdesign,
    svy_mean,
    svy_ratio,
    svy_total,
    svydesign,
)

GOLDEN = ROOT / "tests" / "data" / "golden"
REF = pd.read_csv(GOLDEN / "rdesign_reference.csv", keep_default_na=False, na_values=["NA"])
FACTORS = pd.read_csv(GOLDEN / "rdesign_factors.csv")
SCD_REPWEIGHTS = 2 * np.column_stack([[1, 0, 1, 0, 1, 0], [1, 0, 0, 1, 0, 1],
                                      [0, 1, 1, 0, 0, 1], [0, 1, 0, 1, 1, 0]])


def _data() -> dict[str, pd.DataFrame]:
    strat = pd.read_csv(GOLDEN / "api_strat.csv")
    ids = pd.read_csv(GOLDEN / "api_strat_ids.csv")
    assert (ids["snum"] == strat["snum"]).all()
    row = np.arange(len(strat))
    strat = strat.assign(dnum=ids["dnum"], split_stratum=row // 20 + 1,
                         split_psu=row // 5 % 4 + 1)
    return {"clus": pd.read_csv(GOLDEN / "api_clus1.csv"), "strat": strat,
            "clus2": pd.read_csv(GOLDEN / "api_clus2.csv"),
            "scd": pd.read_csv(GOLDEN / "scd.csv"),
            "nhanes": pd.read_csv(ROOT / "data" / "examples" / "nhanes.csv")}


def _pairs(strat: pd.DataFrame, per_psu: int) -> Any:
    row = np.arange(len(strat))
    data = strat.assign(pair_stratum=row // (2 * per_psu) + 1, pair_psu=row // per_psu % 2 + 1)
    return svydesign(data, ids="~pair_psu", strata="~pair_stratum", weights="~pw", nest=True)


@pytest.fixture(scope="module")
def designs() -> dict[str, Any]:
    d = _data()
    dclus2 = svydesign(d["clus2"], ids="~dnum + snum", fpc="~fpc1 + fpc2")
    scddes = svydesign(d["scd"], probs="~1", ids="~ambulance", strata="~ESA", nest=True,
                       fpc=[5] * 6)
    scdnofpc = svydesign(d["scd"], probs=1, ids="ambulance", strata="ESA", nest=True)
    dclus1 = svydesign(d["clus"], ids="~dnum", weights="~pw", fpc="~fpc")
    dnhanes = svydesign(d["nhanes"], ids="~SDMVPSU", strata="~SDMVSTRA", weights="~WTMEC2YR",
                        nest=True)
    dsplit = svydesign(d["strat"], ids="split_psu", strata="split_stratum", weights="pw",
                       nest=True)
    pairs25, pairs50 = _pairs(d["strat"], 4), _pairs(d["strat"], 2)
    with pytest.warns(UserWarning, match="equal probability"):
        scdrep = svrepdesign(d["scd"], repweights=SCD_REPWEIGHTS, type="BRR",
                             combined_weights=False)
    sources = {"scd2jknf": scddes, "rclus1": dclus1, "bclus1": dclus1, "nhanes_jkn": dnhanes,
               "split10_brr": dsplit, "split10_fay": dsplit}
    sources.update({k: scdnofpc for k in ("scd2brr", "scd2fay", "scd2jkn", "scd2brr1")})
    sources.update({f"pairs25_{t}": pairs25 for t in ("brr", "fay", "jkn")})
    sources["pairs50_brr"] = pairs50
    out: dict[str, Any] = {
        "sources": sources,
        "dstrat": svydesign(d["strat"], ids=None, strata="~stype", weights="~pw", fpc="~fpc"),
        "dclus1": dclus1,
        "dclus1_E": dclus1.subset("stype == 'E'"),
        "dclus2": dclus2,
        "dclus2wr": svydesign(d["clus2"], ids=["dnum", "snum"], weights=dclus2.weights),
        "dclus2wr2": svydesign(d["clus2"], ids="dnum", weights=dclus2.weights),
        "dstrat_nest": svydesign(d["strat"], ids="~dnum", strata="~stype", weights="~pw",
                                 nest=True),
        "scddes": scddes, "scdnofpc": scdnofpc, "scdrep": scdrep,
        "scd2brr": as_svrepdesign(scdnofpc, type="BRR"),
        "scd2fay": as_svrepdesign(scdnofpc, type="Fay", fay_rho=0.3),
        "scd2jkn": as_svrepdesign(scdnofpc, type="JKn"),
        "scd2jknf": as_svrepdesign(scddes, type="JKn"),
        "scd2brr1": as_svrepdesign(scdnofpc, type="BRR", hadamard_matrix=paley(11)),
        "rclus1": as_svrepdesign(dclus1),
        "nhanes_jkn": as_svrepdesign(dnhanes, type="JKn"),
        "pairs25_brr": as_svrepdesign(pairs25, type="BRR"),
        "pairs25_fay": as_svrepdesign(pairs25, type="Fay", fay_rho=0.3),
        "pairs25_jkn": as_svrepdesign(pairs25, type="JKn"),
        "pairs50_brr": as_svrepdesign(pairs50, type="BRR"),
        "split10_brr": as_svrepdesign(dsplit, type="BRR"),
        "split10_fay": as_svrepdesign(dsplit, type="Fay", fay_rho=0.5),
    }
    # JKn with a lonely stratum under each rule, and with a census stratum
    strat = d["strat"]
    h_rows = np.flatnonzero(strat["stype"] == "H")
    lonely = strat[(strat["stype"] != "H").to_numpy() | (np.arange(len(strat)) == h_rows[0])]
    for rule in ("adjust", "average", "remove", "certainty"):
        out[f"lonely_{rule}"] = as_svrepdesign(svydesign(
            lonely, strata="~stype", weights="~pw", lonely_psu=rule), "JKn")
    census = strat.assign(fpc_census=np.where(strat["stype"] == "H", len(h_rows), strat["fpc"]))
    out["census_jkn"] = as_svrepdesign(svydesign(census, strata="stype", weights="pw",
                                                 fpc="fpc_census"), "JKn")
    # R's bootstrap draws (set.seed(28)) through coprod's own conversion's scale and variance
    boot = as_svrepdesign(dclus1, type="bootstrap", replicates=100, seed=1)
    out["bclus1"] = replace(boot, repweights=np.asfortranarray(
        _r_factors("bclus1")[_first_seen(dclus1.psu)] * dclus1.weights[:, None]))
    return out


def _first_seen(psu: np.ndarray) -> np.ndarray:
    """Each row's PSU numbered by first appearance (R's ``match(psu, unique(psu))``)."""
    return np.asarray(pd.factorize(psu)[0])


def _r_factors(case: str) -> np.ndarray:
    rows = FACTORS[FACTORS["case"] == case].sort_values("psu")
    return np.array([[float(x) for x in f.split()] for f in rows["factors"]])


def _close(ours: float, r: float, tol: float, what: str) -> None:
    assert abs(ours - r) <= tol * max(1.0, abs(r)), f"{what}: {ours!r} vs R {r!r}"


def _estimates(design: Any, statistic: str, term: str) -> dict[str, tuple[float, float]]:
    """{R's term: (estimate, SE)} of one reference row's statistic."""
    if statistic == "ratio":
        num, den = term.split("/")
        r = svy_ratio(num, den, design)
        return {term: (r["estimate"].iloc[0], r["std_error"].iloc[0])}
    variable = term[:-1] if term.startswith("stype") else term
    res = (svy_total if statistic == "total" else svy_mean)(variable, design)
    if isinstance(res, dict):
        return {variable: (res["estimate"], res["std_error"])}
    return {t: (row["estimate"], row["std_error"]) for t, row in res.iterrows()}


CASES = sorted(set(REF["case"]))


@pytest.mark.parametrize("case", CASES)
def test_estimates_ses_and_df_equal_r(designs, case):
    design = designs[case]
    rows = REF[REF["case"] == case]
    assert degf(design) == rows["df"].iloc[0], case
    assert design.degf() == degf(design)
    for _, ref in rows.iterrows():
        if ref["statistic"] == "degf":
            continue
        if ref["statistic"] == "scale":
            _close(design.scale, float(ref["estimate"]), 1e-12, f"{case} scale")
            continue
        if ref["statistic"] == "rscales":
            r = np.array([float(x) for x in ref["estimate"].split()])
            np.testing.assert_allclose(design.rscales, r, rtol=1e-12, err_msg=case)
            continue
        est, se = _estimates(design, ref["statistic"], ref["term"])[ref["term"]]
        _close(est, float(ref["estimate"]), 1e-8, f"{case} {ref['term']} estimate")
        assert abs(se - ref["std_error"]) <= 1e-6 * abs(ref["std_error"]), \
            f"{case} {ref['term']} SE: {se!r} vs R {ref['std_error']!r}"


@pytest.mark.parametrize("case", sorted(set(FACTORS["case"]) - {"bclus1"}))
def test_replicates_are_rs_replicate_for_replicate(designs, case):
    """Same replicates, same order: JK1, JKn, BRR and Fay (R's Hadamard matrices, R's sorted
    strata, split strata) as R's ``as.svrepdesign``: the factors of each PSU, PSUs in order of
    first appearance."""
    design, source = designs[case], designs["sources"][case]
    first_rows = np.unique(_first_seen(source.psu), return_index=True)[1]
    ours = design.repweights[first_rows] / design.weights[first_rows, None]
    r = _r_factors(case)
    assert ours.shape == r.shape, case
    np.testing.assert_allclose(ours, r, rtol=0, atol=1e-15, err_msg=case)


def test_bootstrap_scale_is_rs_formula():
    """as.svrepdesign(dclus1, "bootstrap", replicates=100): R's scale n/((n-1)(R-1)), rscales
    1, whatever the draws (R's scale is in the reference)."""
    d = _data()
    dclus1 = svydesign(d["clus"], ids="~dnum", weights="~pw", fpc="~fpc")
    ref = REF[(REF["case"] == "bclus1") & (REF["statistic"] == "scale")]
    for seed in (1, 2):
        b = as_svrepdesign(dclus1, type="bootstrap", replicates=100, seed=seed)
        _close(b.scale, float(ref["estimate"].iloc[0]), 1e-14, "scale")
        assert (b.rscales == 1).all() and b.replicates == 100


def test_hadamard_matrices_equal_rs_for_every_n_to_200():
    ref = pd.read_csv(GOLDEN / "hadamard_reference.csv")
    for _, row in ref.iterrows():
        h = hadamard(int(row["n"]))
        text = "".join("".join(str(int(v)) for v in r) for r in h)
        assert h.shape == (row["nrow"], row["ncol"]), row["n"]
        assert hashlib.md5(text.encode()).hexdigest() == row["md5"], row["n"]
