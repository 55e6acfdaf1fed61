"""Check the published claims (config/findings.yaml) against the model estimates.

Why claims as data: the study's point is whether the published directions hold in a given
survey. Writing each claim as data (covariate, outcome, expected direction, source) makes the
check explicit, reviewable and re-runnable on any data swapped in. The verdict rule is fixed and
stated in the report (:data:`VERDICT_RULE`):

* directional claim (expected ``positive`` / ``negative``): **supported** when the estimate has
  the expected sign and its confidence interval excludes 0 (an odds ratio's excludes 1);
  **contradicted** when the interval excludes 0 on the other side; otherwise **inconclusive**.
* ``none`` (no relation): **supported** when the interval includes 0, **contradicted** when it
  excludes 0. Not finding a relation is weak support: the interval's width says how weak.
* a comparison claim (``compared_with``) applies the same rule to the difference between the two
  outcomes' coefficients (the contrast test), ``outcome`` minus ``compared_with``.
* a model that failed, or a term not estimated (e.g. separation): **not estimated**.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .codebook import did_you_mean, load_yaml
from .errors import ConfigError
from .wording import POOLED

EXPECTED = ("positive", "negative", "none")
VERDICTS = ("supported", "contradicted", "inconclusive", "not estimated", "skipped")
CLAIM_KEYS = {"id", "claim", "covariate", "level", "outcome", "compared_with", "sample",
              "expected", "source", "optional"}
VERDICT_RULE = (
    "A directional claim is supported when the estimate has the expected sign and its "
    "{pct} confidence interval excludes 0 (for an odds ratio: excludes 1), contradicted when the "
    "interval excludes 0 on the opposite side, and inconclusive otherwise. A claim of no "
    "relation is supported when the interval includes 0 (weak support: absence of evidence is "
    "not evidence of absence; see the interval's width) and contradicted when it excludes 0. A "
    "comparison claim applies the same rule to the difference between the two outcomes' "
    "coefficients from the contrast test. A claim whose model failed or whose term could not be "
    "estimated is marked not estimated.")
_TERM = re.compile(r"^(?P<var>.+?)\[T\.(?P<level>.*)\]$")


def verdict(expected: str, estimate, conf_low, conf_high) -> str:
    """The verdict rule on the log-odds scale (0 = no relation)."""
    if expected not in EXPECTED:
        raise ConfigError(f"expected must be one of {EXPECTED}, not {expected!r}")
    if any(pd.isna(v) for v in (estimate, conf_low, conf_high)):
        return "not estimated"
    above, below = conf_low > 0, conf_high < 0
    if expected == "none":
        return "contradicted" if above or below else "supported"
    want_above = expected == "positive"
    if (above and want_above and estimate > 0) or (below and not want_above and estimate < 0):
        return "supported"
    if above or below:
        return "contradicted"
    return "inconclusive"


# -- loading and checking the claims ---------------------------------------------------------

def load_claims(path) -> dict:
    """Read the findings file: ``claims`` (a list) and ``sources`` (id -> reference)."""
    data = load_yaml(path)
    unknown = set(data) - {"claims", "sources"}
    if unknown:
        raise ConfigError(f"{path}: unknown top-level key(s) {sorted(unknown)}; expected "
                          "'claims' and 'sources'")
    if not isinstance(data.get("claims"), list):
        raise ConfigError(f"{path}: 'claims' must be a list (it may be empty; to check no "
                          "claims at all, set report.findings: null)")
    return {"claims": data["claims"], "sources": data.get("sources") or {}, "path": str(path)}


def split_covariate(claim: dict) -> tuple[str, str]:
    """(variable, level) of a claim: ``covariate: gender`` + ``level: woman``, or a term name."""
    cov = str(claim["covariate"])
    m = _TERM.match(cov)
    if m:
        return m["var"], m["level"]
    return cov, str(claim.get("level", "") or "")


def check_claims(findings: dict, *, outcomes: list[str], covariates: list[str],
                 samples: list[str], contrast: list[str] | None = None,
                 levels: dict | None = None, group: str = "group") -> list[dict]:
    """Validate every claim against the models the config asks for; return them normalised.

    Why at the start: a claim naming an outcome or covariate the models do not have would
    otherwise fail (or, worse, be silently skipped) after hours of model fitting. A claim marked
    ``optional: true`` is kept but marked skipped instead.
    """
    where = findings.get("path", "findings")
    levels = levels or {}
    known_vars = [*covariates, group]
    errs, out, seen = [], [], set()
    for i, raw in enumerate(findings["claims"]):
        if not isinstance(raw, dict):
            errs.append(f"{where}: claims[{i}] must be a mapping of keys")
            continue
        cid = str(raw.get("id", f"claims[{i}]"))
        bad_keys = set(raw) - CLAIM_KEYS
        for k in sorted(bad_keys):
            errs.append(f"{where}: claim '{cid}': unknown key '{k}'{did_you_mean(k, CLAIM_KEYS)}")
        missing = [k for k in ("id", "claim", "covariate", "outcome", "expected", "source")
                   if k not in raw]
        if missing:
            errs.append(f"{where}: claim '{cid}': missing key(s) {', '.join(missing)}")
            continue
        if cid in seen:
            errs.append(f"{where}: claim '{cid}': the id is used twice")
        seen.add(cid)
        c = {**raw, "id": cid, "sample": str(raw.get("sample", POOLED)),
             "optional": bool(raw.get("optional", False))}
        if c["expected"] not in EXPECTED:
            errs.append(f"{where}: claim '{cid}': expected: '{c['expected']}' is not one of "
                        f"{', '.join(EXPECTED)}{did_you_mean(c['expected'], EXPECTED)}")
        if c["source"] not in findings["sources"]:
            errs.append(f"{where}: claim '{cid}': source: '{c['source']}' is not listed under "
                        f"sources{did_you_mean(c['source'], findings['sources'])}")
        problems = _model_problems(c, outcomes, known_vars, samples, contrast, levels)
        if problems and c["optional"]:
            c["skip"] = "; ".join(problems)
        elif problems:  # one line per claim: it names the claim, what does not fit, the way out
            errs.append(f"{where}: claim '{cid}' does not fit these models ("
                        + "; ".join(problems) + "); mark it `optional: true` to skip it on "
                        "surveys without these variables, or set report.findings: null")
        out.append(c)
    if errs:
        raise ConfigError("\n".join(errs))
    return out


def _model_problems(c, outcomes, known_vars, samples, contrast, levels) -> list[str]:
    probs = []
    var, level = split_covariate(c)
    for key in ("outcome", "compared_with"):
        if key in c and c[key] not in outcomes:
            probs.append(f"{key}: '{c[key]}' is not one of models.outcomes"
                         f"{did_you_mean(c[key], outcomes)}")
    if c["sample"] not in samples:
        probs.append(f"sample: '{c['sample']}' is not one of models.samples"
                     f"{did_you_mean(c['sample'], samples)}")
    if var not in known_vars:
        probs.append(f"covariate: '{var}' is not one of models.covariates"
                     f"{did_you_mean(var, known_vars)}")
    elif levels.get(var) is not None:
        lv = [str(x) for x in levels[var]]
        if level and level not in lv:
            probs.append(f"covariate: '{level}' is not a level of '{var}' (levels: "
                         f"{', '.join(lv)}){did_you_mean(level, lv)}")
        elif not level and len(lv) > 2:
            probs.append(f"covariate: '{var}' has several levels ({', '.join(lv)}); name one "
                         f"with `level:` or as '{var}[T.<level>]'")
    elif level:
        probs.append(f"covariate: '{var}' is numeric; it has no level '{level}'")
    if "compared_with" in c:
        pair = list(contrast or [])
        if sorted(pair) != sorted([c["outcome"], c["compared_with"]]):
            probs.append(f"a comparison of '{c['outcome']}' with '{c['compared_with']}' needs "
                         f"models.contrast to be these two outcomes (it is {pair or 'not set'})")
    return probs


# -- the check -------------------------------------------------------------------------------

def _pick(table: pd.DataFrame, var: str, level: str) -> pd.DataFrame:
    """The estimate rows of a covariate: its named level, its one non-reference level, or the
    numeric covariate's single row."""
    if not len(table):
        return table
    is_var = table["variable"].fillna("").astype(str) == var
    lev = table["level"].fillna("").astype(str)
    if level:
        return table[is_var & (lev == level)]
    cats = table[is_var & (lev != "")]
    return cats if len(cats) else table[is_var & (lev == "")]


