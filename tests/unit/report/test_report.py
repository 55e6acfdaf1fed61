"""The one-file HTML report built from hand-made inputs: every section, figure and table is
there, nothing points outside the file, and two builds differ only in the run date."""
import copy
import html.parser
import re
from dataclasses import replace
from pathlib import Path

import _report_data as D
import pandas as pd
import pytest
from catalogue import safe_load

from coprod.errors import ConfigError
from coprod.pipeline.codebook import Codebook
from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.reportsettings import FigureSettings, ReportSettings, TableSettings
from coprod.pipeline.settings import load_settings
from coprod.report import figures as F
from coprod.report import tables as T
from coprod.report.findings import run_findings
from coprod.report.page import render
from coprod.report.pagemodel import Page as PageModel
from coprod.report.report import (
    figure_names,
    report_settings,
    run_report,
    table_names,
)
from coprod.report.wording import Grouping

ROOT = D.__file__.rsplit("/tests/", 1)[0]
SECTIONS = ["answer", "findings", "figures", "tables", "cleaning", "methods"]
METHODS = ["methods-data", "methods-design", "methods-outcomes", "methods-models",
           "methods-software", "methods-files"]


class Page(html.parser.HTMLParser):
    """Every start tag with its attributes, the ids, and the text."""

    def __init__(self, text):
        super().__init__()
        self.tags, self.ids, self.text = [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.append(attrs["id"])

    def handle_data(self, data):
        self.text.append(data)


def build(tmp_path, config=None, run_date="2026-01-01 00:00 UTC", name="report.html"):
    """Run the figures, tables and findings functions, then the report, on hand-made inputs."""
    cfg = config or D.config()
    paths = D.write_inputs(tmp_path)
    settings = report_settings(load_settings(cfg))
    figs = {s: tmp_path / "fig" / f"{s}.png" for s in figure_names(ReportSettings.from_params(settings))}
    if not (tmp_path / "fig").exists():
        F.run_figures(prevalence=paths["prevalence"], coefficients=paths["coefficients"],
                      predictions=paths["predictions"], fit=paths["fit"],
                      cleaning_summary=paths["cleaning_summary"],
                      clean_table=paths["clean_table"],
                      settings=FigureSettings.from_params(dict(settings["figures"], dpi=50)),
                      words=settings["words"], covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS,
                      outputs={f"{s}_png": p for s, p in figs.items()})
        ame = tmp_path / "ame.csv"
        pd.DataFrame({"outcome": D.OUTCOMES, "sample": "pooled", "variable": "age",
                      "contrast": "per unit", "estimate": 0.01, "std_error": 0.001,
                      "conf_low": 0.008, "conf_high": 0.012, "flag": ""}).to_csv(ame, index=False)
        T.run_tables(descriptives=paths["descriptives"], coefficients=paths["coefficients"],
                     fit=paths["fit"], contrast=paths["contrast"],
                     cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
                     settings=TableSettings.from_params(settings["tables"]), words=settings["words"],
                     covariates=D.COVARIATES, reference_levels=D.REFERENCE, levels=D.LEVELS,
                     contrast_outcomes=D.OUTCOMES, conf_level=0.95,
                     outputs={f"{n}_{f}": tmp_path / "tab" / f"{n}.{f}"
                              for n in table_names(ReportSettings.from_params(settings))
                              for f in ("csv", "json")},
                     ame=str(ame), compare=settings["figures"]["compare"],
                     ame_sample=settings["figures"]["forest_sample"])
        run_findings(findings=cfg["report"]["findings"], coefficients=paths["coefficients"],
                     fit=paths["fit"], contrast=paths["contrast"], outcomes=D.OUTCOMES,
                     covariates=D.COVARIATES, samples=D.SAMPLES, contrast_outcomes=D.OUTCOMES,
                     levels=D.LEVELS, conf_level=0.95, digits=2, words=settings["words"],
                     outputs={"checked": tmp_path / "check.csv",
                              "csv": tmp_path / "tab" / "findings.csv",
                              "json": tmp_path / "tab" / "findings.json"})
    tables = {n: tmp_path / "tab" / f"{n}.json" for n in table_names(ReportSettings.from_params(settings)) if n != "cleaning"}
    out = tmp_path / name
    run_report(settings=load_settings(cfg), findings_checked=tmp_path /
               "check.csv", prevalence=paths["prevalence"], coefficients=paths["coefficients"],
               fit=paths["fit"], figures=figs, tables=tables,
               findings_table=tmp_path / "tab" / "findings.json",
               cleaning_table=tmp_path / "tab" / "cleaning.json",
               clean_table=paths["clean_table"],
               hashed=[paths["coefficients"], cfg["report"]["findings"]], output=out,
               run_date=run_date)
    return out.read_text(encoding="utf-8"), figs, tables


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    text, figs, tables = build(tmp)
    return tmp, text, Page(text), figs, tables


def test_every_section_figure_and_table_is_there(report):
    _, text, page, figs, tables = report
    for sec in SECTIONS + METHODS + ["synthetic-warning", "verdict-rule", "run-date"]:
        assert sec in page.ids, sec
    for name in figs:
        assert f"fig-{name}" in page.ids
    for name in tables:
        assert f"tab-{name}" in page.ids and f"table-{name}" in page.ids
    assert "table-findings" in page.ids and "table-cleaning" in page.ids
    imgs = [a for t, a in page.tags if t == "img"]
    assert len(imgs) == len(figs)
    assert all(a["src"].startswith("data:image/png;base64,") and a.get("alt") for a in imgs)
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    # each figure says what it shows in an alt text of its own (issue 27: six shared one)
    alts = [a["alt"] for a in imgs]
    assert len(set(alts)) == len(alts), alts


def test_order_of_sections(report):
    _, _, page, _, _ = report
    order = [i for i in page.ids if i in SECTIONS]
    assert order == SECTIONS
    assert page.ids.index("synthetic-warning") < page.ids.index("answer") < page.ids.index("toc")


def test_nothing_points_outside_the_file(report):
    """Self-contained: every resource is inside the page. Links (<a>) may lead to the result
    files beside it (a figure full size, a table's CSV and LaTeX), never off the results."""
    path, text, page, _, _ = report
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed"), tag
        for key in ("src", "href", "action", "data"):
            value = attrs.get(key)
            if value is None or value.startswith(("data:", "#")):
                continue
            assert tag == "a" and key == "href", (tag, key, value[:60])
            assert ":" not in value and not value.startswith(("/", "..")), value
            assert (Path(path) / value).is_file(), value  # the report lies in path
    assert "http://" not in text and "https://" not in text
    assert "@import" not in text and "url(" not in text


def test_content_of_summary_findings_and_methods(report):
    _, text, page, _, _ = report
    words = " ".join(page.text)
    assert "These data are synthetic" in words
    assert "Claims checked: of 7, 5 supported" in words
    joined = re.sub(r"\s+", " ", "".join(page.text))
    # the whole sample's share, then the lowest and highest group's (never the whole sample)
    assert re.search(r"How common \(weighted\): Individual co-production, any domain: \d+% of "
                     r"respondents in all countries \(pooled\), from \d+% \(FR\) to \d+% "
                     r"\(UK\)", joined)
    assert "|t|" not in words and "has the largest" not in words
    assert "How robust: of 7 published claims" in joined
    assert "Which covariate matters most is judged on one scale" in words  # the rule, once
    assert "Older people are more likely to co-produce individually." in words
    assert "supported when the 95% confidence interval of its odds ratio lies entirely" in words
    assert words.count("How each claim is judged") == 1  # the rule is said once
    # methods: the data, design, outcome definitions, models, software and file hashes
    assert "Five-nation citizen survey" in words and "data/raw/UK_2008.sav" in words
    assert "Post-stratification weight" in words and "Taylor linearisation" in words
    assert ("Each is also estimated for the whole sample (\u201call countries (pooled)\u201d) on "
            "the whole design, as R's svymean(~y, design) and svyciprop, not as an average of "
            "the country estimates") in joined  # the descriptives' whole sample, said once
    assert "often" in words and "Individual co-production (community safety)" in words
    assert "reference level man" in words.replace("  ", " ")
    for pkg in ("python", "pandas", "statsmodels", "snakemake", "matplotlib"):
        assert f"{pkg} " in words
    import hashlib

    digest = hashlib.sha256((report[0] / "coefficients.csv").read_bytes()).hexdigest()
    assert digest in words


def test_two_builds_differ_only_in_the_run_date(report, tmp_path):
    tmp, first, _, _, _ = report
    second, _, _ = build(tmp, run_date="2030-12-31 23:59 UTC", name="again.html")
    a, b = first.splitlines(), second.splitlines()
    assert len(a) == len(b)
    diff = [(x, y) for x, y in zip(a, b) if x != y]
    assert len(diff) == 1 and 'id="run-date"' in diff[0][0]


def test_no_warning_for_real_data(tmp_path):
    cfg = D.config()
    cfg["data"]["synthetic"] = False
    text, _, _ = build(tmp_path, config=cfg)
    assert "synthetic-warning" not in Page(text).ids


def test_the_page_escapes_text():
    page = render(PageModel(title="<T>", sections=(), run_date="<now>"))
    assert "<T>" not in page and "&lt;T&gt;" in page and "&lt;now&gt;" in page


# -- settings ---------------------------------------------------------------------------------

def test_schema_defaults_cover_the_report_section():
    from coprod.pipeline.settings import fill_defaults

    schema = safe_load(open(f"{ROOT}/workflow/schemas/config.schema.yaml"))
    d = fill_defaults({}, schema)["report"]
    assert d["figures"]["dpi"] == 200 and d["figures"]["formats"] == ["png", "pdf"]
    assert d["tables"]["stars"] is False
    assert d["tables"]["models"] == {"pooled": {"samples": ["pooled"], "outcomes": None},
                                     "groups": {"samples": "groups", "outcomes": None}}
    assert d["title"] is None and d["subject"] == "the outcomes" and d["words"] == {}
    assert d["findings"] is None

    def walk(node, path):
        for key, sub in (node.get("properties") or {}).items():
            assert "description" in sub, f"{path}.{key} has no description"
            assert "default" in sub, f"{path}.{key} has no default"
            walk(sub, f"{path}.{key}")
    walk(schema["properties"]["report"], "report")
    assert schema["properties"]["report"]["additionalProperties"] is False


def test_the_bundled_config_passes_the_schema():
    from coprod.pipeline.config import check_config_schema

    check_config_schema(safe_load(open(f"{ROOT}/config/config.yaml")))
    with pytest.raises(ConfigError, match="unknown key 'report.figures.colour'"):
        cfg = safe_load(open(f"{ROOT}/config/config.yaml"))
        cfg["report"]["figures"]["colour"] = "red"
        check_config_schema(cfg)


def test_report_settings_fill_defaults_and_check_names():
    cfg = D.config()
    del cfg["report"]
    s = report_settings(load_settings(cfg))
    assert s["figures"]["compare"] == D.OUTCOMES
    assert s["figures"]["group_samples"] == ["UK", "FR"]
    assert [p["grid"] for p in s["figures"]["predictions"]] == ["age_by_gender",
                                                                "self_efficacy"]
    assert s["descriptives"]["variables"] == D.COVARIATES
    assert figure_names(ReportSettings.from_params(s)) == ["prevalence", "forest_pooled", "forest_groups",
                               "predictions_age_by_gender", "predictions_self_efficacy",
                               "cleaning"]
    # neutral defaults: no words, a title from the subject and the codebook's survey name,
    # one pooled table and one by group, titled from the subject and their samples
    assert s["words"] == {} and s["findings"] is None
    assert s["title"] == ("Correlates of the outcomes: Five-nation citizen survey on "
                          "co-production, 2008 (synthetic stand-in)")
    assert {n: (t["samples"], t["title"]) for n, t in s["tables"]["models"].items()} == {
        "pooled": (["pooled"], "Correlates of the outcomes (pooled)"),
        "groups": (["UK", "FR"], "Correlates of the outcomes by country")}
    assert table_names(ReportSettings.from_params(s)) == ["descriptives", "models_pooled", "models_groups", "contrast",
                              "ame", "cleaning"]
    bad = copy.deepcopy(D.config())
    bad["report"]["figures"]["predictions"] = [{"grid": "age_by_sex", "x": "age"}]
    bad["report"]["tables"]["models"]["x"] = {"samples": ["DE"], "outcomes": ["collectiv_any"]}
    with pytest.raises(ConfigError) as err:
        report_settings(load_settings(bad))
    msg = str(err.value)
    assert "report.figures.predictions[0].grid: 'age_by_sex'" in msg
    assert "report.tables.models.x.samples: 'DE'" in msg
    assert "did you mean 'collective_any'" in msg


def test_run_date_honours_source_date_epoch(monkeypatch):
    from coprod.report.report import run_date_now

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert run_date_now() == "2023-11-14 22:13 UTC"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert run_date_now().endswith(" UTC")


# -- any survey: neutral defaults, other group columns, degenerate cases ----------------------

def test_default_titles_come_from_subject_survey_and_group_word():
    from coprod.report.report import default_table_title, default_title

    cfg = D.config()
    cfg["report"] = {"subject": "voting"}
    cfg["groups"] = {"column": "region", "label": "Region"}
    s = report_settings(load_settings(cfg))
    assert s["title"] == ("Correlates of voting: Five-nation citizen survey on co-production, "
                          "2008 (synthetic stand-in)")
    assert s["tables"]["models"]["groups"]["title"] == "Correlates of voting by region"
    assert s["tables"]["models"]["pooled"]["title"] == "Correlates of voting (pooled)"
    # a title set in the config stays; without a codebook survey name, the subject alone
    assert report_settings(load_settings(D.config()))["title"].startswith("Who co-produces?")
    assert default_title("voting") == "Correlates of voting"
    assert default_table_title("voting", ["pooled", "UK"], "Region", {"UK": "United Kingdom"}) \
        == "Correlates of voting: pooled, United Kingdom"
    assert default_table_title("voting", ["UK", "FR"], "US state") == \
        "Correlates of voting by US state"


def test_group_samples_tables_are_skipped_without_groups():
    cfg = D.config()
    cfg["models"]["samples"] = ["pooled"]
    s = report_settings(load_settings(cfg))
    # the config's groups_any table (samples: groups) has no samples: it is left out cleanly
    assert table_names(ReportSettings.from_params(s)) == ["descriptives", "models_pooled_any", "contrast", "ame",
                                                          "cleaning"]
    assert "forest_groups" not in figure_names(ReportSettings.from_params(s))
    # the default tables too, and the default forest sample follows the samples there are
    del cfg["report"]["tables"]["models"]
    assert table_names(ReportSettings.from_params(report_settings(load_settings(cfg))),
                       contrast=False) == [
        "descriptives", "models_pooled", "ame", "cleaning"]
    cfg["models"]["samples"] = ["UK", "FR"]
    del cfg["report"]["figures"]["forest_sample"]
    s = report_settings(load_settings(cfg))
    assert table_names(ReportSettings.from_params(s), contrast=False) == ["descriptives", "models_groups", "ame",
                                                                          "cleaning"]
    assert s["figures"]["forest_sample"] == "UK"


def _page_text(tmp_path, cfg, grouping=None, **kw):
    """The report's words, built from hand-made inputs; ``kw`` go to write_inputs."""
    paths = D.write_inputs(tmp_path, **kw)
    settings = report_settings(load_settings(cfg))
    out = tmp_path / "report.html"
    tables, figs = D.placeholder_outputs(tmp_path, settings)
    run_report(settings=load_settings(cfg), prevalence=paths["prevalence"],
               coefficients=paths["coefficients"], fit=paths["fit"], figures=figs,
               tables={n: p for n, p in tables.items() if n != "cleaning"},
               cleaning_table=tables["cleaning"], clean_table=paths["clean_table"],
               hashed=[paths["coefficients"]], output=out, run_date="2026-01-01 00:00 UTC",
               grouping=grouping)
    text = out.read_text(encoding="utf-8")
    return text, Page(text), re.sub(r"\s+", " ", "".join(Page(text).text))


def test_report_without_findings_has_no_findings_section(tmp_path):
    cfg = D.config()
    cfg["report"]["findings"] = None
    text, page, words = _page_text(tmp_path, cfg)
    assert "findings" not in page.ids and "verdict-rule" not in page.ids
    assert "Claims checked" not in words and "Findings check" not in words
    assert [i for i in page.ids if i in SECTIONS] == [s for s in SECTIONS if s != "findings"]
    assert "How robust: one model per outcome and sample; this report checks no published " \
        "claim" in words


def test_one_group_says_a_share_not_a_range(tmp_path):
    cfg = D.config()
    cfg["models"]["samples"] = ["pooled"]
    prev = D.prevalence(groups=(("UK", -0.24),))
    text, page, words = _page_text(tmp_path, cfg, prevalence=prev)
    assert "How common (weighted): Individual co-production, any domain: 46% of respondents;" \
        in words
    assert "in UK to" not in words
    assert "fig-forest_groups" not in page.ids and "tab-models_groups_any" not in page.ids
    assert "Samples: pooled: all respondents, with country fixed effects" in words


def test_region_report_words_its_groups(tmp_path):
    cfg = D.config()
    cfg["groups"] = {"column": "region", "label": "Region"}
    cfg["models"]["reference_levels"] = {"gender": "man", "region": "FR"}
    text, page, words = _page_text(tmp_path, cfg, group_column="region", group_label="Region")
    assert "Raw files by region" in words
    assert "by region and in all countries (pooled), with 95% design-based confidence " \
        "intervals" in words
    assert ("pooled: all respondents, with region fixed effects (reference level FR), "
            "y ~ age + gender + self_efficacy + education + region") in words
    assert "UK: a domain of the full design, y ~ age + gender + self_efficacy + education" \
        in words
    assert "country" not in words.replace("Country (country)", "").lower().replace(
        "countries", "")  # no trace of the default group column


def test_model_based_report_says_z_and_glm(tmp_path):
    cfg = D.config()
    cfg["design"] = {"weights": None, "strata": None, "psu": None, "model_based": True,
                     "incomplete": "drop", "lonely_psu": "adjust"}
    text, page, words = _page_text(tmp_path, cfg)
    assert "Model-based (glm) standard errors (design.model_based: true); z-based (normal)" \
        in words
    assert "Taylor" not in words and "t-based" not in words
    assert "Logistic regression with model-based standard errors of each outcome" in words
    assert "|z|" not in words and "|t|" not in words
    # a glm has no design: no domain of it, no design degrees of freedom (issue 25)
    assert "design.incomplete: drop" in words and "UK: the country's respondents alone (a glm " \
        "with model-based standard errors)" in words
    assert "a domain of" not in words and "the design's degrees of freedom" not in words
    assert "with 95% model-based confidence intervals" in words
    assert "averaged)" in words  # unweighted: no survey weights in the predictions


def test_group_effects_off_and_a_single_group_in_the_samples_text():
    from coprod.report.methods import _sample_phrase

    m = (["age", "sex"], {"region": "North"})  # models.covariates, models.reference_levels
    grp = Grouping("region", "Region", False)
    assert _sample_phrase("pooled", *m, grp, 3, DesignSettings()) == (
        "pooled: all respondents, without region fixed effects (models.group_effects: false), "
        "<code>y ~ age + sex</code>")
    assert _sample_phrase("pooled", *m, replace(grp, effects=True), 1, DesignSettings()) == (
        "pooled: all respondents, a single region, so no region fixed effects, "
        "<code>y ~ age + sex</code>")
    assert _sample_phrase("pooled", *m, replace(grp, effects=True), 3, DesignSettings()) == (
        "pooled: all respondents, with region fixed effects (reference level North), "
        "<code>y ~ age + sex + region</code>")
    assert _sample_phrase("North", *m, grp, 3, DesignSettings(incomplete="keep")) == (
        "North: a domain of the full design, <code>y ~ age + sex</code>")


CODEBOOK = Codebook.from_yaml({
    "groups": {"A": {"file": "a.csv"}},
    "variables": {
        "voted": {"type": "category", "codes": {1: "yes", 2: "no", 3: "dont_know"},
                  "label": "Voted last time"},
        "item_1": {"type": "category", "levels": ["never", "sometimes", "often"],
                   "label": "Helps"},
        "smoker": {"raw": "SMK", "type": "numeric", "label": "Smokes"},
        "bmi": {"raw": "BMI", "type": "numeric", "label": "Body-mass index"},
    },
    "outcomes": {
        "voter": {"variable": "voted", "positive": ["yes"], "label": "Voter"},
        "helper": {"items": ["item_1"], "label": "Helper"},
        "keen_helper": {"items": ["item_1"], "threshold": "often", "label": "Keen helper"},
        "active": {"outcomes": ["voter", "helper"], "label": "Active"},
        "obese": {"numeric": "bmi", "at_or_above": 30, "label": "Obese"},
    },
})


@pytest.mark.parametrize("name, expected", [
    ("voter", "1 when \u201cVoted last time\u201d (<code>voted</code>) is <em>yes</em>, 0 when "
              "it is no or dont_know, missing when it is missing."),
    ("helper", "1 when any of these is <em>sometimes</em> or more, 0 when none is and at least "
               "one was answered, missing otherwise: \u201cHelps\u201d (never &lt; sometimes "
               "&lt; often)."),
    ("keen_helper", "1 when any of these is <em>often</em> or more (this outcome's threshold), "
                    "0 when none is"),
    ("active", "1 when any of these is 1: Voter, Helper; 0 when all answered are 0; missing "
               "when none was answered."),
    ("smoker", "a 0/1 column of the data (raw column <code>SMK</code>)."),
    ("obese", "1 when \u201cBody-mass index\u201d is at or above 30, 0 when it is not, "
              "missing where it is missing."),
])
def test_outcome_definitions_of_every_kind(name, expected):
    from coprod.report.methods import _outcome_definition

    labels = {o: s["label"] for o, s in CODEBOOK.outcomes.items()}
    assert _outcome_definition(name, CODEBOOK, "sometimes", labels).startswith(expected)


def test_threshold_sentence_only_for_outcomes_from_items():
    from coprod.report.methods import _outcome_closure, _threshold_sentence

    assert _threshold_sentence(["voter", "smoker"], CODEBOOK, "often") == ""
    assert _threshold_sentence(["keen_helper"], CODEBOOK, "often") == ""  # says its own
    assert "answer is <em>often</em> or more" in _threshold_sentence(
        _outcome_closure(["active"], CODEBOOK), CODEBOOK, "often")
    # an outcome built from others brings their definitions along
    assert _outcome_closure(["active", "voter"], CODEBOOK) == ["active", "voter", "helper"]


def test_methods_list_a_shared_raw_file_once():
    from coprod.report.methods import _raw_files

    shared = {"A": {"file": "all.csv"}, "B": {"file": "all.csv"}}
    assert _raw_files(shared) == ["<code>all.csv</code>: A, B"]
    assert _raw_files({"A": {"file": "a.csv"}}) == ["A: <code>a.csv</code>"]


def test_grouping_from_params_metadata_or_config(tmp_path):
    from coprod.pipeline.io import table_meta as _table_meta
    from coprod.report.wording import resolve_grouping

    old = D.write_inputs(tmp_path / "old")  # metadata without group_column
    assert _table_meta(old["clean_table"])["group_column"] == "country"
    new = D.write_inputs(tmp_path / "new", group_column="region", group_label="Region")
    meta = _table_meta(new["clean_table"])
    assert resolve_grouping(None, meta) == Grouping("region", "Region", True)
    cfg = D.config()
    cfg["groups"], cfg["models"]["group_effects"] = {"column": "wave"}, False
    cfg = load_settings(cfg)
    assert resolve_grouping(None, {}, cfg) == Grouping("wave", "Wave", False)
    given = Grouping.from_params({"column": "r", "label": "R", "effects": True})  # params
    assert resolve_grouping(given, meta, cfg) == Grouping("r", "R", True)


def test_the_rows_can_be_called_what_they_are():
    """report.words.respondents names the rows (a survey of schools) in captions and the key
    findings."""
    import pandas as pd

    from coprod.report.answer import who_sentence
    from coprod.report.report import figure_caption, unit_word

    words = {"respondents": "schools"}
    assert unit_word(words) == "schools" and unit_word({}) == "respondents"
    assert "share of schools with each outcome" in figure_caption("prevalence", unit="schools")
    prev = pd.DataFrame({"outcome": ["y", "y"], "group": ["A", "B"], "estimate": [0.2, 0.4]})
    line = who_sentence(prev, ["y"], words=words, labels={}, unit=unit_word(words),
                        weighted=True)
    assert line.endswith("from 20% of schools (A) to 40% (B).")


def test_the_models_overview_says_when_a_contrast_failed():
    import pandas as pd

    from coprod.report.report import _contrast_lines

    con = pd.DataFrame({"sample": ["pooled", "pooled", "High schools", "Mid"],
                        "status": ["ok", "ok", "failed", "flagged"]})
    assert _contrast_lines(con) == ["Contrast test: failed in High schools and flagged in Mid "
                                    "(see the contrast table)."]
    assert _contrast_lines(con[con["status"] == "ok"]) == []
    assert _contrast_lines(None) == []


def test_contents_numbering_and_file_links(report):
    """A table of contents whose links resolve; figures and tables numbered in reading order;
    each figure opens its full-size file and each table links the files it was written to."""
    path, text, page, figs, _ = report
    toc = re.search(r'<nav id="toc">(.*?)</nav>', text, re.S).group(1)
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert set(SECTIONS) <= set(targets) and all(t in page.ids for t in targets)
    for kind in ("Figure", "Table"):
        nums = [int(n) for n in re.findall(rf"<strong>{kind} (\d+)\.</strong>", text)]
        assert nums == list(range(1, len(nums) + 1)), kind
    assert len(re.findall(r"<strong>Figure \d+\.</strong>", text)) == len(figs)
    # in order of first mention: a reference never names a number before its predecessors
    first: list[str] = []
    for m in re.finditer(r'<a class="xref" href="#[^"]+">([^<]+)</a>|<strong>((?:Figure|Table) '
                         r'\d+)\.</strong>', re.sub(r"<style>.*?</style>", "", text, flags=re.S)):
        if (m.group(1) or m.group(2)) not in first:
            first.append(m.group(1) or m.group(2))
    for kind in ("Figure", "Table"):
        nums = [int(x.split()[1]) for x in first if x.startswith(kind)]
        assert nums == sorted(nums), (kind, first)
    for name in figs:
        block = re.search(rf'<figure id="fig-{name}">(.*?)</figure>', text, re.S).group(1)
        assert re.search(r'<a href="[^"]+\.png"[^>]*><img ', block), name
    for name in ("findings", "models_pooled_any"):  # give a table its CSV and LaTeX files
        for ext in ("csv", "tex"):
            (path / "tab" / f"{name}.{ext}").write_text("x")
    again = build(path, name="again.html")[0]
    assert ('Files: <a href="tab/findings.csv">CSV</a> \u00b7 <a href="tab/findings.tex">'
            'LaTeX</a>') in again


def test_what_matters_most_reads_the_effects_table(tmp_path):
    """The answer box names the strongest covariate by the effect-size rule of effects.csv
    (coprod.pipeline.effectrule), or the set it cannot be told apart from; never by |t|."""
    paths = D.write_inputs(tmp_path / "in")
    cfg = D.config()
    settings = report_settings(load_settings(cfg))
    tables, figs = D.placeholder_outputs(tmp_path, settings)
    out = tmp_path / "report.html"
    run_report(settings=load_settings({**cfg, "report": {**cfg["report"], "findings": None}}),
               prevalence=paths["prevalence"],
               coefficients=paths["coefficients"], fit=paths["fit"], figures=figs,
               tables={n: p for n, p in tables.items() if n != "cleaning"},
               cleaning_table=tables["cleaning"], clean_table=paths["clean_table"],
               hashed=[paths["coefficients"]], output=out, run_date="2026-01-01 00:00 UTC",
               effects=paths["effects"])
    words = re.sub(r"\s+", " ", "".join(Page(out.read_text(encoding="utf-8")).text))
    assert "What matters most: self-efficacy (1-4) (8.0 points per standard deviation), " \
        "clearly more than any other characteristic (next: " in words
    assert "What matters most: age (years) (9.0 points per standard deviation) and " \
        "self-efficacy (1-4) (7.0 points per standard deviation); the data cannot tell them " \
        "apart." in words
    assert "|t|" not in words
    assert words.count("Which covariate matters most is judged on one scale") == 1
