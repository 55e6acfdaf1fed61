"""The flat package's names still import, for one release, each with a DeprecationWarning that
names the new place; the new names import without one."""
import importlib
import subprocess
import sys
import warnings

import pytest

from coprod import compat


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


@pytest.mark.parametrize("old, name", [("models", "fit_model"), ("findings", "check_claims"),
                                       ("findings", "run_findings"), ("tables", "model_table"),
                                       ("designspec", "design_settings"), ("survey", "svy_logit")])
def test_each_old_module_warns_and_finds_its_names(old, name):
    """A split module finds each name in the new module that has it."""
    sys.modules.pop(f"coprod.{old}", None)
    if old == "survey":  # the old module's name is the engine's package now: no warning
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)
            module = importlib.import_module("coprod.survey")
    else:
        with pytest.warns(DeprecationWarning, match=f"coprod.{old} moved to coprod."):
            module = importlib.import_module(f"coprod.{old}")
    assert callable(getattr(module, name))


def test_every_old_module_names_existing_modules():
    for targets in compat.MOVED.values():
        for target in targets:
            importlib.import_module(target)
    assert "survey" not in compat.MOVED


def test_an_unknown_name_in_an_old_module_says_where_it_looked():
    sys.modules.pop("coprod.io", None)
    with pytest.warns(DeprecationWarning):
        module = importlib.import_module("coprod.io")
    with pytest.raises(AttributeError, match="coprod.pipeline.io"):
        module.no_such_name  # noqa: B018
