"""Multiple imputation: the chained equations equal statsmodels' MICE, completed datasets keep
what was observed, reruns are identical, and a seeded simulation where the answers are
missing at random given an auxiliary variable: complete cases are biased, multiple imputation
is not (within Monte-Carlo error) and its intervals cover. Rubin's rules against R's mitools
are in test_mi_golden.py."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.imputation.mice import MICEData

from coprod.errors import ConfigError
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.impute import _Chain, completed, impute_chain
from coprod.survey.design import make_design
from coprod.survey.glm import fit_svy_logit
from coprod.survey.mi import rubin


def toy(n=400, seed=0):
    rng = np.random.default_rng(seed)
    d = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "c": rng.normal(size=n)})
    d.loc[rng.random(n) < 0.2, "a"] = np.nan
    d.loc[rng.random(n) < 0.1, "b"] = np.nan
    return d


class _NumpyMatrices(MICEData):
    """MICEData as coprod ran it before _Chain: the model matrices of an update (the intercept
    and every other column) stacked by numpy rather than built by formula -- the same numbers
    in C order, where a formula's frame can give Fortran-ordered ones and so products summed
    in another order (last digits)."""

    def _matrices(self, vname):
        others = [c for c in self.data.columns if c != vname]
        exog = np.column_stack([np.ones(len(self.data)), self.data[others].to_numpy(dtype=float)])
        return self.data[vname].to_numpy(dtype=float), exog

    def get_split_data(self, vname):
        endog, exog = self._matrices(vname)
        ixo, ixm = self.ix_obs[vname], self.ix_miss[vname]
        return endog[ixo].copy(), exog[ixo].copy(), exog[ixm].copy(), {}, {}

    def get_fitting_data(self, vname):
        endog, exog = self._matrices(vname)
        ix = self.ix_obs[vname]
        return endog[ix].copy(), exog[ix].copy(), {}, {"method": "qr"}


def _statsmodels_mice(d, seed, formulas=False):
    """statsmodels' MICEData with QR fits; ``formulas``: its own formula-built matrices."""
    ref = (MICEData if formulas else _NumpyMatrices)(d.copy(), rng=np.random.default_rng(seed))
    for c in d.columns:
        ref.set_imputer(c, fit_kwds={"method": "qr"})
    return ref


@pytest.mark.parametrize("case", ["toy", "discrete", "one missing"])
def test_the_chain_equals_statsmodels_mice(case):
    """_Chain is statsmodels' MICEData (every variable on all the others, QR fits, Gaussian
    draws of the parameters, predictive mean matching) in numpy arrays: the same parameter
    draws and imputations bit for bit, cycle after cycle, and the random stream left where
    MICEData leaves it -- with continuous columns, with level codes and 0/1 columns full of
    ties, and with a variable that has a single missing value."""
    if case == "toy":
        d = toy()
    else:
        rng = np.random.default_rng(9)
        n = 500
        d = pd.DataFrame({"age": rng.integers(18, 90, n).astype(float),
                          "edu": rng.integers(0, 4, n).astype(float),
                          "y": rng.integers(0, 2, n).astype(float),
                          "w": rng.uniform(0.2, 3.0, n), "g0": rng.integers(0, 2, n) * 1.0})
        d.loc[rng.random(n) < 0.1, "age"] = np.nan
        d.loc[rng.random(n) < 0.3, "edu"] = np.nan
        d.loc[rng.random(n) < 0.05, "y"] = np.nan
        if case == "one missing":
            d.loc[3, "w"] = np.nan
    ref = _statsmodels_mice(d, 5)
    mine = _Chain(d.copy(), k_pmm=20, rng=np.random.default_rng(5))
    assert [mine.names[j] for j in mine.order] == ref._cycle_order
    for n_iter in (1, 2):
        ref.update_all(n_iter)
        mine.update_all(n_iter)
        np.testing.assert_array_equal(mine.data.to_numpy(), ref.data.to_numpy())
        for c in d.columns:
            np.testing.assert_array_equal(mine.column(c), ref.data[c].to_numpy())
        assert mine.params.keys() == ref.params.keys()
        for c in ref.params:  # the draws, to the last digit (PMM would hide small changes)
            np.testing.assert_array_equal(mine.params[c], ref.params[c])
    assert mine.rng.bit_generator.state == ref.rng.bit_generator.state
    # and statsmodels' own matrices (built by formula) give the same values but for the last
    # digits of the fits
    own = _statsmodels_mice(d, 5, formulas=True)
    own.update_all(3)
    np.testing.assert_allclose(mine.data.to_numpy(), own.data.to_numpy(), atol=1e-12)


