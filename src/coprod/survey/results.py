"""What every fitted design-based model offers: the base class of the GLM and ordinal results.

Why one base: :class:`SvyGlmResult` (here: ``svy_glm``, ``svy_logit``, ``svy_poisson``; the
old name ``SvyLogitResult`` is the same class) and :class:`coprod.survey.ordinal.SvyOlrResult`
(``svy_olr``, beside its model: it needs the category probabilities) share their
estimates, covariance, degrees of freedom and flags, and an R user asks the same of both:
``coef``, ``vcov``, ``confint``, ``summary``, and R's names of the coefficients. They are here
once, computed on request from what the fit stored (nothing is added to the fit itself: a
pipeline run fits thousands of models and reads their ``tidy()`` tables only).

- ``params`` (R's ``coef``), ``cov`` (``vcov``), ``df_resid`` (``df.residual``), ``bse`` /
  ``std_errors`` (the standard errors), as pandas objects by term;
- :meth:`SvyModelResult.conf_int` -- R's ``confint``: for a GLM ``confint.svyglm``'s default
  (Wald, t on the residual df); for an ordinal model ``confint.default`` (normal quantiles),
  which is what R's ``confint`` runs on an svyolr fit (it has no method of its own);
- :meth:`SvyModelResult.summary` -- the coefficient table printed as R's ``summary.svyglm``
  (Estimate, Std. Error, t value, Pr(>|t|), stars, the dispersion line) or ``summary.svyolr``
  (coefficients, then the cut-points as "Intercepts");
- :attr:`SvyModelResult.r_names` and ``tidy(names="R")`` -- R's ``stypeH`` beside formulaic's
  ``stype[T.H]`` (:mod:`coprod.survey.rnames`);
- a short ``repr`` (class, family, formula, n, df, terms: no arrays), and a fit used as
  the table the model functions returned before (``fit["estimate"]``,
  ``fit.set_index``) says that the table is ``fit.tidy()``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol, cast

import numpy as np
import pandas as pd

from ..errors import ConfigError
from . import dist
from .design import SurveyDesign
from .families import LOGIT, Family
from .replicate import ReplicateDesign
from .rformat import LEGEND, coef_matrix, format_r
from .rnames import r_names

NAMINGS = ("formula", "R")
#: the engine's family names -> R's (what svy_glm accepts and R's summary prints)
R_FAMILY_NAMES = {"logit": "quasibinomial", "count": "quasipoisson", "gaussian": "gaussian"}
_RATE_COLUMNS = {"odds_ratio": "rate_ratio", "or_conf_low": "rr_conf_low",
                 "or_conf_high": "rr_conf_high"}
_REPR_TERMS = 1200  # characters of term names a repr shows (the whole repr stays < 2 kB)


class _Fitted(Protocol):
    """The fields both result classes have beyond the base's (read, never set, here)."""

    stats: dict[str, Any]
    design: Any
    spec: Any
    model_data: pd.DataFrame | None
    family: Any


def check_names(names: str) -> str:
    if names not in NAMINGS:
        raise ConfigError(f"names: {names!r} is not a naming of the terms; use 'formula' (the "
                          "formula engine's: stype[T.H], Intercept) or 'R' (R's: stypeH, "
                          "(Intercept))", argument="names")
    return names


def _denominator_df(df: float | None, default: float) -> float:
    if df is None:
        return default
    if isinstance(df, bool) or not isinstance(df, (int, float, np.integer, np.floating)) \
            or np.isnan(df) or df <= 0:
        raise ConfigError(f"df: {df!r} is not a number of degrees of freedom; use None (R's "
                          "default for this model), a positive number or math.inf (normal "
                          "quantiles)", argument="df")
    return float(df)


def percent_labels(level: float) -> list[str]:
    """R's column names of ``confint``: ``"2.5 %"``, ``"97.5 %"`` (``format.perc(a, 3)``)."""
    a = (1 - level) / 2
    return [f"{s.strip()} %" for s in format_r([100 * a, 100 * (1 - a)], 3, scientific=False)]


