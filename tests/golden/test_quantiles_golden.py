"""Quantiles, proportions' intervals and estimates by domain against R's survey
(tools/golden_quantiles.R, R 4.2.2 / survey 4.1.1) on R's own ``api`` data, the designs of the
help pages: ``svyquantile`` (Woodruff's interval of each type; replicate designs' "quantile"
type; the "school" rule; missing values; a domain; a post-stratified design), ``svyciprop``
with every method, ``svyby`` of svymean, svytotal, svyratio, svyquantile and svyciprop (one and
two by variables, factor means), and ``svymean`` of a factor. Tolerances: estimates 1e-8
(relative to max(1, |estimate|)), SEs and interval ends 1e-6 (relative), df equal; NaN where R
has NA."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from coprod.survey import (
    as_replicate,
    calibrate,
    calibration_spec,
    make_design,
    make_replicate_design,
    svy_by,
    svy_ciprop,
    svy_mean,
    svy_quantile,
    svy_ratio,
    svy_total,
)

GOLDEN = ROOT / "tests" / "data" / "golden"
REF = pd.read_csv(GOLDEN / "quantiles_reference.csv", keep_default_na=False, na_values=["NA"])
POP_TYPES = {"stype": {"E": 4421, "H": 755, "M": 1018}}  # ?postStratify


@pytest.fixture(scope="module")
def designs():
    clus = pd.read_csv(GOLDEN / "api_clus1.csv")
    strat = pd.read_csv(GOLDEN / "api_strat.csv")
    boot = pd.read_csv(GOLDEN / "api_boot_weights.csv")
    assert (boot["snum"] == clus["snum"]).all()
    dclus1 = make_design(clus, weights="pw", psu="dnum", fpc="fpc", lonely_psu="fail",
                         keep_data=True)
    scale = REF.loc[REF["case"] == "bclus1_scale", "estimate"].item()
    return {
        "dclus1": dclus1,
        "dclus1_nw": make_design(clus, psu="dnum", fpc="fpc", lonely_psu="fail",
                                 keep_data=True),
        "dstrat": make_design(strat, weights="pw", strata="stype", fpc="fpc",
                              lonely_psu="fail", keep_data=True),
        "rclus1": as_replicate(dclus1, "JK1"),
        "bclus1": make_replicate_design(pd.concat([clus, boot.drop(columns="snum")], axis=1),
                                        weights="pw", replicates=r"^boot_\d+$",
                                        type="bootstrap", scale=scale, keep_data=True),
        "pclus1": calibrate(dclus1, clus, calibration_spec("poststrat", POP_TYPES)),
    }


def domain_mask(design, domain: str) -> np.ndarray | None:
    """R's subset(design, a == "x" & b == "y") as a mask ("all": none)."""
    if domain == "all":
        return None
    mask = np.ones(design.n, bool)
    for part in domain.split("&"):
        column, value = part.split("=")
        mask &= design.data[column].astype(str).to_numpy() == value
    return mask


def values(data: pd.DataFrame, expression: str) -> pd.Series:
    """The 0/1 variable of R's ``I(<column> <op> <value>)`` (== and > only)."""
    body = expression.removeprefix("I(").removesuffix(")")
    for op in (" == ", " > "):
        if op in body:
            column, value = body.split(op)
            v = value.strip("'") if value.startswith("'") else float(value)
            out = data[column] == v if op == " == " else data[column] > v
            return out.rename(expression)
    raise AssertionError(expression)


def check(out: pd.DataFrame, ref: pd.DataFrame, *, check_df: bool = True):
    assert len(out) == len(ref)
    est, r_est = out["estimate"].to_numpy(float), ref["estimate"].to_numpy(float)
    np.testing.assert_allclose(est, r_est, rtol=0, atol=1e-8 * max(1.0, np.abs(r_est).max()))
    for column in ("std_error", "conf_low", "conf_high"):
        np.testing.assert_allclose(out[column].to_numpy(float), ref[column].to_numpy(float),
                                   rtol=1e-6, atol=1e-12, err_msg=column)
    if check_df:
        assert (out["df"].to_numpy(float) == ref["df"].to_numpy(float)).all()


