"""coprod: design-based analysis of citizen co-production surveys.

The public entry point for researchers is :func:`svy_logit` (a design-based logistic regression
matching R's ``survey::svyglm(family = quasibinomial)``); the pipeline stages live in
:mod:`coprod.stages`.
"""
from .contrast import contrast_test
from .margins import average_marginal_effects, predict_margins
from .survey import Design, SvyLogitResult, design_cov, design_df, fit_svy_logit, make_design, svy_logit

__all__ = [
    "svy_logit", "fit_svy_logit", "SvyLogitResult", "Design", "make_design", "design_cov",
    "design_df", "average_marginal_effects", "predict_margins", "contrast_test",
]
__version__ = "0.1.0"
