"""The report stage's settings and the one-file HTML report.

Why one self-contained file: a reader must be able to open it offline, mail it or archive it, and
see the same thing years later. Figures are embedded as base64 PNG, the CSS is inline, and there
are no scripts or links to anything outside the file. Everything in it is derived from the
results, the config and the codebook, so two runs on the same inputs differ only in the one
element that holds the run date (``<p id="run-date">``).
"""
from __future__ import annotations

import base64
import copy
import hashlib
import html
import logging
import platform
import re
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd
import yaml

from .codebook import did_you_mean
from .errors import ConfigError

log = logging.getLogger("coprod.report")
POOLED = "pooled"
GROUP = "country"
SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"
SOFTWARE = ["pandas", "numpy", "scipy", "statsmodels", "matplotlib", "snakemake", "pyarrow",
            "coprod"]
FIGURE_CAPTIONS = {
    "prevalence": "Prevalence of {subject}: the {weighted}share of respondents with each "
                  "outcome, by {group}, with {pct} design-based confidence intervals (logit "
                  "intervals, as survey::svyciprop).",
    "forest": "Odds ratios of the pooled models ({group} fixed effects), the two outcomes side "
              "by side; one row per covariate level, reference levels as open circles at 1.",
    "forest_groups": "Odds ratios of the models of each {group} (a domain of the full design), "
                     "on one shared axis.",
    "predictions": "Average predicted probabilities along one covariate, with {pct} confidence "
                   "bands (every respondent's prediction with the covariate set to each value, "
                   "averaged with the survey weights).",
    "cleaning": "The cleaning flow: rows read, dropped by reason and kept, per {group} (details "
                "in results/clean/cleaning_log.csv).",
}


# -- settings ---------------------------------------------------------------------------------

def schema_defaults(node: dict):
    """The defaults a JSON schema node declares, filled in recursively."""
    if "default" in node and not isinstance(node.get("default"), dict):
        return copy.deepcopy(node["default"])
    out = copy.deepcopy(node.get("default", {})) if node.get("type") == "object" else None
    if node.get("type") == "object" and "properties" in node:
        out = out or {}
        for key, sub in node["properties"].items():
            val = schema_defaults(sub)
            if val is not None and key not in out:
                out[key] = val
    return out


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) and \
            k != "models" else copy.deepcopy(v)
    return out


