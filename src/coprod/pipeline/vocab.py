"""The words and number formats the pipeline's own tables carry (a claim's verdict row, the
effect rule's sentence, a default table title), and that the report shares.

Why in the pipeline: the pipeline may not import the report (the layers' contract), but the
findings and the effect rule write words into their tables; the report's wording module
re-exports these, so each word has one definition.

Why pandas and numpy are imported inside the functions that read tables: the Snakefile imports
this module (through the claims check and the report's output names), and what the process
that schedules the jobs imports, every ``snakemake`` command pays for, a no-op rerun included
(about 0.3 s for pandas).
"""
from __future__ import annotations

import math
from collections import Counter
from typing import TYPE_CHECKING

from ..names import GROUP, POOLED  # noqa: F401 (re-exported)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: on every exported figure and table, and in the page title, when config data.synthetic is
#: true: a figure or table copied out of the report still says what it is
SYNTHETIC_NOTICE = ("SYNTHETIC DATA: simulated to demonstrate the method; not findings about "
                    "real people.")
NA = "\u2014"  # an em dash: not estimated / not in this model
MINUS = "\u2212"


# -- names in words and model status ---------------------------------------------------------

def split_outcome(outcome: str) -> tuple[str, str]:
    """``individual_safety`` -> ("individual", "safety"): outcomes are named <kind>_<domain>."""
    kind, _, domain = str(outcome).partition("_")
    return kind, domain


def split_outcomes(outcomes: list[str]) -> dict[str, tuple[str, str]]:
    """(kind, domain) of each outcome, when the outcomes form a kind x domain grid.

    Why a grid test: ``individual_safety`` is kind and domain, but ``will_vote`` is just a name.
    An outcome is split only when its kind and its domain each occur in another outcome too;
    otherwise it is its own kind, with no domain.
    """
    parts = {o: split_outcome(o) for o in outcomes}
    kinds = Counter(k for k, d in parts.values() if d)
    domains = Counter(d for _, d in parts.values() if d)
    return {o: (k, d) if d and kinds.get(k, 0) > 1 and domains.get(d, 0) > 1 else (o, "")
            for o, (k, d) in parts.items()}


def word(name, words: dict | None = None, labels: dict | None = None) -> str:
    """Words for a name: the report's own words, then the codebook label, then the name itself."""
    name = str(name)
    for source in (words or {}, labels or {}):
        if name in source:
            return str(source[name])
    return name.replace("_", " ")


def lower_word(text) -> str:
    """A label inside a sentence: 'Region' -> 'region'; 'US state', 'NUTS region' stay."""
    text = str(text)
    return text if text[:2].isupper() else text[:1].lower() + text[1:]


def outcome_words(outcome: str, words: dict | None = None, labels: dict | None = None) -> str:
    """Short words for an outcome: 'Individual, any domain' (from <kind>_<domain>)."""
    if words and outcome in words:
        return str(words[outcome])
    kind, domain = split_outcome(outcome)
    if domain and kind in (words or {}):
        return f"{word(kind, words)}, {word(domain, words).lower()}"
    return word(outcome, words, labels)


def model_rows(table: pd.DataFrame, outcome: str, sample) -> pd.DataFrame:
    """The rows of one model (outcome and sample; a sample compared as text, since a CSV may
    read a group code as a number) of a results table with those two columns."""
    if not len(table):
        return table
    mask = _equal(table["outcome"], outcome) & _equal(table["sample"], str(sample), text=True)
    # every row one model's (a table already of one model): a shallow copy, as the selection
    # would be a copy (copy-on-write: either is safe to change), without copying each column
    if mask.all():
        return table.copy(deep=False)
    # rows that follow each other (a table of stacked models, as the specification curve's):
    # the slice they are, the same rows, labels and columns without selecting row by row
    import numpy as np

    at = np.flatnonzero(mask)
    if len(at) and at[-1] - at[0] + 1 == len(at):
        return table.iloc[at[0]:at[-1] + 1]
    return table[mask]


