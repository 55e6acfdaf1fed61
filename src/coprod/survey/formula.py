"""Build model formulas from validated column names, never from free text.

Why: formula terms are evaluated as Python expressions by the formula engine (formulaic, the
engine statsmodels 0.15 also offers). Names come from the config and the data, so each
is checked to be an existing column and, when it is not a plain identifier, quoted with
``Q('...')`` using a Python string literal; nothing from config or data is ever pasted in as
code.
"""
from __future__ import annotations

import ast
import keyword
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from ..errors import ConfigError

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Names the formula engine would read as functions or transforms: quote them too.
_RESERVED = {"Q", "C", "I", "np", "center", "standardize", "scale", "bs", "cr", "cc", "te"}


def quote(name: str) -> str:
    """A formula term that refers to column ``name`` and nothing else."""
    if not isinstance(name, str) or name == "":
        raise ConfigError(f"column name {name!r} must be a non-empty text")
    if _IDENT.match(name) and not keyword.iskeyword(name) and name not in _RESERVED:
        return name
    return f"Q({name!r})"


def build_formula(outcome: str, covariates: list[str], data: pd.DataFrame | None = None) -> str:
    """``outcome ~ cov1 + cov2 ...`` with every name checked against ``data``'s columns."""
    if data is not None:
        missing = [c for c in [outcome, *covariates] if c not in data.columns]
        if missing:
            raise ConfigError(f"model variables not in the data: {', '.join(map(repr, missing))}")
    rhs = " + ".join(quote(c) for c in covariates) if covariates else "1"
    return f"{quote(outcome)} ~ {rhs}"


def set_reference_levels(df: pd.DataFrame, reference_levels: Mapping[str, Any]) -> pd.DataFrame:
    """Put each categorical column's reference level first (treatment coding uses the first)."""
    out = df.copy()
    for col, ref in reference_levels.items():
        if col not in out.columns:
            continue
        s = out[col]
        ready = isinstance(s.dtype, pd.CategoricalDtype)
        if not ready:
            s = s.astype("category")
        cats = list(s.cat.categories)
        if ref not in cats:
            raise ConfigError(f"reference_levels: '{ref}' is not a level of '{col}' (levels: "
                              f"{', '.join(map(str, cats))})", argument="reference_levels")
        if ready and cats[0] == ref and not s.cat.ordered:
            continue  # already so
        out[col] = s.cat.reorder_categories([ref] + [c for c in cats if c != ref], ordered=False)
    return out


class Aliases:
    """Stand-in identifiers for column names that are not plain identifiers.

    Why: formula engines parse quoted names (``Q('...')``) with their own tokenizer, and names
    with quotes, brackets or a clash with a formula function break it. Models are therefore
    built on plain aliases (``_cv3_``), and every term, variable and message is mapped back to
    the real names before it is written.
    """

    _ALIAS = re.compile(r"_cv(\d+)_")

    def __init__(self, names: Iterable[Any]) -> None:
        self.to: dict[str, str] = {}
        for i, n in enumerate(dict.fromkeys(names)):
            plain = (isinstance(n, str) and _IDENT.match(n) and not keyword.iskeyword(n)
                     and n not in _RESERVED and not self._ALIAS.fullmatch(n))
            self.to[n] = n if plain else f"_cv{i}_"
        self.back = {v: k for k, v in self.to.items()}
        self.plain = all(k == v for k, v in self.to.items())  # no name needed an alias

    def __getitem__(self, name: str) -> str:
        return self.to[name]

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        return df.rename(columns=self.to)

    def restore(self, text: Any) -> Any:
        """Real names back in a term, variable name or message."""
        if not isinstance(text, str):
            return text
        return self._ALIAS.sub(lambda m: self.back.get(m.group(0), m.group(0)), text)

    def restore_frame(self, df: pd.DataFrame,
                      columns: Sequence[str] = ("term", "variable", "detail", "message", "label")
                      ) -> pd.DataFrame:
        """Real names back in a table's column names and text columns (the table itself
        when no name needed an alias)."""
        if self.plain:
            return df
        df = df.rename(columns=lambda c: self.back.get(c, c))
        for c in columns:
            if c in df.columns:
                df[c] = df[c].map(self.restore)
        return df


_TERM = re.compile(r"^(?P<var>.+?)\[T\.(?P<level>.*)\]$")


def term_parts(term: str) -> tuple[str, str]:
    """``gender[T.woman]`` -> ("gender", "woman"); ``Q('a b')`` -> ("a b", "")."""
    m = _TERM.match(term)
    var, level = (m["var"], m["level"]) if m else (term, "")
    if var.startswith("Q(") and var.endswith(")"):
        var = ast.literal_eval(var[2:-1])
    return var, level
