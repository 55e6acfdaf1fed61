"""The public models' one call style (issue 28): ``estimator(formula, design, ...)`` returns the
fitted model for svy_glm, svy_logit, svy_poisson and svy_olr; the data-first call of earlier
versions still returns its table, with a DeprecationWarning whose replacement, run as written,
gives the same numbers; a wrong argument is one line naming it; the engine's data-first entries
are no longer public names of coprod.survey."""
from __future__ import annotations

import importlib
import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import coprod.survey as svy
from coprod.errors import ConfigError
from coprod.survey import (
    SvyGlmResult,
    SvyOlrResult,
    make_design,
    svy_glm,
    svy_logit,
    svy_olr,
    svy_poisson,
)
from coprod.survey.glm import fit_svy_logit
from coprod.survey.ordinal import fit_svy_olr

DESIGN = {"weights": "w", "strata": "s", "psu": "p"}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(2028)
    n = 500
    d = pd.DataFrame({"s": rng.choice(["a", "b", "c"], n), "p": rng.integers(0, 8, n),
                      "w": rng.uniform(0.5, 3.0, n), "x": rng.normal(size=n),
                      "g": rng.choice(["lo", "hi"], n)})
    d["y"] = 1.0 + d["x"] + rng.normal(size=n)
    d["b"] = (d["y"] > 1).astype(int)
    d["k"] = rng.poisson(np.exp(0.2 * d["x"]))
    d["o"] = pd.Categorical(pd.cut(d["y"], [-np.inf, 0, 1, 2, np.inf],
                                   labels=["never", "rarely", "often", "always"]), ordered=True)
    return d


@pytest.fixture(scope="module")
def design(data):
    return make_design(data, keep_data=True, **DESIGN)


MODELS = [(svy_glm, "y ~ x + g", SvyGlmResult), (svy_logit, "b ~ x + g", SvyGlmResult),
          (svy_poisson, "k ~ x + g", SvyGlmResult), (svy_olr, "o ~ x + g", SvyOlrResult)]


@pytest.mark.parametrize("fn, formula, result", MODELS)
def test_one_call_style_returns_the_fitted_model(design, fn, formula, result):
    fit = fn(formula, design)
    assert type(fit) is result and fit.formula == formula
    assert fit.tidy()["estimate"].tolist() == fit.params.tolist()
    by_name = fn(formula=formula, design=design)  # R's svyglm(formula = , design = )
    assert by_name.params.equals(fit.params) and by_name.cov.equals(fit.cov)
    dom = fn(formula, design, domain=design.data["x"] > -0.5, conf_level=0.9)
    same = fn(formula, design.domain(design.data["x"] > -0.5), conf_level=0.9)
    pd.testing.assert_frame_equal(dom.tidy(), same.tidy())


def test_the_families_are_svy_glm_s(design):
    for fn, family, formula in ((svy_logit, "quasibinomial", "b ~ x + g"),
                                (svy_poisson, "quasipoisson", "k ~ x + g")):
        pd.testing.assert_frame_equal(fn(formula, design).tidy(),
                                      svy_glm(formula, design, family).tidy(), check_exact=True)


def _run_the_advice(message: str, data: pd.DataFrame, domain=None) -> pd.DataFrame:
    """Run the calls a DeprecationWarning says to write, as written."""
    build = re.search(r"write (design = make_design\(data[^)]*\))", message).group(1)
    call = re.search(r"then (svy_\w+\(.*\)\.tidy\(\)) for this table", message).group(1)
    env = {"make_design": make_design, "data": data, "svy_logit": svy_logit,
           "svy_poisson": svy_poisson}
    exec(build, env)  # noqa: S102 (the warning's own text, from this test's arguments)
    return eval(call.replace("domain=...", "domain=domain"), {**env, "domain": domain})


@pytest.mark.parametrize("fn, formula, family", [(svy_logit, "b ~ x + g", "logit"),
                                                 (svy_poisson, "k ~ x + g", "count")])
def test_the_old_data_first_call_warns_and_returns_its_old_table(data, fn, formula, family):
    mask = data["x"] > -0.5
    with pytest.warns(DeprecationWarning) as caught:
        old = fn(data, formula, domain=mask, **DESIGN)
    (w,) = caught
    message = str(w.message)
    assert message.startswith(f"{fn.__name__}(data, formula, ...) is deprecated and will be "
                              "removed in the next release; write design = make_design(data, "
                              "weights='w', strata='s', psu='p', keep_data=True) (or "
                              f"svydesign(data, ...)), then {fn.__name__}({formula!r}, design, "
                              "domain=...).tidy() for this table"), message
    assert w.filename == __file__  # it points at the caller's line
    assert isinstance(old, pd.DataFrame)
    # the numbers of before, to the bit: the engine's data-first fit, as the old call ran it
    before = fit_svy_logit(data, formula, domain=mask, family=family, **DESIGN).tidy()
    pd.testing.assert_frame_equal(old, before, check_exact=True)
    # and what the warning says to write gives them too
    pd.testing.assert_frame_equal(_run_the_advice(message, data, mask), old, check_exact=True)


