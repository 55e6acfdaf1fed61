"""Reading raw survey files and writing results atomically.

Why atomic: a job that is killed half-way must never leave a file that looks complete, so every
output is written to a temporary file beside it and renamed into place only when finished.
"""
from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Collection
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import pandas as pd

from ..errors import DataError
from .effectrule import EFFECT_COLUMNS
from .rawformat import FORMATS, file_format  # noqa: F401 (FORMATS: long imported from here)
from .yamlfile import regular_file


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary path next to ``path``; rename it onto ``path`` only on success.

    The result gets the permissions of any new file (0666 less the umask): the temporary file
    is created with them, as an ordinary new file, so colleagues on a shared server can read
    the results."""
    path = Path(path)
    fd, tmp = _temporary(path)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def _write_bytes(path: str | Path, data: bytes) -> None:
    """``data`` as the whole of ``path``, atomically (as :func:`atomic_path`), written through
    the temporary file's own descriptor: the many small result files of a job cost one open
    each, not two."""
    path = Path(path)
    fd, tmp = _temporary(path)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise


#: folders this process made or found (their files are written often: mkdir once, not per file)
_FOLDERS: set[str] = set()


def _temporary(path: Path) -> tuple[int, str]:
    """(open descriptor, name) of a new temporary file next to ``path``, after removing the
    temporary files a killed writer left for it. Created with mode 0666 (less the umask, which
    the system applies): the permissions of any new file, kept by the rename."""
    folder = os.fspath(path.parent)
    if folder not in _FOLDERS:
        path.parent.mkdir(parents=True, exist_ok=True)
        _FOLDERS.add(folder)
    remove_stale_parts(path)
    prefix = os.path.join(folder, f".{path.name}.{_writer()}.")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = f"{prefix}{os.urandom(5).hex()}.part"
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except FileNotFoundError:  # the folder went away meanwhile: made again
            path.parent.mkdir(parents=True, exist_ok=True)
    raise FileExistsError(f"{path}: no free name for a temporary file")


def _unlink_quietly(tmp: str) -> None:
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass


@cache
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname().split(".")[0])


def _writer() -> str:
    """Who writes a temporary file (host-pid), put in its name: a rerun can tell a killed
    writer's leftover from a live one's."""
    return f"{_host()}-{os.getpid()}"


#: a writer on another machine (a cluster node) cannot be asked; its temporary file is taken
#: for stale when untouched for this long (seconds)
STALE_AFTER = 3600


def remove_stale_parts(path: Path) -> list[Path]:
    """Remove the temporary files of ``path`` whose writer was killed (SIGKILL, a node lost)
    before it could clean up, so a rerun leaves no ``.part`` file behind: one written on
    this machine by a process that no longer runs, one from another machine untouched for
    STALE_AFTER, or one of an older coprod (no writer in the name). Returns those removed."""
    import time

    removed: list[Path] = []
    start = f".{path.name}."
    try:  # one listing, the names compared as text (a glob per file cost more than the write)
        names = [n for n in os.listdir(path.parent) if n.startswith(start) and n.endswith(".part")]
    except FileNotFoundError:
        return removed
    if not names:
        return removed
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(?:(?P<host>[A-Za-z0-9-]*?)-"
                         rf"(?P<pid>\d+)\.)?[^.]+\.part$")
    host = _host()
    for name in names:
        m = pattern.match(name)
        if not m:
            continue
        old = path.parent / name
        try:
            if m["pid"] is None:
                stale = True
            elif m["host"] == host:
                stale = not _running(int(m["pid"]))
            else:
                stale = time.time() - old.stat().st_mtime > STALE_AFTER
            if stale:
                old.unlink()
                removed.append(old)
        except FileNotFoundError:  # its writer finished meanwhile
            pass
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_csv(df: pd.DataFrame, path: str | Path, *, float_format: str | None = None,
              columns: list[str] | None = None) -> str:
    """CSV with every float at full precision (Python's shortest repr that reads back to the
    same float: a reader of the results loses nothing) and a fixed line ending, so reruns are
    byte-identical. Returns the text written (a job that also combines its tables joins these
    texts, as a later job would join the files: coprod.pipeline.stages.gathered_texts).

    Every file has its header, rows or not (pandas cannot read a headerless empty file): a
    frame without columns is written with ``columns`` as its header, and refused without them."""
    from .csvsafe import csv_text  # text a spreadsheet would run as a formula is made inert

    if not len(df.columns):
        if not columns:
            raise ValueError(f"{path}: a table without columns would be written without a header")
        df = pd.DataFrame(columns=list(columns))
    text = csv_text(df, float_format=float_format)
    _write_bytes(path, text.encode("utf-8"))
    return text


def read_raw(path: str | Path, fmt: str | None = None, *, delimiter: str | None = None,
             encoding: str = "utf-8", decimal: str = ".",
             text_columns: Collection[str] = ()) -> tuple[pd.DataFrame, dict]:
    """Read one raw survey file; return the data and its metadata (labels where the format has
    them). ``text_columns`` of a CSV/TSV stay the text written (ids, strata, clusters: a
    number would lose an id's leading zeros).

    SPSS and Stata user-missing codes are kept as ordinary values, so that the codebook, not the
    file, decides what is missing (vendors declare them inconsistently between countries).
    """
    path = Path(path)
    regular_file(path, DataError)  # not there, a folder, a device (/dev/zero): said as such
    fmt = file_format(path, fmt)
    meta: dict = {"column_labels": {}, "value_labels": {}}
    try:
        if fmt in ("sav", "dta"):
            import pyreadstat

            reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
            df, m = reader(str(path), user_missing=True)
            meta["column_labels"] = dict(zip(m.column_names, m.column_labels or []))
            meta["value_labels"] = dict(m.variable_value_labels or {})
        elif fmt in ("csv", "tsv"):
            df = _read_text_table(path, fmt, delimiter, encoding, decimal, text_columns)
        elif fmt == "parquet":
            df = pd.read_parquet(path)
        else:  # pragma: no cover - guarded by file_format
            raise DataError(f"{path}: unsupported format {fmt}")
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty") from None
    except Exception as exc:  # pyreadstat/pyarrow/pandas errors: name the file
        binary = fmt in ("sav", "dta", "parquet")
        hint = " (truncated, or not really this format?)" if binary else ""
        raise DataError(f"{path}: cannot read as {fmt}{hint}: {exc}") from exc
    if len(df) == 0:
        raise DataError(f"{path}: the file has no rows")
    return df, meta


def _read_text_table(path: Path, fmt: str, delimiter: str | None, encoding: str,
                     decimal: str = ".", text_columns: Collection[str] = ()) -> pd.DataFrame:
    """CSV/TSV as text, then numbers where every value is one; clear messages for the usual
    surprises (another delimiter, another encoding, a repeated column name)."""
    import csv

    sep = delimiter or ("," if fmt == "csv" else "\t")
    try:
        with open(path, encoding=encoding, newline="") as fh:
            header = next(csv.reader(fh, delimiter=sep), None)
    except UnicodeDecodeError:
        raise _decode_error(path, encoding) from None
    if header is None:
        raise DataError(f"{path}: the file is empty")
    if len(header) == 1:
        for other in (";", "\t", "|", ","):
            if other != sep and other in header[0]:
                name = {"\t": "tab"}.get(other, repr(other))
                raise DataError(f"{path}: only one column found with delimiter {sep!r}, but the "
                                f"header contains {name}; set `delimiter: {other!r}` for this "
                                f"group in the codebook")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise DataError(f"{path}: duplicated column name(s): {', '.join(map(repr, dupes))}")
    try:
        df = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, na_values=[""],
                         encoding=encoding)
    except UnicodeDecodeError:  # a byte in a data row, not only in the header
        raise _decode_error(path, encoding) from None
    return _numeric_where_possible(df, decimal, keep=set(text_columns))


def _decode_error(path: Path, encoding: str) -> DataError:
    """The first line of ``path`` that is not ``encoding`` text, with the `encoding:` hint
    (the decoder's own position counts from the block it was given, not the file)."""
    import codecs

    decoder = codecs.getincrementaldecoder(encoding)()
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError as exc:
                return DataError(f"{path}: not readable as {encoding} text (line {n}, byte "
                                 f"0x{exc.object[exc.start]:02x}); set `encoding:` for this group "
                                 "in the codebook, for example latin-1")
    return DataError(f"{path}: not readable as {encoding} text; set `encoding:` for this group "
                     "in the codebook, for example latin-1")


def _numeric_where_possible(df: pd.DataFrame, decimal: str = ".",
                            keep: Collection[str] = ()) -> pd.DataFrame:
    """Text columns whose every non-empty value is a number become numeric (codes are numbers),
    but those in ``keep``; ``decimal=","`` reads European decimal commas."""
    out = {}
    for col in df.columns:
        s = df[col]
        if col in keep:
            out[col] = s
            continue
        t = s.str.replace(decimal, ".", regex=False) if decimal != "." else s
        conv = pd.to_numeric(t, errors="coerce")
        out[col] = conv if conv.notna().sum() == s.notna().sum() else s
    return pd.DataFrame(out, index=df.index)


# -- the clean table ------------------------------------------------------------------------

META_KEY = b"coprod"


def write_table(df: pd.DataFrame, path: str | Path, meta: dict | None = None) -> None:
    """Parquet with the variable labels and levels in the file's metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    md = dict(table.schema.metadata or {})
    md[META_KEY] = json.dumps(meta or {}, sort_keys=True).encode()
    table = table.replace_schema_metadata(md)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a clean table; its coprod metadata (labels, levels) lands in ``df.attrs``."""
    import pyarrow.parquet as pq

    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: file not found")
    table = pq.read_table(path)
    df = table.to_pandas()
    raw = (table.schema.metadata or {}).get(META_KEY)
    df.attrs = json.loads(raw) if raw else {}
    return df


# -- result tables ---------------------------------------------------------------------------

RESULT_COLUMNS = {
    "coefficients": ["outcome", "sample", "term", "variable", "level", "label", "estimate",
                     "std_error", "statistic", "p_value", "conf_low", "conf_high", "odds_ratio",
                     "or_conf_low", "or_conf_high", "flag"],
    "fit": ["outcome", "sample", "status", "message", "n", "weighted_n", "events", "pseudo_r2",
            "n_flags", "n_excluded_missing"],
    "excluded": ["outcome", "sample", "variable", "n_excluded"],
    "predictions": ["outcome", "sample", "grid", "predicted", "conf_low", "conf_high"],
    "tests": ["outcome", "sample", "test", "statistic", "df_num", "df_den", "p_value"],
    "test_terms": ["outcome", "sample", "test", "term"],
    "vcov": ["outcome", "sample", "term", "term2", "covariance"],
    "cuts": ["outcome", "sample", "cut", "term", "variable", "level", "label", "estimate",
             "conf_low", "conf_high", "odds_ratio", "or_conf_low", "or_conf_high"],
    "prevalence": ["group", "outcome", "kind", "domain", "n", "estimate", "conf_low",
                   "conf_high"],
    "descriptives": ["group", "group_n", "variable", "label", "level", "stat", "estimate",
                     "conf_low", "conf_high"],
    "contrast": ["sample", "status", "message"],
    "ame": ["outcome", "sample", "variable", "contrast", "estimate", "std_error", "conf_low",
            "conf_high", "flag", "category"],
    "effects": EFFECT_COLUMNS,
}


_TEXT_COLUMNS = {"outcome", "sample", "term", "variable", "level", "label", "grid", "group",
                 "test", "terms", "cut", "term2", "contrast", "category",
                 "status", "message", "flag", "flags", "kind", "domain", "stat",
                 "scale", "verdict", "note"}


def combined_fit(coefs: pd.DataFrame) -> pd.DataFrame:
    """The fit table (outcome, sample, status, message) of results that carry their model's
    status on every row -- the imputed models combined by Rubin's rules have no fit file."""
    cols = ["outcome", "sample", "status", "message"]
    if coefs is None or not len(coefs):
        return pd.DataFrame(columns=cols)
    return coefs[[c for c in cols if c in coefs.columns]].drop_duplicates(
        ["outcome", "sample"]).reset_index(drop=True)


def read_results(path, kind: str | None = None) -> pd.DataFrame:
    """A results CSV as written by coprod.pipeline.io.write_csv ('' is missing; 'no', 'NA' stay
    text).

    With ``kind``, the columns the report relies on exist even when the file is empty (every
    model failed), so an empty result gives an empty figure or table, not a crash.
    """
    from .csvsafe import restore_frame  # the cells write_csv made safe for spreadsheets

    if kind is not None and kind not in RESULT_COLUMNS:  # a kind without its columns would
        raise ValueError(f"no result columns known for {kind!r}")  # fail only when empty
    try:
        df = pd.read_csv(path, keep_default_na=False, na_values=[""])
        if _may_hold_apostrophe(path):
            df = restore_frame(df)
    except pd.errors.EmptyDataError:
        df = pd.DataFrame()
    for col in RESULT_COLUMNS.get(kind or "", []):
        if col not in df.columns:
            df[col] = pd.Series(dtype=object if col in _TEXT_COLUMNS else float, index=df.index)
    for col in ("term", "variable", "level", "label", "sample", "outcome", "message", "flag"):
        if col in df.columns:
            df[col] = df[col].astype(object).where(df[col].notna(), "").astype(str)
    return df


def _may_hold_apostrophe(path) -> bool:
    """Whether a results file may hold a cell write_csv neutralised: each begins with an
    apostrophe, so a plain CSV file without one has none (most results: one search of the
    bytes instead of a pass over the frame's text columns). Anything else (a compressed file,
    a buffer) may."""
    if not isinstance(path, (str, os.PathLike)) or Path(path).suffix.lower() != ".csv":
        return True
    with open(path, "rb") as fh:
        return b"'" in fh.read()


def table_meta(path) -> dict:
    """The clean table's coprod metadata (labels, threshold, group_column, group_label...)
    without reading its rows."""
    import json

    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    raw = (schema.metadata or {}).get(META_KEY)
    meta = json.loads(raw) if raw else {}
    if not meta.get("group_column") and len(schema.names):
        meta["group_column"] = schema.names[0]  # older tables: the group column comes first
    return meta


def group_outputs(outputs: dict) -> dict[str, dict[str, str]]:
    """``{"forest_pooled_png": path}`` -> ``{"forest_pooled": {"png": path}}``."""
    out: dict[str, dict[str, str]] = {}
    for key, path in outputs.items():
        stem, fmt_ = key.rsplit("_", 1)
        out.setdefault(stem, {})[fmt_] = str(path)
    return out


def group_column(table: pd.DataFrame) -> str:
    """The group column of a clean table (its metadata names it; `group` for a table without)."""
    from ..names import GROUP

    return table.attrs.get("group_column") or GROUP


# -- the contrast table, read ----------------------------------------------------------------

_CONTRAST_ALIASES = {
    "estimate": ["difference", "diff", "estimate", "delta"],
    "std_error": ["std_error", "se"],
    "conf_low": ["conf_low", "ci_low", "lower"],
    "conf_high": ["conf_high", "ci_high", "upper"],
    "statistic": ["statistic", "t", "F", "f_statistic", "wald"],
    "p_value": ["p_value", "p"],
}


def tidy_contrast(df: pd.DataFrame) -> pd.DataFrame:
    """The contrast table with canonical column names and a ``kind`` of 'term' or 'joint'.

    Why an adapter: the estimator's column names may still change; this is the one place that
    knows them.
    """
    import numpy as np

    from ..survey.formula import term_parts

    out = pd.DataFrame(index=df.index)
    for col in ("sample", "status", "message", "term", "label"):
        out[col] = df[col].fillna("").astype(str) if col in df.columns else ""
    parts = out["term"].map(term_parts)
    for i, col in enumerate(("variable", "level")):
        out[col] = (df[col].fillna("").astype(str) if col in df.columns
                    else parts.str[i] if len(out) else "")
    for canon, names in _CONTRAST_ALIASES.items():
        hit = next((n for n in names if n in df.columns), None)
        out[canon] = pd.to_numeric(df[hit], errors="coerce") if hit else np.nan
    for extra in ("df_num", "df_den", "df", "df_resid"):
        if extra in df.columns:
            out[extra] = df[extra]
    kind_col = next((c for c in ("kind", "test", "type", "row_type") if c in df.columns), None)
    if kind_col:
        joint = df[kind_col].astype(str).str.contains("joint|wald|all", case=False, regex=True)
    else:
        joint = out["term"].str.contains("joint", case=False) | (
            out["statistic"].notna() & out["estimate"].isna())
        if "df_num" in df.columns:
            joint |= df["df_num"].notna()
    out["kind"] = np.where(joint, "joint", "term")
    out.loc[out["status"] == "", "status"] = "ok"
    return out.reset_index(drop=True)


def term_names(term: str) -> tuple[str, str]:
    """(variable, level) of a term as a results table names it (``gender[T.woman]`` ->
    ("gender", "woman")): the report reads terms through here, not through the engine's
    formula module."""
    from ..survey.formula import term_parts

    return term_parts(term)
