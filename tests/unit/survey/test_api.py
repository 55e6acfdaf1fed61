"""The engine's curated API: every name coprod.survey exports resolves to what it says (a
function or class, never a submodule that happens to share its name), after every submodule
has been imported too."""
import importlib
import inspect
import pkgutil

import coprod.survey as survey


def test_every_exported_name_is_a_function_or_class_after_all_submodules_load():
    for info in pkgutil.iter_modules(survey.__path__):
        importlib.import_module(f"coprod.survey.{info.name}")
    for name in survey.__all__:
        value = getattr(survey, name)
        assert not inspect.ismodule(value), f"coprod.survey.{name} is a module"
    assert callable(survey.calibrate) and survey.calibrate.__module__ == "coprod.survey.calibration"


def test_no_export_shares_a_submodule_name():
    submodules = {info.name for info in pkgutil.iter_modules(survey.__path__)}
    assert not submodules & set(survey.__all__), sorted(submodules & set(survey.__all__))