def _equal(column: pd.Series, value, text: bool = False) -> np.ndarray:
    """``cell == value`` (``text``: ``str(cell) == value``) for each cell of ``column``, as a
    boolean array. Why two ways: a text column without missing cells compares in one numpy
    operation (its cells are their own text); anything else (numbers, missing cells, mixed
    objects) cell by cell in Python, as it always did (str(NaN) is 'nan')."""
    import numpy as np
    import pandas as pd

    values = column.to_numpy(dtype=object)
    if isinstance(value, str) and isinstance(column.dtype, pd.StringDtype) \
            and not pd.isna(values).any():
        return np.asarray(values == value, dtype=bool)
    return np.asarray([(str(v) if text else v) == value for v in values], dtype=bool)


def fit_row(fit: pd.DataFrame | None, outcome: str, sample) -> pd.Series | None:
    """One model's row of the fit table, or None (no table, or no such model)."""
    if fit is None or not len(fit):
        return None
    row = model_rows(fit, outcome, sample)
    return row.iloc[0] if len(row) else None


def excluded_pairs(excluded: pd.DataFrame | None, outcome: str, sample) -> list[tuple[str, str]]:
    """Who one model excluded for which missing variable, from the excluded table
    (results/models/excluded.csv: outcome, sample, variable, n_excluded; one row a variable,
    in the model's order): [('age', '12'), ('efficacy', '30')], counts as the text a note
    prints; empty without the table or when nobody was excluded."""
    if excluded is None or not len(excluded):
        return []
    from pandas import notna

    rows = model_rows(excluded, outcome, sample)
    return [(str(v), str(int(n))) for v, n in zip(rows["variable"], rows["n_excluded"])
            if notna(n)]


def model_status(fit: pd.DataFrame, outcome: str, sample: str) -> tuple[str, str]:
    """(status, message) of one model; ('missing', ...) when the fit table has no such row."""
    if fit is None or not len(fit):
        return "missing", "no fit statistics"
    r = fit_row(fit, outcome, sample)
    if r is None:
        return "missing", "model not in the results"
    from pandas import isna

    msg = r.get("message", "")
    return str(r["status"]), "" if isna(msg) else str(msg)


# -- numbers ---------------------------------------------------------------------------------

def fmt(x, digits: int = 2) -> str:
    """A number for display: a true minus sign (U+2212, as journals set it), no "-0.00"."""
    from pandas import isna

    if x is None or (isinstance(x, float) and math.isnan(x)) or isna(x):
        return NA
    text = f"{float(x):.{digits}f}"
    if text.startswith("-"):
        text = text[1:] if float(text) == 0 else MINUS + text[1:]
    return text


def fmt_ci(est, lo, hi, digits: int = 2) -> str:
    """``1.23 [1.05, 1.44]``. An interval whose end rounds onto the estimate (an odds ratio
    per year of age: 1.03 [1.02, 1.03]) hides its width: up to two more decimals then."""
    from pandas import isna

    if isna(est):
        return NA
    d = digits
    while d < digits + 2 and not (isna(lo) or isna(hi)) and lo < est < hi and \
            (fmt(lo, d) == fmt(est, d) or fmt(hi, d) == fmt(est, d)):
        d += 1
    return f"{fmt(est, d)} [{fmt(lo, d)}, {fmt(hi, d)}]"


def default_table_title(subject: str, samples: list[str], group_label: str,
                        words: dict | None = None) -> str:
    """A model table's title when it has none, from what it measures and its samples."""
    samples = [str(s) for s in samples]
    if samples == [POOLED]:
        return f"Correlates of {subject} (pooled)"
    if POOLED not in samples and len(samples) > 1:
        return f"Correlates of {subject} by {lower_word(group_label)}"
    return f"Correlates of {subject}: " + ", ".join(word(s, words) for s in samples)
