"""The public models' one call style, R's ``estimator(formula, design, ...)``, and the old one.

Why a module of its own: :func:`coprod.survey.svy_glm`, :func:`~coprod.survey.svy_logit`,
:func:`~coprod.survey.svy_poisson` and :func:`~coprod.survey.svy_olr` check their two arguments
alike, and name them alike in their one-line errors (``formula: ...``, ``design: ...``), so
that a wrong call says which argument to fix whatever model it was. And the data-first call of
earlier versions, ``svy_logit(data, formula, weights=..., ...)`` (its design built for the one
call, a coefficient table returned), is recognised here: it still runs for one release, with a
``DeprecationWarning`` that spells out the call to write instead, and returns its old table, so
that an old script neither breaks nor silently gets a different kind of object.
"""
from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, cast

import pandas as pd

from ..errors import ConfigError, clip
from .design import SurveyDesign
from .replicate import ReplicateDesign

_P = ParamSpec("_P")
_R = TypeVar("_R")

#: the design arguments of the data-first call (make_design's) and its model arguments
_DESIGN_ARGS = ("weights", "strata", "psu", "fpc", "ssu", "fpc2", "lonely_psu")
_MODEL_ARGS = ("domain", "model_based", "conf_level")
_BUILD = "svydesign(data, ...), svrepdesign(data, ...) or make_design(data, ..., keep_data=True)"


def check_call(function: str, formula: Any, design: Any) -> None:
    """Refuse, in one line naming the argument, a call that is not ``function(formula,
    design)`` with a formula string and a survey design that holds its data."""
    if isinstance(formula, pd.DataFrame):
        raise ConfigError(f"formula: a DataFrame is not a formula; the call is "
                          f"{function}(formula, design), the data in the design: build it "
                          f"with {_BUILD}", argument="formula")
    if not isinstance(formula, str):
        shown = clip(repr(formula)) if isinstance(formula, (int, float, list, tuple, type(None))) \
            else f"a {type(formula).__name__}"  # a value, or its type (not a design's repr)
        raise ConfigError(f"formula: {shown} is not a formula; write it as a string such as "
                          "'y ~ x1 + x2'", argument="formula")
    if isinstance(design, pd.DataFrame):
        raise ConfigError(f"design: a DataFrame is not a survey design; build one from it with "
                          f"{_BUILD}, and pass that", argument="design")
    if not isinstance(design, (SurveyDesign, ReplicateDesign)):
        raise ConfigError(f"design: a {type(design).__name__} is not a survey design; build "
                          f"one with {_BUILD}", argument="design")
    if design.data is None:
        raise ConfigError(f"design: this design was built without its data, which {function} "
                          "reads the formula's columns from; build it with keep_data=True "
                          "(svydesign and svrepdesign keep it)", argument="design")


def _is_old_call(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """``f(data, formula, ...)``: a data frame first and a formula string after it (the new
    call has the formula first; a data frame there without a formula is an error of the new
    call, said by :func:`check_call`)."""
    if "data" in kwargs:
        return True
    return bool(args) and isinstance(args[0], pd.DataFrame) and (
        (len(args) > 1 and isinstance(args[1], str)) or "formula" in kwargs)


def _instead(function: str, formula: Any, kwargs: dict[str, Any]) -> str:
    """The calls that replace an old one, written out from its own arguments."""
    design = kwargs.get("design")
    shown = [f"{k}={kwargs[k]!r}" for k in _DESIGN_ARGS if kwargs.get(k) is not None]
    if design is None:
        build = (f"design = make_design(data{''.join(', ' + s for s in shown)}, "
                 "keep_data=True) (or svydesign(data, ...))")
    else:
        build = ("design = make_design(data, ..., keep_data=True) (or svydesign(data, ...)): "
                 "the design with its data")
    model = [f"{k}=..." if k == "domain" else f"{k}={kwargs[k]!r}"
             for k in _MODEL_ARGS if k in kwargs]
    call = ", ".join([clip(repr(formula)) if isinstance(formula, str) else "formula",
                      "design", *model])
    return (f"{build}, then {function}({call}).tidy() for this table; {function}(formula, "
            "design) returns the fitted model")


def keeps_data_first(old: Callable[..., pd.DataFrame]
                     ) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Let the decorated ``function(formula, design, ...)`` answer the data-first call of
    earlier versions with ``old(data, formula, **kwargs)`` (what it returned then: the tidy
    table) and a DeprecationWarning naming the calls to write instead. The decorated
    function's own signature is the documented one (``help()``, the API reference)."""

    def wrap(function: Callable[_P, _R]) -> Callable[_P, _R]:
        name = function.__name__

        @functools.wraps(function)
        def call(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            if not _is_old_call(args, kwargs):
                return function(*args, **kwargs)
            given = dict(kwargs)
            data = given.pop("data") if "data" in given else args[0]
            rest = args[1:] if "data" not in kwargs else args
            formula = given.pop("formula") if "formula" in given else (
                rest[0] if rest else None)
            unknown = sorted(set(given) - {"design", *_DESIGN_ARGS, *_MODEL_ARGS})
            if unknown or len(rest) > (0 if "formula" in kwargs else 1):
                raise TypeError(f"{name}(data, formula, ...) got an unexpected argument "
                                f"{unknown[0] if unknown else 'after the formula'!s}; write "
                                f"{name}(formula, design)")
            warnings.warn(f"{name}(data, formula, ...) is deprecated and will be removed in "
                          f"the next release; write {_instead(name, formula, given)}",
                          DeprecationWarning, stacklevel=2)
            return cast(_R, old(data, formula, **given))  # the old table, as before

        return call

    return wrap
