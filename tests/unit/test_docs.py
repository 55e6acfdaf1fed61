"""Generated documentation is in step with its source."""
import sys

from catalogue import safe_load
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from write_config_reference import rows, updated  # noqa: E402


def test_config_reference_matches_the_schema():
    schema = safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    readme = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    assert readme == updated(readme, schema), "run `make docs`"
    assert all(desc for _, _, _, desc, _ in rows(schema)), "every key needs a description"


def test_every_codebook_key_is_documented():
    schema = safe_load((ROOT / "workflow" / "schemas" / "codebook.schema.yaml").read_text())
    readme = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    keys = set(schema["properties"]) | set(schema["definitions"]["variable"]["properties"])
    keys |= set(schema["properties"]["groups"]["additionalProperties"]["properties"])
    missing = [k for k in keys if f"{k}" not in readme]
    assert not missing, missing


def test_contributing_lists_every_module_in_its_layer():
    """CONTRIBUTING's "Where things live" names each module under its directory's bullet, and
    states the three directory rules the architecture test checks."""
    import re

    from test_architecture import ALLOWED, layer, modules

    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Where things live", 1)[1].split("\n## ", 1)[0]
    heads = re.findall(r"^- \*\*(`\w+/`|the base)[^*]*\*\*([^\n]*(?:\n(?!- )[^\n]*)*)",
                       section, flags=re.M)
    listed = {("" if h == "the base" else h.strip("`/")): set(re.findall(r"`(\w+)`", body))
              for h, body in heads}
    for module in modules():
        stem = module.rsplit(".", 1)[-1]
        if stem == "__init__":
            continue
        assert stem in listed.get(layer(module), set()), f"{module} not listed in CONTRIBUTING"
    assert set(listed) == set(ALLOWED)
    assert "imports nothing from `pipeline/` or `report/`" in section
    assert "imports `survey/`, never `report/`" in section
    assert "imports `pipeline/` (settings, result readers), never\n  `survey/`" in section


def test_the_claims_file_section_is_the_claims_reader():
    """config/README.md "The claims file": its table is the reader's own field list
    (coprod.pipeline.findings.CLAIM_FIELDS), word for word, and its example claims pass the
    reader's check against the bundled models (the last one skipped: its sample is not one)."""
    import re

    from coprod.pipeline.findings import CLAIM_FIELDS, check_claims

    readme = (ROOT / "config" / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- claim-fields:start -->", 1)[1].split("<!-- claim-fields:end -->")[0]
    assert [f"| `{k}` | {v} |" for k, v in CLAIM_FIELDS.items()] == \
        [line for line in table.strip().splitlines()[2:]]
    section = readme.split("## The claims file", 1)[1].split("\n## ", 1)[0]
    example = safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    claims = check_claims({**example, "path": "README"},
                          outcomes=["individual_any", "collective_any"],
                          covariates=["age", "gender", "self_efficacy"],
                          samples=["pooled", "UK"], contrast=["individual_any", "collective_any"],
                          levels={"gender": ["man", "woman"], "age": None,
                                  "self_efficacy": None})
    assert [("skip" in c) for c in claims] == [False, False, False, False, True]
    assert {k for c in example["claims"] for k in c} == set(CLAIM_FIELDS)  # each key shown
