"""The findings check: the verdict rule, the claims file's errors, and verdicts on hand-made
model tables."""
import _report_data as D
import numpy as np
import pandas as pd
import pytest
from catalogue import safe_load

from coprod.errors import ConfigError
from coprod.pipeline.findings import (
    check_claims,
    check_findings,
    equivalence_verdict,
    load_claims,
    strongest_verdict,
    verdict,
    verdict_rule,
)
from coprod.report.findings import findings_table, run_findings
from coprod.report.tabledata import display_frame

ROOT = D.__file__.rsplit("/tests/", 1)[0]
SOURCES = {"p13": "Parrado et al. (2013). Correlates.", "b15": "Bovaird et al. (2015). Act."}


# -- the rule ---------------------------------------------------------------------------------

@pytest.mark.parametrize("expected, est, lo, hi, want", [
    ("positive", 0.4, 0.2, 0.6, "supported"),
    ("positive", -0.4, -0.6, -0.2, "contradicted"),
    ("positive", 0.1, -0.1, 0.3, "inconclusive"),     # right sign, CI includes 0
    ("positive", -0.1, -0.3, 0.1, "inconclusive"),    # wrong sign, CI includes 0
    ("negative", -0.4, -0.6, -0.2, "supported"),
    ("negative", 0.4, 0.2, 0.6, "contradicted"),
    ("negative", -0.05, -0.2, 0.1, "inconclusive"),
    ("none", 0.02, -0.2, 0.24, "inconclusive"),     # absence of evidence is not support
    ("none", 0.4, 0.2, 0.6, "different"),
    ("none", -0.4, -0.6, -0.2, "different"),
    ("positive", 0.3, 0.0, 0.6, "inconclusive"),      # touching 0 does not exclude it
    ("positive", np.nan, np.nan, np.nan, "not estimated"),
])
def test_verdict_rule(expected, est, lo, hi, want):
    assert verdict(expected, est, lo, hi) == want


def test_verdict_rule_rejects_unknown_expectation():
    with pytest.raises(ConfigError, match="expected must be one of"):
        verdict("up", 1, 0.5, 1.5)


def test_the_rule_is_written_down_for_the_report():
    text = verdict_rule(0.95)
    for word in ("supported", "contradicted", "inconclusive", "equivalent", "different",
                 "95% confidence interval", "90% interval", "strongest", "per standard deviation"):
        assert word in text


# -- the claims file --------------------------------------------------------------------------

def claim(**over):
    c = {"id": "c1", "claim": "Age goes with individual co-production.", "covariate": "age",
         "outcome": "individual_any", "expected": "positive", "source": "p13"}
    c.update(over)
    return c


def check(*claims, contrast=D.OUTCOMES, families=None):
    """check_claims on the default settings; ``families``: outcomes of another kind than
    logit (the others are 0/1)."""
    return check_claims({"claims": list(claims), "sources": SOURCES, "path": "findings.yaml"},
                        outcomes=D.OUTCOMES, covariates=D.COVARIATES, samples=D.SAMPLES,
                        contrast=contrast, levels=D.LEVELS,
                        **({} if families is None else
                           {"families": {**dict.fromkeys(D.OUTCOMES, "logit"), **families}}))


def test_a_claim_on_an_ordinal_outcome_says_why_not():
    """{name: ordinal} in models.outcomes is there: the claim is told it is not a 0/1 outcome,
    not that the outcome is missing (issue 29)."""
    with pytest.raises(ConfigError) as e:
        check(claim(outcome="individual_domains"), families={"individual_domains": "ordinal"})
    assert ("outcome: 'individual_domains' is an ordinal outcome ({individual_domains: "
            "ordinal} in models.outcomes): a claim is checked against a 0/1 outcome's model"
            ) in str(e.value)


def test_a_claim_compared_with_a_count_outcome_says_why_not():
    with pytest.raises(ConfigError) as e:
        check(claim(compared_with="individual_count", expected="none"),
              families={"individual_count": "count"})
    assert ("compared_with: 'individual_count' is a count outcome ({individual_count: count} "
            "in models.outcomes): a claim is checked against a 0/1 outcome's model") \
        in str(e.value)
    assert "is not one of models.outcomes" not in str(e.value)


