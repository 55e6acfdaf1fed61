"""The report's stages (figures, tables, findings, report) run on hand-made results whose every
user-controlled string carries a payload: HTML that would run a script, or a spreadsheet
formula.

Why hand-made and not a Snakemake run: the strings must reach every renderer, and the report
functions take result tables, the config, the codebook and the claims directly (as the rules
call them); the model stage never sees them as anything but names. The payloads are tagged
with a number each (``PWNED=<n>``), so a test can say which string went where.

Names that become file paths (group names, grid names, claim ids) get payloads without ``/``.
"""
from __future__ import annotations

import copy
import itertools
import re
import shutil
from pathlib import Path

import _report_data as D
import pandas as pd
import yaml
from catalogue import safe_load

from coprod.pipeline.reportsettings import FigureSettings, ReportSettings, TableSettings
from coprod.pipeline.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent

#: HTML payloads; ``{n}`` tags each one. A run script would set ``top.PWNED``.
HTML = ["<script>top.PWNED={n}</script>", "<img src=x onerror=top.PWNED={n}>",
        "<svg onload=top.PWNED={n}>", "javascript:top.PWNED={n}"]
HTML_PATHSAFE = ["<img src=x onerror=top.PWNED={n}>", "<svg onload=top.PWNED={n}>"]
#: spreadsheet formulas at the start of a cell (OWASP's CSV injection list)
FORMULA = ['=HYPERLINK("http://example.invalid/?{n}","click")', "+{n}+cmd|' /C calc'!A0",
           "-{n}+3", "@SUM({n})", "\t={n}", "\r={n}"]
FORMULA_PATHSAFE = ["=1+{n}", "+{n}+1", "-{n}+1", "@SUM({n})"]


class Hostile:
    """Makes hostile versions of names: ``name(s)`` for any string, ``path(s)`` for one that
    becomes part of a file name. ``where`` records each tag's source ({n: description})."""

    def __init__(self, kind: str = "html"):
        self.kind = kind
        self.payloads = HTML if kind == "html" else FORMULA
        self.pathsafe = HTML_PATHSAFE if kind == "html" else FORMULA_PATHSAFE
        self._n = itertools.count(1)
        self.where: dict[int, str] = {}

    def _wrap(self, s: str, payload: str, what: str) -> str:
        n = next(self._n)
        self.where[n] = f"{what}: {s}"
        p = payload.format(n=n)
        return f"{s} {p}" if self.kind == "html" else f"{p} {s}"

    def name(self, s: str, what: str = "") -> str:
        return self._wrap(s, self.payloads[len(self.where) % len(self.payloads)], what)

    def path(self, s: str, what: str = "") -> str:
        return self._wrap(s, self.pathsafe[len(self.where) % len(self.pathsafe)], what)


def _cell_mapper(groups: dict, levels: dict, labels: dict, grids: dict):
    term = re.compile(r"^(?P<var>\w+)\[T\.(?P<level>.+)\]$")

    def cell(x):
        if not isinstance(x, str):
            return x
        for table in (groups, levels, labels, grids):
            if x in table:
                return table[x]
        m = term.match(x)
        if m and m["level"] in {**levels, **groups}:
            return f"{m['var']}[T.{({**levels, **groups})[m['level']]}]"
        if ": " in x:
            lab, _, lv = x.partition(": ")
            if lab in labels and lv in {**levels, **groups}:
                return f"{labels[lab]}: {({**levels, **groups})[lv]}"
        return x
    return cell


