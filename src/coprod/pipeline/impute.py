"""Multiple imputation of item nonresponse by chained equations (statsmodels' MICE), and
the completed datasets.

Why: a respondent who answered "don't know" to one covariate leaves every complete-case model.
Unless the answers are missing completely at random that biases the estimates; multiple
imputation with design-based analysis of each completed dataset is the standard remedy.

Imputation (:func:`impute_chain`): statsmodels' chained equations (``MICEData``'s, run in numpy
arrays by :class:`_Chain`) on the model variables, the outcomes, the weight and the group (as
indicators): each incomplete variable in turn is regressed on all the others and filled by
predictive mean matching (a draw among the 20 observed values with the nearest predictions, the
model's parameters drawn from their approximate posterior), so imputations are always values
that occur in the data (a category's levels, a scale's points). Categories enter as their level
codes, which suits ordered and 0/1 ones; an unordered category with several levels is predicted
on its codes (a simplification, said in the report). One chain per seed: ``burn_in`` cycles,
then a dataset every ``skip`` cycles. Seeded, so reruns give the same imputations.

Combination: Rubin's rules with Barnard-Rubin df, as R's ``mitools::MIcombine``, are the
engine's (:func:`coprod.survey.mi.rubin`).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ConfigError

IMPUTATION_COLUMNS = ["imputation", "row", "variable", "value"]


def _encode(table: pd.DataFrame, columns: list[str]
            ) -> tuple[pd.DataFrame, dict[str, tuple[str, list[Any] | None]]]:
    """Numeric columns for MICE (safe names c0, c1, ...): numbers as they are, categories as
    level codes; and how to decode each back."""
    out: dict[str, np.ndarray] = {}
    decode: dict[str, tuple[str, list[Any] | None]] = {}
    for i, c in enumerate(columns):
        s = table[c]
        key = f"c{i}"
        if isinstance(s.dtype, pd.CategoricalDtype):
            codes = s.cat.codes.to_numpy().astype(float)
            codes[codes < 0] = np.nan
            out[key] = codes
            decode[key] = (c, list(s.cat.categories))
        else:
            out[key] = pd.to_numeric(s, errors="coerce").astype(float).to_numpy()
            decode[key] = (c, None)
    return pd.DataFrame(out, index=np.arange(len(table))), decode


class _Chain:
    """Chained equations as statsmodels' ``MICEData(data, k_pmm=k_pmm, rng=rng)`` runs them
    with every variable's imputer fitted by QR (``fit_kwds={"method": "qr"}``), in numpy
    arrays: each incomplete variable in turn (fewest missing first) regressed by OLS on all
    the others and an intercept, its parameters drawn from their normal approximation, and
    filled by predictive mean matching among the ``k_pmm`` nearest predictions. The same
    operations on the same numbers in the same order as MICEData given its model matrices
    stacked by numpy (as coprod ran it before), hence the same draws and imputations bit for
    bit (tests/unit/pipeline/test_impute.py runs both side by side; with the matrices its
    formulas build, which can be Fortran-ordered, products are summed in another order and
    only the last digits of the fits differ).

    Why not MICEData itself: importing statsmodels (scipy.stats with it) was a sixth of an
    imputation job, and each update rebuilt the variable's model matrices from the data frame
    twice, made an OLS model and its results object, computed the pseudo-inverse of the
    n x p design (an SVD that a QR fit never reads) and wrote the values back through pandas:
    together half of the job. Here the data are one array (the intercept first) and an update
    is the fit's few matrix operations."""

    def __init__(self, data: pd.DataFrame, *, k_pmm: int = 20,
                 rng: np.random.Generator) -> None:
        data = data.dropna(how="all").reset_index(drop=True)  # as MICEData: rows kept
        self.names = list(data.columns)
        self.k_pmm = k_pmm
        self.rng = rng
        self.params: dict[str, np.ndarray] = {}  # each variable's last draw, as MICEData's
        self.obs: list[np.ndarray] = []
        self.miss: list[np.ndarray] = []
        for c in self.names:
            null = pd.isna(data[c]).to_numpy()
            if null.all():
                raise ValueError("variable to be imputed has no observed values")
            self.obs.append(np.flatnonzero(~null))
            self.miss.append(np.flatnonzero(null))
        nmiss = np.asarray([len(ix) for ix in self.miss])
        ii = np.argsort(nmiss)
        self.order = [int(i) for i in ii[int((nmiss == 0).sum()):]]
        # the initial values: each column's observed value closest to its mean (MICEData's)
        fill: dict[str, Any] = {}
        for c in data.columns:
            di = np.abs(data[c] - data[c].mean())
            fill[c] = data[c].loc[di.idxmin()]
        data = data.fillna(fill)
        self.x = np.column_stack([np.ones(len(data)), data.to_numpy(dtype=float)])
        self.others = [np.array([0, *(1 + k for k in range(len(self.names)) if k != j)])
                       for j in range(len(self.names))]

    def update_all(self, n_iter: int = 1) -> None:
        """``n_iter`` cycles over the incomplete variables."""
        for _ in range(n_iter):
            for j in self.order:
                self.update(j)

    def update(self, j: int) -> None:
        """Variable ``j`` (its column's position) drawn afresh: MICEData.update."""
        obs, miss, x = self.obs[j], self.miss[j], self.x
        endog = x[obs, 1 + j]
        exog = np.ascontiguousarray(x[np.ix_(obs, self.others[j])])
        exog_miss = np.ascontiguousarray(x[np.ix_(miss, self.others[j])])
        # OLS(endog, exog).fit(method="qr") and the Gaussian draw of its parameters
        # (MICEData._perturb_gaussian); cov_params() = (R'R)^-1 * ssr / (n - rank)
        q, r = np.linalg.qr(exog)
        normalized_cov = np.linalg.inv(np.dot(r.T, r))
        df_resid = float(exog.shape[0]) - np.linalg.matrix_rank(r)
        beta = np.linalg.solve(r, np.dot(q.T, endog))
        wresid = endog - np.dot(exog, beta)
        cov = normalized_cov * (np.dot(wresid, wresid) / df_resid)
        params = self.params[self.names[j]] = self.rng.multivariate_normal(mean=beta, cov=cov)
        # predictive mean matching (MICEData.impute_pmm)
        k_pmm = self.k_pmm
        pendog_obs = np.dot(exog, params)
        pendog_miss = np.dot(exog_miss, params)
        ii = np.argsort(pendog_obs)
        endog_obs = endog[ii]
        pendog_obs = pendog_obs[ii]
        ix: np.ndarray = np.asarray(np.searchsorted(pendog_obs, pendog_miss))
        ixm = ix[:, None] + np.arange(-k_pmm, k_pmm)[None, :]
        msk = np.nonzero((ixm < 0) | (ixm > len(endog_obs) - 1))
        ixm = np.clip(ixm, 0, len(endog_obs) - 1)
        dx = np.abs(pendog_miss[:, None] - pendog_obs[ixm])
        dx[msk] = np.inf
        dxi = np.argsort(dx, 1)[:, 0:k_pmm]
        ir = self.rng.integers(0, k_pmm, len(pendog_miss))
        jj = np.arange(dxi.shape[0])
        ix = dxi[(jj, ir)]
        iz = ixm[(jj, ix)]
        x[miss, 1 + j] = np.atleast_1d(np.array(endog_obs[iz]).squeeze())

    def column(self, name: str) -> np.ndarray:
        """The current values of column ``name``."""
        return self.x[:, 1 + self.names.index(name)]

    @property
    def data(self) -> pd.DataFrame:
        """The current completed data, as MICEData.data."""
        return pd.DataFrame(self.x[:, 1:], columns=self.names)


