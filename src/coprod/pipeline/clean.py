"""Turn raw per-group survey files into one harmonised, validated table with an audit trail.

Everything group-specific comes from the codebook (see docs/codebook_format.md); this module only
applies it. Every dropped row and every value set to missing or recoded is counted in the cleaning
log, per group, variable and reason, so that nothing is lost silently.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import ConfigError, DataError, clip
from .codebook import (
    Codebook,
    VarSpec,
    did_you_mean,
    group_column_error,
    group_specs,
    labels,
    norm_code,
    outcome_kind,
    thaw,
)
from .derive import derive
from .io import read_raw
from .vocab import GROUP

LOG_FIELDS = ["step", "variable", "reason", "value", "count"]


class Log:
    """Collects cleaning-log records: one per (group, step, variable, reason, value)."""

    def __init__(self, group_column: str = GROUP):
        self.group_column = group_column
        self.rows: list[tuple] = []

    def add(self, group, step, count, variable="", reason="", value=""):
        if count:
            self.rows.append((group, step, variable, reason,
                              "" if value is None else str(value), int(count)))

    def frame(self) -> pd.DataFrame:
        """One row per record; the first column is named as the group column."""
        return pd.DataFrame(self.rows, columns=[self.group_column, *LOG_FIELDS])


def _fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _as_text(s: pd.Series) -> pd.Series:
    """Ids, strata and PSUs as text, as ``_fmt`` writes them (12.0 -> "12"); vectorised for
    whole numbers, which is what SPSS and Stata files hold."""
    if pd.api.types.is_signed_integer_dtype(s):
        return s.astype("Int64").astype("string")
    if pd.api.types.is_float_dtype(s):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        ok = np.isnan(x) | ((np.abs(x) < 2.0 ** 53) & (np.floor(x) == x))
        if ok.all():
            return s.astype("Int64").astype("string")
    return s.map(_fmt, na_action="ignore").astype("string")


def _normalised(s: pd.Series) -> pd.Series:
    """Raw values as comparable codes: numbers as floats, text stripped (numeric text -> float)."""
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    return s.map(lambda v: v if pd.isna(v) else norm_code(v), na_action="ignore")


# -- row-level steps -------------------------------------------------------------------------

def _drop(df: pd.DataFrame, mask: pd.Series, group: str, reason: str, log: Log) -> pd.DataFrame:
    log.add(group, "drop", int(mask.sum()), reason=reason)
    return df.loc[~mask]


def _drop_rows(df, specs, group, file, log, invalid_weight="drop"):
    id_spec = next((s for s in specs if s.role == "id"), None)
    if id_spec is not None:
        ids = df[id_spec.raw]
        blank = ids.isna() if pd.api.types.is_numeric_dtype(ids) else (
            ids.isna() | (ids.astype(str).str.strip() == ""))
        df = _drop(df, blank, group, "missing_id", log)
        df = _drop(df, df.duplicated(keep="first"), group, "duplicate_record", log)
        df = _drop(df, df[id_spec.raw].duplicated(keep=False), group,
                   "conflicting_duplicate_id", log)
    else:
        # without ids, two respondents may answer alike: identical rows are kept, and counted
        log.add(group, "info", len(df), reason="no_id_column",
                value="respondents are identified by their row number in the file")
        log.add(group, "info", int(df.duplicated(keep="first").sum()),
                reason="identical_rows_kept")
    w_spec = next((s for s in specs if s.role == "weight"), None)
    if w_spec is not None:
        w = _numeric(df[w_spec.raw], file, w_spec.raw)
        bad = ~(w > 0) | ~np.isfinite(w)
        if bad.any() and invalid_weight == "stop":
            vals = ", ".join(_fmt(v) for v in pd.unique(w[bad])[:5])
            raise DataError(f"{file}: column '{w_spec.raw}' (weight) has {int(bad.sum())} missing, "
                            f"zero or negative weight(s): {vals} (cleaning.invalid_weight: stop)")
        df = _drop(df, bad, group, "invalid_weight", log)
    return df


def _numeric(s: pd.Series, file, column) -> pd.Series:
    """Raw values as numbers; text that is not a number stops the run, naming it."""
    if pd.api.types.is_numeric_dtype(s):
        return s.astype("float64")
    out = pd.to_numeric(s, errors="coerce")
    bad = s[out.isna() & s.notna()]
    if len(bad):
        examples = ", ".join(clip(repr(v)) for v in pd.unique(bad)[:3])  # a 1 MB cell: cut
        hint = ""
        if bad.astype(str).str.fullmatch(r"-?\d*,\d+").all():
            hint = ("; these look like decimal commas: set `decimal: ','` for this group in the "
                    "codebook")
        raise DataError(f"{file}: column '{column}' should hold numbers but has {examples} "
                        f"({len(bad)} value(s)){hint}")
    return out.astype("float64")


# -- variable-level steps --------------------------------------------------------------------

def _clean_variable(raw: pd.Series, spec: VarSpec, group: str, file, log: Log) -> pd.Series:
    n = len(raw)
    if spec.not_asked:
        log.add(group, "set_missing", n, spec.name, "not_asked")
        return _empty(spec, n, raw.index)
    if spec.role in ("id", "strata", "psu", "ssu"):
        return _as_text(raw)
    if spec.role == "replicates":
        x = _numeric(raw, file, spec.raw)
        bad = ~np.isfinite(x) | (x < 0)
        if bad.any():
            vals = ", ".join(_fmt(v) for v in pd.unique(x[bad])[:5])
            raise DataError(f"{file}: column '{spec.raw}' (replicate weight {spec.name}) has "
                            f"{int(bad.sum())} missing or negative value(s): {vals}")
        return x

    codes = _normalised(raw)
    # 1. missing codes -> missing, counted per code and reason
    if spec.missing:
        is_missing_code = codes.isin(list(spec.missing))
        if is_missing_code.any():
            for code, count in codes[is_missing_code].value_counts().sort_index().items():
                log.add(group, "set_missing", count, spec.name, spec.missing[code], _fmt(code))
            codes = codes.mask(is_missing_code)
    log.add(group, "set_missing", int(raw.isna().sum()), spec.name, "system_missing")

    if spec.type == "category":
        return _to_category(codes, spec, group, file, log)
    return _to_numeric(codes, spec, group, file, log)


def _to_category(codes, spec, group, file, log):
    present = codes.dropna()
    unknown = present[~present.isin(list(spec.codes))]
    if len(unknown):
        vals = ", ".join(clip(_fmt(v)) for v in sorted(pd.unique(unknown), key=str)[:5])
        raise DataError(
            f"{file}: column '{spec.raw}' ({spec.name}) has code(s) {vals} that the codebook does "
            f"not define (codes: {', '.join(_fmt(c) for c in spec.codes)}; missing codes: "
            f"{', '.join(_fmt(c) for c in spec.missing) or 'none'})")
    if spec.codes_overridden:
        for code, count in present.value_counts().sort_index().items():
            log.add(group, "recode", count, spec.name, "group_codes",
                    f"{_fmt(code)}->{spec.codes[code]}")
    stray = [v for v in dict.fromkeys(spec.codes.values()) if v not in spec.levels]
    if stray:
        raise DataError(f"{file}: the codebook's codes for '{spec.name}' give level(s) "
                        f"{', '.join(map(str, stray))}, which are not among its levels "
                        f"({', '.join(map(str, spec.levels))})")
    return _categorical(codes, {c: spec.levels.index(v) for c, v in spec.codes.items()},
                        spec.levels, spec.ordered)


def _categorical(codes: pd.Series, position: dict, levels, ordered=False) -> pd.Series:
    """Codes -> a Categorical of ``levels``, ``position`` giving each code's level number
    (missing codes stay missing); from the integer codes, as building it from a million
    strings costs seconds."""
    if pd.api.types.is_numeric_dtype(codes):
        x = codes.to_numpy(dtype=float, na_value=np.nan)
        cat = np.full(len(x), -1, dtype=np.int64)
        for code, k in position.items():
            if isinstance(code, (int, float)):  # text codes cannot match numbers
                cat[x == code] = k
    else:  # text codes (also a raw Categorical, whose map would stay categorical)
        cat = pd.Series(codes.to_numpy(dtype=object)).map(position).to_numpy(
            dtype=float, na_value=np.nan)
        cat = np.where(np.isnan(cat), -1, cat).astype(np.int64)
    return pd.Series(pd.Categorical.from_codes(cat, categories=list(levels), ordered=ordered),
                     index=codes.index)


def _to_numeric(codes, spec, group, file, log):
    x = _numeric(codes, file, spec.raw)
    if spec.transform:
        (kind, arg), = spec.transform.items()
        before = int(x.notna().sum())
        if kind == "year_of_birth":
            x = arg - x
        elif kind == "scale":
            x = x * arg
        log.add(group, "recode", before, spec.name, kind, _fmt(arg))
    if spec.valid_range:
        lo, hi = spec.valid_range
        out = x.notna() & ((x < lo) | (x > hi))
        for v, count in x[out].value_counts().sort_index().items():
            log.add(group, "set_missing", count, spec.name, "out_of_range", _fmt(v))
        x = x.mask(out)
    return x.astype("float64")


def _empty(spec: VarSpec, n: int, index) -> pd.Series:
    if spec.type == "category":
        return pd.Series(pd.Categorical([None] * n, categories=spec.levels, ordered=spec.ordered),
                         index=index)
    return pd.Series(np.nan, index=index, dtype="float64")


# -- one group, all groups -------------------------------------------------------------------

def expand_replicates(df: pd.DataFrame, specs: list[VarSpec], file) -> list[VarSpec]:
    """A variable with ``role: replicates`` names its raw columns by a pattern (a regular
    expression matched against the whole column name); each match becomes a numeric column
    ``<name>_1`` ... ``<name>_R`` of the clean table, in the file's column order."""
    import re
    from dataclasses import replace as _replace

    out = []
    for s in specs:
        if s.role != "replicates":
            out.append(s)
            continue
        try:
            rx = re.compile(s.raw)
        except re.error as exc:
            raise ConfigError(f"codebook: variables.{s.name}.raw: '{s.raw}' is not a valid "
                              f"regular expression ({exc})") from None
        cols = [c for c in df.columns if rx.fullmatch(str(c))]
        if not cols:
            raise DataError(f"{file}: no column matches '{s.raw}', the pattern of the replicate "
                            f"weights '{s.name}' (role: replicates)")
        out += [_replace(s, name=f"{s.name}_{k}", raw=c, missing={})
                for k, c in enumerate(cols, 1)]
    return out


