"""The profile-likelihood interval of a proportion, as R's ``svyciprop(method = "likelihood")``
computes it (survey 4.1.1: ``confint.svyglm(method = "likelihood")``, ``MASSprofile_glm``,
``confint_profile``; stats' ``spline`` and ``approx``).

Why a transcription rather than a root of the profile: R does not solve for the interval's
ends; it evaluates the scaled deviance on a grid and reads the ends off an interpolating spline
through it, and the spline's error (about 1e-4 of the interval here) is part of R's numbers. To
equal R beyond that, the same grid, dispersion, spline and linear interpolation are computed:

* Rao-Scott scaling: ``lambda = var_design(b) / var_model(b)``; the profile's level is ``alpha
  = pnorm(qt((1 - level)/2, df) sqrt(lambda)) / 2``;
* the grid: ``b_k = b -+ k del se_b``, ``del = zmax / 5``, ``zmax = sqrt(qf(alpha, 1, n - 1,
  upper))`` (``n``: rows of the fit), ``k = 1..9`` each side, stopping once ``|z| >= zmax``; ``z
  = sign sqrt((D(b_k) - D(b)) / phi)``, ``D`` the binomial deviance with the model's prior
  weights, ``phi`` the design-based variance of the Pearson residuals (R's ``svyvar``);
* R's ``spline`` (Forsythe, Malcolm and Moler's end conditions, ``3 n`` equally spaced points)
  of z against b, then ``approx`` of b against those z at ``-+ qnorm(2 alpha)``; the ends are
  mapped back by ``exp(b) / (1 + exp(b))``.

Sums are accumulated in extended precision, as R's ``sum``.
"""
from __future__ import annotations

from typing import cast

import numpy as np
from scipy import special

from ..errors import ModelError
from .quantiles import crit

_EPS = float(np.finfo(float).eps)


def likelihood_interval(b0: float, se_b: float, y: np.ndarray, prior: np.ndarray,
                        w: np.ndarray, level: float, df: float) -> tuple[float, float]:
    """The interval of ``expit(b0)`` (``b0``: the logit of the share, ``se_b`` its design-based
    standard error) from the rows of the fit: 0/1 ``y``, the model's prior weights ``prior``
    and the design weights ``w``."""
    mu0 = _linkinv(b0)
    lam = se_b ** 2 / _naive_variance(y, prior)  # var_design / var_model
    if not df > 0:
        raise ModelError("df: zero or negative denominator df (R stops too)", argument="df")
    alpha = float(special.ndtr(crit((1 - level) / 2, df) * np.sqrt(lam))) / 2
    n = len(y)
    if n < 2:
        raise ModelError("y: a profile likelihood needs at least two respondents",
                         argument="y")
    # R's qf(alpha, 1, n - 1, lower.tail = FALSE), through qbeta as R computes it
    zmax = float(np.sqrt((1 / special.betaincinv((n - 1) / 2, 0.5, alpha) - 1) * (n - 1)))
    step_size = zmax / 5
    # the Pearson residuals of survey's residuals.svyglm (the prior weights over the design
    # weights, both scaled to mean 1: 1 unless rows without a value left the fit), and their
    # design-based variance (svyvar: n / (n - 1) times the weighted mean square)
    pos = w > 0
    pw = w[pos] / w.mean()
    r = (y[pos] - mu0) * np.sqrt(prior[pos] / pw) / np.sqrt(mu0 * (1 - mu0))
    nz, wp = int(np.count_nonzero(pos)), w[pos]
    sw = _sum(wp)
    centred = r - _sum(wp * r) / sw
    phi = _sum(wp * (centred * centred * nz / (nz - 1))) / sw
    dev0 = _deviance(y, prior, b0)
    zs, bs = [0.0], [b0]
    for sgn in (-1, 1):
        step, z = 0, 0.0
        while True:
            step += 1
            if not (step < 10 and abs(z) < zmax):
                break
            b = b0 + sgn * step * step_size * se_b
            zz = (_deviance(y, prior, b) - dev0) / phi
            if zz <= -0.001:
                raise ModelError("y: profiling found a better fit than the estimate",
                                 argument="y")
            z = sgn * float(np.sqrt(max(zz, 0.0)))
            zs.append(z)
            bs.append(b)
    order = np.argsort(np.array(zs), kind="stable")
    x_grid, z_grid = np.array(bs)[order], np.array(zs)[order]
    sx, sz = spline(x_grid, z_grid)
    cut = float(special.ndtri(2 * alpha))
    ends = approx(sz, sx, np.array([cut, -cut]))
    with np.errstate(over="ignore"):
        e = np.exp(ends)
        ci = e / (1 + e)
    return float(ci[0]), float(ci[1])


