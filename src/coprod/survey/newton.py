"""Newton-Raphson (IRLS) for the design-based GLMs: one pass over the data per iteration.

Why a pass object: an iteration of IRLS for a canonical link needs, at the current
coefficients, the linear predictor, the fitted means, the score ``X'w(y - mu)``, the
information ``X' diag(w var(mu)) X`` and, for R's stopping rule, the deviance. Computed
together in one :func:`glm_pass`, the deviance that accepts a step is the one the next step
starts from, and the information of the last pass is the bread ``A`` of the sandwich
(:func:`coprod.survey.glm.fit_matrix`): nothing is computed twice. The rank check's Gram
``X' diag(w) X`` is the first information of a logit fit from zero (times 1/4, exactly) and
every information of a gaussian fit, so a caller that has it passes it in (``gram=``).

Why blocks from :data:`BLOCKED_FROM` rows on: on a million rows the products over ``X`` cost
more in memory traffic than in arithmetic (a 1M x 11 matrix is 88 MB, far beyond cache); a
pass that walks ``X`` in blocks of :data:`BLOCK` rows keeps each block in cache for all of its
products. Blocked sums add in another order than one-block sums, so their last bits differ
(relative differences near 1e-15 in the sums, 1e-12 or less in the estimates); below
:data:`BLOCKED_FROM` rows (every bundled analysis, every R golden case) a pass is exactly the
one-block computation, so those results are unchanged to the bit. For the same reason the
blocked logit deviance uses ``max(t, 0) + log1p(exp(-|t|))`` (vectorised, 5x faster) where the
one-block one uses ``numpy.logaddexp`` (the same function, a scalar loop); the last pass's
is the reported log-likelihood of a blocked logit fit (``-deviance / 2``), every other fit
reports its family's own. A blocked logit pass takes one exponential per row for the means,
the variances and the deviance (:func:`_logit_block`).

Why a warm start from :data:`BLOCKED_FROM` rows on: Newton from zero needs 5-7 passes over
the data; from the fit on an evenly spaced subsample of :data:`WARM_ROWS` rows (a few ms) it
needs 2-3, because Newton converges quadratically once it is within a few standard errors.
The subsample fit is used only when it converged without large fitted log-odds (no sign of
separation there); otherwise the full fit starts as it always did.

On large data the replicate refits run all together (:func:`newton_many`: matrix products
instead of one narrow Gram per replicate and step), and blocked work holds BLAS to one thread
(:func:`one_blas_thread`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .families import GAUSSIAN, LOGIT, POISSON, Family
from .variance import add_gram, symmetric, weighted_gram

Array = np.ndarray

BLOCK = 4096  # rows per block of a blocked pass: 4096 x 11 doubles (360 kB) stay in cache
BLOCKED_FROM = 65_536  # passes over more rows than this are blocked (module docstring)
WARM_ROWS = 32_768  # rows of the subsample a blocked fit starts from


@dataclass(frozen=True)
class GlmPass:
    """Everything one IRLS iteration needs at the coefficients of the pass."""

    eta: Array  # linear predictor X beta
    mu: Array  # fitted means
    score: Array  # X' w (y - mu)
    information: Array  # X' diag(w var(mu)) X
    deviance: float  # nan when not asked for


@dataclass(frozen=True)
class IrlsFit:
    beta: Array
    converged: bool
    n_iter: int
    last: GlmPass  # the pass at ``beta``: its eta, mu and information are the fit's


def _logit_deviance_fast(y: Array, eta: Array, w: Array) -> float:
    t = (1.0 - 2.0 * y) * eta
    with np.errstate(over="ignore"):
        return 2.0 * float(w @ (np.maximum(t, 0.0) + np.log1p(np.exp(-np.abs(t)))))


def _block_deviance(family: Family) -> Callable[[Array, Array, Array], float]:
    return _logit_deviance_fast if family is LOGIT else family.deviance


def _logit_block(eb: Array, yb: Array, wb: Array, mb: Array, tmp: Array,
                 deviance: bool) -> tuple[Array, float]:
    """A logit block from ``e = exp(-|eta|)`` (one exponential per row, never overflowing):
    the means ``expit(eta)`` (``1/(1+e)``, or ``e/(1+e)`` below zero) into ``mb``, the
    variances ``mu(1-mu) = e/(1+e)^2`` (no cancellation), and the deviance's
    ``(max(eta, 0) - y eta) + log1p(e)``, which is ``max(t, 0) + log1p(exp(-|t|))`` of
    :func:`_logit_deviance_fast` (``t = (1-2y) eta``, y 0/1) row for row, bit for bit."""
    m = len(eb)
    e, q, t, var = tmp[0, :m], tmp[1, :m], tmp[2, :m], tmp[3, :m]
    np.abs(eb, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    np.add(e, 1.0, out=q)
    np.reciprocal(q, out=q)               # 1 / (1 + e)
    np.minimum(eb, 0.0, out=mb)
    np.exp(mb, out=mb)                    # e below zero, 1 above (a masked copy: 2x slower)
    mb *= q                               # expit(eta)
    np.multiply(e, q, out=var)
    var *= q                              # mu (1 - mu) = e / (1 + e)^2
    dev = 0.0
    if deviance:  # max(t, 0) exactly (y eta is 0 or eta), then + log1p(e): the same bits
        np.log1p(e, out=q)
        np.maximum(eb, 0.0, out=t)
        np.multiply(yb, eb, out=e)
        t -= e
        t += q
        dev = 2.0 * float(wb @ t)
    return var, dev


def glm_pass(X: Array, y: Array, w: Array, beta: Array, family: Family = LOGIT, *,
             eta: Array | None = None, mu: Array | None = None,
             information: Array | None = None, deviance: bool = True,
             buf: Array | None = None, quick: bool = False,
             out: tuple[Array, Array] | None = None) -> GlmPass:
    """The quantities of one IRLS iteration at ``beta``. ``eta``/``mu``: already known
    (a replicate's first step starts at the full-sample fit's); ``information``: already known
    (see the module docstring); ``buf``: an n x p scratch array reused between passes;
    ``quick``: the blocked pass's arithmetic on any number of rows (a warm start's subsample);
    ``out``: n-long arrays a blocked pass writes its eta and mu into (a pass no longer
    needed: fresh memory costs its pages' zeroing, 16 MB a pass on a million rows)."""
    n, p = X.shape
    if n <= BLOCKED_FROM and not quick:
        if eta is None:
            eta = X @ beta
        if mu is None:
            mu = family.mean(eta)
        score = X.T @ (w * (y - mu))
        if information is None:
            information = weighted_gram(X, w * family.variance(mu), out=buf)
        dev = family.deviance(y, eta, w) if deviance else float("nan")
        return GlmPass(eta, mu, score, information, dev)
    eta_out = eta if eta is not None else np.empty(n) if out is None else out[0]
    mu_out = mu if mu is not None else np.empty(n) if out is None else out[1]
    score = np.zeros(p)
    info = np.zeros((p, p)) if information is None else information
    dev = 0.0
    scratch = np.empty_like(X[:BLOCK], dtype=float)  # X's layout: 1.3x faster products
    fast = family is LOGIT and mu is None
    tmp = np.empty((5, BLOCK))  # the block's temporaries, in place (they stay in cache)
    block_dev = _block_deviance(family)
    for a in range(0, n, BLOCK):
        rows = slice(a, a + BLOCK)
        Xb, yb, wb = X[rows], y[rows], w[rows]
        m = len(yb)
        eb = eta_out[rows] if eta is not None else np.matmul(Xb, beta, out=eta_out[rows])
        mb = mu_out[rows]
        if fast:
            var, d = _logit_block(eb, yb, wb, mb, tmp, deviance)
            dev += d
        else:
            if mu is None:
                mb[...] = family.mean(eb)
            var = family.variance(mb)
            if deviance:
                dev += block_dev(yb, eb, wb)
        r = np.subtract(yb, mb, out=tmp[4, :m])
        r *= wb
        score += Xb.T @ r
        if information is None:
            add_gram(info, Xb, np.multiply(wb, var, out=tmp[3, :m]), scratch[:m])
    if information is None:
        info = symmetric(info)
    return GlmPass(eta_out, mu_out, score, info, dev if deviance else float("nan"))


def one_blas_thread() -> Any:
    """A context in which BLAS runs on one thread. Why: a blocked pass's products are short
    (a block of rows), and BLAS's own threads on them spin more than they work (measured
    on 1M rows: one thread 25 % faster idle, up to 10x faster on a busy machine); the
    replicates are shared out over threads of their own instead."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def gram(X: Array, w: Array) -> Array:
    """``X' diag(w) X``, in blocks from :data:`BLOCKED_FROM` rows on (no n x p temporary;
    the one-block computation below, bit for bit as before)."""
    if len(w) <= BLOCKED_FROM:
        return weighted_gram(X, w)
    out = np.zeros((X.shape[1], X.shape[1]))
    scratch = np.empty_like(X[:BLOCK], dtype=float)  # (X's layout)
    for a in range(0, len(w), BLOCK):
        Xb = X[a:a + BLOCK]
        add_gram(out, Xb, w[a:a + BLOCK], scratch[:len(Xb)])
    return symmetric(out)


def column_squares(X: Array, w: Array) -> Array:
    """``sum_i w_i x_ij^2`` for each column j (the diagonal of ``X' diag(w) X``) in blocks."""
    out = np.zeros(X.shape[1])
    scratch = np.empty_like(X[:BLOCK], dtype=float)
    for a in range(0, len(w), BLOCK):
        Xb = X[a:a + BLOCK]
        sq = np.multiply(Xb, Xb, out=scratch[:len(Xb)])
        out += sq.T @ w[a:a + BLOCK]
    return out


def newton_step(information: Array, score: Array) -> Array | None:
    """The Newton step ``information^-1 score``, the system Jacobi-scaled so that badly scaled
    covariates stay accurate; None when singular."""
    dg = np.sqrt(np.diag(information))
    dg[dg == 0] = 1.0
    try:
        return np.linalg.solve(information / np.outer(dg, dg), score / dg) / dg
    except np.linalg.LinAlgError:
        return None


def _poisson_start(X: Array, y: Array, w: Array) -> Array:
    """R's glm start for counts: one weighted least-squares step at ``mu = y + 0.1``."""
    mu0 = y + 0.1
    z = np.log(mu0) + (y - mu0) / mu0
    start: Array = np.linalg.lstsq(gram(X, w * mu0), X.T @ (w * mu0 * z), rcond=None)[0]
    return start


def warm_rows(n: int) -> slice:
    """The evenly spaced subsample (at most :data:`WARM_ROWS` of ``n`` rows) a large fit
    starts from: the GLMs' here, the ordinal model's in :mod:`coprod.survey.ordinal`."""
    return slice(None, None, -(-n // WARM_ROWS))


def _warm_start(X: Array, y: Array, w: Array, family: Family) -> Array | None:
    """The fit on an evenly spaced subsample (module docstring), or None when it is not a
    safe start (not converged, fitted log-odds beyond 15, a class or all counts missing).
    The subsample is copied (contiguous rows: 3x faster passes than a strided view) and
    fitted with the blocked passes' arithmetic (it is only a start)."""
    rows = warm_rows(len(y))
    Xs, ys, ws = np.asfortranarray(X[rows]), y[rows], w[rows]
    if family is LOGIT and not (0 < ys.sum() < len(ys)) or family is POISSON and not ys.any():
        return None
    # (to 1e-8: the start is some standard errors off the data's fit whatever its digits)
    fit = _irls(Xs, ys, ws, family=family, tol=1e-8, max_iter=25, start=None, gram=None,
                quick=True)
    if not fit.converged or not np.isfinite(fit.beta).all() or np.abs(fit.last.eta).max() > 15:
        return None
    return fit.beta


def irls(X: Array, y: Array, w: Array, *, family: Family = LOGIT, tol: float = 1e-15,
         max_iter: int = 100, start: Array | None = None, gram: Array | None = None,
         check: Callable[[GlmPass], None] | None = None) -> IrlsFit:
    """Weighted GLM MLE by Newton-Raphson (= IRLS for canonical links: logit, log-linear).

    Stops like R's glm when the relative change in deviance is below ``tol`` (R's golden used
    1e-14), or when the Newton decrement is too small to change anything (rounding noise in
    the deviance of very large samples). ``start``: starting values (replicate fits start at
    the full-sample estimate, as R's); without them a count model starts, as R's glm, from one
    weighted least-squares step at ``mu = y + 0.1``, other models at zero (above
    :data:`BLOCKED_FROM` rows: from a subsample's fit). A gaussian fit is weighted least
    squares: the first step is exact, the second (a refinement of rounding) stops it.
    ``gram``: ``X' diag(w) X`` when the caller has it (the rank check). ``check``: called
    with the first pass over all the data, before any step is taken (it may raise): the rank
    check of a large fit proves its case from that pass's information
    (:func:`coprod.survey.framechecks.first_pass_rank_check`).
    """
    if len(y) > BLOCKED_FROM:
        with one_blas_thread():
            return _irls(X, y, w, family=family, tol=tol, max_iter=max_iter, start=start,
                         gram=gram, check=check)
    return _irls(X, y, w, family=family, tol=tol, max_iter=max_iter, start=start, gram=gram,
                 check=check)


def _irls(X: Array, y: Array, w: Array, *, family: Family, tol: float, max_iter: int,
          start: Array | None, gram: Array | None, quick: bool = False,
          check: Callable[[GlmPass], None] | None = None) -> IrlsFit:
    n, p = X.shape
    if start is None and n > BLOCKED_FROM and family is not GAUSSIAN:
        start = _warm_start(X, y, w, family)
    if start is None and family is POISSON:
        start = _poisson_start(X, y, w)
    beta = np.zeros(p) if start is None else np.array(start, dtype=float)
    eta0 = np.zeros(n) if start is None else None
    fixed = gram if family is GAUSSIAN else None  # a gaussian fit's every information
    # a logit fit's first from zero: every variance is 1/4, so it is the Gram / 4, exactly
    info0 = gram * 0.25 if gram is not None and family is LOGIT and start is None else fixed
    blocked = n > BLOCKED_FROM or quick
    buf = None if blocked else np.empty_like(X, dtype=float)  # reused by every pass
    cur = glm_pass(X, y, w, beta, family, eta=eta0, information=info0, buf=buf, quick=quick)
    if check is not None:
        check(cur)
    # a blocked pass writes its eta and mu over those of the pass before the last: two pairs
    # of arrays serve the whole fit
    spare = (np.empty(n), np.empty(n)) if blocked and not quick else None
    converged = False
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (``it`` is returned: iterations used)
        solved = newton_step(cur.information, cur.score)
        step = solved if solved is not None else np.linalg.lstsq(cur.information, cur.score,
                                                                  rcond=None)[0]
        decrement = float(step @ cur.score)  # predicted gain in log-likelihood x 2
        new = beta + step
        nxt = glm_pass(X, y, w, new, family, information=fixed, buf=buf, quick=quick,
                       out=spare)
        halvings = 0
        while not nxt.deviance <= cur.deviance * (1 + 1e-12) + 1e-12 and halvings < 30:
            step /= 2.0  # rare (or overflow)
            new = beta + step  # (a refused pass's arrays are written over)
            nxt = glm_pass(X, y, w, new, family, information=fixed, buf=buf, quick=quick,
                           out=spare)
            halvings += 1
        dev_old = cur.deviance
        if spare is not None:  # the accepted pass's arrays are kept; the last one's are free
            spare = (cur.eta, cur.mu)
        beta, cur = new, nxt
        if abs(cur.deviance - dev_old) / (abs(cur.deviance) + 0.1) < tol \
                or decrement < 1e-13 * (abs(cur.deviance) + 0.1):
            converged = True
            break
    return IrlsFit(beta, converged, it, cur)


def irls_logit(X: Array, y: Array, w: Array, *, tol: float = 1e-15, max_iter: int = 100,
               start: Array | None = None, family: Family = LOGIT
               ) -> tuple[Array, bool, int]:
    """:func:`irls` as ``(beta, converged, iterations)`` (the name earlier versions had)."""
    fit = irls(X, y, w, family=family, tol=tol, max_iter=max_iter, start=start)
    return fit.beta, fit.converged, fit.n_iter


def _settled(step: Array, beta: Array) -> bool:
    """The replicate refits' stop: a step below 1e-7 relative to the estimates it led to."""
    return bool(np.max(np.abs(step) / (1.0 + np.abs(beta))) < 1e-7)


def newton_from(X: Array, y: Array, w: Array, start: Array, max_iter: int = 25,
                family: Family = LOGIT, first: GlmPass | None = None) -> tuple[Array, bool]:
    """Newton-Raphson for the weighted GLM from ``start``; stops after a step below 1e-7
    (relative), whose quadratic convergence leaves an error far below 1e-12. ``first``: the
    full-sample fit's last pass, whose ``eta`` and ``mu`` are this fit's at ``start``."""
    beta = np.array(start, dtype=float)
    buf = np.empty_like(X, dtype=float) if len(y) <= BLOCKED_FROM else None
    for i in range(max_iter):
        known = first if i == 0 and first is not None else None
        cur = glm_pass(X, y, w, beta, family, deviance=False, buf=buf,
                       eta=None if known is None else known.eta,
                       mu=None if known is None else known.mu)
        step = newton_step(cur.information, cur.score)
        if step is None:
            return beta, False
        beta = beta + step
        if not np.isfinite(beta).all():
            return beta, False
        if _settled(step, beta):
            return beta, True
    return beta, False


MANY_BLOCK = 2048  # rows per block when all replicates are refitted together


def newton_many(X: Array, y: Array, W: Array, start: Array, *, family: Family = LOGIT,
                exponent: int = 0, first: GlmPass | None = None, max_iter: int = 25,
                columns: Array | None = None) -> tuple[Array, Array]:
    """:func:`newton_from` for every column of ``W`` (replicate weights; ``columns``: those
    columns only) at once, from the same ``start``; returns (estimates, one row per column,
    and converged flags).

    Why together: one replicate's pass is a weighted Gram of a tall, narrow matrix, which BLAS
    does at a fraction of its speed; for all replicates at once the scores and informations
    are matrix products, ``(W * (y - mu))' X`` and ``(W * var(mu))' Z`` with ``Z`` the row-wise
    products of ``X``'s column pairs, which BLAS does at full speed. Each replicate takes the
    steps and the stopping rule of :func:`newton_from`; only the order of the sums differs,
    so this is used where blocked passes are (more than :data:`BLOCKED_FROM` rows).
    ``exponent``: the design's weight exponent (:func:`coprod.survey.replicate.unit_column`).
    """
    n, p = X.shape
    cols = np.arange(W.shape[1]) if columns is None else np.asarray(columns)
    n_rep = len(cols)
    upper = np.triu_indices(p)
    betas = np.tile(np.asarray(start, dtype=float), (n_rep, 1))
    active = np.ones(n_rep, bool)
    converged = np.zeros(n_rep, bool)
    for it in range(max_iter):
        idx = np.flatnonzero(active)
        if not len(idx):
            break
        score = np.zeros((len(idx), p))
        packed = np.zeros((len(idx), len(upper[0])))
        for a in range(0, n, MANY_BLOCK):
            rows = slice(a, a + MANY_BLOCK)
            Xb = X[rows]
            Wb = W[rows] if len(idx) == n_rep == W.shape[1] else W[rows][:, cols[idx]]
            if exponent:
                Wb = np.ldexp(Wb, -exponent)
            if it == 0 and first is not None:
                mu = first.mu[rows][:, None]
            else:
                mu = family.mean(Xb @ betas[idx].T)
            score += (Wb * (y[rows][:, None] - mu)).T @ Xb
            packed += (Wb * family.variance(mu)).T @ (Xb[:, upper[0]] * Xb[:, upper[1]])
        info = np.empty((p, p))
        for k, r in enumerate(idx):
            info[upper] = packed[k]
            info.T[upper] = packed[k]
            step = newton_step(info, score[k])
            if step is None:
                active[r] = False
                continue
            betas[r] = betas[r] + step
            if not np.isfinite(betas[r]).all():
                active[r] = False
            elif _settled(step, betas[r]):
                active[r], converged[r] = False, True
    return betas, converged
