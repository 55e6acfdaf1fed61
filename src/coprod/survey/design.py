"""The survey design object: what R's ``svydesign`` holds, encoded once for fast variance sums.

Why one object: every estimator (models, proportions, means, margins, the contrast test) needs
the same weights, strata, clusters and finite-population corrections; encoding a million rows
costs more than most estimates, so a job builds the design once and hands it to each estimator.
Domains are taken from the object (:meth:`SurveyDesign.domain`), never by subsetting the data,
because a domain keeps the whole design (as R's ``subset(design, ...)``).

Supported: weights; strata; one or two stages of clusters (PSUs, and second-stage units nested
in them), sampled with replacement unless population sizes are given (``fpc``, ``fpc2``), in
which case the variance is R's default multistage one (``options(survey.ultimate.cluster =
FALSE)``); lonely PSUs as R's ``options(survey.lonely.psu)``.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any, Self, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError, DataError, ModelError
from .designspec import key_errors, variance_kind

if TYPE_CHECKING:
    from .calibration import CalibrationSpec, Greg, PostStrata, Raking
    from .rcalibrate import FormulaCalibration

LONELY_PSU_OPTIONS = ("adjust", "average", "remove", "certainty", "fail")
DEFF_OPTIONS = ("srswor", "replace")
CENSUS = 1e-7  # R: a stratum whose finite-population factor is below this adds no variance


def check_model_based(design: DomainMixin) -> None:
    """Model-based (glm) errors ignore the design, so they are only for unweighted data: the
    one rule for the models and the proportions (the config check states it for the keys)."""
    if design.has_weights and np.ptp(design.weights) > 0:
        raise ModelError(f"model_based=True gives plain glm standard errors and is only for "
                         f"unweighted data, but weights column "
                         f"{design.columns.get('weights')!r} varies")


class DomainMixin:
    """Domains of a design (linearisation or replicate): the rows an estimate is for, while
    the design keeps all of them."""

    # provided by the designs that use this mixin (dataclass fields there)
    weights: np.ndarray
    data: pd.DataFrame | None
    in_domain: np.ndarray | None
    has_weights: bool
    columns: dict[str, Any]

    def domain(self, mask: str | npt.ArrayLike) -> Self:
        """The same design restricted to a domain (a boolean mask, a 0/1 column name or a
        Series over the rows); nested domains intersect."""
        if self.data is None and isinstance(mask, str):
            raise DataError("a domain by column name needs a design built with its data")
        rows = len(self.weights)
        m = domain_mask(self.data if self.data is not None else pd.DataFrame(index=range(rows)),
                        mask)
        if self.in_domain is not None:
            m = m & self.in_domain
        return replace(self, in_domain=m)  # type: ignore[type-var]  # a dataclass design

    def subset(self, condition: str | npt.ArrayLike) -> Self:
        """R's ``subset(design, condition)``: a domain, which keeps the whole design (R's
        subset of a survey design is a domain too). ``condition``: a boolean mask, a 0/1
        column, or an expression over the design's columns (``"stype == 'E'"``, evaluated by
        :meth:`pandas.DataFrame.eval`)."""
        if isinstance(condition, str) and self.data is not None \
                and condition not in self.data.columns:
            try:
                condition = self.data.eval(condition)
            except Exception as exc:  # pandas raises many kinds: name the argument
                raise DataError(f"condition: {condition!r} is neither a column nor an "
                                f"expression over the design's columns ({exc})",
                                argument="condition") from None
            if isinstance(condition, pd.Series):
                condition = condition.fillna(False)  # R's subset: NA is not in the domain
        return self.domain(condition)

    @cached_property
    def weight_exponent(self) -> int:
        """The even power of two ``e`` the weights are divided by in every fit and variance
        (:func:`unit_exponent`): ``weights == unit_weights * 2**e`` exactly."""
        return unit_exponent(self.weights)

    @cached_property
    def unit_weights(self) -> np.ndarray:
        """The weights divided by ``2**weight_exponent`` (mean over the positive ones in [0.5,
        2)): what the estimators compute with, so that their estimates and standard errors do
        not depend on the weights' scale. The same array when the exponent is 0."""
        e = self.weight_exponent
        return np.ldexp(self.weights, -e) if e else self.weights

    def population_scale(self, value: float) -> float:
        """A sum of unit weights (a weighted count, a pseudo-log-likelihood) back on the scale
        of the weights as given (inf if that scale cannot hold it)."""
        return float(np.ldexp(value, self.weight_exponent))

    def domain_rows(self, mask: npt.ArrayLike | None = None) -> np.ndarray:
        """Boolean mask of the rows in the design's domain and in ``mask`` (if given)."""
        base = np.ones(len(self.weights), dtype=bool) if self.in_domain is None \
            else self.in_domain
        return base if mask is None else base & np.asarray(mask, dtype=bool)


