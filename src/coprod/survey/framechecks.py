"""The checks that turn a model matrix's silent failures into flags or clear errors: empty
levels and an empty reference level, collinear terms, (quasi-)separation, and 0/1 columns whose
outcome sits at one extreme.

Why apart from the model frame (:mod:`coprod.survey.modelframe`): building the matrix is
formula work (formulaic, caches); these checks are linear algebra and linear programs on the
matrix once built, shared by every model family (logistic, ordinal, count, the contrast).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ModelError
from . import newton
from .families import LOGIT, POISSON, Family
from .modelframe import categorical_factors, remember
from .variance import weighted_gram


def drop_empty_columns(X: np.ndarray, terms: pd.DataFrame, spec: Any
                       ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """Find all-zero columns (levels without respondents) to drop; raise for an empty reference.

    Returns the kept column positions and one "empty_level" flag per dropped column.
    """
    nonzero = _nonzero_columns(X)
    flags = []
    cats = categorical_factors(spec)
    keep = []
    # the columns as lists (to_dict("records") and iterrows went through pandas row by row);
    # those only an empty column's flag or message reads, only then
    term, level, factor = (terms[c].tolist() for c in ("term", "level", "factor"))
    for j, t in enumerate(term):
        if t == "Intercept" or nonzero[j]:
            keep.append(j)
            continue
        if terms["categorical"].iloc[j]:
            what = (f"{terms['variable'].iloc[j]} = {level[j]!r}" if level[j]
                    else f"cell {t!r}")
            flags.append({"flag": "empty_level",
                          "detail": f"{what} has no respondents in this sample; column "
                                    f"{t!r} dropped (not reported as an odds ratio)"})
        else:
            keep.append(j)  # an all-zero numeric column is a singular design: reported later
    # empty reference level: the dummies of a main-effect factor add up to the intercept
    if "Intercept" in term:
        for fac, info in cats.items():
            block = [j for j in keep if factor[j] == fac and level[j]]
            if block and _rows_sum_to_one(X, block):
                var = terms["variable"].iloc[block[0]]
                if len(block) == 1:  # one level left: the variable does not vary in this sample
                    only = level[block[0]]
                    raise ModelError(
                        f"{var!r} has the single value {only!r} for every respondent in this "
                        f"sample, so its effect cannot be estimated here; leave it out for this "
                        f"sample or merge levels")
                raise ModelError(
                    f"reference level {info['reference']!r} of {var!r} has no respondents in "
                    f"this sample; choose another reference level for {var!r}")
    return np.asarray(keep, dtype=np.int64), flags


_CHUNK = 4096  # rows looked at first: the answer is usually plain from them


def _nonzero_columns(X: np.ndarray) -> np.ndarray:
    """Which columns of ``X`` have a nonzero value (``count_nonzero(X, axis=0) > 0``): a
    column with one in the first rows is not read further (a million-row matrix is mostly
    not read at all)."""
    nonzero = np.asarray(X[:_CHUNK].any(axis=0))
    for j in np.flatnonzero(~nonzero):
        nonzero[j] = X[_CHUNK:, j].any()
    return nonzero


def _rows_sum_to_one(X: np.ndarray, block: list[int]) -> bool:
    """Whether every row of ``X[:, block]`` sums to 1, without copying the block; chunk by
    chunk of rows, stopping at the first chunk with a row that does not (usually the first:
    a row at the reference level)."""
    ones = np.zeros(X.shape[1])
    ones[block] = 1.0
    for a in range(0, len(X), _CHUNK):
        rows = X[a:a + _CHUNK]
        if not (np.all(rows[:, block[0]] == 1) if len(block) == 1 else np.all(rows @ ones == 1)):
            return False
    return True


def check_rank(X: np.ndarray, w: np.ndarray, names: list[str], tol: float = 1e-11, *,
               gram: bool = True) -> np.ndarray | None:
    """Raise ModelError naming the terms that are linear combinations of each other; else
    return the Gram ``X' diag(w) X`` it checked (the fit's first information: one pass over
    the data less, :mod:`coprod.survey.newton`). ``gram=False`` (the caller does not need
    the Gram): on large data, None when a subsample proves the check passes
    (:func:`_full_rank_from_subsample`)."""
    if not gram and len(w) > newton.BLOCKED_FROM and _full_rank_from_subsample(X, w, tol):
        return None
    G = newton.gram(X, w)
    d = np.sqrt(np.diag(G))
    if np.any(d == 0):
        zero = [names[j] for j in np.flatnonzero(d == 0)]
        raise ModelError(f"singular design: term(s) {zero} are zero for every respondent "
                         "with a positive weight in this sample")
    C = G / np.outer(d, d)
    vals, vecs = np.linalg.eigh(C)
    small = vals < tol * max(vals.max(), 1.0)
    if not small.any():
        return G
    involved: list[str] = []
    for v in vecs[:, small].T:
        v = v / np.abs(v).max()
        for j in np.flatnonzero(np.abs(v) > 1e-6):
            if names[j] not in involved:
                involved.append(names[j])
    raise ModelError(f"singular design: the terms {involved} are linear combinations of one "
                     f"another in this sample (rank {int((~small).sum())} of {len(names)}); "
                     "drop one of them or merge levels")


def _full_rank_from_subsample(X: np.ndarray, w: np.ndarray, tol: float) -> bool:
    """Whether the rank check of :func:`check_rank` passes, proved from the warm start's
    subsample (:func:`coprod.survey.newton.warm_rows`) and the diagonal of the full Gram,
    without the full Gram's products (a fifth of the cost on a million rows).

    Why it is a proof: the check passes when every eigenvalue of ``C = D^-1/2 G D^-1/2``
    (``G = X' diag(w) X``, ``D`` its diagonal) is at least ``tol`` times the largest, which is
    at most ``p`` (the trace of ``C``), so when ``lambda_min(C) >= tol p``. The subsample's
    Gram ``G_s`` is a sum over some of the rows, so ``x'Gx >= x'G_s x >= lambda_min(C_s)
    x'D_s x`` and ``x'Dx <= max_j(D_jj / D_s,jj) x'D_s x`` for every ``x``, hence
    ``lambda_min(C) >= lambda_min(C_s) / max_j(D_jj / D_s,jj)``. A hundredfold margin covers
    the rounding of the small eigenvalue problem; a subsample short of it (a level absent
    there, nearly collinear terms) leaves the decision to the full Gram, as do negative
    weights (linear calibration can make some): the rows left out of the subsample then need
    not add a positive semidefinite part, and the first inequality fails."""
    if w.min() < 0:
        return False
    rows = newton.warm_rows(len(w))
    Gs = weighted_gram(X[rows], w[rows])
    ds = np.diag(Gs)
    if not np.all(ds > 0):
        return False
    lam = float(np.linalg.eigvalsh(Gs / np.sqrt(np.outer(ds, ds)))[0])
    D = newton.column_squares(X, w)
    return bool(lam / float(np.max(D / ds)) >= 100 * tol * X.shape[1])


def first_pass_rank_check(X: np.ndarray, w: np.ndarray, names: list[str], family: Family,
                          tol: float = 1e-11) -> Callable[[newton.GlmPass], None]:
    """The rank check of a large logit or count fit, for :func:`coprod.survey.newton.irls`'s
    ``check``: proved from the information of the fit's first pass over the data
    (:func:`_full_rank_from_information`: no product of its own), else decided as
    :func:`check_rank` with ``gram=False`` (the subsample's proof, then the full Gram), which
    raises the same error for collinear terms. Only the time of that error changes: after
    the warm start and one pass instead of before them."""
    def check(first: newton.GlmPass) -> None:
        if not _full_rank_from_information(first.information, first.eta, w, family, tol):
            check_rank(X, w, names, tol, gram=False)
    return check


def _full_rank_from_information(info: np.ndarray, eta: np.ndarray, w: np.ndarray,
                                family: Family, tol: float) -> bool:
    """Whether the rank check of :func:`check_rank` passes, proved from the information
    ``I = X' diag(w v) X`` of a pass (``v``: the family's variances at ``eta``) and the range
    of ``v``, without ``G = X' diag(w) X`` or its diagonal ``D``.

    Why it is a proof: the check passes when ``lambda_min(D^-1/2 G D^-1/2) >= tol p``
    (:func:`_full_rank_from_subsample`), and ``lambda_min(D^-1/2 G D^-1/2)`` is the least of
    ``x'Gx / x'Dx`` over ``x``. With ``0 < v_min <= v <= v_max`` on every row and ``w >= 0``,
    ``x'Gx >= x'Ix / v_max`` and ``x'Dx <= x'D_I x / v_min`` (``D_I``: the diagonal of
    ``I``), so that ratio is at least ``(v_min / v_max) lambda_min(D_I^-1/2 I D_I^-1/2)``.
    The variances' range comes from the range of ``eta`` (a logit's ``v`` falls with
    ``|eta|`` and is at most 1/4, a count's rises with ``eta``), in the stable form
    ``e / (1 + e)^2``, ``e = exp(-|eta|)``; a hundredfold margin covers the rounding. Fitted
    values far out (a tiny ``v_min``), negative weights or other families leave the decision
    to :func:`check_rank`."""
    p = info.shape[0]
    if family not in (LOGIT, POISSON) or not len(eta) or float(w.min()) < 0:
        return False
    lo, hi = float(eta.min()), float(eta.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return False
    if family is LOGIT:
        e = float(np.exp(-max(-lo, hi)))
        ratio = e / (1.0 + e) ** 2 / 0.25
    else:
        ratio = float(np.exp(lo - hi))
    d = np.diag(info)
    if not np.all(d > 0) or not np.isfinite(info).all():
        return False
    lam = float(np.linalg.eigvalsh(info / np.sqrt(np.outer(d, d)))[0])
    return bool(ratio * lam >= 100 * tol * p)


def mle_certified(X: np.ndarray, y: np.ndarray, w: np.ndarray, mu: np.ndarray,
                  *, margin: float = 0.5, max_cond: float = 1e8) -> bool:
    """Whether a converged logit fit proves that there is no (quasi-)separation, so the
    linear programs of :func:`find_separation` can be skipped.

    Why it is a proof: by Stiemke's lemma, no direction ``d`` has ``(2y-1) * x'd >= 0`` on
    every row (and ``> 0`` on one) iff some strictly positive ``lam`` has
    ``sum_i lam_i (2y_i-1) x_i = 0``. At the MLE the score ``sum_i w_i (y_i - mu_i) x_i``
    vanishes, so ``lam_i = w_i |y_i - mu_i|`` nearly is one; one Newton correction,
    ``lam_i (1 - c_i)`` with ``c = (2y-1) * X (X' diag(lam) X)^-1 r`` for the score's
    rounding residual ``r``, makes it exact, and it stays positive while every ``c_i < 1``.
    Rows with ``lam_i = 0`` (zero weight, a fitted 0 or 1) are left out: no separation of a
    subset of the rows (with full column rank) means none of all of them. Under separation
    the information matrix is near singular along the separating direction, so a fit that
    only looks converged is sent to the linear programs (condition number above
    ``max_cond``), as is any ``c_i`` above ``margin``.
    """
    if not np.isin(y, (0.0, 1.0)).all():
        return False
    lam = w * np.abs(y - mu)
    rows = lam > 0
    p = X.shape[1]
    if rows.sum() <= p:
        return False
    Xt, lam_t, s = X[rows], lam[rows], 2.0 * y[rows] - 1.0
    M = weighted_gram(Xt, lam_t)
    d = np.sqrt(np.diag(M))
    if not np.all(d > 0):
        return False
    Ms = M / np.outer(d, d)
    if not np.isfinite(Ms).all() or np.linalg.cond(Ms) > max_cond:
        return False
    r = Xt.T @ (s * lam_t)
    u = np.linalg.solve(Ms, r / d) / d
    c = s * (Xt @ u)
    return bool(np.isfinite(c).all() and c.max() < margin)


_SEPARATION_SEEN: dict[bytes, np.ndarray | None] = {}


def separation_terms(X: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """:func:`find_separation`, remembered for the last few (X, y): separation does not depend
    on the weights, and a specification curve refits the same rows weighted and unweighted."""
    import hashlib

    key = hashlib.blake2b(np.ascontiguousarray(X).tobytes() + b"|"
                          + np.ascontiguousarray(y, dtype=float).tobytes()
                          + repr(X.shape).encode(), digest_size=16).digest()
    if key not in _SEPARATION_SEEN:
        remember(_SEPARATION_SEEN, key, find_separation(X, y), entries=32)
    found = _SEPARATION_SEEN[key]
    return None if found is None else found.copy()


def find_separation(X: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Konis (2007) linear-programming check for (quasi-)complete separation.

    Separation means a direction ``d`` with ``(2y-1) * x'd >= 0`` for every row (and ``> 0``
    for some): along it the likelihood keeps rising, so the maximum-likelihood estimate is
    infinite. Returns, per coefficient, the sign of its divergence (-1, 0, +1; +/-2 when it can
    go either way), or None when the MLE exists.

    Why three steps and not two LPs per coefficient: one LP finds the rows that some direction
    separates strictly (the cone of separating directions then lies in the null space of the
    other rows, and fills it); a coefficient outside that null space cannot diverge, so only
    the few inside it need their two LPs (max and min of ``d_j`` over the cone).
    """
    from scipy import optimize, sparse  # only when separation is suspected: a slow import

    s = 2.0 * y - 1.0
    A = X * s[:, None]
    A = np.unique(A, axis=0) if len(A) > 1000 else A
    scale = np.abs(A).max(axis=0)
    scale[scale == 0] = 1.0
    As = A / scale
    n, p = As.shape

    # max sum(t) s.t. As d >= t, 0 <= t <= 1, d free: t_i = 1 exactly on the rows some
    # direction separates strictly (adding directions only adds separated rows)
    A_ub = sparse.hstack([sparse.csr_matrix(-As), sparse.identity(n, format="csr")])
    res = optimize.linprog(np.r_[np.zeros(p), -np.ones(n)], A_ub=A_ub, b_ub=np.zeros(n),
                           bounds=[(None, None)] * p + [(0, 1)] * n, method="highs")
    if res.status != 0:
        return None
    strict = res.x[p:] > 0.5
    if not strict.any():
        return None
    # the cone spans the null space of the rows no direction separates
    tight = As[~strict]
    if len(tight):
        # the null space of the (m, p) rows is that of their (p, p) triangular factor: no
        # m x m matrix for a large survey
        small = np.linalg.qr(tight, mode="r") if len(tight) > p else tight
        _, sv, vt = np.linalg.svd(small, full_matrices=True)
        rank = int((sv > 1e-9 * max(sv.max(), 1.0)).sum())
        basis = vt[rank:]
    else:
        basis = np.eye(p)
    if not len(basis):
        return None
    free = np.flatnonzero(np.linalg.norm(basis, axis=0) > 1e-7)
    bounds = [(-1, 1)] * p
    # the LPs over the cone start from a few of its rows -- the ones no direction separates
    # and those nearest to binding on the direction just found -- and add the rows a solution
    # violates until it violates none (cutting planes: exact, and a few hundred rows instead
    # of every respondent)
    active = ~strict
    d0 = res.x[:p]
    norms = np.linalg.norm(As, axis=1)
    active[np.argsort((As @ d0) / np.where(norms > 0, norms, 1.0))[:4 * p]] = True

    def best(c: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
        while True:
            rows = np.flatnonzero(active)
            r = optimize.linprog(c, A_ub=-As[rows], b_ub=np.zeros(len(rows)), bounds=bounds,
                                 method="highs")
            if r.status != 0:
                return None
            slack = As @ r.x
            slack[rows] = np.inf
            violated = np.flatnonzero(slack < -1e-9)
            if not len(violated):
                return cast(npt.NDArray[np.float64], r.x)
            active[violated[np.argsort(slack[violated])[:4 * p]]] = True

    # every direction found is evidence for all its coordinates: an LP is solved only for a
    # sign no earlier solution has shown
    up, down = np.zeros(p, dtype=bool), np.zeros(p, dtype=bool)

    def solve(j: np.intp, sign: int) -> None:
        e = np.zeros(p)
        e[j] = -sign
        x = best(e)
        if x is not None:
            up[:] |= x > 1e-6
            down[:] |= x < -1e-6

    for j in free:
        if not up[j]:
            solve(j, +1)
        if not down[j]:
            solve(j, -1)
    inside = np.zeros(p, dtype=bool)
    inside[free] = True
    up, down = up & inside, down & inside
    signs = np.where(up & down, 2, np.where(up, 1, np.where(down, -1, 0)))
    return signs if signs.any() else None


def extreme_dummies(X: np.ndarray, names: list[str],
                    at_extreme: Callable[[np.ndarray], bool]) -> list[str]:
    """The 0/1 columns whose rows with 1 (or whose rows with 0) all have an extreme outcome --
    ``at_extreme(mask)`` says whether the outcome of the rows in ``mask`` is all at one end (a
    count all 0; an ordinal outcome all in its lowest or all in its highest category). The
    estimate of such a column runs off to infinity, as a logit's under separation."""
    out = []
    for j, name in enumerate(names):
        if name == "Intercept":
            continue
        col = X[:, j]
        if not np.all((col == 0) | (col == 1)):
            continue
        ones = col == 1
        if ones.any() and (~ones).any() and (at_extreme(ones) or at_extreme(~ones)):
            out.append(name)
    return out
