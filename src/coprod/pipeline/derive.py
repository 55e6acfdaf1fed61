"""The variables the codebook derives from the cleaned items: a mean of items, "any item at a
level", a number cut at a value (a BMI of 30 or more), the highest answer, a count of items at
or above the cut, and each outcome's 0/1 form at the config's threshold
(``cleaning.threshold``).

Why apart from the cleaning: the specification curve derives the outcomes again at each cut of
the scale from the clean table, without cleaning anything; and the codebook's kinds of derived
variables grow here, beside each other, not inside the file-reading steps.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .codebook import CUT_KEYS, Codebook, did_you_mean


def derive(df: pd.DataFrame, cb: Codebook, threshold: str) -> pd.DataFrame:
    """Add derived scales, any-of indicators and 0/1 outcomes (rules in docs/codebook_format.md)."""
    new = {}
    full = df
    for name, d in cb.derived.items():
        if "mean_of" in d:
            block = pd.concat([full[c].astype("float64") for c in d["mean_of"]], axis=1)
            valid = block.notna().sum(axis=1)
            val = block.mean(axis=1).where(valid >= d.get("min_valid", 1))
            new[name] = val * d.get("multiply", 1)
        elif "indicator" in d:  # a 0/1 covariate from some levels of a category
            v = full[d["indicator"]]
            new[name] = v.isin(d["levels"]).astype("float64").where(v.notna())
        elif "numeric" in d:  # a 0/1 covariate from a number and a cut
            new[name] = numeric_cut(full[d["numeric"]], d).astype("float64")
        else:
            new[name] = _any_level(full, d["any_of"], d["level"])
        full = full.assign(**{name: new[name]})
    for name, o in cb.outcomes.items():
        if "highest_of" in o:
            new[name] = _highest(full, o["highest_of"])
            full = full.assign(**{name: new[name]})
            continue
        if "count_of" in o:
            new[name] = _count(full, o["count_of"], o.get("threshold", threshold))
            full = full.assign(**{name: new[name]})
            continue
        if "items" in o:
            parts = [_at_or_above(full[i], o.get("threshold", threshold), i) for i in o["items"]]
        elif "numeric" in o:
            parts = [numeric_cut(full[o["numeric"]], o).astype("Float64")]
        elif "outcomes" in o:
            parts = [full[s].astype("Float64") for s in o["outcomes"]]
        else:  # a category whose listed levels count as 1
            v = full[o["variable"]]
            parts = [v.isin(o["positive"]).astype("Float64").where(v.notna())]
        new[name] = _any_positive(parts)
        full = full.assign(**{name: new[name]})
    return full


def cut_of(spec) -> tuple[str, float]:
    """(comparison, value) of a numeric cut (the codebook's schema allows exactly one of
    :data:`~coprod.pipeline.codebook.CUT_KEYS`)."""
    key = next(k for k in CUT_KEYS if k in spec)
    return key, float(spec[key])


def numeric_cut(values: pd.Series, spec) -> pd.Series:
    """1.0 where the comparison of ``spec`` holds, 0.0 where it does not, NaN where the value
    is missing: the cut never turns a missing value into a 0."""
    key, at = cut_of(spec)
    x = pd.to_numeric(values, errors="coerce").astype("float64")
    hit = {"above": x > at, "at_or_above": x >= at, "below": x < at,
           "at_or_below": x <= at}[key]
    return hit.astype("float64").where(x.notna())


def _any_level(df, items, level):
    block = pd.concat([df[c].astype("object") for c in items], axis=1)
    first = df[items[0]]
    cats = list(first.cat.categories) if isinstance(first.dtype, pd.CategoricalDtype) else []
    other = [c for c in cats if c != level]
    no = other[0] if len(other) == 1 else f"not {level}"
    hit = (block == level).any(axis=1).to_numpy()
    answered = block.notna().any(axis=1).to_numpy()
    codes = np.where(hit, 1, np.where(answered, 0, -1))
    return pd.Series(pd.Categorical.from_codes(codes, categories=[no, level]), index=df.index)


def _at_or_above(s: pd.Series, threshold: str, name: str) -> pd.Series:
    levels = list(s.cat.categories)
    if threshold not in levels:
        raise ConfigError(f"cleaning.threshold: '{threshold}' is not a level of item '{name}' "
                          f"(levels: {', '.join(levels)}){did_you_mean(threshold, levels)}")
    rank = s.cat.codes.astype("float64").where(s.notna())
    return (rank >= levels.index(threshold)).astype("Float64").where(s.notna())


def _highest(df: pd.DataFrame, items: list[str]) -> pd.Series:
    """The highest level answered among ordered items (missing when none is answered): an
    ordinal outcome whose cut at the threshold is the 0/1 outcome of the same items."""
    levels = list(df[items[0]].cat.categories)
    codes = np.column_stack([df[i].cat.codes.to_numpy() for i in items]).max(axis=1)
    return pd.Series(pd.Categorical.from_codes(codes, categories=levels, ordered=True),
                     index=df.index)


def _count(df: pd.DataFrame, parts: list[str], threshold: str) -> pd.Series:
    """How many of the items are at or above the threshold, or the sum of 0/1 or count
    outcomes, over the answered ones (missing when none is answered)."""
    cols = []
    for part in parts:
        s = df[part]
        if isinstance(s.dtype, pd.CategoricalDtype):
            cols.append(_at_or_above(s, threshold, part).astype("float64"))
        else:
            cols.append(s.astype("float64"))
    block = pd.concat(cols, axis=1)
    total = block.sum(axis=1, min_count=1)
    return total.astype("Int16")


def _any_positive(parts) -> pd.Series:
    block = pd.concat(parts, axis=1).astype("float64")
    pos = (block == 1).any(axis=1)
    answered = block.notna().any(axis=1)
    out = pd.Series(np.where(pos, 1.0, np.where(answered, 0.0, np.nan)), index=block.index)
    return out.astype("Int8")