def check_columns(df: pd.DataFrame, specs: list[VarSpec], file) -> None:
    """Every raw column the codebook names must be there; list all that are not, at once."""
    needed = [s for s in specs if not s.not_asked]
    missing = [s for s in needed if s.raw not in df.columns]
    if missing:
        lines = [f"'{s.raw}' ({s.name}){did_you_mean(s.raw, df.columns)}" for s in missing]
        raise DataError(f"{file}: {len(missing)} column(s) named in the codebook are missing: "
                        + "; ".join(lines))
    dupes = df.columns[df.columns.duplicated()].tolist()
    if dupes:
        raise DataError(f"{file}: duplicated column name(s): {', '.join(map(str, dupes))}")


def clean_group(df_raw: pd.DataFrame, specs: list[VarSpec], group: str, file,
                log: Log, invalid_weight: str = "drop", group_column: str = GROUP,
                where_columns=()) -> pd.DataFrame:
    """Harmonise one group's raw data frame (rows dropped and values recoded are logged)."""
    log.add(group, "read", len(df_raw))
    specs = expand_replicates(df_raw, specs, file)
    check_columns(df_raw, specs, file)
    used = {s.raw for s in specs} | set(where_columns)  # `where:` columns are used too
    ignored = [c for c in df_raw.columns if c not in used]
    log.add(group, "info", len(ignored), reason="raw_columns_not_in_codebook",
            value=";".join(map(str, ignored[:50])))
    df = _drop_rows(df_raw, specs, group, file, log, invalid_weight)
    empty = [s for s in specs if not s.not_asked and s.raw in df.columns and len(df)
             and df[s.raw].isna().all()]
    if empty:
        names = ", ".join(f"'{s.raw}' ({s.name})" for s in empty)
        raise DataError(f"{file}: column(s) {names} are entirely empty in group '{group}'; if the "
                        f"question was not asked there, list it under groups.{group}.not_asked")
    cols = {group_column: pd.Series(group, index=df.index, dtype="string")}
    for spec in specs:
        raw = df[spec.raw] if spec.raw in df.columns else pd.Series(np.nan, index=df.index)
        cols[spec.name] = _clean_variable(raw, spec, group, file, log)
    out = pd.DataFrame(cols).reset_index(drop=True)
    if len(out) == 0:
        raise DataError(f"{file}: group '{group}' has no rows left after cleaning "
                        f"(see the cleaning log for the reasons)")
    log.add(group, "kept", len(out))
    return out


