"""The cleaning engine on small hand-made surveys: each mechanism, the row accounting, bad input."""
import numpy as np
import pandas as pd
import pytest

from coprod.errors import ConfigError, DataError
from coprod.pipeline.clean import clean_survey as _clean_survey
from coprod.pipeline.clean import summarise_log
from coprod.pipeline.codebook import Codebook, validate_codebook


def clean_survey(cb: dict, **kw):
    """The cleaning of a codebook written here as a dict (and changed after its check)."""
    return _clean_survey(Codebook.from_yaml(cb), **kw)


def codebook(**groups):
    cb = {
        "survey": "toy",
        "group_label": "Country",
        "defaults": {"missing": {8: "dont_know", 9: "refused"}},
        "variables": {
            "respondent_id": {"raw": "ID", "role": "id"},
            "weight": {"raw": "W", "role": "weight"},
            "age": {"raw": "AGE", "type": "numeric", "valid_range": [18, 105], "missing": False},
            "gender": {"raw": "SEX", "type": "category", "codes": {1: "man", 2: "woman"}},
            "eff": {"raw": "EFF", "type": "numeric", "valid_range": [1, 4]},
            "item_a": {"raw": "A", "type": "category", "codes": {1: "often", 2: "sometimes", 3: "never"},
                       "levels": ["never", "sometimes", "often"], "ordered": True},
            "item_b": {"raw": "B", "type": "category", "codes": {1: "often", 2: "sometimes", 3: "never"},
                       "levels": ["never", "sometimes", "often"], "ordered": True},
        },
        "groups": groups,
        "derived": {"eff_scale": {"mean_of": ["eff"], "min_valid": 1}},
        "outcomes": {"any_ab": {"items": ["item_a", "item_b"]}},
    }
    validate_codebook(cb)
    return cb