def check_findings(claims: list[dict], coefs: pd.DataFrame, fit: pd.DataFrame,
                   contrast: pd.DataFrame, *,
                   contrast_outcomes: list[str] | None = None, scales: dict | None = None,
                   families: dict | None = None) -> pd.DataFrame:
    """One row per claim: the estimate it rests on, its interval and the verdict.

    ``scales`` ({0/1 outcome: [its ordinal and count versions]}) with ``families`` ({outcome:
    family}): each claim is also judged, by the same rule, on the ordinal and the count model
    of its outcome (columns ``verdict_<family>``, ``estimate_<family>``, ...); a comparison
    claim rests on the contrast of the 0/1 models only ("not applicable")."""
    from .tables import tidy_contrast

    con = tidy_contrast(contrast) if len(contrast) else pd.DataFrame()
    rows = []
    for c in claims:
        var, level = split_covariate(c)
        base = {"id": c["id"], "claim": c["claim"], "covariate": var, "level": level,
                "outcome": c["outcome"], "compared_with": c.get("compared_with", ""),
                "sample": c["sample"], "expected": c["expected"], "source": c["source"],
                "scale": "", "term": "", "estimate": np.nan, "conf_low": np.nan,
                "conf_high": np.nan, "p_value": np.nan, "verdict": "", "note": ""}
        if c.get("skip"):
            rows.append({**base, "verdict": "skipped", "note": f"optional claim: {c['skip']}"})
            continue
        if c.get("compared_with"):
            rows.append(_comparison(base, c, var, level, con, contrast_outcomes))
        else:
            rows.append(_directional(base, c, var, level, coefs, fit))
        if scales:
            rows[-1].update(_other_scales(c, var, level, coefs, fit, scales, families or {}))
    return pd.DataFrame(rows)


