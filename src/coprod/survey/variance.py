"""Variance of estimated totals under a survey design: the twin of R's ``svyrecvar``.

Why its own module: every estimator reduces its variance to the covariance of a total of
per-row values (model scores, influence values of a mean), so this is the one place that
knows about strata, clusters, finite-population corrections, second stages and lonely PSUs.
First stage: PSU totals centred within strata, scaled by ``(1 - n_h/N_h) n_h/(n_h - 1)``
(no ``1 - n_h/N_h`` without fpc). Second stage, when population sizes are given (R's default
``survey.ultimate.cluster = FALSE``): second-stage-unit totals centred within each PSU,
scaled by ``(1 - m_i/M_i) m_i/(m_i - 1)`` and weighted by the first stage's sampling fraction
``n_h/N_h``. Domains keep every PSU of the design: PSUs without domain rows are zero totals.

Lonely units (a stratum with one PSU, or at the second stage a PSU with one unit), under
``lonely_psu="adjust"``: the unit's total enters *uncentred*, i.e. centred at 0 and scaled by
its finite-population factor alone, as survey 4.1.1's ``onestrat()`` does (it skips the
centring when ``lonely.psu == "adjust"`` and the stratum has one PSU). R's documentation calls
this centring at the grand mean; the two agree only when the values summed add up to zero, as
the influence values of means and the scores of models on an uncalibrated design do. After
calibration the values are the calibration residuals (``adjustments``, computed first on every
row, as ``svyrecvar`` does before ``multistage``), which need not sum to zero (raking, bounded
or raking-distance calibration), and the grand mean would give a different variance than R's
(tests/golden/test_lonely_golden.py).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ..errors import ModelError
from .design import CENSUS, SurveyDesign

if TYPE_CHECKING:
    from .replicate import ReplicateDesign

_BLOCK = 1 << 13  # rows per block in the variance sums (small enough to stay in cache)
_ROW_SUMS_FROM = 65_536  # rows from which _row_score_sums (as coprod.survey.newton.BLOCKED_FROM)


def weighted_gram(X: np.ndarray, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``X' diag(v) X`` for ``v >= 0`` as ``(sqrt(v) X)' (sqrt(v) X)``: BLAS sees ``A.T @ A`` and
    computes only one triangle (syrk), about 3x faster than ``X.T @ (X * v[:, None])``."""
    A = np.multiply(X, np.sqrt(v)[:, None], out=out)
    return cast(np.ndarray, A.T @ A)


def add_gram(out: np.ndarray, Xb: np.ndarray, v: np.ndarray, scratch: np.ndarray) -> None:
    """``out += Xb' diag(v) Xb`` for a block of rows, as a general product ``Xb' (v Xb)``:
    on a block's narrow matrix BLAS does it 1.4x faster than the symmetric product of
    ``sqrt(v) Xb`` (:func:`weighted_gram`, the one-block way), without the square roots; its
    two triangles differ in the last bits (:func:`symmetric`)."""
    A = np.multiply(Xb, v[:, None], out=scratch)
    out += Xb.T @ A


def symmetric(G: np.ndarray) -> np.ndarray:
    """The blocked Gram made exactly symmetric (the mean of its triangles)."""
    out: np.ndarray = (G + G.T) * 0.5
    return out


def every_row(rows: np.ndarray, n: int) -> bool:
    """Whether ``rows`` is ``0, 1, ..., n - 1`` (a model of every row of the design): then
    the design's own arrays serve, not copies taken through ``rows``."""
    return len(rows) == n and (n == 0 or (int(rows[0]) == 0 and int(rows[-1]) == n - 1
                                          and bool(np.all(rows[1:] > rows[:-1]))))


