"""Design-based logistic regression: the Python twin of R's ``svyglm(family = quasibinomial())``.

Why this module exists: co-production surveys are weighted, stratified and sometimes clustered, so
plain logistic regression gives the right point estimates but the wrong standard errors. Here
point estimates are the weighted maximum pseudo-likelihood estimates (what ``glm`` with prior
weights gives) and the covariance is the Taylor-linearisation sandwich ``A^-1 B A^-1`` with ``B``
built from PSU totals of the weighted scores, centred within strata and scaled by
``n_h / (n_h - 1)`` (with-replacement design, no finite-population correction), exactly as the
survey package does. Domains (subpopulations) keep the whole design: rows outside the domain, and
rows dropped because a model variable is missing, contribute zero scores but their PSUs still
count, which is what ``svyglm`` on ``subset(design, ...)`` does.

The fit is Newton-Raphson/IRLS on the p x p normal equations (vectorised numpy); the tests check
it against ``statsmodels`` GLM (binomial, ``var_weights``) and against R's numbers in
``tests/data/golden``. Formulas are parsed with ``formulaic`` (the same engine statsmodels 0.15 can
use), so ``Q("odd name")`` quoting and pandas categoricals (first category = reference) work.
Term names follow formulaic: ``Intercept``, ``age``, ``country[T.BB]``, ``Q('odd name')``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from formulaic.utils.sentinels import Sentinel
from . import dist
from scipy.special import expit

from .errors import ConfigError, DataError, ModelError

LONELY_PSU_OPTIONS = ("adjust", "remove", "certainty", "fail")
_TIDY_COLUMNS = [
    "term", "estimate", "std_error", "df_resid", "statistic", "p_value", "conf_low", "conf_high",
    "odds_ratio", "or_conf_low", "or_conf_high", "flag",
]


# --------------------------------------------------------------------------------------------
# The survey design
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Design:
    """The sampling design over *all* rows of the data (domains and missing values included).

    ``psu`` codes are unique across strata (nest=TRUE), ``n_psu[h]`` is the number of PSUs of
    stratum ``h`` in the full design (the count survey keeps after subsetting to a domain).
    """

    weights: np.ndarray          # (n,) float, >= 0
    stratum: np.ndarray          # (n,) int codes 0..H-1
    psu: np.ndarray              # (n,) int codes 0..P-1, nested in strata
    psu_stratum: np.ndarray      # (P,) stratum code of each PSU
    n_psu: np.ndarray            # (H,) PSUs per stratum in the full design
    strata_labels: tuple
    lonely_psu: str = "adjust"
    has_weights: bool = False
    has_strata: bool = False
    has_psu: bool = False

    @property
    def n(self) -> int:
        return len(self.weights)


def _column(data: pd.DataFrame, name: str, role: str) -> pd.Series:
    if name not in data.columns:
        raise DataError(f"{role} column {name!r} is not in the data")
    col = data[name]
    n_missing = int(col.isna().sum())
    if n_missing:
        raise DataError(f"{role} column {name!r} has {n_missing} missing value(s); "
                        "every respondent needs a value for the survey design")
    return col


def make_design(data: pd.DataFrame, *, weights: str | None = None, strata: str | None = None,
                psu: str | None = None, lonely_psu: str = "adjust") -> Design:
    """Encode weights/strata/PSU columns as integer codes for fast variance sums.

    Without ``psu`` every respondent is its own PSU; without ``strata`` there is one stratum.
    PSU labels are nested in strata: the same label in two strata is two PSUs.
    """
    if lonely_psu not in LONELY_PSU_OPTIONS:
        raise ConfigError(f"lonely_psu must be one of {LONELY_PSU_OPTIONS}, not {lonely_psu!r}")
    n = len(data)
    if weights is None:
        w = np.ones(n)
    else:
        wcol = _column(data, weights, "weights")
        try:
            w = np.asarray(wcol, dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"weights column {weights!r} is not numeric") from exc
        bad = ~np.isfinite(w) | (w < 0)
        if bad.any():
            raise DataError(f"weights column {weights!r} has {int(bad.sum())} negative or infinite "
                            f"value(s), e.g. {w[bad][0]!r}")
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
        p_raw = pd.factorize(_column(data, psu, "psu"))[0].astype(np.int64)
        # nest=TRUE: a PSU is a (stratum, label) pair
        combined = s_codes * (int(p_raw.max(initial=-1)) + 1) + p_raw
        p_codes, p_uniques = pd.factorize(combined, sort=True)
        p_codes = p_codes.astype(np.int64)
        psu_stratum = (np.asarray(p_uniques) // (int(p_raw.max(initial=-1)) + 1)).astype(np.int64)
    n_psu = np.bincount(psu_stratum, minlength=n_strata)
    return Design(weights=w, stratum=s_codes, psu=p_codes, psu_stratum=psu_stratum, n_psu=n_psu,
                  strata_labels=s_labels, lonely_psu=lonely_psu, has_weights=weights is not None,
                  has_strata=strata is not None, has_psu=psu is not None)


def _sorted_codes(col: pd.Series) -> tuple[np.ndarray, tuple]:
    """``pd.factorize(col, sort=True)`` as int64 codes and a tuple of labels; for a pandas
    Categorical straight from its codes (factorize would go through an object array)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        used = np.flatnonzero(np.bincount(codes, minlength=len(col.cat.categories)))
        remap = np.full(len(col.cat.categories), -1, dtype=np.int64)
        remap[used] = np.arange(len(used))
        return remap[codes], tuple(col.cat.categories[used].tolist())
    codes, uniques = pd.factorize(col, sort=True)
    return codes.astype(np.int64), tuple(uniques.tolist())