def test_completed_datasets_keep_the_observed_values_and_the_categories():
    rng = np.random.default_rng(1)
    n = 300
    d = pd.DataFrame({"x": rng.normal(size=n),
                      "g": pd.Categorical(rng.choice(["lo", "mid", "hi"], n),
                                          categories=["lo", "mid", "hi"], ordered=True),
                      "y": rng.integers(0, 2, n).astype(float),
                      "grp": rng.choice(["A", "B"], n)})
    d.loc[rng.random(n) < 0.2, "x"] = np.nan
    d.loc[rng.random(n) < 0.2, "g"] = np.nan
    imp = impute_chain(d, variables=["x", "g"], auxiliary=["y"], group="grp",
                       n_imputations=3, seed=7, burn_in=2, skip=1)
    assert set(imp["imputation"]) == {1, 2, 3}
    again = impute_chain(d, variables=["x", "g"], auxiliary=["y"], group="grp",
                         n_imputations=3, seed=7, burn_in=2, skip=1)
    pd.testing.assert_frame_equal(imp, again)  # seeded: reruns are identical
    for m in (1, 3):
        full = completed(d, imp, m)
        assert full["x"].notna().all() and full["g"].notna().all()
        assert full["g"].dtype == d["g"].dtype
        seen = d["x"].notna()
        assert (full.loc[seen, "x"] == d.loc[seen, "x"]).all()
        assert (full.loc[d["g"].notna(), "g"] == d.loc[d["g"].notna(), "g"]).all()
        # predictive mean matching: every imputed value is one that was observed
        assert set(full.loc[~seen, "x"]) <= set(d.loc[seen, "x"])
    assert not completed(d, imp, 1)["x"].equals(completed(d, imp, 2)["x"])


def test_rubin_needs_two_imputations():
    with pytest.raises(ConfigError, match="at least 2"):
        rubin(np.ones((1, 2)), np.ones((1, 2)))


@pytest.mark.slow
def test_missing_at_random_complete_cases_biased_imputation_not():
    """x is missing more often when the auxiliary z is high; z drives y too, and the analysis
    model is y ~ x (z is not in it). Complete cases are then biased for the population
    coefficient of y ~ x; imputation with z in the imputation model is not, within Monte-Carlo
    error, and its 95% intervals cover (30 seeded replications, M = 10)."""
    def draw(rng, n):
        z = rng.normal(size=n)
        x = 0.6 * z + 0.8 * rng.normal(size=n)
        y = (rng.random(n) < 1 / (1 + np.exp(-(-0.5 + 0.5 * x + 1.5 * z)))).astype(float)
        return x, z, y

    x, z, y = draw(np.random.default_rng(0), 1_000_000)
    truth = sm.Logit(y, sm.add_constant(x)).fit(disp=0).params[1]
    cc, mi, cover = [], [], []
    for rep in range(30):
        rng = np.random.default_rng(1000 + rep)
        x, z, y = draw(rng, 2000)
        miss = rng.random(2000) < 1 / (1 + np.exp(-(-1.0 + 1.5 * z)))
        d = pd.DataFrame({"x": np.where(miss, np.nan, x), "z": z, "y": y})
        design = make_design(d, keep_data=True)
        cc.append(fit_svy_logit(d, "y ~ x", design=design).params["x"])
        imp = impute_chain(d, variables=["x"], auxiliary=["z", "y"], group=None,
                           n_imputations=10, seed=rep, burn_in=5, skip=2)
        fits = [fit_svy_logit(completed(d, imp, m), "y ~ x", design=design)
                for m in range(1, 11)]
        comb = rubin(np.array([f.params.to_numpy() for f in fits]),
                     np.array([np.diag(f.cov.to_numpy()) for f in fits]), df_complete=1998)
        mi.append(comb["estimate"][1])
        cover.append(comb["conf_low"][1] <= truth <= comb["conf_high"][1])
    mc = np.std(mi) / np.sqrt(len(mi))
    assert abs(np.mean(cc) - truth) > 4 * mc          # complete cases: clearly biased
    assert abs(np.mean(mi) - truth) < 3 * mc          # imputed: within Monte-Carlo error
    assert abs(np.mean(mi) - truth) < abs(np.mean(cc) - truth) / 2
    assert np.mean(cover) >= 0.8                      # nominal 95%; 30 replications


