"""The flat package's names still import, for one release, each with a DeprecationWarning that
names the new place; the new names import without one.

tests/data/flat_names.json lists every public name each flat module defined or took from a
sibling module at the last flat commit (49eb434), made by reading those modules' syntax trees:
each must still resolve through its old module name."""
import importlib
import json
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from coprod import compat

FLAT = json.loads((Path(__file__).resolve().parents[1] / "data" / "flat_names.json")
                  .read_text(encoding="utf-8"))


def test_the_old_top_level_names_warn_and_work():
    code = ("import warnings; warnings.simplefilter('error', DeprecationWarning)\n"
            "try:\n    from coprod import svy_logit\nexcept DeprecationWarning as w:\n"
            "    print(w)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "coprod.svy_logit moved to coprod.survey.svy_logit" in out.stdout
    with pytest.warns(DeprecationWarning):
        import coprod
        sys.modules["coprod"].__dict__.pop("svy_logit", None)
        assert coprod.svy_logit is importlib.import_module("coprod.survey.glm").svy_logit


@pytest.mark.parametrize("old", sorted(FLAT))
def test_every_public_name_of_each_flat_module_still_resolves(old):
    """Through ``coprod.<old>`` (a stand-in module, or the package that took the name), with a
    DeprecationWarning for each name the new layout does not export there."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        sys.modules.pop(f"coprod.{old}", None) if old in compat.MOVED else None
        module = importlib.import_module(f"coprod.{old}")
        missing = [name for name in FLAT[old] if not hasattr(module, name)]
    assert missing == [], f"coprod.{old} lost {missing}"


@pytest.mark.parametrize("old, name", [("models", "fit_model"), ("findings", "check_claims"),
                                       ("findings", "run_findings"), ("tables", "model_table"),
                                       ("designspec", "design_settings"),
                                       ("config", "group_column")])
def test_each_old_module_warns(old, name):
    sys.modules.pop(f"coprod.{old}", None)
    with pytest.warns(DeprecationWarning, match=f"coprod.{old} moved to coprod."):
        module = importlib.import_module(f"coprod.{old}")
    assert callable(getattr(module, name))


@pytest.mark.parametrize("package, name", [("report", "run_report"), ("survey", "irls_logit")])
def test_an_old_name_of_a_module_now_a_package_warns(package, name):
    with pytest.warns(DeprecationWarning, match=f"coprod.{package}.{name} moved to"):
        assert callable(getattr(importlib.import_module(f"coprod.{package}"), name))


def test_the_engine_exports_do_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        from coprod.survey import make_design, svy_logit  # noqa: F401


def test_the_removed_helpers_keep_their_old_behaviour():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        config = importlib.import_module("coprod.config")
        rs = importlib.import_module("coprod.reportsettings")
    assert config.group_column({"groups": {"column": "country"}}) == "country"
    assert config.group_column({}) == "group"
    assert config.binary_outcomes({"outcomes": ["a", {"b": "ordinal"}]}) == ["a"]
    assert rs.schema_defaults({"type": "object", "properties": {"x": {"default": 2}}}) == {"x": 2}
    assert str(rs.SCHEMA).endswith("config.schema.yaml")


def test_every_old_module_names_existing_modules():
    for targets in compat.MOVED.values():
        for target in targets:
            importlib.import_module(target)
    assert not {"survey", "report"} & set(compat.MOVED)  # packages now: PACKAGE_NAMES


def test_an_unknown_name_says_where_it_looked():
    sys.modules.pop("coprod.io", None)
    with pytest.warns(DeprecationWarning):
        module = importlib.import_module("coprod.io")
    with pytest.raises(AttributeError, match="coprod.pipeline.io"):
        module.no_such_name  # noqa: B018
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        importlib.import_module("coprod.report").no_such_name  # noqa: B018


def test_the_packages_old_names_are_the_flat_modules():
    for package in ("survey", "report"):
        assert compat.PACKAGE_NAMES[f"coprod.{package}"][1] == set(FLAT[package])
