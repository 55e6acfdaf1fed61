"""The one-file HTML report built from hand-made inputs: every section, figure and table is
there, nothing points outside the file, and two builds differ only in the run date."""
import copy
import html.parser

import pytest

import _report_data as D
from coprod import figures as F
from coprod import tables as T
from coprod.errors import ConfigError
from coprod.findings import run_findings
from coprod.report import (build_report, figure_names, report_settings, run_report,
                           schema_defaults, table_names)

ROOT = D.__file__.rsplit("/tests/", 1)[0]
SECTIONS = ["summary", "findings", "figures", "tables", "cleaning", "methods"]
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
    settings = report_settings(cfg)
    figs = {s: tmp_path / "fig" / f"{s}.png" for s in figure_names(settings)}
    if not (tmp_path / "fig").exists():
        F.run_figures(prevalence=paths["prevalence"], coefficients=paths["coefficients"],
                      predictions=paths["predictions"], fit=paths["fit"],
                      cleaning_summary=paths["cleaning_summary"],
                      clean_table=paths["clean_table"], settings=dict(settings["figures"],
                                                                      dpi=50),
                      words=settings["words"], covariates=D.COVARIATES,
                      reference_levels=D.REFERENCE, levels=D.LEVELS,
                      outputs={f"{s}_png": p for s, p in figs.items()})
        T.run_tables(descriptives=paths["descriptives"], coefficients=paths["coefficients"],
                     fit=paths["fit"], contrast=paths["contrast"],
                     cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
                     settings=settings["tables"], words=settings["words"],
                     covariates=D.COVARIATES, reference_levels=D.REFERENCE, levels=D.LEVELS,
                     contrast_outcomes=D.OUTCOMES, conf_level=0.95,
                     outputs={f"{n}_html": tmp_path / "tab" / f"{n}.html"
                              for n in table_names(settings)})
        run_findings(findings=cfg["report"]["findings"], coefficients=paths["coefficients"],
                     fit=paths["fit"], contrast=paths["contrast"], outcomes=D.OUTCOMES,
                     covariates=D.COVARIATES, samples=D.SAMPLES, contrast_outcomes=D.OUTCOMES,
                     levels=D.LEVELS, conf_level=0.95, digits=2, words=settings["words"],
                     outputs={"checked": tmp_path / "check.csv",
                              "html": tmp_path / "tab" / "findings.html"})
    tables = {n: tmp_path / "tab" / f"{n}.html" for n in table_names(settings) if n != "cleaning"}
    out = tmp_path / name
    run_report(config=cfg, codebook=cfg["data"]["codebook"], findings_checked=tmp_path /
               "check.csv", prevalence=paths["prevalence"], coefficients=paths["coefficients"],
               fit=paths["fit"], figures=figs, tables=tables,
               findings_table=tmp_path / "tab" / "findings.html",
               cleaning_table=tmp_path / "tab" / "cleaning.html",
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


def test_order_of_sections(report):
    _, _, page, _, _ = report
    order = [i for i in page.ids if i in SECTIONS]
    assert order == SECTIONS
    assert page.ids.index("synthetic-warning") < page.ids.index("summary")


def test_nothing_points_outside_the_file(report):
    _, text, page, _, _ = report
    for tag, attrs in page.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed"), tag
        for key in ("src", "href", "action", "data"):
            value = attrs.get(key)
            if value is not None:
                assert value.startswith(("data:", "#")), (tag, key, value[:60])
    assert "http://" not in text and "https://" not in text
    assert "@import" not in text and "url(" not in text


def test_content_of_summary_findings_and_methods(report):
    _, text, page, _, _ = report
    words = " ".join(page.text)
    assert "These data are synthetic" in words
    assert "Claims checked: of 7, 7 supported." in words
    assert "Strongest correlate of collective co-production, any domain" in words
    assert "1 failed (collective_any / FR)" in words
    assert "Older people are more likely to co-produce individually." in words
    assert "supported when the estimate has the expected sign" in words
    # methods: the data, design, outcome definitions, models, software and file hashes
    assert "Five-nation citizen survey" in words and "data/raw/UK_2008.sav" in words
    assert "Post-stratification weight" in words and "Taylor linearisation" in words
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


def test_build_report_escapes_text():
    page = build_report(title="<T>", synthetic=False, summary=["a"], findings_html="",
                        figures=[], tables=[], cleaning_html="", methods_html="",
                        run_date="<now>")
    assert "<T>" not in page and "&lt;T&gt;" in page and "&lt;now&gt;" in page


# -- settings ---------------------------------------------------------------------------------

def test_schema_defaults_cover_the_report_section():
    import yaml

    schema = yaml.safe_load(open(f"{ROOT}/workflow/schemas/config.schema.yaml"))
    d = schema_defaults(schema["properties"]["report"])
    assert d["figures"]["dpi"] == 200 and d["figures"]["formats"] == ["png", "pdf"]
    assert d["tables"]["stars"] is False and "pooled_any" in d["tables"]["models"]

    def walk(node, path):
        for key, sub in (node.get("properties") or {}).items():
            assert "description" in sub, f"{path}.{key} has no description"
            assert "default" in sub, f"{path}.{key} has no default"
            walk(sub, f"{path}.{key}")
    walk(schema["properties"]["report"], "report")
    assert schema["properties"]["report"]["additionalProperties"] is False


def test_the_bundled_config_passes_the_schema():
    import yaml

    from coprod.config import check_config_schema

    check_config_schema(yaml.safe_load(open(f"{ROOT}/config/config.yaml")))
    with pytest.raises(ConfigError, match="unknown key 'report.figures.colour'"):
        cfg = yaml.safe_load(open(f"{ROOT}/config/config.yaml"))
        cfg["report"]["figures"]["colour"] = "red"
        check_config_schema(cfg)


def test_report_settings_fill_defaults_and_check_names():
    cfg = D.config()
    del cfg["report"]
    s = report_settings(cfg)
    assert s["figures"]["compare"] == D.OUTCOMES
    assert s["figures"]["group_samples"] == ["UK", "FR"]
    assert [p["grid"] for p in s["figures"]["predictions"]] == ["age_by_gender",
                                                                "self_efficacy"]
    assert s["descriptives"]["variables"] == D.COVARIATES
    assert figure_names(s) == ["prevalence", "forest_pooled", "forest_groups",
                               "predictions_age_by_gender", "predictions_self_efficacy",
                               "cleaning"]
    assert "words" in s and s["words"]["individual"] == "Individual"
    bad = copy.deepcopy(D.config())
    bad["report"]["figures"]["predictions"] = [{"grid": "age_by_sex", "x": "age"}]
    bad["report"]["tables"]["models"]["x"] = {"samples": ["DE"], "outcomes": ["collectiv_any"]}
    with pytest.raises(ConfigError) as err:
        report_settings(bad)
    msg = str(err.value)
    assert "report.figures.predictions[0].grid: 'age_by_sex'" in msg
    assert "report.tables.models.x.samples: 'DE'" in msg
    assert "did you mean 'collective_any'" in msg


def test_run_date_honours_source_date_epoch(monkeypatch):
    from coprod.report import run_date_now

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert run_date_now() == "2023-11-14 22:13 UTC"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert run_date_now().endswith(" UTC")