NO_GROUP = "(no group)"


def _split_by_group(raw: pd.DataFrame, file: str, members: list[tuple[str, dict]],
                    log: Log) -> dict[str, pd.DataFrame]:
    """Rows of one file for each group that reads it (``where: {column: value(s)}``).

    Rows that match no group are counted in the log under "(no group)", never lost silently;
    a row that matches two groups stops the run.
    """
    if len(members) == 1 and not members[0][1].get("where"):
        return {members[0][0]: raw}
    hits = pd.Series(0, index=raw.index)
    out = {}
    for group, g in members:
        where = g.get("where")
        if not where:
            raise ConfigError(f"codebook: groups.{group}: file {file} is shared with other groups, "
                              f"so this group needs `where:` to say which rows are its own")
        mask = pd.Series(True, index=raw.index)
        for column, values in where.items():
            if column not in raw.columns:
                raise DataError(f"{file}: column '{column}' named in groups.{group}.where is "
                                f"missing{did_you_mean(column, raw.columns)}")
            values = values if isinstance(values, (list, tuple)) else [values]
            mask &= _normalised(raw[column]).isin([norm_code(v) for v in values])
        if not mask.any():
            col = next(iter(where))
            seen = ", ".join(map(_fmt, pd.unique(raw[col].dropna())[:8]))
            raise DataError(f"{file}: group '{group}' has no rows: no value of column '{col}' "
                            f"equals {thaw(where[col])!r} (values seen: {seen})")
        hits += mask.astype(int)
        out[group] = raw.loc[mask]
    if (hits > 1).any():
        i = hits.index[hits > 1][0]
        raise DataError(f"{file}: row {i + 1} matches the `where:` of more than one group")
    n_none = int((hits == 0).sum())
    if n_none:
        log.add(NO_GROUP, "read", n_none)
        log.add(NO_GROUP, "drop", n_none, reason="no_group", value=file)
        log.add(NO_GROUP, "kept", 0)
    return out


