"""Honest robustness counts (coprod.pipeline.estimable): a fit that failed, did not converge or is
separated judges no claim -- complete cases, imputed data, the specification curve, the "cut of
the scale" and the "complete cases or imputed data" sentences -- and every count says how many
were not estimable."""
from __future__ import annotations

import _report_data as D
import numpy as np
import pandas as pd
import pytest

from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.estimable import (
    NOT_ESTIMABLE_RULE,
    count_phrase,
    message_parts,
    not_estimable_reason,
    spec_counts,
)
from coprod.pipeline.findings import (
    check_claims,
    check_findings,
    with_imputed,
    with_specifications,
)
from coprod.pipeline.reportsettings import FigureSettings
from coprod.report.findings import _spec_cell, findings_table
from coprod.report.tabledata import display_frame

SEP = ("separation: (quasi-)complete separation: the outcome is perfectly predicted along the "
       "terms ['gender[T.woman]']; their estimates diverge (gender[T.woman] -> +inf) and are "
       "not reported.; low_events_per_parameter: 1 respondents in the rarer outcome class")


@pytest.mark.parametrize("status, message, flags, want", [
    ("ok", "", "", ""),
    ("flagged", "lonely_psu: strata with a single PSU", "lonely_psu", ""),
    ("flagged", "low_events_per_parameter: 3 respondents", "low_events_per_parameter", ""),
    ("failed", "the outcome is 0 for all", "failed", "failed: the outcome is 0 for all"),
    ("flagged", "non_convergence: the fit did not converge in 25 iterations",
     "non_convergence", "did not converge"),
    ("flagged", SEP, "separation;low_events_per_parameter",
     "separation: (quasi-)complete separation: the outcome is perfectly predicted along the "
     "terms ['gender[T.woman]']; their estimates diverge (gender[T.woman] -> +inf) and are not "
     "reported."),
    # an imputed model: no flags column, the message names the imputations
    ("flagged", "separation: in imputation 2 of 5: (quasi-)complete separation", float("nan"),
     "separation: in imputation 2 of 5: (quasi-)complete separation"),
])
def test_the_reason_a_fit_is_not_estimable(status, message, flags, want):
    assert not_estimable_reason(status, message, flags) == want
    # the message names every flag of the fit: the same reason without the flag names
    assert not_estimable_reason(status, message) == want


def test_a_message_splits_only_at_flag_names():
    parts = message_parts(SEP)
    assert list(parts) == ["separation", "low_events_per_parameter"]
    assert "their estimates diverge" in parts["separation"]


# -- the verdicts: complete cases and imputed data ---------------------------------------------

def _claims(*extra):
    base = [{"id": "women_ind", "claim": "Women more", "covariate": "gender", "level": "woman",
             "outcome": "individual_any", "expected": "positive", "source": "s"},
            {"id": "age_ind", "claim": "Older more", "covariate": "age",
             "outcome": "individual_any", "expected": "positive", "source": "s"}]
    return check_claims({"claims": [*base, *extra], "sources": {"s": "S."}},
                        outcomes=D.OUTCOMES, covariates=D.COVARIATES, samples=D.SAMPLES,
                        levels=D.LEVELS)


def _separated_fit():
    fit = D.fit()
    at = (fit["outcome"] == "individual_any") & (fit["sample"] == "pooled")
    fit.loc[at, ["status", "message", "n_flags"]] = ["flagged", SEP, 2]
    return fit


def test_a_separated_complete_case_fit_judges_none_of_its_claims():
    """Age's own term is estimated in the separated fit (gender's is the separated one) and
    would be "supported": the fit supports nothing, for every claim it carries."""
    claims = _claims()
    ok = check_findings(claims, D.coefficients(), D.fit(), D.contrast()).set_index("id")
    assert ok.loc["age_ind", "verdict"] == "supported"  # the same estimates, an ok fit
    out = check_findings(claims, D.coefficients(), _separated_fit(),
                         D.contrast()).set_index("id")
    for cid in ("women_ind", "age_ind"):
        assert out.loc[cid, "verdict"] == "not estimated"
        assert out.loc[cid, "note"].startswith("separation: (quasi-)complete separation")
        assert np.isnan(out.loc[cid, "estimate"])  # no number that looks like a result
    assert out.loc["age_ind", "term"] == "age"


