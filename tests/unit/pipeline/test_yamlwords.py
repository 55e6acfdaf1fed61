"""Words YAML made true/false (ON, NO, yes, off) are refused by the word as written, its key,
file and line, and the fix; booleans the schema takes stay accepted (issue 29)."""
import copy

import pytest
from catalogue import safe_load
from conftest import ROOT

from coprod.errors import ConfigError
from coprod.pipeline.codebook import TextLoader, load_codebook
from coprod.pipeline.settings import load_settings
from coprod.pipeline.yamlwords import file_words, text_words

CONFIG = (ROOT / "config" / "config.yaml").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def codebook():
    return load_codebook(ROOT / "config" / "codebook.yaml")


def refusal(tmp_path, text: str, codebook, name="mine.yaml") -> str | None:
    """The config file ``text`` as Snakemake reads it (YAML 1.1), checked with its words."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    try:
        load_settings(safe_load(text), codebook, written=lambda: file_words([path]))
    except ConfigError as exc:
        return str(exc)
    return None


def test_words_are_found_with_their_text_line_and_place():
    text = "a: ON\nb: [pooled, 'NO', NO, y]\nc:\n  yes: Agreed\n  d: \"off\"\ne: true\n"
    words = text_words(text, "f.yaml")
    got = {w.path: (w.text, w.line, w.key, w.item) for w in words.values()}
    assert got == {("a",): ("ON", 1, False, False), ("b", 2): ("NO", 2, False, True),
                   ("c", True): ("yes", 4, True, False), ("e",): ("true", 6, False, False)}


def test_coprods_reading_has_only_true_and_false():
    """The codebook is read with YAML 1.2's booleans: ON stays the text ON there."""
    words = text_words("a: ON\nb: TRUE\nc: {no: x}\n", "cb.yaml", TextLoader)
    assert [w.text for w in words.values()] == ["TRUE"]


def test_merge_keys_and_aliases_keep_their_place():
    text = "base: &b {x: on}\nm:\n  <<: *b\n  y: [*b]\n"
    paths = {w.path: w.line for w in text_words(text, "f.yaml").values()}
    assert paths == {("base", "x"): 1, ("m", "x"): 1, ("m", "y", 0, "x"): 1}


def test_a_later_file_wins(tmp_path):
    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    a.write_text("s: [ON]\n", encoding="utf-8")
    b.write_text("s: [x, NO]\n", encoding="utf-8")
    words = file_words([a, b])
    assert words[("s", 0)].text == "ON" and words[("s", 1)].file.endswith("b.yaml")


def test_a_group_coded_on_is_named_as_written(tmp_path, codebook):
    """The issue's case: the eighth sample, refused as 'models.samples.7: True'."""
    text = CONFIG.replace("samples: [pooled, UK, FR, DE, DK, CZ]",
                          "samples: [pooled, UK, FR, DE, DK, CZ, UK2,\n    ON]")
    message = refusal(tmp_path, text, codebook)
    line = text.splitlines().index("    ON]") + 1
    assert message == (f"{tmp_path / 'mine.yaml'}, line {line}: models.samples: ON is read by "
                       "YAML as true, not as the text ON; write it in quotes: 'ON'")


@pytest.mark.parametrize("old, new, needle", [
    ('informed: "no"', "informed: No",
     "models.reference_levels.informed: No is read by YAML as false, not as the text No; "
     "write it in quotes: 'No'"),
    ("      gender: [man, woman]", "      gender: [man, woman, OFF]",
     "models.predictions.age_by_gender.gender: OFF is read by YAML as false"),
    ("    man: Men\n", "    man: Men\n    ON: Ontario\n",
     "report.words: the key ON is read by YAML as true, not as the text ON; write it in "
     "quotes: 'ON'"),
    ("    man: Men\n", "    Men: yes\n", "report.words.Men: yes is read by YAML as true"),
    ("  reference_levels:\n", "  reference_levels:\n    on: x\n",
     "models.reference_levels: the key on is read by YAML as true"),
    # a group coded NO wherever a group is named: its reference level and the report's samples
    ("    country: UK\n", "    country: NO\n",
     "models.reference_levels.country: NO is read by YAML as false"),
    ("    forest_sample: pooled", "    forest_sample: NO",
     "report.figures.forest_sample: NO is read by YAML as false"),
    ("    group_samples: groups", "    group_samples: [UK, NO]",
     "report.figures.group_samples: NO is read by YAML as false"),
    ("        samples: [pooled]\n        outcomes: null",
     "        samples: [pooled, Off]\n        outcomes: null",
     "report.tables.models.pooled_any.samples: Off is read by YAML as false"),
])
def test_each_place_names_the_word(tmp_path, codebook, old, new, needle):
    assert old in CONFIG
    message = refusal(tmp_path, CONFIG.replace(old, new), codebook)
    assert message is not None and needle in message, message
    assert "True" not in message and "False" not in message