def cases(prefix: str) -> list[str]:
    return sorted({c for c in REF["case"] if c.startswith(prefix)})


@pytest.mark.parametrize("case", cases("q_"))
def test_quantiles_equal_svyquantile(case, designs):
    ref = REF[REF["case"] == case]
    first = ref.iloc[0]
    design = designs[first["design"]]
    interval, _, rule = first["method"].partition(":")
    variables = list(dict.fromkeys(ref["variable"]))
    probs = list(dict.fromkeys(ref["p"]))
    out = svy_quantile(variables, design, probs, interval_type=interval,
                       alpha=1 - first["level"], qrule=rule or "math",
                       domain=domain_mask(design, first["domain"]))
    assert list(out.index) == list(ref["term"])
    assert (out["quantile"].to_numpy() == ref["p"].to_numpy()).all()
    check(out, ref)


@pytest.mark.parametrize("case", cases("p_"))
def test_proportions_equal_svyciprop(case, designs):
    ref = REF[REF["case"] == case]
    row = ref.iloc[0]
    design = designs[row["design"]]
    df = np.inf if case.endswith("_inf") else None
    out = svy_ciprop(values(design.data, row["variable"]), design, row["method"],
                     level=row["level"], df=df, domain=domain_mask(design, row["domain"]))
    assert list(out.index) == [row["term"]]
    check(out, ref)


BY = {"by_mean_stype": (svy_mean, {}), "by_mean_stype_wide": (svy_mean, {}),
      "by_mean_factor": (svy_mean, {}), "by_total_stype": (svy_total, {}),
      "by_total_strat": (svy_total, {}), "by_ratio_stype": (svy_ratio, {"denominator": "enroll"}),
      "by_mean_rclus": (svy_mean, {}), "by_total_pclus": (svy_total, {}),
      "by_quantile_stype": (svy_quantile, {"quantiles": [0.25, 0.5]}),
      "by_quantile_rclus": (svy_quantile, {"quantiles": 0.5}),
      "by_ciprop_stype": (svy_ciprop, {})}


def test_every_by_case_is_tested():
    assert set(cases("by_")) == set(BY)


@pytest.mark.parametrize("case", sorted(BY))
def test_by_equals_svyby(case, designs):
    """Groups in R's order, each the estimator on R's subset(design, group)."""
    ref = REF[REF["case"] == case]
    design = designs[ref["design"].iloc[0]]
    groups = list(dict.fromkeys(ref["domain"]))
    by = [part.split("=")[0] for part in groups[0].split("&")]
    fun, kw = BY[case]
    y = ref["variable"].iloc[0]
    if fun is svy_ciprop:
        y = values(design.data, y)
    out = svy_by(y, by if len(by) > 1 else by[0], design, fun, **kw)
    labels = ["&".join(f"{b}={v}" for b, v in zip(by, row, strict=True))
              for row in out[by].astype(str).itertuples(index=False)]
    assert labels == list(ref["domain"])
    assert list(out["term"]) == list(ref["term"])
    # svy_mean of a number returns no df (its dict is the pipeline's); the others do
    check(out, ref, check_df="df" in out)


@pytest.mark.parametrize("case", cases("mean_factor"))
def test_factor_means_equal_svymean(case, designs):
    ref = REF[REF["case"] == case]
    design = designs[ref["design"].iloc[0]]
    out = svy_mean(ref["variable"].iloc[0], design,
                   domain_mask(design, ref["domain"].iloc[0]))
    assert list(out.index) == list(ref["term"])
    check(out, ref)


def test_replicate_scale_is_r_s(designs):
    """The bootstrap design rebuilt from R's weights carries R's scale (as.svrepdesign's)."""
    ref = REF.loc[REF["case"] == "bclus1_scale", "estimate"].item()
    assert designs["bclus1"].scale == ref