def clean_survey(cb: Codebook, root: str | Path = ".", threshold: str = "often",
                 groups: list[str] | None = None, invalid_weight: str = "drop",
                 group_column: str = GROUP) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Clean every group named in the codebook; return (clean table, cleaning log).

    Groups come one file each, or several from one file with ``where:``; each file is read once.
    The group of each row is in ``group_column`` (config: groups.column).
    """
    clash = group_column_error(cb, group_column)
    if clash:
        raise ConfigError(clash)
    root = Path(root)
    log = Log(group_column)
    names = list(groups or cb.groups)
    by_file: dict[tuple, list] = {}
    for group in names:
        g = cb.groups[group]
        by_file.setdefault((g["file"], g.get("format")), []).append((group, g))
    frames = {}
    for (file, fmt), members in by_file.items():
        g0 = members[0][1]
        # ids, strata and clusters of a text file as written ("01612596057020" keeps its 0)
        names_as_text = {spec.raw for name, _ in members for spec in group_specs(cb, name)
                         if spec.role in ("id", "strata", "psu", "ssu")}
        raw, _meta = read_raw(root / file, fmt, delimiter=g0.get("delimiter"),
                              encoding=g0.get("encoding", "utf-8"),
                              decimal=g0.get("decimal", "."), text_columns=names_as_text)
        frames.update(_split_by_group(raw, file, members, log))
    parts = [clean_group(frames[group], group_specs(cb, group), group, cb.groups[group]["file"],
                         log, invalid_weight=invalid_weight, group_column=group_column,
                         where_columns=list(cb.groups[group].get("where") or {}))
             for group in names]
    table = pd.concat(parts, ignore_index=True)
    # categories survive concat only when identical; restore them from the codebook
    for spec in group_specs(cb, names[0]):
        if spec.type == "category" and not isinstance(table[spec.name].dtype, pd.CategoricalDtype):
            table[spec.name] = pd.Categorical(table[spec.name], categories=spec.levels,
                                              ordered=spec.ordered)
    table[group_column] = pd.Categorical(table[group_column].astype(str), categories=names)
    table = derive(table, cb, threshold)
    validate_clean(table, cb, group_column)
    table.attrs["group_column"] = group_column  # how later stages find it
    return table, log.frame()


# -- validation of the clean table -----------------------------------------------------------

def validate_clean(table: pd.DataFrame, cb: Codebook, group_column: str = GROUP) -> None:
    """Types, ranges and allowed levels, checked before anything is written."""
    problems = []
    specs = {s.name: s for s in group_specs(cb, next(iter(cb.groups)))}

    def bad(col, mask, what):
        if mask.any():
            i = mask.to_numpy().nonzero()[0][0]
            problems.append(f"group {table[group_column].iloc[i]}, column '{col}': value "
                            f"{table[col].iloc[i]!r} {what} ({int(mask.sum())} row(s))")

    for name, s in specs.items():
        if s.role == "replicates":
            _check_replicates(table, name, problems)
            continue
        col = table[name]
        if s.role == "weight":
            bad(name, ~(col > 0), "is not a positive weight")
        elif s.type == "category" and not s.role:
            if not isinstance(col.dtype, pd.CategoricalDtype):
                problems.append(f"column '{name}': expected categories {s.levels}, got {col.dtype}")
            else:
                extra = set(col.cat.categories) - set(s.levels)
                if extra:
                    problems.append(f"column '{name}': levels {sorted(extra)} not in {s.levels}")
        elif s.type == "numeric" and not s.role and s.valid_range:
            lo, hi = s.valid_range
            bad(name, col.notna() & ((col < lo) | (col > hi)), f"is outside {lo}-{hi}")
    for name, o in cb.outcomes.items():
        col = table[name]
        kind = outcome_kind(o)
        if kind == "binary":
            bad(name, col.notna() & ~col.isin([0, 1]), "is not 0/1")
        elif kind == "count":
            bad(name, col.notna() & (col < 0), "is a negative count")
    id_col = next((n for n, s in specs.items() if s.role == "id"), None)
    if id_col is not None:
        bad(id_col, table.duplicated([group_column, id_col], keep=False),
            "is a duplicated respondent id")
        pairs = table[[group_column, id_col]].dropna().drop_duplicates()
        shared = pairs[pairs[id_col].duplicated(keep=False)]
        if len(shared):  # an id names one respondent (the contrast test pairs answers by it)
            first = shared[id_col].iloc[0]
            groups = " and ".join(shared.loc[shared[id_col] == first, group_column].astype(str))
            problems.append(f"column '{id_col}': respondent id {first!r} is in groups {groups} "
                            f"({shared[id_col].nunique()} id(s) in more than one group; make "
                            "each group's ids distinct, or leave out role: id)")
    if problems:
        raise DataError("the clean table fails validation: " + "; ".join(problems))


def _check_replicates(table: pd.DataFrame, name: str, problems: list) -> None:
    """Every group must deliver the same replicate columns (a group with fewer leaves holes)."""
    import re

    from .designkeys import replicate_pattern

    rx = re.compile(replicate_pattern(name))
    cols = [c for c in table.columns if rx.fullmatch(str(c))]
    holes = [c for c in cols if table[c].isna().any()]
    if holes:
        problems.append(f"replicate weights '{name}': {len(cols)} columns in all, but some "
                        f"groups lack {', '.join(holes[:5])}: every group needs the same "
                        "replicate columns")


def table_metadata(cb: Codebook, threshold: str, group_column: str = GROUP,
                   group_label: str | None = None) -> dict:
    id_col = next((n for n, v in cb.variables.items() if v.get("role") == "id"), None)
    from ..names import group_label as word

    label = word(group_label, cb.group_label, group_column)
    return {"labels": {**labels(cb), group_column: label}, "threshold": threshold,
            "survey": cb.survey if cb.survey is not None else "", "group_column": group_column,
            "group_label": label, "id_column": id_col}


# -- the readable summary --------------------------------------------------------------------

def summarise_log(log: pd.DataFrame) -> pd.DataFrame:
    """One row per group: read, dropped by reason, kept, values set to missing; checks the sum."""
    rows = []
    gcol = log.columns[0]  # the group column, named as in the clean table
    for g, sub in log.groupby(gcol, sort=False):
        read = int(sub.loc[sub.step == "read", "count"].sum())
        kept = int(sub.loc[sub.step == "kept", "count"].sum())
        drops = sub[sub.step == "drop"].groupby("reason")["count"].sum()
        row = {gcol: g, "read": read}
        row.update({f"dropped_{r}": int(c) for r, c in drops.items()})
        row["kept"] = kept
        row["values_set_missing"] = int(sub.loc[sub.step == "set_missing", "count"].sum())
        row["values_recoded"] = int(sub.loc[sub.step == "recode", "count"].sum())
        row["balanced"] = read == kept + int(drops.sum())
        rows.append(row)
    out = pd.DataFrame(rows).fillna(0)
    drop_cols = sorted(c for c in out.columns if c.startswith("dropped_"))
    out[drop_cols] = out[drop_cols].astype(int)
    rest = ["kept", "values_set_missing", "values_recoded", "balanced"]
    return out[[gcol, "read", *drop_cols, *rest]]


def summary_markdown(log: pd.DataFrame) -> str:
    summ = summarise_log(log)
    lines = ["# Cleaning summary", "",
             "Rows read, dropped (by reason) and kept per group; `balanced` checks that "
             "kept + dropped = read.", ""]
    lines += _md_table(summ)
    miss = (log[log.step == "set_missing"].groupby(["variable", "reason"])["count"].sum()
            .reset_index().sort_values(["variable", "reason"]))
    lines += ["", "## Values set to missing, by variable and reason (all groups)", ""]
    lines += _md_table(miss)
    rec = log[log.step == "recode"]
    if len(rec):
        lines += ["", "## Values recoded by a group-specific rule", ""]
        lines += _md_table(rec[[log.columns[0], "variable", "reason", "value", "count"]])
    return "\n".join(lines) + "\n"


def _md_table(df: pd.DataFrame) -> list[str]:
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for _, r in df.iterrows():
        out.append("| " + " | ".join(str(r[c]) for c in cols) + " |")
    return out