@dataclass(frozen=True, eq=False)
class SurveyDesign(DomainMixin):
    """The sampling design over *all* rows of the data (domains and missing values included).

    ``psu`` codes are unique across strata (nest=TRUE); ``n_psu[h]`` is the number of PSUs of
    stratum ``h`` in the full design (the count R keeps after subsetting to a domain).
    ``fpc[h]`` is the number of PSUs in stratum ``h``'s population (``inf``: sampled with
    replacement). Second stage: ``ssu`` codes (nested in PSUs), ``n_ssu[i]`` sampled and
    ``fpc2[i]`` population second-stage units of PSU ``i``. ``in_domain`` restricts the
    estimators to a domain while the variance keeps every PSU of the design.
    """

    weights: np.ndarray          # (n,) float, >= 0
    stratum: np.ndarray          # (n,) int codes 0..H-1
    psu: np.ndarray              # (n,) int codes 0..P-1, nested in strata
    psu_stratum: np.ndarray      # (P,) stratum code of each PSU
    n_psu: np.ndarray            # (H,) PSUs per stratum in the full design
    strata_labels: tuple[Any, ...]
    lonely_psu: str = "fail"
    has_weights: bool = False
    has_strata: bool = False
    has_psu: bool = False
    fpc: np.ndarray | None = None    # (H,) population PSUs per stratum, or None
    ssu: np.ndarray | None = None    # (n,) codes 0..S-1, nested in PSUs
    ssu_psu: np.ndarray | None = None  # (S,) PSU of each second-stage unit
    n_ssu: np.ndarray | None = None  # (P,) second-stage units per PSU in the full design
    fpc2: np.ndarray | None = None   # (P,) population second-stage units per PSU, or None
    deff: str = "srswor"
    columns: dict[str, str | None] = field(default_factory=dict)  # role -> column name
    psu_names: Callable[[int], str] | None = None  # PSU code -> its labels (for messages)
    data: pd.DataFrame | None = None
    in_domain: np.ndarray | None = None
    # calibrated weights (coprod.survey.calibration): the variance adjustments of the influence
    # values,
    # the calibrations applied, and the weights before them
    adjustments: tuple[PostStrata | Raking | Greg, ...] = ()
    calibration: tuple[CalibrationSpec | FormulaCalibration, ...] = ()  # as applied, in order
    weights_before: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.weights)

    def psu_label(self, code: int) -> str:
        """A PSU as the user knows it: its stratum and PSU labels in the data."""
        return self.psu_names(code) if self.psu_names is not None else f"number {code + 1}"

    def degf(self, rows: npt.ArrayLike | None = None) -> int:
        """R's ``degf(design)``: PSUs minus strata among the rows with a non-zero weight, of
        ``rows`` (indices) or, by default, of the design's domain (every row when it has none).
        """
        idx = np.flatnonzero(self.domain_rows()) if rows is None else np.asarray(rows)
        positive = self.weights[idx] > 0
        r = idx if positive.all() else idx[positive]
        return (int(np.count_nonzero(np.bincount(self.psu[r], minlength=len(self.psu_stratum))))
                - int(np.count_nonzero(np.bincount(self.stratum[r], minlength=len(self.n_psu)))))

    @property
    def stages(self) -> int:
        return 2 if self.ssu is not None else 1

    def drop_rows(self, keep: npt.ArrayLike) -> SurveyDesign:
        """The design rebuilt on the kept rows alone, as R's ``svydesign`` on a subset of the
        data: unlike a domain, dropped rows leave the design, so strata, PSU counts (and the
        weights derived from an fpc) are those of the kept rows. For complete-case analyses."""
        if self.data is None:
            raise DataError("dropping rows needs a design built with its data (keep_data=True)")
        keep = np.asarray(keep, dtype=bool)
        c = self.columns
        out = make_design(self.data.loc[keep].reset_index(drop=True), weights=c.get("weights"),
                          strata=c.get("strata"), psu=c.get("psu"), fpc=c.get("fpc"),
                          ssu=c.get("ssu"), fpc2=c.get("fpc2"), lonely_psu=self.lonely_psu,
                          deff=self.deff, keep_data=True)
        if self.calibration:
            from .calibration import recalibrate

            out = recalibrate(out, out.data, self.calibration)
        return out if self.in_domain is None else replace(out, in_domain=self.in_domain[keep])

    def __repr__(self) -> str:
        """What R's ``print(design)`` says (rows, domain, the design in one sentence), not the
        arrays: a dataclass repr of a 1M-row design would print megabytes."""
        return short_repr(self)

    def describe(self) -> str:
        """One sentence naming the design, for the report's Methods and table notes."""
        c = self.columns
        parts = []
        parts.append(f"weights {c['weights']!r}" if c.get("weights") else
                     "weights from the sampling fractions" if self.has_weights else
                     "equal weights")
        if c.get("strata"):
            parts.append(f"{len(self.strata_labels)} strata ({c['strata']!r})")
        if c.get("psu"):
            stage1 = f"{len(self.psu_stratum)} PSUs ({c['psu']!r})"
            if self.fpc is not None:
                stage1 += f" sampled without replacement (population sizes from {c['fpc']!r})"
            parts.append(stage1)
            if self.ssu is not None and self.ssu_psu is not None:
                stage2 = f"{len(self.ssu_psu)} second-stage units ({c['ssu']!r})"
                if self.fpc2 is not None:
                    stage2 += f" sampled without replacement ({c['fpc2']!r})"
                parts.append(stage2)
        else:
            parts.append("each respondent its own PSU" + (
                f", sampled without replacement (population sizes from {c['fpc']!r})"
                if self.fpc is not None else ""))
        kind = variance_kind(fpc=self.fpc is not None, ssu=self.ssu is not None)
        return (f"{'; '.join(parts)}; Taylor-linearisation variance ({kind}); strata with a "
                f"single PSU: {self.lonely_psu!r}")