def report_settings(config: dict, levels: dict | None = None) -> dict:
    """The report section with defaults filled in and every name checked against the models.

    Why here and not in each rule: a table or figure that names an outcome, sample or grid the
    models do not produce should stop the workflow before anything runs, with the key named.
    """
    schema = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    r = _merge(schema_defaults(schema["properties"]["report"]) or {}, config.get("report") or {})
    m = config["models"]
    outcomes, samples = list(m["outcomes"]), [str(s) for s in m["samples"]]
    groups = [s for s in samples if s != POOLED]
    errs = []
    compare = list(r["figures"].get("compare") or m.get("contrast") or outcomes[:2])
    r["figures"]["compare"] = compare
    for o in compare:
        if o not in outcomes:
            errs.append(f"report.figures.compare: '{o}' is not one of models.outcomes"
                        f"{did_you_mean(o, outcomes)}")
    fs = r["figures"]
    if fs.get("forest_sample") not in samples:
        errs.append(f"report.figures.forest_sample: '{fs.get('forest_sample')}' is not one of "
                    f"models.samples ({', '.join(samples)})"
                    f"{did_you_mean(fs.get('forest_sample'), samples)}")
    fs["group_samples"] = _expand_samples(fs.get("group_samples"), groups, samples,
                                          "report.figures.group_samples", errs)
    grids = m.get("predictions") or {}
    if fs.get("predictions") is None:  # one figure per grid whose first variable is modelled
        fs["predictions"] = [{"grid": g, "x": list(spec)[0],
                              "by": list(spec)[1] if len(spec) > 1 else None}
                             for g, spec in grids.items() if list(spec)[0] in m["covariates"]]
    for i, p in enumerate(fs["predictions"]):
        key = f"report.figures.predictions[{i}]"
        if p["grid"] not in grids:
            errs.append(f"{key}.grid: '{p['grid']}' is not a grid of models.predictions"
                        f"{did_you_mean(p['grid'], list(grids))}")
            continue
        for role in ("x", "by"):
            if p.get(role) and p[role] not in grids[p["grid"]]:
                errs.append(f"{key}.{role}: '{p[role]}' is not a variable of grid '{p['grid']}' "
                            f"({', '.join(grids[p['grid']])})")
        for role in ("x", "by"):
            if p.get(role) in grids[p["grid"]] and p[role] not in m["covariates"]:
                errs.append(f"{key}.{role}: '{p[role]}' is not among models.covariates, so the "
                            "grid has no predictions for it")
    for name, t in (r["tables"].get("models") or {}).items():
        key = f"report.tables.models.{name}"
        if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            errs.append(f"{key}: a table name may use letters, digits, _ and - only")
        t["samples"] = _expand_samples(t.get("samples", [POOLED]), groups, samples,
                                       f"{key}.samples", errs)
        t["outcomes"] = outcomes if t.get("outcomes") == "all" else list(t.get("outcomes")
                                                                         or compare)
        for o in t["outcomes"]:
            if o not in outcomes:
                errs.append(f"{key}.outcomes: '{o}' is not one of models.outcomes"
                            f"{did_you_mean(o, outcomes)}")
    desc = r["descriptives"]
    desc["variables"] = list(desc.get("variables") or m["covariates"])
    if levels is not None:
        for v in desc["variables"]:
            if v not in levels:
                errs.append(f"report.descriptives.variables: '{v}' is not a column of the clean "
                            f"table{did_you_mean(v, list(levels))}")
    if errs:
        raise ConfigError("\n".join(errs))
    return r


def _expand_samples(value, groups, samples, key, errs) -> list[str]:
    if value is None or value == "groups":
        return list(groups)
    out = [str(v) for v in value]
    for s in out:
        if s not in samples:
            errs.append(f"{key}: '{s}' is not one of models.samples{did_you_mean(s, samples)}")
    return out


def figure_names(settings: dict) -> list[str]:
    """Stems of the figures the figures rule makes (results/figures/<stem>.<format>)."""
    fs = settings["figures"]
    from .config import slug

    names = ["prevalence", f"forest_{slug(fs['forest_sample'])}"]
    if fs["group_samples"]:
        names.append("forest_groups")
    names += [f"predictions_{p['grid']}" for p in fs.get("predictions") or []]
    return names + ["cleaning"]


def table_names(settings: dict, contrast: bool = True) -> list[str]:
    """Stems of the tables the tables rule makes (results/tables/<stem>.{csv,tex,html})."""
    names = ["descriptives"] + [f"models_{n}" for n in settings["tables"].get("models") or {}]
    return names + (["contrast"] if contrast else []) + ["cleaning"]


# -- hashing and versions ---------------------------------------------------------------------

def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def software_versions() -> dict:
    out = {"python": platform.python_version()}
    for name in SOFTWARE:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


# -- HTML pieces ------------------------------------------------------------------------------

CSS = """
body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;max-width:60rem;margin:1.5rem auto;
padding:0 1rem;color:#222;line-height:1.45;font-size:15px}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;
margin-top:2.2rem}h3{margin-top:1.6rem}
.warning{background:#fff3cd;border:2px solid #D55E00;padding:.7rem 1rem;font-weight:bold}
figure{margin:1.2rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9rem;color:#444}
.table-wrap{overflow-x:auto;margin:1rem 0}
table.coprod-table{border-collapse:collapse;font-size:.85rem}
table.coprod-table caption{text-align:left;font-weight:bold;padding:.3rem 0}
table.coprod-table th,table.coprod-table td{padding:.15rem .6rem;text-align:left;
vertical-align:top}
table.coprod-table thead th{border-top:2px solid #222;border-bottom:1px solid #222}
table.coprod-table tbody:last-of-type tr:last-child th,
table.coprod-table tbody:last-of-type tr:last-child td{border-bottom:2px solid #222}
table.coprod-table tbody.foot tr:first-child th,table.coprod-table tbody.foot tr:first-child td{
border-top:1px solid #222}
table.coprod-table tr.group th{font-style:italic}
table.coprod-table tr.level th{padding-left:1.6rem;font-weight:normal}
table.coprod-table tbody th{font-weight:normal}
table.coprod-table td.note{font-size:.8rem;color:#444;border:none}
code{font-size:.85rem}
.run-date{color:#555;font-size:.85rem}
""".strip()