def _imputed(message=""):
    coefs = D.coefficients()
    coefs = coefs[coefs["outcome"].isin(["individual_any"]) & (coefs["sample"] == "pooled")]
    return coefs.rename(columns={"df_resid": "df"}).assign(
        status="flagged" if message else "ok", message=message)


def test_a_separated_imputed_fit_judges_none_of_its_claims():
    claims = _claims()
    checked = check_findings(claims, D.coefficients(), D.fit(), D.contrast())
    ok = with_imputed(checked, claims, _imputed()).set_index("id")
    assert ok.loc["age_ind", "verdict_mi"] == "supported"
    bad = with_imputed(checked, claims, _imputed(
        "separation: in imputation 3 of 5: (quasi-)complete separation")).set_index("id")
    assert (bad["verdict_mi"] == "not estimated").all()


def _mi_table(flip: dict[int, str]):
    """A table where level b of x predicts y = 1 perfectly but for row 250, whose x is missing:
    imputed as b it breaks the separation, imputed as a it keeps it."""
    rng = np.random.default_rng(5)
    n = 300
    x = np.where(np.arange(n) < 200, "a", "b").astype(object)
    y = np.where(x == "a", (rng.random(n) < 0.5).astype(float), 1.0)
    x[250], y[250] = None, 0.0
    t = pd.DataFrame({"y": y, "x": pd.Categorical(x, categories=["a", "b"]),
                      "z": rng.normal(size=n), "group": pd.Categorical(["A"] * n)})
    t.attrs = {"group_column": "group"}
    cells = pd.DataFrame({"imputation": list(flip), "row": [250] * len(flip),
                          "variable": ["x"] * len(flip), "value": list(flip.values())})
    return t, cells


@pytest.mark.parametrize("flip, status, which", [
    ({1: "b", 2: "b"}, "ok", ""),
    ({1: "b", 2: "a", 3: "a"}, "flagged", "separation: in imputations 2, 3 of 3: "),
    ({1: "a", 2: "b"}, "flagged", "separation: in imputation 1 of 2: "),
])
def test_fit_sample_mi_carries_the_separation_of_any_imputation(flip, status, which):
    """Fitted, not made up: separated in some imputations only, the combined model is flagged
    and names them; Rubin's rules would otherwise give it numbers that look whole."""
    from coprod.pipeline.imputedmodels import fit_sample_mi

    t, cells = _mi_table(flip)
    design = DesignSettings.from_params({"weights": None, "strata": None, "psu": None,
                                         "lonely_psu": "adjust"})
    out, _, _ = fit_sample_mi(t, cells, outcomes=["y"], sample="pooled", covariates=["x", "z"],
                              reference_levels={"x": "a"}, design=design)
    assert set(out["status"]) == {status}
    msg = out["message"].iloc[0]
    assert msg.startswith(which) if which else msg == ""
    if which:
        assert "(quasi-)complete separation" in msg
        assert not_estimable_reason(out["status"].iloc[0], msg).startswith(which)


# -- the counts ----------------------------------------------------------------------------------

SPECS = pd.DataFrame({
    "claim": ["a"] * 7 + ["b"] * 2,
    "verdict": ["supported", "supported", "contradicted", "inconclusive", "not estimated",
                "not estimated", "supported", "equivalent", "different"],
    "note": ["", "", "", "", "separation: ...", "separation: ...", "", "", ""]})