Design = SurveyDesign  # the name earlier versions used


def unit_exponent(weights: np.ndarray) -> int:
    """The even power of two ``e`` that brings the mean of the positive weights into [0.5, 2)
    (0 without a positive weight).

    Why: a design-based estimate does not depend on the scale of the weights, but sums of
    weights x 1e300 overflow and squares of weights x 1e-300 underflow, and the iterations'
    tolerances (R's glm rule |dev - dev_old| / (|dev| + 0.1)) assume weights near 1, which is
    why R's svyglm divides the weights by their mean. Dividing by a power of two is exact in
    floating point, so weights whose mean is already in [0.5, 2) (and any weights times a power
    of four) give bit-identical results; an even power keeps square roots of weights exact too.
    The mean is taken through the largest weight's exponent when the plain sum overflows."""
    w = np.asarray(weights, dtype=float)
    count = int(np.count_nonzero(w))
    if count == 0:
        return 0
    total = float(w.sum())
    shift = 0
    if not math.isfinite(total):  # weights near the largest double: sum them scaled down
        shift = int(np.frexp(w.max())[1])
        total = float(np.ldexp(w, -shift).sum())
    log2_mean = math.log2(total) - math.log2(count) + shift
    return 2 * math.floor(log2_mean / 2 + 0.5)


def no_missing(col: pd.Series) -> bool:
    """Whether ``col`` certainly has no missing value, found without a mask where its type
    allows: a numpy integer or bool column has none, a float column has one only if its
    minimum is NaN, a Categorical only if a code is -1 (a million-row mask per column was
    most of the checks of a large survey's columns); False for other types (ask
    ``isna``)."""
    dtype = col.dtype
    if isinstance(dtype, np.dtype):
        if dtype.kind in "iub":
            return True
        return dtype.kind == "f" and (not len(col) or not np.isnan(col.to_numpy().min()))
    if isinstance(dtype, pd.CategoricalDtype):
        return not len(col) or int(col.cat.codes.to_numpy().min()) >= 0
    return False


def _column(data: pd.DataFrame, name: str, role: str, argument: str | None = None
            ) -> pd.Series:
    """A design column, present and complete; ``role`` begins the messages (the argument that
    names the column: "weights column 'w' ...", "fpc: column 'N' ...")."""
    argument = argument or role
    if name not in data.columns:
        raise DataError(f"{role} column {name!r} is not in the data", argument=argument)
    col = data[name]
    n_missing = 0 if no_missing(col) else int(col.isna().sum())
    if n_missing:
        raise DataError(f"{role} column {name!r} has {n_missing} missing value(s); "
                        "every respondent needs a value for the survey design",
                        argument=argument)
    return col


