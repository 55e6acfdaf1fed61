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
        "codebook", "clean", "io", "stages", "simulate", "sources",
        "runner", "yamlfile", "paths", "runlock", "csvsafe", "effectsize",
        "effectrule", "estimable")},
    # the settings took names from the config, the report's settings and the start-up
    "config": ("coprod.pipeline.config", "coprod.pipeline.settings", "coprod.pipeline.codebook",
               "coprod.survey.designspec"),
    "reportsettings": ("coprod.pipeline.reportsettings", "coprod.pipeline.settings",
                       "coprod.pipeline.codebook", "coprod.pipeline.yamlfile"),
    "startup": ("coprod.pipeline.startup", "coprod.pipeline.settings",
                "coprod.pipeline.codebook"),
    "descriptives": ("coprod.pipeline.descriptives", "coprod.survey.means"),
    "impute": ("coprod.pipeline.impute", "coprod.survey.mi"),
    "designconfig": ("coprod.pipeline.designconfig", "coprod.pipeline.designkeys"),
    "calibrate": ("coprod.survey.calibration", "coprod.pipeline.designconfig"),
    "models": ("coprod.pipeline.models", "coprod.pipeline.imputedmodels"),
    "findings": ("coprod.pipeline.findings", "coprod.report.findings"),
    "speccurve": ("coprod.pipeline.speccurve", "coprod.report.speccurve"),
    **{m: (f"coprod.report.{m}",) for m in (
        "wording", "answer", "modelsummary")},
    "robustness": ("coprod.report.robustness",),
    # the page is a model and a template now; its string builders are _PAGE_REMOVED
    "page": ("coprod.report.page", "coprod.report.wording"),
    # the display tables became tables as data (issue 27): coprod.report.tablemodel
    "tables": ("coprod.report.tables", "coprod.report.moretables", "coprod.report.tablelatex",
               "coprod.survey.formula"),
    "figures": ("coprod.report.figures", "coprod.report.figstyle", "coprod.report.speccurve",
                "coprod.report.forest", "coprod.report.predictions"),
    "methods": ("coprod.report.methods", "coprod.pipeline.designconfig",
                "coprod.pipeline.settings"),
}

#: the names ``coprod`` itself exported before the layers -> the module that has them now
TOP_LEVEL = {
    "svy_logit": "coprod.survey", "fit_svy_logit": "coprod.survey",
    "SvyLogitResult": "coprod.survey", "Design": "coprod.survey",
    "make_design": "coprod.survey", "design_cov": "coprod.survey", "design_df": "coprod.survey",
    "average_marginal_effects": "coprod.survey", "predict_margins": "coprod.survey",
    "contrast_test": "coprod.survey",
}


_SURVEY_NAMES = frozenset({
    "ConfigError", "Design", "FAMILIES", "Family", "LOGIT", "LONELY_PSU_OPTIONS", "ModelError",
    "ModelFrame", "ReplicateDesign", "SurveyDesign", "SvyLogitResult", "build_model_frame",
    "check_model_based", "check_rank", "design_cov", "design_df", "domain_mask",
    "drop_empty_columns", "extreme_dummies", "fit_matrix", "fit_svy_logit", "formula_ready",
    "irls_logit", "lonely_strata", "make_design", "mle_certified", "n_distinct", "replicate_fits",
    "row_local", "score_cov", "separation_terms", "svy_logit", "svy_poisson", "term_table",
    "unit_column", "weighted_gram",
})
_REPORT_NAMES = frozenset({
    "FIGURE_ALT", "FIGURE_CAPTIONS", "FILE_LABELS", "Fold", "POOLED", "SOFTWARE",
    "SYNTHETIC_NOTICE", "answer_section", "build_report", "default_table_title", "default_title",
    "design_weights", "esc", "figure_alt", "figure_caption", "figure_html", "figure_names",
    "files_line", "findings_section", "fixed_effects", "group_word", "is_weighted", "lower_word",
    "methods_section", "models_phrase", "report_settings", "resolve_grouping", "run_date_now",
    "run_report", "schema_defaults", "sha256", "sibling_files", "software_versions", "table_meta",
    "table_names", "tables_section", "unit_word", "word", "xref",
})

