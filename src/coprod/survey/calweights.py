"""The weights of a calibrated design and what its variance needs: post-stratified and raked
weights (R's ``postStratify`` and ``rake`` loops), the variance adjustments of a calibrated
linearisation design (R's ``svyrecvar`` residuals), and how a calibration is recorded on a
design; shared by the pipeline's calibration (:mod:`coprod.survey.calibration`) and R's calls
(:mod:`coprod.survey.rcalibrate`, :mod:`coprod.survey.poststrat`).

Why the variance must know: calibrated weights are estimated from the sample, and estimates
that are correlated with the calibration variables gain precision. With a linearisation design
the influence values of an estimate are replaced by their residuals from the calibration
variables before the design's variance sum (R's ``svyrecvar``): within post-strata, by sweeps
over the raking margins, or by the weighted regression residuals of GREG calibration. A
replicate design instead calibrates every replicate's weights anew, so the replicates carry the
calibration into the variance.
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar, cast, overload

import numpy as np

D = TypeVar("D")  # a design (not imported: the designs import the calibration)

# -- the variance adjustments of a calibrated linearisation design ----------------------------

def indicator(codes: np.ndarray) -> Any:
    """The (levels x rows) 0/1 matrix of a grouping, sparse: group sums of any n x k matrix in
    one product instead of a scatter per row."""
    from scipy import sparse

    n = len(codes)
    return sparse.csr_matrix((np.ones(n), (codes, np.arange(n))),
                             shape=(int(codes.max()) + 1, n))


@dataclass(frozen=True, eq=False)
class PostStrata:
    """R's post-stratification: influence values minus their old-weighted post-stratum mean."""

    codes: np.ndarray   # (n,) post-stratum of each row
    oldw: np.ndarray
    neww: np.ndarray

    def adjust(self, Z: np.ndarray) -> np.ndarray:
        psw = np.where((self.neww == 0) & (self.oldw == 0), 1.0, self.neww)
        onehot = indicator(self.codes)
        means = (onehot @ (Z * (self.oldw / psw)[:, None])) / (onehot @ self.oldw)[:, None]
        return cast(np.ndarray, Z - means[self.codes] * psw[:, None])


@dataclass(frozen=True, eq=False)
class Raking:
    """R's raking adjustment: ten sweeps over the margins, each removing the unweighted mean of
    z / w within the margin's levels (w: the weights after that margin's post-stratification in
    the final raking pass)."""

    margins: tuple[tuple[np.ndarray, np.ndarray], ...]  # ((codes, psw), ...)

    def adjust(self, Z: np.ndarray) -> np.ndarray:
        """The sweeps only ever subtract ``psw_m`` times a per-level value of margin m, so they
        are run on those per-level values (levels x columns) through the margins' cross
        tables, and applied to the rows once: two passes over Z instead of sixty."""
        ks = [int(c.max()) + 1 for c, _ in self.margins]
        counts = [np.bincount(c, minlength=k) for (c, _), k in zip(self.margins, ks)]
        base = [(indicator(c) @ (Z / psw[:, None])) / n[:, None]
                for (c, psw), n in zip(self.margins, counts)]
        cross = {}  # cross[m, j][a, b]: mean over level a of m of psw_j / psw_m on level b of j
        for m, (cm, pm) in enumerate(self.margins):
            for j, (cj, pj) in enumerate(self.margins):
                t = np.bincount(cm * ks[j] + cj, weights=pj / pm, minlength=ks[m] * ks[j])
                cross[m, j] = t.reshape(ks[m], ks[j]) / counts[m][:, None]
        coef = [np.zeros((k, Z.shape[1])) for k in ks]
        for _ in range(10):
            for m in range(len(self.margins)):
                mean = base[m] - sum(cross[m, j] @ coef[j] for j in range(len(self.margins)))
                coef[m] = coef[m] + mean
        for (c, psw), cm in zip(self.margins, coef):
            Z = Z - psw[:, None] * cm[c]
        return Z


