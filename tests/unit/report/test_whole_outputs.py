"""Every survey's outputs whole, or a clear stop (issue 25, point 5).

Found by running other surveys than the bundled one (the NHANES example): a prediction figure
along a category drawn empty, ordinal and count outcomes without a 0/1 twin in no table or
figure, report sentences pointing at results/ when the results are elsewhere, empty result
tables written without a header, Methods that ignored design.incomplete: drop and
design.model_based, and report.per leaking onto axes and missing-data notes.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import _report_data as D
import numpy as np
import pandas as pd
import pytest

from coprod.errors import DataError
from coprod.pipeline.codebook import Codebook
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.io import write_csv
from coprod.pipeline.reportsettings import FigureSettings, ReportSettings, TableSettings
from coprod.pipeline.settings import load_settings
from coprod.report import figstyle as S
from coprod.report import figures as F
from coprod.report.tablemodel import formatted
from coprod.report.wording import Grouping

MODEL_KW = {"covariates": D.COVARIATES, "reference_levels": D.REFERENCE, "levels": D.LEVELS,
            "labels": D.LABELS, "words": D.WORDS}
EDUCATION = ["low", "medium", "high"]


# -- predictions along a category --------------------------------------------------------------

def _category_predictions(failed=()) -> pd.DataFrame:
    rows = []
    for o in D.OUTCOMES:
        if (o, "pooled") in failed:
            continue
        for i, lv in enumerate(EDUCATION):
            for j, g in enumerate(("man", "woman")):
                p = 0.2 + 0.1 * i + 0.05 * j + (0.1 if o == "collective_any" else 0)
                rows.append({"outcome": o, "sample": "pooled", "grid": "by_education",
                             "education": lv, "gender": g, "predicted": p, "std_error": 0.02,
                             "conf_low": p - 0.04, "conf_high": p + 0.04})
    return pd.DataFrame(rows)


def test_predictions_along_a_category_are_a_point_per_level_dodged_by_the_other_variable():
    preds = _category_predictions()
    fig = F.prediction_figure(preds, D.fit(), grid="by_education", x="education", by="gender",
                              outcomes=D.OUTCOMES, sample="pooled", labels=D.LABELS)
    assert len(fig.axes) == 2
    for ax, o in zip(fig.axes, D.OUTCOMES):
        assert [t.get_text() for t in ax.get_xticklabels()] == EDUCATION
        assert len(ax.containers) == 2  # one errorbar set per level of gender
        xs = []
        for container, g in zip(ax.containers, ("man", "woman")):
            line = container.lines[0]
            want = preds[(preds["outcome"] == o) & (preds["gender"] == g)]["predicted"]
            np.testing.assert_allclose(line.get_ydata(), want.to_numpy())
            assert container.get_label() == g
            xs.append(np.asarray(line.get_xdata(), float))
        # a point per level, the two genders side by side around the level's position
        np.testing.assert_allclose((xs[0] + xs[1]) / 2, [0, 1, 2])
        assert (xs[1] - xs[0] > 0).all()
        # no line or confidence band between categories
        assert not [c for c in ax.collections if "Poly" in type(c).__name__]
        assert all(line.get_linestyle() in ("None", "") for line in ax.lines)
    assert "confidence intervals" in S.subtitle(fig)


def test_predictions_along_a_number_stay_lines_with_bands():
    fig = F.prediction_figure(D.predictions(), D.fit(), grid="age_by_gender", x="age",
                              by="gender", outcomes=D.OUTCOMES, sample="pooled")
    assert [line.get_label() for line in fig.axes[0].lines] == ["man", "woman"]
    assert "confidence bands" in S.subtitle(fig)


def test_a_prediction_figure_with_nothing_to_draw_stops_with_one_line():
    preds = _category_predictions().iloc[0:0]
    with pytest.raises(DataError) as err:
        F.prediction_figure(preds, D.fit(), grid="by_education", x="education", by="gender",
                            outcomes=D.OUTCOMES, sample="pooled")
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith("figure predictions_by_education: nothing to draw")
    # a failed model is drawn as its note, not refused
    fit = D.fit(failed=[(o, "pooled") for o in D.OUTCOMES])
    fig = F.prediction_figure(preds, fit, grid="by_education", x="education", by="gender",
                              outcomes=D.OUTCOMES, sample="pooled")
    assert all("Model failed" in " ".join(t.get_text() for t in ax.texts) for ax in fig.axes)


# -- empty result tables keep their header ------------------------------------------------------

def test_an_empty_table_is_written_with_its_header(tmp_path):
    write_csv(pd.DataFrame(), tmp_path / "a.csv", columns=["outcome", "sample", "flag"])
    assert (tmp_path / "a.csv").read_text() == "outcome,sample,flag\n"
    assert list(pd.read_csv(tmp_path / "a.csv").columns) == ["outcome", "sample", "flag"]
    with pytest.raises(ValueError, match="without a header"):
        write_csv(pd.DataFrame(), tmp_path / "b.csv")
    assert not (tmp_path / "b.csv").exists()


def test_gathering_empty_tables_keeps_the_header(tmp_path):
    from coprod.pipeline.stages import run_gather

    fits = []
    for sample in ("pooled", "UK"):
        for name, header in (("flags", "outcome,sample,flag,detail"),
                             ("cuts", "outcome,sample,cut,term")):
            path = tmp_path / "fits" / sample / f"{name}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(header + "\n")
            fits.append(str(path))
    outputs = {t: tmp_path / f"{t}.csv" for t in ("flags", "cuts", "contrast")}
    run_gather(fits=fits, contrast=[], tables=["flags", "cuts"], outputs=outputs)
    assert list(pd.read_csv(outputs["flags"]).columns) == ["outcome", "sample", "flag",
                                                           "detail"]
    assert list(pd.read_csv(outputs["cuts"]).columns) == ["outcome", "sample", "cut", "term"]
    assert list(pd.read_csv(outputs["contrast"]).columns) == ["sample", "status", "message"]


def test_a_findings_file_without_claims_gives_a_check_with_its_header(tmp_path):
    from coprod.pipeline.findings import CHECK_COLUMNS
    from coprod.report.findings import run_findings

    paths = D.write_inputs(tmp_path)
    findings = tmp_path / "findings.yaml"
    findings.write_text("claims: []\n")
    outputs = {k: tmp_path / f"findings.{k}" for k in ("csv", "tex", "html")}
    outputs["checked"] = tmp_path / "check.csv"
    run_findings(findings=str(findings), coefficients=paths["coefficients"], fit=paths["fit"],
                 contrast=paths["contrast"], outcomes=D.OUTCOMES, covariates=D.COVARIATES,
                 samples=D.SAMPLES, contrast_outcomes=D.OUTCOMES, levels=D.LEVELS,
                 conf_level=0.95, digits=2, words=D.WORDS, outputs=outputs)
    checked = pd.read_csv(outputs["checked"])
    assert list(checked.columns) == CHECK_COLUMNS and not len(checked)
    assert len(pd.read_csv(outputs["csv"]).columns) > 1


# -- ordinal and count outcomes, with or without a 0/1 twin -------------------------------------

def _scale_coefficients() -> pd.DataFrame:
    """The hand-made 0/1 models' coefficients relabelled as an ordinal outcome (cut-points
    instead of an intercept) and a count outcome (rate ratios, no odds ratios)."""
    c = D.coefficients(failed=())
    c = c[c["variable"] != "Intercept"]
    ordinal = c[c["outcome"] == "individual_any"].assign(outcome="individual_level")
    cuts = ordinal.iloc[:2].assign(term=["never|sometimes", "sometimes|often"], variable="",
                                   level="", label=["never|sometimes", "sometimes|often"])
    count = c[c["outcome"] == "collective_any"].assign(outcome="collective_count")
    count = count.assign(rate_ratio=count["odds_ratio"], rr_conf_low=count["or_conf_low"],
                         rr_conf_high=count["or_conf_high"], odds_ratio=np.nan,
                         or_conf_low=np.nan, or_conf_high=np.nan)
    return pd.concat([ordinal, cuts, count], ignore_index=True)


def _scale_fit() -> pd.DataFrame:
    f = D.fit(failed=(), flagged=())
    f = f[f["outcome"] == "individual_any"]
    return pd.concat([f.assign(outcome="individual_level"), f.assign(outcome="collective_count")],
                     ignore_index=True)


def _scales_config(outcomes) -> dict:
    cfg = D.config()
    cfg["models"] = {**{k: v for k, v in cfg["models"].items() if k != "contrast"},
                     "outcomes": outcomes}  # no contrast (the key left out)
    cfg["report"] = {**cfg["report"], "figures": {k: v for k, v in (
        cfg["report"].get("figures") or {}).items() if k != "compare"}}
    return cfg


@pytest.mark.parametrize("twin", [True, False])
def test_ordinal_and_count_outcomes_get_a_table_and_a_forest_plot(twin):
    from coprod.report.report import figure_names, report_settings, table_names

    scales = [{"individual_level": "ordinal"}, {"collective_count": "count"}]
    cfg = _scales_config((["individual_any", "collective_any"] if twin else []) + scales)
    settings = report_settings(load_settings(cfg))
    table = settings["tables"]["models"]["scales"]
    assert table["outcomes"] == ["individual_level", "collective_count"]
    assert table["families"] == {"individual_level": "ordinal", "collective_count": "count"}
    assert "forest_scales" in figure_names(ReportSettings.from_params(settings))
    assert "models_scales" in table_names(ReportSettings.from_params(settings), contrast=False)
    if not twin:  # nothing of the 0/1 outcomes' (no empty tables or figures)
        assert figure_names(ReportSettings.from_params(settings)) == ["forest_scales", "cleaning"]
        assert table_names(ReportSettings.from_params(settings), contrast=False) == ["descriptives", "models_scales",
                                                         "cleaning"]


def test_outcomes_all_brings_in_the_ordinal_and_count_outcomes():
    from coprod.report.report import report_settings

    cfg = _scales_config(["individual_any", {"individual_level": "ordinal"},
                          {"collective_count": "count"}])
    cfg["report"]["tables"] = {"models": {"everything": {"samples": ["pooled"],
                                                         "outcomes": "all"}}}
    models = report_settings(load_settings(cfg))["tables"]["models"]
    assert models["everything"]["outcomes"] == ["individual_any", "individual_level",
                                                "collective_count"]
    assert "scales" not in models  # every outcome already has its table


def test_outcomes_binary_is_every_0_1_outcome_and_follows_a_narrowed_list():
    """The bundled domains table says `binary`: it keeps the 0/1 outcomes alone and stays
    valid when a user narrows models.outcomes (a list of eight would stop the run)."""
    from coprod.report.report import report_settings

    cfg = _scales_config(["individual_any", "collective_any", {"individual_level": "ordinal"}])
    cfg["report"]["tables"] = {"models": {"zero_one": {"samples": ["pooled"],
                                                       "outcomes": "binary"}}}
    models = report_settings(load_settings(cfg))["tables"]["models"]
    assert models["zero_one"]["outcomes"] == ["individual_any", "collective_any"]
    cfg["models"]["outcomes"] = ["collective_any", {"individual_level": "ordinal"}]
    cfg["models"].pop("scales", None)
    assert report_settings(load_settings(cfg))["tables"]["models"]["zero_one"]["outcomes"] == ["collective_any"]


def test_the_ordinal_and_count_table_says_what_its_ratios_are():
    from coprod.report.tables import model_table, model_table_note

    cols = [("pooled", "individual_level"), ("pooled", "collective_count")]
    table = model_table(_scale_coefficients(), _scale_fit(), columns=cols, **MODEL_KW)
    assert "never|sometimes" not in {r.label for r in table.rows}  # no cut-points
    woman = next(texts for r, texts in formatted(table)
                 if r.codes.get("variable") == "gender" and r.label == "woman")
    assert str(woman[0]).startswith(f"{np.exp(D.BETA['individual_any']['gender[T.woman]']):.2f}")
    assert str(woman[1]).startswith(f"{np.exp(D.BETA['collective_any']['gender[T.woman]']):.2f}")
    count = next(cells[1] for r, cells in zip(table.rows, table.cells) if r.label == "woman")
    assert (count.scale, count.show) == ("log_rate", "exp")  # a rate ratio, from log-rates
    note = model_table_note(False, 0.95, DesignSettings.from_params({"weights": "w"}), "",
                            ["ordinal", "count"])
    assert not note.startswith("Odds ratios with")
    assert "proportional-odds" in note and "svyolr" in note and "higher category" in note
    assert "quasi-Poisson" in note and "rate ratios" in note
    assert "design-based regressions" in note and "logistic regressions" not in note
    assert model_table_note(False).startswith("Odds ratios with 95% confidence intervals from "
                                              "design-based logistic regressions")


def test_the_ordinal_and_count_forest_plot_names_each_ratio():
    coefs = _scale_coefficients()
    fig = F.forest_figure(coefs, _scale_fit(), sample="pooled",
                          outcomes=["individual_level", "collective_count"],
                          families={"individual_level": "ordinal", "collective_count": "count"},
                          **MODEL_KW)
    assert [ax.get_xlabel() for ax in fig.axes] == ["Odds ratio", "Rate ratio"]
    assert S.subtitle(fig).startswith("ordinal outcomes: odds ratios of being in a higher "
                                      "category; counts: rate ratios; 95% confidence")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert not any("|" in lab for lab in labels)  # cut-points are no covariate rows
    count = coefs[(coefs["outcome"] == "collective_count") & (coefs["sample"] == "pooled")]
    drawn = np.sort(np.asarray(fig.axes[1].containers[0].lines[0].get_xdata(), float))
    np.testing.assert_allclose(drawn, np.sort(count["rate_ratio"].to_numpy()))


def test_methods_describe_the_ordinal_and_count_models():
    from coprod.report.methods import _column_definition, _model_items

    cfg = _scales_config([{"individual_level": "ordinal"}, {"collective_count": "count"}])
    grp = Grouping("country", "Country", True)
    items = " ".join(_model_items(load_settings(cfg), str, grp, 2, {}))
    assert "proportional-odds" in items and "svyolr" in items and "quasi-Poisson" in items
    assert "logistic" not in items.split("Covariates")[0]
    cb = Codebook.from_yaml({"groups": {}, "variables": {
        "level": {"raw": "Q1", "levels": ["never", "sometimes", "often"]}}})
    assert _column_definition("level", cb, {}, "ordinal").startswith(
        "an ordered column of the data (never &lt; sometimes &lt; often)")
    assert "0/1" not in _column_definition("level", cb, {}, "count")
    assert _column_definition("level", cb, {}).startswith("a 0/1 column")


# -- the design actually used, in words --------------------------------------------------------

@pytest.mark.parametrize("design, domain, missing", [
    ({}, "a domain of the full design", "stays in the design"),
    ({"incomplete": "drop"}, "a domain of the design of the complete cases",
     "is dropped before that model's design is built"),
    ({"model_based": True, "incomplete": "drop"}, "the region's respondents alone (a glm",
     "leaves that model (a glm")])
def test_notes_and_captions_follow_the_design_used(design, domain, missing):
    from coprod.report.methods import _sample_phrase
    from coprod.report.report import models_phrase
    from coprod.report.tables import model_table_note
    from coprod.report.wording import missing_note

    design = DesignSettings.from_params(design)
    grp = Grouping("region", "Region", True)
    assert domain in html.unescape(_sample_phrase("North", ["age"], {}, grp, 2, design))
    assert domain in models_phrase("North", grp, 2, ["age"], design=design)
    assert missing in missing_note(design)
    note = model_table_note(False, 0.95, design)
    glm = design.model_based
    assert ("the design's degrees of freedom" in note) is not glm
    assert ("residual degrees of freedom" in note) is glm


# -- report.per: effects only -------------------------------------------------------------------

def test_per_units_apply_to_effects_not_to_axes_or_missing_counts(tmp_path, monkeypatch):
    from coprod.report.report import figure_names, report_settings
    from coprod.report.tables import run_tables

    paths = D.write_inputs(tmp_path)
    cfg = D.config()
    cfg["report"] = {**cfg["report"], "per": {"age": 10}}
    settings = report_settings(load_settings(cfg))
    made = {}
    monkeypatch.setattr(F, "save_figure", lambda fig, paths, **kw: made.update(
        {Path(next(iter(paths.values()))).stem: fig}))
    names = figure_names(ReportSettings.from_params(settings))
    F.run_figures(prevalence=paths["prevalence"], coefficients=paths["coefficients"],
                  predictions=paths["predictions"], fit=paths["fit"],
                  cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
                  settings=FigureSettings.from_params(dict(settings["figures"], dpi=60)),
                  words=settings["words"],
                  covariates=D.COVARIATES, reference_levels=D.REFERENCE, levels=D.LEVELS,
                  outputs={f"{s}_png": tmp_path / f"{s}.png" for s in names})
    forest = made["forest_pooled"]
    assert "Age (years), per 10" in [t.get_text() for t in forest.axes[0].get_yticklabels()]
    age = made["predictions_age_by_gender"]
    assert [ax.get_xlabel() for ax in age.axes] == ["Age (years)"] * len(age.axes)
    for fig in made.values():
        F.plt.close(fig)

    fit = pd.read_csv(paths["fit"])
    fit["n_excluded_missing"] = 19
    fit.to_csv(paths["fit"], index=False)
    D.excluded(by=(("age", 7), ("self_efficacy", 12))).to_csv(paths["excluded"], index=False)
    out = {f"{s}_{f}": tmp_path / "t" / f"{s}.{f}" for s in ("descriptives", "models_pooled_any",
                                                            "cleaning") for f in ("csv", "html")}
    run_tables(descriptives=paths["descriptives"], coefficients=paths["coefficients"],
               fit=paths["fit"], contrast=paths["contrast"], excluded=paths["excluded"],
               cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
               settings=TableSettings.from_params(settings["tables"]), words=settings["words"], covariates=D.COVARIATES,
               reference_levels=D.REFERENCE, levels=D.LEVELS,
               contrast_outcomes=D.OUTCOMES, conf_level=0.95, outputs=out)
    table = pd.read_csv(out["models_pooled_any_csv"], keep_default_na=False)
    assert "Age (years), per 10" in set(table["Row"])
    html = (tmp_path / "t" / "models_pooled_any.html").read_text(encoding="utf-8")
    assert "Age (years) 7" in html and "per 10 7" not in html


def test_per_units_apply_to_average_marginal_effects():
    from coprod.report.wording import per_ame

    ame = pd.DataFrame({"outcome": "y", "sample": "pooled", "variable": ["age", "gender"],
                        "contrast": ["per unit", "woman"], "estimate": [0.002, 0.05],
                        "conf_low": [0.001, 0.01], "conf_high": [0.003, 0.09]})
    out, labels = per_ame(ame, D.LABELS, {"age": 10})
    np.testing.assert_allclose(out["estimate"], [0.02, 0.05])
    np.testing.assert_allclose(out["conf_high"], [0.03, 0.09])
    assert labels["age"] == "Age (years), per 10" and D.LABELS["age"] == "Age (years)"


def age_row(con):
    return con["term"] == "age"


def test_per_units_apply_to_the_contrast_test():
    from coprod.report.moretables import contrast_table, per_difference

    con = D.contrast()
    age = (con["term"] == "age")
    assert age.any()
    scaled = per_difference(con, D.LABELS, {"age": 10})
    np.testing.assert_allclose(scaled.loc[age, "difference"], 10 * con.loc[age, "difference"])
    np.testing.assert_allclose(scaled.loc[age, "statistic"], con.loc[age, "statistic"])
    table = contrast_table(scaled, samples=["pooled"], per={"age": 10})
    age = next(c[0] for r, c in zip(table.rows, table.cells) if r.label == "Age (years), per 10")
    assert age.per == 10 and age.estimate == scaled.loc[age_row(scaled), "difference"].iloc[0]


# -- every path the report prints is under the config's results folder --------------------------

def _render(tmp_path, cfg) -> str:
    """The report of the hand-made results under ``tmp_path`` (not under results/), with an
    average-marginal-effects file and the cleaning summary."""
    from coprod.report.report import report_settings, run_report

    paths = D.write_inputs(tmp_path)
    ame = tmp_path / "ame.csv"
    pd.DataFrame({"outcome": D.OUTCOMES, "sample": "pooled", "variable": "age",
                  "contrast": "per unit", "estimate": 0.01, "std_error": 0.001,
                  "conf_low": 0.008, "conf_high": 0.012, "flag": ""}).to_csv(ame, index=False)
    settings = report_settings(load_settings(cfg))
    tables, figs = D.placeholder_outputs(tmp_path, settings)
    if "ame" in tables:  # the tables rule's average-marginal-effects table, with its note
        from coprod.report.modelsummary import ame_file_table
        from coprod.report.tablemodel import to_json

        tables["ame"].write_text(to_json(ame_file_table(
            pd.read_csv(ame), pd.read_csv(paths["fit"]), outcomes=D.OUTCOMES,
            sample="pooled", covariates=D.COVARIATES, source=str(ame))))
    out = tmp_path / "report.html"
    run_report(settings=load_settings(cfg), prevalence=paths["prevalence"],
               coefficients=paths["coefficients"], fit=paths["fit"], figures=figs,
               excluded=paths["excluded"],
               tables={n: p for n, p in tables.items() if n != "cleaning"},
               cleaning_table=tables["cleaning"], clean_table=paths["clean_table"],
               hashed=[], output=out, run_date="2026-01-01 00:00 UTC", ame=str(ame),
               cleaning_summary=paths["cleaning_summary"])
    return out.read_text(encoding="utf-8")


def test_the_report_prints_no_path_outside_its_results_folder(tmp_path):
    text = _render(tmp_path, D.config())
    ame = tmp_path / "ame.csv"
    assert "results/" not in text
    assert f"From {ame}." in text and f"{tmp_path / 'fit.csv'} and {tmp_path / 'flags.csv'}" \
        in text
    assert re.search(r"stays in the design \(outside the model", text)


def test_a_report_of_ordinal_outcomes_alone_has_their_table_and_no_empty_one(tmp_path):
    cfg = _scales_config([{"individual_level": "ordinal"}])
    text = _render(tmp_path, cfg)
    assert 'id="table-models_scales"' in text and 'id="table-ame"' not in text
    assert "forest_scales" in text and "fig-prevalence" not in text
    assert "proportional-odds (cumulative logit) model in R&#x27;s svyolr" in text
