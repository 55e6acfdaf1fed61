"""The claims file (config/findings.yaml): read it, and check each claim against the models the
config asks for, before any model is fitted.

Why its own module: the Snakefile runs this check when it starts (coprod.pipeline.startup), in
the process that schedules every job, and whatever that process imports every ``snakemake``
command pays for, a no-op rerun included. The verdicts themselves read the model tables with
pandas (:mod:`coprod.pipeline.findings`); reading and checking the claims needs neither pandas
nor numpy, so this module imports neither (tests/unit/pipeline/test_startup_imports.py
keeps it so).
"""
from __future__ import annotations

import re

from ..errors import ConfigError
from .codebook import did_you_mean, load_yaml
from .settings import not_binary
from .vocab import POOLED

EXPECTED = ("positive", "negative", "none")
VERDICTS = ("supported", "contradicted", "inconclusive", "equivalent", "different",
            "not estimated", "skipped")
#: every key of a claim, with what it means: the one description config/README.md's section
#: "The claims file" shows (tests/unit/test_docs.py checks it lists each)
CLAIM_FIELDS = {
    "id": "required; a short unique name (letters, digits, underscores)",
    "claim": "required; the claim in words, as the report shows it",
    "covariate": "required; a covariate of models.covariates, or the group column (groups."
                 "column) for a claim about the groups; a category with more than two levels "
                 "names its level with `level:` or as `education[T.high]`",
    "level": "optional; the level of a categorical covariate, compared with its reference level",
    "outcome": "required; a 0/1 outcome of models.outcomes",
    "compared_with": "optional; makes it a comparison claim: the covariate's coefficient for "
                     "`outcome` minus that for `compared_with`, from the contrast test (the two "
                     "must be the pair in models.contrast)",
    "sample": "optional; `pooled` (the default) or a group of models.samples, written as in "
              "the data (quote names with spaces or accents: `sample: 'Île-de-France'`)",
    "expected": "required; `positive`, `negative` or `none` (no relation)",
    "equivalence": "with `expected: none`; the smallest effects that would matter, as odds "
                   "ratios around 1 (`[0.8, 1.25]`): the claim is tested for equivalence",
    "strongest": "optional; `true`: the covariate is the strongest correlate of the outcome "
                 "(its change in probability per SD, compared with every other covariate's)",
    "source": "required; a key of `sources:` (the reference; a BibTeX key lets LaTeX cite it)",
    "optional": "optional; `true`: skipped, and said so, when the models lack its covariate, "
                "outcome or sample, instead of stopping the run at the start",
}
CLAIM_KEYS = set(CLAIM_FIELDS)

_TERM = re.compile(r"^(?P<var>.+?)\[T\.(?P<level>.*)\]$")


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
                 levels: dict | None = None, group: str = "group",
                 families: dict | None = None) -> list[dict]:
    """Validate every claim against the models the config asks for; return them normalised.

    Why at the start: a claim naming an outcome or covariate the models do not have would
    otherwise fail (or, worse, be silently skipped) after hours of model fitting. A claim marked
    ``optional: true`` is kept but marked skipped instead. ``families``: {outcome: family} of
    models.outcomes, so that a claim about an ordinal or count outcome is told why it cannot
    be checked (``outcomes`` are the 0/1 ones).
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
        errs += [f"{where}: claim '{cid}': {e}" for e in _claim_key_errors(c)]
        problems = _model_problems(c, outcomes, known_vars, samples, contrast, levels,
                                   families or {})
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


def _claim_key_errors(c: dict) -> list[str]:
    """equivalence: an interval of odds ratios around 1, for a claim of no relation; strongest:
    true or false, for a directional claim about one outcome."""
    errs = []
    if "equivalence" in c:
        b = c["equivalence"]
        ok = (isinstance(b, list) and len(b) == 2
              and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in b))
        if not ok or not (0 < b[0] < 1 < b[1]):
            errs.append(f"equivalence: {b!r} is not an interval of odds ratios around 1 "
                        "(two numbers, the first between 0 and 1, the second above 1, e.g. "
                        "[0.8, 1.25])")
        elif c["expected"] != "none":
            errs.append("equivalence: bounds go with expected: none (a claim of no relation)")
    if "strongest" in c:
        if not isinstance(c["strongest"], bool):
            errs.append(f"strongest: {c['strongest']!r} must be true or false")
        elif c["strongest"] and (c["expected"] == "none" or c.get("compared_with")):
            errs.append("strongest: true goes with expected: positive or negative and one "
                        "outcome (no compared_with)")
    return errs


def _model_problems(c, outcomes, known_vars, samples, contrast, levels,
                    families) -> list[str]:
    probs = []
    var, level = split_covariate(c)
    for key in ("outcome", "compared_with"):
        if key in c and c[key] not in outcomes:
            probs.append(not_binary(key, c[key], families, "a claim is checked against a "
                                    "0/1 outcome's model (an odds ratio)")
                         or f"{key}: '{c[key]}' is not one of models.outcomes"
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
