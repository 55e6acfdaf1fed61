"""The catalogue of bad inputs: each case, what it does to a fresh copy of the project, and the
message the user must see. ``tests/unit/pipeline/test_catalogue.py`` checks every case with the
functions the rules run, ``tests/e2e/test_catalogue_runs.py`` one case of each kind through
Snakemake; ``tools/write_catalogue_doc.py`` renders it as docs/bad_inputs.md (a test keeps them in step).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

CLEAN = "results/clean/survey.parquet"


@dataclass
class Case:
    id: str
    kind: str            # data | codebook | config | model
    what: str            # the mistake, in words
    message: str         # what the user sees (a substring of the one-line message)
    setup: Callable[[Path], None]
    target: str = CLEAN
    outcome: str = "stop"   # stop: non-zero exit; continue: finishes, problem reported


# -- helpers that change a project copy -------------------------------------------------------

#: PyYAML's safe reader and writer in libyaml's C (the same values, about ten times faster than
#: its pure-Python ones: the catalogue edits a config or codebook a hundred times a test run)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def safe_load(stream):
    """``yaml.safe_load`` through libyaml (:data:`SAFE_LOADER`): the same values; the tests
    read the bundled config and the schemas dozens of times a run."""
    return yaml.load(stream, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader


def edit_yaml(path: Path, fn) -> None:
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - safe
    fn(data)
    path.write_text(yaml.dump(data, Dumper=SAFE_DUMPER, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")


def config(fn):
    return lambda w: edit_yaml(w / "config" / "config.yaml", fn)


def codebook(fn):
    return lambda w: edit_yaml(w / "config" / "codebook.yaml", fn)


def sav(country: str, fn):
    """Rewrite one country's .sav after ``fn(df)`` changes its data frame."""
    def setup(w: Path):
        import pyreadstat

        path = w / "data" / "raw" / f"{country}_2008.sav"
        df, _ = pyreadstat.read_sav(str(path), user_missing=True)
        df = fn(df)
        pyreadstat.write_sav(df, str(path))
    return setup


def as_csv(country: str, writer):
    """Replace one country's .sav by a CSV written by ``writer(df, path)``."""
    def setup(w: Path):
        import pyreadstat

        df, _ = pyreadstat.read_sav(str(w / "data" / "raw" / f"{country}_2008.sav"), user_missing=True)
        writer(df, w / "data" / "raw" / f"{country}.csv")
        edit_yaml(w / "config" / "codebook.yaml",
                  lambda cb: cb["groups"][country].update(file=f"data/raw/{country}.csv"))
    return setup


def set_col(col, values):
    def fn(df):
        df = df.copy()
        df[col] = values if not callable(values) else values(df)
        return df
    return fn


def truncate(country: str, nbytes: int):
    def setup(w: Path):
        p = w / "data" / "raw" / f"{country}_2008.sav"
        p.write_bytes(p.read_bytes()[:nbytes])
    return setup


def both(*fns):
    def setup(w):
        for f in fns:
            f(w)
    return setup


def every_sav(fn):
    """Rewrite every country's .sav after ``fn(df)``."""
    def setup(w: Path):
        for country in ("UK", "FR", "DE", "DK", "CZ"):
            sav(country, fn)(w)
    return setup


def popn_design(value, **design):
    """A numeric column POPN (harmonised: popn) set to ``value`` in every file, and the design
    keys ``design`` (which may name it)."""
    return both(codebook(lambda cb: cb["variables"].update(
                    popn={"raw": "POPN", "missing": False, "label": "Population size"})),
                every_sav(set_col("POPN", float(value))),
                config(lambda c: c["design"].update(design)))


def with_replicates(n_rep=4, columns=True, **design):
    """Replicate weights RW1..RW<n_rep> (the weight times 0.5..1.5) in every file, the codebook
    variable ``repwt`` (role: replicates) and the design keys ``design`` (strata dropped)."""
    def add(df):
        df = df.copy()
        for r in range(1, n_rep + 1):
            df[f"RW{r}"] = df["WGT"] * (0.5 + (np.arange(len(df)) % (r + 1)) / (r + 1))
        return df
    return both(codebook(lambda cb: cb["variables"].update(
                    repwt={"raw": "RW[0-9]+", "role": "replicates"})),
                every_sav(add) if columns else (lambda w: None),
                config(lambda c: c["design"].update(
                    **{"strata": None, "replicates": "repwt", **design})))


def with_totals(rows: str, **calibration):
    """A totals CSV (``rows``: lines of variable,level,total) and design.calibration using it
    (method rake on gender unless given)."""
    def setup(w: Path):
        (w / "config" / "totals.csv").write_text("variable,level,total\n" + rows)
        config(lambda c: c["design"].update(calibration={
            "method": "rake", "variables": ["gender"], "totals": "config/totals.csv",
            **calibration}))(w)
    return setup


def append(rel: str, text: str):
    """Add ``text`` at the end of a project file (as text: a YAML edit would undo the mistake)."""
    def setup(w: Path):
        with open(w / rel, "a", encoding="utf-8") as fh:
            fh.write(text)
    return setup