def test_imputed_levels_read_back_from_a_csv_and_unknown_ones_stop():
    """Levels written as text and read back as numbers ("2" -> 2.0) still find their level;
    a value that is no level stops with its name, never a silently missing cell."""
    d = pd.DataFrame({"g": pd.Categorical(["1", "2", None, "3"], categories=["1", "2", "3"])})
    cells = pd.DataFrame({"imputation": [1], "row": [2], "variable": ["g"], "value": [2.0]})
    assert completed(d, cells, 1)["g"].tolist() == ["1", "2", "2", "3"]
    bad = cells.assign(value=["9"])
    with pytest.raises(ConfigError, match=r"imputed value\(s\) \['9'\] of 'g'"):
        completed(d, bad, 1)


def test_nothing_missing_gives_the_complete_case_estimates():
    from coprod.pipeline.imputedmodels import fit_sample_mi

    rng = np.random.default_rng(3)
    n = 400
    t = pd.DataFrame({"x": rng.normal(size=n), "group": pd.Categorical(["A"] * n)})
    t["y"] = (rng.random(n) < 0.4).astype(float)
    t.attrs = {"group_column": "group"}
    design = DesignSettings.from_params({"weights": None, "strata": None, "psu": None,
                                         "lonely_psu": "adjust"})
    empty = pd.DataFrame(columns=["imputation", "row", "variable", "value"])
    out, vcov, _ = fit_sample_mi(t, empty, outcomes=["y"], sample="pooled", covariates=["x"],
                              reference_levels={}, design=design)
    cc = fit_svy_logit(t, "y ~ x", design=make_design(t, keep_data=True))
    row = out.set_index("term").loc["x"]
    assert row["estimate"] == pytest.approx(cc.params["x"], rel=1e-12)
    assert row["fmi"] == 0 and row["n_imputations"] == 0 and row["df"] == cc.df_resid


def test_the_gathered_imputed_tables_are_the_samples_files_as_one(tmp_path):
    """fit_models_mi gathers every sample's tables from the frames it has just written
    (run_models_mi_samples), not by reading its own files back: the gathered files must be,
    byte for byte, what gathering those files (run_gather_mi, the read-back path) writes --
    here with a failed model in one sample and a flagged one, so that columns of different
    kinds (ints beside missing values, text beside empty cells) meet in the concatenation."""
    from coprod.pipeline.io import write_csv, write_table
    from coprod.pipeline.stages import run_gather_mi, run_models_mi_samples

    rng = np.random.default_rng(11)
    n = 600
    t = pd.DataFrame({"country": pd.Categorical(rng.choice(["A", "B", "C"], n)),
                      "x": rng.normal(size=n),
                      "g": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "hi"]),
                      "weight": rng.uniform(0.5, 2.0, n)})
    t["y"] = (rng.random(n) < 0.4).astype(float)
    t["z"] = (rng.random(n) < 0.5).astype(float)
    t.loc[t["country"] == "B", "z"] = 0.0                     # B: z never 1, its model fails
    t.loc[(t["country"] == "C") & (t["g"] == "hi"), "y"] = 1.0  # C: separation in y
    t.loc[rng.random(n) < 0.15, "x"] = np.nan
    t.loc[rng.random(n) < 0.1, "g"] = np.nan
    write_table(t, tmp_path / "t.parquet", {"group_column": "country",
                                            "labels": {"x": "=X (a formula)", "g": "G"}})
    cells = impute_chain(t, variables=["x", "g"], auxiliary=["y", "z"], group="country",
                         n_imputations=3, seed=5, burn_in=2, skip=1)
    write_csv(cells, tmp_path / "chain.csv")
    design = DesignSettings.from_params({"weights": "weight", "strata": None, "psu": None,
                                         "lonely_psu": "adjust"})
    samples = ["pooled", "A", "B", "C"]
    tables = ("coefficients", "vcov", "effects")
    outputs = {s: {k: str(tmp_path / k / f"{s}.csv") for k in tables} for s in samples}
    for k in tables:
        (tmp_path / k).mkdir()
    gathered = {k: str(tmp_path / f"{k}_mi.csv") for k in tables}
    run_models_mi_samples(table=tmp_path / "t.parquet", imputed=[tmp_path / "chain.csv"],
                          samples=samples, outcomes=["y", "z"], covariates=["x", "g"],
                          reference_levels={}, design=design, conf_level=0.95,
                          outputs=outputs, gathered=gathered)
    read_back = {k: str(tmp_path / f"{k}_read_back.csv") for k in tables}
    run_gather_mi(parts=[outputs[s]["coefficients"] for s in samples],
                  output=read_back["coefficients"],
                  vcov_parts=[outputs[s]["vcov"] for s in samples],
                  vcov_output=read_back["vcov"],
                  effects_parts=[outputs[s]["effects"] for s in samples],
                  effects_output=read_back["effects"])
    coefs = pd.read_csv(gathered["coefficients"], keep_default_na=False)
    assert set(coefs["status"]) >= {"ok", "failed"}, coefs[["sample", "outcome", "status"]]
    assert (coefs["sample"] == "pooled").any() and (coefs["sample"] == "C").any()
    for k in tables:
        assert (tmp_path / f"{k}_mi.csv").read_bytes() == (
            tmp_path / f"{k}_read_back.csv").read_bytes(), k