def _naive_variance(y: np.ndarray, prior: np.ndarray, epsilon: float = 1e-8,
                    maxit: int = 25) -> float:
    """R's ``naive.cov`` of the intercept-only logistic fit: ``(X'WX)^-1`` of the *last* IRLS
    iteration of ``glm.fit`` (default control), whose working weights are those of the
    iteration before the converged one; for a rare outcome that is several 1e-5 away from the
    converged fit's, so R's iterations are retraced (start ``(w y + 0.5) / (w + 1)``, stop when
    the deviance changes by less than ``epsilon`` relative)."""
    start = (prior * y + 0.5) / (prior + 1)
    eta = np.log(start / (1 - start))
    mu = _linkinv_all(eta)
    dev_old = _sum(_dev_resids(y, mu, prior))
    good = prior > 0
    info = float("nan")
    for _ in range(maxit):
        e = np.exp(eta)
        mu_eta = np.where((eta > 30) | (eta < -30), _EPS, e / ((1 + e) * (1 + e)))
        ww = prior[good] * mu_eta[good] ** 2 / (mu[good] * (1 - mu[good]))
        z = eta[good] + (y[good] - mu[good]) / mu_eta[good]
        info = _sum(ww)
        b = _sum(ww * z) / info
        eta = np.full(len(y), b)
        mu = _linkinv_all(eta)
        dev = _sum(_dev_resids(y, mu, prior))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < epsilon:
            break
        dev_old = dev
    return 1 / info


def _linkinv_all(eta: np.ndarray) -> np.ndarray:
    t = np.where(eta < -30, _EPS, np.where(eta > 30, 1 / _EPS, np.exp(eta)))
    return cast(np.ndarray, t / (1 + t))