@dataclass(frozen=True)
class RowUnits:
    """The PSU of each row of a fit and the rows in each PSU, looked up once for the variance
    of the scores (:func:`score_cov`), the PSUs, strata and degrees of freedom of the fit, and
    its lonely strata: each of those took its own look-up through the rows and its own count,
    a pass over a million rows apiece."""

    psu: np.ndarray      # (rows,) the PSU code of each row
    counts: np.ndarray   # (P,) rows per PSU
    strata: np.ndarray   # (H,) bool: strata holding some of the rows
    every: bool = False  # the rows are every row of the design, in order

    @classmethod
    def of(cls, design: SurveyDesign, rows: np.ndarray, every: bool | None = None
           ) -> RowUnits:
        """``every``: whether ``rows`` are every row in order (:func:`every_row`), if known."""
        if every is None:
            every = every_row(rows, design.n)
        psu = design.psu if every else design.psu[rows]
        counts = np.bincount(psu, minlength=len(design.psu_stratum))
        strata = np.bincount(design.psu_stratum[counts > 0], minlength=len(design.n_psu)) > 0
        return cls(psu, counts, strata, every)

    @property
    def n_clusters(self) -> int:
        return int(np.count_nonzero(self.counts))

    @property
    def n_strata(self) -> int:
        return int(np.count_nonzero(self.strata))

    def degf(self, design: SurveyDesign, rows: np.ndarray, w: np.ndarray) -> int:
        """:func:`design_df` of the rows, whose weights (as the fit uses them) are ``w``:
        from the counts when every weight is positive, else as it computes it."""
        if len(w) and float(w.min()) > 0:  # (a positive unit weight is a positive weight)
            return self.n_clusters - self.n_strata
        return design_df(design, rows)


def lonely_strata(design: SurveyDesign, rows: np.ndarray,
                  units: RowUnits | None = None) -> list[Any]:
    """Labels of strata with a single PSU in the full design that hold some of ``rows``
    (a stratum whose PSUs were all sampled, a census, is not lonely: it adds no variance).
    ``units``: the rows' PSUs, looked up already."""
    present = units.strata if units is not None else \
        np.bincount(design.stratum[rows], minlength=len(design.n_psu)) > 0
    lonely = present & (design.n_psu == 1) & ~_census(design)
    return [design.strata_labels[h] for h in np.flatnonzero(lonely)]


def design_df(design: SurveyDesign, rows: np.ndarray | None = None) -> int:
    """Design degrees of freedom: PSUs minus strata among ``rows`` (indices; by default the
    rows of the design's domain, every row without one) with a non-zero weight.

    This is survey's ``degf()`` of a domain: only the clusters that hold domain members count.
    """
    return design.degf(rows)


def n_distinct(codes: np.ndarray, size: int) -> int:
    return int(np.count_nonzero(np.bincount(codes, minlength=size)))


@dataclass(frozen=True)
class _Stage:
    """One stage of the variance sum: units grouped in strata (for the second stage, the
    "strata" are the PSUs and the units their second-stage units)."""

    number: int
    n_units: np.ndarray       # (H,) sampled units per stratum in the full design
    scale: np.ndarray         # (H,) finite-population factor times n/(n-1)
    lonely: np.ndarray        # (H,) bool: a single unit, and not a census
    rule: str
    labels: Callable[[int], str]

    def label(self, h: int) -> str:
        return self.labels(h)


def _census(design: SurveyDesign) -> np.ndarray:
    if design.fpc is None:
        return np.zeros(len(design.n_psu), bool)
    return cast(np.ndarray, (design.fpc - design.n_psu) / design.fpc < CENSUS)


def _stage1(design: SurveyDesign) -> _Stage:
    n_h = design.n_psu.astype(float)
    scale = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0)
    census = _census(design)
    if design.fpc is not None:
        f = np.where(census, 0.0, (design.fpc - n_h) / design.fpc)
        scale = scale * f
    return _Stage(1, design.n_psu, scale, (design.n_psu == 1) & ~census, design.lonely_psu,
                  lambda h: design.strata_labels[h])


