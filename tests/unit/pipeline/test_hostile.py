"""Hostile and extreme input: YAML that costs anything to read (alias bombs, deep nesting,
/dev/zero, folders), duplicate keys, config files that are code (YTE), names that become
paths outside the results, and a results folder outside the project.

No test here is timed: a refusal "before expansion" is shown by what the reader never does
(it builds no value: its constructor is never called) and by running it under a memory limit
a bomb's expansion would exceed many times over."""
import os
import subprocess
import sys

import pytest
from catalogue import ALIAS_BOMB, ESCAPE, safe_load

from coprod.errors import ConfigError, DataError, clip, console
from coprod.pipeline import yamlfile
from coprod.pipeline.paths import name_error, outside, results_error
from coprod.pipeline.yamlfile import MAX_ALIAS_VALUES, MAX_DEPTH, load_yaml


@pytest.fixture
def built(monkeypatch):
    """How many documents the reader built values for (both of its parsers)."""
    calls = []
    for cls in (yamlfile.TextLoader, yamlfile._FastTextLoader):
        orig = cls.construct_document
        monkeypatch.setattr(cls, "construct_document",
                            lambda self, node, _o=orig: calls.append(1) or _o(self, node))
    return calls


def _write(tmp_path, text: str | bytes, name="f.yaml"):
    p = tmp_path / name
    (p.write_bytes if isinstance(text, bytes) else p.write_text)(text)
    return p


@pytest.mark.parametrize("tag", [False, True])  # a tag sends the text to PyYAML's own parser
def test_an_alias_bomb_is_refused_without_being_built(tmp_path, built, tag):
    p = _write(tmp_path, ("x: !!str 1\n" if tag else "") + ALIAS_BOMB)
    with pytest.raises(ConfigError) as exc:
        load_yaml(p)
    assert str(exc.value).startswith(f"{p}: its aliases (*")
    assert f"repeat more than {MAX_ALIAS_VALUES:,} values" in str(exc.value)
    assert "\n" not in str(exc.value) and not built


def test_a_bomb_is_refused_under_a_memory_limit_it_would_exceed(tmp_path):
    """The reader in a process limited to 400 MB of memory: the bomb stands for 387 million
    values (gigabytes once expanded), and is refused with the one line."""
    p = _write(tmp_path, ALIAS_BOMB)
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (400 << 20, 400 << 20))\n"
            "from coprod.pipeline.yamlfile import load_yaml\n"
            "from coprod.errors import ConfigError\n"
            "try:\n    load_yaml(sys.argv[1])\n"
            "except ConfigError as exc:\n    print(exc)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(p)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "(an alias 'bomb'?)" in proc.stdout and not proc.stderr


def test_aliases_that_repeat_a_little_are_read(tmp_path):
    p = _write(tmp_path, "agree: &agree {1: yes, 2: no}\nq1: {codes: *agree}\nq2: *agree\n")
    assert load_yaml(p) == {"agree": {1: "yes", 2: "no"}, "q1": {"codes": {1: "yes", 2: "no"}},
                            "q2": {1: "yes", 2: "no"}}


@pytest.mark.parametrize("text", ["x: " + "[" * 100_000 + "]" * 100_000 + "\n",
                                  "t: !!str 1\nx: " + "[" * 100_000 + "]" * 100_000 + "\n",
                                  "x: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n",
                                  "".join(f"{' ' * i}k{i}:\n" for i in range(200)) + "  " * 200
                                  + "v\n"])
def test_deep_nesting_is_refused_without_being_built(tmp_path, built, text):
    p = _write(tmp_path, text)
    with pytest.raises(ConfigError, match=f"nested more than {MAX_DEPTH} levels deep") as exc:
        load_yaml(p)
    assert "\n" not in str(exc.value) and not built


