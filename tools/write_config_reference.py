"""Render the config schema as the key reference in config/README.md (between the markers).

One source of truth: every key's type, default, meaning and example live in
workflow/schemas/config.schema.yaml; tests/unit/test_docs.py checks the README is in step.
"""
import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"


def _type(spec: dict) -> str:
    if "enum" in spec:
        return " or ".join(f"`{v}`" for v in spec["enum"])
    t = spec.get("type", "object" if "properties" in spec else "")
    t = t if isinstance(t, list) else [t]
    words = {"string": "text", "number": "number", "integer": "whole number", "boolean": "true/false",
             "array": "list", "object": "mapping", "null": "null"}
    return " or ".join(words.get(x, x) for x in t if x)


def _val(v) -> str:
    return "" if v is None and False else f"`{json.dumps(v, ensure_ascii=False)}`"


def rows(spec: dict, prefix: str = ""):
    required = set(spec.get("required", []))
    for key, sub in spec.get("properties", {}).items():
        name = f"{prefix}{key}"
        desc = " ".join((sub.get("description") or "").split())
        default = (_val(sub["default"]) if "default" in sub else
                   "**required**" if key in required else "optional")
        example = _val(sub["examples"][0]) if sub.get("examples") else ""
        yield name, _type(sub), default, desc, example
        if "properties" in sub:
            yield from rows(sub, name + ".")
        # entries of a mapping of named items (report.tables.models.<name>) and list items
        extra = sub.get("additionalProperties")
        if isinstance(extra, dict) and "properties" in extra:
            yield from rows(extra, name + ".<name>.")
        items = sub.get("items")
        if isinstance(items, dict) and "properties" in items:
            yield from rows(items, name + "[].")


def render(schema: dict) -> str:
    out = [START, "", "| key | type | default | meaning | example |", "|---|---|---|---|---|"]
    for name, t, d, desc, ex in rows(schema):
        out.append(f"| `{name}` | {t} | {d} | {desc.replace('|', '/')} | {ex} |")
    out += ["", END]
    return "\n".join(out)


def updated(readme: str, schema: dict) -> str:
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + render(schema) + tail


if __name__ == "__main__":
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    p = ROOT / "config" / "README.md"
    p.write_text(updated(p.read_text(encoding="utf-8"), schema), encoding="utf-8")
