"""The report stage's settings: the config's ``report`` section validated, its defaults filled
from the schema, its names expanded (samples, outcomes, tables, figures), once.

Why its own module: the start-up checks, the workflow (which outputs to expect) and every
report job read the same settings; kept apart from the page and the stage runner they are
parsed by one function and named by two (:func:`figure_names`, :func:`table_names`).
"""
from __future__ import annotations

import copy
from importlib.resources import files

from ..errors import ConfigError
from .codebook import did_you_mean, load_schema, load_yaml
from .config import binary_outcomes, outcome_families, slug
from .paths import name_error
from .vocab import POOLED, SYNTHETIC_NOTICE, default_table_title, word

SCHEMA = files("coprod") / "schemas" / "config.schema.yaml"  # package data


def schema_defaults(node: dict):
    """The defaults a JSON schema node declares, filled in recursively."""
    if "default" in node and not isinstance(node.get("default"), dict):
        return copy.deepcopy(node["default"])
    out = copy.deepcopy(node.get("default", {})) if node.get("type") == "object" else None
    if node.get("type") == "object" and "properties" in node:
        out = out or {}
        for key, sub in node["properties"].items():
            val = schema_defaults(sub)
            if key not in out and (val is not None or "default" in sub):  # null defaults too
                out[key] = val
    return out


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in (over or {}).items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) and \
            k != "models" else copy.deepcopy(v)
    return out


def report_settings(config: dict, levels: dict | None = None,
                    codebook: dict | None = None) -> dict:
    """The report section with defaults filled in and every name checked against the models.

    Why here and not in each rule: a table or figure that names an outcome, sample or grid the
    models do not produce should stop the workflow before anything runs, with the key named.
    Titles left out get neutral defaults from ``report.subject``, the codebook's survey name
    (``codebook``, else read from data.codebook) and the word for the groups.
    """
    schema = load_schema(SCHEMA)
    user = config.get("report") or {}
    r = _merge(schema_defaults(schema["properties"]["report"]) or {}, user)
    cb = codebook if codebook is not None else _codebook_of(config)
    r["title"] = r.get("title") or default_title(r["subject"], cb.get("survey"))
    m = config["models"]
    outcomes, samples = binary_outcomes(m), [str(s) for s in m["samples"]]
    groups = [s for s in samples if s != POOLED]
    errs = []
    compare = list(r["figures"].get("compare") or m.get("contrast") or outcomes[:2])
    r["figures"]["compare"] = compare
    for o in compare:
        if o not in outcomes:
            errs.append(f"report.figures.compare: '{o}' is not one of models.outcomes"
                        f"{did_you_mean(o, outcomes)}")
    fs = r["figures"]
    if "forest_sample" not in (user.get("figures") or {}) and fs["forest_sample"] not in samples:
        fs["forest_sample"] = samples[0]  # the default, pooled, is not modelled
    if fs.get("forest_sample") not in samples:
        errs.append(f"report.figures.forest_sample: '{fs.get('forest_sample')}' is not one of "
                    f"models.samples ({', '.join(samples)})"
                    f"{did_you_mean(fs.get('forest_sample'), samples)}")
    fs["group_samples"] = _expand_samples(fs.get("group_samples"), groups, samples,
                                          "report.figures.group_samples", errs)
    _prediction_specs(fs, m, errs)
    r["tables"]["models"] = _table_specs(r, config, group_word(config, cb), compare, errs)
    _scale_specs(r, m)
    r["notice"] = SYNTHETIC_NOTICE if (config.get("data") or {}).get("synthetic") else ""
    r["figures"]["notice"] = r["tables"]["notice"] = r["notice"]
    r["figures"]["per"] = r["tables"]["per"] = dict(r.get("per") or {})
    for var in r["tables"]["per"]:
        if var not in m["covariates"] or (levels is not None and levels.get(var)):
            errs.append(f"report.per: '{var}' is not a numeric covariate of models.covariates"
                        f"{did_you_mean(var, list(m['covariates']))}")
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