def test_a_valid_claim_passes_with_defaults():
    (c,) = check(claim())
    assert c["sample"] == "pooled" and c["optional"] is False


@pytest.mark.parametrize("over, message", [
    ({"outcome": "individual_al"}, "claim 'c1' does not fit these models (outcome: "
                                   "'individual_al' is not one of models.outcomes (did you mean "
                                   "'individual_any'?)); mark it `optional: true`"),
    ({"covariate": "self_eficacy"}, "claim 'c1' does not fit these models (covariate: "
                                    "'self_eficacy' is not one of models.covariates (did you "
                                    "mean 'self_efficacy'?))"),
    ({"sample": "DE"}, "claim 'c1' does not fit these models (sample: 'DE' is not one of "
                       "models.samples"),
    ({"expected": "up"}, "claim 'c1': expected: 'up' is not one of positive, negative, none"),
    ({"source": "nobody"}, "claim 'c1': source: 'nobody' is not listed under sources"),
    ({"covariate": "education"}, "'education' has several levels"),
    ({"covariate": "gender", "level": "women"}, "'women' is not a level of 'gender'"),
    ({"covariate": "age", "level": "old"}, "'age' is numeric"),
    ({"direction": "up"}, "claim 'c1': unknown key 'direction'"),
    ({"compared_with": "collective_any", "outcome": "individual_any", "covariate": "age"}, None),
])
def test_claim_errors_name_the_claim_and_the_key(over, message):
    if message is None:
        check(claim(**over))
        return
    with pytest.raises(ConfigError) as err:
        check(claim(**over))
    assert message in str(err.value)
    assert str(err.value).startswith("findings.yaml: ")


def test_comparison_needs_the_contrast_pair():
    with pytest.raises(ConfigError, match="needs models.contrast"):
        check(claim(compared_with="collective_any"), contrast=None)


def test_missing_keys_and_duplicate_ids():
    with pytest.raises(ConfigError, match="missing key.*expected"):
        check({k: v for k, v in claim().items() if k != "expected"})
    with pytest.raises(ConfigError, match="id is used twice"):
        check(claim(), claim())


def test_all_errors_are_reported_at_once():
    with pytest.raises(ConfigError) as err:
        check(claim(id="a", outcome="x"), claim(id="b", covariate="y"))
    assert "claim 'a'" in str(err.value) and "claim 'b'" in str(err.value)


def test_optional_claims_are_skipped_not_fatal():
    (c,) = check(claim(outcome="trust_any", optional=True))
    assert "trust_any" in c["skip"]
    out = check_findings([c], D.coefficients(), D.fit(), D.contrast(),
                         contrast_outcomes=D.OUTCOMES)
    assert out.loc[0, "verdict"] == "skipped"


def test_load_claims_errors(tmp_path):
    p = tmp_path / "f.yaml"
    p.write_text("claims: []\n")  # no claims: allowed (the check has no rows)
    assert load_claims(p)["claims"] == []
    p.write_text("claims: {a: 1}\n")
    with pytest.raises(ConfigError, match="must be a list.*report.findings: null"):
        load_claims(p)
    p.write_text("claims: [{id: a}]\nsource: {}\n")
    with pytest.raises(ConfigError, match="unknown top-level key"):
        load_claims(p)


def test_the_bundled_claims_fit_the_bundled_config():
    from coprod.pipeline.codebook import load_codebook
    from coprod.pipeline.config import column_levels

    cfg = safe_load(open(f"{ROOT}/config/config.yaml"))
    spec = load_claims(f"{ROOT}/config/findings.yaml")
    m = cfg["models"]
    claims = check_claims(spec, outcomes=m["outcomes"], covariates=m["covariates"],
                          samples=m["samples"], contrast=m["contrast"],
                          levels=column_levels(load_codebook(f"{ROOT}/config/codebook.yaml")))
    assert len(claims) == 7
    assert {c["expected"] for c in claims} == {"positive", "negative", "none"}
    assert sum("compared_with" in c for c in claims) == 1
    assert set(spec["sources"]) == {c["source"] for c in claims}
    assert "http" not in open(f"{ROOT}/config/findings.yaml").read()