_EXTREME = 8  # |log2| of a complete column's mean magnitude beyond which it is rescaled


def _rescale_extreme(data: pd.DataFrame, complete: list[str]) -> None:
    """Divide each complete predictor whose magnitude is extreme (a weight x 1e300, say) by the
    even power of two that brings its mean absolute value near 1, in place.

    Why: the imputation models are OLS fits whose covariance squares each column, so such a
    column overflows or underflows it (weights x 1e300: overflow; x 1e-6 already: a covariance
    that is not positive semi-definite). Dividing a predictor by a power of two is exact and
    changes no prediction: weights x any power of four give the same imputations bit for bit
    (other factors change the last digits, and through the chain the draws, as any rounding
    would). Columns of ordinary magnitude (mean within 2**+-8) are left as they are."""
    from ..survey.design import unit_exponent

    for k in complete:
        e = unit_exponent(np.abs(data[k].to_numpy(dtype=float)))
        if abs(e) > _EXTREME:
            data[k] = np.ldexp(data[k].to_numpy(dtype=float), -e)


def impute_chain(table: pd.DataFrame, *, variables: list[str], auxiliary: list[str],
                 group: str | None, n_imputations: int, seed: int, burn_in: int = 10,
                 skip: int = 3, first: int = 1) -> pd.DataFrame:
    """``n_imputations`` completed datasets from one MICE chain, as the imputed cells only:
    one row per (imputation, row, variable) with the value (a category's level as text).
    Imputations are numbered from ``first``. ``variables``: the incomplete model variables to
    impute; ``auxiliary``: further predictors (outcomes, the weight; complete or not)."""
    if n_imputations < 1:
        raise ConfigError(f"imputation: {n_imputations} imputations; at least 1 per chain")
    cols = list(dict.fromkeys([*variables, *auxiliary]))
    data, decode = _encode(table, cols)
    if group:
        levels = pd.Categorical(table[group]).categories
        for j, level in enumerate(levels[1:]):
            data[f"g{j}"] = (table[group].astype(str) == str(level)).to_numpy(float)
    missing = {k: np.flatnonzero(data[k].isna().to_numpy()) for k in data.columns}
    _rescale_extreme(data, [k for k in data.columns if not len(missing[k])])
    wanted = [k for k in data.columns if decode.get(k, ("", None))[0] in variables
              and len(missing[k])]
    empty = [decode[k][0] for k in data.columns if k in decode and data[k].isna().all()]
    if empty:
        raise ConfigError(f"imputation: {', '.join(empty)} has no observed value to impute "
                          "from")
    parts = []
    if not wanted:
        return pd.DataFrame(columns=IMPUTATION_COLUMNS)
    chain = _Chain(data, k_pmm=20, rng=np.random.default_rng(seed))
    chain.update_all(burn_in)
    for m in range(n_imputations):
        if m:
            chain.update_all(skip)
        for k in wanted:
            name, cats = decode[k]
            vals = chain.column(k)[missing[k]]
            if cats is not None:
                vals = np.asarray(cats, dtype=object)[np.clip(np.rint(vals).astype(int), 0,
                                                              len(cats) - 1)]
            parts.append(pd.DataFrame({"imputation": first + m, "row": missing[k],
                                       "variable": name, "value": vals.astype(object)}))
    return pd.concat(parts, ignore_index=True)