def build(tmp: Path, kind: str = "html") -> dict:
    """Write hostile inputs and run figures, tables, findings and report on them; return
    {"report": path, "hostile": Hostile, "dir": tmp, "labels": ...}."""
    from coprod.pipeline.io import read_results, write_csv, write_table
    from coprod.report import figures as F
    from coprod.report import tables as T
    from coprod.report.findings import run_findings
    from coprod.report.report import figure_names, report_settings, run_report, table_names

    h = Hostile(kind)
    groups = {g: h.path(g, "group name") for g in ("UK", "FR")}
    levels = {lv: h.name(lv, "level") for lvs in D.LEVELS.values() for lv in lvs
              if lv not in groups}
    labels = {v: h.name(v, "codebook label") for v in D.LABELS.values()}
    grids = {"age_by_gender": h.path("age_by_gender", "grid name")}
    cell = _cell_mapper(groups, levels, labels, grids)

    def hostile(df: pd.DataFrame) -> pd.DataFrame:
        out = df.copy()
        for col in out.columns:
            if not pd.api.types.is_numeric_dtype(out[col]):
                out[col] = out[col].map(cell)
        return out

    tables = {"coefficients": D.coefficients(), "fit": D.fit(), "predictions": D.predictions(),
              "contrast": D.contrast(), "prevalence": D.prevalence(),
              "descriptives": D.descriptives(), "cleaning_summary": D.cleaning_summary()}
    tables = {k: hostile(v) for k, v in tables.items()}
    fit = tables["fit"]
    fit.loc[fit["status"] == "failed", "message"] = h.name("failed", "a model's message")
    paths = D.write_inputs(tmp, **tables)
    samples = ["pooled", groups["UK"], groups["FR"]]
    hlevels = {var: [levels.get(lv, groups.get(lv)) for lv in lvs]
               for var, lvs in D.LEVELS.items()}
    hlevels["country"] = [groups["UK"], groups["FR"]]
    reference = {var: cell(lv) for var, lv in D.REFERENCE.items()}
    survey, group_label = h.name("Toy survey", "survey name"), h.name("Country", "group label")
    write_table(pd.DataFrame({"country": samples[1:], "age": [30.0, 40.0]}),
                paths["clean_table"],
                {"labels": {**{k: labels[v] for k, v in D.LABELS.items()},
                            "country": group_label},
                 "threshold": h.name("often", "threshold"), "survey": survey,
                 "group_label": group_label})

    codebook = _codebook(tmp, h, groups, levels, survey, group_label)
    findings = _findings(tmp, h, levels)
    cfg = D.config()
    cfg["data"]["codebook"] = str(codebook)
    cfg["groups"]["label"] = group_label
    cfg["models"]["samples"] = samples
    cfg["models"]["reference_levels"] = reference
    cfg["models"]["predictions"] = {
        grids["age_by_gender"]: {"age": [20, 40, h.name("60", "numeric grid value")],
                                 "gender": [levels["man"], levels["woman"]]},
        "self_efficacy": {"self_efficacy": [1, 2, 3, 4]}}
    cfg["specifications"]["covariates"] = {h.path("all", "covariate-set name"): None,
                                           h.path("core", "covariate-set name"): ["age"]}
    rep = cfg["report"]
    rep["title"] = h.name("Who co-produces?", "report title")
    rep["subject"] = h.name("co-production", "report subject")
    rep["findings"] = str(findings)
    rep["words"] = {levels.get(k, k): h.name(str(v), f"report.words.{k}")
                    for k, v in rep["words"].items()}
    rep["figures"]["predictions"] = [{"grid": grids["age_by_gender"], "x": "age",
                                      "by": "gender"},
                                     {"grid": "self_efficacy", "x": "self_efficacy"}]
    rep["tables"]["models"] = {name: {**t, "title": h.name(str(t.get("title")),
                                                            f"table title {name}")}
                               for name, t in rep["tables"]["models"].items()}
    settings = report_settings(load_settings(cfg))
    figs = {s: tmp / "fig" / f"{s}.png" for s in figure_names(ReportSettings.from_params(settings))}
    F.run_figures(prevalence=paths["prevalence"], coefficients=paths["coefficients"],
                  predictions=paths["predictions"], fit=paths["fit"],
                  cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
                  settings=FigureSettings.from_params(dict(settings["figures"], dpi=40)),
                  words=settings["words"],
                  covariates=D.COVARIATES, reference_levels=reference, levels=hlevels,
                  subject=rep["subject"], outputs={f"{s}_png": p for s, p in figs.items()})
    tabs = {n: tmp / "tab" / f"{n}.json" for n in table_names(ReportSettings.from_params(settings))}
    ame = tmp / "ame.csv"
    write_csv(pd.DataFrame({"outcome": D.OUTCOMES, "sample": "pooled", "variable": "age",
                            "contrast": "per unit", "estimate": 0.01, "std_error": 0.001,
                            "conf_low": 0.008, "conf_high": 0.012, "flag": ""}), ame)
    T.run_tables(descriptives=paths["descriptives"], coefficients=paths["coefficients"],
                 fit=paths["fit"], contrast=paths["contrast"],
                 cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
                 settings=TableSettings.from_params(settings["tables"]), words=settings["words"],
                 covariates=D.COVARIATES, reference_levels=reference, levels=hlevels,
                 contrast_outcomes=D.OUTCOMES, conf_level=0.95, subject=rep["subject"],
                 outputs={f"{n}_{fmt}": tmp / "tab" / f"{n}.{'data.csv' if fmt == 'data' else fmt}"
                          for n in table_names(ReportSettings.from_params(settings))
                          for fmt in ("html", "csv", "data", "tex", "json")},
                 ame=str(ame), compare=settings["figures"]["compare"],
                 ame_sample=settings["figures"]["forest_sample"])
    run_findings(findings=findings, coefficients=paths["coefficients"], fit=paths["fit"],
                 contrast=paths["contrast"], outcomes=D.OUTCOMES, covariates=D.COVARIATES,
                 samples=samples, contrast_outcomes=D.OUTCOMES, levels=hlevels,
                 conf_level=0.95, digits=2, words=settings["words"],
                 outputs={"checked": tmp / "check.csv", "html": tmp / "tab" / "findings.html",
                          "csv": tmp / "tab" / "findings.csv",
                          "data": tmp / "tab" / "findings.data.csv",
                          "json": tmp / "tab" / "findings.json"})
    # the sections of the scales, the imputed data and the specification curve show the claims
    # too: their columns added to the check (their computation is tested elsewhere)
    checked = read_results(tmp / "check.csv")
    checked = checked.assign(verdict_ordinal=checked["verdict"],
                             outcome_ordinal="individual_domains",
                             verdict_mi=checked["verdict"], spec_total=4, spec_supported=2,
                             spec_contradicted=1, spec_estimable=3, spec_not_estimable=1)
    write_csv(checked, tmp / "check.csv")
    spec = tmp / "fig" / f"spec_{checked['id'].iloc[0]}.png"
    shutil.copy(figs["prevalence"], spec)
    out = tmp / "report.html"
    run_report(settings=load_settings(cfg),
               findings_checked=tmp / "check.csv",
               prevalence=paths["prevalence"], coefficients=paths["coefficients"],
               fit=paths["fit"], figures=figs,
               tables={n: p for n, p in tabs.items() if n != "cleaning"},
               findings_table=tmp / "tab" / "findings.json", cleaning_table=tabs["cleaning"],
               clean_table=paths["clean_table"], hashed=[paths["coefficients"]], output=out,
               run_date="2026-01-01 00:00 UTC", cleaning_summary=paths["cleaning_summary"],
               contrast=paths["contrast"], robustness_tables=[tabs["contrast"]],
               imputation_table=tabs["descriptives"], spec_figures=[spec])
    return {"report": out, "hostile": h, "dir": tmp, "groups": groups, "levels": levels,
            "labels": labels}