#: the names the flat modules ``coprod.survey`` and ``coprod.report`` had, whose names are
#: packages now (an old ``from coprod.report import run_report``): where each may be now.
#: Generated from the flat package's modules (tests/data/flat_names.json lists them all).
PACKAGE_NAMES: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "coprod.survey": (("coprod.survey.glm", "coprod.survey.design", "coprod.survey.modelframe",
                       "coprod.survey.framechecks", "coprod.survey.variance",
                       "coprod.survey.replicate", "coprod.survey.families", "coprod.errors"),
                      _SURVEY_NAMES),
    "coprod.report": (("coprod.report.report", "coprod.pipeline.reportsettings",
                       "coprod.report.findings", "coprod.report.methods", "coprod.report.page",
                       "coprod.report.answer", "coprod.report.wording", "coprod.pipeline.vocab",
                       "coprod.pipeline.designconfig", "coprod.pipeline.designkeys",
                       "coprod.pipeline.estimable", "coprod.pipeline.io", "coprod.names",
                       "coprod.errors"),
                      _REPORT_NAMES),
}


def old_package_name(package: str, name: str) -> object:
    """A name the flat module ``package`` had (now a package of that name), with a warning."""
    targets, names = PACKAGE_NAMES[package]
    removed = REMOVED.get(package.removeprefix("coprod."), {})
    if name in removed:
        warn(f"{package}.{name}", f"{package}.{name} (kept for one release)")
        return removed[name]
    if name in names:
        for target in targets:
            module = importlib.import_module(target)
            if hasattr(module, name):
                warn(f"{package}.{name}", f"{target}.{name}")
                return getattr(module, name)
    raise AttributeError(f"module {package!r} has no attribute {name!r}")


def _group_column(config: dict) -> str:
    """The name of the group column (config ``groups.column``)."""
    from .names import GROUP

    return ((config.get("groups") or {}).get("column")) or GROUP


def _binary_outcomes(models: dict) -> list[str]:
    """The 0/1 outcomes of ``models.outcomes``."""
    from .pipeline.config import outcome_families

    return [o for o, f in outcome_families(models["outcomes"]).items() if f == "logit"]


def _schema_defaults(node: dict) -> object:
    """The defaults a JSON schema node declares, filled in recursively."""
    import copy

    if "default" in node and not isinstance(node.get("default"), dict):
        return copy.deepcopy(node["default"])
    out = copy.deepcopy(node.get("default", {})) if node.get("type") == "object" else None
    if node.get("type") == "object" and "properties" in node:
        out = out or {}
        for key, sub in node["properties"].items():
            val = _schema_defaults(sub)
            if key not in out and (val is not None or "default" in sub):
                out[key] = val
    return out


class RemovedNameError(RuntimeError):
    """A name of the flat package that was removed without a stand-in, used."""


class _Removed:
    """A name removed without a stand-in (its work is done another way now): it still
    resolves, so an old import does not fail at the import, but calling it or reading
    anything of it raises :class:`RemovedNameError` saying what replaced it."""

    def __init__(self, name: str, instead: str):
        self.name, self.instead = name, instead

    def _fail(self):
        raise RemovedNameError(f"{self.name} was removed: {self.instead}")

    def __call__(self, *args, **kwargs):
        self._fail()

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        self._fail()

    def __repr__(self) -> str:
        return f"<removed {self.name}: {self.instead}>"


#: the display-table renderers of DataFrames, replaced by the table model (issue 27): a
#: table is built as coprod.report.tablemodel.Table and rendered from it
_TABLE_MODEL = ("tables are built as coprod.report.tablemodel.Table now and rendered by "
                "coprod.report.tablehtml, tablelatex, tabledata and written by "
                "coprod.report.tablefiles.write_table")