def test_counts_leave_out_the_not_estimable_and_say_how_many():
    assert spec_counts(SPECS.loc[SPECS["claim"] == "a", "verdict"]) == [7, 3, 1, 5, 2]
    checked = pd.DataFrame({"id": ["a", "b", "c"], "verdict": ["supported"] * 3})
    out = with_specifications(checked, SPECS).set_index("id")
    assert out.loc["a", ["spec_total", "spec_supported", "spec_contradicted",
                         "spec_estimable", "spec_not_estimable"]].tolist() == [7, 3, 1, 5, 2]
    assert out.loc["b", ["spec_estimable", "spec_not_estimable"]].tolist() == [2, 0]
    assert np.isnan(out.loc["c", "spec_total"])
    assert _spec_cell(out.loc["a"]) == \
        "supported in 3 of 5 estimable (2 not estimable), contradicted in 1"
    assert _spec_cell(out.loc["b"]) == \
        "supported in 1 of 2 estimable (0 not estimable), contradicted in 1"


def test_the_count_wording_is_one():
    from coprod.pipeline.speccurve import summarise
    from coprod.report.speccurve import spec_sentence

    s = summarise(SPECS).set_index("claim")
    assert s.loc["a"].tolist() == [7, 3, 1, 5, 2]
    assert spec_sentence(s.loc["a"]) == ("supported in 3 of 5 estimable specifications "
                                         "(2 not estimable), contradicted in 1")
    assert count_phrase(0, 0, 0, 4, noun="specifications") == \
        "no specifications estimable (4 not estimable)"
    checked = pd.DataFrame({"id": ["a"], "claim": ["A claim"], "verdict": ["supported"]})
    checked = with_specifications(checked, SPECS)
    for k in ("outcome", "compared_with", "sample", "expected", "source", "scale", "note"):
        checked[k] = ""
    checked[["estimate", "conf_low", "conf_high"]] = np.nan
    table = findings_table(checked.assign(outcome="individual_any", sample="pooled",
                                          expected="positive", source="s"), {"s": "S."})
    assert display_frame(table).loc[0, "Specifications"] == \
        "supported in 3 of 5 estimable (2 not estimable), contradicted in 1"


def test_the_report_section_counts_the_same_way(tmp_path):
    from coprod.report.page import render
    from coprod.report.pagemodel import Page
    from coprod.report.report import _specifications

    png = tmp_path / "spec_a.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n")
    checked = with_specifications(pd.DataFrame({"id": ["a"], "claim": ["A claim"]}), SPECS)
    html = render(Page("T", (_specifications([str(png)], checked),), "now"))
    assert ("supported in 3 of 5 estimable specifications (2 not estimable), contradicted "
            "in 1") in html
    assert "is not estimable" in html and "x at the foot" in html
    assert "supported in 3 of 7" not in html


# -- the robustness sentences ------------------------------------------------------------------

def _robust_row(**over):
    r = {"id": "a", "claim": "A claim", "verdict": "supported", "scale": "log-odds",
         "estimate": 0.2, "conf_low": 0.1, "conf_high": 0.3, "outcome_ordinal": "",
         "verdict_ordinal": "supported", "estimate_ordinal": 0.2, "conf_low_ordinal": 0.1,
         "conf_high_ordinal": 0.3, "outcome_count": "", "verdict_count": "supported",
         "estimate_count": 0.2, "conf_low_count": 0.1, "conf_high_count": 0.3}
    return pd.DataFrame([{**r, **over}])


@pytest.mark.parametrize("over, says, never", [
    ({}, "The verdict holds under every model (all 3 estimable).", "not estimable)"),
    ({"verdict_ordinal": "not estimated"},
     "The verdict holds under every estimable model (2 of 3; 1 not estimable).",
     "every model ("),
    ({"verdict_ordinal": "not estimated", "verdict_count": "not estimated"},
     "Only 1 model of 3 estimable (2 not estimable): nothing to compare.", "holds"),
    ({"verdict_count": "contradicted", "verdict_ordinal": "not estimated"},
     "The verdict depends on the model (2 estimable, 1 not estimable)", "holds"),
])
def test_the_cut_of_the_scale_counts_only_estimable_models(over, says, never):
    from coprod.report.robustness import claim_sentences

    [sentence] = claim_sentences(_robust_row(**over))
    assert says in sentence and never not in sentence