@dataclass(frozen=True, eq=False)
class Greg:
    """R's GREG calibration (``calibrate``, any calfun and bounds): residuals of z / w from the
    calibration variables weighted by the old weights, times w (w = g sqrt(old weights))."""

    A: np.ndarray   # (n, q) model matrix times sqrt(old weights)
    w: np.ndarray   # (n,) g * sqrt(old weights)
    Q: np.ndarray = field(init=False, repr=False)  # orthonormal basis of A (set below)

    def __post_init__(self) -> None:  # the projection's orthonormal basis, once per design
        object.__setattr__(self, "Q", np.linalg.qr(self.A)[0])

    def adjust(self, Z: np.ndarray) -> np.ndarray:
        Y = Z / self.w[:, None]
        return cast(np.ndarray, (Y - self.Q @ (self.Q.T @ Y)) * self.w[:, None])


# -- the calibrations -------------------------------------------------------------------------

def poststratify_weights(w: np.ndarray, codes: np.ndarray, totals_vec: np.ndarray) -> np.ndarray:
    """Post-stratified weights: w times (population / weighted sample) of the row's cell."""
    k = len(totals_vec)
    cell = np.bincount(codes, weights=w, minlength=k)
    return cast(np.ndarray, w * (totals_vec / cell)[codes])


@overload
def rake_weights(w: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]],
                 epsilon: float = ..., maxit: int = ..., record: Literal[False] = ...
                 ) -> np.ndarray: ...
@overload
def rake_weights(w: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]],
                 epsilon: float = ..., maxit: int = ..., *, record: Literal[True]
                 ) -> tuple[np.ndarray, list[np.ndarray]]: ...
def rake_weights(w: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]],
                 epsilon: float = 1e-10, maxit: int = 100, record: bool = False
                 ) -> np.ndarray | tuple[np.ndarray, list[np.ndarray]]:
    """R's ``rake``: post-stratify on each margin in turn until the joint table of the margins
    changes by less than ``epsilon`` times the weights' sum. ``margins``: [(codes, totals)].
    With ``record``, also each margin's weights after its step in the final pass.

    Not converged in ``maxit`` passes: a :class:`CalibrationWarning` with the last pass's
    change, and the weights after the last pass, as R's ``rake`` (which warns "Raking did not
    converge" and returns its design)."""
    raked = rake_passes(w, margins, epsilon, maxit)
    if not raked.converged:
        warnings.warn(raked.message(), CalibrationWarning, stacklevel=2)
    return (raked.weights, raked.steps) if record else raked.weights


class CalibrationWarning(UserWarning):
    """An iterative calibration stopped at its limit of iterations before its tolerance: the
    weights of its last iteration are used, as R does (after a warning too). A caller that
    wants it to stop the run makes it an error: ``warnings.simplefilter("error",
    CalibrationWarning)``."""


@dataclass(frozen=True, eq=False)
class Raked:
    """One raking's weights, each margin's weights in the last pass, and whether (and by how
    much) the last pass still changed the margins' joint table."""

    weights: np.ndarray
    steps: list[np.ndarray]
    change: float       # largest change of a cell of the joint table in the last pass
    tolerance: float
    passes: int

    @property
    def converged(self) -> bool:
        return self.change < self.tolerance

    def message(self, which: str = "", whose: str = "the margins'") -> str:
        """The warning: ``which`` names replicates (empty: the full sample), ``whose`` the
        table whose change is quoted."""
        return (f"raking{which} did not converge in {self.passes} passes over the margins: the "
                f"last pass changed {whose} joint table by {self.change:.3g} (tolerance "
                f"{self.tolerance:.3g}); the weights after the last pass are used, as R's rake "
                "does. Raise maxit (or epsilon); margins that leave cells of their joint table "
                "empty can make the totals reachable only in the limit")


