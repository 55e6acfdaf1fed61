"""The answer box's sentences (coprod.report.answer), from hand-made result tables: each follows its
rule, reads right for any survey's words, and carries no statistical jargon."""
import re

import pandas as pd

from coprod.report.answer import (
    answer_items,
    caveat_sentence,
    correlates_sentence,
    robustness_sentence,
    strongest_sentence,
    who_sentence,
)

WORDS = {"y": "Voting", "pooled": "everyone"}
LABELS = {"age": "Age (years)", "sex": "Sex", "trust": "Trust (1-5)", "region": "Region"}
JARGON = re.compile(r"\|t\||\|z\||odds ratio|\bOR\b|FMI|\bdomain\b|log-odds|p-value|AME")


def ame(rows=None) -> pd.DataFrame:
    rows = rows or [
        # variable, contrast, estimate, low, high
        ("age", "per unit", 0.004, 0.002, 0.006),
        ("sex", "female vs male", -0.05, -0.08, -0.02),
        ("trust", "per unit", 0.01, -0.01, 0.03),
        ("region", "North vs South", 0.20, 0.10, 0.30),
    ]
    return pd.DataFrame([{"outcome": "y", "sample": "pooled", "variable": v, "contrast": c,
                          "estimate": e, "conf_low": lo, "conf_high": hi}
                         for v, c, e, lo, hi in rows])


def effects(verdicts=("strongest", "smaller", "smaller")) -> pd.DataFrame:
    base = [("age", "numeric", 15.0, 0.06, 0.03, 0.09), ("sex", "factor", None, 0.025, 0.01, 0.04),
            ("trust", "numeric", 1.1, 0.011, -0.01, 0.03)]
    return pd.DataFrame([{"outcome": "y", "sample": "pooled", "variable": v, "kind": k, "sd": sd,
                          "effect": e, "conf_low": lo, "conf_high": hi, "rank": i + 1,
                          "verdict": verdict, "note": ""}
                         for i, ((v, k, sd, e, lo, hi), verdict)
                         in enumerate(zip(base, verdicts))])


def test_who_names_the_lowest_and_highest_group_or_the_one_share():
    prev = pd.DataFrame({"outcome": ["y"] * 3, "group": ["A", "B", "C"],
                         "estimate": [0.2, 0.45, 0.3]})
    s = who_sentence(prev, ["y"], words=WORDS, labels={}, unit="schools", weighted=True)
    assert s == ("How common (weighted): <strong>Voting</strong>: from 20% of schools (A) to "
                 "45% (B).")
    one = who_sentence(prev.iloc[:1], ["y"], words=WORDS, labels={}, unit="schools",
                       weighted=False)
    assert one == "How common: <strong>Voting</strong>: 20% of schools."


def test_who_says_the_whole_samples_share_and_never_counts_it_as_a_group():
    """The whole sample's row (group pooled, descriptives with two or more groups) gives the
    share of everyone; the lowest and highest are groups' even where the whole sample's row
    would be the extreme (here made so on purpose)."""
    for whole in (0.6, 0.1):
        prev = pd.DataFrame({"outcome": ["y"] * 4, "group": ["pooled", "A", "B", "C"],
                             "estimate": [whole, 0.2, 0.45, 0.3]})
        s = who_sentence(prev, ["y"], words=WORDS, labels={}, unit="schools", weighted=True)
        assert s == (f"How common (weighted): <strong>Voting</strong>: {whole:.0%} of schools "
                     "in everyone, from 20% (A) to 45% (B).")
    # one group: no whole-sample row is written, but one alone would still be one share
    alone = pd.DataFrame({"outcome": ["y"], "group": ["pooled"], "estimate": [0.3]})
    assert who_sentence(alone, ["y"], words=WORDS, labels={}, unit="schools",
                        weighted=False) == "How common: <strong>Voting</strong>: 30% of schools."
    two = pd.DataFrame({"outcome": ["y"] * 2, "group": ["pooled", "A"], "estimate": [0.3, 0.3]})
    assert who_sentence(two, ["y"], words=WORDS, labels={}, unit="schools",
                        weighted=False) == "How common: <strong>Voting</strong>: 30% of schools."


def test_correlates_name_clear_relations_with_points_and_leave_out_the_group_effects():
    s = correlates_sentence(ame(), None, "y", "pooled", covariates=["age", "sex", "trust"],
                            group_column="region", words=WORDS, labels=LABELS)
    assert s.startswith("<strong>Voting</strong>, with region held equal, is more likely with "
                        "higher age (years) (+0.4 points per unit [0.2 to 0.6])")
    assert "less likely with sex female vs male (\u22125.0 points [\u22128.0 to \u22122.0])" in s
    assert s.endswith("Not clearly related: trust (1-5).")
    assert "North" not in s and s.count("region") == 1  # held equal, never listed


