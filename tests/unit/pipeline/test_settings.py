"""The settings loader (coprod.pipeline.settings): the config checked against its schema, its
defaults filled in from the schema in one place, the codebook read, all of it frozen and
typed; and the stages and the report take these objects, not dicts."""
import ast
import copy
from pathlib import Path

import pytest
from catalogue import safe_load

from coprod.errors import ConfigError
from coprod.pipeline.codebook import Codebook, load_codebook
from coprod.pipeline.reportsettings import ReportSettings
from coprod.pipeline.settings import Settings, fill_defaults, load_settings, thaw

ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT / "src" / "coprod"
SCHEMA = ROOT / "workflow" / "schemas" / "config.schema.yaml"

#: the parameter names a config or codebook dict travels under
DICT_NAMES = {"config", "cfg", "cb", "codebook", "conf"}
#: the names a SECTION of the config travels under: ``design`` (the config's ``design:``),
#: ``settings`` and ``figure_settings`` (the resolved ``report.figures`` / ``report.tables``,
#: or the report settings whole), ``report``, ``specifications`` and ``dims`` (the
#: specification curve's choices, as its jobs name them), ``imputation``, and ``grouping``
#: (groups.column, its word and models.group_effects, as the report resolves them). A section
#: is config structure (fixed keys, each read as a setting) just as the whole config is, so a
#: dict of it counts. Not counted: ``words`` (report.words: the user's name -> text mapping is
#: data, any key is as good as another, nothing reads a fixed key of it), and the ``params``
#: of the typed objects' own constructors (``from_params``: their plain form).
SECTION_NAMES = {"design", "settings", "figure_settings", "report", "specifications", "dims",
                 "imputation", "grouping"}
DICT_METHODS = {"get", "items", "keys", "values", "setdefault", "update", "pop"}
#: at most this many functions of pipeline/ and report/ take a raw config, codebook or config
#: section dict (the loader and its helpers; issue 26)
MOST = 5


def bundled() -> dict:
    return safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return load_codebook(ROOT / "config" / "codebook.yaml")


def _dict_params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    """The parameters of ``fn`` named like a config, a codebook or a config section that are
    dicts: annotated as a dict or mapping, or not annotated and subscripted or asked a dict's
    method in the body."""
    out = []
    args = fn.args
    for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]:
        if a.arg not in DICT_NAMES | SECTION_NAMES:
            continue
        if a.annotation is not None:
            text = ast.unparse(a.annotation).lower()
            if "dict" in text or "mapping" in text:
                out.append(a.arg)
            continue
        for node in ast.walk(fn):
            used = (isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name)
                    and node.value.id == a.arg) or \
                (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                 and node.value.id == a.arg and node.attr in DICT_METHODS)
            if used:
                out.append(a.arg)
                break
    return out


