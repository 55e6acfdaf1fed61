"""The codebook and claims files are read by libyaml when PyYAML has it, and by PyYAML's own
parser otherwise: the values (and refusals) must be the same either way."""
import pytest
import yaml

from coprod.errors import ConfigError
from coprod.pipeline.codebook import TextLoader, load_yaml

SAME = [
    "a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\ng: true\nh: False\n",
    "n: 1e3\nx: 0x1F\no: 010\ni: .inf\nm: 1_000\ns: 1:30\nd: 2008-02-28\nt: 2008-02-28 10:00:00\n",
    "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\nk: 1\n",
    "\ufeffsurvey: Überblick – «test»\r\nlabel: \"no\"\n",
    "codes:\n  1: \"yes\"\n  2: 'no'\n  3: Wow!\nnote: a!b\n",
]
PURE = [  # libyaml reads these differently from PyYAML: PyYAML's own parser decides
    "group_label:\tCountry\n", "a: b\t# comment\n", "x: !\n",
]


@pytest.mark.parametrize("text", SAME + PURE)
def test_the_values_are_pyyamls_own(tmp_path, text):
    p = tmp_path / "f.yaml"
    p.write_text(text, encoding="utf-8")
    try:
        want = yaml.load(text, Loader=TextLoader)  # noqa: S506 - a safe loader
    except yaml.YAMLError:
        with pytest.raises(ConfigError, match="not valid YAML"):
            load_yaml(p)
        return
    assert load_yaml(p) == want


def test_a_date_that_does_not_exist_is_named_not_a_bare_value_error(tmp_path):
    p = tmp_path / "cb.yaml"
    p.write_text("fielded: 2008-02-30\n")
    with pytest.raises(ConfigError, match=r"cb.yaml: not valid YAML: .*day is out of range"):
        load_yaml(p)
