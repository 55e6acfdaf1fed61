"""R's design vocabulary: ``svydesign``, ``svrepdesign`` and ``degf`` with R's argument names.

Why a second way to build a design: an R survey user ports ``svydesign(id=~dnum+snum,
fpc=~fpc1+fpc2, data=apiclus2)`` and expects it to read as written, with R's defaults and R's
refusals (PSU labels reused across strata without ``nest=TRUE``, weights and probabilities
both given, a design of a single PSU). These functions only translate: the designs are the
engine's own, built by :func:`coprod.survey.design.make_design` and
:func:`coprod.survey.replicate.make_replicate_design`, so estimates cannot differ from theirs.

Each design argument takes what R takes: a column name (``"pw"``), R's one-sided formula as
text (``"~pw"``; ``"~dnum + snum"`` for two stages; ``"~1"``, ``"1"``, ``1`` or None for none),
a list of names (one per stage), or values, one per row (R's ``weights = weights(dclus2)``,
``fpc = rep(5, 6)``). Not supported (each refused by its absence): more than two stages, strata
per stage, ``pps``, ``variables``, ``check.strata`` and database-backed data.
"""
from __future__ import annotations

import re
import warnings
from dataclasses import replace
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError, DataError
from .design import SurveyDesign, make_design
from .replicate import REPLICATE_TYPES, ReplicateDesign, make_replicate_design
from .variance import design_df

R_REPLICATE_TYPES = ("BRR", "Fay", "JK1", "JKn", "bootstrap", "ACS", "successive-difference",
                     "JK2", "other")
_NONE = ("", "1", "0")  # R's ~1 and ~0: no clusters


