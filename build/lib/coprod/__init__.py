"""coprod: design-based analysis of citizen co-production surveys.

The public entry point for researchers is :func:`svy_logit` (a design-based logistic regression
matching R's ``survey::svyglm(family = quasibinomial)``); the pipeline stages live in
:mod:`coprod.stages`.

The names below are imported on first use (PEP 562), not with the package: every Snakemake job
and every Snakemake start-up imports some ``coprod.*`` module, and the estimation modules pull in
the formula engine and scipy (about half a second) that e.g. the cleaning does not need.
"""
from importlib import import_module

_EXPORTS = {
    "svy_logit": "survey", "fit_svy_logit": "survey", "SvyLogitResult": "survey",
    "Design": "survey", "make_design": "survey", "design_cov": "survey", "design_df": "survey",
    "average_marginal_effects": "margins", "predict_margins": "margins",
    "contrast_test": "contrast",
}
__all__ = [
    "svy_logit", "fit_svy_logit", "SvyLogitResult", "Design", "make_design", "design_cov",
    "design_df", "average_marginal_effects", "predict_margins", "contrast_test",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_EXPORTS])