def _numeric(data: pd.DataFrame, name: str, role: str, argument: str | None = None
             ) -> np.ndarray:
    col = _column(data, name, role, argument)
    try:
        return np.asarray(col, dtype=float)
    except (TypeError, ValueError) as exc:
        bad = col[pd.to_numeric(col, errors="coerce").isna()]
        example = f" (e.g. {bad.iloc[0]!r})" if len(bad) else ""
        raise DataError(f"{role} column {name!r} is not numeric{example}",
                        argument=argument or role) from exc


def make_design(data: pd.DataFrame, *, weights: str | None = None, strata: str | None = None,
                psu: str | None = None, lonely_psu: str = "fail", fpc: str | None = None,
                ssu: str | None = None, fpc2: str | None = None, deff: str = "srswor",
                keep_data: bool = False) -> SurveyDesign:
    """Encode the design columns as integer codes for fast variance sums (R's ``svydesign``).

    Without ``psu`` every respondent is its own PSU; without ``strata`` there is one stratum.
    PSU labels are nested in strata, second-stage labels in PSUs (R's ``nest = TRUE``).
    ``fpc``: the first stage's population size per stratum (numbers of PSUs, or of respondents
    without ``psu``) or sampling fraction (all values <= 1), constant within a stratum;
    ``fpc2``: the same for the second-stage units of each PSU. Without weights but with
    ``fpc``, the weights are the inverse sampling fractions, as R derives them.
    ``deff``: the reference variance of design effects of means, "srswor" (R's ``deff =
    TRUE``: simple random sampling without replacement from a population of the weights' sum)
    or "replace" (with replacement).
    """
    if lonely_psu not in LONELY_PSU_OPTIONS:
        raise ConfigError(f"lonely_psu: must be one of {LONELY_PSU_OPTIONS}, not "
                          f"{lonely_psu!r}", argument="lonely_psu")
    if deff not in DEFF_OPTIONS:
        raise ConfigError(f"deff: must be one of {DEFF_OPTIONS}, not {deff!r}", argument="deff")
    missing = key_errors({"psu": psu, "fpc": fpc, "ssu": ssu, "fpc2": fpc2})
    if missing:  # each message starts with the argument it is about
        raise ConfigError(missing[0], argument=missing[0].split(":", 1)[0])
    n = len(data)
    w = None
    if weights is not None:
        w = _numeric(data, weights, "weights")
        # (all >= 0 with a finite sum: every weight valid, the common case in two passes)
        bad = np.zeros(0, bool) if (w >= 0).all() and np.isfinite(w.sum()) \
            else ~np.isfinite(w) | (w < 0)
        if bad.any():
            raise DataError(f"weights column {weights!r} has {int(bad.sum())} negative or infinite "
                            f"value(s), e.g. {w[bad][0]!r}", argument="weights")
    if strata is None:
        s_codes, s_labels = np.zeros(n, dtype=np.int64), ("(all)",)
    else:
        s_codes, s_labels = _sorted_codes(_column(data, strata, "strata"))
    n_strata = len(s_labels)
    if psu is None:
        # each respondent is a PSU; PSUs numbered by (stratum, row) as the general case does,
        # by a stable counting sort instead of sorting a million (stratum, row) keys
        order = np.argsort(s_codes.astype(np.int16 if n_strata < 2 ** 15 else np.int64),
                           kind="stable")
        p_codes = np.empty(n, dtype=np.int64)
        p_codes[order] = np.arange(n, dtype=np.int64)
        psu_stratum = s_codes[order]
    else:
        p_codes, psu_stratum = _nested_codes(s_codes, _column(data, psu, "psu"))
    n_psu = np.bincount(psu_stratum, minlength=n_strata)
    ssu_codes = ssu_psu = n_ssu = None
    if ssu is not None:
        ssu_codes, ssu_psu = _nested_codes(p_codes, _column(data, ssu, "ssu"))
        n_ssu = np.bincount(ssu_psu, minlength=len(psu_stratum))
    psu_names = _psu_names(data, strata, psu, p_codes) if psu else None
    pop1 = pop2 = None
    if fpc is not None:
        pop1 = _population(data, fpc, "fpc", s_codes, n_psu, lambda h: s_labels[h], "stratum",
                           "PSUs" if psu else "respondents")
    if fpc2 is not None:
        assert n_ssu is not None and psu_names is not None  # fpc2 needs ssu and psu
        pop2 = _population(data, fpc2, "fpc2", p_codes, n_ssu, psu_names, "PSU",
                           "second-stage units")
    if w is None:
        w = np.ones(n)
        if pop1 is not None:  # R: probabilities from the sampling fractions of each stage
            w = (pop1 / n_psu)[s_codes]
            if pop2 is not None:
                w = w * (pop2 / n_ssu)[p_codes]
    return SurveyDesign(
        weights=w, stratum=s_codes, psu=p_codes, psu_stratum=psu_stratum, n_psu=n_psu,
        strata_labels=s_labels, lonely_psu=lonely_psu,
        has_weights=weights is not None or pop1 is not None,
        has_strata=strata is not None, has_psu=psu is not None, fpc=pop1, ssu=ssu_codes,
        ssu_psu=ssu_psu, n_ssu=n_ssu, fpc2=pop2, deff=deff,
        columns={"weights": weights, "strata": strata, "psu": psu, "fpc": fpc, "ssu": ssu,
                 "fpc2": fpc2},
        psu_names=psu_names, data=data if keep_data else None)