def raw_dict_functions() -> list[str]:
    """Every function of pipeline/ and report/ that takes a raw config, codebook or config
    section dict."""
    found = []
    for layer in ("pipeline", "report"):
        for path in sorted((SRC / layer).glob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    params = _dict_params(node)
                    if params:
                        found.append(f"{layer}/{path.name}:{node.lineno} "
                                     f"{node.name}({', '.join(params)})")
    return found


def test_at_most_five_functions_take_a_raw_config_or_codebook_dict():
    """The loader and its helpers take the config as parsed YAML; every other function takes
    the typed settings (Settings, DesignSettings, FigureSettings, TableSettings,
    ReportSettings, Specifications...), whichever section it needs."""
    found = raw_dict_functions()
    assert len(found) <= MOST, "functions that take a raw config, codebook or section " \
        "dict:\n" + "\n".join(found)


def test_the_count_sees_a_dict_parameter():
    """The counter finds each form (annotated, subscripted, asked .get) and leaves typed
    parameters and paths alone."""
    tree = ast.parse(
        "def a(config: dict): pass\n"
        "def b(cb): return cb['groups']\n"
        "def c(cfg): return cfg.get('x')\n"
        "def d(cb: Codebook): return cb.groups\n"
        "def e(codebook): return load(codebook)\n"
        "def f(conf: Mapping[str, int]): pass\n"
        "def g(design: dict | None = None): pass\n"
        "def h(*, settings): return settings.get('dpi')\n"
        "def i(design: DesignSettings, settings: FigureSettings): pass\n"
        "def j(words: dict, grouping: Grouping, params: Mapping): pass\n"
        "def k(dims: dict, report: Mapping, figure_settings: dict): pass\n"
        "def m(grouping: dict | None = None): pass\n")
    found = {fn.name: _dict_params(fn) for fn in tree.body if isinstance(fn, ast.FunctionDef)}
    assert found == {"a": ["config"], "b": ["cb"], "c": ["cfg"], "d": [], "e": [],
                     "f": ["conf"], "g": ["design"], "h": ["settings"], "i": [], "j": [],
                     "k": ["dims", "report", "figure_settings"], "m": ["grouping"]}


def test_defaults_are_filled_in_from_the_schema(codebook):
    cfg = bundled()
    del cfg["cleaning"], cfg["imputation"], cfg["report"]
    cfg["models"].pop("conf_level", None)
    schema = safe_load(SCHEMA.read_text(encoding="utf-8"))
    props = schema["properties"]
    s = load_settings(cfg, codebook)
    assert s.cleaning.threshold == props["cleaning"]["properties"]["threshold"]["default"]
    assert s.imputation.m == props["imputation"]["properties"]["m"]["default"]
    assert s.models.conf_level == props["models"]["properties"]["conf_level"]["default"]
    report = props["report"]["properties"]
    assert s.report["figures"]["dpi"] == report["figures"]["properties"]["dpi"]["default"]
    assert s.report_given == {}  # what the user wrote: nothing
    assert "cleaning" not in cfg  # the caller's dict as it was (in_place=False)


def test_the_one_filler_fills_what_snakemakes_validate_filled():
    """fill_defaults walks the config as Snakemake's validate(set_default=True) did (every
    ``properties`` the validator visits), so the rules read the same config as before."""
    from snakemake.utils import validate

    for edit in (lambda c: c, lambda c: c.pop("report"),
                 lambda c: c["report"]["tables"].update(models={"mine": {}}),
                 lambda c: c.pop("specifications")):
        theirs = bundled()
        edit(theirs)
        ours = copy.deepcopy(theirs)
        validate(theirs, str(SCHEMA), set_default=True)
        assert fill_defaults(ours) == theirs


def test_every_key_of_the_schema_is_a_field():
    """A key the schema gains must reach the typed sections (or it would be lost on the way)."""
    from dataclasses import fields

    from coprod.pipeline import settings as S

    props = safe_load(SCHEMA.read_text(encoding="utf-8"))["properties"]
    # (not config keys: the codebook, the report as written, the keys an empty list set aside)
    assert {f.name for f in fields(Settings)} - {"codebook", "report_given",
                                                 "set_aside"} == set(props)
    for kind, key in ((S.Data, "data"), (S.Groups, "groups"), (S.Cleaning, "cleaning"),
                      (S.Models, "models"), (S.Imputation, "imputation")):
        assert {f.name for f in fields(kind)} == set(props[key]["properties"]), key


def test_the_settings_refuse_assignment(codebook):
    from dataclasses import FrozenInstanceError

    s = load_settings(bundled(), codebook)
    with pytest.raises(FrozenInstanceError):
        s.models.conf_level = 0.9  # type: ignore[misc]
    with pytest.raises(FrozenInstanceError):
        s.models = s.models  # type: ignore[misc]
    with pytest.raises(TypeError):
        s.models.reference_levels["gender"] = "woman"  # type: ignore[index]
    with pytest.raises(TypeError):
        s.design["weights"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        s.models.covariates.append("age")  # type: ignore[attr-defined]
    with pytest.raises(TypeError):
        s.codebook.variables["age"]["label"] = "Years"  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        s.codebook.survey = "another"  # type: ignore[misc]


def test_a_bad_key_says_the_same_one_line(codebook):
    cfg = bundled()
    cfg["cleaning"]["treshold"] = "often"
    with pytest.raises(ConfigError) as err:
        load_settings(cfg, codebook)
    assert str(err.value) == ("config: unknown key 'cleaning.treshold' (did you mean "
                              "'threshold'?)")


def test_numbers_given_as_text_on_the_command_line_become_numbers(codebook):
    cfg = bundled()
    cfg["imputation"]["m"] = "50"  # snakemake --config imputation='{"m": 50}'
    assert load_settings(cfg, codebook).imputation.m == 50


def test_in_place_fills_snakemakes_config(codebook):
    cfg = bundled()
    del cfg["cleaning"]
    load_settings(cfg, codebook, in_place=True)
    assert cfg["cleaning"] == {"threshold": "often", "invalid_weight": "drop"}


def test_a_job_rebuilds_the_same_settings_from_its_params(codebook):
    """The report job gets the config's sections as params (filled in at start-up) and
    rebuilds the settings from them without checking again."""
    cfg = bundled()
    s = load_settings(cfg, codebook, in_place=True)
    params = {k: cfg[k] for k in ("data", "cleaning", "design", "models", "report", "groups")}
    job = Settings.from_filled(params, codebook)
    assert (job.models, job.design, job.data, job.groups, job.cleaning, job.report) == \
        (s.models, s.design, s.data, s.groups, s.cleaning, s.report)


def test_default_report_tables_keep_to_the_modelled_samples(codebook):
    """The report's default tables and forest sample (not set by the user) follow the samples
    modelled, also after the defaults are filled in (they were filled before the report read
    them, so a run without the pooled sample stopped)."""
    from coprod.pipeline.reportsettings import report_settings, table_names

    cfg = bundled()
    cfg["models"]["samples"] = ["UK", "FR"]
    cfg["models"].pop("contrast", None)
    del cfg["report"]["tables"]["models"], cfg["report"]["figures"]["forest_sample"]
    r = report_settings(load_settings(cfg, codebook, in_place=True))
    assert r["figures"]["forest_sample"] == "UK"
    assert "models_groups" in table_names(ReportSettings.from_params(r), contrast=False)
    assert "models_pooled" not in table_names(ReportSettings.from_params(r), contrast=False)


def test_the_design_section_is_typed_and_frozen(codebook):
    """settings.design is a DesignSettings: every key of the schema's design section a field
    (in the order the model jobs receive them), the schema's defaults its defaults, read-only,
    and its plain form the params the rules hand the jobs."""
    from dataclasses import FrozenInstanceError, fields

    from coprod.pipeline.designkeys import (
        DESIGN_KEYS,
        AsReplicates,
        Calibration,
        DesignSettings,
        design_settings,
    )

    props = safe_load(SCHEMA.read_text(encoding="utf-8"))["properties"]["design"]
    assert tuple(f.name for f in fields(DesignSettings)) == DESIGN_KEYS
    assert set(DESIGN_KEYS) == set(props["properties"])
    for f in fields(DesignSettings):
        if "default" in props["properties"][f.name]:
            assert f.default == props["properties"][f.name]["default"], f.name
    for kind, key in ((Calibration, "calibration"), (AsReplicates, "as_replicates")):
        sub = props["properties"][key]["properties"]
        assert {f.name for f in fields(kind)} == set(sub), key
        for f in fields(kind):
            if "default" in sub[f.name]:
                assert f.default == sub[f.name]["default"], (key, f.name)
    s = load_settings(bundled(), codebook)
    assert isinstance(s.design, DesignSettings)
    params = design_settings(thaw(s.design))  # what common.smk's design_params() hands a job
    assert DesignSettings.from_params(params) == s.design
    assert s.design.as_params() == params
    with pytest.raises(FrozenInstanceError):
        s.design.weights = None  # type: ignore[misc]
    assert s.design.replace(weights=None).weights is None and s.design.weights is not None
    cal = DesignSettings.from_params({"weights": "w", "calibration": {
        "method": "rake", "variables": ["sex"], "totals": "t.csv", "bounds": [0.5, 2]}})
    assert cal.calibration == Calibration("rake", ("sex",), "t.csv", (0.5, 2))
    assert cal.as_params()["calibration"]["bounds"] == [0.5, 2]
    with pytest.raises(ConfigError, match="design.wieghts: not a key of design"):
        DesignSettings.from_params({"wieghts": "w"})


def test_the_figure_settings_are_typed_and_frozen(codebook):
    """report.figures as the figure jobs read it: every key of the schema's section and every
    key the resolution adds a field (the figures rule's params read back whole), read-only."""
    from dataclasses import FrozenInstanceError, fields

    from coprod.pipeline.reportsettings import FigureSettings, report_settings

    props = safe_load(SCHEMA.read_text(encoding="utf-8"))["properties"]["report"]
    figure_keys = set(props["properties"]["figures"]["properties"])
    names = {f.name for f in fields(FigureSettings)}
    assert figure_keys <= names
    resolved = report_settings(load_settings(bundled(), codebook))["figures"]
    fs = FigureSettings.from_params(resolved)  # what scripts/figures.py does with its params
    assert set(resolved) <= names
    assert {k: v for k, v in fs.as_params().items() if k in resolved} == resolved
    with pytest.raises(FrozenInstanceError):
        fs.dpi = 72  # type: ignore[misc]
    assert fs.replace(conf_level=0.9).conf_level == 0.9 and fs.conf_level == 0.95
    with pytest.raises(ConfigError, match="report.figures.colour: not a figure setting"):
        FigureSettings.from_params({"colour": "red"})