# -- verdicts on model tables ------------------------------------------------------------------

def run(*claims, fit=None):
    checked = check(*claims)
    return check_findings(checked, D.coefficients(), D.fit() if fit is None else fit,
                          D.contrast(), contrast_outcomes=D.OUTCOMES).set_index("id")


def test_directional_and_none_claims_on_hand_made_models():
    out = run(claim(id="age_ind"),
              claim(id="age_col", outcome="collective_any", expected="negative"),
              claim(id="women_ind", covariate="gender", level="woman"),
              claim(id="women_col", covariate="gender[T.woman]", outcome="collective_any",
                    expected="none"),
              claim(id="edu_ind", covariate="education", level="medium"),
              claim(id="gender_short", covariate="gender"),  # two levels: the one non-reference
              claim(id="age_fr", sample="FR", outcome="collective_any", expected="negative"))
    assert out.loc["age_ind", "verdict"] == "supported"
    assert out.loc["age_col", "verdict"] == "supported"
    assert out.loc["women_ind", "verdict"] == "supported"
    # no relation without equivalence bounds: an interval that includes 0 is not support
    assert out.loc["women_col", "verdict"] == "inconclusive"
    assert "no equivalence bounds" in out.loc["women_col", "note"]
    assert out.loc["edu_ind", "verdict"] == "inconclusive"
    assert out.loc["gender_short", "term"] == "gender[T.woman]"
    assert out.loc["age_fr", "verdict"] == "not estimated"
    assert out.loc["age_fr", "note"].startswith("failed: ")  # the rule of coprod.pipeline.estimable
    assert out.loc["age_ind", "estimate"] == pytest.approx(0.02)


def test_comparison_claims_use_the_contrast_in_the_claimed_direction():
    out = run(claim(id="stronger", covariate="self_efficacy", outcome="collective_any",
                    compared_with="individual_any"),
              claim(id="reversed", covariate="self_efficacy", outcome="individual_any",
                    compared_with="collective_any", expected="negative"),
              claim(id="failed", covariate="self_efficacy", outcome="collective_any",
                    compared_with="individual_any", sample="FR"))
    assert out.loc["stronger", "verdict"] == "supported"
    assert out.loc["stronger", "estimate"] == pytest.approx(0.60)
    assert out.loc["reversed", "estimate"] == pytest.approx(-0.60)
    assert out.loc["reversed", "conf_low"] < out.loc["reversed", "conf_high"] < 0
    assert out.loc["reversed", "verdict"] == "supported"
    assert out.loc["failed", "verdict"] == "not estimated"


def test_flagged_model_is_noted():
    out = run(claim(id="uk", sample="UK"))
    assert out.loc["uk", "note"].startswith("model flagged")


def test_a_level_missing_from_the_results_is_an_error():
    coefs = D.coefficients()
    coefs = coefs[coefs["term"] != "gender[T.woman]"]
    checked = check(claim(covariate="gender", level="woman"))
    with pytest.raises(ConfigError, match="claim 'c1': covariate: no single estimate for "
                                          "'gender\\[T.woman\\]'"):
        check_findings(checked, coefs, D.fit(), D.contrast(), contrast_outcomes=D.OUTCOMES)


def test_odds_ratios_in_words():
    from coprod.report.findings import odds_words

    assert odds_words(1.60, 1.38, 1.87) == "60% higher odds (38% to 87% higher)"
    assert odds_words(0.70, 0.55, 0.90) == "30% lower odds (10% to 45% lower)"
    assert odds_words(1.2, float("nan"), 1.5) == "" and odds_words(1.2, 0.5, float("inf")) == ""
    assert odds_words(1.03, 0.83, 1.26) == "3% higher odds (17% lower to 26% higher)"
    assert odds_words(1.002, 0.9, 1.1) == "the same odds (10% lower to 10% higher)"


