"""The report's account of every respondent and every model, and its marginal-effects table."""
import pandas as pd

from coprod.report.modelsummary import ame_table, model_status_table, sample_flow_table
from coprod.report.tablemodel import formatted
from coprod.report.wording import NA

SUMMARY = pd.DataFrame({"country": ["UK", "FR"], "read": [100, 60],
                        "dropped_duplicate_record": [0, 3], "dropped_invalid_weight": [2, 0],
                        "kept": [98, 57]})
FIT = pd.DataFrame({
    "outcome": ["y1", "y2", "y1", "y2"], "sample": ["pooled", "pooled", "UK", "UK"],
    "status": ["ok", "flagged", "failed", "ok"],
    "message": ["", "separation: x -> +inf", "the outcome is 0 for every respondent", ""],
    "n": [140, 150, None, 90], "n_excluded_missing": [15, 5, None, 8]})
# results/models/excluded.csv: by variable (a respondent may miss both: 15 excluded, 10 + 6)
EXCLUDED = pd.DataFrame({"outcome": ["y1", "y1", "y2", "y2"],
                         "sample": ["pooled", "pooled", "pooled", "UK"],
                         "variable": ["age", "efficacy", "efficacy", "age"],
                         "n_excluded": [10, 6, 5, 8]})


def _by_step(table):
    """{row label: {column head: text as shown}}."""
    return {r.label: {c.head: str(t) for c, t in zip(table.columns, texts)}
            for r, texts in formatted(table)}


def test_the_flow_accounts_for_every_row():
    t = sample_flow_table(SUMMARY, FIT, sample="pooled", outcomes=["y1", "y2"],
                          group_column="country", labels={"efficacy": "Self-efficacy"},
                          excluded=EXCLUDED)
    step = _by_step(t)
    assert step["Rows read"]["Respondents"] == "160"
    assert step["Dropped: duplicate record"]["Detail"] == "UK 0, FR 3"
    assert step["Kept (the clean table)"]["Respondents"] == "155"  # 160 - 3 - 2
    assert step["In the model: y1"]["Respondents"] == "140"
    assert t.cells[3][0].estimate == 155  # the count itself, not its text
    # what every model shares is said once, in the note; each row says only its own
    assert t.notes == ()  # no count that every model shares (efficacy: 6 and 5)
    assert step["In the model: y1"]["Detail"] == \
        "15 excluded for a missing value: age 10, Self-efficacy 6"
    assert step["In the model: y2"]["Detail"] == \
        "5 excluded for a missing value: Self-efficacy 5"
    # without the file (an older results folder), no detail rather than a wrong one
    t = sample_flow_table(SUMMARY, FIT, sample="pooled", outcomes=["y1"], group_column="country")
    assert _by_step(t)["In the model: y1"]["Detail"] == ""


def test_a_list_every_model_shares_is_said_once():
    """The review's 5,574 px table: the same missing-data list in every model's row."""
    excluded = pd.DataFrame({"outcome": ["y1", "y1", "y2", "y2", "y2"], "sample": "pooled",
                             "variable": ["age", "efficacy", "age", "efficacy", "y2"],
                             "n_excluded": [10, 6, 10, 6, 3]})
    t = sample_flow_table(SUMMARY, FIT, sample="pooled", outcomes=["y1", "y2"],
                          group_column="country", labels={"efficacy": "Self-efficacy"},
                          excluded=excluded)
    step = _by_step(t)
    assert t.notes == ("Excluded for a missing value, in every model: age 10, "
                       "Self-efficacy 6.",)
    assert step["In the model: y1"]["Detail"] == "15 excluded for a missing value"
    assert step["In the model: y2"]["Detail"] == \
        "5 excluded for a missing value; besides those in the note: y2 3"
    assert sum("age 10" in str(x) for _, texts in formatted(t) for x in texts) == 0


def test_a_group_s_flow_counts_that_group_only():
    t = sample_flow_table(SUMMARY, FIT, sample="UK", outcomes=["y2"], group_column="country")
    step = _by_step(t)
    assert step["Rows read"]["Respondents"] == "100"
    assert step["Kept (the clean table)"]["Respondents"] == "98"
    assert step["In the model: y2"]["Respondents"] == "90"


def test_every_model_not_ok_is_listed_with_its_reason():
    t = model_status_table(FIT)
    assert [r.label for r in t.rows] == ["y2 (pooled)", "y1 (UK)"]
    assert [dict(r.codes) for r in t.rows][1] == {"outcome": "y1", "sample": "UK"}
    step = _by_step(t)
    assert [v["Status"] for v in step.values()] == ["flagged", "failed"]
    assert step["y1 (UK)"]["Reason"] == "the outcome is 0 for every respondent"


def test_ame_table_in_percentage_points():
    ame = pd.DataFrame({
        "outcome": ["y1", "y1", "y1", "y2"], "sample": ["pooled"] * 4,
        "variable": ["age", "gender", "gender", "age"],
        "contrast": ["per unit", "woman vs man", "other vs man", "per unit"],
        "estimate": [0.0056, 0.0912, -0.02, 0.01], "conf_low": [0.0043, 0.0622, -0.05, 0.0],
        "conf_high": [0.0068, 0.1202, 0.01, 0.02]})
    fit = FIT.assign(status=["ok", "failed", "ok", "ok"])
    t = ame_table(ame, fit, sample="pooled", outcomes=["y1", "y2"], covariates=["age", "gender"])
    rows = {(r.codes["variable"], r.label): {c.head: str(x) for c, x in zip(t.columns, texts)}
            for r, texts in formatted(t)}
    assert rows[("age", "age")]["y1"] == "0.6 [0.4, 0.7]"        # 0.56 points per year
    assert rows[("gender", "woman vs man")]["y1"] == "9.1 [6.2, 12.0]"
    assert rows[("gender", "other vs man")]["y1"] == "\u22122.0 [\u22125.0, 1.0]"
    assert rows[("age", "age")]["y2"] == NA                        # a failed model: no numbers
    assert rows[("gender", "gender")]["y1"] == ""                  # the variable's own row
    first = t.cells[0][0]  # the 0-1 difference of ame.csv, shown in points
    assert (first.estimate, first.scale, first.show) == (0.0056, "probability_difference",
                                                         "percent")


def test_every_model_failed_gives_an_empty_effects_table_not_a_crash(tmp_path):
    """Every model failed: ame.csv is empty (no header); the report's effects table is empty
    (the model-status table says why), as the figures and the other tables are."""
    from coprod.pipeline.io import read_results

    empty = tmp_path / "ame.csv"
    empty.write_text("")
    failed = FIT.assign(status="failed")
    t = ame_table(read_results(empty, "ame"), failed, sample="pooled", outcomes=["y1", "y2"],
                  covariates=["age"])
    assert [c.head for c in t.columns] == ["y1", "y2"] and not t.rows


def test_a_result_kind_without_known_columns_is_refused():
    import pytest

    from coprod.pipeline.io import read_results

    with pytest.raises(ValueError, match="no result columns known for 'amee'"):
        read_results("ame.csv", "amee")
