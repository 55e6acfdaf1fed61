"""Safe config: YAML is safe-loaded, and names from config or data never run as code."""
import numpy as np
import pandas as pd
import pytest

from coprod.errors import ConfigError
from coprod.pipeline.codebook import load_yaml
from coprod.pipeline.designkeys import DesignSettings
from coprod.survey import make_design, svy_logit
from coprod.survey.formula import build_formula, quote

EVIL = "__import__('os').system('touch PWNED')"


def test_codebook_yaml_is_safe_loaded(tmp_path):
    p = tmp_path / "cb.yaml"
    p.write_text(f'x: !!python/object/apply:os.system ["touch {tmp_path}/PWNED"]\n')
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_yaml(p)
    assert not (tmp_path / "PWNED").exists()


def _frame(name):
    rng = np.random.default_rng(0)
    return pd.DataFrame({name: rng.normal(size=200), "y": rng.integers(0, 2, 200).astype(float),
                         "np": 1.0})


@pytest.mark.parametrize("name", ["a b", "class", "é ü", "2nd"])
def test_quoted_names_work_in_a_formula(name):
    df = _frame(name)
    f = build_formula("y", [name], df)
    assert quote(name) in f
    tidy = svy_logit(f, make_design(df, keep_data=True)).tidy()
    assert len(tidy) == 2 and np.isfinite(tidy["estimate"]).all()


@pytest.mark.parametrize("name", [EVIL, "x) + np.log(y", "age'\""])
def test_hostile_names_never_run_as_code(tmp_path, monkeypatch, name):
    """In a hand-written formula a hostile name may fail to parse, but it never runs; the
    pipeline itself never puts such names in a formula (next test)."""
    monkeypatch.chdir(tmp_path)
    df = _frame(name)
    try:
        svy_logit(build_formula("y", [name], df), make_design(df, keep_data=True))
    except Exception as exc:
        assert type(exc).__name__ == "ModelError"
    assert not (tmp_path / "PWNED").exists()


def test_a_name_that_is_not_a_column_is_rejected():
    df = pd.DataFrame({"y": [0.0, 1.0], "age": [1.0, 2.0]})
    with pytest.raises(ConfigError, match="not in the data"):
        build_formula("y", ["age", EVIL], df)


@pytest.mark.parametrize("name", [EVIL, "status quo", "x) + np.log(y", "Q", "age'\"", "C"])
def test_pipeline_models_take_any_column_name(tmp_path, monkeypatch, name):
    """The model stage aliases awkward names and reports the real ones."""
    from coprod.pipeline.models import contrast_sample, fit_model

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    n = 400
    t = pd.DataFrame({"country": pd.Categorical(rng.choice(["A", "B"], n)),
                      "respondent_id": np.arange(n).astype(str),
                      "w": rng.uniform(0.5, 2, n), name: rng.normal(size=n),
                      "sex": pd.Categorical(rng.choice(["m", "f"], n))})
    eta = 0.5 * t[name] + 0.3 * (t["sex"] == "f")
    t["y1"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    t["y2"] = (rng.random(n) < 1 / (1 + np.exp(eta))).astype(float)
    t.attrs["group_column"] = "country"  # as the clean table's metadata says
    design = DesignSettings.from_params({"weights": "w", "strata": "country", "psu": None})
    out = fit_model(t, outcome="y1", sample="pooled", covariates=[name, "sex"],
                    reference_levels={"sex": "m"}, design=design,
                    grids={"g": {name: [0, 1]}})
    assert out["fit"]["status"].iloc[0] == "ok"
    assert name in set(out["coefficients"]["term"]) and name in set(out["coefficients"]["variable"])
    assert name in set(out["ame"]["variable"]) and name in out["predictions"].columns
    con = contrast_sample(t, sample="pooled", outcomes=["y1", "y2"], covariates=[name, "sex"],
                          reference_levels={"sex": "m"}, design=design)
    assert name in set(con["term"])
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_results_get_ordinary_file_permissions(tmp_path, umask):
    """Outputs are written to a private temporary file and renamed; the result must still be
    readable as any new file would be (a colleague on a shared server, a web server)."""
    import os
    import stat

    from coprod.pipeline.io import write_csv, write_text

    old = os.umask(umask)
    try:
        write_csv(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
        write_text(tmp_path / "t.md", "x")
    finally:
        os.umask(old)
    for name in ("t.csv", "t.md"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o666 & ~umask


def test_an_interrupted_rule_says_so_in_one_line(tmp_path, capsys):
    from coprod.pipeline.runner import rule_context

    with pytest.raises(SystemExit) as exit_:
        with rule_context("fit_models", tmp_path / "x.log"):
            raise KeyboardInterrupt
    assert exit_.value.code == 130
    assert capsys.readouterr().err.strip() == "coprod [fit_models] interrupted"
    assert "interrupted" in (tmp_path / "x.log").read_text()