@dataclass(repr=False)
class SvyModelResult:
    """A fitted design-based model (the fields both GLM and ordinal results start with)."""

    formula: str
    params: pd.Series               # estimates by term (R's coef)
    cov: pd.DataFrame               # their design-based covariance (R's vcov)
    df_resid: int                   # R's df.residual: design df + 1 - coefficients (GLM)
    conf_level: float               # of tidy()'s intervals
    model_based: bool
    converged: bool
    n_iter: int
    flags: list[dict[str, Any]]
    term_flags: dict[str, str]
    terms: pd.DataFrame             # term, model_term, variable, level, factor, categorical

    #: R's function, for the "Call:" line of the summary; overridden by the ordinal result
    r_function = "svy_glm"
    #: the estimate's column header in R's summary ("Value" in svyolr's)
    estimate_header = "Estimate"

    # ---- what the subclasses say -------------------------------------------------------------
    @property
    def family_name(self) -> str:
        """The family as R names it: gaussian, quasibinomial, quasipoisson; ordinal."""
        family = cast(_Fitted, self).family
        name = getattr(family, "name", family)
        return R_FAMILY_NAMES.get(str(name), str(name))

    def dispersion(self) -> float | None:
        """R's dispersion line of the summary (GLMs); None where R prints none."""
        return None

    def _confint_df(self) -> float:
        """The df of R's default ``confint``: the residual df (svyglm's), inf for model-based
        fits (normal quantiles, as their ``tidy()``)."""
        return np.inf if self.model_based else float(self.df_resid)

    @property
    def n_coef(self) -> int:
        """How many of ``params`` are coefficients (the rest: an ordinal model's cut-points)."""
        return len(self.params)

    # ---- shared ------------------------------------------------------------------------------
    @property
    def bse(self) -> pd.Series:
        """Standard errors by term (statsmodels' name; also :attr:`std_errors`)."""
        se = np.sqrt(np.clip(np.diag(self.cov.to_numpy(dtype=float)), 0, None))
        return pd.Series(se, index=self.params.index, name="std_error")

    @property
    def std_errors(self) -> pd.Series:
        return self.bse

    @cached_property
    def _r_naming(self) -> tuple[list[str], list[str]]:
        fit = cast(_Fitted, self)
        return r_names(fit.spec, list(self.params.index), self.formula, fit.model_data)

    @property
    def r_names(self) -> list[str]:
        """R's names of ``params``, in order: ``stypeH`` for ``stype[T.H]``, ``(Intercept)``,
        ``I(x^2)``, ``a:b`` in R's order (:mod:`coprod.survey.rnames`)."""
        return list(self._r_naming[0])

    @property
    def r_terms(self) -> list[str]:
        """R's label of each coefficient's term (``stype``, ``region:eff``): what R's
        ``regTermTest(model, ~stype)`` names."""
        return list(self._r_naming[1])

    def names(self, names: str = "formula") -> list[str]:
        """The terms in one naming: ``"formula"`` (formulaic's) or ``"R"``."""
        return self.r_names if check_names(names) == "R" else list(self.params.index)

    def _named(self, table: pd.DataFrame, names: str) -> pd.DataFrame:
        """``table`` (a ``term`` column in params' order) with the terms in ``names``."""
        if check_names(names) == "R":
            table = table.assign(term=self.r_names)
        return table

    def conf_int(self, level: float = 0.95, *, df: float | None = None,
                 names: str = "formula") -> pd.DataFrame:
        """Wald confidence intervals, as R's ``confint(model, level = level)``.

        ``df``: the t distribution's degrees of freedom; None is R's default -- the residual
        df for a GLM (``confint.svyglm``), inf (normal quantiles) for an ordinal model (R's
        ``confint.default``: svyolr has no method) and for model-based fits; ``math.inf`` for
        normal quantiles. Terms flagged for separation have none (as in ``tidy()``). Columns
        as R's: ``"2.5 %"``, ``"97.5 %"``.
        """
        if isinstance(level, bool) or not isinstance(level, (int, float)) \
                or not 0 < level < 1:
            raise ConfigError(f"level: {level!r} is not a confidence level; use a number "
                              "between 0 and 1, such as 0.95", argument="level")
        ddf = _denominator_df(df, self._confint_df())
        est = self.params.to_numpy(dtype=float)
        q = dist.norm_ppf(0.5 + level / 2) if np.isinf(ddf) else dist.t_ppf(0.5 + level / 2,
                                                                             ddf)
        se = self.bse.to_numpy()
        sep = np.array(["separation" in self.term_flags.get(t, "") for t in self.params.index])
        low = np.where(sep, np.nan, est - q * se)
        high = np.where(sep, np.nan, est + q * se)
        return pd.DataFrame(np.column_stack([low, high]), columns=percent_labels(level),
                            index=pd.Index(self.names(names), name="term"))

    def tidy(self, names: str = "formula") -> pd.DataFrame:  # pragma: no cover (subclasses)
        raise NotImplementedError

    def summary(self, names: str = "R") -> SvySummary:
        """The coefficient table as R's ``summary(model)`` prints it (``str()`` of the result);
        ``coefficients`` holds it as numbers. Terms in R's names unless ``names="formula"``."""
        tab = self.tidy(names=names)
        z = self.model_based
        cols = [self.estimate_header, "Std. Error", "z value" if z else "t value",
                "Pr(>|z|)" if z else "Pr(>|t|)"]
        coefs = pd.DataFrame({c: tab[k].to_numpy() for c, k in zip(
            cols, ["estimate", "std_error", "statistic", "p_value"])},
            index=pd.Index(tab["term"], name="term"))
        fit = cast(_Fitted, self)
        design = fit.design
        text = design.describe() if hasattr(design, "describe") else type(design).__name__
        if getattr(design, "in_domain", None) is not None:
            text += f"; a domain of {int(np.sum(design.in_domain))} of {design.n} rows"
        family = "" if self.r_function == "svy_olr" else f", family={self.family_name!r}"
        return SvySummary(
            call=f"{self.r_function}({self.formula!r}, design{family})", design=text,
            coefficients=coefs, n_coef=self.n_coef, family=self.family_name,
            dispersion=self.dispersion(), df_resid=self.df_resid,
            n=int(fit.stats.get("n", 0)), flags=[dict(f) for f in self.flags])

    def __repr__(self) -> str:
        fit = cast(_Fitted, self)
        formula = self.formula if len(self.formula) <= 200 else self.formula[:197] + "..."
        shown: list[str] = []
        size = 0
        for t in self.params.index:
            size += len(str(t)) + 2
            if size > _REPR_TERMS:
                break
            shown.append(str(t))
        more = f", ... ({len(self.params) - len(shown)} more)" if len(shown) < len(self.params) \
            else ""
        state = "" if self.converged else ", not converged"
        flags = f", flags: {', '.join(sorted({f['flag'] for f in self.flags}))}" \
            if self.flags else ""
        return (f"<{type(self).__name__} {self.family_name} {formula!r}: n={fit.stats.get('n')}, "
                f"df_resid={self.df_resid}{state}{flags}; .tidy(): the table, .summary(): "
                f"R's; {len(self.params)} terms: {', '.join(shown)}{more}>")

    # ---- a fit used as the table the model functions returned before (issue 28) ---------------
    def _not_a_table(self, use: str) -> str:
        return (f"{type(self).__name__} is a fitted model, not a table: svy_logit, svy_poisson "
                f"and svy_olr return the model now (svy_glm always did); its coefficient table "
                f"is .tidy(), a DataFrame: .tidy(){use}")

    def __getitem__(self, key: object) -> Any:
        raise TypeError(self._not_a_table(f"[{key!r}]"))

    def __getattr__(self, name: str) -> Any:
        """Only for names the result lacks: a DataFrame's (``set_index``, ``loc``,
        ``to_csv``) say where the table went; any other raises its own error again (a
        property's, which Python would otherwise replace by this method's)."""
        if not name.startswith("_") and hasattr(pd.DataFrame, name):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}; "
                                 + self._not_a_table(f".{name}"))
        return object.__getattribute__(self, name)