def _prediction_specs(fs: dict, m: dict, errs: list) -> None:
    """report.figures.predictions: one figure per grid by default; every name checked."""
    grids = m.get("predictions") or {}
    if fs.get("predictions") is None:  # one figure per grid whose first variable is modelled
        # (a second variable that is not modelled is left out, not reported: the user did not
        # ask for these figures; models.predictions still computes what it can)
        fs["predictions"] = [{"grid": g, "x": list(spec)[0],
                              "by": list(spec)[1] if len(spec) > 1
                              and list(spec)[1] in m["covariates"] else None}
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


def _scale_specs(r: dict, m: dict) -> None:
    """The ordinal and count outcomes of models.outcomes (twin or not) in the report: a forest
    plot of their own (``figures.scale_outcomes``: forest_scales), and a model table of their
    own (``scales``) for those no configured table shows. Their effects are odds ratios of a
    higher category or rate ratios, so they never share a forest plot with the 0/1 outcomes."""
    fam = outcome_families(m["outcomes"])
    others = [o for o, f in fam.items() if f != "logit"]
    r["figures"]["scale_outcomes"] = {o: fam[o] for o in others}
    shown = {o for t in r["tables"]["models"].values() for o in t["outcomes"]}
    rest = [o for o in others if o not in shown]
    if rest and "scales" not in r["tables"]["models"]:
        sample = r["figures"]["forest_sample"]
        r["tables"]["models"]["scales"] = {
            "samples": [sample], "outcomes": rest, "families": {o: fam[o] for o in rest},
            "title": f"Correlates of {r['subject']} on the survey's own scales (ordinal and "
                     f"count models, {word(sample, r['words'])})"}


def _table_specs(r: dict, config: dict, group_label: str, compare: list, errs: list) -> dict:
    """The model tables with samples and outcomes expanded and a title each.

    A table left without samples ("groups" when no group is modelled) is left out; the default
    tables (report.tables.models not set) keep only the samples the models have. ``all`` is
    every outcome of models.outcomes, ordinal and count ones included (``families`` says which
    is which, for the table's note); ``binary`` every 0/1 outcome (a table that stays right
    when a user narrows models.outcomes).
    """
    m = config["models"]
    fam = outcome_families(m["outcomes"])
    outcomes, samples = list(fam), [str(s) for s in m["samples"]]
    groups = [s for s in samples if s != POOLED]
    default = ((config.get("report") or {}).get("tables") or {}).get("models") is None
    out = {}
    for name, t in (r["tables"].get("models") or {}).items():
        key = f"report.tables.models.{name}"
        bad = name_error(name, key, "results/tables/models_<name>.csv")  # coprod.pipeline.paths
        if bad:
            errs.append(bad)
        value = t.get("samples", [POOLED])
        if default and value != "groups":
            value = [s for s in value if str(s) in samples]
        t["samples"] = _expand_samples(value, groups, samples, f"{key}.samples", errs)
        chosen = t.get("outcomes")
        t["outcomes"] = (outcomes if chosen == "all" else
                         [o for o in outcomes if fam.get(o, "logit") == "logit"]
                         if chosen == "binary" else list(chosen or compare))
        for o in t["outcomes"]:
            if o not in outcomes:
                errs.append(f"{key}.outcomes: '{o}' is not one of models.outcomes"
                            f"{did_you_mean(o, outcomes)}")
        t["families"] = {o: fam.get(o, "logit") for o in t["outcomes"]}
        if t["samples"] and t["outcomes"]:  # (no outcomes: null without a 0/1 outcome)
            t["title"] = t.get("title") or default_table_title(r["subject"], t["samples"],
                                                               group_label, r["words"])
            out[name] = t
    return out


def default_title(subject: str, survey: str | None = None) -> str:
    """The report's title when report.title is null: 'Correlates of <subject>: <survey>'."""
    return f"Correlates of {subject}" + (f": {survey}" if survey else "")


def group_word(config: dict, codebook: dict | None = None) -> str:
    """The word for the groups: groups.label, else the codebook's group_label, else the group
    column's name (coprod.names.group_label)."""
    from ..names import group_label

    g = config.get("groups") or {}
    return group_label(g.get("label"), codebook, g.get("column"))


def _codebook_of(config: dict) -> dict:
    """The codebook's YAML as the codebook loader reads it (for its survey name and
    group_label); {} when unreadable (the start-up checks say why)."""
    try:
        return load_yaml(config["data"]["codebook"])
    except (ConfigError, OSError, KeyError, TypeError):
        return {}


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
    binary = bool(fs["compare"])  # no 0/1 outcome (only ordinal or count ones): no figure of
    names = ["prevalence", f"forest_{slug(fs['forest_sample'])}"] if binary else []  # theirs
    if fs["group_samples"] and binary:
        names.append("forest_groups")
    if fs.get("scale_outcomes"):
        names.append("forest_scales")
    names += [f"predictions_{p['grid']}" for p in fs.get("predictions") or [] if binary]
    return names + ["cleaning"]


def table_names(settings: dict, contrast: bool = True) -> list[str]:
    """Stems of the tables the tables rule makes (results/tables/<stem>.{csv,tex,html})."""
    models = settings["tables"].get("models") or {}
    names = ["descriptives"] + [f"models_{n}" for n, t in models.items() if t.get("samples")]
    return names + (["contrast"] if contrast else []) + ["cleaning"]