def _terms(value: Any, argument: str, data: pd.DataFrame) -> list[str | np.ndarray]:
    """An argument as R reads it: a list of column names or value vectors (one per stage);
    empty for None or R's ~1."""
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)
                         and value in (0, 1) and argument == "ids"):
        return []
    if isinstance(value, str):
        text = value.strip()
        if text in data.columns:
            return [text]
        names = [t.strip().strip("`") for t in text.lstrip("~").split("+")] \
            if text.startswith("~") or "+" in text else [text]
        if argument in ("probs", "weights") and names in (["1"], ["0"]):
            return [np.full(len(data), float(names[0]))]  # R's prob = ~1: a constant
        names = [t for t in names if t not in _NONE]
        return cast(list[str | np.ndarray], names)
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return [v.strip().lstrip("~").strip() for v in value]
    if isinstance(value, list | tuple) and all(
            isinstance(v, np.ndarray | pd.Series | list | tuple) for v in value):
        return [_vector(v, argument, len(data)) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return [np.full(len(data), float(value))]  # R's prob = ~1: a constant
    return [_vector(value, argument, len(data))]


def _vector(value: Any, argument: str, n: int) -> np.ndarray:
    arr = np.asarray(value.to_numpy() if isinstance(value, pd.Series) else value)
    if arr.ndim != 1 or len(arr) != n:
        raise ConfigError(f"{argument}: give column names, R's formula as text (\"~a + b\") or "
                          f"one value per row of the data ({n}), not an array of shape "
                          f"{arr.shape}", argument=argument)
    return arr


def _one(terms: list[str | np.ndarray], argument: str, what: str) -> str | np.ndarray | None:
    if len(terms) > 1:
        raise ConfigError(f"{argument}: one {what} is supported, not {len(terms)} "
                          f"({', '.join(t if isinstance(t, str) else '<values>' for t in terms)})",
                          argument=argument)
    return terms[0] if terms else None


class _Columns:
    """The data with the columns the design names; values given as vectors are added to a
    copy under a name in parentheses (``"(weights)"``), so the design names every column."""

    def __init__(self, data: pd.DataFrame) -> None:
        self.data = data
        self.copied = False

    def name(self, term: str | np.ndarray | None, argument: str, label: str | None = None
             ) -> str | None:
        if term is None:
            return None
        if isinstance(term, str):
            if term not in self.data.columns:
                raise DataError(f"{argument}: column {term!r} is not in the data",
                                argument=argument)
            return term
        return self.add(term, label or f"({argument})")

    def add(self, values: npt.ArrayLike, label: str) -> str:
        if not self.copied:
            self.data, self.copied = self.data.copy(), True
        self.data[label] = values
        return label


def svydesign(data: pd.DataFrame, ids: Any = None, strata: Any = None, weights: Any = None,
              fpc: Any = None, nest: bool = False, probs: Any = None, *,
              lonely_psu: str = "fail", deff: str = "srswor") -> SurveyDesign:
    """A linearisation (Taylor) design, as R's ``svydesign(ids=, strata=, weights=, fpc=,
    nest=, probs=, data=)``.

    ``ids``: the clusters of each stage, ``"psu"``, ``["psu", "ssu"]`` or ``"~psu + ssu"``
    (two stages at most); None, ``1`` or ``"~1"`` for none (each row its own PSU). Second-stage
    units are nested in PSUs, as R nests them. ``strata``: one column. ``weights`` or ``probs``
    (sampling probabilities: the weights are ``1 / probs``; ``probs=1`` is R's ``prob=~1``), not
    both; neither with ``fpc``: the weights are the inverse sampling fractions. ``fpc``: one per
    stage, population sizes or sampling fractions (R's rule). ``nest``: R's default False
    requires each PSU label to belong to one stratum (R: "Clusters not nested in strata at top
    level; you may want nest=TRUE"); True reads PSU labels within strata, so that strata may
    reuse them. ``lonely_psu``: R's ``options(survey.lonely.psu)``, "fail" by default as R's.
    ``deff``: the default reference of design effects ("srswor", R's ``deff = TRUE``, or
    "replace"; the estimators' ``deff=`` chooses per call). The design keeps its data, so
    estimators take column names (``svy_mean("api00", design)``).

    Example: R's ``svydesign(id=~dnum+snum, fpc=~fpc1+fpc2, data=apiclus2)`` is
    ``svydesign(apiclus2, ids="~dnum + snum", fpc="~fpc1 + fpc2")``.
    """
    if not isinstance(data, pd.DataFrame):
        raise ConfigError(f"data: must be a pandas DataFrame, not {type(data).__name__}",
                          argument="data")
    cols = _Columns(data)
    id_terms = _terms(ids, "ids", data)
    if len(id_terms) > 2:
        raise ConfigError(f"ids: at most two stages are supported, not {len(id_terms)}",
                          argument="ids")
    psu = cols.name(id_terms[0], "ids", "(ids)") if id_terms else None
    ssu = cols.name(id_terms[1], "ids", "(ids2)") if len(id_terms) == 2 else None
    stratum = cols.name(_one(_terms(strata, "strata", data), "strata", "strata column"),
                        "strata")
    fpc_terms = _terms(fpc, "fpc", data)
    if len(fpc_terms) > max(len(id_terms), 1):
        raise ConfigError(f"fpc: {len(fpc_terms)} stages of population sizes for "
                          f"{max(len(id_terms), 1)} stage(s) of clusters", argument="fpc")
    fpc1 = cols.name(fpc_terms[0], "fpc") if fpc_terms else None
    fpc2 = cols.name(fpc_terms[1], "fpc", "(fpc2)") if len(fpc_terms) == 2 else None
    w = _weights(cols, weights, probs, data)
    if psu is not None and stratum is not None and not nest:
        _check_nested(cols.data, psu, stratum)
    if psu is not None and cols.data[psu].nunique() == 1 and not (nest and stratum):
        raise DataError(f"ids: the design has only one primary sampling unit ({psu!r} takes one "
                        "value); R: \"Design has only one primary sampling unit\"",
                        argument="ids")
    if w is None and fpc1 is None:
        warnings.warn("svydesign: no weights or probabilities supplied, assuming equal "
                      "probability (as R warns)", UserWarning, stacklevel=2)
    return make_design(cols.data, weights=w, strata=stratum, psu=psu, fpc=fpc1, ssu=ssu,
                       fpc2=fpc2, lonely_psu=lonely_psu, deff=deff, keep_data=True)


def _weights(cols: _Columns, weights: Any, probs: Any, data: pd.DataFrame) -> str | None:
    """The weights column: given, or ``1 / probs`` (added to the data as ``"1/<probs>"``)."""
    w = _one(_terms(weights, "weights", data), "weights", "weights column")
    p = _one(_terms(probs, "probs", data), "probs", "probabilities column")
    if w is not None and p is not None:
        raise ConfigError("weights: give weights or probs, not both (R: \"Can't specify both "
                          "sampling weights and probabilities\")", argument="weights")
    if p is None:
        return cols.name(w, "weights")
    name = cols.name(p, "probs")
    assert name is not None
    prob = pd.to_numeric(cols.data[name], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(prob) | (prob <= 0) | (prob > 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"probs: {name!r} has {int(bad.sum())} value(s) that are not "
                        f"probabilities in (0, 1], e.g. {cols.data[name].iloc[i]!r} in row "
                        f"{i + 1}", argument="probs")
    return cols.add(1.0 / prob, f"1/{name}")


def _check_nested(data: pd.DataFrame, psu: str, strata: str) -> None:
    """R's ``check.strata`` of ``nest = FALSE``: each PSU label in a single stratum."""
    pairs = data[[psu, strata]].drop_duplicates()
    shared = pairs[pairs[psu].duplicated(keep=False)]
    if len(shared):
        label = shared[psu].iloc[0]
        in_strata = shared.loc[shared[psu] == label, strata].tolist()
        raise DataError(f"ids: cluster {label!r} of {psu!r} is in strata {in_strata[0]!r} and "
                        f"{in_strata[1]!r} of {strata!r}: clusters are not nested in strata "
                        "(R: \"Clusters not nested in strata at top level\"); pass nest=True "
                        "if cluster labels are reused across strata", argument="ids")


def svrepdesign(data: pd.DataFrame, repweights: Any, type: str = "BRR", weights: Any = None,
                combined_weights: bool = True, scale: float | None = None,
                rscales: npt.ArrayLike | None = None, rho: float | None = None,
                mse: bool = False, *, deff: str = "srswor") -> ReplicateDesign:
    """A replicate-weight design, as R's ``svrepdesign(repweights=, type=, weights=,
    combined.weights=, scale=, rscales=, rho=, mse=, data=)``, with R's defaults and warnings.

    ``repweights``: a regular expression searched in the column names (R's ``grep``:
    ``"wt[1-9]+"``), R's formula as text (``"~w1 + w2"``), a list of columns, or the weights
    themselves (an array or DataFrame with a row per row of the data, R's matrix).
    ``type``: "BRR" (R's default), "Fay" (needs ``rho``), "JK1", "JKn", "bootstrap",
    "ACS"/"successive-difference", "JK2" or "other". ``weights``: the full-sample weights
    (a column, ``"~pw"`` or values); without them R assumes equal weights and warns.
    ``combined_weights``: the replicate weights include the full-sample weight (R's default),
    else they are factors. ``scale``/``rscales``: R's defaults per type (BRR 1/R, Fay 1/(R
    (1-rho)^2), bootstrap 1/(R-1), JK1 (R-1)/R, successive-difference 4/R, JK2 1; JKn needs
    ``rscales`` with combined weights; "other" 1). As R: BRR and Fay ignore ``scale`` (with a
    warning), JK1 guesses its scale (with a warning), ``rho`` is only for Fay. ``mse``: centre
    the variance at the full-sample estimate.
    """
    if not isinstance(data, pd.DataFrame):
        raise ConfigError(f"data: must be a pandas DataFrame, not {data.__class__.__name__}",
                          argument="data")
    if type not in R_REPLICATE_TYPES:
        raise ConfigError(f"type: {type!r} is not one of {', '.join(R_REPLICATE_TYPES)}",
                          argument="type")
    cols = _Columns(data)
    names = _rep_columns(cols, repweights)
    rep = cols.data[names]
    if rep.isna().to_numpy().any():
        bad = next(c for c in names if rep[c].isna().any())
        raise DataError(f"repweights: column {bad!r} has missing values (R: \"Missing values "
                        "not allowed in 'repweights'\")", argument="repweights")
    w_name = cols.name(_one(_terms(weights, "weights", data), "weights", "weights column"),
                       "weights")
    if w_name is None:
        warnings.warn("svrepdesign: no sampling weights provided, equal probability assumed "
                      "(as R warns)", UserWarning, stacklevel=2)
        w_name = cols.add(np.ones(len(data)), "(weights)")
    matrix = rep.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    _check_combined(matrix, pd.to_numeric(cols.data[w_name], errors="coerce").to_numpy(float),
                    combined_weights)
    kind, scale, rscales, rho = _r_constants(type, matrix, combined_weights, scale, rscales,
                                             rho)
    out = make_replicate_design(cols.data, weights=w_name, replicates=names, type=kind,
                                scale=scale, rscales=rscales, rho=rho, mse=mse,
                                combined=combined_weights, deff=deff, keep_data=True)
    return out if kind == type else replace(out, type=type)


def _rep_columns(cols: _Columns, repweights: Any) -> list[str]:
    data = cols.data
    if isinstance(repweights, str) and not repweights.lstrip().startswith("~"):
        try:
            rx = re.compile(repweights)
        except re.error as exc:
            raise ConfigError(f"repweights: {repweights!r} is not a valid regular expression "
                              f"({exc})", argument="repweights") from None
        names = [c for c in data.columns if rx.search(str(c))]
        if not names:
            raise ConfigError(f"repweights: no column name matches {repweights!r}",
                              argument="repweights")
        return names
    if isinstance(repweights, str) or (isinstance(repweights, list | tuple) and all(
            isinstance(v, str) for v in repweights)):
        names = [t for t in _terms(repweights, "repweights", data) if isinstance(t, str)]
        missing = [c for c in names if c not in data.columns]
        if missing:
            raise DataError(f"repweights: column(s) {missing} are not in the data",
                            argument="repweights")
        return names
    block = repweights.to_numpy() if isinstance(repweights, pd.DataFrame) else \
        np.asarray(repweights)
    if block.ndim != 2 or block.shape[0] != len(data):
        raise ConfigError(f"repweights: a matrix needs one row per row of the data "
                          f"({len(data)}), not the shape {block.shape}", argument="repweights")
    return [cols.add(block[:, j], f"(repweights){j + 1}") for j in range(block.shape[1])]


def _check_combined(rep: np.ndarray, w: np.ndarray, combined: bool) -> None:
    """R's warnings when the replicate weights do not look like what ``combined_weights``
    says (means compared as R compares them)."""
    repmean, wmean = float(np.mean(rep.mean(axis=0))), float(np.mean(w))
    if combined and repmean < 5 and wmean / repmean > 5:
        warnings.warn(f"svrepdesign: the data do not look like combined weights: mean "
                      f"replicate weight {repmean:g}, mean sampling weight {wmean:g} (as R "
                      "warns)", UserWarning, stacklevel=3)
    if not combined and repmean > 5 and wmean / repmean < 5:
        warnings.warn(f"svrepdesign: the data look like combined weights: mean replicate "
                      f"weight {repmean:g}, mean sampling weight {wmean:g} (as R warns)",
                      UserWarning, stacklevel=3)


def _r_constants(type: str, rep: np.ndarray, combined: bool, scale: float | None,
                 rscales: npt.ArrayLike | None, rho: float | None
                 ) -> tuple[str, float | None, npt.ArrayLike | None, float | None]:
    """R's svrepdesign rules for ``scale``, ``rscales`` and ``rho``; the engine's type."""
    def warn(text: str) -> None:
        warnings.warn(f"svrepdesign: {text} (as R warns)", UserWarning, stacklevel=4)

    n_rep = rep.shape[1]
    if rscales is not None and np.size(rscales) not in (1, n_rep):
        raise ConfigError(f"rscales: {np.size(rscales)} values for {n_rep} replicates (one, or "
                          "one per replicate)", argument="rscales")
    if type == "Fay" and rho is None:
        raise ConfigError("rho: type='Fay' needs Fay's rho (R: \"With type='Fay' you must "
                          "supply the correct rho\")", argument="rho")
    if rho is not None and type != "Fay":
        warn(f"rho is not used by type={type!r} and was ignored")
        rho = None
    if type in ("BRR", "Fay") and scale is not None:
        warn(f"type={type!r} sets its own scale; scale={scale!r} was ignored")
        scale = None
    if type in ("ACS", "successive-difference", "JK2"):
        if scale is not None or rscales is not None:
            warn(f"type={type!r} needs no scale or rscales; they were ignored")
        return ("successive-difference", None, None, None) if type != "JK2" else \
            ("other", 1.0, None, None)
    if type == "JK1" and scale is None:
        if combined:
            scale = (n_rep - 1) / n_rep
            warn("scale (n-1)/n not provided: guessing n = the number of replicates")
        else:
            scale = float(1.0 / rep[:, 0].max())
            warn("scale (n-1)/n not provided: guessing from the weights")
    if type == "JKn" and rscales is None:
        if combined:
            raise ConfigError("rscales: JKn replicates with combined weights need their "
                              "rscales ((n_h - 1)/n_h of the stratum each drops; R: \"Must "
                              "provide rscales for combined JKn weights\")", argument="rscales")
        rscales = 1.0 / rep.max(axis=0)
        warn("rscales (n-1)/n not provided: guessing from the weights")
    if type == "other" and (scale is None or rscales is None):
        warn("scale or rscales not specified, set to 1")
        scale = 1.0 if scale is None else scale
    assert type in REPLICATE_TYPES
    return type, scale, rscales, rho


def degf(design: SurveyDesign | ReplicateDesign) -> int:
    """R's ``degf(design)``: the design's degrees of freedom over the rows of its domain (all
    of them by default). A linearisation design: PSUs minus strata among the rows with a
    non-zero weight (R's count; a domain counts the PSUs holding its members); a replicate
    design: the rank of the replicate weights, minus one."""
    if isinstance(design, ReplicateDesign):
        return design.degf()
    if isinstance(design, SurveyDesign):
        return design_df(design)
    raise ConfigError(f"design: a survey design is needed, not {type(design).__name__}",
                      argument="design")

