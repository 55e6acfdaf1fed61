"""Check the pipeline config against its schema and against the codebook, with guidance.

Why beyond the JSON schema: a schema cannot know that a covariate must be a column the codebook
defines, or that a reference level must be one of that column's levels. Each problem gets one
line naming the key and the value, with a "did you mean" where a near spelling exists.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ConfigError
from ..names import GROUP, POOLED
from .codebook import (
    QUOTE_HINT,
    Codebook,
    did_you_mean,
    group_column_error,
    outcome_kind,
    outcome_levels,
    thaw,
)
from .designkeys import design_key_errors
from .settings import (  # noqa: F401 (the schema check and outcome_families: named here too)
    SCHEMA,
    check_config_schema,
    command_line_scalars,
    not_binary,
    outcome_families,
)
from .yamlfile import file_problem

if TYPE_CHECKING:
    from .settings import Imputation, Models, Settings

DEFAULT_GROUP = GROUP


def column_levels(cb: Codebook, group: str = DEFAULT_GROUP) -> dict[str, list | None]:
    """Every clean-table column the codebook defines -> its levels (None for numeric)."""
    out: dict[str, list | None] = {group: list(cb.groups)}
    for name, v in cb.variables.items():
        if v.get("type", "numeric") == "category" and not v.get("role"):
            out[name] = list(v.get("levels") or dict.fromkeys(v["codes"].values()))
        else:
            out[name] = None
    for name, d in cb.derived.items():
        if "any_of" in d:
            first = out.get(d["any_of"][0]) or []
            other = [x for x in first if x != d["level"]]
            out[name] = [other[0] if len(other) == 1 else f"not {d['level']}", d["level"]]
        else:
            out[name] = None
    for name, o in cb.outcomes.items():
        out[name] = outcome_levels(name, cb) if outcome_kind(o) == "ordinal" else None
    return out


def effective_scales(models: Models) -> tuple[dict, list[str]]:
    """``models.scales`` restricted to the outcomes modelled (a run narrowed with ``--config
    models={outcomes: [...]}`` keeps working), and a note for each entry left out."""
    fam = models.families
    out, notes = {}, []
    for binary, others in models.scales.items():
        kept = [o for o in others if o in fam]
        gone = [o for o in [binary, *others] if o not in fam]
        if gone:
            notes.append(f"models.scales.{binary}: {', '.join(gone)} not in models.outcomes; "
                         "the robustness section leaves "
                         + ("this entry out" if binary in gone or not kept else "it out"))
        if binary in fam and kept:
            out[binary] = kept
    return out, notes


def _family_errors(m: Models, cols: dict, cb: Codebook) -> list[str]:
    """Each outcome's family fits its column; the scales and joint tests name known things."""
    fam = m.families
    errs = []
    for name, family in fam.items():
        if name not in cols:
            continue
        levels = cols[name]
        kind = outcome_kind(cb.outcomes.get(name) or {})
        if family == "ordinal" and kind == "count":
            continue  # a count as an ordered score (0 < 1 < 2 ...): its values are the levels
        if family == "ordinal" and levels is None:
            errs.append(f"config: models.outcomes: '{name}' is declared ordinal but has no "
                        "ordered levels (define it with highest_of or count_of, or as an "
                        "ordered category, in the codebook)")
        elif family == "ordinal" and len(levels) < 3:
            errs.append(f"config: models.outcomes: '{name}' is declared ordinal but has "
                        f"{len(levels)} levels ({', '.join(levels)}); an ordinal model needs 3 "
                        "or more")
        elif family == "ordinal" and name not in cb.outcomes and \
                not (cb.variables.get(name) or {}).get("ordered"):
            errs.append(f"config: models.outcomes: '{name}' is declared ordinal but its levels "
                        "have no order (set `ordered: true` in the codebook)")
        elif family == "count" and levels is not None:
            errs.append(f"config: models.outcomes: '{name}' is declared count but is a "
                        "category; a count model needs a number of things (count_of in the "
                        "codebook)")
        elif family == "logit" and kind in ("ordinal", "count"):
            errs.append(f"config: models.outcomes: '{name}' is {kind}, not 0/1: write "
                        f"{{{name}: {kind if kind == 'count' else 'ordinal'}}}")
    for binary, others in m.scales.items():
        if binary not in cols:
            errs.append(f"config: models.scales: '{binary}' is not a column of the clean table"
                        f"{did_you_mean(binary, list(cols))}")
        elif binary in fam and fam[binary] != "logit":
            errs.append(str(not_binary("config: models.scales", binary, fam,
                                       "its keys are 0/1 outcomes, each listing its ordinal "
                                       "and count versions")))
        for o in others:
            if o not in cols:
                errs.append(f"config: models.scales.{binary}: '{o}' is not a column of the "
                            f"clean table{did_you_mean(o, list(cols))}")
            elif o in fam and fam[o] == "logit":
                errs.append(f"config: models.scales.{binary}: '{o}' is a 0/1 outcome; list "
                            f"its ordinal or count versions ({{{o}: ordinal}} or {{{o}: count}} "
                            "in models.outcomes)")
    covs = list(m.covariates or [])
    for test, variables in m.joint_tests.items():
        for v in variables:
            if v not in covs:
                errs.append(f"config: models.joint_tests.{test}: '{v}' is not one of "
                            f"models.covariates{did_you_mean(v, covs)}")
    return errs


