"""R's generalised raking (``grake``): the calibration functions (``cal.linear``,
``cal.raking``, ``cal.logit``, with R's bounds on the g-weights) and the Newton iteration on the
calibration equations, for :mod:`coprod.survey.calibration` and :mod:`coprod.survey.rcalibrate`.

Why apart: both the totals-per-margin calibration (the pipeline's) and the formula calibration
(R's ``calibrate(design, formula, population)``) run the same iteration, and it must be R's
step for step: with bounds the linear calibration has no closed form, R iterates Newton steps
with a pseudo-inverse and halves a step whose weights overflow, and a bounded calibration that
cannot meet its totals stops after ``maxit`` iterations with R's last weights (which R's
replicate designs keep, after a warning).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np

from ..errors import DataError

CALFUNS = ("linear", "raking", "logit")
Fn = Callable[[np.ndarray], np.ndarray]


def linear_g(mm: np.ndarray, w: np.ndarray, pop: np.ndarray,
             sigma2: np.ndarray | None = None) -> np.ndarray:
    """Unbounded linear calibration (R's regcalibrate): g = 1 + x' T^-1 (N - t) / sigma2, with
    T = sum w x x' / sigma2 (sigma2: R's ``variance``, the heteroskedasticity of the working
    model; 1 for every row unless given). Raises numpy's LinAlgError when T is singular."""
    if sigma2 is None:
        T = mm.T @ (mm * w[:, None])
        return 1.0 + mm @ np.linalg.solve(T, pop - mm.T @ w)
    T = mm.T @ (mm * (w / sigma2)[:, None])
    return cast(np.ndarray, 1.0 + (mm @ np.linalg.solve(T, pop - mm.T @ w)) / sigma2)


def calfun(kind: str, lower: float, upper: float) -> tuple[Fn, Fn]:
    """R's cal.linear / cal.raking / cal.logit: F^-1(u) - 1 and its derivative (with R's
    bounds rule; logit needs finite bounds, which the callers check)."""
    inside: Fn = (lambda u: (u < upper - 1) & (u > lower - 1))  # noqa: E731 (R's test)
    if kind == "linear":
        return (lambda u: np.clip(u + 1, lower, upper) - 1,
                lambda u: inside(u).astype(float))
    if kind == "raking":
        return (lambda u: np.clip(np.exp(u), lower, upper) - 1,
                lambda u: np.where(inside(u), np.exp(u), 0.0))
    if kind != "logit":
        raise ValueError(kind)
    L, U = lower, upper
    A = (U - L) / ((U - 1) * (1 - L))

    def fm1(u: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(A * u)
            return cast(np.ndarray, (L * (U - 1) + U * (1 - L) * e) / (U - 1 + (1 - L) * e) - 1)

    def df(u: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            e = np.exp(A * u)
            d = U - 1 + (1 - L) * e
            return cast(np.ndarray, U * (1 - L) * e * A / d
                        - (L * (U - 1) + U * (1 - L) * e) * ((1 - L) * e * A) / d ** 2)

    return fm1, df


@dataclass(frozen=True, eq=False)
class Grake:
    """One run of R's grake: the g-weights of the last iteration and, when it stopped at
    ``maxit`` before meeting the totals, how far off they were (R's ``attr(g, "failed")``)."""

    g: np.ndarray
    failed: float | None   # largest |misfit| / (1 + |total|) of the last iteration
    iterations: int


def grake_fit(mm: np.ndarray, w: np.ndarray, pop: np.ndarray, kind: str = "linear",
              bounds: tuple[float, ...] = (-np.inf, np.inf), epsilon: float = 1e-7,
              maxit: int = 50, sigma2: np.ndarray | None = None) -> Grake:
    """R's ``grake``: Newton iterations on the calibration equations from eta = 0."""
    Fm1, dF = calfun(kind, *bounds)
    total = mm.T @ w
    scales = pop / total
    scale = None
    if np.min(scales) > 20:  # R: weights far below the totals are rescaled first
        scale = float(np.mean(scales))
        w, total = w * scale, total * scale
    eta = np.zeros(mm.shape[1])
    xeta = mm @ eta if sigma2 is None else (mm @ eta) / sigma2
    it = 1
    while True:
        if sigma2 is None:
            T = (mm * (w * dF(xeta))[:, None]).T @ mm
        else:
            T = (mm * (w * dF(xeta) / sigma2)[:, None]).T @ mm
        misfit = pop - total - mm.T @ (w * Fm1(xeta))
        deta = np.linalg.pinv(T, rcond=256 * np.finfo(float).eps) @ misfit
        eta = eta + deta
        xeta = mm @ eta if sigma2 is None else (mm @ eta) / sigma2
        g = 1 + Fm1(xeta)
        while it < maxit and not (np.isfinite(g).all() and np.isfinite(dF(xeta)).all()):
            it += 1  # R: halve the step while the weights overflow
            deta = deta / 2
            eta = eta - deta
            xeta = mm @ eta if sigma2 is None else (mm @ eta) / sigma2
            g = 1 + Fm1(xeta)
        misfit = pop - total - mm.T @ (w * Fm1(xeta))
        if np.all(np.abs(misfit) / (1 + np.abs(pop)) < epsilon):
            return Grake(g * scale if scale else g, None, it)
        it += 1
        if it > maxit:
            break
    achieved = float(np.max(np.abs(misfit) / (1 + np.abs(pop))))
    return Grake(g * scale if scale else g, achieved, it)


def grake(mm: np.ndarray, w: np.ndarray, pop: np.ndarray, kind: str = "linear",
          bounds: tuple[float, ...] = (-np.inf, np.inf), epsilon: float = 1e-7, maxit: int = 50
          ) -> np.ndarray:
    """R's ``grake`` for the pipeline's calibration: g, or an error when it did not converge
    (R's calibrate: "Calibration failed")."""
    fit = grake_fit(mm, w, pop, kind, bounds, epsilon, maxit)
    if fit.failed is None:
        return fit.g
    raise DataError(f"calibration ({kind}, bounds {list(bounds)}) did not converge in {maxit} "
                    f"iterations (largest relative misfit {fit.failed:.2g}); loosen the bounds "
                    "or check the totals")