def test_imputed_models_on_shared_completed_datasets_are_each_samples_own(tmp_path,
                                                                          monkeypatch):
    """fit_models_mi completes the M datasets once for all samples, on the model's columns
    only (stages._shared_datasets), where the memory allows: every file it writes is, byte
    for byte, what each sample's own completion of the whole table gives -- with an imputed
    variable the models do not use (left out of the model columns)."""
    from coprod.pipeline import stages
    from coprod.pipeline.io import write_csv, write_table

    rng = np.random.default_rng(3)
    n = 400
    t = pd.DataFrame({"country": pd.Categorical(rng.choice(["A", "B"], n)),
                      "x": rng.normal(size=n), "aux": rng.normal(size=n),
                      "g": pd.Categorical(rng.choice(["lo", "hi"], n), categories=["lo", "hi"]),
                      "weight": rng.uniform(0.5, 2.0, n)})
    t["y"] = (rng.random(n) < 0.4).astype(float)
    for c, p in (("x", 0.15), ("g", 0.1), ("aux", 0.2)):
        t.loc[rng.random(n) < p, c] = np.nan
    write_table(t, tmp_path / "t.parquet", {"group_column": "country"})
    cells = impute_chain(t, variables=["x", "g", "aux"], auxiliary=["y"], group="country",
                         n_imputations=3, seed=2, burn_in=2, skip=1)
    assert "aux" in set(cells["variable"])
    write_csv(cells, tmp_path / "chain.csv")
    design = DesignSettings.from_params({"weights": "weight", "strata": None, "psu": None,
                                         "lonely_psu": "adjust"})

    def run(name, shared_bytes):
        monkeypatch.setattr(stages, "_SHARED_BYTES", shared_bytes)
        out = tmp_path / name
        out.mkdir()
        tables = ("coefficients", "vcov", "effects")
        outputs = {s: {k: str(out / f"{k}_{s}.csv") for k in tables}
                   for s in ("pooled", "A", "B")}
        stages.run_models_mi_samples(
            table=tmp_path / "t.parquet", imputed=[tmp_path / "chain.csv"],
            samples=list(outputs), outcomes=["y"], covariates=["x", "g"],
            reference_levels={}, design=design, conf_level=0.95, outputs=outputs,
            gathered={k: str(out / f"{k}_mi.csv") for k in tables})
        return {p.name: p.read_bytes() for p in sorted(out.iterdir())}

    kept = []
    real = stages._shared_datasets
    monkeypatch.setattr(stages, "_shared_datasets", lambda *a: kept.append(real(*a)) or kept[-1])
    own = run("own", 0)
    assert kept[-1][1] is None and len(own) == 12
    assert run("shared", 256 * 2 ** 20) == own
    assert list(kept[-1][0].columns) == ["y", "x", "g", "country"]
    shared = kept[-1][1]
    assert sorted(k for k in shared if isinstance(k, int)) == [1, 2, 3]  # the three datasets
    # and each one's model frame, made for the first sample, taken by the others
    assert sorted(k[1] for k in shared if isinstance(k, tuple)) == [1, 2, 3]
    assert all(len(v) == 1 for k, v in shared.items() if isinstance(k, tuple))
