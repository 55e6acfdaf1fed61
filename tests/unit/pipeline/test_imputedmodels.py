"""The imputed models' lean path: each imputed dataset's fit kept as the arrays Rubin's rules
read (coprod.pipeline.imputedmodels._lean_sample) must pool into exactly the tables that
pooling every dataset's full tables (coprod.pipeline.models.fit_sample) gives, frame for
frame, value for value."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from coprod.pipeline import imputedmodels
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.imputedmodels import fit_sample_mi

M = 4


def _survey(seed: int = 11, n: int = 500) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three outcomes (0/1, ordinal, count) on a category with missing values, a numeric
    covariate whose name needs an alias ('self efficacy') with missing values too, two
    groups, weights and strata; and M imputations of every missing cell."""
    rng = np.random.default_rng(seed)
    x = rng.choice(["a", "b", "c"], size=n).astype(object)
    z = rng.normal(size=n)
    eta = 0.4 * (x == "b") - 0.6 * (x == "c") + 0.5 * z
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    yo = np.digitize(eta + rng.logistic(size=n), [-0.5, 0.8])
    yc = rng.poisson(np.exp(0.2 + 0.3 * z)).astype(float)
    t = pd.DataFrame({
        "y": y,
        "yo": pd.Categorical(np.array(["never", "sometimes", "often"])[yo],
                             categories=["never", "sometimes", "often"], ordered=True),
        "yc": yc,
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
    cells = pd.concat([
        pd.DataFrame({"imputation": m, "row": gone_x, "variable": "x",
                      "value": rng.choice(["a", "b", "c"], size=len(gone_x)).astype(object)})
        for m in range(1, M + 1)] + [
        pd.DataFrame({"imputation": m, "row": gone_z, "variable": "self efficacy",
                      "value": rng.normal(size=len(gone_z)).astype(object)})
        for m in range(1, M + 1)], ignore_index=True)
    return t, cells


def _full_path(monkeypatch):
    """Every imputed dataset through fit_sample's tables (the path before the lean one)."""
    from coprod.pipeline.models import fit_sample

    def tables(table, first=False, kept=None, sd_x=True, refits=None, **opts):
        return fit_sample(table, margins=False, **opts)

    monkeypatch.setattr(imputedmodels, "_lean_sample", tables)


def _both(monkeypatch, t, cells, **kw):
    lean = fit_sample_mi(t, cells, **kw)
    with monkeypatch.context() as mp:
        _full_path(mp)
        full = fit_sample_mi(t, cells, **kw)
    return lean, full


DESIGN = DesignSettings.from_params({"weights": "w", "strata": "stratum", "psu": None,
                                     "lonely_psu": "adjust"})


@pytest.mark.parametrize("sample", ["pooled", "B"])
def test_the_lean_pooled_tables_equal_the_full_paths(monkeypatch, sample):
    t, cells = _survey()
    kw = dict(outcomes=["y", "yo", "yc"], sample=sample, covariates=["x", "self efficacy"],
              reference_levels={"x": "a"}, design=DESIGN, labels={"x": "The x"},
              families={"y": "logit", "yo": "ordinal", "yc": "count"}, effects=True)
    (coefs, vcov, eff), (coefs0, vcov0, eff0) = _both(monkeypatch, t, cells, **kw)
    assert len(coefs) and len(vcov) and len(eff)
    assert set(coefs["outcome"]) == {"y", "yo", "yc"} and (coefs["n_imputations"] == M).all()
    assert (coefs["status"] == "ok").all()
    assert "self efficacy" in set(coefs["term"])  # the alias is restored on either path
    assert eff["variable"].tolist().count("self efficacy") == 3
    for a, b in ((coefs, coefs0), (vcov, vcov0), (eff, eff0)):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_the_lean_path_with_some_effects_and_a_failed_and_a_flagged_model(monkeypatch):
    """Effect sizes for one outcome only; one model separated in some imputations (flagged,
    named), and one whose imputations do not all estimate the same terms (failed)."""
    t, cells = _survey(seed=3)
    # yq separated in imputations 2 and 3 only: level c (and a missing x) predicts 1, but
    # for row r, whose x is missing (imputed c: breaks it; imputed b: keeps it)
    r = int(cells.loc[cells["variable"] == "x", "row"].iloc[0])
    t["yq"] = np.where((t["x"].astype(object) == "c") | t["x"].isna(), 1.0, t["y"])
    t.loc[r, "yq"] = 0.0
    cells.loc[(cells["variable"] == "x") & (cells["row"] == r), "value"] = \
        ["c", "b", "b", "c"]
    # level "d" of x2 seen in imputation 4 only: its term missing in the others
    t["x2"] = pd.Categorical(np.where(np.arange(len(t)) % 2, "u", "v"),
                             categories=["u", "v", "d"])
    t.loc[7, "x2"] = None
    extra = pd.DataFrame({"imputation": range(1, M + 1), "row": 7, "variable": "x2",
                          "value": ["u", "v", "u", "d"]})
    cells = pd.concat([cells, extra], ignore_index=True)
    kw = dict(outcomes=["y", "yq"], sample="pooled", covariates=["x", "self efficacy"],
              reference_levels={"x": "a"}, design=DESIGN, effects={"yq"})
    (coefs, vcov, eff), (coefs0, vcov0, eff0) = _both(monkeypatch, t, cells, **kw)
    flagged = coefs[coefs["outcome"] == "yq"]
    assert set(flagged["status"]) == {"flagged"}
    assert flagged["message"].iloc[0].startswith("separation: in imputations 2, 3 of 4")
    assert set(eff["outcome"]) == {"yq"} and eff["note"].str.contains("imputation 2").all()
    for a, b in ((coefs, coefs0), (vcov, vcov0), (eff, eff0)):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    kw.update(covariates=["x2", "self efficacy"], outcomes=["y"], effects=False)
    (coefs, vcov, eff), (coefs0, vcov0, eff0) = _both(monkeypatch, t, cells, **kw)
    assert coefs["status"].tolist() == ["failed"] and "x2[T.d]" in coefs["message"].iloc[0]
    for a, b in ((coefs, coefs0), (vcov, vcov0), (eff, eff0)):
        pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_a_sample_without_respondents_fails_on_either_path(monkeypatch):
    t, cells = _survey(seed=5, n=200)
    kw = dict(outcomes=["y"], sample="Z", covariates=["x"], reference_levels={},
              design=DESIGN)
    (coefs, _, _), (coefs0, _, _) = _both(monkeypatch, t, cells, **kw)
    assert coefs["status"].tolist() == ["failed"]
    pd.testing.assert_frame_equal(coefs, coefs0, check_exact=True)


def test_datasets_and_model_frames_kept_between_samples_change_nothing():
    """fit_models_mi and the specifications keep the completed datasets and their model
    frames between samples (``datasets``): each sample's tables as when made afresh."""
    t, cells = _survey(seed=8)
    kw = dict(outcomes=["y", "yo"], covariates=["x", "self efficacy"],
              reference_levels={"x": "a"}, design=DESIGN,
              families={"y": "logit", "yo": "ordinal"}, effects=True)
    kept: dict = {}
    for sample in ["pooled", "A", "B", "pooled"]:
        shared = fit_sample_mi(t, cells, sample=sample, datasets=kept, **kw)
        alone = fit_sample_mi(t, cells, sample=sample, **kw)
        for a, b in zip(shared, alone):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert sum(isinstance(k, tuple) for k in kept) == M  # one dict of model frames a dataset
    assert all(len(v) == 1 for k, v in kept.items() if isinstance(k, tuple))


def test_outcomes_fitted_apart_join_into_the_tables_of_all_together():
    """fit_outcomes_mi keeps each outcome's tables apart (a specification curve keeps one
    outcome's combined model for another cut of the scale): the outcomes fitted one by one,
    joined in order, are the tables of fitting them together, frame for frame."""
    t, cells = _survey(seed=3)
    outcomes = ["y", "yo", "yc"]
    kw = dict(sample="pooled", covariates=["x", "self efficacy"], reference_levels={"x": "a"},
              design=DESIGN, families={"y": "logit", "yo": "ordinal", "yc": "count"},
              effects={"y", "yo"})
    together = fit_sample_mi(t, cells, outcomes=outcomes, **kw)
    apart = [imputedmodels.fit_outcomes_mi(t, cells, outcomes=[o], **kw)[o] for o in outcomes]
    for a, b in zip(imputedmodels.joined_mi(apart), together, strict=True):
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    lean = imputedmodels.fit_outcomes_mi(t, cells, outcomes=outcomes, lean=True, **kw)
    assert all(lean[o].vcov is None for o in outcomes)  # not asked: not made
    coefs = imputedmodels.joined_mi([lean[o] for o in outcomes])[0]
    assert coefs["sd_x"].isna().all()  # nor the sd_x, read by no verdict; the rest as ever
    pd.testing.assert_frame_equal(coefs.drop(columns="sd_x"),
                                  together[0].drop(columns="sd_x"), check_exact=True)


def test_model_frames_kept_for_other_weights_change_nothing(monkeypatch):
    """The specifications fit each imputed dataset weighted and unweighted; with ``prepare``
    the datasets' model frames are kept in ``datasets`` and made once a fit: each call's
    tables as when made afresh."""
    from coprod.survey import glm, ordinal

    t, cells = _survey(seed=8)
    made = []
    for module, name in ((glm, "_logit_frame"), (ordinal, "_olr_frame")):
        real = getattr(module, name)
        monkeypatch.setattr(module, name,
                            lambda *a, _real=real, **k: made.append(1) or _real(*a, **k))
    unweighted = DesignSettings.from_params({"weights": None, "strata": "stratum",
                                             "psu": None, "lonely_psu": "adjust"})
    kw = dict(outcomes=["y", "yo"], sample="pooled", covariates=["x", "self efficacy"],
              reference_levels={"x": "a"}, families={"y": "logit", "yo": "ordinal"},
              effects=True)
    kept: dict = {}
    for design in (DESIGN, unweighted, DESIGN):
        shared = imputedmodels.fit_outcomes_mi(t, cells, design=design, datasets=kept,
                                               prepare=True, **kw)
        alone = imputedmodels.fit_outcomes_mi(t, cells, design=design, **kw)
        for a, b in zip(imputedmodels.joined_mi(list(shared.values())),
                        imputedmodels.joined_mi(list(alone.values())), strict=True):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
    # a model frame a fit of the full path: the logit model's on the first dataset (the later
    # ones refitted from it: coprod.pipeline.imputedrefit), the ordinal one's on every dataset
    full = 1 + M
    assert len(kept["prepared"]) == full
    assert len(made) == full + 3 * full  # the kept ones once, the fresh calls' each time