def test_imputed_sentences_compare_only_estimable_models():
    from coprod.report.robustness import mi_sentences

    row = _robust_row().assign(verdict_mi="not estimated", estimate_mi=np.nan)
    [s] = mi_sentences(row)
    assert "imputed: not estimated" in s and "nothing to compare" in s
    assert "changes" not in s
    [s] = mi_sentences(_robust_row().assign(verdict_mi="supported", estimate_mi=0.2,
                                            conf_low_mi=0.1, conf_high_mi=0.3))
    assert "the same verdict" in s


def test_a_separated_cut_is_left_out_of_the_comparison_and_named():
    from coprod.report.robustness import cut_disagreements

    def cut(name, lo, hi, flag=""):
        return {"outcome": "o", "sample": "pooled", "cut": name, "term": "age",
                "label": "Age", "conf_low": lo, "conf_high": hi, "flag": flag}

    apart = pd.DataFrame([cut("1 or higher", 0.1, 0.2), cut("2 or higher", 0.3, 0.4),
                          cut("3 or higher", 0.5, 0.6, "separation")])
    [line] = cut_disagreements(apart, sample="pooled")
    assert "1 of 3 cuts not estimable" in line and "3 or higher" in line
    assert "disagree" in line
    # the separated cut alone made the intervals disagree: left out, they overlap
    alone = pd.DataFrame([cut("1 or higher", 0.1, 0.4), cut("2 or higher", 0.3, 0.5),
                          cut("3 or higher", 2.0, 3.0, "separation")])
    [line] = cut_disagreements(alone, sample="pooled")
    assert "overlap" in line and "1 of 3 cuts not estimable" in line
    one = pd.DataFrame([cut("1 or higher", 0.1, 0.4), cut("2 or higher", 2.0, 3.0,
                                                            "not_converged")])
    [line] = cut_disagreements(one, sample="pooled")
    assert "nothing to compare" in line


def test_the_rule_is_written_down():
    from coprod.pipeline.findings import verdict_rule

    assert "separation" in NOT_ESTIMABLE_RULE and "any of its imputed" in NOT_ESTIMABLE_RULE
    assert "flagged for separation" in verdict_rule(0.95)


# -- the figure ----------------------------------------------------------------------------------

def _curve(equivalence=False):
    rng = np.random.default_rng(1)
    verdicts = ["supported"] * 4 + ["contradicted"] * 2 + ["inconclusive"] * 3 + \
        ["not estimated"] * 3
    est = np.r_[rng.uniform(0.2, 0.5, 4), rng.uniform(-0.5, -0.2, 2), rng.uniform(-0.05, 0.05, 3),
                [np.nan] * 3]
    specs = pd.DataFrame({"spec": np.arange(1, 13), "claim": "a", "verdict": verdicts,
                          "estimate": est, "conf_low": est - 0.1, "conf_high": est + 0.1,
                          "threshold": ["often", "sometimes"] * 6,
                          "note": [""] * 9 + ["separation: ..."] * 3})
    if equivalence:
        specs["verdict"] = specs["verdict"].replace({"supported": "equivalent",
                                                     "contradicted": "different"})
        specs["equivalence_low"] = est - 0.08
        specs["equivalence_high"] = est + 0.08
        specs[["bound_low", "bound_high"]] = [0.8, 1.25]
    return specs


def _points(fig):
    top = fig.axes[0]
    return {ln.get_gid(): ln for ln in top.get_lines() if (ln.get_gid() or "").startswith(
        "verdict:")}