def esc(x) -> str:
    return html.escape(str(x))


def _ul(items) -> str:
    return "<ul>\n" + "\n".join(f"<li>{i}</li>" for i in items) + "\n</ul>"


def figure_html(name: str, png: bytes, caption: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure id="fig-{esc(name)}">\n<img src="data:image/png;base64,{data}" '
            f'alt="{esc(caption)}">\n<figcaption>{esc(caption)}</figcaption>\n</figure>')


def figure_caption(name: str, group_label: str, pct: str = "95%",
                   subject: str = "co-production", weighted: bool = True) -> str:
    key = ("forest_groups" if name == "forest_groups" else "forest" if name.startswith("forest")
           else "predictions" if name.startswith("predictions") else name)
    return FIGURE_CAPTIONS.get(key, name).format(group=group_label.lower(), pct=pct,
                                                 subject=subject,
                                                 weighted="weighted " if weighted else "")


# -- the summary of key findings --------------------------------------------------------------

def key_findings(prev: pd.DataFrame, coefs: pd.DataFrame, fit: pd.DataFrame,
                 checked: pd.DataFrame, *, compare: list[str], sample: str,
                 words: dict | None = None, labels: dict | None = None,
                 weighted: bool = True) -> list[str]:
    """Plain sentences (HTML-escaped) of what the results show, computed from the tables."""
    from .tables import fmt, fmt_ci, word

    labels = labels or {}
    out = []
    for o in compare:
        p = prev[prev["outcome"] == o].dropna(subset=["estimate"])
        if len(p):
            lo, hi = p.loc[p["estimate"].idxmin()], p.loc[p["estimate"].idxmax()]
            out.append(f"{esc(_name(o, words, labels))}: {fmt(lo['estimate'] * 100, 0)}% "
                       f"({esc(lo['group'])}) to {fmt(hi['estimate'] * 100, 0)}% "
                       f"({esc(hi['group'])}) of respondents"
                       f"{' (weighted)' if weighted else ''}.")
    for o in compare:
        c = coefs[(coefs["outcome"] == o) & (coefs["sample"].astype(str) == sample) &
                  (coefs["variable"] != "Intercept") & (coefs["variable"] != GROUP)]
        c = c.dropna(subset=["statistic"])
        if len(c):
            r = c.loc[c["statistic"].abs().idxmax()]
            out.append(f"Strongest correlate of {esc(_name(o, words, labels).lower())} "
                       f"({esc(word(sample, words))} model, largest |t|): "
                       f"{esc(r['label'] or r['term'])}, odds ratio "
                       f"{fmt_ci(r['odds_ratio'], r['or_conf_low'], r['or_conf_high'])}.")
    if len(checked):
        counts = checked["verdict"].value_counts()
        parts = [f"{int(counts.get(v, 0))} {v}" for v in
                 ("supported", "contradicted", "inconclusive", "not estimated", "skipped")
                 if counts.get(v, 0)]
        out.append(f"Claims checked: of {len(checked)}, " + ", ".join(parts) + ".")
        for _, r in checked[checked["verdict"].isin(["contradicted", "inconclusive"])].iterrows():
            out.append(f"{esc(r['verdict'].capitalize())}: {esc(r['claim'])}")
    if len(fit):
        n_failed = int((fit["status"] == "failed").sum())
        n_flagged = int((fit["status"] == "flagged").sum())
        if n_failed or n_flagged:
            flags = [f for cell in fit.loc[fit["status"] == "flagged", "flags"].fillna("")
                     for f in str(cell).split(";") if f]
            kinds = ", ".join(f"{esc(f.replace('_', ' '))}: {n}"
                              for f, n in pd.Series(flags, dtype=object).value_counts()
                              .sort_index().items())
            failed = ", ".join(f"{r.outcome} / {r.sample}"
                               for r in fit[fit["status"] == "failed"].itertuples())
            out.append(f"Of {len(fit)} models, {n_flagged} were flagged"
                       + (f" ({kinds})" if kinds else "") + f" and {n_failed} failed"
                       + (f" ({esc(failed)})" if failed else "")
                       + ". Failed models are shown as such, never as numbers; flags are in "
                         "results/models/flags.csv.")
        else:
            out.append(f"All {len(fit)} models were estimated without flags.")
    return out


