"""coprod.survey: design-based estimation for complex surveys, the engine under the pipeline.

One design object, estimators that take it, in R's one call style, ``estimator(formula,
design, ...)`` (as R's ``survey``; the models return the fitted model, its table is
``tidy()``): build a design with
:func:`make_design` (strata, clusters, finite-population corrections, lonely-PSU rules),
:func:`make_replicate_design` (BRR, Fay, JK1, JKn, bootstrap, successive-difference weights) or
:func:`as_replicate`, calibrate it with :func:`calibrate`, then fit :func:`svy_glm` (R's svyglm:
gaussian, quasibinomial, quasipoisson), :func:`svy_logit`, :func:`svy_poisson` or
:func:`svy_olr` (results: :class:`SvyModelResult`, with ``summary()``, ``conf_int()`` and R's
term names), test terms with :func:`term_tests` (R's regTermTest, ``df=inf`` too), read average
marginal effects with :func:`average_marginal_effects`, estimate means and proportions of
domains with :func:`svy_mean` and :func:`svy_proportion`, totals and ratios of totals with
:func:`svy_total` and :func:`svy_ratio`, quantiles with :func:`svy_quantile` (R's
svyquantile), proportions with R's svyciprop intervals with :func:`svy_ciprop`, any of these by
domain with :func:`svy_by` (R's svyby), and combine fits to multiply imputed
datasets with :func:`mi_combine` (Rubin's rules: :func:`rubin`).

R's own design calls, argument for argument: :func:`svydesign` and :func:`svrepdesign`
(``ids="~dnum + snum"``, ``fpc=``, ``nest=``, ``probs=``; ``repweights=``, ``type=``,
``combined_weights=``), :func:`as_svrepdesign` (R's as.svrepdesign: JK1, JKn, BRR and Fay with
R's Hadamard matrices, :func:`hadamard`, bootstrap with the fpc) and :func:`degf`.

The engine depends on numpy, pandas, scipy and formulaic only (``pip install coprod``); it
imports nothing from :mod:`coprod.pipeline` or :mod:`coprod.report`, and its errors name the
arguments of the call that was wrong. Names are imported on first use (PEP 562): the
pipeline's start-up checks read :mod:`coprod.survey.designspec` and must not pay for numpy.
"""
from importlib import import_module
from typing import Any

_EXPORTS = {
    # designs
    "make_design": "design", "SurveyDesign": "design", "Design": "design",
    "LONELY_PSU_OPTIONS": "design", "domain_mask": "design",
    "make_replicate_design": "replicate", "ReplicateDesign": "replicate",
    "as_replicate": "replicate",
    # R's design vocabulary: svydesign, svrepdesign, as.svrepdesign, degf, hadamard
    "svydesign": "rdesign", "svrepdesign": "rdesign", "degf": "rdesign",
    "as_svrepdesign": "replicate", "hadamard": "brr", "paley": "brr",
    "calibrate": "calibration", "recalibrate": "calibration", "calibration_spec": "calibration",
    "CalibrationSpec": "calibration", "PostStrata": "calibration", "Raking": "calibration",
    "Greg": "calibration", "read_totals": "calibration", "CalibrationWarning": "calibration",
    "cal_names": "rcalibrate", "poststratify": "poststrat", "rake": "poststrat",
    # variance
    "design_cov": "variance", "design_df": "variance",
    # means and proportions
    "svy_mean": "means", "svy_proportion": "means",
    # totals and ratios
    "svy_total": "totals", "svy_ratio": "totals",
    # quantiles, proportions' intervals, estimates by domain
    "svy_quantile": "quantiles", "svy_ciprop": "ciprop", "svy_by": "svyby",
    # models
    "svy_logit": "glm", "svy_poisson": "glm",
    "SvyLogitResult": "glm", "svy_olr": "ordinal",
    "SvyOlrResult": "ordinal", "FAMILIES": "families", "Family": "families",
    "svy_glm": "svyglm", "SvyGlmResult": "glm", "R_FAMILIES": "svyglm",
    # results: the base class, R's summary, R's names
    "SvyModelResult": "results", "SvySummary": "results", "r_names": "rnames",
    # tests, margins, contrasts
    "term_tests": "termtests", "joint_test": "termtests", "term_columns": "termtests",
    "average_marginal_effects": "margins", "predict_margins": "margins",
    "ordinal_marginal_effects": "margins", "ordinal_predictions": "margins",
    "contrast_test": "contrast",
    # multiple imputation
    "rubin": "mi", "mi_combine": "mi",
}
__all__ = sorted(_EXPORTS)

#: names that were public before the one call style (issue 28), the engine's data-first entries
#: (the pipeline's; their modules keep them): they resolve for one release, with a warning
#: naming the call to use instead
_WITHDRAWN = {
    "fit_svy_logit": ("glm", "svy_logit(formula, design), svy_poisson(formula, design) or "
                             "svy_glm(formula, design, family=...)"),
    "fit_svy_olr": ("ordinal", "svy_olr(formula, design)"),
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    if name in _WITHDRAWN:
        module, instead = _WITHDRAWN[name]
        import warnings

        # imported before the warning: a first import resets the filters' registry (numpy's
        # and pandas' imports change filters), and ``from coprod.survey import x`` looks x up
        # twice, so it would print twice
        value = getattr(import_module(f".{module}", __name__), name)
        warnings.warn(f"{__name__}.{name} is no longer public and will be removed in the next "
                      f"release; use {instead}, with a design built with its data "
                      "(svydesign, or make_design(..., keep_data=True)): it returns the same "
                      "fitted model", DeprecationWarning, stacklevel=2)
        return value
    from ..compat import old_package_name  # the flat module coprod.survey's other names

    return old_package_name(__name__, name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