def test_correlates_use_one_standard_deviation_when_the_effect_sizes_are_there():
    s = correlates_sentence(ame(), effects(), "y", "pooled", covariates=["age", "sex", "trust"],
                            group_column=None, words=WORDS, labels=LABELS)
    assert "higher age (years) (+6.0 points [3.0 to 9.0] per 15 more, one standard " \
        "deviation)" in s
    assert "region North vs South (+20.0 points [10.0 to 30.0])" not in s  # not a covariate


def test_nothing_clear_is_said_as_such():
    rows = [("age", "per unit", 0.001, -0.01, 0.01)]
    s = correlates_sentence(ame(rows), None, "y", "pooled", covariates=["age"],
                            group_column=None, words=WORDS, labels=LABELS)
    assert s == "<strong>Voting</strong> is not clearly related to any covariate."


def test_what_matters_most_follows_the_effect_size_verdicts():
    s = strongest_sentence(effects(), "y", "pooled", words=WORDS, labels=LABELS)
    assert s == ("What matters most: age (years) (6.0 points per standard deviation), clearly "
                 "more than any other characteristic (next: sex, a spread of 2.5 points across "
                 "its levels).")
    tie = strongest_sentence(effects(("strongest", "similar", "smaller")), "y", "pooled",
                             words=WORDS, labels=LABELS)
    assert tie == ("What matters most: age (years) (6.0 points per standard deviation) and sex "
                   "(a spread of 2.5 points across its levels); the data cannot tell them "
                   "apart.")
    none = effects(("not compared",) * 3).assign(note="separation")
    assert strongest_sentence(none, "y", "pooled", words=WORDS, labels=LABELS) == (
        "What matters most cannot be said (separation).")
    assert strongest_sentence(None, "y", "pooled", words=WORDS, labels=LABELS) == ""


def test_robustness_counts_estimable_analyses_and_imputed_changes():
    checked = pd.DataFrame({
        "id": ["a", "b"], "claim": ["Older vote more.", "Women vote less."],
        "covariate": ["age", "sex"], "outcome": ["y", "y"],
        "verdict": ["supported", "inconclusive"], "verdict_mi": ["supported", "supported"],
        "spec_total": [64, 64], "spec_supported": [40, 10], "spec_estimable": [48, 64]})
    s = robustness_sentence(checked, words=WORDS, labels=LABELS)
    assert s.startswith("How robust: of 2 published claims, 1 supported, 1 inconclusive in the "
                        "main models")
    assert "Age (years) \u2192 voting: supported in 40 of 48 (16 could not be estimated)" in s
    assert "Sex \u2192 voting: supported in 10 of 64;" in s
    assert "with imputed answers \u201cWomen vote less.\u201d is supported" in s
    assert robustness_sentence(None, words=WORDS, labels=LABELS).startswith(
        "How robust: one model per outcome and sample")


def test_a_failed_model_is_said_not_shown():
    fit = pd.DataFrame({"outcome": ["y"], "sample": ["pooled"], "status": ["failed"],
                        "message": ["separation"]})
    assert caveat_sentence(fit, ["y"], "pooled", words=WORDS).startswith(
        "Caution: Voting (could not be estimated: separation)")


def test_the_box_has_no_jargon_and_escapes_user_words():
    words = {**WORDS, "y": "<b>Voting</b>"}
    items = answer_items(
        prevalence=pd.DataFrame({"outcome": ["y", "y"], "group": ["A<i>", "B"],
                                 "estimate": [0.2, 0.3]}),
        ame=ame(), effects=effects(), fit=pd.DataFrame(columns=["outcome", "sample", "status"]),
        checked=None, compare=["y"], sample="pooled", covariates=["age", "sex", "trust"],
        group_column="region", words=words, labels=LABELS, unit="respondents", weighted=True)
    assert 4 <= len(items) <= 6
    text = " ".join(items)
    assert not JARGON.search(re.sub(r"<[^>]+>", "", text)), text
    assert "<b>Voting" not in text and "&lt;b&gt;Voting" in text and "A&lt;i&gt;" in text


def test_imputed_answers_are_not_said_to_agree_when_nothing_was_estimated():
    """Found by review: two claims not estimated with and without imputation were said to
    have 'every verdict the same with imputed answers'."""
    checked = pd.DataFrame({"id": ["a", "b"], "claim": ["A.", "B."], "covariate": ["age", "sex"],
                            "outcome": ["y", "y"], "verdict": ["not estimated"] * 2,
                            "verdict_mi": ["not estimated"] * 2})
    s = robustness_sentence(checked, words=WORDS, labels=LABELS)
    assert "the same with imputed answers" not in s