@dataclass(repr=False)
class SvySummary:
    """A model's summary: ``coefficients`` (a DataFrame with R's columns), and ``str()`` the
    table printed as R's ``summary.svyglm`` / ``summary.svyolr`` print it."""

    call: str
    design: str
    coefficients: pd.DataFrame
    n_coef: int                    # rows that are coefficients (the rest: cut-points)
    family: str
    dispersion: float | None
    df_resid: int
    n: int
    flags: list[dict[str, Any]] = field(default_factory=list)

    def _block(self, rows: pd.DataFrame) -> tuple[list[str], bool]:
        c = rows.columns
        return coef_matrix([str(t) for t in rows.index], rows[c[0]], rows[c[1]], rows[c[2]],
                           rows[c[3]], list(c))

    def __str__(self) -> str:
        lines = ["Call:", self.call, "", "Survey design:", self.design, ""]
        coefs = self.coefficients
        stars = False
        if self.n_coef < len(coefs):  # an ordinal model: coefficients, then the cut-points
            block, stars_a = self._block(coefs.iloc[:self.n_coef]) if self.n_coef else (
                ["No coefficients"], False)
            lines += ["Coefficients:", *block, "", "Intercepts:"]
            cuts, stars_b = self._block(coefs.iloc[self.n_coef:])
            lines += cuts
            stars = stars_a or stars_b
        else:
            block, stars = self._block(coefs)
            lines += ["Coefficients:", *block]
        if stars:
            lines += ["---", LEGEND]
        if self.dispersion is not None:
            lines += ["", f"(Dispersion parameter for {self.family} family taken to be "
                          f"{format_r([self.dispersion], 7)[0].strip()})"]
        lines += ["", f"{self.n} respondents; residual degrees of freedom {self.df_resid}"]
        lines += [f"Note ({f['flag']}): {f.get('detail', '')}" for f in self.flags]
        return "\n".join(lines) + "\n"

    __repr__ = __str__