def test_findings_table_and_run(tmp_path):
    out = run(claim(), claim(id="cmp", covariate="self_efficacy", outcome="collective_any",
                             compared_with="individual_any"))
    table = findings_table(out.reset_index(), SOURCES, words=D.WORDS)
    t = display_frame(table)
    assert t.loc[0, "Odds ratio [CI]"].startswith("1.02 [")
    assert t.loc[0, "In words"].startswith("2% higher odds")
    assert t.loc[1, "Odds ratio [CI]"].startswith("1.82 [")  # exp(0.60): a ratio of two ORs
    assert "is 1.82 times that for" in t.loc[1, "In words"]
    assert t.loc[0, "Source"] == "Parrado et al"
    # the source keeps its bibliography key (LaTeX cites it); the estimate its log-odds
    source = [c.cite for c in table.cells[0] if c.kind == "text" and c.text == "Parrado et al"]
    assert source == [out.reset_index().loc[0, "source"]]
    assert table.cells[0][2].estimate == out.reset_index().loc[0, "estimate"]
    paths = D.write_inputs(tmp_path)
    outputs = {k: tmp_path / f"findings.{k}" for k in ("csv", "tex", "html", "json")}
    outputs["checked"] = tmp_path / "check.csv"
    run_findings(findings=f"{ROOT}/config/findings.yaml", coefficients=paths["coefficients"],
                 fit=paths["fit"], contrast=paths["contrast"], outcomes=D.OUTCOMES,
                 covariates=D.COVARIATES, samples=D.SAMPLES, contrast_outcomes=D.OUTCOMES,
                 levels=D.LEVELS, conf_level=0.95, digits=2, words=D.WORDS, outputs=outputs)
    assert "Verdict" in outputs["csv"].read_text()
    checked = pd.read_csv(outputs["checked"]).set_index("id")
    assert (checked["verdict"] == "supported").sum() == 5
    # the no-relation claim is an equivalence test against its bounds [0.8, 1.25]
    assert checked.loc["gender_collective", "verdict"] in ("equivalent", "inconclusive")
    assert "0.8 to 1.25" in checked.loc["gender_collective", "note"]
    # "strongest" needs the effect sizes (effects.csv), which these inputs lack: said so
    assert checked.loc["efficacy_collective", "verdict"] == "not estimated"
    assert "effects.csv" in checked.loc["efficacy_collective", "note"]
    # report.latex reaches the findings rule's LaTeX too (sideways on request)
    from coprod.report.tablefiles import read_table
    from coprod.report.tablelatex import LatexSettings, to_latex

    table = read_table(outputs["json"])
    below = dict(outputs, tex=tmp_path / "below.tex", checked=tmp_path / "check2.csv")
    run_findings(findings=f"{ROOT}/config/findings.yaml", coefficients=paths["coefficients"],
                 fit=paths["fit"], contrast=paths["contrast"], outcomes=D.OUTCOMES,
                 covariates=D.COVARIATES, samples=D.SAMPLES, contrast_outcomes=D.OUTCOMES,
                 levels=D.LEVELS, conf_level=0.95, digits=2, words=D.WORDS, outputs=below,
                 latex={"sideways": True})
    turned = below["tex"].read_text()
    assert turned == to_latex(table, settings=LatexSettings(sideways=True))
    assert "landscape" in turned or "sideways" in turned
    assert "landscape" not in outputs["tex"].read_text()


# -- claims tested for what they say (equivalence, strongest) ----------------------------------

@pytest.mark.parametrize("estimate, se, expected", [
    (0.0, 0.05, "equivalent"),          # 90% CI (-0.082, 0.082) inside log(0.8, 1.25)
    (0.10, 0.05, "equivalent"),         # different from 0 but inside the bounds: negligible
    (0.0, 0.20, "inconclusive"),        # includes 0, reaches beyond the bounds
    (0.40, 0.10, "different"),          # excludes 0 and reaches beyond
    (np.nan, 0.1, "not estimated"),
])
def test_equivalence_verdicts(estimate, se, expected):
    assert equivalence_verdict(estimate, se, 1000, [0.8, 1.25]) == expected