def completed(table: pd.DataFrame, imputed: pd.DataFrame, m: int) -> pd.DataFrame:
    """The table with imputation ``m``'s values in its missing cells (categories keep their
    levels and order). Imputed variables the table does not have are left out (a table of
    the models' columns only)."""
    out = table.copy()
    sub = imputed[imputed["imputation"] == m]
    for var, block in sub.groupby("variable", sort=False):
        if var not in out.columns:
            continue
        col = out[var]
        rows = block["row"].to_numpy(dtype=np.int64)
        if isinstance(col.dtype, pd.CategoricalDtype):
            # as lists: a text column's values and categories are read one by one otherwise
            labels = {str(c): i for i, c in enumerate(col.cat.categories.tolist())}
            text = [_as_label(v) for v in block["value"].tolist()]
            unknown = sorted(set(text) - set(labels))
            if unknown:
                raise ConfigError(f"imputation: imputed value(s) {unknown} of '{var}' are not "
                                  f"among its levels {list(labels)}")
            codes = col.cat.codes.to_numpy().copy()
            codes[rows] = [labels[v] for v in text]
            out[var] = pd.Categorical.from_codes(codes, dtype=col.dtype)
        else:
            values = col.to_numpy(dtype=float, na_value=np.nan).copy()
            values[rows] = pd.to_numeric(block["value"]).to_numpy(dtype=float)
            out[var] = values if col.dtype.kind == "f" else pd.array(values).astype(col.dtype)
    return out


def _as_label(value: object) -> str:
    """A category's imputed level as the text of the level (a CSV may have read "2" as 2.0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