def test_nesting_coprod_files_use_is_read(tmp_path):
    p = _write(tmp_path, "x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    assert load_yaml(p)["x"] is not None


@pytest.mark.parametrize("text, key, lines", [
    ("models:\n  conf_level: 0.95\n  other: 1\n  conf_level: 0.5\n", "conf_level", (2, 4)),
    ("a: 1\nb: 2\na: 3\n", "a", (1, 3)),
    ("x: {k: 1, k: 2}\n", "k", (1, 1)),
    ("x: !!str 1\nx: 2\n", "x", (1, 2)),  # PyYAML's own parser (a tag)
])
def test_a_key_written_twice_is_refused_naming_it_and_both_lines(tmp_path, text, key, lines):
    p = _write(tmp_path, text)
    with pytest.raises(ConfigError) as exc:
        load_yaml(p)
    assert str(exc.value) == (f"{p}: the key '{key}' is written twice in one mapping (lines "
                              f"{lines[0]} and {lines[1]}); YAML would keep only the last: "
                              "remove one")


def test_a_merge_key_may_still_be_overridden(tmp_path):
    p = _write(tmp_path, "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n")
    assert load_yaml(p)["c"] == {"x": 1, "y": 3}


@pytest.mark.parametrize("path, message", [
    ("/dev/zero", "/dev/zero: is not a regular file (a device, pipe or socket); name a file"),
    ("DIR", "DIR: is a folder, not a file"),
    ("NOPE", "NOPE: file not found"),
])
def test_only_a_regular_file_is_read(tmp_path, built, path, message):
    path = path.replace("DIR", str(tmp_path)).replace("NOPE", str(tmp_path / "nope.yaml"))
    with pytest.raises(ConfigError) as exc:
        load_yaml(path)
    assert str(exc.value) == message.replace("DIR", str(tmp_path)).replace(
        "NOPE", str(tmp_path / "nope.yaml"))
    assert not built


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="is not a regular file"):
        load_yaml(fifo)


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch, built):
    monkeypatch.setattr(yamlfile, "MAX_BYTES", 1000)
    p = _write(tmp_path, "a: " + "x" * 2000 + "\n")
    with pytest.raises(ConfigError) as exc:
        load_yaml(p)
    assert str(exc.value) == (f"{p}: 2,004 bytes, more than the 1,000 a YAML file may have; is "
                              "it the right file?")
    assert not built


def test_a_byte_that_is_not_utf8_is_named_with_the_hint(tmp_path):
    p = _write(tmp_path, b"a: 1\nb: caf\xe9\n")
    with pytest.raises(ConfigError) as exc:
        load_yaml(p)
    assert str(exc.value) == f"{p}: not UTF-8 text (byte 0xe9 on line 2); save the file as UTF-8"


# -- config files that are code (YTE) -------------------------------------------------------

def test_a_config_that_turns_on_yte_is_refused_unless_opted_in(tmp_path, monkeypatch):
    from coprod.pipeline.startup import ALLOW_YTE, check_config_file

    p = _write(tmp_path, "__use_yte__: true\nx: ?1 + 1\n")
    monkeypatch.delenv(ALLOW_YTE, raising=False)
    with pytest.raises(ConfigError, match=r"__use_yte__: true makes Snakemake run the Python"):
        check_config_file(p)
    monkeypatch.setenv(ALLOW_YTE, "1")
    assert check_config_file(p)["x"] == "?1 + 1"  # read as text; Snakemake renders it


# -- names that become paths, and the results folder ----------------------------------------

@pytest.mark.parametrize("name", [ESCAPE, "..", ".", "a/b", "/abs", "a b", "é", "", "x" * 101,
                                  "a\\b", "a\x00b", 3, None])
def test_a_name_that_cannot_be_a_file_name_is_refused(name):
    err = name_error(name, "config: models.outcomes", "results/models/fits/<outcome>/")
    assert err and err.startswith("config: models.outcomes: '") and "\n" not in err


@pytest.mark.parametrize("name", ["individual_any", "Q1-a", "x" * 100, "2nd"])
def test_a_file_name_that_follows_the_rule_is_accepted(name):
    assert name_error(name, "k", "p") is None


def _config(**models):
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "config", "config.yaml"),
              encoding="utf-8") as fh:
        config = safe_load(fh)
    config["models"].update(models)
    return config


def _models(**models):
    """The typed models section of the bundled config with ``models`` changed (the schema
    checked and the defaults filled in, as at start-up)."""
    from coprod.pipeline.codebook import load_codebook
    from coprod.pipeline.settings import load_settings

    root = os.path.join(os.path.dirname(__file__), "..", "..", "..")
    return load_settings(_config(**models),
                         load_codebook(os.path.join(root, "config", "codebook.yaml"))).models