def _imputation_errors(imp: Imputation, cols: dict) -> list[str]:
    errs = []
    m, chains = imp.m, imp.chains
    if isinstance(m, int) and isinstance(chains, int) and chains > m:
        errs.append(f"config: imputation.chains: {chains} chains for m: {m} datasets; at most "
                    "one chain per dataset")
    for key in ("outcomes", "auxiliary"):
        for c in getattr(imp, key) or []:
            if c not in cols:
                errs.append(f"config: imputation.{key}: '{c}' is not a column of the clean "
                            f"table{did_you_mean(c, list(cols))}")
    return errs


def _specification_errors(settings: Settings, cols: dict) -> list[str]:
    """Every value of a specification dimension must be one the pipeline can run."""
    spec = settings.specifications
    errs = []
    covs = list(settings.models.covariates or [])
    for name, members in (spec.get("covariates") or {}).items():
        for v in members or []:
            if v not in covs:
                errs.append(f"config: specifications.covariates.{name}: '{v}' is not one of "
                            f"models.covariates{did_you_mean(v, covs)}")
    if "imputed" in (spec.get("missing") or []) and settings.imputation.analyses != "both":
        errs.append("config: specifications.missing: 'imputed' needs imputation.analyses: both")
    items = [v for v in cols.values() if v and len(v) > 2]
    for t in spec.get("threshold") or []:
        if items and not any(t in lv for lv in items):
            errs.append(f"config: specifications.threshold: '{t}' is not a level of the ordered "
                        "items")
    return errs


def specification_notes(settings: Settings) -> list[str]:
    """What the specification curve will leave out, said at start-up (a run narrowed with
    --config keeps working): a model family with no versions of the 0/1 outcomes."""
    spec = settings.specifications
    fams = set(settings.models.families.values())
    return [f"specifications.family: no {f} versions of the 0/1 outcomes are modelled "
            "(models.outcomes, models.scales); those specifications are not estimated"
            for f in spec.get("family") or [] if f != "logit" and f not in fams]


def spec_claims(findings: str | None) -> dict[str, dict]:
    """The claims a specification curve is drawn for (not comparisons): {file-name slug of the
    id: the claim}. Read without the models' libraries (the Snakefile calls it)."""
    from .codebook import load_yaml

    if not findings or not Path(findings).is_file():
        return {}
    claims = (load_yaml(findings) or {}).get("claims") or []
    out = {}
    for c in claims:
        if isinstance(c, dict) and "id" in c and not c.get("compared_with"):
            out[slug(str(c["id"]))] = {"id": str(c["id"]), "claim": str(c.get("claim", "")),
                                       "sample": str(c.get("sample", POOLED))}
    return out


def imputation_outcomes(settings: Settings) -> list[str]:
    """The outcomes modelled on the imputed datasets: imputation.outcomes, else the contrast's
    two, else the first two 0/1 outcomes."""
    m = settings.models
    return list(settings.imputation.outcomes or m.contrast or m.binary[:2])


def imputation_auxiliary(settings: Settings) -> list[str]:
    """The further predictors of the imputation model: imputation.auxiliary, else the outcomes
    modelled on the imputed data and the weight."""
    weights = settings.design.get("weights")
    return list(settings.imputation.auxiliary or [*imputation_outcomes(settings),
                                                  *([weights] if weights else [])])