def _name(outcome, words, labels) -> str:
    from .tables import outcome_words

    return labels.get(outcome) or outcome_words(outcome, words, labels)


def findings_section(table_html: str, rule: str) -> str:
    return "\n".join([
        '<section id="findings">', "<h2>Findings check</h2>",
        f'<p id="verdict-rule"><strong>Verdict rule.</strong> {esc(rule)}</p>',
        f'<div class="table-wrap">{table_html}</div>', "</section>"])


# -- methods ----------------------------------------------------------------------------------

def methods_section(*, config: dict, codebook: dict, threshold: str, hashes: dict,
                    versions: dict, labels: dict) -> str:
    """Data, design, outcomes, models and software, all read from the config and codebook."""
    from .designspec import variance_kind
    from .tables import word

    d, m = config["design"], config["models"]
    lab = lambda v: f"{esc(labels.get(v, v))} (<code>{esc(v)}</code>)"  # noqa: E731
    group_label = codebook.get("group_label", "Group")
    files = [f"{esc(g)}: <code>{esc(spec['file'])}</code>" for g, spec in
             codebook["groups"].items()]
    design = [
        f"Weights: {lab(d['weights'])}." if d.get("weights") else
        "Weights: the inverse sampling fractions given by design.fpc (and design.fpc2)."
        if d.get("fpc") else "Unweighted.",
        f"Strata: {lab(d['strata'])}." if d.get("strata") else "No strata.",
        f"Primary sampling units: {lab(d['psu'])}." if d.get("psu")
        else "No clusters: each respondent is their own primary sampling unit.",
        *([f"Second-stage units: {lab(d['ssu'])}, nested in the primary sampling units."]
          if d.get("ssu") else []),
        *([f"Finite-population correction of the first stage from {lab(d['fpc'])} (population "
           "size or sampling fraction per stratum)."] if d.get("fpc") else []),
        *([f"Finite-population correction of the second stage from {lab(d['fpc2'])} (per "
           "primary sampling unit)."] if d.get("fpc2") else []),
        f"Strata with a single PSU: <code>{esc(d.get('lonely_psu', 'adjust'))}</code>.",
        ("Model-based (glm) standard errors (design.model_based: true)."
         if d.get("model_based") else
         "Standard errors by Taylor linearisation "
         f"({variance_kind(fpc=bool(d.get('fpc')), ssu=bool(d.get('ssu')))}, as R's "
         "survey::svyglm); t-based intervals on the design's degrees of freedom (PSUs minus "
         f"strata, less the model's terms). A {esc(group_label.lower())} is analysed as a "
         "domain of the full design."),
        *([] if d.get("model_based") else [
            "Design effects: of a coefficient, its design variance over that of a weighted glm "
            "with estimated dispersion (R's svyglm(deff = TRUE)); of a mean or proportion, its "
            "design variance over that of a simple random sample of the same size drawn "
            + ("with replacement (R's deff = \"replace\")" if d.get("deff") == "replace" else
               "without replacement from a population of the weights' sum (R's deff = TRUE)")
            + "; effective n = n / design effect (for a model, over the mean design effect of "
            "its coefficients)."]),
        "Prevalences: intercept-only design-based logistic models per domain (the logit "
        "interval of survey::svyciprop); means: linearised ratio estimator.",
    ]
    outcomes = [f"{lab(o)}: {_outcome_definition(o, codebook, threshold, labels)}"
                for o in m["outcomes"]]
    refs = m.get("reference_levels") or {}
    covs = [lab(c) + (f", reference level <em>{esc(refs[c])}</em>" if c in refs else "")
            for c in m["covariates"]]
    samples = [("pooled: all groups together with " + esc(group_label.lower()) +
                " fixed effects" + (f" (reference {esc(refs[GROUP])})" if GROUP in refs else ""))
               if s == POOLED else f"{esc(s)} (a domain of the full design)"
               for s in m["samples"]]
    models = [
        "Design-based logistic regression of each outcome on the covariates, one model per "
        "outcome and sample; odds ratios with "
        f"{float(m.get('conf_level', 0.95)):.0%} confidence intervals.",
        "Covariates: " + "; ".join(covs) + ".",
        "Samples: " + "; ".join(samples) + ".",
    ]
    if m.get("contrast"):
        a, b = m["contrast"]
        models.append(f"Contrast test: for each covariate, the difference between its coefficient "
                      f"for {lab(b)} and for {lab(a)} ({esc(b)} minus {esc(a)}, log-odds), from "
                      "one stacked model with the design's clusters, so that the covariance of a "
                      "respondent's two answers is taken into account.")
    for grid, spec in (m.get("predictions") or {}).items():
        models.append(f"Predictions <code>{esc(grid)}</code>: average predicted probabilities at " +
                      "; ".join(f"{esc(word(v, None, labels))} = {', '.join(map(str, vals))}"
                                for v, vals in spec.items()) + ".")
    soft = [f"{esc(k)} {esc(v)}" for k, v in versions.items()]
    files_hash = [f"<code>{esc(p)}</code>: <code>{esc(h)}</code>" for p, h in hashes.items()]
    return "\n".join([
        '<section id="methods">', "<h2>Methods</h2>",
        '<h3 id="methods-data">Data</h3>',
        f"<p>{esc(codebook.get('survey', 'Survey'))}. Raw files by "
        f"{esc(group_label.lower())}, mapped to harmonised variables by the codebook:</p>",
        _ul(files),
        '<h3 id="methods-design">Weighting and design</h3>', _ul(design),
        '<h3 id="methods-outcomes">Outcomes</h3>',
        f"<p>An activity counts as done when the answer is <em>{esc(threshold)}</em> or more "
        "(config: cleaning.threshold).</p>", _ul(outcomes),
        '<h3 id="methods-models">Models</h3>', _ul(models),
        '<h3 id="methods-software">Software</h3>', _ul(soft),
        '<h3 id="methods-files">Input files (SHA-256)</h3>', _ul(files_hash),
        "</section>"])