SCALE_FAMILIES = ("ordinal", "count")


def _other_scales(c, var, level, coefs, fit, scales, families) -> dict:
    """The claim judged on the ordinal and count versions of its outcome."""
    out = {}
    alts = {families.get(o): o for o in reversed(scales.get(c["outcome"], []))}
    for fam in SCALE_FAMILIES:
        keys = {f"{k}_{fam}": np.nan for k in ("estimate", "conf_low", "conf_high")}
        keys.update({f"outcome_{fam}": alts.get(fam, ""), f"verdict_{fam}": ""})
        if c.get("skip") or fam not in alts:
            out.update(keys)
            continue
        if c.get("compared_with"):
            out.update({**keys, f"verdict_{fam}": "not applicable"})
            continue
        r = _directional({"note": ""}, {**c, "outcome": alts[fam]}, var, level, coefs, fit)
        out.update({f"outcome_{fam}": alts[fam], f"verdict_{fam}": r["verdict"],
                    **{f"{k}_{fam}": r.get(k, np.nan)
                       for k in ("estimate", "conf_low", "conf_high")}})
    return out


def _directional(base, c, var, level, coefs, fit) -> dict:
    from .wording import model_status

    status, msg = model_status(fit, c["outcome"], c["sample"])
    base["scale"] = "log-odds"
    if status in ("failed", "missing"):
        return {**base, "verdict": "not estimated", "note": f"model {status}: {msg}".rstrip(": ")}
    sub = coefs[(coefs["outcome"] == c["outcome"]) & (coefs["sample"].astype(str) == c["sample"])]
    hit = _pick(sub, var, level)
    if len(hit) != 1:
        raise ConfigError(_term_error(c, var, level, sub))
    r = hit.iloc[0]
    out = {**base, "term": r["term"], "estimate": r["estimate"], "conf_low": r["conf_low"],
           "conf_high": r["conf_high"], "p_value": r.get("p_value", np.nan)}
    out["verdict"] = verdict(c["expected"], r["estimate"], r["conf_low"], r["conf_high"])
    if status == "flagged":
        out["note"] = f"model flagged: {msg}"
    if str(r.get("flag", "") or ""):
        out["note"] = (out["note"] + "; " if out["note"] else "") + f"term flagged: {r['flag']}"
    return out