def test_equivalence_at_its_boundary():
    """Equivalent exactly when the (1 - 2 alpha) interval is inside the bounds."""
    from coprod.survey import dist

    q = float(dist.t_ppf(0.95, 200))
    upper = np.log(1.25)
    se = 0.05
    inside = upper - q * se - 1e-9
    outside = upper - q * se + 1e-9
    assert equivalence_verdict(inside, se, 200, [0.8, 1.25]) == "equivalent"
    assert equivalence_verdict(outside, se, 200, [0.8, 1.25]) == "different"
    # without bounds: never support for "no relation"
    assert equivalence_verdict(0.0, 0.01, 200, None) == "inconclusive"


def _effects(sizes: dict, cov, blocked: str = "") -> pd.DataFrame:
    """An effects table (as the model stage writes it) from sizes and their covariance."""
    from coprod.pipeline.effectsize import judge

    info = pd.DataFrame({"variable": list(sizes), "kind": "numeric", "sd": 1.0})
    out = judge(info, np.array(list(sizes.values()), dtype=float), np.array(cov, dtype=float),
                df=1000, conf_level=0.95, blocked=blocked)
    out["label"] = out["variable"].str.upper()
    out.insert(0, "outcome", "y")
    out.insert(1, "sample", "pooled")
    return out


def test_strongest_verdicts_follow_the_effect_size_rule():
    cov = np.diag([1e-4] * 3)
    # per SD, probability scale: a = 10 points, b = -5, c = 4
    verdict_, note = strongest_verdict("a", _effects({"a": 0.10, "b": -0.05, "c": 0.04}, cov))
    assert verdict_ == "supported" and "closest is B" in note and "|t|" not in note
    # a negative effect larger in absolute value beats it
    verdict_, note = strongest_verdict("a", _effects({"a": 0.10, "b": -0.20, "c": 0.04}, cov))
    assert verdict_ == "contradicted" and note.startswith("B goes with a clearly larger change")
    # too close to call; a strong positive covariance makes the difference precise
    close = {"a": 0.10, "b": 0.095, "c": 0.0}
    assert strongest_verdict("a", _effects(close, cov))[0] == "inconclusive"
    tight = [[1e-4, 0.999e-4, 0], [0.999e-4, 1e-4, 0], [0, 0, 1e-4]]
    assert strongest_verdict("a", _effects(close, tight))[0] == "supported"
    # not the largest, but cannot be told apart from it: inconclusive, the largest named
    v, note = strongest_verdict("b", _effects(close, cov))
    assert v == "inconclusive" and note.startswith("A goes with the largest change")
    # a flagged model compares nothing; no table: said so
    v, note = strongest_verdict("a", _effects(close, cov, blocked="separation: x"))
    assert v == "not estimated" and "separation" in note
    assert strongest_verdict("a", None)[0] == "not estimated"


def _strongest_by_sorting(variable: str, effects: pd.DataFrame) -> tuple[str, str]:
    """strongest_verdict written the obvious way (the frames selected and sorted as a whole,
    as it was): the reference of the rows it finds by positions."""
    from coprod.pipeline.effectrule import SCALES

    mine = effects[effects["variable"].astype(str) == variable]
    if not len(mine):
        return "not estimated", f"{variable} has no effect size in this model"
    r = mine.iloc[0]
    count = str(r["scale"]) == SCALES["count"]

    def size(x, unit: bool = True) -> str:
        return f"{x:.2f}" if count else f"{x * 100:.1f}" + (" points" if unit else "")

    if r["verdict"] == "not compared":
        return "not estimated", f"effect sizes not compared: {r['note']}"
    ranked = effects[effects["verdict"] != "not compared"].sort_values("rank", kind="stable")
    top = ranked.iloc[0]
    name = str(top["label"] or top["variable"])
    if r["verdict"] == "strongest":
        closest = ranked.iloc[1:].sort_values("diff", kind="stable").iloc[0]
        return "supported", (f"the largest change per SD ({size(abs(r['effect']))}), clearly "
                             f"larger than every other covariate; the closest is "
                             f"{closest['label'] or closest['variable']} (difference "
                             f"{size(closest['diff'])} [{size(closest['diff_low'], False)}, "
                             f"{size(closest['diff_high'], False)}])")
    if r["verdict"] == "smaller":
        return "contradicted", (f"{name} goes with a clearly larger change per SD "
                                f"({size(abs(top['effect']))} against {size(abs(r['effect']))};"
                                f" difference {size(r['diff'])} [{size(r['diff_low'], False)}, "
                                f"{size(r['diff_high'], False)}])")
    if str(top["variable"]) == variable:
        alike = ", ".join(str(x["label"] or x["variable"]) for _, x in ranked.iloc[1:].iterrows()
                          if x["verdict"] == "similar")
        return "inconclusive", (f"the largest change per SD ({size(abs(r['effect']))}), but it "
                                f"cannot be told apart from: {alike}")
    return "inconclusive", (f"{name} goes with the largest change per SD "
                            f"({size(abs(top['effect']))}); this covariate's "
                            f"({size(abs(r['effect']))}) cannot be told apart from it")


