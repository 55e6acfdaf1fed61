"""Multiple imputation of item nonresponse by chained equations (statsmodels' MICE), and
the completed datasets.

Why: a respondent who answered "don't know" to one covariate leaves every complete-case model.
Unless the answers are missing completely at random that biases the estimates; multiple
imputation with design-based analysis of each completed dataset is the standard remedy.

Imputation (:func:`impute_chain`): :class:`statsmodels.imputation.mice.MICEData` on the model
variables, the outcomes, the weight and the group (as indicators): each incomplete variable in
turn is regressed on all the others and filled by predictive mean matching (a draw among the 20
observed values with the nearest predictions, the model's parameters drawn from their
approximate posterior), so imputations are always values that occur in the data (a category's
levels, a scale's points). Categories enter as their level codes, which suits ordered and 0/1
ones; an unordered category with several levels is predicted on its codes (a simplification,
said in the report). One chain per seed: ``burn_in`` cycles, then a dataset every ``skip``
cycles. Seeded, so reruns give the same imputations.

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


def _mice_data(data: pd.DataFrame, **kwargs: Any) -> Any:
    """statsmodels' MICEData with the main-effects model matrices built by numpy instead of
    patsy, and OLS fitted by QR rather than the SVD pseudo-inverse: the statistics (OLS, the
    posterior draw of its parameters, predictive mean matching) are statsmodels', but a formula
    is parsed twice per variable per cycle otherwise, which costs more than the fits themselves
    (tests/unit/pipeline/test_impute.py checks the result equals MICEData's own with the same
    settings)."""
    from statsmodels.imputation.mice import MICEData

    class _MainEffects(MICEData):  # type: ignore[misc]  # statsmodels is untyped
        def _matrices(self, vname: str) -> tuple[np.ndarray, np.ndarray]:
            others = [c for c in self.data.columns if c != vname]
            exog = np.column_stack([np.ones(len(self.data)),
                                    self.data[others].to_numpy(dtype=float)])
            return self.data[vname].to_numpy(dtype=float), exog

        def get_split_data(self, vname: str) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                      dict[str, Any], dict[str, Any]]:
            endog, exog = self._matrices(vname)
            ixo, ixm = self.ix_obs[vname], self.ix_miss[vname]
            return endog[ixo].copy(), exog[ixo].copy(), exog[ixm].copy(), {}, {}

        def get_fitting_data(self, vname: str
                             ) -> tuple[np.ndarray, np.ndarray, dict[str, Any], dict[str, Any]]:
            endog, exog = self._matrices(vname)
            ix = self.ix_obs[vname]
            return endog[ix].copy(), exog[ix].copy(), {}, {"method": "qr"}

    return _MainEffects(data, **kwargs)


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
    mice = _mice_data(data, k_pmm=20, rng=np.random.default_rng(seed))
    mice.update_all(burn_in)
    for m in range(n_imputations):
        if m:
            mice.update_all(skip)
        for k in wanted:
            name, cats = decode[k]
            vals = mice.data[k].to_numpy()[missing[k]]
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
            labels = {str(c): i for i, c in enumerate(col.cat.categories)}
            text = block["value"].map(_as_label)
            unknown = sorted(set(text) - set(labels))
            if unknown:
                raise ConfigError(f"imputation: imputed value(s) {unknown} of '{var}' are not "
                                  f"among its levels {list(labels)}")
            codes = col.cat.codes.to_numpy().copy()
            codes[rows] = text.map(labels).to_numpy()
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