def _outcome_definition(name: str, cb: dict, threshold: str, labels: dict) -> str:
    o = (cb.get("outcomes") or {}).get(name)
    if not o:
        return "a 0/1 column of the data."
    if o.get("outcomes"):
        subs = ", ".join(esc(labels.get(s, s)) for s in o["outcomes"])
        return f"1 when any of these is 1: {subs}; 0 when all answered are 0."
    items = []
    for it in o.get("items", []):
        v = cb["variables"].get(it, {})
        levels = v.get("levels") or list(dict.fromkeys((v.get("codes") or {}).values()))
        items.append(f"\u201c{esc(v.get('label', it))}\u201d ({esc(' < '.join(levels))})")
    return (f"1 when any of these is <em>{esc(threshold)}</em> or more, 0 when none is and at "
            f"least one was answered, missing otherwise: " + "; ".join(items) + ".")


# -- the whole page ---------------------------------------------------------------------------

def build_report(*, title: str, synthetic: bool, summary: list[str], findings_html: str,
                 figures: list[tuple[str, bytes, str]], tables: list[tuple[str, str]],
                 cleaning_html: str, methods_html: str, run_date: str) -> str:
    """The HTML page; every argument is already computed (this function only lays out)."""
    warning = ('<div class="warning" id="synthetic-warning">These data are synthetic: they were '
               "simulated to follow the published directions. The results demonstrate the "
               "method; they are not findings about real people or countries.</div>"
               if synthetic else "")
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}</title>", f"<style>\n{CSS}\n</style>", "</head>", "<body>",
        "<header>", f"<h1>{esc(title)}</h1>", warning, "</header>",
        '<section id="summary">', "<h2>Key findings</h2>", _ul(summary), "</section>",
        findings_html,
        '<section id="figures">', "<h2>Figures</h2>",
        *[figure_html(n, png, cap) for n, png, cap in figures], "</section>",
        '<section id="tables">', "<h2>Tables</h2>",
        *[f'<div class="table-wrap" id="tab-{esc(n)}">\n{t}</div>' for n, t in tables],
        "</section>",
        '<section id="cleaning">', "<h2>Cleaning summary</h2>",
        f'<div class="table-wrap">{cleaning_html}</div>', "</section>",
        methods_html,
        "<footer>", f'<p class="run-date" id="run-date">Run date: {esc(run_date)}</p>',
        "</footer>", "</body>", "</html>"]
    return "\n".join(p for p in parts if p) + "\n"


