"""Results against R: ``summary()``, ``conf_int()``, the dispersion and R's term names.

Reference: tools/golden_gaussian.R (R 4.2.2, survey 4.1.1) writes, for every svyglm of
tests/data/golden/gaussian_reference.csv plus a model with R's harder names and an svyolr,
``summary(m)``'s coefficient table under R's names, ``confint(m)`` at 95% and 90%, the dispersion
(summary_reference.csv) and the printed coefficient block (summary_print.txt). Through the
public API: :func:`coprod.survey.svy_glm`, :func:`coprod.survey.svy_olr`. Tolerances:
estimates 1e-8, SEs, t, p, intervals and dispersion 1e-6 relative (svyglm agrees to ~1e-12);
svyolr 1e-5 (R's optimiser stops ~1e-6 short). Printed blocks: equal, character for character.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from coprod.survey import make_design, make_replicate_design, svy_glm, svy_olr

GOLDEN = ROOT / "tests" / "data" / "golden"
NUMBERS = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
           "conf_low_90", "conf_high_90", "conf_low_exact", "conf_high_exact", "dispersion"]
REF = pd.read_csv(GOLDEN / "summary_reference.csv", keep_default_na=False,
                  na_values={c: ["NA"] for c in NUMBERS})
FAMILY = {"gaussian": "gaussian", "logit": "quasibinomial"}
CASES = list(dict.fromkeys(zip(REF["case"], REF["design"], REF["domain"], REF["family"],
                               REF["model"])))


def printed_blocks() -> dict[tuple[str, str], list[str]]:
    blocks: dict[tuple[str, str], list[str]] = {}
    key = None
    for line in (GOLDEN / "summary_print.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            case, family = line[3:].split()
            key = (case, family)
            blocks[key] = []
        else:
            assert key is not None
            blocks[key].append(line)
    return blocks


@pytest.fixture(scope="module")
def designs():
    fpc = pd.read_csv(GOLDEN / "fpc_survey.csv")
    fpc["eff"] = pd.Categorical(fpc["efficacy"].astype(str), categories=["0", "1", "2", "3"])
    fpc["effo"] = pd.Categorical(fpc["efficacy"].astype(str), categories=["0", "1", "2", "3"],
                                 ordered=True)
    rep = pd.read_csv(GOLDEN / "replicate_survey.csv").merge(
        pd.read_csv(GOLDEN / "replicate_weights.csv"), on="id", validate="one_to_one")
    rep["country"] = pd.Categorical(rep["country"], categories=["AA", "BB", "CC"])
    out = {}
    for name, kw in {"clus_fpc": dict(psu="psu", fpc="N1"),
                     "two_stage": dict(psu="psu", ssu="ssu", fpc="N1", fpc2="M2")}.items():
        d = make_design(fpc, weights="weight", strata="stratum", lonely_psu="fail",
                        keep_data=True, **kw)
        out[name, "all"], out[name, "north"] = d, d.domain(fpc["region"] == "north")
    for name, prefix in {"JK1": "jk1_", "BRR": "brr_"}.items():
        d = make_replicate_design(rep, weights="weight", replicates=f"^{prefix}\\d+$",
                                  type=name, keep_data=True)
        out[name, "all"], out[name, "BB"] = d, d.domain(rep["country"] == "BB")
    return out


def fit_case(designs, design, domain, family, model):
    d = designs[design, domain]
    if family == "ordinal":
        return svy_olr(model, d)
    return svy_glm(model.replace("^", "**"), d, family=FAMILY[family])  # Python's power


def test_the_reference_has_every_case():
    assert {c[3] for c in CASES} == {"gaussian", "logit", "ordinal"}
    assert set(printed_blocks()) == {(c[0], c[3]) for c in CASES if c[3] != "ordinal"}
    assert len(CASES) == 18


@pytest.mark.parametrize("case, design, domain, family, model", CASES)
def test_summary_table_and_conf_int_equal_r(designs, case, design, domain, family, model):
    fit = fit_case(designs, design, domain, family, model)
    ref = REF[(REF["case"] == case) & (REF["family"] == family)].reset_index(drop=True)
    tol = 1e-5 if family == "ordinal" else 1e-6
    atol = 1e-5 if family == "ordinal" else 0.0  # svyolr's estimates: ~1e-6 off, absolute
    summ = fit.summary()
    tab = summ.coefficients
    assert list(tab.index) == ref["term"].tolist() == fit.r_names  # R's names, R's order
    np.testing.assert_allclose(tab.iloc[:, 0], ref["estimate"], rtol=0,
                               atol=tol if family == "ordinal" else 1e-8)
    np.testing.assert_allclose(tab.iloc[:, 1], ref["std_error"], rtol=tol)
    np.testing.assert_allclose(tab.iloc[:, 2], ref["statistic"], rtol=tol)
    if family == "ordinal":  # svyolr prints no p-value; coprod's is tidy()'s (t on df_resid)
        np.testing.assert_allclose(tab.iloc[:, 3], fit.tidy()["p_value"], rtol=1e-15)
        assert list(tab.columns) == ["Value", "Std. Error", "t value", "Pr(>|t|)"]
    else:
        np.testing.assert_allclose(tab.iloc[:, 3], ref["p_value"], rtol=tol)
        assert list(tab.columns) == ["Estimate", "Std. Error", "t value", "Pr(>|t|)"]
    assert summ.df_resid == fit.df_resid == ref["df"].iloc[0]
    ci, ci90 = fit.conf_int(), fit.conf_int(0.9)
    assert list(ci.columns) == ["2.5 %", "97.5 %"] and list(ci90.columns) == ["5 %", "95 %"]
    assert list(ci.index) == list(fit.params.index)  # formulaic's names unless asked
    np.testing.assert_allclose(ci, ref[["conf_low_exact", "conf_high_exact"]], rtol=tol,
                               atol=atol)
    for got, cols in ((ci, ["conf_low", "conf_high"]), (ci90, ["conf_low_90", "conf_high_90"])):
        r = ref[cols].to_numpy()
        finite = np.isfinite(r)  # R's round trip through pnorm gives +/-Inf at df = 1, 95%
        assert finite.all() or (ref["df"].iloc[0] == 1 and cols == ["conf_low", "conf_high"])
        np.testing.assert_allclose(got.to_numpy()[finite], r[finite], rtol=tol, atol=atol)
    if family == "ordinal":
        assert summ.dispersion is None and np.isnan(ref["dispersion"]).all()
    else:
        assert summ.dispersion == pytest.approx(ref["dispersion"].iloc[0], rel=1e-12)


@pytest.mark.parametrize("case, design, domain, family, model",
                         [c for c in CASES if c[3] != "ordinal"])
def test_summary_prints_the_coefficients_as_r(designs, case, design, domain, family, model):
    fit = fit_case(designs, design, domain, family, model)
    lines = str(fit.summary()).splitlines()
    expected = printed_blocks()[case, family]
    start = lines.index("Coefficients:")
    assert lines[start:start + len(expected)] == expected


def test_tidy_with_r_names_equals_the_formula_names_table(designs):
    fit = fit_case(designs, *[c for c in CASES if c[0] == "names_all"][0][1:])
    a, b = fit.tidy(), fit.tidy(names="R")
    assert b["term"].tolist() == REF.loc[REF["case"] == "names_all", "term"].tolist()
    pd.testing.assert_frame_equal(a.drop(columns="term"), b.drop(columns="term"))
    assert a["term"].tolist() == list(fit.params.index)
    assert "I(age ** 2)" in a["term"].tolist() and "region[T.south]:eff[T.1]" in a["term"].tolist()
