"""The module names of the flat coprod package, kept importable for one release.

Why: coprod sorted its modules into three layers (``coprod.survey``, ``coprod.pipeline``,
``coprod.report``). A researcher's script written against the flat package (``from coprod.models
import
fit_model``, ``from coprod import svy_logit``) keeps working, with a ``DeprecationWarning`` that
names the new place. Each old module is a stand-in that looks a name up in the new modules its
contents went to (some were split: the findings' checks stayed in the pipeline, their table
went to the report). Imports no layer until an old name is used.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings

#: old module (coprod.<name>) -> the new modules its names are in, the first the main one
MOVED: dict[str, tuple[str, ...]] = {
    **{m: (f"coprod.survey.{m}",) for m in (
        "design", "replicate", "variance", "families", "ordinal",
        "termtests", "margins", "contrast", "dist", "formula")},
    "modelframe": ("coprod.survey.modelframe", "coprod.survey.framechecks"),
    "designspec": ("coprod.survey.designspec", "coprod.pipeline.designkeys"),
    **{m: (f"coprod.pipeline.{m}",) for m in (
        "codebook", "config", "clean", "io", "stages", "simulate", "sources",
        "runner", "startup", "yamlfile", "paths", "runlock", "csvsafe", "effectsize",
        "effectrule", "estimable", "reportsettings")},
    "descriptives": ("coprod.pipeline.descriptives", "coprod.survey.means"),
    "impute": ("coprod.pipeline.impute", "coprod.survey.mi"),
    "designconfig": ("coprod.pipeline.designconfig", "coprod.pipeline.designkeys"),
    "calibrate": ("coprod.survey.calibration", "coprod.pipeline.designconfig"),
    "models": ("coprod.pipeline.models", "coprod.pipeline.imputedmodels"),
    "findings": ("coprod.pipeline.findings", "coprod.report.findings"),
    "speccurve": ("coprod.pipeline.speccurve", "coprod.report.speccurve"),
    **{m: (f"coprod.report.{m}",) for m in (
        "wording", "page", "answer", "modelsummary", "report", "robustness")},
    "tables": ("coprod.report.tables", "coprod.report.tablerender"),
    "figures": ("coprod.report.figures", "coprod.report.figstyle", "coprod.report.speccurve"),
    "methods": ("coprod.report.methods", "coprod.pipeline.designconfig"),
}

#: the names ``coprod`` itself exported before the layers -> the module that has them now
TOP_LEVEL = {
    "svy_logit": "coprod.survey", "fit_svy_logit": "coprod.survey",
    "SvyLogitResult": "coprod.survey", "Design": "coprod.survey",
    "make_design": "coprod.survey", "design_cov": "coprod.survey", "design_df": "coprod.survey",
    "average_marginal_effects": "coprod.survey", "predict_margins": "coprod.survey",
    "contrast_test": "coprod.survey",
}


def warn(old: str, new: str) -> None:
    warnings.warn(f"{old} moved to {new}; the old name will be removed in the next release",
                  DeprecationWarning, stacklevel=3)


class OldModule(types.ModuleType):
    """A module name from before the layers: each attribute is looked up in the modules its names
    went to."""

    def __init__(self, name: str, targets: tuple[str, ...]):
        super().__init__(name, f"the old {name}, now {', '.join(targets)}")
        self.__targets = targets

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        for target in self.__targets:
            module = importlib.import_module(target)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r} (it moved "
                             f"to {' or '.join(self.__targets)}, which do not have it)")


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``coprod.<old>`` for each old name, and nothing else."""

    def find_spec(self, fullname, path=None, target=None):
        old = fullname.removeprefix("coprod.")
        if fullname.startswith("coprod.") and old in MOVED:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec):
        targets = MOVED[spec.name.removeprefix("coprod.")]
        warn(spec.name, targets[0])
        return OldModule(spec.name, targets)

    def exec_module(self, module):
        pass


def install() -> None:
    """Put the finder of the old names on the import path (once)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