def test_the_curve_marks_verdicts_and_the_not_estimable_by_shape():
    import matplotlib.pyplot as plt

    from coprod.report.figstyle import subtitle
    from coprod.report.speccurve import spec_curve_figure

    fig = spec_curve_figure(_curve(), claim="A claim", settings=FigureSettings.from_params({"conf_level": 0.95}))
    pts = _points(fig)
    markers = {k.split(":")[1]: ln.get_marker() for k, ln in pts.items()}
    assert markers == {"supported": "o", "contradicted": "s", "inconclusive": "D",
                       "not estimated": "x"}
    assert len(set(markers.values())) == 4  # a shape each, not only a colour
    assert [len(pts[f"verdict:{v}"].get_xdata()) for v in
            ("supported", "contradicted", "inconclusive", "not estimated")] == [4, 2, 3, 3]
    # the not estimable stand at the foot of the panel (axes coordinates), after the others
    top = fig.axes[0]
    nx = pts["verdict:not estimated"]
    shown = nx.get_transform().transform(np.c_[nx.get_xdata(), nx.get_ydata()])
    in_axes = top.transAxes.inverted().transform(shown)
    assert in_axes[:, 1] == pytest.approx([0.03] * 3)  # the panel's foot, whatever the scale
    assert min(nx.get_xdata()) == 9  # after the nine estimable ones
    assert subtitle(fig).startswith(
        "supported in 4 of 9 estimable specifications (3 not estimable), contradicted in 2")
    legend = [t.get_text() for t in top.get_legend().get_texts()]
    assert "not estimable" in legend
    plt.close(fig)


def test_a_specification_that_cannot_carry_the_claim_is_left_out_not_counted():
    """No ordinal version of the outcome, or the claim's covariate not in the set: "not
    applicable", out of the counts and the curve (found by review: counted as not estimable,
    which the rule reserves for failed, unconverged and separated fits)."""
    import matplotlib.pyplot as plt

    from coprod.pipeline.estimable import NOT_APPLICABLE
    from coprod.report.figstyle import subtitle
    from coprod.report.speccurve import spec_curve_figure

    v = SPECS.loc[SPECS["claim"] == "a", "verdict"]
    more = pd.concat([v, pd.Series([NOT_APPLICABLE] * 4)], ignore_index=True)
    assert spec_counts(more) == spec_counts(v) == [7, 3, 1, 5, 2]
    curve = _curve()
    extra = curve.iloc[:2].assign(verdict=NOT_APPLICABLE, estimate=np.nan)
    fig = spec_curve_figure(pd.concat([curve, extra], ignore_index=True), claim="A claim",
                            settings=FigureSettings.from_params({"conf_level": 0.95}))
    assert subtitle(fig).startswith(
        "supported in 4 of 9 estimable specifications (3 not estimable), contradicted in 2")
    assert "verdict:not applicable" not in _points(fig)
    plt.close(fig)


def test_an_equivalence_curve_draws_the_bounds_and_the_interval_the_rule_judges():
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    from coprod.report.figstyle import subtitle
    from coprod.report.speccurve import spec_curve_figure

    specs = _curve(equivalence=True)
    fig = spec_curve_figure(specs, claim="No relation", settings=FigureSettings.from_params({"conf_level": 0.95}))
    top = fig.axes[0]
    ys = sorted({round(float(y), 6) for ln in top.get_lines() for y in ln.get_ydata()
                 if ln.get_gid() is None and len(set(ln.get_ydata())) == 1})
    assert 0.8 in ys and 1.25 in ys  # the bounds drawn as lines (1.0: no relation)
    band = [p for p in top.patches if p.get_label().startswith("equivalence bounds")]
    assert len(band) == 1
    corners = band[0].get_path().transformed(band[0].get_patch_transform()).vertices
    assert corners[:, 1].min() == pytest.approx(0.8) and corners[:, 1].max() == \
        pytest.approx(1.25)
    # the thick interval is the (1 - 2 alpha) one the equivalence test judges
    thick = [c for c in top.collections if isinstance(c, LineCollection)
             and c.get_linewidth()[0] == pytest.approx(1.2)]
    assert len(thick) == 1
    ok = specs[specs["verdict"] != "not estimated"].sort_values("estimate")
    seg = thick[0].get_segments()
    assert [s[0][1] for s in seg] == pytest.approx(np.exp(ok["equivalence_low"]).tolist())
    assert [s[1][1] for s in seg] == pytest.approx(np.exp(ok["equivalence_high"]).tolist())
    assert "90% intervals (the equivalence test's" in subtitle(fig)
    legend = [t.get_text() for t in top.get_legend().get_texts()]
    assert "equivalence bounds 0.8 to 1.25" in legend
    plt.close(fig)


