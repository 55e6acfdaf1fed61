"""coprod: design-based analysis of citizen co-production surveys, in three layers.

The library's API is :mod:`coprod.survey`: ``import coprod.survey as svy`` (or ``from
coprod.survey import svydesign, svy_glm``), then ``svy.svy_glm(formula, design)``. This
top-level package deliberately exports nothing but ``__version__``, so that ``import coprod``
stays cheap and every name has one home; the ten names it had before the layers (``from coprod
import svy_logit``) resolve for one release only, with a DeprecationWarning.

- :mod:`coprod.survey`: the engine (designs, variance, design-based GLMs and ordinal models,
  Wald tests, margins, MI combining), as R's ``survey``: ``svy_logit(formula, design)``.
- :mod:`coprod.pipeline`: the co-production workflow Snakemake runs (settings, cleaning,
  models, findings, specifications).
- :mod:`coprod.report`: the words, tables, figures and page.

The names from before the layers (``from coprod import svy_logit``, ``coprod.models``) still
import, with a ``DeprecationWarning`` naming the new place (:mod:`coprod.compat`), for one
release.
"""
from importlib import import_module

from . import compat

__version__ = "0.1.0"
compat.install()


def __getattr__(name: str):
    if name in compat.TOP_LEVEL:
        compat.warn(f"coprod.{name}", f"{compat.TOP_LEVEL[name]}.{name}")
        value = globals()[name] = getattr(import_module(compat.TOP_LEVEL[name]), name)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(globals())
