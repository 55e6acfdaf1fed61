"""Each imputed dataset's model refitted from the first dataset's model frame
(coprod.pipeline.imputedrefit): every attribute of every dataset's fit equals what the full
path (coprod.pipeline.models.fit_result) gives, to the digit -- a category and a number
imputed, a name that needs an alias, the pooled sample and a group's, a 0/1 and a count
outcome --; and the full path is taken wherever a refit would not be certain: a level empty in
a later dataset or in the first one, an ordinal model, complete cases dropped, an imputed
outcome, imputations that filled different cells."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from coprod.pipeline import imputedrefit
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.impute import completed
from coprod.pipeline.imputedrefit import Refits
from coprod.pipeline.models import fit_result, job_design, sample_frame

M = 4
DESIGN = DesignSettings.from_params({"weights": "w", "strata": "stratum", "psu": None,
                                     "lonely_psu": "adjust"})


def _survey(seed: int = 11, n: int = 400) -> tuple[pd.DataFrame, pd.DataFrame]:
    """0/1, count and ordinal outcomes; a category x and a number 'self efficacy' (a name
    that needs an alias) with missing values, imputed M times; two groups, weights, strata."""
    rng = np.random.default_rng(seed)
    x = rng.choice(["a", "b", "c"], size=n).astype(object)
    z = rng.normal(size=n)
    eta = 0.4 * (x == "b") - 0.6 * (x == "c") + 0.5 * z
    t = pd.DataFrame({
        "y": (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float),
        "yc": rng.poisson(np.exp(0.2 + 0.3 * z)).astype(float),
        "yo": pd.Categorical(np.array(["never", "sometimes", "often"])[
            np.digitize(eta + rng.logistic(size=n), [-0.5, 0.8])],
            categories=["never", "sometimes", "often"], ordered=True),
        "x": pd.Categorical(x, categories=["a", "b", "c"]),
        "self efficacy": z,
        "group": pd.Categorical(np.where(np.arange(n) % 3 == 0, "A", "B")),
        "w": rng.uniform(0.5, 2.0, size=n),
        "stratum": np.arange(n) % 4,
    })
    gone_x = rng.choice(n, size=40, replace=False)
    gone_z = rng.choice(n, size=30, replace=False)
    t.loc[gone_x, "x"] = None
    t.loc[gone_z, "self efficacy"] = np.nan
    t.attrs = {"group_column": "group"}
    cells = pd.concat(
        [pd.DataFrame({"imputation": m, "row": gone_x, "variable": "x",
                       "value": rng.choice(["a", "b", "c"], size=len(gone_x)).astype(object)})
         for m in range(1, M + 1)]
        + [pd.DataFrame({"imputation": m, "row": gone_z, "variable": "self efficacy",
                         "value": rng.normal(size=len(gone_z)).astype(object)})
           for m in range(1, M + 1)], ignore_index=True)
    return t, cells


def _same(a, b) -> None:
    """Two fits alike in every attribute: arrays and frames value for value (and the model
    matrix in the same memory order), the rest equal (the spec and family the same objects)."""
    assert type(a) is type(b)
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=f.name)
            assert x.dtype == y.dtype and x.flags.f_contiguous == y.flags.f_contiguous, f.name
        elif isinstance(x, pd.Series):
            pd.testing.assert_series_equal(x, y, check_exact=True)
        elif isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        elif isinstance(x, dict):
            assert x.keys() == y.keys(), f.name
            for k in x:
                same = x[k] == y[k] or (isinstance(x[k], float) and np.isnan(x[k])
                                        and np.isnan(y[k]))
                assert same, (f.name, k, x[k], y[k])
        elif f.name == "design":  # the job's (or, complete cases dropped, made again alike)
            assert x is y or repr(x) == repr(y)
        else:
            assert x is y or x == y, f.name


def _fit_all(t, cells, *, outcome, family, sample, design=DESIGN, covariates=None,
             monkeypatch=None):
    """Every dataset's fit through Refits and through the full path, compared; returns how
    many were refitted and how many templates were made."""
    counts = {"refit": 0, "template": 0}
    refit, template = imputedrefit._refit, imputedrefit._template

    def counted_refit(*a):
        res = refit(*a)
        counts["refit"] += res is not None
        return res

    def counted_template(*a):
        made = template(*a)
        counts["template"] += made is not None
        return made

    monkeypatch.setattr(imputedrefit, "_refit", counted_refit)
    monkeypatch.setattr(imputedrefit, "_template", counted_template)
    covariates = covariates or ["x", "self efficacy"]
    built = job_design(t, design, {"x": "a"})
    refits = Refits(cells)
    for m in sorted(cells["imputation"].unique()):
        full = completed(t, cells, m)
        full.attrs = t.attrs
        covs, al, frame, domain, failure = sample_frame(full, [outcome], sample, covariates,
                                                        {"x": "a"})
        assert failure is None
        kw = dict(outcome=outcome, covs=covs, domain=domain, design=design, built=built,
                  conf_level=0.95, family=family)
        _same(refits.fit(frame, al, sample=sample, **kw), fit_result(frame, al, **kw)[0])
    return counts


@pytest.mark.parametrize("outcome,family", [("y", "logit"), ("yc", "count")])
@pytest.mark.parametrize("sample", ["pooled", "B"])
def test_every_datasets_refit_is_the_full_paths_fit(monkeypatch, outcome, family, sample):
    t, cells = _survey()
    counts = _fit_all(t, cells, outcome=outcome, family=family, sample=sample,
                      monkeypatch=monkeypatch)
    assert counts == {"refit": M - 1, "template": 1}  # the later datasets all refitted


def test_a_level_empty_in_a_later_dataset_takes_the_full_path(monkeypatch):
    """Level c of x held only by respondents whose x is imputed: imputed c in datasets 1, 2
    and 4, never in 3 -- whose fit (the full path) drops the column and flags it."""
    t, cells = _survey(seed=4)
    t.loc[t["x"] == "c", "x"] = "b"
    gone = cells.loc[(cells["variable"] == "x") & (cells["imputation"] == 1), "row"]
    for m in range(1, M + 1):
        values = np.where(np.arange(len(gone)) % 5 == 0, "c", "a") if m != 3 else "a"
        cells.loc[(cells["variable"] == "x") & (cells["imputation"] == m), "value"] = values
    counts = _fit_all(t, cells, outcome="y", family="logit", sample="pooled",
                      monkeypatch=monkeypatch)
    assert counts == {"refit": M - 2, "template": 1}


def test_a_level_empty_in_the_first_dataset_makes_no_template(monkeypatch):
    t, cells = _survey(seed=5)
    t.loc[t["x"] == "c", "x"] = "b"
    x = cells["variable"] == "x"
    cells.loc[x, "value"] = np.where(cells.loc[x, "imputation"] == 1, "a", "c")
    counts = _fit_all(t, cells, outcome="y", family="logit", sample="pooled",
                      monkeypatch=monkeypatch)
    assert counts == {"refit": 0, "template": 0}


def test_an_ordinal_model_and_dropped_complete_cases_take_the_full_path(monkeypatch):
    t, cells = _survey(seed=6)
    counts = _fit_all(t, cells, outcome="yo", family="ordinal", sample="pooled",
                      monkeypatch=monkeypatch)
    assert counts == {"refit": 0, "template": 0}
    t.loc[[3, 9], "y"] = np.nan  # incomplete: drop -- the frame is the complete cases'
    drop = DesignSettings.from_params({"weights": "w", "strata": "stratum", "psu": None,
                                       "lonely_psu": "adjust", "incomplete": "drop"})
    counts = _fit_all(t, cells, outcome="y", family="logit", sample="pooled", design=drop,
                      monkeypatch=monkeypatch)
    assert counts == {"refit": 0, "template": 0}


def test_an_imputed_outcome_or_cells_that_differ_take_the_full_path(monkeypatch):
    t, cells = _survey(seed=7)
    t.loc[[2, 5], "y"] = np.nan
    outcome_cells = pd.DataFrame({"imputation": np.repeat(np.arange(1, M + 1), 2),
                                  "row": [2, 5] * M, "variable": "y", "value": [0.0, 1.0] * M})
    both = pd.concat([cells, outcome_cells], ignore_index=True)
    counts = _fit_all(t, both, outcome="y", family="logit", sample="pooled",
                      monkeypatch=monkeypatch)
    assert counts == {"refit": 0, "template": 0}
    t, cells = _survey(seed=7)
    last = cells.index[(cells["imputation"] == M) & (cells["variable"] == "x")][0]
    assert Refits(cells).enabled and not Refits(cells.drop(index=last)).enabled
    counts = _fit_all(t, cells.drop(index=last), outcome="y", family="logit",
                      sample="pooled", monkeypatch=monkeypatch)
    assert counts == {"refit": 0, "template": 0}