def imputation_chains(imp: Imputation) -> list[tuple[int, int, int]]:
    """(chain, first imputation, number of imputations) of each chain: M split as evenly as
    it goes."""
    m, chains = int(imp.m), int(imp.chains)
    sizes = [m // chains + (1 if k < m % chains else 0) for k in range(chains)]
    starts = [1 + sum(sizes[:k]) for k in range(chains)]
    return [(k + 1, a, n) for k, (a, n) in enumerate(zip(starts, sizes))]


def check_config(settings: Settings) -> None:
    """Cross-check the config against the codebook; raise one ConfigError listing every
    problem."""
    errs: list[str] = []
    cb = settings.codebook
    gcol = settings.group_column
    clash = group_column_error(cb, gcol)
    if clash:
        errs.append(clash)
    cols = column_levels(cb, gcol)
    names = list(cols)
    m = settings.models
    errs += _family_errors(m, cols, cb)
    for key in ("outcomes", "covariates"):
        for name in outcome_families(getattr(m, key)):
            if name not in cols:
                errs.append(f"config: models.{key}: '{name}' is not a column of the clean table"
                            f"{did_you_mean(name, names)}")
    for name in m.binary:
        if name in cols and name not in cb.outcomes and cols[name] is not None:
            errs.append(f"config: models.outcomes: '{name}' is a category, not a 0/1 outcome")
    for var, level in m.reference_levels.items():
        if var not in cols:
            errs.append(f"config: models.reference_levels: '{var}' is not a column"
                        f"{did_you_mean(var, names)}")
        elif (var_levels := cols[var]) is None:
            errs.append(f"config: models.reference_levels.{var}: '{var}' is numeric, it has no "
                        "levels")
        elif isinstance(level, bool):
            errs.append(f"config: models.reference_levels.{var}: {level}: {QUOTE_HINT}")
        elif str(level) not in var_levels:
            errs.append(f"config: models.reference_levels.{var}: '{level}' is not a level of "
                        f"'{var}' "
                        f"(levels: {', '.join(var_levels)}){did_you_mean(level, var_levels)}")
    groups = list(cb.groups)
    if POOLED in groups and len(groups) > 1:  # the descriptives' whole-sample rows have it
        errs.append(f"config: the codebook's group '{POOLED}' has the name of all groups "
                    "together (models.samples, the whole-sample rows of the descriptives); "
                    "give the group another name")
    for s in m.samples:
        if isinstance(s, bool):
            errs.append(f"config: models.samples: {s}: {QUOTE_HINT}")
        elif s != POOLED and str(s) not in groups:
            errs.append(f"config: models.samples: '{s}' is neither 'pooled' nor a group of the "
                        f"codebook ({', '.join(groups)}){did_you_mean(s, groups + [POOLED])}")
    contrast = list(m.contrast or [])
    for o in contrast:
        if o not in m.binary:
            errs.append(not_binary("config: models.contrast", o, m.families,
                                   "the contrast test compares the log odds ratios of "
                                   "two 0/1 outcomes in the same respondents")
                        or f"config: models.contrast: '{o}' is not one of models.outcomes (its "
                        f"0/1 outcomes){did_you_mean(o, m.binary)}")
    for grid, spec in m.predictions.items():
        for var, values in spec.items():
            if var not in cols:
                errs.append(f"config: models.predictions.{grid}: '{var}' is not a column"
                            f"{did_you_mean(var, names)}")
            elif (var_levels := cols[var]) is not None:
                bad = [v for v in values if str(v) not in var_levels]
                if bad:
                    hint = f"; {QUOTE_HINT}" if any(isinstance(v, bool) for v in bad) else ""
                    errs.append(f"config: models.predictions.{grid}.{var}: {bad} not among the "
                                f"levels of '{var}' ({', '.join(var_levels)}){hint}")
            elif bad := [v for v in values
                         if isinstance(v, bool) or not isinstance(v, (int, float))]:
                errs.append(f"config: models.predictions.{grid}.{var}: {bad[0]!r} is not a "
                            f"number ('{var}' is numeric: its grid values are numbers)")
    d = settings.design
    for key in ("weights", "strata", "psu", "fpc", "ssu", "fpc2"):
        if d.get(key) and d[key] not in cols:
            errs.append(f"config: design.{key}: '{d[key]}' is not a column of the clean table"
                        f"{did_you_mean(d[key], names)}")
    rep = d.get("replicates")
    if rep and (cb.variables.get(rep) or {}).get("role") != "replicates":
        reps = [n for n, v in cb.variables.items() if v.get("role") == "replicates"]
        errs.append(f"config: design.replicates: '{rep}' is not a codebook variable with "
                    f"`role: replicates`" + (f" (the codebook has {', '.join(reps)})" if reps
                                             else " (the codebook has none)"))
    cal = d.get("calibration") or {}
    for var in cal.get("variables") or []:
        if var not in cols:
            errs.append(f"config: design.calibration.variables: '{var}' is not a column of the "
                        f"clean table{did_you_mean(var, names)}")
        elif cols[var] is None:
            errs.append(f"config: design.calibration.variables: '{var}' is numeric; calibrate "
                        "to the levels of a category (derive one in the codebook)")
    if cal.get("totals") and (problem := file_problem(cal["totals"])):  # a folder, a device
        errs.append(f"config: design.calibration.totals: {cal['totals']}: {problem}")
    elif cal.get("totals"):
        errs += _totals_errors(cal, cols)
    errs += [f"config: {e}" for e in design_key_errors(thaw(d))]
    errs += _imputation_errors(settings.imputation, cols)
    errs += _specification_errors(settings, cols)
    if d.get("model_based") and any(d.get(k) for k in ("weights", "strata", "psu", "fpc",
                                                       "ssu")):
        errs.append("config: design.model_based: true is only for unweighted data without strata "
                    "or PSUs; set design.weights, design.strata and design.psu to null, or "
                    "model_based to false")
    for oname, ospec in cb.outcomes.items():
        thr = ospec.get("threshold", settings.cleaning.threshold)
        for item in ospec.get("items", []):
            lv = cols.get(item) or []
            if thr not in lv:
                errs.append(f"config: cleaning.threshold: '{thr}' is not a level of item '{item}' "
                            f"used by outcome '{oname}' (levels: {', '.join(lv)})"
                            f"{did_you_mean(thr, lv)}")
                break
    group_words = {str(cb.group_label or "").lower(), "group", "groups", "country",
                   "region"} - {gcol}
    if any(f"'{w}' is not a column" in e for e in errs for w in group_words if w):
        errs.append(f"note: the group column of the clean table is called '{gcol}' "
                    "(config: groups.column)")
    if errs:
        raise ConfigError("\n".join(dict.fromkeys(errs)))


# letters that Unicode does not decompose into an ASCII letter and a mark
_TRANSLITERATE = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae", "å": "a", "Å": "A",
                                "ß": "ss", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th",
                                "Þ": "Th", "ł": "l", "Ł": "L", "œ": "oe", "Œ": "Oe",
                                "ı": "i", "ħ": "h", "Ħ": "H"})


