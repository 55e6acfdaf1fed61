"""R's ``svyglm(formula, design, family = ...)`` in R's words: the families by R's names.

Why a separate entry point: :func:`coprod.survey.glm.svy_logit` and ``svy_poisson`` name the
model by its outcome; an R user porting ``svyglm(api00 ~ ell + meals, design = dclus2)`` looks
for one function, with R's default family (gaussian: a linear model) and R's family names. All
three take R's call, ``(formula, design)``, checked alike (:mod:`coprod.survey.callstyle`), and
return the fitted model (for :func:`coprod.survey.termtests.term_tests`, margins,
``tidy()``). The fit is the same engine (:func:`coprod.survey.glm.fit_svy_logit`): weighted
(pseudo-)maximum likelihood, the Taylor sandwich ``A^-1 B A^-1`` with ``B`` the design
covariance of the scores ``x w (y - mu)``, or each replicate refitted; df = design df + 1 -
coefficients, as R's ``df.residual``.
"""
from __future__ import annotations

import numpy.typing as npt

from ..errors import ConfigError
from .callstyle import check_call
from .design import SurveyDesign
from .families import GAUSSIAN, LOGIT, POISSON, Family
from .glm import SvyGlmResult, fit_svy_logit
from .replicate import ReplicateDesign

#: R's family names (``svyglm(family = quasibinomial())``) -> the engine's family.
R_FAMILIES = {"gaussian": GAUSSIAN, "quasibinomial": LOGIT, "quasipoisson": POISSON}
#: R families with the same estimates and design-based SEs in svyglm (it ignores the
#: dispersion), named in the error so that a port of ``family = binomial()`` knows what to write.
_TWINS = {"binomial": "quasibinomial", "poisson": "quasipoisson", "logit": "quasibinomial",
          "count": "quasipoisson", "linear": "gaussian"}


def r_family(family: str | Family) -> Family:
    """The engine's family of an R family name; one line naming the argument otherwise."""
    if isinstance(family, Family):
        return family
    if isinstance(family, str) and family in R_FAMILIES:
        return R_FAMILIES[family]
    accepted = ", ".join(repr(f) for f in R_FAMILIES)
    hint = (f" (R's svyglm gives the same estimates and SEs with {_TWINS[family]!r})"
            if isinstance(family, str) and family in _TWINS else "")
    raise ConfigError(f"family: {family!r} is not a family of svy_glm; use one of "
                      f"{accepted}{hint}", argument="family")


def svy_glm(formula: str, design: SurveyDesign | ReplicateDesign,
            family: str | Family = "gaussian", *, domain: str | npt.ArrayLike | None = None,
            model_based: bool = False, conf_level: float = 0.95) -> SvyGlmResult:
    """Design-based generalised linear model, as R's ``svyglm(formula, design, family)``.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + x2"`` (formulaic; categorical columns use their first level as the
        reference, as R's treatment contrasts).
    design : SurveyDesign or ReplicateDesign
        A design built with its data (``make_design(..., keep_data=True)``,
        ``make_replicate_design(..., keep_data=True)``), calibrated or restricted to a domain
        (``design.domain(mask)``, R's ``subset(design, ...)``) as you like.
    family : str or Family
        ``"gaussian"`` (R's default: a linear model of a numeric outcome), ``"quasibinomial"``
        (logistic, a 0/1 outcome) or ``"quasipoisson"`` (log-linear, a count).
    domain : str or array-like, optional
        A 0/1 column or a boolean mask, the same as ``design.domain(domain)``.
    model_based : bool
        Plain glm standard errors, for unweighted data and the logit and count families only.
    conf_level : float
        The level of the intervals of ``tidy()``.

    Returns
    -------
    SvyGlmResult
        The fitted model (:class:`coprod.survey.SvyGlmResult`): ``params``, ``cov``,
        ``df_resid``, ``bse``, ``conf_int()`` (R's ``confint``), ``summary()`` (printed as
        R's), ``tidy()`` (one row per term; a gaussian fit has no exp(estimate) columns;
        ``names="R"`` for R's term names, ``r_names``), ``fit_stats()``; test terms with
        :func:`coprod.survey.term_tests` (by variable, formulaic or R name). Rows with a
        missing model variable are left out of the fit but stay in the design, as R's
        ``svyglm`` does.

    Examples
    --------
    >>> design = make_design(df, psu="dnum", weights="pw", fpc="fpc", keep_data=True)
    >>> fit = svy_glm("api00 ~ ell + meals + mobility", design)   # gaussian
    >>> fit.tidy()[["term", "estimate", "std_error", "p_value"]]
    >>> print(fit.summary())                       # as R's summary(svyglm(...))
    >>> fit.conf_int()                             # as R's confint(): t on df_resid
    """
    fam = r_family(family)
    check_call("svy_glm", formula, design)
    return fit_svy_logit(formula, design, domain=domain, model_based=model_based,
                         conf_level=conf_level, family=fam)