def _psu_names(data: pd.DataFrame, strata: str | None, psu: str, p_codes: np.ndarray
               ) -> Callable[[int], str]:
    """PSU code -> "label" (or "stratum/label"), looked up only when a message needs it."""
    def name(code: int) -> str:
        i = int(np.flatnonzero(p_codes == code)[0])
        label = str(data[psu].iloc[i])
        return f"{data[strata].iloc[i]}/{label}" if strata else label
    return name


def _nested_codes(parent: np.ndarray, labels: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes of units nested in ``parent`` codes (a unit is a (parent, label) pair), sorted by
    parent then label, and the parent of each unit."""
    raw = _small_int_codes(labels)
    if raw is None:
        raw = pd.factorize(labels)[0].astype(np.int64)
    span = int(raw.max(initial=-1)) + 1
    combined = parent * span
    combined += raw  # (in place: one n-long temporary less)
    size = (int(parent.max(initial=-1)) + 1) * span
    if size <= _DIRECT_SIZE * 4 + len(combined) * 4:
        # pd.factorize(combined, sort=True) by a table of the values present: the same codes
        present = np.zeros(size, dtype=bool)
        present[combined] = True
        codes = (np.cumsum(present) - 1)[combined]
        return codes, np.flatnonzero(present) // max(span, 1)
    codes, uniques = pd.factorize(combined, sort=True)
    return codes.astype(np.int64), (np.asarray(uniques) // max(span, 1)).astype(np.int64)


_DIRECT_SIZE = 1 << 16  # labels spanning up to 4 per row (or this many) are coded by a table


def _small_int_codes(labels: pd.Series) -> np.ndarray | None:
    """``pd.factorize(labels)[0]`` (codes in order of first appearance) for integer labels of
    a small range, by a table of each value's first row instead of a hash table (3x faster
    on a million PSU labels); None for other labels."""
    values = labels.to_numpy()
    if values.dtype.kind not in "iu" or not len(values):
        return None
    low, high = int(values.min()), int(values.max())
    if high - low >= _DIRECT_SIZE + 4 * len(values) or max(-low, high) >= 2 ** 62:
        return None
    offset = np.subtract(values, low, dtype=np.int64)  # (one pass, whatever the int type)
    first = np.full(high - low + 1, len(values), dtype=np.int64)
    np.minimum.at(first, offset, np.arange(len(values)))
    seen = np.flatnonzero(first < len(values))
    rank = np.empty(len(first), dtype=np.int64)
    rank[seen[np.argsort(first[seen], kind="stable")]] = np.arange(len(seen))
    codes: np.ndarray = rank[offset]
    return codes


def _population(data: pd.DataFrame, name: str, key: str, unit_of_row: np.ndarray,
                n_sampled: np.ndarray, labels: Callable[[int], object], what: str, units: str
                ) -> np.ndarray:
    """Population sizes per stratum (or PSU) from a column of sizes or sampling fractions."""
    values = _numeric(data, name, f"{key}:", argument=key)
    # (the checks from the extremes first: a million-row column is passed over twice, not
    # eight times, when every value is valid and, as often, the same)
    lo, hi = (float(values.min()), float(values.max())) if len(values) else (1.0, 1.0)
    if not (np.isfinite(lo) and np.isfinite(hi) and lo > 0):
        bad = values[~np.isfinite(values) | (values <= 0)][0]
        raise DataError(f"{key}: column {name!r} has the value {bad:g}; population "
                        "sizes must be positive and sampling fractions in (0, 1]", argument=key)
    if lo == hi:  # one value: every unit's (each has a row), none varies
        first = np.full(len(n_sampled), lo)
        varies = np.zeros(0, bool)
    else:
        first = np.full(len(n_sampled), np.nan)
        first[unit_of_row] = values  # any row's value; checked constant below
        varies = values != first[unit_of_row]
    if varies.any():
        i = int(np.flatnonzero(varies)[0])
        u = int(unit_of_row[i])
        raise DataError(f"{key}: column {name!r} varies within {what} {labels(u)!r} "
                        f"({first[u]:g} and {values[i]:g}); it must be one value per {what}",
                        argument=key)
    # R's rule: sizes when any value is above 1 (then none may be below 1), else fractions
    sizes = hi > 1
    if sizes and lo < 1:
        i = int(np.flatnonzero(values < 1)[0])
        raise DataError(f"{key}: column {name!r} mixes population sizes (> 1) and "
                        f"sampling fractions (< 1), e.g. {values[i]:g}; use one or the other",
                        argument=key)
    pop = first if sizes else n_sampled / first
    small = pop < n_sampled - 1e-9 * n_sampled
    if small.any():
        u = int(np.flatnonzero(small)[0])
        label = labels(u)
        raise DataError(f"{key}: column {name!r} gives {pop[u]:g} {units} in the "
                        f"population of {what} {label!r}, fewer than the {int(n_sampled[u])} "
                        "sampled", argument=key)
    return pop


def _sorted_codes(col: pd.Series) -> tuple[np.ndarray, tuple[Any, ...]]:
    """``pd.factorize(col, sort=True)`` as int64 codes and a tuple of labels; for a pandas
    Categorical straight from its codes (factorize would go through an object array)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        used = np.flatnonzero(np.bincount(codes, minlength=len(col.cat.categories)))
        if len(used) == len(col.cat.categories):  # every category present: codes as they are
            return codes, tuple(col.cat.categories.tolist())
        remap = np.full(len(col.cat.categories), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        return remap[codes], tuple(col.cat.categories[used].tolist())
    codes, uniques = pd.factorize(col, sort=True)
    return codes.astype(np.int64), tuple(uniques.tolist())


def domain_mask(data: pd.DataFrame, domain: str | npt.ArrayLike | None) -> np.ndarray:
    """A boolean array over the rows of ``data`` from a column name or a boolean mask."""
    n = len(data)
    if domain is None:
        return np.ones(n, dtype=bool)
    if isinstance(domain, str):
        col = _column(data, domain, "domain")
        vals = col.to_numpy()
        ok = pd.Series(vals).isin([0, 1, True, False]).to_numpy()
        if not ok.all():
            raise DataError(f"domain column {domain!r} must be 0/1 or True/False; found "
                            f"{vals[~ok][0]!r}")
        return cast(np.ndarray, vals.astype(bool))
    if isinstance(domain, pd.Series):
        if not domain.index.equals(data.index):
            raise DataError("the domain mask's index does not match the data's index")
        domain = domain.to_numpy()
    mask = np.asarray(domain)
    if mask.shape != (n,):
        raise DataError(f"the domain mask has {mask.size} values for {n} rows")
    if pd.isna(mask).any():
        raise DataError("the domain mask has missing values")
    return mask.astype(bool)


def short_repr(design: Any) -> str:
    """``<SurveyDesign: 200 rows (domain: 50), calibrated; weights 'pw'; ...>``: the class,
    the rows, the domain and calibration when there are, and :meth:`describe`'s sentence."""
    extra = []
    if design.in_domain is not None:
        extra.append(f"domain: {int(np.count_nonzero(design.in_domain))}")
    if design.calibration or getattr(design, "adjustments", ()):
        extra.append("calibrated")
    if design.data is None:
        extra.append("without its data")
    rows = f"{design.n} rows" + (f" ({', '.join(extra)})" if extra else "")
    return f"<{type(design).__name__}: {rows}; {design.describe()}>"
