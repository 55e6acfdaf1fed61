"""Replicate-weight designs: what R's ``svrepdesign`` holds, behind the same interface as the
linearisation design (:class:`coprod.survey.design.SurveyDesign`).

Why: many national surveys publish replicate weights (BRR, Fay, jackknife, bootstrap,
successive difference) *instead of* strata and PSUs, so that respondents' clusters stay secret.
Every estimate is then computed once with the full-sample weights and once per replicate; its
variance is ``scale * sum_r rscales_r (theta_r - centre)^2`` with the centre the full-sample
estimate (``mse``) or the mean of the replicates, as R's ``svrVar``. Degrees of freedom are R's
``degf``: the rank of the replicate weights (of the rows in the domain) minus one.

A domain keeps the replicate weights of its rows (R's ``subset`` drops the other rows; their
weights play no part in a domain estimate, so zero weights are the same thing here).
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError, DataError
from .design import DomainMixin, SurveyDesign
from .repconvert import check_convertible, replicate_factors, settle_type

if TYPE_CHECKING:
    from .calibration import CalibrationSpec
    from .rcalibrate import FormulaCalibration

REPLICATE_TYPES = ("BRR", "Fay", "JK1", "JKn", "bootstrap", "successive-difference", "other")
RANK_TOL = 1e-5  # R: qr(weights, tol = 1e-5)$rank


@dataclass(frozen=True, eq=False)
class ReplicateDesign(DomainMixin):
    """Full-sample weights and the ``(n, R)`` replicate weights (full weight times the
    replicate's factor: R's "analysis" weights), with R's variance constants."""

    weights: np.ndarray
    repweights: np.ndarray
    type: str
    scale: float
    rscales: np.ndarray
    mse: bool = False
    rho: float | None = None
    deff: str = "srswor"
    columns: dict[str, Any] = field(default_factory=dict)
    data: pd.DataFrame | None = None
    in_domain: np.ndarray | None = None
    has_weights: bool = True
    lonely_psu: str = "none"  # replicate designs have no strata to be lonely in
    # calibrated weights (coprod.survey.calibration): every replicate was calibrated too
    calibration: tuple[CalibrationSpec | FormulaCalibration, ...] = ()  # as applied, in order
    weights_before: np.ndarray | None = None
    repweights_before: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.weights)

    @property
    def replicates(self) -> int:
        return cast(int, self.repweights.shape[1])

    def drop_rows(self, keep: npt.ArrayLike) -> ReplicateDesign:
        """The design of the kept rows alone (for complete-case analyses); the replicate
        weights of those rows are unchanged, as R's ``svrepdesign`` on a subset of the data."""
        keep = np.asarray(keep, dtype=bool)
        data = None if self.data is None else self.data.loc[keep].reset_index(drop=True)
        out = replace(self, weights=self.weights[keep], repweights=self.repweights[keep],
                      data=data,
                      in_domain=None if self.in_domain is None else self.in_domain[keep])
        if self.calibration:  # calibrate the kept rows' original weights anew
            from .calibration import recalibrate

            if data is None:  # as SurveyDesign.drop_rows says of any design
                raise DataError("dropping rows of a calibrated design needs it built with its "
                                "data (keep_data=True): the kept rows are calibrated anew")
            assert self.weights_before is not None and self.repweights_before is not None
            out = replace(out, weights=self.weights_before[keep],
                          repweights=self.repweights_before[keep], calibration=())
            out = recalibrate(out, data, self.calibration)
        return out

    def degf(self, rows: npt.ArrayLike | None = None) -> int:
        """R's ``degf``: rank of the replicate weights of ``rows`` (indices; by default the
        rows of the design's domain, every row without one), minus one (remembered per set of
        rows: a job asks for the same domain once per model, and the rank of a million rows of
        80 replicates takes a second or two)."""
        rows = np.flatnonzero(self.domain_rows()) if rows is None else np.asarray(rows)
        key = (len(rows), hash(rows.tobytes()))
        cache: dict[tuple[int, int], int] = self.__dict__.setdefault("_degf_cache", {})
        if key not in cache:
            cache[key] = replicate_rank(self.rows_of(rows), self.weight_exponent) - 1
        return cache[key]

    def means(self, rows: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Each replicate's weighted mean of ``y`` (the values of ``rows``), as R's svymean;
        NaN for a replicate without weight there. Weights far from 1 are summed unit-scaled
        (divided by ``2**weight_exponent``, as every estimator's), so no sum overflows."""
        W, e = self.rows_of(rows), self.weight_exponent
        if abs(e) > _SAFE:
            sums = _unit_products(W, e, np.column_stack([y, np.ones(len(y))]))
            num, den = sums[:, 0], sums[:, 1]
        else:
            num, den = W.T @ y, W.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return cast(np.ndarray, num / den)

    def rows_of(self, rows: np.ndarray) -> np.ndarray:
        """The replicate weights of ``rows``, without a copy when they are all the rows."""
        rows = np.asarray(rows)
        if len(rows) == self.n and (rows == np.arange(self.n)).all():
            return self.repweights
        return cast(np.ndarray, self.repweights[rows])

    def variance(self, thetas: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Covariance of an estimate from its replicates ``thetas`` (R x k) and full-sample
        value ``theta`` (k,), as R's ``svrVar``: replicates without a result (NaN, e.g. no
        weight in a domain) are left out, as R's ``na.omit`` does (see :meth:`discarded`)."""
        thetas = np.asarray(thetas, dtype=float).reshape(self.replicates, -1)
        keep = ~np.isnan(thetas).any(axis=1)
        if not keep.any():
            return np.full((thetas.shape[1],) * 2, np.nan)
        thetas, rscales = thetas[keep], self.rscales[keep]
        use = rscales > 0
        centre = np.asarray(theta, float).reshape(-1) if self.mse else thetas[use].mean(axis=0)
        d = (thetas - centre) * np.sqrt(rscales)[:, None]
        return cast(np.ndarray, self.scale * (d.T @ d))

    @staticmethod
    def discarded(thetas: npt.ArrayLike) -> int:
        """How many replicates gave no result (left out of the variance, as R warns)."""
        t = np.asarray(thetas, dtype=float)
        return int(np.isnan(t.reshape(len(t), -1)).any(axis=1).sum())

    def __repr__(self) -> str:
        """R's ``print(design)`` in one line, not the (n, R) replicate weights."""
        from .design import short_repr

        return short_repr(self)

    def describe(self) -> str:
        c = self.columns
        mse = "; centred at the full-sample estimate (mse)" if self.mse else \
            "; centred at the mean of the replicates"
        rho = f", Fay's rho {self.rho:g}" if self.type == "Fay" else ""
        return (f"weights {c.get('weights')!r}; {self.replicates} {self.type} replicate weights "
                f"({c.get('replicates')!r}{rho}); replicate variance, scale {self.scale:.6g}"
                f"{mse}")


def replicate_rank(w: np.ndarray, exponent: int = 0) -> int:
    """Numerical rank of a replicate weight matrix, as R's ``qr(w, tol = 1e-5)$rank``: the
    singular values above 1e-5 of the largest (R's QR rule; the ranks here are clear-cut).
    ``exponent``: the design's weight exponent; weights far from 1 give the Gram matrix of the
    weights divided by ``2**exponent`` (the same rank; its squares neither overflow nor
    underflow)."""
    if w.size == 0:
        return 0
    # the Gram matrix is R x R: its eigenvalues are the squared singular values
    g = _unit_products(w, exponent, None) if abs(exponent) > _SAFE else w.T @ w
    ev = np.sqrt(np.clip(np.linalg.eigvalsh(g), 0, None))
    return int((ev > RANK_TOL * ev.max()).sum()) if ev.max() > 0 else 0


_BLOCK = 1 << 13  # rows per block of the unit-scaled products (a temporary that stays small)
# weights within 2**+-256 of 1: their sums and squares stay far inside the double range, and a
# power of two changes neither a rank nor a ratio of sums, so the sums use them as they are
_SAFE = 256


def unit_column(W: np.ndarray, r: int, exponent: int) -> np.ndarray:
    """Replicate ``r``'s weights (column of ``W``) divided by ``2**exponent``, as a contiguous
    array: replicate weights scale with the full-sample weights, so a refit uses them on the
    full-sample fit's scale (:attr:`coprod.survey.design.DomainMixin.unit_weights`)."""
    return np.ldexp(W[:, r], -exponent) if exponent else np.ascontiguousarray(W[:, r])


def _unit_products(W: np.ndarray, exponent: int, Y: np.ndarray | None) -> np.ndarray:
    """``U.T @ Y`` (``U.T @ U`` when ``Y`` is None) for ``U = W / 2**exponent``, block by
    block of rows: no n x R copy of the weights, one pass over them."""
    out = np.zeros((W.shape[1], W.shape[1] if Y is None else Y.shape[1]))
    for a in range(0, W.shape[0], _BLOCK):
        U = np.ldexp(W[a:a + _BLOCK], -exponent)
        out += U.T @ (U if Y is None else Y[a:a + _BLOCK])
    return out


def default_scale(kind: str, n_rep: int, rho: float | None) -> float | None:
    """R's ``svrepdesign`` scale for each type (None: the user must give it)."""
    return {"BRR": 1.0 / n_rep,
            "Fay": 1.0 / (n_rep * (1.0 - (rho or 0.0)) ** 2),
            "JK1": (n_rep - 1.0) / n_rep,
            "JKn": 1.0,
            "bootstrap": 1.0 / (n_rep - 1.0),
            "successive-difference": 4.0 / n_rep}.get(kind)


def replicate_columns(data: pd.DataFrame, spec: str | Sequence[str]) -> list[str]:
    """The replicate weight columns (the argument ``replicates``): a list of names, or a
    regular expression matched against the column names (in the data's order)."""
    if isinstance(spec, str):
        try:
            rx = re.compile(spec)
        except re.error as exc:
            raise ConfigError(f"replicates: '{spec}' is not a valid regular expression ({exc})",
                              argument="replicates") from None
        cols = [c for c in data.columns if rx.fullmatch(str(c))]
        if not cols:
            raise ConfigError(f"replicates: no column matches '{spec}'", argument="replicates")
        return cols
    missing = [c for c in spec if c not in data.columns]
    if missing:
        raise ConfigError(f"replicates: column(s) {missing} are not in the data",
                          argument="replicates")
    return list(spec)


def make_replicate_design(data: pd.DataFrame, *, weights: str | None,
                          replicates: str | Sequence[str], type: str | None,
                          scale: float | None = None, rscales: npt.ArrayLike | None = None,
                          rho: float | None = None,
                          mse: bool = False, combined: bool = True, deff: str = "srswor",
                          keep_data: bool = False) -> ReplicateDesign:
    """Encode a replicate design (R's ``svrepdesign(repweights=, weights=, type=, scale=,
    rscales=, rho=, mse=, combined.weights=)``).

    ``combined``: the replicate columns already include the full-sample weight (R's
    ``combined.weights = TRUE``, what most producers publish); else they are factors and are
    multiplied by it. Defaults as R: BRR scale 1/R; Fay 1/(R (1 - rho)^2); JK1 (R - 1)/R;
    bootstrap 1/(R - 1); successive-difference 4/R; JKn needs ``rscales`` (one per replicate,
    (n_h - 1)/n_h of the stratum whose PSU it drops); "other" needs ``scale``.
    """
    if type not in REPLICATE_TYPES:
        raise ConfigError(f"type: '{type}' is not one of {', '.join(REPLICATE_TYPES)}",
                          argument="type")
    if weights is None:
        raise ConfigError("weights: a replicate design needs the full-sample weights",
                          argument="weights")
    cols = replicate_columns(data, replicates)
    w = _numeric(data[weights], f"weights column {weights!r}")
    rep = _replicate_matrix(data, cols)
    n_rep = rep.shape[1]
    if n_rep < 2:
        raise ConfigError(f"replicates: {n_rep} replicate column(s); a replicate "
                          "design needs at least 2", argument="replicates")
    if not combined:
        rep = rep * w[:, None]
    if type == "Fay":
        if rho is None or not 0 <= rho < 1:
            raise ConfigError(f"rho: Fay's rho must be in [0, 1), not {rho!r}", argument="rho")
    elif rho is not None:
        raise ConfigError(f"rho: only for Fay replicates, not {type}", argument="rho")
    if type == "successive-difference" and scale is not None:
        raise ConfigError("scale: successive-difference replicates have the scale 4/R; give "
                          "none", argument="scale")
    if scale is None:
        scale = default_scale(type, n_rep, rho)
        if scale is None:
            raise ConfigError(f"scale: {type} replicates need their scale (the data "
                              "producer's documentation gives it)", argument="scale")
    if not (np.isfinite(scale) and scale > 0):
        raise ConfigError(f"scale: must be a positive number, not {scale!r}", argument="scale")
    if rscales is None:
        if type == "JKn":
            raise ConfigError("rscales: JKn replicates need one rscale per replicate ((n_h - "
                              "1)/n_h of the stratum whose PSU it drops)", argument="rscales")
        rscales = np.ones(n_rep)
    rscales = np.asarray(rscales, dtype=float).reshape(-1)
    if len(rscales) == 1:
        rscales = np.repeat(rscales, n_rep)
    if len(rscales) != n_rep or not np.isfinite(rscales).all() or (rscales < 0).any():
        raise ConfigError(f"rscales: {len(rscales)} non-negative numbers for {n_rep} "
                          "replicates are needed", argument="rscales")
    return ReplicateDesign(
        weights=w, repweights=rep if rep.flags.f_contiguous else np.asfortranarray(rep),
        type=type, scale=float(scale),
        rscales=rscales, mse=bool(mse), rho=rho, deff=deff,
        columns={"weights": weights, "replicates": replicates if isinstance(replicates, str)
                 else f"{cols[0]}..{cols[-1]}", "replicate_columns": cols},
        data=data if keep_data else None)


def _replicate_matrix(data: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """The replicate columns as one Fortran-ordered float matrix (a replicate is a column, read
    whole by each refit), checked at once; a bad column is named with its first bad value."""
    block = data[cols]
    if not all(pd.api.types.is_numeric_dtype(t) for t in block.dtypes):
        block = block.apply(lambda c: c if pd.api.types.is_numeric_dtype(c)
                            else pd.to_numeric(c, errors="coerce"))
    rep = np.asfortranarray(block.to_numpy(dtype=float, na_value=np.nan))
    bad = ~np.isfinite(rep) | (rep < 0)
    if bad.any():
        j = int(np.flatnonzero(bad.any(axis=0))[0])
        _numeric(data[cols[j]], f"replicate weight column {cols[j]!r}")  # raises, naming it
    return rep


def _numeric(s: pd.Series, what: str) -> np.ndarray:
    x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan) \
        if not pd.api.types.is_numeric_dtype(s) else s.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(x) | (x < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{what} has {int(bad.sum())} missing, negative or non-numeric "
                        f"value(s), e.g. {s.iloc[i]!r} in row {i + 1}")
    return cast(np.ndarray, x)


def as_svrepdesign(design: SurveyDesign, type: str = "auto", *, replicates: int = 50,
                   fay_rho: float = 0.0, hadamard_matrix: npt.ArrayLike | None = None,
                   compress: bool = True, mse: bool = False, seed: int | None = None
                   ) -> ReplicateDesign:
    """A replicate design from a linearisation design, as R's ``as.svrepdesign(design, type=,
    replicates=, fay.rho=, hadamard.matrix=, compress=, mse=)``.

    ``type``: "auto" (R's default: JK1 without strata, JKn with them), "JK1", "JKn", "BRR",
    "Fay" (with ``fay_rho``; R's rule: ``fay_rho = 0`` makes it BRR and a BRR with ``fay_rho >
    0`` is Fay), "bootstrap" or "subbootstrap" (``replicates`` draws from ``seed``). BRR needs
    exactly 2 PSUs per stratum (4, 6, ... are split into pairs, as R). ``hadamard_matrix``: your
    own (R's argument), any two values, at least strata + 1 rows. ``compress`` is accepted for
    R's calls and changes nothing (R's storage option). The replicates use the first stage of
    a two-stage design (R warns that the second stage's fpc is dropped). Not supported: R's
    "mrbbootstrap" and calibrated designs (calibrate the replicate design instead: each
    replicate is then calibrated too, as R's ``calibrate`` on a svrepdesign).
    """
    type = settle_type(design, type, fay_rho, hadamard_matrix)
    factors, scale, rscales = replicate_factors(design, type, replicates=replicates,
                                                fay_rho=fay_rho,
                                                hadamard_matrix=hadamard_matrix, seed=seed)
    return _from_factors(design, type, factors, scale, rscales, mse, fay_rho)


def as_replicate(design: DomainMixin, type: str = "JKn", *, replicates: int = 50,
                 seed: int | None = None, mse: bool = False) -> ReplicateDesign:
    """Replicate weights from a linearisation design (the pipeline's ``design.as_replicates``),
    by R's ``as.svrepdesign`` rules (:func:`as_svrepdesign`, which documents them): JK1 (one
    stratum: each replicate deletes a PSU, the others' weights times n/(n-1)), JKn (the same
    within each stratum, a design of one stratum included; rscales (n_h-1)/n_h, times the
    finite-population factor; lonely PSUs by the design's rule) or bootstrap (``seed`` makes
    it reproducible, but R's random numbers cannot be reproduced; with an fpc, R's draws
    without replacement from the pseudo-population). A design with second-stage units is
    refused rather than reduced to its first stage."""
    check_convertible(design)
    assert isinstance(design, SurveyDesign)
    if design.ssu is not None:
        raise ConfigError("design: a design with second-stage units cannot be converted (R "
                          "uses the first stage only); build it without ssu", argument="design")
    if type not in ("JK1", "JKn", "bootstrap"):
        raise ConfigError(f"type: {type!r} is not one of JK1, JKn, bootstrap", argument="type")
    if type == "JK1" and len(design.n_psu) > 1:
        raise ConfigError("type: JK1 is for a design without strata (R: \"Can't use JK1 "
                          "for a stratified design\"); use JKn", argument="type")
    factors, scale, rscales = replicate_factors(design, type, replicates=replicates, seed=seed)
    return _from_factors(design, type, factors, scale, rscales, mse, 0.0)


def _from_factors(design: SurveyDesign, type: str, factors: np.ndarray, scale: float,
                  rscales: np.ndarray, mse: bool, fay_rho: float) -> ReplicateDesign:
    """The replicate design of a converted design: each row's weight times its PSU's factors;
    the design's data and domain kept."""
    rep = factors[design.psu] * design.weights[:, None]
    return ReplicateDesign(weights=design.weights, repweights=np.asfortranarray(rep), type=type,
                           scale=scale, rscales=rscales, mse=mse,
                           rho=fay_rho if type == "Fay" else None, deff=design.deff,
                           columns={"weights": design.columns.get("weights"),
                                    "replicates": f"{type} from the design"},
                           data=design.data, in_domain=design.in_domain)