@pytest.mark.parametrize("models, key", [
    ({"outcomes": ["individual_any", ESCAPE]}, "models.outcomes"),
    ({"outcomes": [{ESCAPE: "ordinal"}]}, "models.outcomes"),  # its cuts_<name> table too
    ({"predictions": {ESCAPE: {"age": [20, 30]}}}, "models.predictions"),
    ({"samples": ["pooled", "Région " * 30]}, "models.samples"),  # a slug too long to be a name
])
def test_every_name_that_becomes_a_path_is_checked(models, key):
    from coprod.pipeline.startup import path_name_errors

    errs = path_name_errors(_models(**models))
    assert len(errs) == 1 and errs[0].startswith(f"config: {key}: '"), errs


def test_samples_with_spaces_and_accents_keep_working():
    from coprod.pipeline.startup import path_name_errors

    assert path_name_errors(_models(samples=["pooled", "Región Norte", "Trøndelag"])) == []


def test_results_must_be_a_folder_inside_the_project(tmp_path):
    project = str(tmp_path)
    for bad in ["", " ", ".", "./", "..", "/", "a/../.."]:
        assert results_error(bad, project=project), bad
        assert results_error(bad, outside_ok=True, project=project), bad  # never these
    for out in ["../outside", "/tmp/elsewhere", "results/../../x"]:
        assert "is outside the project" in results_error(out, project=project)
        assert results_error(out, outside_ok=True, project=project) is None
    for ok in ["results", "results/nhanes", "a/../results", str(tmp_path / "results")]:
        assert results_error(ok, project=project) is None


def test_every_output_path_lies_under_the_results():
    assert outside(["results/a.csv", "results/x/../b.csv", "logs/c.log"],
                   ["results", "logs"]) == []
    assert outside(["results/../escape/a.csv", "results2/a.csv", "/tmp/results/a.csv",
                    "results"], ["results"]) == ["results/../escape/a.csv", "results2/a.csv",
                                                 "/tmp/results/a.csv", "results"]


# -- data files --------------------------------------------------------------------------------

@pytest.mark.parametrize("path, message", [
    ("/dev/zero", "is not a regular file (a device, pipe or socket)"),
    ("DIR", "is a folder, not a file"),
])
def test_a_data_file_that_is_a_folder_or_a_device_is_named_as_such(tmp_path, path, message):
    from coprod.pipeline.io import read_raw

    path = path.replace("DIR", str(tmp_path))
    with pytest.raises(DataError) as exc:
        read_raw(path, "csv")
    assert str(exc.value).startswith(f"{path}: {message}")


def test_a_bad_byte_in_any_row_gets_the_encoding_hint(tmp_path):
    from coprod.pipeline.io import read_raw

    p = tmp_path / "d.csv"
    p.write_bytes(b"id,note\n" + b"".join(b"%d,ok\n" % i for i in range(50_000))
                  + b"50000,R\xe9ponse\n")
    with pytest.raises(DataError) as exc:
        read_raw(p)
    assert str(exc.value) == (f"{p}: not readable as utf-8 text (line 50002, byte 0xe9); set "
                              "`encoding:` for this group in the codebook, for example latin-1")


def test_a_long_value_is_cut_in_a_message():
    assert clip("x" * 1_000_000) == "x" * 80 + "... (1,000,000 characters)"
    assert clip("short") == "short"
    # and whatever no message cut, the console's lines are (coprod.pipeline.runner, the Snakefile)
    shown = console(ConfigError("a\nb: '" + "x" * 1_000_000 + "'"))
    assert shown.splitlines()[0] == "a" and len(shown.splitlines()[1]) < 1100


def test_claims_of_the_specification_curve_need_distinct_file_names():
    from coprod.pipeline.startup import claim_name_errors

    config = _config()["specifications"]
    claims = [{"id": "age individual"}, {"id": "age-individual"}, {"id": "é" * 300},
              {"id": "x" * 300, "compared_with": "y"}]  # a comparison draws no figure
    errs = claim_name_errors(config, claims, "config/findings.yaml")
    assert errs[0] == ("config/findings.yaml: claims 'age individual' and 'age-individual' would "
                       "share the file figures/spec_age_individual.png; give one another id")
    assert len(errs) == 2 and "cannot name a file" in errs[1]
    assert claim_name_errors(_config()["specifications"], [{"id": "a"}, {"id": "b"}], "f") == []