def lonely_strata(design: Design, rows: np.ndarray) -> list:
    """Labels of strata with a single PSU in the full design that hold some of ``rows``."""
    present = np.bincount(design.stratum[rows], minlength=len(design.n_psu)) > 0
    return [design.strata_labels[h] for h in np.flatnonzero(present & (design.n_psu == 1))]


def design_df(design: Design, rows: np.ndarray) -> int:
    """Design degrees of freedom: PSUs minus strata among ``rows`` with a non-zero weight.

    This is survey's ``degf()`` of a domain: only the clusters that hold domain members count.
    """
    r = rows[design.weights[rows] > 0]
    return _n_distinct(design.psu[r], len(design.psu_stratum)) - _n_distinct(
        design.stratum[r], len(design.n_psu))


def _n_distinct(codes: np.ndarray, size: int) -> int:
    return int(np.count_nonzero(np.bincount(codes, minlength=size)))


_BLOCK = 1 << 13  # rows per block in the variance sums (small enough to stay in cache)


def design_cov(design: Design, rows: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Covariance of the estimated total ``sum(z)`` under the design (svyrecvar, one stage).

    ``z`` holds per-row values (already weighted) for the rows ``rows``; all other rows of the
    design contribute zero. PSU totals are centred at their stratum mean over *all* the stratum's
    PSUs (PSUs without any of ``rows`` are zeros) and scaled by n_h/(n_h-1). A stratum with one
    PSU follows ``design.lonely_psu``: ``fail`` raises, ``remove``/``certainty`` contribute
    nothing, ``adjust`` centres it at the grand mean of PSU totals (survey's rule).

    Only the PSUs that hold some of ``rows`` are materialised: each of the other PSUs of a
    present stratum is a zero total, whose deviation ``-centre_h`` is added in closed form
    (``(n_h - m_h) * scale_h * centre_h centre_h'``), so the cost is a pass over ``z``
    whatever the number of PSUs in the design.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    psu = design.psu[np.asarray(rows)]
    counts = np.bincount(psu, minlength=len(design.psu_stratum))
    if len(psu) == 0 or counts.max() <= 1:
        # every row its own PSU (no clusters, or clusters of one): the totals are the rows
        return _centred_cov(design, design.psu_stratum[psu], z.shape[1],
                            lambda a, b: z[a:b], len(z))
    psu_ids = np.flatnonzero(counts)
    inverse = (np.cumsum(counts > 0) - 1)[psu]
    zt = np.ascontiguousarray(z.T)  # contiguous columns: one cache-friendly pass each
    totals = np.empty((len(psu_ids), z.shape[1]))
    for j in range(z.shape[1]):
        totals[:, j] = np.bincount(inverse, weights=zt[j], minlength=len(psu_ids))
    return _centred_cov(design, design.psu_stratum[psu_ids], z.shape[1],
                        lambda a, b: totals[a:b], len(totals))


def score_cov(design: Design, rows: np.ndarray, X: np.ndarray, r: np.ndarray) -> np.ndarray:
    """``design_cov`` of the scores ``r_i x_i`` (the "meat" of the sandwich); with ``r`` of
    shape (n, m), of the side-by-side scores ``[r_i1 x_i, ..., r_im x_i]`` of m models sharing
    ``X``. When every row is its own PSU the n x p(m) score matrix is never built: the scores
    are formed block by block, in cache, as the sums need them."""
    r = np.asarray(r, dtype=float)
    r2 = r[:, None] if r.ndim == 1 else r

    def scores(a, b):
        Xb = X[a:b]
        if r2.shape[1] == 1:
            return Xb * r2[a:b]
        return np.hstack([Xb * r2[a:b, j:j + 1] for j in range(r2.shape[1])])

    psu = design.psu[np.asarray(rows)]
    counts = np.bincount(psu, minlength=len(design.psu_stratum))
    if len(psu) == 0 or counts.max() > 1:
        return design_cov(design, rows, scores(0, len(X)))
    return _centred_cov(design, design.psu_stratum[psu], X.shape[1] * r2.shape[1], scores,
                        len(X))


def _centred_cov(design: Design, h_of: np.ndarray, k: int, block, n_totals: int) -> np.ndarray:
    """sum_h scale_h sum_(PSUs j of h) (T_j - centre_h)(T_j - centre_h)' for the PSU totals
    ``block(a, b)`` (rows a..b of them), in stratum ``h_of``; PSUs of a present stratum without
    any total are zeros.

    One pass, block by block (the temporaries stay in cache): the stratum sums S_h and the scaled
    cross-products G = sum_j scale_h T_j T_j'; then the centring in closed form,
    ``G - sum_h scale_h (c_h S_h' + S_h c_h' - m_h c_h c_h')``. That subtraction is exact to
    rounding unless the stratum means are large next to the spread (for model scores, whose sums
    are zero at the estimate, they are tiny); when the correction is more than half of any
    diagonal term, a second pass centres every total before multiplying, as svyrecvar does.
    """
    n_strata = len(design.n_psu)
    m_h = np.bincount(h_of, minlength=n_strata).astype(float)  # PSUs holding rows, per stratum
    present = m_h > 0
    n_h = design.n_psu.astype(float)
    scale = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0)
    root = np.sqrt(scale)
    lonely = present & (design.n_psu == 1)
    if lonely.any() and design.lonely_psu == "fail":
        labels = [design.strata_labels[h] for h in np.flatnonzero(lonely)]
        raise ModelError(f"stratum {labels[0]!r} has only one PSU (lonely_psu='fail'); "
                         f"strata with a single PSU: {labels}")
    strat_sum = np.zeros((n_strata, k))
    G = np.zeros((k, k))
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
    if lonely.any() and design.lonely_psu == "adjust":
        centre[lonely] = strat_sum[present].sum(axis=0) / n_h[present].sum()
    # remove / certainty: centring a lonely PSU at its own total makes its contribution zero
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
    # the PSUs of present strata that hold none of the rows: total 0, deviation -centre_h
    empty = np.where(present, (n_h - m_h) * scale, 0.0)
    if empty.any():
        B += (centre * empty[:, None]).T @ centre
    return (B + B.T) / 2


# --------------------------------------------------------------------------------------------
# Model matrix
# --------------------------------------------------------------------------------------------
@dataclass
class ModelFrame:
    """The model matrix of the complete rows and what margins need to rebuild it."""

    X: np.ndarray                 # (n_complete, p) float, column-major
    y: np.ndarray | None          # (n_complete,) or None for a right-hand side only
    complete: np.ndarray          # positions (0..n-1) of the complete rows
    columns: list[str]
    spec: Any                     # formulaic ModelSpec of the right-hand side
    variables: list[str]          # data columns on the right-hand side, in term order
    outcome: str | None


def _formulaic_error(formula: str, exc: Exception) -> ModelError:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return ModelError(f"cannot build the model for formula {formula!r}: {msg}")


def formula_ready(frame: pd.DataFrame, names) -> pd.DataFrame:
    """Nullable ``string`` columns (missing = pd.NA) -> pandas' default ``str`` dtype.

    formulaic treats the nullable string dtype as numeric (and fails); ``str`` and ``object``
    columns are categorical as they should be.
    """
    fix = [c for c in names if c in frame.columns and isinstance(frame[c].dtype, pd.StringDtype)
           and frame[c].dtype.na_value is pd.NA]
    if not fix:
        return frame
    frame = frame.copy(deep=False)
    for c in fix:
        frame[c] = frame[c].astype("str")
    return frame


_Q_LITERAL = re.compile(r"""^Q\((?P<q>['"]).*(?P=q)\)$""")


def row_local(factor) -> bool:
    """A formula factor whose value in a row depends only on that row: a literal, a plain
    column lookup (``age``) or a quoted one (``Q('odd name')``), whatever its encoding. A
    Python expression might look at the whole column (``I(x - x.mean())``, ``center(x)``)."""
    method = getattr(getattr(factor, "eval_method", None), "value", None)
    if method in ("lookup", "literal"):
        return True
    return method == "python" and bool(_Q_LITERAL.match(str(factor.expr)))


def _formula_terms(parsed):
    parts = [parsed.lhs, parsed.rhs] if hasattr(parsed, "rhs") else [parsed]
    return [term for part in parts for term in part]


def _rows_only(data: pd.DataFrame, parsed, needed, subset: np.ndarray | None):
    """The needed columns of only the rows that can enter the model (in ``subset`` and with no
    missing model variable), or None when that is not certain to give the same model matrix as
    materialising all rows and dropping the others.

    It is exact when every factor is row-local and every categorical column is a pandas
    Categorical (its levels, used or not, are the categories); the levels of text columns are
    learned from the values present, and a transform may use the whole column."""
    if not all(row_local(f) for t in _formula_terms(parsed) for f in t.factors):
        return None
    cols = [c for c in needed if c in data.columns]
    if len(cols) < len(needed) - sum(1 for c in needed if c == "Q"):
        return None  # an unknown name: the full path gives formulaic's own message
    complete = np.ones(len(data), dtype=bool)
    for c in cols:
        dtype = data[c].dtype
        if not (isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_numeric_dtype(dtype)
                or pd.api.types.is_bool_dtype(dtype)):
            return None
        complete &= data[c].notna().to_numpy()
    ok = complete if subset is None else complete & np.asarray(subset, dtype=bool)
    positions = np.flatnonzero(ok)
    if len(positions) == 0:
        return None
    return data[cols].iloc[positions].reset_index(drop=True), positions, complete


def _float_matrix(frame: pd.DataFrame) -> np.ndarray:
    """A model-matrix DataFrame as a column-major float array, one column at a time (pandas'
    own conversion of mixed int/float columns goes row by row and is ~30x slower)."""
    X = np.empty(frame.shape, dtype=float, order="F")
    for j in range(frame.shape[1]):
        X[:, j] = frame.iloc[:, j].to_numpy(dtype=float)
    return X


def build_model_frame(data: pd.DataFrame, formula: str, *,
                      subset: np.ndarray | None = None) -> ModelFrame:
    """Parse ``formula`` with formulaic on all rows; rows missing a model variable are dropped.

    Categorical levels are learned from all rows (not the domain), so every domain model has the
    same columns and the same reference level; a level absent from a domain is an all-zero
    column that the caller flags and drops.

    ``subset`` (a boolean mask over the rows) keeps only those rows in the result (e.g. a
    domain). When that is exact (plain columns, pandas Categoricals), only the rows that can
    enter the model are materialised, which is much faster for a small domain of a large survey.
    """
    import formulaic

    try:
        parsed = formulaic.Formula(formula)
        needed = parsed.required_variables
    except Exception as exc:
        raise _formulaic_error(formula, exc) from exc
    fast = _rows_only(data, parsed, needed, subset)
    if fast is not None:
        frame, positions, all_complete = fast
    else:
        frame, positions = formula_ready(data.reset_index(drop=True), needed), None
    try:
        mm = formulaic.model_matrix(formula, frame, na_action="drop")
    except Exception as exc:  # formulaic raises many types; the message names the problem
        raise _formulaic_error(formula, exc) from exc
    if hasattr(mm, "rhs"):
        lhs, rhs = mm.lhs, mm.rhs
    else:
        lhs, rhs = None, mm
    spec = rhs.model_spec
    complete = np.asarray(rhs.index, dtype=np.int64)
    X = _float_matrix(rhs)
    sel = None
    if positions is not None:
        complete = positions[complete]
    elif subset is not None:
        sel = np.asarray(subset, dtype=bool)[complete]
        complete, X = complete[sel], np.asfortranarray(X[sel])
    y = outcome = None
    if lhs is not None:
        if lhs.shape[1] != 1:
            raise ModelError(f"the outcome of {formula!r} must be one 0/1 column, "
                             f"got columns {list(lhs.columns)}")
        outcome = str(lhs.columns[0])
        y = np.asarray(lhs.iloc[:, 0], dtype=float)
        if sel is not None:
            y = y[sel]
        bad = ~np.isin(y, (0.0, 1.0))
        if positions is not None and not bad.any() and len(positions) < all_complete.sum():
            # as when all rows are materialised: a bad outcome code outside the subset counts
            (name,) = lhs.model_spec.variables_by_source.get("data", {outcome})
            y_all = data[name].to_numpy()[all_complete]
            if pd.api.types.is_numeric_dtype(data[name].dtype):
                y_all = y_all.astype(float)
                bad_all = ~np.isin(y_all, (0.0, 1.0))
                if bad_all.any():
                    y, bad = y_all, bad_all
        if bad.any():
            raise ModelError(f"outcome {outcome!r} must be coded 0/1; found value {y[bad][0]!r}")
    data_vars = set(spec.variables_by_source.get("data", set()))
    variables: list[str] = []
    for term in spec.terms:
        for v in sorted(spec.term_variables[term] & data_vars):
            if v not in variables:
                variables.append(v)
    return ModelFrame(X=X, y=y, complete=complete, columns=list(spec.column_names), spec=spec,
                      variables=variables, outcome=outcome)


def _categorical_factors(spec) -> dict[str, dict]:
    """Factor expression -> {"levels": [...], "reference": level} for categorical factors."""
    out = {}
    for expr, (kind, state) in spec.encoder_state.items():
        if getattr(kind, "value", kind) != "categorical":
            continue
        levels = list(state.get("categories", []))
        ref = levels[0] if levels else None
        contrasts = state.get("contrasts")
        base = getattr(getattr(contrasts, "contrasts", None), "base", None)
        if base is not None and not isinstance(base, Sentinel):
            ref = base
        out[expr] = {"levels": levels, "reference": ref}
    return out


def term_table(spec) -> pd.DataFrame:
    """One row per model column: the formula term, data variable(s) and categorical level."""
    data_vars = set(spec.variables_by_source.get("data", set()))
    cats = _categorical_factors(spec)
    rows = []
    for term, sl in spec.term_slices.items():
        factors = [str(f) for f in term.factors if str(f) != "1"]
        variables = sorted(spec.term_variables[term] & data_vars)
        names = spec.column_names[sl]
        for col in names:
            level = ""
            if len(factors) == 1 and factors[0] in cats and col.startswith(factors[0] + "["):
                level = col[len(factors[0]) + 1:-1]
                level = level[2:] if level.startswith("T.") else level
            rows.append({"term": col, "model_term": str(term), "variable": ":".join(variables),
                         "level": level, "factor": factors[0] if len(factors) == 1 else "",
                         "categorical": any(f in cats for f in factors)})
    return pd.DataFrame(rows, columns=["term", "model_term", "variable", "level", "factor",
                                       "categorical"])


# --------------------------------------------------------------------------------------------
# Checks that turn silent failures into flags or clear errors
# --------------------------------------------------------------------------------------------
def drop_empty_columns(X: np.ndarray, terms: pd.DataFrame, spec) -> tuple[np.ndarray, list[dict]]:
    """Find all-zero columns (levels without respondents) to drop; raise for an empty reference.

    Returns the kept column positions and one "empty_level" flag per dropped column.
    """
    nonzero = np.count_nonzero(X, axis=0) > 0
    flags = []
    cats = _categorical_factors(spec)
    keep = []
    for j, t in terms.iterrows():
        if t["term"] == "Intercept" or nonzero[j]:
            keep.append(j)
            continue
        if t["categorical"]:
            what = (f"{t['variable']} = {t['level']!r}" if t["level"]
                    else f"cell {t['term']!r}")
            flags.append({"flag": "empty_level",
                          "detail": f"{what} has no respondents in this sample; column "
                                    f"{t['term']!r} dropped (not reported as an odds ratio)"})
        else:
            keep.append(j)  # an all-zero numeric column is a singular design: reported later
    # empty reference level: the dummies of a main-effect factor add up to the intercept
    if "Intercept" in set(terms["term"]):
        for factor, info in cats.items():
            block = [j for j in keep if terms.at[j, "factor"] == factor and terms.at[j, "level"]]
            if block and _rows_sum_to_one(X, block):
                var = terms.at[block[0], "variable"]
                if len(block) == 1:  # one level left: the variable does not vary in this sample
                    only = terms.at[block[0], "level"]
                    raise ModelError(
                        f"{var!r} has the single value {only!r} for every respondent in this "
                        f"sample, so its effect cannot be estimated here; leave it out for this "
                        f"sample or merge levels")
                raise ModelError(
                    f"reference level {info['reference']!r} of {var!r} has no respondents in "
                    f"this sample; choose another reference level for {var!r}")
    return np.asarray(keep, dtype=np.int64), flags


def _rows_sum_to_one(X: np.ndarray, block: list[int]) -> bool:
    """Whether every row of ``X[:, block]`` sums to 1, without copying the block."""
    if len(block) == 1:
        return bool(np.all(X[:, block[0]] == 1))
    ones = np.zeros(X.shape[1])
    ones[block] = 1.0
    return bool(np.all(X @ ones == 1))


def check_rank(X: np.ndarray, w: np.ndarray, names: list[str], tol: float = 1e-11) -> None:
    """Raise ModelError naming the terms that are linear combinations of each other."""
    G = _weighted_gram(X, w)
    d = np.sqrt(np.diag(G))
    if np.any(d == 0):
        zero = [names[j] for j in np.flatnonzero(d == 0)]
        raise ModelError(f"singular design: term(s) {zero} are zero for every respondent "
                         "with a positive weight in this sample")
    C = G / np.outer(d, d)
    vals, vecs = np.linalg.eigh(C)
    small = vals < tol * max(vals.max(), 1.0)
    if not small.any():
        return
    involved: list[str] = []
    for v in vecs[:, small].T:
        v = v / np.abs(v).max()
        for j in np.flatnonzero(np.abs(v) > 1e-6):
            if names[j] not in involved:
                involved.append(names[j])
    raise ModelError(f"singular design: the terms {involved} are linear combinations of one "
                     f"another in this sample (rank {int((~small).sum())} of {len(names)}); "
                     "drop one of them or merge levels")


def separation_terms(X: np.ndarray, y: np.ndarray) -> np.ndarray | None:
    """Konis (2007) linear-programming check for (quasi-)complete separation.

    Separation means a direction ``d`` with ``(2y-1) * x'd >= 0`` for every row (and ``> 0``
    for some): along it the likelihood keeps rising, so the maximum-likelihood estimate is
    infinite. Returns, per coefficient, the sign of its divergence (-1, 0, +1; +/-2 when it can
    go either way), or None when the MLE exists. Coefficient j diverges when some ``d`` in that
    cone has ``d_j != 0`` (one LP for existence, then two per coefficient).
    """
    s = 2.0 * y - 1.0
    A = X * s[:, None]
    A = np.unique(A, axis=0) if len(A) > 1000 else A
    scale = np.abs(A).max(axis=0)
    scale[scale == 0] = 1.0
    As = A / scale
    p = As.shape[1]
    bounds = [(-1, 1)] * p

    def best(c):
        from scipy import optimize  # only when separation is suspected: a slow import

        res = optimize.linprog(c, A_ub=-As, b_ub=np.zeros(len(As)), bounds=bounds,
                               method="highs")
        return None if res.status != 0 else res.x

    d = best(-As.sum(axis=0))
    if d is None:
        return None
    d = np.where(np.abs(d) < 1e-7, 0.0, d)
    margin = As @ d
    if not d.any() or margin.min() < -1e-7 or margin.max() < 1e-6:
        return None
    signs = np.zeros(p, dtype=int)
    for j in range(p):
        e = np.zeros(p)
        e[j] = 1.0
        hi, lo = best(-e), best(e)
        up = hi is not None and hi[j] > 1e-6
        down = lo is not None and lo[j] < -1e-6
        signs[j] = 2 if (up and down) else (1 if up else (-1 if down else 0))
    return signs if signs.any() else np.sign(d).astype(int)


# --------------------------------------------------------------------------------------------
# Fit
# --------------------------------------------------------------------------------------------
def _weighted_gram(X: np.ndarray, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``X' diag(v) X`` for ``v >= 0`` as ``(sqrt(v) X)' (sqrt(v) X)``: BLAS sees ``A.T @ A`` and
    computes only one triangle (syrk), about 3x faster than ``X.T @ (X * v[:, None])``."""
    A = np.multiply(X, np.sqrt(v)[:, None], out=out)
    return A.T @ A


def _loglik(y: np.ndarray, eta: np.ndarray, w: np.ndarray) -> float:
    # y*log(mu) + (1-y)*log(1-mu) = -log(1 + exp(-(2y-1)*eta)), stable for large |eta|
    return -float(w @ np.logaddexp(0.0, (1.0 - 2.0 * y) * eta))


def irls_logit(X: np.ndarray, y: np.ndarray, w: np.ndarray, *, tol: float = 1e-15,
               max_iter: int = 100) -> tuple[np.ndarray, bool, int]:
    """Weighted logistic MLE by Newton-Raphson (= IRLS for the logit link).

    Stops like R's glm when the relative change in deviance is below ``tol`` (R's golden used
    1e-14). The p x p system is Jacobi-scaled, so badly scaled covariates stay accurate.
    """
    p = X.shape[1]
    beta = np.zeros(p)
    eta = np.zeros(len(y))
    dev_old = -2.0 * _loglik(y, eta, w)
    converged = False
    it = 0
    buf = np.empty_like(X, dtype=float)  # reused: no fresh n x p temporary per iteration
    for it in range(1, max_iter + 1):
        mu = expit(eta)
        g = X.T @ (w * (y - mu))
        H = _weighted_gram(X, w * mu * (1.0 - mu), out=buf)
        dg = np.sqrt(np.diag(H))
        dg[dg == 0] = 1.0
        try:
            step = np.linalg.solve(H / np.outer(dg, dg), g / dg) / dg
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(H, g, rcond=None)[0]
        decrement = float(step @ g)  # Newton decrement: predicted gain in log-likelihood x 2
        new = beta + step
        eta_new = X @ new
        dev = -2.0 * _loglik(y, eta_new, w)
        halvings = 0
        while dev > dev_old * (1 + 1e-12) + 1e-12 and halvings < 30:  # rarely needed for logit
            step /= 2.0
            new = beta + step
            eta_new = X @ new
            dev = -2.0 * _loglik(y, eta_new, w)
            halvings += 1
        beta, eta = new, eta_new
        # R's rule (relative change in deviance), or a step too small to change anything: the
        # second guards against rounding noise in the deviance sum of very large samples.
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol or decrement < 1e-13 * (abs(dev) + 0.1):
            converged = True
            break
        dev_old = dev
    return beta, converged, it


@dataclass
class SvyLogitResult:
    """A fitted design-based logistic regression; ``tidy()`` and ``fit_stats()`` report it."""

    formula: str
    params: pd.Series
    cov: pd.DataFrame
    df_resid: int
    conf_level: float
    model_based: bool
    converged: bool
    n_iter: int
    flags: list[dict]
    term_flags: dict[str, str]
    terms: pd.DataFrame           # term, model_term, variable, level, factor (kept columns)
    X: np.ndarray                 # (n_used, p) model matrix of the used rows
    y: np.ndarray
    w: np.ndarray
    rows: np.ndarray              # positions of the used rows in the data
    design: Design
    spec: Any = None              # formulaic ModelSpec (None for matrix fits)
    keep: np.ndarray | None = None  # positions of kept columns in spec.column_names
    model_data: pd.DataFrame | None = None  # model variables of the used rows (for margins)
    variables: list[str] = field(default_factory=list)
    outcome: str | None = None
    stats: dict = field(default_factory=dict)

    @property
    def fitted(self) -> np.ndarray:
        return expit(self.X @ self.params.to_numpy())

    def model_matrix(self, data: pd.DataFrame) -> np.ndarray:
        """Model matrix of new data (e.g. with a variable set to a value) in the fit's columns."""
        mm = self.spec.get_model_matrix(data.reset_index(drop=True), na_action="ignore")
        X = np.asarray(mm, dtype=float)
        return X[:, self.keep] if self.keep is not None else X

    def tidy(self) -> pd.DataFrame:
        """One row per term: estimate, SE, t (z if model-based), p, CI, odds ratio and its CI.

        The variable and level of each term are in ``self.terms``."""
        est = self.params.to_numpy().copy()
        se = np.sqrt(np.clip(np.diag(self.cov.to_numpy()), 0, None))
        w = dist.wald(est, se, self.df_resid, self.conf_level, self.model_based)
        out = pd.DataFrame({
            "term": self.params.index, "estimate": est, "std_error": se,
            "df_resid": self.df_resid, "statistic": w["statistic"], "p_value": w["p_value"],
            "conf_low": w["conf_low"], "conf_high": w["conf_high"],
        })
        with np.errstate(over="ignore"):
            out["odds_ratio"] = np.exp(out["estimate"])
            out["or_conf_low"] = np.exp(out["conf_low"])
            out["or_conf_high"] = np.exp(out["conf_high"])
        out["flag"] = [self.term_flags.get(t, "") for t in out["term"]]
        sep = out["flag"].str.contains("separation")
        value_cols = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
                      "odds_ratio", "or_conf_low", "or_conf_high"]
        out.loc[sep, value_cols] = np.nan
        return out[_TIDY_COLUMNS]

    def fit_stats(self) -> dict:
        """Model-level numbers for the report; ``aic`` is a pseudo-AIC from the weighted
        pseudo-log-likelihood (not a true likelihood under a complex design)."""
        return dict(self.stats, flags=list(self.flags))


# --------------------------------------------------------------------------------------------
# The engine shared with contrast.py: fit a model matrix under the design
# --------------------------------------------------------------------------------------------
def fit_matrix(X: np.ndarray, y: np.ndarray, rows: np.ndarray, design: Design, names: list[str],
               *, model_based: bool = False, conf_level: float = 0.95,
               terms: pd.DataFrame | None = None, flags: list[dict] | None = None,
               check_separation: bool = True) -> SvyLogitResult:
    """Fit ``y ~ X`` for the design rows ``rows`` (already complete and in the domain).

    ``rows`` may repeat a design row (stacked data): its scores are then summed in its PSU.
    """
    flags = list(flags or [])
    w = design.weights[rows]
    p = X.shape[1]
    if len(y) == 0:
        raise ModelError("no respondents left in this sample (domain and complete cases)")
    events = int(y.sum())
    if events == 0 or events == len(y):
        raise ModelError(f"the outcome is {int(y[0])} for all {len(y)} respondents in this "
                         "sample; a logistic model cannot be estimated")
    check_rank(X, w, names)
    beta, converged, n_iter = irls_logit(X, y, w)
    eta = X @ beta
    mu = expit(eta)
    term_flags: dict[str, str] = {}
    if not converged:
        flags.append({"flag": "non_convergence",
                      "detail": f"the fit did not converge in {n_iter} iterations"})
        term_flags = {t: "not_converged" for t in names}
    if check_separation and (not converged or np.abs(eta).max() > 15):
        signs = separation_terms(X, y)
        if signs is not None:
            arrow = {1: "+inf", -1: "-inf", 2: "+/-inf"}
            involved = [names[j] for j in np.flatnonzero(signs)]
            detail = ", ".join(f"{names[j]} -> {arrow[signs[j]]}" for j in np.flatnonzero(signs))
            flags.append({"flag": "separation",
                          "detail": f"(quasi-)complete separation: the outcome is perfectly "
                                    f"predicted along the terms {involved}; their estimates "
                                    f"diverge ({detail}) and are not reported. Merge sparse "
                                    "levels or use penalised (Firth) regression."})
            for t in involved:
                term_flags[t] = "separation"
    # covariance
    v = w * mu * (1.0 - mu)
    A = _weighted_gram(X, v)
    try:
        A_inv = np.linalg.inv(A)
    except np.linalg.LinAlgError:
        A_inv = np.linalg.pinv(A)
    n_used = len(y)
    if model_based:
        cov = A_inv
        df_resid = n_used - p
    else:
        B = score_cov(design, rows, X, w * (y - mu))
        cov = A_inv @ B @ A_inv
        df_resid = design_df(design, rows) + 1 - p
        lonely = lonely_strata(design, rows)
        if lonely:
            flags.append({"flag": "lonely_psu",
                          "detail": f"strata with a single PSU: {lonely}; variance handled with "
                                    f"lonely_psu={design.lonely_psu!r}"})
    n_clusters = _n_distinct(design.psu[rows], len(design.psu_stratum))
    n_strata = _n_distinct(design.stratum[rows], len(design.n_psu))
    if df_resid < 1:
        raise ModelError(f"no residual degrees of freedom: {n_clusters} "
                         f"PSU(s) in {n_strata} stratum/strata for "
                         f"{p} coefficients; use fewer terms or a larger sample")
    epp_base = p - (1 if "Intercept" in names else 0)
    minority = min(events, n_used - events)
    if epp_base > 0 and minority / epp_base < 10:
        flags.append({"flag": "low_events_per_parameter",
                      "detail": f"{minority} respondents in the rarer outcome class for "
                                f"{epp_base} parameters ({minority / epp_base:.1f} per "
                                "parameter, fewer than 10): estimates may be biased and "
                                "unstable"})
    llf = _loglik(y, eta, w)
    ybar = float(np.average(y, weights=w)) if w.sum() > 0 else float(y.mean())
    llnull = float((w * (y * np.log(ybar) + (1 - y) * np.log1p(-ybar))).sum())
    if terms is None:
        terms = pd.DataFrame({"term": names, "model_term": names, "variable": "", "level": "",
                              "factor": "", "categorical": False})
    stats_ = {
        "n": n_used, "weighted_n": float(w.sum()), "events": events,
        "clusters": n_clusters, "strata": n_strata,
        "df_resid": int(df_resid), "log_likelihood": llf,
        "pseudo_r2": 1.0 - llf / llnull if llnull != 0 else float("nan"),
        "aic": -2.0 * llf + 2 * p, "n_excluded_missing": 0, "converged": bool(converged),
        "n_iter": int(n_iter), "model_based": bool(model_based),
        "lonely_psu": design.lonely_psu,
    }
    return SvyLogitResult(
        formula="", params=pd.Series(beta, index=names, name="estimate"),
        cov=pd.DataFrame(cov, index=names, columns=names), df_resid=int(df_resid),
        conf_level=conf_level, model_based=model_based, converged=converged, n_iter=n_iter,
        flags=flags, term_flags=term_flags, terms=terms.reset_index(drop=True), X=X, y=y, w=w,
        rows=rows, design=design, stats=stats_)


def domain_mask(data: pd.DataFrame, domain) -> np.ndarray:
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
        return vals.astype(bool)
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


def fit_svy_logit(data: pd.DataFrame, formula: str, *, weights: str | None = None,
                  strata: str | None = None, psu: str | None = None, domain=None,
                  model_based: bool = False, lonely_psu: str = "adjust",
                  conf_level: float = 0.95) -> SvyLogitResult:
    """Fit a design-based logistic regression and keep what margins/contrasts need.

    Same arguments as :func:`svy_logit`, which documents them; this returns the result object.
    """
    if not 0 < conf_level < 1:
        raise ConfigError(f"conf_level must be between 0 and 1, not {conf_level!r}")
    design = make_design(data, weights=weights, strata=strata, psu=psu, lonely_psu=lonely_psu)
    if model_based and design.has_weights and np.ptp(design.weights) > 0:
        raise ModelError(f"model_based=True gives plain glm standard errors and is only for "
                         f"unweighted data, but weights column {weights!r} varies")
    in_domain = domain_mask(data, domain)
    mf = build_model_frame(data, formula, subset=None if domain is None else in_domain)
    rows = mf.complete
    n_excluded = int(in_domain.sum() - len(rows))
    X, y = mf.X, mf.y
    terms = term_table(mf.spec)
    keep, flags = drop_empty_columns(X, terms, mf.spec)
    if len(keep) < X.shape[1]:
        X = np.asfortranarray(X[:, keep])
    terms = terms.iloc[keep].reset_index(drop=True)
    names = terms["term"].tolist()
    res = fit_matrix(X, y, rows, design, names, model_based=model_based, conf_level=conf_level,
                     terms=terms, flags=flags)
    res.formula = formula
    res.spec, res.keep = mf.spec, keep
    res.variables, res.outcome = mf.variables, mf.outcome
    res.model_data = formula_ready(data[mf.variables].iloc[rows].reset_index(drop=True),
                                   mf.variables)
    res.stats["n_excluded_missing"] = n_excluded
    return res


def svy_logit(data: pd.DataFrame, formula: str, *, weights: str | None = None,
              strata: str | None = None, psu: str | None = None, domain=None,
              model_based: bool = False, lonely_psu: str = "adjust",
              conf_level: float = 0.95) -> pd.DataFrame:
    """Design-based logistic regression, as R's ``svyglm(family = quasibinomial())``.

    Estimates are weighted (pseudo-)maximum-likelihood log-odds; standard errors come from the
    survey design (Taylor linearisation: PSU totals of the scores, centred within strata), and
    tests and intervals use t on the design's degrees of freedom (PSUs - strata - non-intercept
    terms), so they are honest about clustering and few PSUs.

    Parameters
    ----------
    data : one row per respondent; the whole sample, even when analysing a domain.
    formula : ``"outcome ~ age + gender + Q('odd name')"``; the outcome is 0/1. Categorical
        columns use their first category (pandas Categorical order) as the reference.
    weights, strata, psu : column names of the design (None when absent). Without ``psu`` each
        respondent is a PSU; PSU labels are nested in strata.
    domain : name of a 0/1 column or a boolean mask: estimate for this subpopulation while
        keeping the whole design (never subset the data yourself: that understates the SEs).
    model_based : plain glm standard errors (unweighted data only).
    lonely_psu : a stratum with one PSU: "adjust" (centre at the grand mean), "remove" /
        "certainty" (contributes nothing) or "fail".

    Returns one row per term: ``term, estimate, std_error, df_resid, statistic, p_value,
    conf_low, conf_high, odds_ratio, or_conf_low, or_conf_high, flag``.
    Terms caught in (quasi-)separation are flagged and their numbers left empty.

    Example
    -------
    >>> svy_logit(df, "collective_any ~ age + gender + self_efficacy",
    ...           weights="weight", strata="country", domain=df["country"] == "FR")
    """
    return fit_svy_logit(data, formula, weights=weights, strata=strata, psu=psu, domain=domain,
                         model_based=model_based, lonely_psu=lonely_psu,
                         conf_level=conf_level).tidy()