def _comparison(base, c, var, level, con, contrast_outcomes) -> dict:
    a, b = list(contrast_outcomes or ["", ""])
    sign = 1.0 if (c["compared_with"], c["outcome"]) == (a, b) else -1.0
    base["scale"] = f"difference in log-odds, {c['outcome']} minus {c['compared_with']}"
    sub = con[(con["sample"] == c["sample"])] if len(con) else con
    if not len(sub):
        return {**base, "verdict": "not estimated", "note": "no contrast test for this sample"}
    if (sub["status"] == "failed").any():
        msg = sub.loc[sub["status"] == "failed", "message"].iloc[0]
        return {**base, "verdict": "not estimated", "note": f"contrast failed: {msg}"}
    terms = sub[sub["kind"] == "term"]
    hit = _pick(terms, var, level)
    if len(hit) != 1:
        raise ConfigError(_term_error(c, var, level, terms))
    r = hit.iloc[0]
    est, lo, hi = sign * r["estimate"], sign * r["conf_low"], sign * r["conf_high"]
    lo, hi = min(lo, hi), max(lo, hi)
    return {**base, "term": r["term"], "estimate": est, "conf_low": lo, "conf_high": hi,
            "p_value": r["p_value"], "verdict": verdict(c["expected"], est, lo, hi)}


def _term_error(c, var, level, table) -> str:
    terms = sorted(set(table["term"])) if len(table) else []
    want = f"{var}[T.{level}]" if level else var
    return (f"claim '{c['id']}': covariate: no single estimate for '{want}' in the "
            f"{c['outcome']} / {c['sample']} results (terms: {', '.join(terms) or 'none'})"
            f"{did_you_mean(want, terms)}")


# -- display ---------------------------------------------------------------------------------

def findings_table(checked: pd.DataFrame, sources: dict, *, digits: int = 2,
                   words: dict | None = None) -> pd.DataFrame:
    """The check as a display table (odds ratios for coefficients, log-odds for differences)."""
    from .wording import NA, fmt_ci, outcome_words, word

    rows = []
    for _, r in checked.iterrows():
        if r["scale"] == "log-odds":
            est = fmt_ci(np.exp(r["estimate"]), np.exp(r["conf_low"]), np.exp(r["conf_high"]),
                         digits)
            what = "OR"
        elif pd.notna(r["estimate"]):
            est = fmt_ci(r["estimate"], r["conf_low"], r["conf_high"], digits)
            what = "difference (log-odds)"
        else:
            est, what = NA, ""
        model = outcome_words(r["outcome"], words)
        if r["compared_with"]:
            model += f" vs {outcome_words(r['compared_with'], words).lower()}"
        rows.append({"Claim": r["claim"], "Model": f"{model} ({word(r['sample'], words)})",
                     "Expected": r["expected"], "Estimate [CI]": f"{what} {est}".strip(),
                     "Verdict": r["verdict"],
                     **{f"{fam.capitalize()} model": r.get(f"verdict_{fam}") or NA
                        for fam in SCALE_FAMILIES if f"verdict_{fam}" in checked.columns},
                     "Note": r["note"] or "",
                     "Source": str(sources.get(r["source"], r["source"])).split(".")[0]})
    scale_cols = [f"{fam.capitalize()} model" for fam in SCALE_FAMILIES
                  if f"verdict_{fam}" in checked.columns]
    out = pd.DataFrame(rows, columns=["Claim", "Model", "Expected", "Estimate [CI]", "Verdict",
                                      *scale_cols, "Note", "Source"])
    out.attrs["foot"] = 0
    return out


def run_findings(*, findings, coefficients, fit, contrast, outcomes, covariates, samples,
                 contrast_outcomes, levels, conf_level, digits, words, outputs: dict,
                 group: str = "group", scales=None, families=None):
    """The findings rule: check every claim, write the tidy check and its display table."""
    from .io import read_results, write_csv
    from .tables import write_table_files

    spec = load_claims(findings)
    claims = check_claims(spec, outcomes=list(outcomes), covariates=list(covariates),
                          samples=list(samples), contrast=list(contrast_outcomes or []),
                          levels=dict(levels), group=group)
    checked = check_findings(claims, read_results(coefficients, "coefficients"),
                             read_results(fit, "fit"), read_results(contrast, "contrast"),
                             contrast_outcomes=contrast_outcomes,
                             scales={k: list(v) for k, v in dict(scales or {}).items()},
                             families=dict(families or {}))
    write_csv(checked, outputs["checked"])
    pct = f"{conf_level:.0%}"
    write_table_files(findings_table(checked, spec["sources"], digits=digits, words=dict(words)),
                      {k: v for k, v in outputs.items() if k in ("csv", "tex", "html")},
                      caption="Claims checked against these data",
                      note=VERDICT_RULE.format(pct=pct), name="findings")