def _totals_errors(cal: Mapping, cols: dict) -> list[str]:
    """The calibration totals against the codebook's levels, before any job runs (csv module:
    the start-up check reads no data with pandas)."""
    from ..survey.designspec import read_totals, totals_error

    path = cal["totals"]
    totals, errs = read_totals(path)
    errs = [f"config: {e}" for e in errs]
    if not totals:
        return errs
    for var in cal.get("variables") or []:
        if var not in totals:
            errs.append(f"config: {path}: no totals for '{var}' (design.calibration.variables)")
            continue
        levels = cols.get(var) or []
        extra = [lv for lv in totals[var] if lv not in levels]
        missing = [lv for lv in levels if lv not in totals[var]]
        if extra:
            errs.append(f"config: {path}: '{var}' has no level(s) {extra} (levels: "
                        f"{', '.join(levels)}){did_you_mean(extra[0], levels)}")
        if missing:
            errs.append(f"config: {path}: no total for level(s) {missing} of '{var}'")
    mismatch = totals_error(totals, list(cal.get("variables") or []), path)
    return errs + ([f"config: {mismatch}"] if mismatch else [])


def slug(name: str) -> str:
    """A file-name-safe, readable form of a name for result paths only ("Región Norte" ->
    "Region_Norte", "Trøndelag" -> "Trondelag"); users always write and read the name itself."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", str(name).translate(_TRANSLITERATE))
    ascii_ = text.encode("ascii", "ignore").decode()
    out = re.sub(r"[^A-Za-z0-9]+", "_", ascii_).strip("_")
    return out or "group"


def sample_slugs(samples: Iterable) -> dict[str, str]:
    """slug -> sample name; two names with the same slug get numbered slugs (each one's
    results stay apart), so any names may be used."""
    out: dict[str, str] = {}
    for s in samples:
        base = k = slug(s)
        i = 2
        while k in out or k.lower() in {x.lower() for x in out}:  # case-insensitive file systems
            k = f"{base}_{i}"
            i += 1
        out[k] = str(s)
    return out