def _stage2(design: SurveyDesign) -> _Stage:
    # a second stage has its units and the first stage's population sizes (designconfig)
    assert design.n_ssu is not None and design.fpc is not None
    m = design.n_ssu.astype(float)
    scale = np.where(m > 1, m / np.maximum(m - 1, 1), 1.0)
    census = np.zeros(len(m), bool)
    if design.fpc2 is not None:
        f2 = (design.fpc2 - m) / design.fpc2
        census = f2 < CENSUS
        scale = scale * np.where(census, 0.0, f2)
    # weighted by the first stage's sampling fraction n_h / N_h of the PSU's stratum
    frac = (design.n_psu / design.fpc)[design.psu_stratum]
    return _Stage(2, design.n_ssu, scale * frac, (design.n_ssu == 1) & ~census,
                  design.lonely_psu, design.psu_label)


def design_cov(design: SurveyDesign, rows: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Covariance of the estimated total ``sum(z)`` under the design (svyrecvar).

    ``z`` holds per-row values (already weighted) for the rows ``rows``; all other rows of the
    design contribute zero. PSU totals are centred at their stratum mean over *all* the stratum's
    PSUs (PSUs without any of ``rows`` are zeros) and scaled as the module says. A stratum with
    one PSU follows ``design.lonely_psu``: ``fail`` raises, ``remove``/``certainty`` contribute
    nothing, ``adjust`` adds its total uncentred (R 4.1.1's rule: see the module), ``average``
    scales the other strata's sum up by (strata) / (strata with more than one PSU).

    Only the PSUs that hold some of ``rows`` are materialised: each of the other PSUs of a
    present stratum is a zero total, whose deviation ``-centre_h`` is added in closed form
    (``(n_h - m_h) * scale_h * centre_h centre_h'``), so the cost is a pass over ``z``
    whatever the number of PSUs in the design.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    rows = np.asarray(rows)
    if design.adjustments:  # calibrated weights: residuals from the calibration, on every row
        Z = np.zeros((design.n, z.shape[1]))
        if np.bincount(rows, minlength=design.n).max(initial=0) <= 1:
            Z[rows] = z
        else:  # stacked data: a row's values are summed
            np.add.at(Z, rows, z)
        for adjustment in design.adjustments:
            Z = adjustment.adjust(Z)
        z, rows = Z, np.arange(design.n)
    V = _unit_cov(_stage1(design), design.psu[rows], design.psu_stratum, z)
    if _two_stage(design):
        assert design.ssu is not None and design.ssu_psu is not None
        V = V + _unit_cov(_stage2(design), design.ssu[rows], design.ssu_psu, z)
    return V


def _two_stage(design: SurveyDesign) -> bool:
    """R adds the second stage only with population sizes at the first (with replacement, the
    first stage's sampling fraction n/N is zero)."""
    return design.ssu is not None and design.fpc is not None


def _unit_cov(stage: _Stage, unit: np.ndarray, unit_stratum: np.ndarray, z: np.ndarray
              ) -> np.ndarray:
    counts = np.bincount(unit, minlength=len(unit_stratum))
    if len(unit) == 0 or counts.max() <= 1:
        # every row its own unit (no clusters, or clusters of one): the totals are the rows
        return _centred_cov(stage, unit_stratum[unit], z.shape[1], lambda a, b: z[a:b], len(z))
    zt = np.ascontiguousarray(z.T)  # contiguous columns: one cache-friendly pass each
    return _cluster_cov(stage, unit, unit_stratum, counts, z.shape[1],
                        lambda j, a, b, _: zt[j, a:b])


_TOTALS_BLOCK = 1 << 14  # rows per block of a large score_cov's unit totals


def _cluster_cov(stage: _Stage, unit: np.ndarray, unit_stratum: np.ndarray, counts: np.ndarray,
                 k: int, column: Callable[[int, int, int, np.ndarray], np.ndarray],
                 block: int | None = None) -> np.ndarray:
    """:func:`_centred_cov` of the unit totals of the ``k`` per-row values ``column(j, a, b,
    buf)`` (of the rows a..b; each summed by unit in row order, by ``bincount``; ``buf``:
    scratch the column may be formed in); ``counts``: rows per unit. ``block``: the sums
    taken a block of that many rows at a time (each block's column formed in cache and its
    unit totals added to the running ones: 1.2x faster on a million rows in 2,000 PSUs, the
    sums rounded in another order), when the units are few next to the block (each block's
    totals are as long as the units); None: all rows at once."""
    ids = np.flatnonzero(counts)
    inverse = unit if len(ids) == len(counts) else (np.cumsum(counts > 0) - 1)[unit]
    n = len(unit)
    step = n if block is None or block >= n or len(ids) > block // 8 else block
    totals = np.zeros((k, len(ids)))
    buf = np.empty(step)
    for a in range(0, n, step):
        b = min(a + step, n)
        for j in range(k):
            sums = np.bincount(inverse[a:b], weights=column(j, a, b, buf[:b - a]),
                               minlength=len(ids))
            if step == n:
                totals[j] = sums
            else:
                totals[j] += sums
    tt = np.ascontiguousarray(totals.T)
    return _centred_cov(stage, unit_stratum[ids], k, lambda a, b: tt[a:b], len(tt))


def score_cov(design: SurveyDesign, rows: np.ndarray, X: np.ndarray, r: np.ndarray,
              units: RowUnits | None = None) -> np.ndarray:
    """``design_cov`` of the scores ``r_i x_i`` (the "meat" of the sandwich); with ``r`` of
    shape (n, m), of the side-by-side scores ``[r_i1 x_i, ..., r_im x_i]`` of m models sharing
    ``X``. Without calibration the n x p(m) score matrix is never built: at a stage whose
    units are single rows the scores are formed block by block, in cache, as the sums need
    them; at a clustered stage one column at a time as its unit totals are summed. The same
    products summed in the same order as ``design_cov`` of the matrix: the same bits (beyond
    ``_ROW_SUMS_FROM`` rows, as the blocked passes of coprod.survey.newton, the sums are
    taken in blocks of rows, in cache: their last bits differ). ``units``: the rows' PSUs
    and their counts, looked up already (:class:`RowUnits`)."""
    r = np.asarray(r, dtype=float)
    r2 = r[:, None] if r.ndim == 1 else r

    def scores(a: int, b: int) -> np.ndarray:
        Xb = X[a:b]
        if r2.shape[1] == 1:
            return cast(np.ndarray, Xb * r2[a:b])
        return np.hstack([Xb * r2[a:b, j:j + 1] for j in range(r2.shape[1])])

    if design.adjustments:  # calibrated: the residuals of every row's scores (design_cov)
        return design_cov(design, rows, scores(0, len(X)))
    rows = np.asarray(rows)
    k, p = X.shape[1] * r2.shape[1], X.shape[1]

    def stage_cov(stage: _Stage, unit: np.ndarray, unit_stratum: np.ndarray,
                  counts: np.ndarray | None = None) -> np.ndarray:
        if counts is None:
            counts = np.bincount(unit, minlength=len(unit_stratum))
        if len(unit) == 0 or counts.max() <= 1:  # units of one row: the scores are the totals
            h = unit_stratum[unit]
            sums = (lambda: _row_score_sums(X, r, stage.scale, h, len(stage.n_units))) \
                if r.ndim == 1 and len(X) > _ROW_SUMS_FROM else None
            return _centred_cov(stage, h, k, scores, len(X), sums)
        return _cluster_cov(stage, unit, unit_stratum, counts, k,
                            lambda j, a, b, buf: np.multiply(X[a:b, j % p], r2[a:b, j // p],
                                                             out=buf),
                            _TOTALS_BLOCK if len(X) > _ROW_SUMS_FROM else None)

    if units is not None:
        V = stage_cov(_stage1(design), units.psu, design.psu_stratum, units.counts)
    else:
        V = stage_cov(_stage1(design), design.psu[rows], design.psu_stratum)
    if _two_stage(design):
        assert design.ssu is not None and design.ssu_psu is not None
        ssu = design.ssu if units is not None and units.every else design.ssu[rows]
        V = V + stage_cov(_stage2(design), ssu, design.ssu_psu)
    return V


def _row_score_sums(X: np.ndarray, r: np.ndarray, scale: np.ndarray, h_of: np.ndarray,
                    n_strata: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_centred_cov`'s sums for the scores ``r_i x_i`` of rows that are their own units,
    without the scores: ``S_h = sum r_i x_i`` as (indicator x r)' X, ``G = X' diag(scale_h
    r_i^2) X`` as a general product (:func:`add_gram`): one product of a
    block of ``X`` instead of two, no square roots. Large data only (the sums round otherwise
    than the scores': last bits)."""
    n, p = X.shape
    S, G = np.zeros((n_strata, p)), np.zeros((p, p))
    few = n_strata <= 64
    levels = np.arange(n_strata)
    scratch = np.empty_like(X[:_BLOCK], dtype=float)
    hot = np.empty((n_strata if few else 0, _BLOCK))
    for a in range(0, n, _BLOCK):
        Xb, rb, h = X[a:a + _BLOCK], r[a:a + _BLOCK], h_of[a:a + _BLOCK]
        if few:  # (indicator x r)' X
            rh = hot[:, :len(rb)]
            np.equal(levels[:, None], h, out=rh, casting="unsafe")
            rh *= rb
            S += rh @ Xb
        else:
            for j in range(p):
                S[:, j] += np.bincount(h, weights=Xb[:, j] * rb, minlength=n_strata)
        add_gram(G, Xb, rb * rb * scale[h], scratch[:len(Xb)])
    return S, symmetric(G)


def _centred_cov(stage: _Stage, h_of: np.ndarray, k: int, block: Callable[[int, int], np.ndarray],
                 n_totals: int,
                 sums: Callable[[], tuple[np.ndarray, np.ndarray]] | None = None) -> np.ndarray:
    """sum_h scale_h sum_(units j of h) (T_j - centre_h)(T_j - centre_h)' for the unit totals
    ``block(a, b)`` (rows a..b of them), in stratum ``h_of``; units of a present stratum without
    any total are zeros.

    One pass, block by block (the temporaries stay in cache): the stratum sums S_h and the scaled
    cross-products G = sum_j scale_h T_j T_j'; then the centring in closed form,
    ``G - sum_h scale_h (c_h S_h' + S_h c_h' - m_h c_h c_h')``. That subtraction is exact to
    rounding unless the stratum means are large next to the spread (for model scores, whose sums
    are zero at the estimate, they are tiny); when the correction is more than half of any
    diagonal term, a second pass centres every total before multiplying, as svyrecvar does.
    ``sums``: (S, G) computed otherwise (:func:`_row_score_sums`).
    """
    n_strata = len(stage.n_units)
    m_h = np.bincount(h_of, minlength=n_strata).astype(float)  # units holding rows, per stratum
    present = m_h > 0
    n_h = stage.n_units.astype(float)
    scale = stage.scale
    root = np.sqrt(scale)
    lonely = present & stage.lonely
    if lonely.any() and stage.rule == "fail":
        labels = [stage.label(int(h)) for h in np.flatnonzero(lonely)]
        options = ("set lonely_psu to 'adjust' (R's options(survey.lonely.psu = 'adjust')), "
                   "'average', 'remove' or 'certainty'")
        if stage.number == 1:
            raise ModelError(f"stratum {labels[0]!r} has only one PSU (lonely_psu='fail', R's "
                             f"default); strata with a single PSU: {labels}; {options}")
        raise ModelError(f"PSU {labels[0]!r} has only one second-stage unit (lonely_psu="
                         f"'fail', R's default); PSUs with a single second-stage unit: {labels}; "
                         f"{options}")
    if lonely.any() and stage.rule == "average" and stage.number == 2:
        raise ModelError(f"PSU {stage.label(int(np.flatnonzero(lonely)[0]))!r} has a single "
                         "second-stage unit, which lonely_psu='average' cannot average over "
                         "(R gives NaN); use 'adjust', 'remove' or 'certainty'")
    if sums is not None:
        strat_sum, G = sums()
    else:
        strat_sum, G = np.zeros((n_strata, k)), np.zeros((k, k))
        few = n_strata <= 64
        levels = np.arange(n_strata)
        for start in range(0, n_totals, _BLOCK):
            T, h = block(start, start + _BLOCK), h_of[start:start + _BLOCK]
            if few:  # indicator x totals: one small product per block
                strat_sum += (h[:, None] == levels).astype(float).T @ T
            else:
                for j in range(k):
                    strat_sum[:, j] += np.bincount(h, weights=T[:, j], minlength=n_strata)
            Ts = T * root[h][:, None]
            G += Ts.T @ Ts
    centre = strat_sum / n_h[:, None]
    if lonely.any() and stage.rule == "adjust":
        centre[lonely] = 0.0  # R 4.1.1's onestrat: the lonely unit's total enters uncentred
    # remove / certainty / average: centring a lonely unit at its own total makes it zero
    cs = centre * np.where(present, scale, 0.0)[:, None]
    correction = cs.T @ strat_sum + strat_sum.T @ cs - (cs * m_h[:, None]).T @ centre
    if np.all(np.diag(correction) <= 0.5 * np.diag(G)):
        B = G - correction
    else:  # large stratum means: centre first (two passes)
        B = np.zeros((k, k))
        for start in range(0, n_totals, _BLOCK):
            h = h_of[start:start + _BLOCK]
            dev = block(start, start + _BLOCK) - centre[h]
            dev *= root[h][:, None]
            B += dev.T @ dev
    # the units of present strata that hold none of the rows: total 0, deviation -centre_h
    empty = np.where(present, (n_h - m_h) * scale, 0.0)
    if empty.any():
        B += (centre * empty[:, None]).T @ centre
    if lonely.any() and stage.rule == "average":
        ok = int((present & ~lonely).sum())
        if ok == 0:
            raise ModelError("every stratum of this sample has a single PSU: "
                             "lonely_psu='average' has no stratum to average over")
        B = B * (int(present.sum()) / ok)
    return cast(np.ndarray, (B + B.T) / 2)


def mean_deff(design: SurveyDesign | ReplicateDesign, rows: np.ndarray, y: np.ndarray,
              variance: float) -> float:
    """Design effect of a weighted mean of ``y`` (the values of ``rows``), as R's
    ``svymean(deff = TRUE)`` (``design.deff == "srswor"``: the variance of a simple random
    sample of the same size drawn without replacement from a population of the weights' sum;
    NaN when the weights sum to less than the sample, i.e. are not scaled to the population)
    or ``deff = "replace"`` (with replacement). The sums are of the unit-scaled weights; only
    the population size (the weights' sum on their own scale) needs the scale back."""
    w = design.unit_weights[rows]
    nobs = int(np.count_nonzero(w))
    psum = float(w.sum())
    if nobs < 2 or not psum > 0:
        return float("nan")
    ybar = float(w @ y / psum)
    s2 = float(w @ (y - ybar) ** 2 / psum) * nobs / (nobs - 1)
    if design.deff == "replace":
        vsrs = s2 / nobs
    else:
        population = design.population_scale(psum)
        if population < nobs:
            return float("nan")
        vsrs = (s2 * (population - nobs) / (population * nobs) if np.isfinite(population)
                else s2 / nobs)  # a population too large to hold: no finite-population factor
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(variance / vsrs) if vsrs > 0 else float("nan")
