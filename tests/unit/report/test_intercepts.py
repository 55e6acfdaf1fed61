"""The report of intercept-only models and of a run without models (coprod.report.intercepts):
the intercept back-transformed, the prevalence-by-model table, the answer box, the Methods."""
import math

import pandas as pd
import pytest
from catalogue import safe_load

from coprod.report.intercepts import (
    back_transformed,
    expit,
    plan_answer,
    prevalence_models_table,
)
from coprod.report.tabledata import display_frame, tidy_frame


def coefs_and_fit():
    """Intercept-only models: a 0/1 outcome in two samples (one flagged), a count, an ordinal
    outcome's cut-points, and a 0/1 outcome whose model failed in one sample."""
    rows = [("y", "pooled", "Intercept", 0.5, 0.4, 0.6, ""),
            ("y", "A", "Intercept", -1.0, -1.3, -0.7, "separation"),
            ("n", "pooled", "Intercept", math.log(2.0), math.log(1.8), math.log(2.2), ""),
            ("n", "A", "Intercept", math.log(3.0), math.log(2.5), math.log(3.6), ""),
            ("lvl", "pooled", "never|sometimes", -0.7, -0.8, -0.6, ""),
            ("lvl", "pooled", "sometimes|often", 1.2, 1.1, 1.3, ""),
            ("lvl", "A", "never|sometimes", -0.5, -0.7, -0.3, ""),
            ("lvl", "A", "sometimes|often", 1.0, 0.8, 1.2, ""),
            ("z", "pooled", "Intercept", 0.1, 0.0, 0.2, "")]
    coefs = pd.DataFrame(rows, columns=["outcome", "sample", "term", "estimate", "conf_low",
                                        "conf_high", "flag"])
    fit = pd.DataFrame([(o, s, "failed" if (o, s) == ("z", "A") else "ok", f)
                        for o, f in (("y", "logit"), ("n", "count"), ("lvl", "ordinal"),
                                     ("z", "logit")) for s in ("pooled", "A")],
                       columns=["outcome", "sample", "status", "family"])
    return coefs, fit


FAMILIES = {"y": "logit", "n": "count", "lvl": "ordinal", "z": "logit"}


def test_the_intercept_on_the_outcomes_own_scale():
    row = {"estimate": 0.5, "conf_low": 0.4, "conf_high": 0.6}
    assert back_transformed(row, "logit") == pytest.approx([expit(0.5), expit(0.4),
                                                             expit(0.6)])
    assert back_transformed(row, "count") == pytest.approx([math.exp(0.5), math.exp(0.4),
                                                             math.exp(0.6)])
    # a cut-point zeta: P(Y above it) = expit(-zeta), so the interval turns round
    assert back_transformed(row, "ordinal") == pytest.approx([expit(-0.5), expit(-0.6),
                                                               expit(-0.4)])
    assert expit(-800.0) == 0.0 and expit(800.0) == 1.0  # no overflow


def test_prevalence_by_model_table():
    coefs, fit = coefs_and_fit()
    t = prevalence_models_table(coefs, fit, samples=["pooled", "A"], families=FAMILIES,
                                words={"pooled": "everyone"}, subject="voting")
    assert t.name == "prevalence_models"
    assert t.caption == ("Prevalence of voting by model: intercept-only models, weighted % or "
                         "mean [95% CI]")
    assert [c.head for c in t.columns] == ["everyone", "A"]
    assert [r.label for r in t.rows] == ["y, %", "n, mean", "lvl, % at or above",
                                         "sometimes or higher", "often or higher", "z, %"]
    shown = display_frame(t)
    assert shown.iloc[0].tolist() == ["y, %", "62.2 [59.9, 64.6]", "26.9 [21.4, 33.2] \u2020"]
    assert shown.iloc[1].tolist() == ["n, mean", "2.00 [1.80, 2.20]", "3.00 [2.50, 3.60]"]
    assert shown.iloc[3, 1] == f"{100 * expit(0.7):.1f} [{100 * expit(0.6):.1f}, " \
                               f"{100 * expit(0.8):.1f}]"
    assert shown.iloc[5].tolist() == ["z, %", "52.5 [50.0, 55.0]", "\u2014"]  # failed: a dash
    tidy = tidy_frame(t)
    y = tidy[(tidy["outcome"] == "y") & (tidy["sample"] == "pooled")].iloc[0]
    assert y["estimate"] == pytest.approx(expit(0.5)) and y["scale"] == "proportion"
    assert y["shown_as"] == "percent" and y["term"] == "Intercept"
    note = " ".join(t.notes)
    assert "Intercept-only models (y ~ 1" in note and "without group fixed effects" in note
    assert "inverse logit of the intercept" in note and "svyciprop" in note
    assert "\u2014 = not estimated" in note and "\u2020 = the estimator flagged" in note