def run_date_now() -> str:
    """Now, in UTC; or SOURCE_DATE_EPOCH when set (then two runs give identical files)."""
    import os

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (datetime.fromtimestamp(int(epoch), timezone.utc) if epoch and epoch.isdigit()
            else datetime.now(timezone.utc))
    return when.strftime("%Y-%m-%d %H:%M UTC")


def run_report(*, config: dict, codebook, findings_checked, prevalence, coefficients, fit,
               figures: dict, tables: dict, findings_table, cleaning_table, clean_table,
               hashed: list, output, run_date: str | None = None) -> None:
    """The report_html rule: read the results and write results/report.html."""
    from .codebook import labels as codebook_labels
    from .codebook import load_codebook
    from .findings import VERDICT_RULE
    from .io import write_text
    from .tables import read_results

    cb = load_codebook(codebook)
    meta = _table_meta(clean_table)
    labels = {**codebook_labels(cb), **meta.get("labels", {})}
    settings = report_settings(config)
    words = settings["words"]
    group_label = meta.get("group_label", cb.get("group_label", "Group"))
    checked = read_results(findings_checked)
    pct = f"{float(config['models'].get('conf_level', 0.95)):.0%}"
    summary = key_findings(read_results(prevalence, "prevalence"),
                           read_results(coefficients, "coefficients"),
                           read_results(fit, "fit"), checked,
                           compare=settings["figures"]["compare"],
                           sample=settings["figures"]["forest_sample"], words=words,
                           labels=labels, weighted=bool(config["design"].get("weights")))
    weighted = bool(config["design"].get("weights"))
    figs = [(name, Path(path).read_bytes(),
             figure_caption(name, group_label, pct, settings["subject"], weighted))
            for name, path in figures.items()]
    tabs = [(name, Path(path).read_text(encoding="utf-8")) for name, path in tables.items()]
    hashes = {str(p): sha256(p) for p in hashed}
    methods = methods_section(config=config, codebook=cb,
                              threshold=meta.get("threshold",
                                                 (config.get("cleaning") or {}).get("threshold", "")),
                              hashes=hashes, versions=software_versions(), labels=labels)
    page = build_report(
        title=settings["title"], synthetic=bool(config["data"].get("synthetic")),
        summary=summary,
        findings_html=findings_section(Path(findings_table).read_text(encoding="utf-8"),
                                       VERDICT_RULE.format(pct=pct)),
        figures=figs, tables=tabs,
        cleaning_html=Path(cleaning_table).read_text(encoding="utf-8"), methods_html=methods,
        run_date=run_date or run_date_now())
    write_text(output, page)
    log.info("report: %d figures, %d tables, %d bytes", len(figs), len(tabs), len(page))


def _table_meta(path) -> dict:
    """The clean table's coprod metadata (labels, threshold) without reading its rows."""
    import json

    import pyarrow.parquet as pq

    from .io import META_KEY

    raw = (pq.read_schema(path).metadata or {}).get(META_KEY)
    return json.loads(raw) if raw else {}