_TABLES_REMOVED: dict[str, object] = {
    "to_html": _Removed("coprod.tables.to_html", f"use tablehtml.table_html; {_TABLE_MODEL}"),
    "to_latex": _Removed("coprod.tables.to_latex", f"use tablelatex.to_latex; {_TABLE_MODEL}"),
    "table_data": _Removed("coprod.tables.table_data",
                           f"use tabledata.tidy_frame (every number at full precision, not "
                           f"read back from the text); {_TABLE_MODEL}"),
    "write_table_files": _Removed("coprod.tables.write_table_files",
                                  f"use tablefiles.write_table; {_TABLE_MODEL}"),
    "NUMERIC_CELL": _Removed("coprod.tables.NUMERIC_CELL",
                             "a cell says whether it is a number (tablemodel.Cell.numeric); "
                             "no text is matched"),
    "fmt_test": _Removed("coprod.tables.fmt_test",
                         "a joint test is a tablemodel.Cell of kind 'test' (its p-value "
                         "shown, its F and degrees of freedom in the tidy data)"),
}


#: the page's string builders, replaced by the page model and its template (issue 27)
_PAGE_MODEL = ("the page is a model now (coprod.report.pagemodel: sections of paragraphs, "
               "figures and tables) rendered by coprod.report.page.render from its Jinja2 "
               "template; the sections are built by coprod.report.sections")
_PAGE_REMOVED: dict[str, object] = {
    name: _Removed(f"coprod.page.{name}", _PAGE_MODEL)
    for name in ("ul", "files_line", "Fold", "answer_section", "tables_section", "build_report",
                 "CSS", "SYNTHETIC_WARNING", "figure_html", "xref", "findings_section",
                 "robustness_section", "mi_section")}


class _Lazy:
    """A removed constant computed on first use (it needs a layer's module)."""

    def __init__(self, make):
        self.make = make


def _schema() -> object:
    from .pipeline.settings import SCHEMA

    return SCHEMA


def _figure_defaults() -> dict:
    """The figures' defaults as the flat module's ``DEFAULTS`` dict had them."""
    from .pipeline.reportsettings import FigureSettings

    s = FigureSettings()
    width = {"full": 7.0, "column": 3.5}.get(str(s.width), s.width)  # the flat module's inches
    return {"width": width, "font_size": s.font_size, "dpi": s.dpi,
            "palette": list(s.palette), "conf_level": s.conf_level, "subject": s.subject,
            "weighted": s.weighted, "ci": s.ci}


#: names the flat modules had that no new module has as they were: the old behaviour, for one
#: release, where the settings objects replaced them; where the table model replaced them (the
#: DataFrame renderers), a :class:`_Removed` that says so when used
REMOVED: dict[str, dict[str, object]] = {
    "config": {"group_column": _group_column, "binary_outcomes": _binary_outcomes},
    "figures": {"DEFAULTS": _Lazy(_figure_defaults),
                # the flat module's tick list (never used) and its verdicts' palette indices
                # (figstyle.Concepts has the verdicts' colours now)
                "NICE_OR_TICKS": [0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 0.67, 1, 1.5, 2, 4, 5,
                                  10, 20, 50, 100],
                "VERDICT_COLOURS": {"supported": 2, "equivalent": 2, "contradicted": 1,
                                    "different": 1, "inconclusive": None}},
    "reportsettings": {"schema_defaults": _schema_defaults, "SCHEMA": _Lazy(_schema),
                       "binary_outcomes": _binary_outcomes},
    "startup": {"binary_outcomes": _binary_outcomes},
    "report": {"schema_defaults": _schema_defaults,
               **{k: _PAGE_REMOVED[k] for k in ("files_line", "Fold", "build_report",
                                                "figure_html", "xref")}},
    "tables": _TABLES_REMOVED,
    "robustness": {"write_table_files": _TABLES_REMOVED["write_table_files"],
                   "robustness_section": _PAGE_REMOVED["robustness_section"],
                   "mi_section": _PAGE_REMOVED["mi_section"]},
    "page": {k: _PAGE_REMOVED[k] for k in ("ul", "files_line", "Fold", "answer_section",
                                            "tables_section", "build_report", "CSS",
                                            "SYNTHETIC_WARNING")},
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
        removed = REMOVED.get(self.__name__.removeprefix("coprod."), {})
        if attr in removed:
            value = removed[attr]
            return value.make() if isinstance(value, _Lazy) else value
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