def rake_passes(w: np.ndarray, margins: list[tuple[np.ndarray, np.ndarray]], epsilon: float,
          maxit: int) -> Raked:
    """R's ``rake`` loop (see :func:`rake_weights`); the change is measured before the old table
    is replaced, so that a message can say how far the last pass was from converging."""
    tol = epsilon * w.sum() if epsilon < 1 else epsilon
    joint = np.ravel_multi_index([c for c, _ in margins], [len(t) for _, t in margins])
    size = int(np.prod([len(t) for _, t in margins]))
    old = np.bincount(joint, weights=w, minlength=size)
    steps: list[np.ndarray] = []
    change = float("inf")
    passes = 0
    while passes < maxit:
        passes += 1
        steps = []
        for codes, tot in margins:
            w = poststratify_weights(w, codes, tot)
            steps.append(w)
        new = np.bincount(joint, weights=w, minlength=size)
        change = float(np.max(np.abs(old - new)))
        if change < tol:
            break
        old = new
    return Raked(w, steps, change, float(tol), passes)


def with_calibration(design: D, weights: np.ndarray, spec: Any,
                     adjust: PostStrata | Raking | Greg | None = None,
                     repweights: np.ndarray | None = None) -> D:
    """The design with its calibrated weights (a replicate design: and replicate weights; a
    linearisation design: and the variance adjustment), the calibration recorded (to redo it
    on a subset of rows: :func:`coprod.survey.calibration.recalibrate`) and the weights
    before the first calibration."""
    d: Any = design
    if repweights is not None:
        first = not d.calibration
        return cast(D, replace(d, weights=weights, repweights=np.asfortranarray(repweights),
                               calibration=(*d.calibration, spec),
                               weights_before=d.weights if first else d.weights_before,
                               repweights_before=d.repweights if first
                               else d.repweights_before))
    return cast(D, replace(d, weights=weights, adjustments=(*d.adjustments, adjust),
                           calibration=(*d.calibration, spec),
                           weights_before=d.weights if d.weights_before is None
                           else d.weights_before))


_FAR = math.log2(20.0)  # R's grake: totals more than 20 times the weighted sample's


def input_rule(design: Any, population: float, matrix: tuple[np.ndarray, np.ndarray] | None,
               bounds: Sequence[float]) -> Callable[[np.ndarray], np.ndarray]:
    """How a weight vector (the full sample's, each replicate's) enters the calibration.

    Without bounds the calibrated weights do not depend on the scale of the weights given, so
    they are divided by the power of four that brings their sum nearest the population size
    (:func:`_input_exponent`; exact, and nothing for weights already on the population's
    scale): no sum overflows, and raking's tolerance, relative to the weights' sum as R's,
    no longer depends on their scale. With bounds the scale is part of the definition, since
    the bounds limit new / old weight: as R's calibrate, the weights are taken as given unless
    the totals are more than 20 times the weighted sample totals, when they are first
    rescaled by the mean ratio of totals to sample totals; here also when the totals are less
    than a twentieth of them (R then fails to meet the bounds), so that weights x any factor
    far from the population's scale calibrate alike. The ratios are computed from the
    unit-scaled weights (:attr:`coprod.survey.design.DomainMixin.unit_weights`), which cannot
    overflow."""
    e_design = int(design.weight_exponent)
    if matrix is not None and np.isfinite(bounds).any():
        mm, pop = matrix

        def bounded(w: np.ndarray) -> np.ndarray:
            unit = np.ldexp(w, -e_design) if e_design else w
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = pop / (mm.T @ unit)
                log2_scales = np.log2(ratio) - e_design
            if np.min(log2_scales) > _FAR or np.max(log2_scales) < -_FAR:
                return cast(np.ndarray, unit * float(np.mean(ratio)))
            return w

        return bounded
    e = _input_exponent(design, population)
    return lambda w: np.ldexp(w, -e) if e else w


def _input_exponent(design: Any, population: float) -> int:
    """The even power of two ``e`` with ``sum(weights) / 2**e`` nearest ``population`` (0
    without a positive weight or population), computed from the design's unit-scaled weights
    (:attr:`coprod.survey.design.DomainMixin.unit_weights`), whose sum cannot overflow."""
    usum = float(design.unit_weights.sum())
    if not (usum > 0 and population > 0):
        return 0
    log2_ratio = math.log2(usum) + int(design.weight_exponent) - math.log2(population)
    return 2 * math.floor(log2_ratio / 2 + 0.5)