def raw(n=6, **over):
    df = pd.DataFrame({
        "ID": [f"r{i}" for i in range(n)],
        "W": np.linspace(0.5, 1.5, n),
        "AGE": np.arange(20, 20 + n, dtype=float),
        "SEX": [1, 2] * (n // 2),
        "EFF": [1, 2, 3, 4, 8, 9][:n],
        "A": [1, 2, 3, 3, 9, 2][:n],
        "B": [3, 3, 3, 1, 8, 9][:n],
    })
    for k, v in over.items():
        df[k] = v
    return df


def write(tmp_path, name, df):
    p = tmp_path / f"{name}.csv"
    df.to_csv(p, index=False)
    return p.name


def run(tmp_path, frames, overrides=None, threshold="often"):
    groups = {}
    for g, df in frames.items():
        groups[g] = {"file": write(tmp_path, g, df), **(overrides or {}).get(g, {})}
    return clean_survey(codebook(**groups), root=tmp_path, threshold=threshold)


def test_basic_recodes_and_outcomes(tmp_path):
    table, log = run(tmp_path, {"AA": raw()})
    assert list(table["gender"]) == ["man", "woman"] * 3
    # missing codes 8/9 become missing, counted by reason
    assert table["eff"].isna().sum() == 2
    sm = log[(log.step == "set_missing") & (log.variable == "eff")]
    assert dict(zip(sm.reason, sm["count"])) == {"dont_know": 1, "refused": 1}
    # outcome: any item often -> 1; none often but answered -> 0; nothing answered -> NA
    assert table["any_ab"].tolist()[:4] == [1, 0, 0, 1]
    assert pd.isna(table["any_ab"].iloc[4])
    assert table["any_ab"].iloc[5] == 0


def test_threshold_sometimes(tmp_path):
    table, _ = run(tmp_path, {"AA": raw()}, threshold="sometimes")
    assert table["any_ab"].tolist()[:4] == [1, 1, 0, 1]


def test_group_missing_codes_rename_codes_transform_not_asked(tmp_path):
    other = raw().rename(columns={"A": "A_RENAMED"})
    other["SEX"] = [2, 1] * 3                      # reversed coding
    other["AGE"] = 2008 - other["AGE"]              # year of birth
    other["EFF"] = [1, 2, 3, 4, 98, 99]             # other missing codes
    other["A_RENAMED"] = [1, 2, 3, 3, 99, 2]
    other = other.drop(columns=["B"])               # not asked
    other["ID"] = [f"b{i}" for i in range(6)]       # ids are unique across the groups
    table, log = run(tmp_path, {"AA": raw(), "BB": other}, {"BB": {
        "missing": {98: "dont_know", 99: "refused"},
        "rename": {"item_a": "A_RENAMED"},
        "codes": {"gender": {1: "woman", 2: "man"}},
        "transform": {"age": {"year_of_birth": 2008}},
        "not_asked": ["item_b"],
    }})
    aa, bb = table[table.group == "AA"], table[table.group == "BB"]
    assert list(bb["gender"]) == list(aa["gender"])
    assert list(bb["age"]) == list(aa["age"])
    assert bb["eff"].isna().sum() == 2
    assert bb["item_b"].isna().all()
    assert list(bb["item_a"]) == list(aa["item_a"])
    nb = log[(log.group == "BB") & (log.reason == "not_asked")]
    assert nb["count"].sum() == 6
    rec = log[(log.group == "BB") & (log.step == "recode")]
    assert set(rec.variable) == {"gender", "age"}


def test_an_id_in_two_groups_stops_the_cleaning_naming_it(tmp_path):
    """An id names one respondent of the survey (the contrast test pairs answers by it)."""
    other = raw()
    other["ID"] = [f"b{i}" for i in range(5)] + ["r3"]
    with pytest.raises(DataError, match=r"respondent id 'r3' is in groups AA and BB \(1 id"):
        run(tmp_path, {"AA": raw(), "BB": other})


def test_duplicates_weights_ages_and_accounting(tmp_path):
    df = raw(6)
    df = pd.concat([df, df.iloc[[0]]], ignore_index=True)           # exact repeat
    clash = df.iloc[[1]].copy()
    clash["AGE"] = 77                  # same id, other content
    df = pd.concat([df, clash], ignore_index=True)
    df.loc[2, "W"] = np.nan
    df.loc[3, "AGE"] = 150
    table, log = run(tmp_path, {"AA": df})
    s = summarise_log(log).iloc[0]
    assert s["read"] == 8
    assert s["dropped_duplicate_record"] == 1
    assert s["dropped_conflicting_duplicate_id"] == 2
    assert s["dropped_invalid_weight"] == 1
    assert s["kept"] == 4 == len(table)
    assert s["balanced"]
    assert table.loc[table.respondent_id == "r3", "age"].isna().all()
    oor = log[log.reason == "out_of_range"]
    assert oor["value"].tolist() == ["150"] and oor["count"].tolist() == [1]


@pytest.mark.parametrize("mutate, needle", [
    (lambda d: d.drop(columns=["SEX"]), "'SEX' (gender)"),
    (lambda d: d.assign(SEX=[1, 2, 5, 1, 2, 1]), "code(s) 5"),
    (lambda d: d.assign(AGE=["20", "x", "22", "23", "24", "25"]), "'AGE' should hold numbers but has 'x'"),
    (lambda d: d.assign(W=0.0), "no rows left"),
    (lambda d: d.iloc[0:0], "no rows"),
])
def test_bad_input_names_file_column_value(tmp_path, mutate, needle):
    with pytest.raises(DataError) as e:
        run(tmp_path, {"AA": mutate(raw())})
    assert needle in str(e.value)
    assert "AA.csv" in str(e.value)


def test_missing_columns_listed_at_once_with_suggestion(tmp_path):
    df = raw().rename(columns={"SEX": "SEKS", "EFF": "EFFF"})
    with pytest.raises(DataError) as e:
        run(tmp_path, {"AA": df})
    msg = str(e.value)
    assert "2 column(s)" in msg and "did you mean 'SEKS'" in msg and "did you mean 'EFFF'" in msg


def test_missing_file(tmp_path):
    cb = codebook(AA={"file": "nope.csv"})
    with pytest.raises(DataError, match="nope.csv: file not found"):
        clean_survey(cb, root=tmp_path)


def test_empty_file(tmp_path):
    (tmp_path / "AA.csv").write_text("")
    with pytest.raises(DataError, match="AA.csv: the file is empty"):
        clean_survey(codebook(AA={"file": "AA.csv"}), root=tmp_path)


def test_bad_threshold(tmp_path):
    with pytest.raises(ConfigError, match="'oftn' is not a level.*did you mean 'often'"):
        run(tmp_path, {"AA": raw()}, threshold="oftn")


def test_codebook_reference_errors():
    with pytest.raises(ConfigError, match="unknown variable 'gendr'.*did you mean 'gender'"):
        codebook(AA={"file": "a.csv", "codes": {"gendr": {1: "x"}}})


def test_a_codebook_read_without_its_schema_is_the_checked_one():
    """load_codebook(schema=False) (a job reading the codebook the workflow's start-up has
    checked) gives the codebook the checked reading gives; its names are still checked
    against each other."""
    from conftest import ROOT

    from coprod.pipeline.codebook import load_codebook

    path = ROOT / "config" / "codebook.yaml"
    assert load_codebook(path, schema=False) == load_codebook(path)
    bad = {"survey": "toy", "variables": {"gender": {"raw": "SEX", "type": "category"}},
           "groups": {"AA": {"file": "a.csv", "codes": {"gendr": {1: "x"}}}}}
    with pytest.raises(ConfigError, match="unknown variable 'gendr'"):
        validate_codebook(bad, schema=False)


def test_groups_from_one_file_with_where_and_unassigned_rows_counted(tmp_path):
    df = raw(6).assign(REG=["n", "n", "s", "s", "x", None])
    df.to_csv(tmp_path / "all.csv", index=False)
    groups = {"Región Norte": {"file": "all.csv", "where": {"REG": "n"}},
              "Sur y Centro": {"file": "all.csv", "where": {"REG": ["s", "c"]}}}
    table, log = clean_survey(codebook(**groups), root=tmp_path)
    assert table.groupby("group", observed=True).size().to_dict() == {"Región Norte": 2, "Sur y Centro": 2}
    s = summarise_log(log).set_index("group")
    assert s.loc["(no group)", "read"] == 2 and s.loc["(no group)", "dropped_no_group"] == 2
    assert s["balanced"].all() and s["read"].sum() == 6


def test_where_that_matches_nothing_is_an_error(tmp_path):
    raw(6).assign(REG="n").to_csv(tmp_path / "all.csv", index=False)
    groups = {"A": {"file": "all.csv", "where": {"REG": "n"}},
              "B": {"file": "all.csv", "where": {"REG": "q"}}}
    with pytest.raises(DataError, match="group 'B' has no rows: no value of column 'REG' equals 'q'"):
        clean_survey(codebook(**groups), root=tmp_path)


def test_invalid_weight_stop_names_file_column_values(tmp_path):
    df = raw(6)
    df.loc[1, "W"] = -2
    write(tmp_path, "AA", df)
    with pytest.raises(DataError, match=r"AA.csv: column 'W' \(weight\) has 1 missing, zero or negative weight\(s\): -2"):
        clean_survey(codebook(AA={"file": "AA.csv"}), root=tmp_path, invalid_weight="stop")


@pytest.mark.parametrize("fmt", ["sav", "dta", "parquet", "tsv"])
def test_every_input_format_gives_the_same_table(tmp_path, fmt):
    import pyreadstat

    df = raw(6)
    ref, _ = run(tmp_path, {"AA": df})
    path = tmp_path / f"AA.{fmt}"
    if fmt == "sav":
        pyreadstat.write_sav(df, str(path))
    elif fmt == "dta":
        pyreadstat.write_dta(df, str(path))
    elif fmt == "parquet":
        df.to_parquet(path)
    else:
        df.to_csv(path, sep="\t", index=False)
    table, _ = clean_survey(codebook(AA={"file": path.name}), root=tmp_path)
    pd.testing.assert_frame_equal(table, ref)


def test_outcome_from_category_levels(tmp_path):
    cb = codebook(AA={"file": write(tmp_path, "AA", raw())})
    cb["outcomes"]["is_woman"] = {"variable": "gender", "positive": ["woman"]}
    validate_codebook(cb)
    table, _ = clean_survey(cb, root=tmp_path)
    assert table["is_woman"].tolist() == [0, 1] * 3
    cb["outcomes"]["bad"] = {"variable": "gender", "positive": ["women"]}
    with pytest.raises(ConfigError, match="'women' is not a level of 'gender'.*did you mean 'woman'"):
        validate_codebook(cb)


def test_decimal_commas_are_named_and_can_be_read(tmp_path):
    df = raw(6)
    df["W"] = ["0,5", "1,5", "2", "1,25", "0,75", "1"]
    df.to_csv(tmp_path / "AA.csv", index=False, sep=";")
    cb = codebook(AA={"file": "AA.csv", "delimiter": ";"})
    with pytest.raises(DataError, match="look like decimal commas: set `decimal: ','`"):
        clean_survey(cb, root=tmp_path)
    cb = codebook(AA={"file": "AA.csv", "delimiter": ";", "decimal": ","})
    table, _ = clean_survey(cb, root=tmp_path)
    assert table["weight"].tolist() == [0.5, 1.5, 2.0, 1.25, 0.75, 1.0]


def test_an_outcome_can_have_its_own_threshold(tmp_path):
    cb = codebook(AA={"file": write(tmp_path, "AA", raw())})
    cb["outcomes"]["lenient"] = {"items": ["item_a", "item_b"], "threshold": "sometimes"}
    validate_codebook(cb)
    table, _ = clean_survey(cb, root=tmp_path, threshold="often")
    assert table["any_ab"].tolist()[:4] == [1, 0, 0, 1]
    assert table["lenient"].tolist()[:4] == [1, 1, 0, 1]


@pytest.mark.parametrize("ids, expected", [
    ([12.0, 7.0, np.nan], ["12", "7", pd.NA]),          # SPSS/Stata ids are floats
    ([12, 7, 3], ["12", "7", "3"]),
    ([1.5, 2.0, 3.0], ["1.5", "2", "3"]),                # not whole numbers: as written
    ([2.0 ** 60, 1.0, 2.0], [str(2 ** 60), "1", "2"]),   # beyond float precision: as _fmt
    (["r1", " r2", None], ["r1", " r2", pd.NA]),
    (np.array([2 ** 63 + 5, 1], dtype=np.uint64), [str(2 ** 63 + 5), "1"]),
])
def test_ids_as_text_whatever_their_type(ids, expected):
    from coprod.pipeline.clean import _as_text, _fmt

    got = _as_text(pd.Series(ids))
    assert str(got.dtype) == "string"
    assert [None if pd.isna(v) else v for v in got] == [None if v is pd.NA else v
                                                         for v in expected]
    # the same as the element-wise rule the vectorised path replaces
    ref = pd.Series(ids).map(_fmt, na_action="ignore").astype("string")
    assert got.equals(ref)


@pytest.mark.parametrize("variable, codes, stray", [
    ("item_a", {1: "often", 2: "sometimes", 3: "rarely"}, "rarely"),   # explicit levels
    ("gender", {1: "man", 2: "female"}, "female"),                    # levels from its codes
])
def test_group_codes_to_a_level_the_variable_lacks_stop(tmp_path, variable, codes, stray):
    """A group's codes say which raw code means which level; a new label would become
    missing in the pooled table (the levels are the variable's), so it stops."""
    with pytest.raises(ConfigError, match=rf"groups\.AA\.codes\.{variable}: codes map to "
                                          rf"\['{stray}'\], which are not levels"):
        run(tmp_path, {"AA": raw()}, {"AA": {"codes": {variable: codes}}})


@pytest.mark.parametrize("raw_codes", [
    pd.Series(pd.Categorical(["yes", "no", None])),          # e.g. an R factor in parquet
    pd.Series(["yes", "no", None], dtype=object),
    pd.Series(["yes", "no", None], dtype="string"),
])
def test_text_codes_of_any_dtype_become_the_levels(raw_codes):
    from coprod.pipeline.clean import _categorical, _normalised

    got = _categorical(_normalised(raw_codes), {"yes": 0, "no": 1}, ["agree", "disagree"])
    assert got.tolist()[:2] == ["agree", "disagree"] and pd.isna(got.iloc[2])
    assert list(got.cat.categories) == ["agree", "disagree"]


# -- any survey by config: no id column, a named group column, indicators, YAML words ----------

def test_without_an_id_column_rows_are_respondents_and_identical_rows_are_kept(tmp_path):
    cb = codebook(AA={"file": write(tmp_path, "AA", raw().drop(columns="ID").iloc[[0, 0, 1, 2]])})
    del cb["variables"]["respondent_id"]
    validate_codebook(cb)
    table, log = clean_survey(cb, root=tmp_path, group_column="region")
    assert len(table) == 4 and "region" in table and table.attrs["group_column"] == "region"
    assert log.columns[0] == "region"
    info = log.set_index("reason")["count"]
    assert info["no_id_column"] == 4 and info["identical_rows_kept"] == 1
    assert summarise_log(log).set_index("region").loc["AA", "kept"] == 4


def test_the_group_column_may_not_shadow_a_variable(tmp_path):
    with pytest.raises(ConfigError, match="groups.column: 'gender' is also a variable"):
        clean_survey(codebook(AA={"file": write(tmp_path, "AA", raw())}), root=tmp_path,
                     group_column="gender")


def test_indicator_from_category_levels(tmp_path):
    cb = codebook(AA={"file": write(tmp_path, "AA", raw(SEX=[1, 2, 2, 7, 1, 2]))})
    cb["variables"]["gender"]["missing"] = {7: "refused"}
    cb["derived"]["female"] = {"indicator": "gender", "levels": ["woman"]}
    validate_codebook(cb)
    table, _ = clean_survey(cb, root=tmp_path)
    assert table["female"].tolist()[:3] == [0.0, 1.0, 1.0] and np.isnan(table["female"][3])
    assert table["female"].dtype == "float64"


def test_a_number_cut_at_a_value_is_a_0_1_outcome_and_covariate(tmp_path):
    # AGE 20..25; a cut at or above 23 (an outcome) and below 22 (a covariate), missing age
    # stays missing (never a 0)
    cb = codebook(AA={"file": write(tmp_path, "AA", raw(AGE=[20, 21, 22, 23, None, 25]))})
    cb["outcomes"]["older"] = {"numeric": "age", "at_or_above": 23}
    cb["derived"]["young"] = {"numeric": "age", "below": 22}
    cb["derived"]["high_eff"] = {"numeric": "eff_scale", "above": 2}  # a derived mean, cut
    validate_codebook(cb)
    table, _ = clean_survey(cb, root=tmp_path)
    assert table["older"].tolist()[:4] == [0, 0, 0, 1] and pd.isna(table["older"].iloc[4])
    assert table["older"].iloc[5] == 1 and str(table["older"].dtype) == "Int8"
    assert table["young"].tolist()[:4] == [1.0, 1.0, 0.0, 0.0] and np.isnan(table["young"][4])
    # EFF 1, 2, 3, 4, (8 and 9: missing codes)
    assert table["high_eff"].tolist()[:4] == [0.0, 0.0, 1.0, 1.0]
    assert table["high_eff"][4:].isna().all()


@pytest.mark.parametrize(("spec", "message"), [
    ({"numeric": "gender", "above": 1}, r"outcomes.cut.numeric: 'gender' is a category; a cut "
                                         r"compares numbers"),
    ({"numeric": "agee", "above": 1}, r"outcomes.cut.numeric: unknown variable 'agee' "
                                       r"\(did you mean 'age'"),
    ({"numeric": "age"}, r"outcomes.cut: a cut needs exactly one of above, at_or_above, "
                         r"below, at_or_below \(the value to compare with\); found none"),
    ({"numeric": "age", "above": 1, "below": 3}, r"outcomes.cut: .* found above, below"),
    ({"items": ["item_a"], "above": 3}, r"outcomes.cut.above: a cut needs `numeric:`"),
])
def test_a_numeric_cut_is_checked(spec, message):
    cb = codebook(AA={"file": "AA.csv"})
    cb["outcomes"]["cut"] = spec
    with pytest.raises(ConfigError, match=message):
        validate_codebook(cb)


def test_indicator_level_must_exist():
    cb = codebook(AA={"file": "AA.csv"})
    cb["derived"]["female"] = {"indicator": "gender", "levels": ["women"]}
    with pytest.raises(ConfigError, match=r"derived.female.levels: 'women' is not a level of "
                                          r"'gender' \(levels: man, woman\) \(did you mean 'woman'"):
        validate_codebook(cb)


def test_unquoted_yes_no_in_a_codebook_are_the_words_written(tmp_path):
    from coprod.pipeline.codebook import load_codebook

    p = tmp_path / "cb.yaml"
    p.write_text("variables:\n"
                 "  voted: {raw: V, type: category, codes: {1: yes, 2: no, 3: off}, "
                 "levels: [no, yes, off], ordered: true}\n"
                 "groups: {AA: {file: AA.csv}}\n", encoding="utf-8")
    cb = load_codebook(p)
    assert cb.variables["voted"]["codes"] == {1: "yes", 2: "no", 3: "off"}
    assert cb.variables["voted"]["ordered"] is True
    p.write_text(p.read_text().replace("ordered: true", "ordered: yes"))
    with pytest.raises(ConfigError, match="'yes' is not true or false"):
        load_codebook(p)
    p.write_text(p.read_text().replace("ordered: yes", "ordered: true").replace("3: off",
                                                                                "3: false"))
    with pytest.raises(ConfigError, match=r"cb.yaml, line 2: variables.voted.codes.3: false is "
                                          "read by YAML as false, not as the text false; write "
                                          "it in quotes: 'false'"):
        load_codebook(p)