def test_the_old_call_with_a_design_and_by_keyword(data, design):
    with pytest.warns(DeprecationWarning, match=r"then svy_logit\('b ~ x', design\)\.tidy\(\)"):
        with_design = svy_logit(data, "b ~ x", design=design)
    with pytest.warns(DeprecationWarning, match="model_based=False"):
        by_keyword = svy_logit(data=data, formula="b ~ x", model_based=False, **DESIGN)
    new = svy_logit("b ~ x", design).tidy()
    pd.testing.assert_frame_equal(with_design, new, check_exact=True)
    pd.testing.assert_frame_equal(by_keyword, new, check_exact=True)
    with pytest.raises(TypeError, match="family"):  # the old call had no family either
        svy_logit(data, "b ~ x", family="count")


def _no_data(design):
    return make_design(design.data, **DESIGN)


BAD = [
    ("design", lambda f, d: (f, _no_data(d)), "design: this design was built without its data"),
    ("design", lambda f, d: (f, "dclus1"), "design: a str is not a survey design; build one "
     "with svydesign(data, ...)"),
    ("design", lambda f, d: (f, None), "design: a NoneType is not a survey design"),
    ("design", lambda f, d: (f, d.data), "design: a DataFrame is not a survey design; build "
     "one from it with svydesign(data, ...)"),
    ("formula", lambda f, d: (3, d), "formula: 3 is not a formula; write it as a string such "
     "as 'y ~ x1 + x2'"),
    ("formula", lambda f, d: (["y", "x"], d), "formula: ['y', 'x'] is not a formula"),
    ("formula", lambda f, d: (d, d), "formula: a SurveyDesign is not a formula"),
    ("formula", lambda f, d: (d.data, d), "formula: a DataFrame is not a formula; the call is "
     "{fn}(formula, design), the data in the design"),
]


@pytest.mark.parametrize("argument, args, text", BAD)
@pytest.mark.parametrize("fn, formula, result", MODELS)
def test_a_bad_argument_is_one_line_naming_it(design, fn, formula, result, argument, args,
                                              text):
    with pytest.raises(ConfigError) as exc:
        fn(*args(formula, design))
    message = str(exc.value)
    assert message.startswith(text.format(fn=fn.__name__)), message
    assert exc.value.argument == argument and "\n" not in message


def test_a_fit_used_as_the_old_table_says_where_the_table_is(design):
    fit = svy_logit("b ~ x", design)
    assert ".tidy(): the table" in repr(fit) and len(repr(fit)) < 2000
    with pytest.raises(TypeError, match=r"is a fitted model, not a table: .* its coefficient "
                                        r"table is \.tidy\(\), a DataFrame: "
                                        r"\.tidy\(\)\['estimate'\]"):
        fit["estimate"]
    for name in ("set_index", "loc", "to_csv", "columns"):
        with pytest.raises(AttributeError, match=rf"\.tidy\(\)\.{name}$"):
            getattr(fit, name)
    with pytest.raises(AttributeError, match=r"^'SvyGlmResult' object has no attribute 'nope'$"):
        fit.nope  # noqa: B018
    assert not hasattr(fit, "loc") and hasattr(fit, "params")
    olr = svy_olr("o ~ x", design)
    with pytest.raises(AttributeError, match=r"SvyOlrResult is a fitted model"):
        olr.set_index("term")


@pytest.mark.parametrize("name, instead, module", [
    ("fit_svy_logit", "use svy_logit(formula, design), svy_poisson(formula, design) or "
                      "svy_glm(formula, design, family=...)", "glm"),
    ("fit_svy_olr", "use svy_olr(formula, design)", "ordinal")])
def test_the_engine_entries_are_no_longer_public_names(name, instead, module):
    assert name not in svy.__all__ and name not in dir(svy)
    with pytest.warns(DeprecationWarning) as caught:
        value = getattr(svy, name)
    assert f"coprod.survey.{name} is no longer public and will be removed in the next " \
           f"release; {instead}" in str(caught[0].message)
    assert value is getattr(importlib.import_module(f"coprod.survey.{module}"), name)
    with warnings.catch_warnings():  # the engine's own module: no warning
        warnings.simplefilter("error", DeprecationWarning)
        assert fit_svy_logit is importlib.import_module("coprod.survey.glm").fit_svy_logit
        assert fit_svy_olr is importlib.import_module("coprod.survey.ordinal").fit_svy_olr


def test_the_old_import_of_a_withdrawn_name_still_runs():
    code = ("import warnings; warnings.simplefilter('default')\n"
            "from coprod.survey import fit_svy_olr, svy_olr\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert "coprod.survey.fit_svy_olr is no longer public" in out.stderr
    # once (as Python shows a warning once per line), and none for svy_olr
    assert out.stderr.count("DeprecationWarning") == 1, out.stderr


def test_the_top_level_package_exports_no_estimator():
    import coprod

    for name in ("svy_glm", "svydesign", "svy_olr", "svy_mean"):
        assert not hasattr(coprod, name)
    assert "import coprod.survey as svy" in coprod.__doc__
