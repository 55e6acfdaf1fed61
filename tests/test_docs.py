"""Generated documentation is in step with its source."""
import sys

import yaml
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from write_config_reference import rows, updated  # noqa: E402


def test_config_reference_matches_the_schema():
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    readme = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    assert readme == updated(readme, schema), "run `make docs`"
    assert all(desc for _, _, _, desc, _ in rows(schema)), "every key needs a description"


def test_every_codebook_key_is_documented():
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "codebook.schema.yaml").read_text())
    readme = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    keys = set(schema["properties"]) | set(schema["definitions"]["variable"]["properties"])
    keys |= set(schema["properties"]["groups"]["additionalProperties"]["properties"])
    missing = [k for k in keys if f"{k}" not in readme]
    assert not missing, missing
