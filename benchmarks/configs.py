"""The configs the benchmarks run, derived from the bundled config as it is.

Why derived, not overridden key by key: the bundled config's keys depend on each other
(``specifications.missing: [imputed]`` needs ``imputation.analyses: both``; a specification
``family: ordinal`` needs the ordinal outcomes). Overriding one key on the command line
(``--config imputation=...``) broke every benchmark the day the bundled config turned the
specification curve on. Each derivation here removes a feature together with every key that
needs it, and ``tests/unit/pipeline/test_benchmark_configs.py`` runs each one through the same start-up checks
as ``snakemake`` (not its timing), so a new dependency fails the test suite, not the benchmark.
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "config" / "config.yaml"


def bundled() -> dict:
    return yaml.load(BUNDLED.read_text(encoding="utf-8"),  # noqa: S506 - a safe loader
                     Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def complete_cases(config: dict) -> dict:
    """Multiple imputation off: complete cases only, and no imputed specifications."""
    out = copy.deepcopy(config)
    out.setdefault("imputation", {})["analyses"] = "complete_case"
    spec = out.get("specifications")
    if spec and "missing" in spec:
        spec["missing"] = [m for m in spec["missing"] if m != "imputed"] or ["complete_case"]
    return out


def binary_only(config: dict) -> dict:
    """The 0/1 outcomes alone, complete cases: the work of benchmarks/baseline.py (no ordinal or
    count models, no robustness section, no ordinal specifications)."""
    out = complete_cases(config)
    m = out["models"]
    m["outcomes"] = [o for o in m["outcomes"] if isinstance(o, str)]
    m.pop("scales", None)
    spec = out.get("specifications")
    if spec and "family" in spec:
        spec["family"] = [f for f in spec["family"] if f == "logit"] or ["logit"]
    return out


def same_work(config: dict) -> dict:
    """:func:`binary_only` with one fit_models job a sample (models.jobs: per_sample), so that
    the pooled sample's models can be run alone, as benchmarks/baseline.py fits them (on small
    data, models.jobs: auto would fit every sample in the one job)."""
    out = binary_only(config)
    out["models"]["jobs"] = "per_sample"
    return out


#: name -> derivation, every config the benchmarks run besides the bundled one
DERIVED = {"complete_cases": complete_cases, "binary_only": binary_only,
           "same_work": same_work}


def write(config: dict, work: Path, name: str) -> str:
    """Write ``config`` into the project copy ``work``; the path to pass to --configfile."""
    rel = f"config/bench_{name}.yaml"
    (work / rel).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return rel