def replace(rels, old: str, new: str):
    """Replace ``old`` by ``new`` in the text of project files."""
    def setup(w: Path):
        for rel in rels:
            p = w / rel
            p.write_text(p.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    return setup


#: a "billion laughs": nine levels of nine aliases, 387 million values in 600 bytes
ALIAS_BOMB = "\nlaughs:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  {b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))
#: the path a hostile name tries to reach, four folders above the results
ESCAPE = "../../../../escape"


def fit_target(outcome, sample, table="fit"):
    return f"results/models/fits/{outcome}/{sample}/{table}.csv"


# -- the cases --------------------------------------------------------------------------------

CASES: list[Case] = [
    # data files
    Case("missing-file", "data", "a raw file named in the codebook does not exist",
         "data/raw/FR_2008.sav: file not found",
         lambda w: (w / "data" / "raw" / "FR_2008.sav").unlink()),
    Case("empty-file", "data", "an empty (0-byte) file",
         "data/raw/UK_2008.sav: cannot read as sav",
         lambda w: (w / "data" / "raw" / "UK_2008.sav").write_bytes(b"")),
    Case("truncated-sav", "data", "a truncated SPSS file",
         "data/raw/UK_2008.sav: cannot read as sav (truncated, or not really this format?)",
         truncate("UK", 5000)),
    Case("not-spss", "data", "a text file with a .sav name",
         "data/raw/DK_2008.sav: cannot read as sav",
         lambda w: (w / "data" / "raw" / "DK_2008.sav").write_text("id,age\n1,30\n")),
    Case("header-only-csv", "data", "a CSV with a header and no rows",
         "data/raw/UK.csv: the file has no rows",
         as_csv("UK", lambda df, p: df.iloc[0:0].to_csv(p, index=False))),
    Case("semicolon-csv", "data", "a CSV separated by semicolons",
         "set `delimiter: ';'` for this group in the codebook",
         as_csv("UK", lambda df, p: df.to_csv(p, index=False, sep=";"))),
    Case("latin1-csv", "data", "a CSV in another encoding",
         "not readable as utf-8 text",
         as_csv("FR", lambda df, p: df.assign(NOTE="Réponse").to_csv(p, index=False, encoding="latin-1"))),
    Case("duplicated-columns", "data", "a CSV with a repeated column name",
         "data/raw/UK.csv: duplicated column name(s): 'Q51'",
         as_csv("UK", lambda df, p: p.write_text(
             df.rename(columns={"Q54": "Q51"}).to_csv(index=False)))),
    Case("missing-column", "data", "a column the codebook names is missing (with a suggestion)",
         "'Q51' (gender) (did you mean 'Q51X'?)",
         sav("DE", lambda df: df.rename(columns={"Q51": "Q51X"}))),
    Case("all-missing-column", "data", "a column that is entirely empty",
         "column(s) 'Q52' (education) are entirely empty in group 'DK'",
         sav("DK", set_col("Q52", np.nan))),
    Case("unknown-code", "data", "a code that neither the codebook nor the missing codes define",
         "column 'Q51' (gender) has code(s) 7",
         sav("UK", set_col("Q51", lambda df: df["Q51"].where(df.index != 3, 7)))),
    Case("unlabelled-code", "data", "an item code with no value label and no codebook entry",
         "column 'Q1A' (ind_safety_1) has code(s) 4",
         sav("CZ", set_col("Q1A", lambda df: df["Q1A"].where(df.index % 100 != 0, 4)))),
    Case("age-as-text", "data", "age delivered as text",
         "column 'Q50' should hold numbers but has 'forty'",
         as_csv("UK", lambda df, p: df.assign(Q50=df["Q50"].astype(object).where(df.index != 0, "forty")).to_csv(p, index=False))),
    Case("weight-as-text", "data", "a weight that is not a number",
         "column 'WGT' should hold numbers but has 'n/a'",
         as_csv("FR", lambda df, p: df.assign(WGT=df["WGT"].astype(object).where(df.index != 5, "n/a")).to_csv(p, index=False))),
    Case("negative-weight-stop", "data", "a negative weight, with cleaning.invalid_weight: stop",
         "column 'WGT' (weight) has 1 missing, zero or negative weight(s): -1",
         both(sav("UK", set_col("WGT", lambda df: df["WGT"].where(df.index != 0, -1.0))),
              config(lambda c: c["cleaning"].update(invalid_weight="stop")))),
    Case("nan-weight-stop", "data", "a missing weight, with cleaning.invalid_weight: stop",
         "missing, zero or negative weight(s): nan",
         both(sav("FR", set_col("WGT", lambda df: df["WGT"].where(df.index != 0, np.nan))),
              config(lambda c: c["cleaning"].update(invalid_weight="stop")))),
    Case("zero-weight-stop", "data", "a zero weight, with cleaning.invalid_weight: stop",
         "missing, zero or negative weight(s): 0",
         both(sav("FR", set_col("WGT", lambda df: df["WGT"].where(df.index != 0, 0.0))),
              config(lambda c: c["cleaning"].update(invalid_weight="stop")))),
    Case("no-rows-left", "data", "a country with no rows left (every weight invalid)",
         "group 'DK' has no rows left after cleaning",
         sav("DK", set_col("WGT", 0.0))),
    Case("unknown-format", "data", "a file whose extension is not a known format",
         "cannot tell the file format from the extension '.xlsx'",
         lambda w: (edit_yaml(w / "config" / "codebook.yaml",
                              lambda cb: cb["groups"]["UK"].update(file="data/raw/UK.xlsx")),
                    (w / "data" / "raw" / "UK.xlsx").write_bytes(b"PK\x03\x04"))),
    # codebook
    Case("codebook-unknown-key", "codebook", "a misspelt key in the codebook",
         "unknown key 'groups.FR.not_askd' (did you mean 'not_asked'?)",
         codebook(lambda cb: cb["groups"]["FR"].update(not_askd=cb["groups"]["FR"].pop("not_asked")))),
    Case("codebook-recode-unknown-level", "codebook", "a recode mapping to a level that is not defined",
         "codes map to ['sometime'] which are not in levels",
         codebook(lambda cb: cb["variables"]["ind_safety_1"]["codes"].update({2: "sometime"}))),
    Case("codebook-unknown-variable", "codebook", "a group override naming an unknown variable",
         "groups.CZ.codes: unknown variable 'gendr' (did you mean 'gender'?)",
         codebook(lambda cb: cb["groups"]["CZ"].update(codes={"gendr": {1: "woman", 2: "man"}}))),
    Case("codebook-yaml-syntax", "codebook", "a codebook that is not valid YAML",
         "config/codebook.yaml: not valid YAML",
         lambda w: (w / "config" / "codebook.yaml").write_text("variables: [unclosed\n")),
    Case("codebook-missing-file", "codebook", "config names a codebook that does not exist",
         "config/nope.yaml: file not found",
         config(lambda c: c["data"].update(codebook="config/nope.yaml"))),
    # config
    Case("config-unknown-key", "config", "a misspelt config key",
         "unknown key 'cleaning.treshold' (did you mean 'threshold'?)",
         config(lambda c: c["cleaning"].update(treshold=c["cleaning"].pop("threshold")))),
    Case("config-wrong-type", "config", "a setting of the wrong type",
         "models.conf_level: 'high' is not of type 'number'",
         config(lambda c: c["models"].update(conf_level="high"))),
    Case("config-impossible-threshold", "config", "a threshold that is not an answer level",
         "cleaning.threshold: 'always' is not a level of item",
         config(lambda c: c["cleaning"].update(threshold="always"))),
    Case("config-unknown-covariate", "config", "a covariate that is not a column",
         "'self_eficacy' is not a column of the clean table (did you mean 'self_efficacy'?)",
         config(lambda c: c["models"]["covariates"].append("self_eficacy"))),
    Case("config-bad-reference", "config", "a reference level that does not exist",
         "models.reference_levels.gender: 'male' is not a level of 'gender'",
         config(lambda c: c["models"]["reference_levels"].update(gender="male"))),
    Case("config-unknown-sample", "config", "a sample that is neither pooled nor a group",
         "'GB' is neither 'pooled' nor a group",
         config(lambda c: c["models"]["samples"].append("GB"))),
    Case("config-weight-column", "config", "a design column that does not exist",
         "design.weights: 'wgt' is not a column of the clean table (did you mean 'weight'?)",
         config(lambda c: c["design"].update(weights="wgt"))),
    Case("config-model-based-weighted", "config", "model-based errors asked for weighted data",
         "model_based: true is only for unweighted data",
         config(lambda c: c["design"].update(model_based=True))),
    Case("config-yaml-syntax", "config", "a config file that is not valid YAML",
         "config/config.yaml: not valid YAML",
         lambda w: (w / "config" / "config.yaml").write_text("data: {codebook: [\n")),
    # design: finite-population corrections and second stages
    Case("config-fpc-not-a-column", "config", "an fpc column that does not exist",
         "design.fpc: 'popsize' is not a column of the clean table",
         config(lambda c: c["design"].update(fpc="popsize"))),
    Case("config-ssu-without-psu", "config", "second-stage units without first-stage clusters",
         "design.ssu: 'weight' names second-stage units, which need first-stage clusters",
         config(lambda c: c["design"].update(ssu="weight"))),
    Case("config-fpc2-without-ssu", "config", "second-stage population sizes without "
         "second-stage units", "design.fpc2: 'weight' gives second-stage population sizes",
         config(lambda c: c["design"].update(fpc2="weight"))),
    Case("design-fpc-varies", "data", "a population size that varies within a stratum",
         "design.fpc: column 'weight' varies within stratum",
         config(lambda c: c["design"].update(fpc="weight")),
         target=fit_target("individual_any", "pooled")),
    Case("design-fpc-too-small", "data", "a population smaller than the sample",
         "design.fpc: column 'popn' gives 10 respondents in the population of stratum",
         popn_design(10, fpc="popn"), target=fit_target("individual_any", "pooled")),
    Case("design-fpc-zero", "data", "a sampling fraction of zero",
         "design.fpc: column 'popn' has the value 0; population sizes must be positive",
         popn_design(0, fpc="popn"), target=fit_target("individual_any", "pooled")),
    # any survey by config: groups, incomplete cases, names, optional parts, YAML
    Case("config-group-column-clash", "config", "a group column named like a codebook variable",
         "groups.column: 'gender' is also a variable of the codebook",
         config(lambda c: c["groups"].update(column="gender"))),
    Case("config-groups-unknown-key", "config", "a misspelt key of the groups section",
         "unknown key 'groups.colum' (did you mean 'column'?)",
         config(lambda c: c["groups"].update(colum=c["groups"].pop("column")))),
    Case("config-incomplete-unknown", "config", "an unknown rule for incomplete cases",
         "design.incomplete: 'omit' is not one of ['keep', 'drop']",
         config(lambda c: c["design"].update(incomplete="omit"))),
    Case("config-group-effects-text", "config", "group effects set to a word, not true/false",
         "models.group_effects: 'sometimes' is not true or false",
         config(lambda c: c["models"].update(group_effects="sometimes"))),
    Case("config-yaml-no-unquoted", "config", "a reference level written no without quotes "
         "(YAML reads it as false)",
         "config/config.yaml, line 111: models.reference_levels.informed: no is read by YAML "
         "as false, not as the text no; write it in quotes: 'no'",
         lambda w: (w / "config" / "config.yaml").write_text(
             (w / "config" / "config.yaml").read_text(encoding="utf-8").replace(
                 'informed: "no"', "informed: no"), encoding="utf-8")),
    Case("codebook-yaml-true-label", "codebook", "an answer label written true without quotes",
         "variables.informed_safety.codes.1: true is read by YAML as true, not as the text "
         "true; write it in quotes: 'true'",
         codebook(lambda cb: cb["variables"]["informed_safety"]["codes"].update({1: True}))),
    Case("codebook-two-ids", "codebook", "two variables with role: id",
         "at most one variable may have `role: id` (found respondent_id, weight_id)",
         codebook(lambda cb: cb["variables"].update(
             weight_id={"raw": "WGT", "role": "id"}))),
    Case("codebook-indicator-level", "codebook", "a 0/1 indicator from a level that does not "
         "exist", "derived.female.levels: 'women' is not a level of 'gender'",
         codebook(lambda cb: cb.setdefault("derived", {}).update(
             female={"indicator": "gender", "levels": ["women"]}))),
    Case("codebook-cut-of-a-category", "codebook", "a numeric cut of a category variable",
         "outcomes.older.numeric: 'gender' is a category; a cut compares numbers",
         codebook(lambda cb: cb["outcomes"].update(
             older={"numeric": "gender", "at_or_above": 2}))),
    Case("codebook-cut-without-value", "codebook", "a numeric cut with no value (or two)",
         "outcomes.older: a cut needs exactly one of above, at_or_above, below, at_or_below",
         codebook(lambda cb: cb["outcomes"].update(older={"numeric": "age"}))),
    Case("findings-claim-does-not-fit", "config", "a claim about a covariate the models lack",
         "claim 'trust_individual' does not fit these models (covariate: 'trust' is not one "
         "of models.covariates); mark it `optional: true`",
         lambda w: edit_yaml(w / "config" / "findings.yaml", lambda f: f["claims"].append(
             {"id": "trust_individual", "claim": "Trust goes with individual co-production.",
              "covariate": "trust", "outcome": "individual_any", "expected": "positive",
              "source": "parrado2013"}))),
    Case("findings-equivalence-not-around-1", "config", "an equivalence bound that is not an "
         "interval around 1", "claim 'gender_collective': equivalence: [1.1, 1.25] is not an "
         "interval of odds ratios around 1",
         lambda w: edit_yaml(w / "config" / "findings.yaml", lambda f: next(
             c for c in f["claims"] if c["id"] == "gender_collective").update(
                 equivalence=[1.1, 1.25]))),
    Case("findings-file-missing", "config", "report.findings names a file that does not exist",
         "config/claims.yaml: file not found",
         config(lambda c: c["report"].update(findings="config/claims.yaml"))),
    Case("results-folder-is-a-file", "config", "the results key names an existing file",
         "cannot write results: 'config/codebook.yaml' exists and is not a folder",
         config(lambda c: c.update(results="config/codebook.yaml"))),
    # replicate weights
    Case("replicates-no-columns", "data", "no raw column matches the replicate pattern",
         "data/raw/UK_2008.sav: no column matches 'RW[0-9]+', the pattern of the replicate "
         "weights 'repwt'", with_replicates(columns=False, replicate_type="JK1")),
    Case("replicates-negative", "data", "a negative replicate weight",
         "column 'RW2' (replicate weight repwt_2) has 1 missing or negative value(s): -1",
         both(with_replicates(replicate_type="JK1"),
              sav("FR", set_col("RW2", lambda df: df["RW2"].where(df.index != 4, -1.0))))),
    Case("replicates-no-type", "config", "replicate weights without their type",
         "design.replicates: 'repwt' needs design.replicate_type", with_replicates()),
    Case("replicates-with-strata", "config", "replicate weights and strata together",
         "design.psu: 'country' cannot be used with replicate weights",
         both(with_replicates(replicate_type="JK1"),
              config(lambda c: c["design"].update(psu="country")))),
    Case("replicates-fay-rho", "config", "Fay's rho outside [0, 1)",
         "design.fay_rho: 1.2 is outside [0, 1)",
         with_replicates(replicate_type="Fay", fay_rho=1.2)),
    Case("replicates-jkn-rscales", "config", "JKn replicates without their rscales",
         "design.replicate_rscales: replicate_type JKn needs one rscale per replicate",
         with_replicates(replicate_type="JKn")),
    Case("replicates-other-scale", "config", "replicates of type other without a scale",
         "design.replicate_scale: replicate_type other needs its scale",
         with_replicates(replicate_type="other")),
    Case("replicates-unknown-type", "config", "an unknown replicate type",
         "design.replicate_type: 'JK2' is not one of",
         with_replicates(replicate_type="JK2")),
    Case("replicates-not-a-replicate-variable", "config", "design.replicates names an "
         "ordinary variable", "design.replicates: 'age' is not a codebook variable with "
         "`role: replicates` (the codebook has repwt)",
         with_replicates(replicate_type="JK1", replicates="age")),
    Case("replicates-rscales-count", "config", "fewer rscales than replicates",
         "design.replicate_rscales: 3 non-negative numbers for 4 replicates are needed",
         with_replicates(replicate_type="JKn", replicate_rscales=[1.0, 1.0, 1.0]),
         target=fit_target("individual_any", "pooled")),
    Case("replicates-rscales-file", "config", "a file of rscales with a value that is no number",
         "design.replicate_rscales: file 'config/rscales.csv', row 3: 'n/a' is not a "
         "non-negative number",
         both(with_replicates(replicate_type="JKn", replicate_rscales="config/rscales.csv"),
              append("config/rscales.csv", "rscales\n0.5\nn/a\n0.5\n0.5\n"))),
    # calibration to population totals
    Case("calibration-unknown-level", "config", "a total for a level the variable does not have",
         "config/totals.csv: 'gender' has no level(s) ['men'] (levels: man, woman)",
         with_totals("gender,men,2400\ngender,woman,2600\n")),
    Case("calibration-level-without-total", "config", "a level of the variable without a total",
         "config/totals.csv: no total for level(s) ['woman'] of 'gender'",
         with_totals("gender,man,2400\n")),
    Case("calibration-negative-total", "config", "a negative population total",
         "config/totals.csv: row 3: total '-5' of gender 'woman' is not a non-negative number",
         with_totals("gender,man,2400\ngender,woman,-5\n")),
    Case("calibration-inconsistent-margins", "config", "margins that add up to different "
         "populations", "the margins add up to different populations (gender: 5000, urban: 4000)",
         with_totals("gender,man,2400\ngender,woman,2600\nurban,rural,1000\nurban,urban,3000\n",
                     variables=["gender", "urban"])),
    Case("calibration-numeric-variable", "config", "calibration to a numeric variable",
         "design.calibration.variables: 'age' is numeric",
         with_totals("age,,5000\n", variables=["age"])),
    Case("calibration-unknown-method", "config", "an unknown calibration method",
         "design.calibration.method: 'ipf' is not one of",
         with_totals("gender,man,2400\ngender,woman,2600\n", method="ipf")),
    Case("calibration-totals-missing", "config", "a totals file that does not exist",
         "design.calibration.totals: config/nope.csv: file not found",
         config(lambda c: c["design"].update(calibration={
             "method": "rake", "variables": ["gender"], "totals": "config/nope.csv"}))),
    Case("calibration-level-without-respondents", "data", "a level with a total but no "
         "respondents", "calibration: level(s) ['rural'] of 'urban' have a population total "
         "but no respondents",
         both(every_sav(set_col("Q54", 1.0)),
              with_totals("urban,rural,1000\nurban,urban,4000\n", variables=["urban"])),
         target=fit_target("individual_any", "pooled")),
    Case("calibration-variable-missing", "data", "a calibration variable missing for some",
         "calibration variable 'education' is missing for 11 respondent(s)",
         with_totals("education,low,1200\neducation,medium,2500\neducation,high,1300\n",
                     variables=["education"]),
         target=fit_target("individual_any", "pooled")),
    Case("calibration-no-convergence", "data", "bounds that the totals cannot meet",
         "calibration (linear, bounds [0.99, 1.01]) did not converge",
         with_totals("gender,man,1000\ngender,woman,4000\n", method="linear",
                     bounds=[0.99, 1.01]),
         target=fit_target("individual_any", "pooled")),
    # models on the survey's own scales (issue 14)
    Case("config-ordinal-no-order", "config", "an outcome declared ordinal whose levels have no "
         "order", "'employment' is declared ordinal but its levels have no order",
         config(lambda c: c["models"]["outcomes"].append({"employment": "ordinal"}))),
    Case("config-ordinal-two-levels", "config", "an outcome declared ordinal with two levels",
         "'urban' is declared ordinal but has 2 levels",
         config(lambda c: c["models"]["outcomes"].append({"urban": "ordinal"}))),
    Case("config-count-category", "config", "a category declared a count",
         "'collective_any_level' is declared count but is a category",
         config(lambda c: c["models"]["outcomes"].__setitem__(
             c["models"]["outcomes"].index({"collective_any_level": "ordinal"}),
             {"collective_any_level": "count"}))),
    Case("config-joint-test-unknown", "config", "a joint test naming a covariate not in the "
         "models", "models.joint_tests.contact: 'contacted' is not one of models.covariates "
         "(did you mean 'consulted'?)",
         config(lambda c: c["models"].__setitem__("joint_tests",
                                                  {"contact": ["informed", "contacted"]}))),
    Case("config-scales-binary", "config", "a 0/1 outcome listed as another's ordinal or count "
         "version", "models.scales.individual_any: 'collective_any' is a 0/1 outcome",
         config(lambda c: c["models"]["scales"].__setitem__("individual_any",
                                                            ["collective_any"]))),
    Case("count-not-whole", "model", "a count outcome with values that are not whole numbers",
         "count outcome 'self_efficacy_sum': ",
         both(codebook(lambda cb: cb.setdefault("derived", {}).update(
             self_efficacy_sum={"mean_of": ["efficacy_safety", "efficacy_environment"],
                                "label": "Self-efficacy, two domains"})),
              config(lambda c: c["models"]["outcomes"].append({"self_efficacy_sum": "count"}))),
         target=fit_target("self_efficacy_sum", "pooled"), outcome="continue"),
    # multiple imputation (issue 15)
    Case("config-imputation-one", "config", "multiple imputation with fewer than two datasets",
         "imputation.m",
         config(lambda c: c["imputation"].update(m=1))),
    Case("config-imputation-chains", "config", "more imputation chains than datasets",
         "imputation.chains: 5 chains for m: 4 datasets",
         config(lambda c: c["imputation"].update(m=4, chains=5))),
    # the specification curve (issue 15)
    Case("config-specifications-unknown-dimension", "config", "a specification dimension that "
         "is not one", "specifications",
         config(lambda c: c["specifications"].update(weighting=[True, False]))),
    Case("config-specifications-unknown-value", "config", "a specification value that is not "
         "one", "specifications.missing",
         config(lambda c: c["specifications"].update(missing=["complete_case", "listwise"]))),
    Case("config-specifications-covariate", "config", "a covariate set naming an unknown "
         "covariate", "specifications.covariates.core: 'efficacy' is not one of "
         "models.covariates (did you mean 'self_efficacy'?)",
         config(lambda c: c["specifications"].update(covariates={"core": ["age", "efficacy"]}))),
    Case("config-specifications-imputed-without-mi", "config", "imputed specifications "
         "without multiple imputation", "specifications.missing: 'imputed' needs "
         "imputation.analyses: both",
         config(lambda c: c["imputation"].update(analyses="complete_case"))),
    # models: the run goes on, the problem is reported
    Case("collinear-covariate", "model", "a covariate that is a copy of another (singular design)",
         "singular design: the terms ['age', 'age_copy'] are linear combinations",
         both(codebook(lambda cb: cb.setdefault("derived", {}).update(
             age_copy={"mean_of": ["age"], "multiply": 2.0, "label": "Age, again"})),
              config(lambda c: c["models"]["covariates"].append("age_copy"))),
         target=fit_target("individual_any", "pooled"), outcome="continue"),
    Case("constant-in-country", "model", "a covariate constant within one country",
         "'urban' has the single value 'urban' for every respondent in this sample",
         sav("DK", set_col("Q54", 1.0)),
         target=fit_target("individual_any", "DK"), outcome="continue"),
    Case("no-events-in-country", "model", "an outcome with no events in one country",
         "the outcome is 0 for all",
         sav("CZ", lambda df: df.assign(**{c: df[c].where(~df[c].isin([1.0]), 2.0)
                                           for c in ("Q1D", "Q2D", "Q3D")})),
         target=fit_target("collective_any", "CZ"), outcome="continue"),
    Case("lonely-psu", "model", "a stratum with a single cluster (design.psu = region, strata = country)",
         "lonely_psu",
         both(codebook(lambda cb: cb["variables"].update(region={"raw": "REGION", "role": "psu"})),
              sav("DK", set_col("REGION", 1.0)),
              config(lambda c: c["design"].update(psu="region"))),
         target=fit_target("individual_any", "pooled"), outcome="continue"),
    # output
    Case("results-not-a-folder", "output", "the results folder is a file (cannot be written)",
         "results",
         lambda w: (w / "results").write_text("not a folder")),
    # hostile and extreme input (issue 31)
    Case("id-in-two-groups", "data", "the same respondent id in two groups",
         "column 'respondent_id': respondent id '1000001' is in groups UK and FR",
         sav("FR", set_col("RESPID", lambda df: df["RESPID"].where(df.index != 0, 1000001.0)))),
    Case("config-text-in-numeric-grid", "config", "a text among the values of a numeric "
         "variable in a prediction grid",
         "models.predictions.age_by_gender.age: '60<script>' is not a number",
         config(lambda c: c["models"]["predictions"]["age_by_gender"]["age"].append(
             "60<script>"))),
    Case("run-still-working", "output", "a second run in a results folder where a run is still "
         "working (after `snakemake --unlock`, or with Snakemake's lock removed by hand)",
         "coprod error: another run (process", lambda w: _live_run_record(w / "results")),
    # hostile and extreme input: YAML that costs anything to read, names that become paths
    Case("config-duplicate-key", "config", "a config key written twice (YAML keeps the last)",
         "config/config.yaml: the key 'conf_level' is written twice in one mapping",
         replace(["config/config.yaml"], "  conf_level: 0.95\n",
                 "  conf_level: 0.95\n  conf_level: 0.5\n")),
    Case("codebook-duplicate-key", "codebook", "a codebook key written twice",
         "config/codebook.yaml: the key 'group_label' is written twice in one mapping",
         append("config/codebook.yaml", "group_label: Land\n")),
    Case("findings-duplicate-key", "config", "a findings file key written twice",
         "config/findings.yaml: the key 'sources' is written twice in one mapping",
         append("config/findings.yaml", "sources: {}\n")),
    Case("config-alias-bomb", "config", "a config with an alias bomb (\"billion laughs\")",
         "config/config.yaml: its aliases (*e on line",
         append("config/config.yaml", ALIAS_BOMB)),
    Case("codebook-alias-bomb", "codebook", "a codebook with an alias bomb",
         "repeat more than 100,000 values (an alias 'bomb'?)",
         append("config/codebook.yaml", ALIAS_BOMB)),
    Case("findings-alias-bomb", "config", "a findings file with an alias bomb",
         "config/findings.yaml: its aliases (*e on line",
         append("config/findings.yaml", ALIAS_BOMB)),
    Case("codebook-deep-nesting", "codebook", "a codebook nested 100,000 levels deep",
         "config/codebook.yaml: nested more than 64 levels deep",
         append("config/codebook.yaml", "deep: " + "[" * 100_000 + "]" * 100_000 + "\n")),
    Case("codebook-not-utf8", "codebook", "a codebook saved as latin-1",
         "config/codebook.yaml: not UTF-8 text (byte 0xe9 on line",
         lambda w: open(w / "config" / "codebook.yaml", "ab").write(b"# R\xe9sum\xe9\n")),
    Case("codebook-is-a-folder", "codebook", "data.codebook names a folder",
         "config: is a folder, not a file",
         config(lambda c: c["data"].update(codebook="config"))),
    Case("codebook-is-a-device", "codebook", "data.codebook names a device (/dev/zero)",
         "/dev/zero: is not a regular file (a device, pipe or socket)",
         config(lambda c: c["data"].update(codebook="/dev/zero"))),
    Case("config-use-yte", "config", "a config that turns on YTE templating (runs Python)",
         "config/config.yaml: __use_yte__: true makes Snakemake run the Python in this file",
         lambda w: (w / "config" / "config.yaml").write_text(
             "__use_yte__: true\n" + (w / "config" / "config.yaml").read_text(encoding="utf-8"),
             encoding="utf-8")),
    Case("data-file-is-a-folder", "data", "a raw file: that is a folder",
         "data/raw: is a folder, not a file (named in config/codebook.yaml under groups.UK.file)",
         codebook(lambda cb: cb["groups"]["UK"].update(file="data/raw"))),
    Case("data-file-is-a-device", "data", "a raw file: that is a device (/dev/zero)",
         "/dev/zero: is not a regular file (a device, pipe or socket)",
         codebook(lambda cb: cb["groups"]["UK"].update(file="/dev/zero", format="csv"))),
    Case("latin1-in-a-late-row", "data", "one latin-1 byte in the last row of a long CSV",
         "data/raw/FR.csv: not readable as utf-8 text (line 1009, byte 0xe9)",
         as_csv("FR", lambda df, p: p.write_bytes(
             df.assign(NOTE=["ok"] * (len(df) - 1) + ["R\xe9ponse"]).to_csv(index=False)
             .encode("latin-1")))),
    Case("huge-value", "data", "a 1,000,000-character value where a number belongs",
         "xxxxxxxx... (1,000,002 characters) (1 value(s))",
         as_csv("UK", lambda df, p: df.assign(Q50=df["Q50"].astype(object).where(
             df.index != 0, "x" * 1_000_000)).to_csv(p, index=False))),
    Case("outcome-path-traversal", "config", f"an outcome named {ESCAPE}",
         f"config: models.outcomes: '{ESCAPE}' cannot name a file",
         replace(["config/config.yaml", "config/codebook.yaml", "config/findings.yaml"],
                 "individual_any", f'"{ESCAPE}"')),
    Case("grid-path-traversal", "config", f"a prediction grid named {ESCAPE}",
         f"config: models.predictions: '{ESCAPE}' cannot name a file",
         both(replace(["config/config.yaml"], "    self_efficacy:\n      self_efficacy:",
                      f'    "{ESCAPE}":\n      self_efficacy:'),
              replace(["config/config.yaml"], "{grid: self_efficacy,", f'{{grid: "{ESCAPE}",'))),
    Case("table-path-traversal", "config", f"a model table named {ESCAPE}",
         f"report.tables.models.{ESCAPE}: '{ESCAPE}' cannot name a file",
         config(lambda c: c["report"]["tables"].setdefault("models", {}).update(
             {ESCAPE: {"samples": ["pooled"]}}))),
    Case("calibration-totals-is-a-folder", "config", "design.calibration.totals names a folder",
         "design.calibration.totals: config: is a folder, not a file",
         config(lambda c: c["design"].update(calibration={
             "method": "rake", "variables": ["gender"], "totals": "config"}))),
    Case("results-empty", "config", "results: \"\" (the outputs among the project's files)",
         "config: results: is empty", config(lambda c: c.update(results=""))),
    Case("results-dot", "config", "results: . (the project folder)",
         "config: results: '.' is the project folder or holds it",
         config(lambda c: c.update(results="."))),
    Case("results-outside", "config", "results: ../outside (outside the project)",
         "config: results: '../outside' is outside the project",
         config(lambda c: c.update(results="../outside"))),
    Case("results-absolute", "config", "results: an absolute path outside the project",
         "is outside the project; use a folder inside it (e.g. results/mine), or set "
         "results_outside: true", config(lambda c: c.update(results="/tmp/coprod-results"))),
    # issue 29: words YAML makes true/false named as written; outcomes named by their kind
    Case("config-compare-ordinal", "config", "an ordinal outcome among the compared pair of "
         "figures", "report.figures.compare: 'individual_domains' is an ordinal outcome "
         "({individual_domains: ordinal} in models.outcomes): the compared pair is drawn side "
         "by side as 0/1 outcomes",
         config(lambda c: c["report"]["figures"].update(
             compare=["individual_any", "individual_domains"]))),
    Case("config-contrast-count", "config", "a count outcome in the contrast test",
         "models.contrast: 'collective_count' is a count outcome ({collective_count: count} in "
         "models.outcomes): the contrast test compares the log odds ratios of two 0/1 outcomes",
         config(lambda c: c["models"].update(contrast=["individual_any", "collective_count"]))),
    Case("config-yaml-group-unquoted", "config", "a group coded NO (Norway) without quotes "
         "in models.samples (the codebook reads it as the text NO)",
         "config/config.yaml, line 115: models.samples: NO is read by YAML as false, not as the "
         "text NO; write it in quotes: 'NO'",
         both(replace(["config/codebook.yaml"], "\n  DK:\n", "\n  NO:\n"),
              replace(["config/config.yaml"], "samples: [pooled, UK, FR, DE, DK, CZ]",
                      "samples: [pooled, UK, FR, DE, NO, CZ]"))),
    Case("config-yaml-word-key", "config", "a word for the level yes keyed yes without quotes",
         "report.words: the key yes is read by YAML as true, not as the text yes; write it in "
         "quotes: 'yes'", replace(["config/config.yaml"], "    man: Men\n",
                                  "    man: Men\n    yes: Agreed\n")),
    Case("codebook-yaml-true-code", "codebook", "raw codes TRUE and FALSE (an R export) "
         "without quotes", "variables.informed_safety.codes: the key TRUE is read by YAML as "
         "true, not as the text TRUE; write it in quotes: 'TRUE'",
         replace(["config/codebook.yaml"], 'informed_safety: {raw: Q13A, type: category, '
                 'codes: {1: "yes", 2: "no"}', 'informed_safety: {raw: Q13A, type: category, '
                 'codes: {TRUE: "yes", FALSE: "no"}')),
    Case("config-scales-key-ordinal", "config", "an ordinal outcome as a key of models.scales "
         "(the keys are 0/1 outcomes)", "config: models.scales: 'individual_domains' is an "
         "ordinal outcome ({individual_domains: ordinal} in models.outcomes): its keys are 0/1 "
         "outcomes, each listing its ordinal and count versions",
         config(lambda c: c["models"]["scales"].update(individual_domains=["collective_count"]))),
    Case("codebook-group-pooled", "codebook", "a group named pooled (the name of all groups "
         "together)", "config: the codebook's group 'pooled' has the name of all groups "
         "together", both(replace(["config/codebook.yaml"], "\n  DK:\n", "\n  pooled:\n"),
                          replace(["config/config.yaml"], "samples: [pooled, UK, FR, DE, DK, CZ]",
                                  "samples: [pooled, UK, FR, DE, CZ]"))),
    # no models, or no covariates (issue 29): an empty list runs what it can; with both empty
    # and nothing named to describe, nothing is left to run
    Case("config-nothing-to-describe", "config", "no outcome, no covariate and no variable to "
         "describe (models.outcomes and models.covariates empty, report.descriptives.variables "
         "null)", "models.outcomes is empty and there is nothing to describe",
         config(lambda c: c["models"].update(outcomes=[], covariates=[]))),
    Case("replicates-rscales-column", "config", "a column of a file of rscales that the file "
         "does not have", "design.replicate_rscales: file 'config/replicates.csv' has no column "
         "'jk_factor' (its columns: replicate, factor)",
         both(with_replicates(replicate_type="JKn", replicate_rscales={
             "file": "config/replicates.csv", "column": "jk_factor"}),
              append("config/replicates.csv", "replicate,factor\n1,0.5\n2,0.5\n3,0.5\n4,0.5\n"))),
]


def _live_run_record(results: Path) -> None:
    """A record of a run that is still working: this (test) process, alive while Snakemake
    runs and not Snakemake itself."""
    import json
    import os
    import socket

    from coprod.pipeline.runlock import RECORD, _start_ticks

    results.mkdir(parents=True, exist_ok=True)
    (results / RECORD).write_text(json.dumps(
        {"host": socket.gethostname(), "pid": os.getpid(), "start": _start_ticks(os.getpid()),
         "started": "2026-01-01 00:00:00 UTC"}), encoding="utf-8")


# checked through Snakemake too (tests/e2e/test_catalogue_runs.py), though the unit test checks
# them in-process: one case of each kind, so that the console shows the one-line message and no
# traceback end to end
THROUGH_SNAKEMAKE = {"missing-file", "truncated-sav", "codebook-unknown-key",
                     "config-unknown-key", "config-yaml-syntax", "results-not-a-folder",
                     # the model stage: a design that stops the run, a model that fails alone
                     "design-fpc-varies", "constant-in-country",
                     # a word YAML made true/false: found again in the file Snakemake read
                     "config-yaml-group-unquoted"}
# the cases only a Snakemake run shows (no stage function meets them: the run lock)
SNAKEMAKE_ONLY = {"run-still-working"}