def test_a_table_of_shares_only_says_so():
    coefs, fit = coefs_and_fit()
    t = prevalence_models_table(coefs, fit, samples=["pooled"], families={"y": "logit"},
                                weighted=False)
    assert t.caption.endswith("intercept-only models, % [95% CI]")
    assert "\u2020" not in " ".join(t.notes)  # no mark in the table: no legend of it


def test_the_answer_box_of_intercept_only_models_and_of_no_models():
    coefs, fit = coefs_and_fit()
    said = plan_answer("intercept", coefs=coefs, fit=fit, compare=["y", "z"],
                       samples=["pooled", "A"], families=FAMILIES,
                       set_aside=[("report.findings", "the claims check of f.yaml")],
                       words={"pooled": "everyone"})
    text = " ".join(said)
    assert said[0].startswith("Intercept-only models (<code>models.covariates</code> is "
                              "empty)")
    assert "how common each outcome is, not what goes with it" in said[0]
    assert ("<strong>y</strong>: 62% [60 to 65] in everyone, 27% [21 to 33] in A; "
            "<strong>z</strong>: 52% [50 to 55] in everyone") in text
    assert "Caution: could not be estimated: z (A)." in text
    assert said[-1] == ("Not run, with nothing to act on: the claims check of f.yaml "
                        "(<code>report.findings</code>).")
    none = plan_answer("none", coefs=None, fit=None, compare=[], samples=["pooled"],
                       families={}, unit="schools")
    assert none == ["No models were asked for (<code>models.outcomes</code> is empty): this "
                    "report describes the schools (the descriptives) and how the data were "
                    "cleaned."]


def test_methods_say_intercept_only_or_no_models():
    import copy

    from conftest import ROOT

    from coprod.pipeline.codebook import load_codebook
    from coprod.pipeline.settings import load_settings
    from coprod.report.methods import methods_section
    from coprod.report.pagemodel import Bullets, Heading

    base = safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    cb = load_codebook(ROOT / "config" / "codebook.yaml")

    def models_items(**models):
        cfg = copy.deepcopy(base)
        cfg["models"].update(models)
        items = methods_section(settings=load_settings(cfg, cb), threshold="often", hashes={},
                                versions={}, labels={})
        heads = [i.id for i in items if isinstance(i, Heading)]
        at = next(k for k, i in enumerate(items) if isinstance(i, Heading)
                  and i.id == "methods-models")
        entries = items[at + 1]
        assert isinstance(entries, Bullets)
        return heads, [str(e[0]) for e in entries.entries]

    heads, said = models_items(covariates=[])
    assert "methods-outcomes" in heads
    assert said[0].startswith("Intercept-only models (models.covariates is empty): "
                              "design-based regression")
    assert "inverse logit of the intercept" in said[1]
    assert said[2].startswith("Samples: pooled: all respondents, without country fixed "
                              "effects (so that it is the prevalence in all respondents")
    assert "<code>y ~ 1</code>" in said[2] and "UK: " in said[2]
    heads, said = models_items(outcomes=[])
    assert "methods-outcomes" not in heads  # no outcome: no heading over nothing
    assert said == ["None: models.outcomes is empty, so no model was fitted; the report "
                    "describes the respondents (report.descriptives.variables)."]