@dataclass(repr=False)
class SvyGlmResult(SvyModelResult):
    """A fitted design-based GLM (logit, count or gaussian); ``tidy()`` and ``fit_stats()``
    report it, :class:`~coprod.survey.results.SvyModelResult` gives ``conf_int()``,
    ``summary()`` and R's names."""

    X: np.ndarray                 # (n_used, p) model matrix of the used rows
    y: np.ndarray
    w: np.ndarray                 # weights of the used rows, unit-scaled (design.unit_weights)
    rows: np.ndarray              # positions of the used rows in the data
    design: SurveyDesign | ReplicateDesign
    spec: Any = None              # formulaic ModelSpec (None for matrix fits)
    keep: np.ndarray | None = None  # positions of kept columns in spec.column_names
    model_data: pd.DataFrame | None = None  # model variables of the used rows (for margins)
    variables: list[str] = field(default_factory=list)
    outcome: str | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    deff: np.ndarray | None = None  # (p,) design effect of each coefficient (NaN: none)
    replicate_params: np.ndarray | None = None  # (R, p) of a replicate design
    family: Family = LOGIT
    domain_rows: np.ndarray | None = None  # the domain's rows, complete or not (default rows)

    @property
    def fitted(self) -> np.ndarray:
        return self.family.mean(self.X @ self.params.to_numpy())

    def model_matrix(self, data: pd.DataFrame) -> np.ndarray:
        """Model matrix of new data (e.g. with a variable set to a value) in the fit's columns."""
        mm = self.spec.get_model_matrix(data.reset_index(drop=True), na_action="ignore")
        X = np.asarray(mm, dtype=float)
        return X[:, self.keep] if self.keep is not None else X

    def tidy(self, names: str = "formula") -> pd.DataFrame:
        """One row per term: estimate, SE, t (z if model-based), p, CI, odds ratio and its CI
        (rate ratio for counts; none for a gaussian fit, whose coefficient is the effect).
        ``names="R"``: terms in R's names (``stypeH``), else formulaic's (``stype[T.H]``).

        The variable and level of each term are in ``self.terms``."""
        out = dist.coefficient_table(self.params.index, self.params.to_numpy(),
                                     self.cov.to_numpy(), self.df_resid, self.conf_level,
                                     self.model_based, self.term_flags, deff=self.deff)
        if not self.family.ratio:  # a linear model's coefficient is the effect: no exp(b)
            out = out.drop(columns=list(_RATE_COLUMNS))
        elif self.family is not LOGIT:  # exp(b) of a count model is a rate ratio
            out = out.rename(columns=_RATE_COLUMNS)
        return out if names == "formula" else self._named(out, names)

    def fit_stats(self) -> dict[str, Any]:
        """Model-level numbers for the report; ``aic`` is a pseudo-AIC from the weighted
        pseudo-log-likelihood (not a true likelihood under a complex design)."""
        return dict(self.stats, flags=list(self.flags))

    def dispersion(self) -> float:
        """R's dispersion line of ``summary(svyglm)``; printed by R, used by nothing (the
        standard errors are the sandwich's). From the Pearson residuals ``e = (y - mu) /
        sqrt(V(mu))`` and svyglm's prior weights (the weights over their mean over the rows of
        the design svyglm gets: the domain's, missing values included; every row of a
        calibrated Taylor design, whose subset keeps its rows at weight 0). Taylor designs
        (``residuals.svyglm``, ``svyvar``): the weighted variance (n / (n - 1)) of ``e`` times
        the square root of the ratio of the prior weights to the weights normalised after the
        incomplete rows left; replicate designs (``residuals.svrepglm``,
        ``summary.svrepglm``): the weighted mean of ``e^2`` times the weights' sum over
        their mean."""
        d, w = self.design, self.w
        base = self.rows if self.domain_rows is None else self.domain_rows
        before = float(d.unit_weights[base].sum())  # the prior weights' sum
        mu = self.fitted
        with np.errstate(divide="ignore", invalid="ignore"):
            e = (self.y - mu) / np.sqrt(self.family.variance(mu))
        if isinstance(d, ReplicateDesign):
            return float(w.sum()) * len(base) / before * float(w @ e ** 2) / float(w.sum())
        calibrated = bool(d.adjustments)
        e = e * np.sqrt(float(w.sum()) / before * (1.0 if calibrated else len(base) / len(w)))
        n = int((w != 0).sum())
        ebar = float(w @ e) / float(w.sum())
        return n / (n - 1) * float(w @ (e - ebar) ** 2) / float(w.sum())


SvyLogitResult = SvyGlmResult  # the name earlier versions used (the class fits every family)