def _dev_resids(y: np.ndarray, mu: np.ndarray, prior: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return cast(np.ndarray,
                    2 * prior * np.where(y == 1, np.log(1 / mu), np.log(1 / (1 - mu))))


def _sum(x: np.ndarray) -> float:
    """R's ``sum``: sequential, in extended precision."""
    return float(np.cumsum(np.asarray(x, dtype=np.longdouble))[-1]) if len(x) else 0.0


def _linkinv(eta: float) -> float:
    """R's logit link inverse (C ``logit_linkinv``), thresholds included."""
    t = _EPS if eta < -30 else (1 / _EPS if eta > 30 else float(np.exp(eta)))
    return t / (1 + t)


def _deviance(y: np.ndarray, prior: np.ndarray, b: float) -> float:
    """The binomial deviance of the intercept ``b`` (R's ``binomial()$dev.resids``, summed)."""
    return _sum(_dev_resids(y, np.full(len(y), _linkinv(b)), prior))


def _regularize(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``regularize.values(x, y, mean)``: sorted by x, the y of tied x averaged."""
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    ux, start = np.unique(x, return_index=True)
    if len(ux) == len(x):
        return x, y
    sums = np.add.reduceat(y, start)
    return ux, sums / np.diff(np.append(start, len(x)))


def spline(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R's ``spline(x, y)``: ``3 length(x)`` equally spaced points (``seq.int``) from min to
    max of x and the "fmm" interpolating spline's values there."""
    n_out = 3 * len(x)
    x, y = _regularize(np.asarray(x, float), np.asarray(y, float))
    lo, hi = float(x[0]), float(x[-1])
    xout = np.empty(n_out)
    xout[0], xout[-1] = lo, hi
    by = (hi - lo) / (n_out - 1)
    i = np.arange(1, n_out - 1)
    xout[1:-1] = np.where(i < n_out // 2, lo + i * by, hi - (n_out - 1 - i) * by)
    b, c, d = _fmm(x, y)
    return xout, _eval(xout, x, y, b, c, d)


def _fmm(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The coefficients of R's ``fmm_spline`` (stats/src/splines.c), 0-based."""
    n = len(x)
    b, c, d = np.zeros(n), np.zeros(n), np.zeros(n)
    if n < 2:
        return b, c, d
    if n < 3:
        t = (y[1] - y[0]) / (x[1] - x[0])
        b[:] = t
        return b, c, d
    nm1 = n - 1
    d[0] = x[1] - x[0]
    c[1] = (y[1] - y[0]) / d[0]
    for i in range(1, nm1):
        d[i] = x[i + 1] - x[i]
        b[i] = 2.0 * (d[i - 1] + d[i])
        c[i + 1] = (y[i + 1] - y[i]) / d[i]
        c[i] = c[i + 1] - c[i]
    b[0] = -d[0]
    b[nm1] = -d[n - 2]
    c[0] = c[nm1] = 0.0
    if n > 3:
        c[0] = c[2] / (x[3] - x[1]) - c[1] / (x[2] - x[0])
        c[nm1] = c[n - 2] / (x[nm1] - x[n - 3]) - c[n - 3] / (x[n - 2] - x[n - 4])
        c[0] = c[0] * d[0] * d[0] / (x[3] - x[0])
        c[nm1] = -c[nm1] * d[n - 2] * d[n - 2] / (x[nm1] - x[n - 4])
    for i in range(1, n):
        t = d[i - 1] / b[i - 1]
        b[i] = b[i] - t * d[i - 1]
        c[i] = c[i] - t * c[i - 1]
    c[nm1] = c[nm1] / b[nm1]
    for i in range(n - 2, -1, -1):
        c[i] = (c[i] - d[i] * c[i + 1]) / b[i]
    b[nm1] = (y[nm1] - y[n - 2]) / d[n - 2] + d[n - 2] * (c[n - 2] + 2.0 * c[nm1])
    for i in range(nm1):
        b[i] = (y[i + 1] - y[i]) / d[i] - d[i] * (c[i + 1] + 2.0 * c[i])
        d[i] = (c[i + 1] - c[i]) / d[i]
        c[i] = 3.0 * c[i]
    c[nm1] = 3.0 * c[nm1]
    d[nm1] = d[n - 2]
    return b, c, d


def _eval(u: np.ndarray, x: np.ndarray, y: np.ndarray, b: np.ndarray, c: np.ndarray,
          d: np.ndarray) -> np.ndarray:
    """R's ``spline_eval`` (method fmm): the cubic of the interval holding each ``u``."""
    n = len(x)
    v = np.empty(len(u))
    i = 0
    for k, ul in enumerate(u):
        if ul < x[i] or (i < n - 1 and x[i + 1] < ul):
            i, j = 0, n
            while True:
                m = (i + j) // 2
                if ul < x[m]:
                    j = m
                else:
                    i = m
                if not j > i + 1:
                    break
        dx = ul - x[i]
        v[k] = y[i] + dx * (b[i] + dx * (c[i] + dx * d[i]))
    return v


def approx(x: np.ndarray, y: np.ndarray, xout: np.ndarray) -> np.ndarray:
    """R's ``approx(x, y, xout)`` (linear, NA outside the range; ties averaged)."""
    x, y = _regularize(np.asarray(x, float), np.asarray(y, float))
    out = np.full(len(xout), np.nan)
    n = len(x)
    for k, v in enumerate(xout):
        if n == 0 or v < x[0] or v > x[-1]:
            continue
        i, j = 0, n - 1
        while i < j - 1:
            m = (i + j) // 2
            if v < x[m]:
                j = m
            else:
                i = m
        if v == x[j]:
            out[k] = y[j]
        elif v == x[i]:
            out[k] = y[i]
        else:
            out[k] = y[i] + (y[j] - y[i]) * ((v - x[i]) / (x[j] - x[i]))
    return out