def _codebook(tmp: Path, h: Hostile, groups: dict, levels: dict, survey: str,
              group_label: str) -> Path:
    """The bundled codebook with the survey name, group word, group names and raw file names,
    every variable's label and the levels of gender and education made hostile."""
    cb = safe_load((ROOT / "config" / "codebook.yaml").read_text(encoding="utf-8"))
    cb["survey"], cb["group_label"] = survey, group_label
    cb["groups"] = {groups.get(g, g): {**spec, "file": f"data/raw/{h.path(g, 'raw file')}.sav"}
                    for g, spec in cb["groups"].items() if g in groups}
    for name, v in {**cb["variables"], **cb.get("derived", {})}.items():
        if "label" in v:
            v["label"] = h.name(str(v["label"]), f"label of {name}")
    extra = {"high": h.name("high", "level")}
    for name in ("gender", "education"):
        v = cb["variables"][name]
        v["codes"] = {c: levels.get(lv, extra.get(lv, lv)) for c, lv in v["codes"].items()}
        v["levels"] = [levels.get(lv, extra.get(lv, lv)) for lv in v["levels"]]
    for spec in cb["groups"].values():  # a group's own recoding names the old levels
        for var, codes in (spec.get("codes") or {}).items():
            spec["codes"][var] = {c: levels.get(lv, lv) for c, lv in codes.items()}
    path = tmp / "codebook.yaml"
    path.write_text(yaml.safe_dump(cb, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _findings(tmp: Path, h: Hostile, levels: dict) -> Path:
    """The bundled claims with hostile ids, texts, sources (keys and texts) and levels."""
    spec = safe_load((ROOT / "config" / "findings.yaml").read_text(encoding="utf-8"))
    sources = {k: h.path(k, "source key") for k in spec["sources"]}
    spec["sources"] = {sources[k]: h.name(v, f"source text {k}")
                       for k, v in spec["sources"].items()}
    claims = []
    for c in spec["claims"]:
        c = copy.deepcopy(c)
        c["id"] = h.path(c["id"], "claim id")
        c["claim"] = h.name(c["claim"], "claim text")
        c["source"] = sources[c["source"]]
        if "level" in c:
            c["level"] = levels[c["level"]]
        claims.append(c)
    spec["claims"] = claims
    path = tmp / "findings.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path