@pytest.mark.parametrize("seed", range(12))
def test_strongest_verdicts_are_those_of_sorting_the_table(seed):
    """strongest_verdict finds the top, the closest and the similar covariates by positions:
    its verdicts and sentences are those of selecting and sorting the whole table (stable,
    missing last, ties in table order), whatever the order of the table's rows."""
    rng = np.random.default_rng(seed)
    names = list("abcdef")[:rng.integers(3, 7)]
    sizes = dict(zip(names, np.round(rng.normal(0, 0.1, len(names)), 2)))
    if seed % 2:  # one clearly the largest: the closest named
        sizes["a"] = 0.4
    table = _effects(sizes, np.diag([rng.uniform(1e-5, 4e-3)] * len(names)))
    if seed % 3 == 0:  # ties in rank and difference
        tie = table.loc[table.index[1], ["rank", "diff"]]
        table.loc[table.index[1:3], ["rank", "diff"]] = tie.to_numpy()
    if seed % 4 == 1:  # a missing rank and difference
        table.loc[table.index[-1], ["rank", "diff"]] = np.nan
    table = table.iloc[rng.permutation(len(table))]
    for v in [*names, "z"]:
        assert strongest_verdict(v, table) == _strongest_by_sorting(v, table)


def test_a_strongest_claim_is_judged_by_effect_size_not_by_t():
    """x2 has the largest |t| (a precise, smaller effect); x1 the larger effect per SD: the
    claim that x2 is the strongest is contradicted, the claim that x1 is, supported."""
    from test_effectsize import _constructed

    from coprod.pipeline.effectsize import covariate_effects
    from coprod.pipeline.models import with_term_columns
    from coprod.survey.glm import fit_svy_logit

    res = fit_svy_logit(_constructed(40_000), "y ~ x1 + x2 + x3")
    coefs = with_term_columns(res.tidy(), {}).assign(outcome="y", sample="pooled")
    assert coefs.set_index("term")["statistic"].drop("Intercept").abs().idxmax() == "x2"
    effects = covariate_effects(res).assign(outcome="y", sample="pooled")
    fit = pd.DataFrame({"outcome": ["y"], "sample": ["pooled"], "status": ["ok"],
                        "message": [""]})
    claims = [{"id": v, "claim": f"{v} is the strongest", "covariate": v, "outcome": "y",
               "sample": "pooled", "expected": "positive", "source": "s", "strongest": True}
              for v in ("x1", "x2")]
    out = check_findings(claims, coefs, fit, pd.DataFrame(), effects=effects).set_index("id")
    assert out.loc["x1", "verdict"] == "supported"
    assert out.loc["x2", "verdict"] == "contradicted"
    assert "x1 goes with a clearly larger change" in out.loc["x2", "note"]


@pytest.mark.parametrize("over, message", [
    ({"expected": "none", "equivalence": [1.2, 0.8]}, "is not an interval of odds ratios around 1"),
    ({"expected": "none", "equivalence": [0.8]}, "is not an interval of odds ratios around 1"),
    ({"expected": "none", "equivalence": [0.0, 1.25]}, "is not an interval of odds ratios"),
    ({"equivalence": [0.8, 1.25]}, "bounds go with expected: none"),
    ({"strongest": "yes"}, "must be true or false"),
    ({"expected": "none", "strongest": True}, "goes with expected: positive or negative"),
])
def test_bad_claim_keys_are_named(over, message):
    with pytest.raises(ConfigError, match=message):
        check(claim(**over))