@pytest.mark.parametrize("old, new", [
    ("  synthetic: true", "  synthetic: yes"),
    ("    stars: false ", "    stars: off "),
    ("  group_effects: true", "  group_effects: On"),
])
def test_booleans_the_schema_takes_stay_accepted(tmp_path, codebook, old, new):
    assert old in CONFIG
    assert refusal(tmp_path, CONFIG.replace(old, new), codebook) is None


def test_without_the_file_the_boolean_is_still_refused(codebook):
    """A config given as a dict (no file to read again): the old words, and a boolean key."""
    cfg = safe_load(CONFIG)
    cfg["report"]["words"][True] = "Ontario"
    with pytest.raises(ConfigError, match="report.words.True: a key YAML read as true"):
        load_settings(copy.deepcopy(cfg), codebook)


def codebook_refusal(tmp_path, old, new) -> str | None:
    text = (ROOT / "config" / "codebook.yaml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "cb.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    try:
        load_codebook(path)
    except ConfigError as exc:
        return str(exc)
    return None


def test_the_codebook_reads_group_names_and_codes_as_written(tmp_path):
    """ON, NO, Y, N unquoted are text in the codebook (as group names, codes, where values)."""
    assert codebook_refusal(tmp_path, "\n  DK:\n    file: data/raw/DK_2008.sav",
                            "\n  ON:\n    file: data/raw/DK_2008.sav\n    where: {REGION: NO}"
                            ) is None


@pytest.mark.parametrize("old, new, needle", [
    ('codes: {1: "yes", 2: "no"},\n                    levels: ["no", "yes"], label: "Informed '
     'by government about community safety"',
     'codes: {TRUE: "yes", FALSE: "no"},\n                    levels: ["no", "yes"], label: '
     '"Informed by government about community safety"',
     ", line 128: variables.informed_safety.codes: the key TRUE is read by YAML as true, not "
     "as the text TRUE; write it in quotes: 'TRUE'"),
    ("\n  DK:\n    file: data/raw/DK_2008.sav", "\n  DK:\n    file: data/raw/DK_2008.sav\n"
     "    where: {FLAG: true}", "groups.DK.where.FLAG: true is read by YAML as true"),
    ("\n  DK:\n", "\n  false:\n", "groups: the key false is read by YAML as false"),
])
def test_the_codebook_names_its_true_and_false_the_same_way(tmp_path, old, new, needle):
    message = codebook_refusal(tmp_path, old, new)
    assert message is not None and needle in message, message
    assert message.startswith(str(tmp_path / "cb.yaml"))


def test_a_recursive_alias_is_walked_once(tmp_path):
    """``&x {a: *x}`` holds itself: the words and the key check end (the schema says what is
    wrong), as the reader's own checks do."""
    words = text_words("a: &x {b: *x, c: on, d: [*x]}\n", "f.yaml")
    assert list(words) == [("a", "c")]
    path = tmp_path / "cb.yaml"
    path.write_text("variables: &x {a: *x, true: 1}\ngroups: {A: {file: a.csv}}\n",
                    encoding="utf-8")
    with pytest.raises(ConfigError, match="line 1: variables: the key true is read by YAML"):
        load_codebook(path)
