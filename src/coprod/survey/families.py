"""The GLM families of the design-based regressions: logit (binary outcomes, R's
``quasibinomial``), log-linear counts (R's ``quasipoisson``) and the linear model (R's
``gaussian``, svyglm's default).

Why a small object instead of a flag: every link is canonical, so the Newton step, the score
``w (y - mu) x`` and the sandwich are the same code for all; a family only says how the mean,
the variance function and the (pseudo-)likelihood follow from the linear predictor. For the
gaussian family the Newton step is weighted least squares, exact in one step.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

import numpy as np
from scipy.special import expit, gammaln, logit, xlogy


def _logit_loglik(y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> float:
    # y*log(mu) + (1-y)*log(1-mu) = -log(1 + exp(-(2y-1)*eta)), stable for large |eta|
    return -float(w @ np.logaddexp(0.0, (1.0 - 2.0 * y) * eta))


def _logit_null(y: np.ndarray, w: np.ndarray) -> float:
    ybar = float(np.average(y, weights=w)) if w.sum() > 0 else float(y.mean())
    return float((w * (y * np.log(ybar) + (1 - y) * np.log1p(-ybar))).sum())


def logit_null_by_sums(y: np.ndarray, w: np.ndarray) -> float:
    """:func:`_logit_null` from two sums, ``sum(w)`` and ``w'y``, for 0/1 ``y``:
    ``w'y log(ybar) + (sum(w) - w'y) log(1 - ybar)``, with no temporary of the data's length
    (five of them on a million rows were longer than the sums). The sums round otherwise
    than the row-by-row formula's (last bits of the pseudo-R2), so large fits only (as the
    blocked passes of coprod.survey.newton); the row-by-row formula where a weighted mean of
    0 or 1 leaves the logarithms undefined."""
    total, events = float(w.sum()), float(w @ y)
    ybar = events / total if total > 0 else float("nan")
    if not 0.0 < ybar < 1.0:
        return _logit_null(y, w)
    return events * float(np.log(ybar)) + (total - events) * float(np.log1p(-ybar))


def _poisson_loglik(y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(over="ignore"):
        return float(w @ (y * eta - np.exp(eta) - gammaln(y + 1.0)))


def _poisson_deviance(y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> float:
    with np.errstate(over="ignore"):
        mu = np.exp(eta)
    return 2.0 * float(w @ (xlogy(y, y) - y * eta - (y - mu)))


def _poisson_null(y: np.ndarray, w: np.ndarray) -> float:
    ybar = float(np.average(y, weights=w)) if w.sum() > 0 else float(y.mean())
    return _poisson_loglik(y, np.full(len(y), np.log(ybar)), w)


def _gaussian_deviance(y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> float:
    r = y - eta
    return float(w @ (r * r))  # the weighted residual sum of squares, as R's gaussian()


def _gaussian_loglik(y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> float:
    """The weighted normal log-likelihood at the variance's maximum (RSS / sum of weights):
    scales with the weights, as the other families' (a pseudo-likelihood)."""
    total = float(w.sum())
    rss = _gaussian_deviance(y, eta, w)
    if total <= 0 or rss <= 0:
        return float("nan") if total <= 0 else float("inf")
    return -0.5 * total * (float(np.log(2.0 * np.pi * rss / total)) + 1.0)


def _gaussian_null(y: np.ndarray, w: np.ndarray) -> float:
    ybar = float(np.average(y, weights=w)) if w.sum() > 0 else float(y.mean())
    return _gaussian_loglik(y, np.full(len(y), ybar), w)


def _identity(x: np.ndarray) -> np.ndarray:
    return x


@dataclass(frozen=True)
class Family:
    """A canonical-link GLM family: ``mean(eta)``, the variance function ``variance(mu)``
    (= dmu/deta), the weighted log-likelihood, the deviance R's glm tests convergence on,
    and the intercept-only log-likelihood (for the pseudo-R2)."""

    name: str
    mean: Callable[[np.ndarray], np.ndarray]
    variance: Callable[[np.ndarray], np.ndarray]
    loglik: Callable[[np.ndarray, np.ndarray, np.ndarray], float]
    deviance: Callable[[np.ndarray, np.ndarray, np.ndarray], float]
    null_loglik: Callable[[np.ndarray, np.ndarray], float]
    ratio: str  # what exp(coefficient) is called: "odds ratio", "rate ratio"; "": nothing
    curvature: Callable[[np.ndarray], np.ndarray]  # (d2 mu / d eta2) / (d mu / d eta) at mu
    link: Callable[[np.ndarray], np.ndarray]       # eta of a mean (intervals of predictions)


def _exp(eta: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return cast(np.ndarray, np.exp(eta))


LOGIT = Family("logit", expit, lambda mu: mu * (1.0 - mu), _logit_loglik,
               lambda y, eta, w: -2.0 * _logit_loglik(y, eta, w), _logit_null, "odds ratio",
               lambda mu: 1 - 2 * mu, logit)
POISSON = Family("count", _exp, lambda mu: mu, _poisson_loglik, _poisson_deviance,
                 _poisson_null, "rate ratio", np.ones_like, np.log)
GAUSSIAN = Family("gaussian", _identity, np.ones_like, _gaussian_loglik, _gaussian_deviance,
                  _gaussian_null, "", np.zeros_like, _identity)
FAMILIES = {"logit": LOGIT, "count": POISSON, "gaussian": GAUSSIAN}