def test_the_cut_of_the_scale_section_gives_the_specifications_per_cut():
    """The reader's question (issue 25): the claims section said "The verdict holds under every
    model" while at the other cut every fit of the specification curve was separated. The
    same counts, per cut, now stand beside it."""
    from coprod.report.robustness import claim_sentences

    specs = SPECS.assign(threshold=["often"] * 4 + ["sometimes"] * 3 + ["often"] * 2)
    checked = with_specifications(pd.DataFrame({"id": ["a"]}), specs)
    assert checked.loc[0, "spec_by_threshold"] == (
        "often: supported in 2 of 4 estimable (0 not estimable), contradicted in 1; "
        "sometimes: supported in 1 of 1 estimable (2 not estimable), contradicted in 0")
    row = _robust_row().assign(spec_by_threshold=checked.loc[0, "spec_by_threshold"])
    [s] = claim_sentences(row)
    assert "by where the scale is cut: often: supported in 2 of 4 estimable" in s
    assert "sometimes: supported in 1 of 1 estimable (2 not estimable)" in s
    # one cut only: no per-cut column
    assert "spec_by_threshold" not in with_specifications(pd.DataFrame({"id": ["a"]}),
                                                          SPECS).columns


def test_a_separated_contrast_judges_no_comparison():
    claims = check_claims({"claims": [
        {"id": "cmp", "claim": "More for collective", "covariate": "self_efficacy",
         "outcome": "collective_any", "compared_with": "individual_any",
         "expected": "positive", "source": "s"}], "sources": {"s": "S."}},
        outcomes=D.OUTCOMES, covariates=D.COVARIATES, samples=D.SAMPLES,
        contrast=D.OUTCOMES, levels=D.LEVELS)
    con = D.contrast()
    ok = check_findings(claims, D.coefficients(), D.fit(), con,
                        contrast_outcomes=D.OUTCOMES).set_index("id")
    assert ok.loc["cmp", "verdict"] == "supported"
    pooled = con["sample"] == "pooled"
    con.loc[pooled, ["status", "message"]] = [
        "flagged", "separation: individual_any: (quasi-)complete separation"]
    out = check_findings(claims, D.coefficients(), D.fit(), con,
                         contrast_outcomes=D.OUTCOMES).set_index("id")
    assert out.loc["cmp", "verdict"] == "not estimated"
    assert out.loc["cmp", "note"] == \
        "contrast separation: individual_any: (quasi-)complete separation"


def test_an_estimate_beside_supported_never_shows_the_null_as_its_bound():
    """The review's "RR 0.99 [0.98, 1.00]" labelled supported: the count model's interval
    excludes 1 (upper bound 0.9996), so the sentence shows the decimals that say so."""
    import math

    from coprod.report.robustness import claim_sentences

    row = _robust_row(estimate_count=math.log(0.99), conf_low_count=math.log(0.98),
                      conf_high_count=math.log(0.9996), verdict_count="supported")
    [sentence] = claim_sentences(row)
    assert "RR 0.9900 [0.9800, 0.9996]" in sentence and "1.00]" not in sentence
    assert "OR 1.22 [1.11, 1.35]" in sentence  # the 0/1 model's, clear of 1 at 2 decimals
