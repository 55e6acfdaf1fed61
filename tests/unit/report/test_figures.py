"""Figures from hand-made tidy tables: titles and labels in words, failed models shown as such,
and byte-identical files when saved twice."""
import _report_data as D
import matplotlib
import numpy as np
import pytest
from conftest import fast_first
from matplotlib.figure import Figure

from coprod.pipeline.designkeys import DesignSettings
from coprod.pipeline.reportsettings import FigureSettings, ReportSettings
from coprod.pipeline.settings import load_settings
from coprod.report import figstyle as S
from coprod.report import figures as F
from coprod.report import pdffonts
from coprod.report.wording import Grouping

MODEL_KW = dict(covariates=D.COVARIATES, reference_levels=D.REFERENCE, levels=D.LEVELS,
                labels=D.LABELS, words=D.WORDS)


def make(name):
    return {
        "prevalence": lambda: F.prevalence_figure(D.prevalence(), words=D.WORDS,
                                                  group_label="Country"),
        "forest": lambda: F.forest_figure(D.coefficients(), D.fit(), sample="pooled",
                                          outcomes=D.OUTCOMES, **MODEL_KW),
        "forest_failed": lambda: F.forest_figure(D.coefficients(), D.fit(), sample="FR",
                                                 outcomes=D.OUTCOMES, **MODEL_KW),
        "groups": lambda: F.groups_forest_figure(D.coefficients(), D.fit(),
                                                    samples=["UK", "FR"], outcomes=D.OUTCOMES,
                                                    group_label="Country", **MODEL_KW),
        "age": lambda: F.prediction_figure(D.predictions(), D.fit(), grid="age_by_gender",
                                           x="age", by="gender", outcomes=D.OUTCOMES,
                                           sample="pooled", labels=D.LABELS, words=D.WORDS),
        "efficacy": lambda: F.prediction_figure(D.predictions(), D.fit(), grid="self_efficacy",
                                                x="self_efficacy", outcomes=D.OUTCOMES,
                                                sample="pooled", labels=D.LABELS,
                                                words=D.WORDS),
        "cleaning": lambda: F.cleaning_figure(D.cleaning_summary(), group_label="Country"),
    }[name]()


ALL = ["prevalence", "forest", "forest_failed", "groups", "age", "efficacy", "cleaning"]


def texts(fig):
    out = [t.get_text() for t in fig.texts]
    for ax in fig.axes:
        out += [ax.get_title(loc) for loc in ("left", "center", "right")]
        out += [t.get_text() for t in ax.texts]
    return " | ".join(out)


@pytest.mark.parametrize("name", ALL)
def test_every_figure_has_a_title_and_labelled_axes(name):
    fig = make(name)
    assert isinstance(fig, Figure)
    assert fig._suptitle is not None and fig._suptitle.get_text().strip()
    for ax in [a for a in fig.axes if a.get_visible()]:
        # a row of panels sharing their x axis may name it once, under one of them; panels
        # each on an axis of their own (the groups' forest plot), once under the last row
        shared = [a for a in ax.get_shared_x_axes().get_siblings(ax) if a.get_visible()]
        last_row = [a for a in fig.axes if a.get_visible() and a.get_subplotspec() is not None
                    and a.get_subplotspec().is_last_row()]
        assert any(a.get_xlabel().strip() for a in shared) or (
            ax.get_gridspec().ncols > 1 and any(a.get_xlabel().strip() for a in last_row)), \
            f"{name}: an x axis has no label"
        ylabels = [t.get_text() for t in ax.get_yticklabels()]
        assert ax.get_ylabel().strip() or any(ylabels) or not ax.get_yaxis().get_visible() \
            or ax.get_shared_y_axes().get_siblings(ax) != [ax], f"{name}: a y axis has no label"
    # variable names never show where words are available
    assert "self_efficacy" not in texts(fig) + fig.axes[0].get_xlabel()
    matplotlib.pyplot.close(fig)


def test_forest_rows_are_levels_in_words_with_references():
    """report.figures.reference_rows: true, a row per reference level; false (the default),
    each level's row names its reference instead."""
    fig = F.forest_figure(D.coefficients(), D.fit(), sample="pooled", outcomes=D.OUTCOMES,
                          settings=FigureSettings(reference_rows=True), **MODEL_KW)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "Age (years)"
    assert "Gender: man (ref.)" in labels and "Gender: woman" in labels
    assert "Education: low (ref.)" in labels and "Country: FR" in labels
    assert not any("[T." in lab for lab in labels)
    default = [t.get_text() for t in make("forest").axes[0].get_yticklabels()]
    assert "Gender: woman vs man" in default and "Country: FR vs UK" in default
    assert not any("(ref.)" in lab for lab in default)
    assert len(labels) - len(default) == 3  # gender, education, country: one row each less
    fig = make("forest")
    assert not any("[T." in lab for lab in default)
    assert fig.axes[0].get_xscale() == "log"
    assert any(abs(line.get_xdata()[0] - 1) < 1e-12 for line in fig.axes[0].lines
               if len(line.get_xdata()) == 2)  # the reference line at 1


def test_a_failed_model_is_a_note_not_an_estimate():
    fig = make("forest_failed")
    individual, collective = fig.axes[:2]
    assert len(individual.containers) == 1  # one errorbar set
    assert len(collective.containers) == 0
    assert "Model failed" in " ".join(t.get_text() for t in collective.texts)
    assert "model failed" in S.subtitle(fig)  # the subtitle says it too


def test_flagged_and_failed_models_are_marked_in_small_multiples():
    fig = make("groups")
    uk, fr = fig.axes[:2]
    assert uk.get_title("left").endswith("†") and fr.get_title("left").endswith("†")
    sub = S.subtitle(fig)
    assert "Individual, flagged" in sub and "Collective: model failed" in sub
    assert len(fr.containers) == 1  # only the individual model is drawn for FR
    # each panel on an axis of its own, spanning its own intervals and 1 (issue 27: a shared
    # axis shrank most intervals to a dot)
    assert uk.get_xlim() != fr.get_xlim()
    for ax in (uk, fr):
        lo, hi = ax.get_xlim()
        for bars in ax.containers:
            segs = np.concatenate([s.get_segments() for s in bars.lines[2]])
            assert lo <= segs[..., 0].min() and segs[..., 0].max() <= hi
        assert lo < 1 < hi
    notes = S.notes(fig)  # the reasons at the figure's foot, not over a panel
    assert "Flagged (Individual, UK): lonely_psu" in notes and "Model failed (Collective, FR)" in notes


def test_sample_sizes_are_in_the_subtitle():
    assert "4,988" in S.subtitle(make("forest"))
    assert "UK\u00a0990" in S.subtitle(make("prevalence"))
    prev = D.prevalence()
    prev.loc[(prev["group"] == "FR") & (prev["outcome"] == "collective_any"), "n"] = 975
    assert "FR\u00a0975–990" in S.subtitle(F.prevalence_figure(prev))


def test_prediction_panels_and_lines():
    age = make("age")
    assert [ax.get_title() for ax in age.axes] == ["Individual, any domain",
                                                   "Collective, any domain"]
    assert [line.get_label() for line in age.axes[0].lines] == ["man", "woman"]
    eff = make("efficacy")
    assert len(eff.axes) == 1
    assert [line.get_label() for line in eff.axes[0].lines] == ["Individual", "Collective"]
    assert eff.axes[0].get_xlabel() == "Self-efficacy (1-4)"


def test_term_rows_order():
    rows = F.term_rows(D.coefficients(), D.COVARIATES, D.REFERENCE, D.LEVELS, D.LABELS)
    assert list(rows["variable"]) == ["age", "gender", "gender", "self_efficacy", "education",
                                      "education", "education", "country", "country"]
    assert list(rows["is_ref"]) == [False, True, False, False, True, False, False, True, False]


def test_group_outputs():
    got = F.group_outputs({"forest_pooled_png": "a.png", "forest_pooled_pdf": "a.pdf",
                           "cleaning_png": "c.png"})
    assert got == {"forest_pooled": {"png": "a.png", "pdf": "a.pdf"},
                   "cleaning": {"png": "c.png"}}


@pytest.mark.parametrize("name", fast_first(["forest", "groups", "prevalence"]))
def test_saving_twice_gives_identical_bytes(tmp_path, name):
    a = {"png": tmp_path / "a.png", "pdf": tmp_path / "a.pdf"}
    b = {"png": tmp_path / "b.png", "pdf": tmp_path / "b.pdf"}
    S.save_figure(make(name), a, dpi=100)
    # a user's matplotlib settings must not leak into the figure either
    with matplotlib.rc_context({"font.size": 20, "lines.linewidth": 5, "axes.grid": True}):
        S.save_figure(make(name), b, dpi=100)
    for fmt in ("png", "pdf"):
        assert a[fmt].read_bytes() == b[fmt].read_bytes(), fmt
    pdf = a["pdf"].read_bytes()
    assert b"CreationDate" not in pdf and b"Matplotlib" not in pdf
    assert b"Software" not in a["png"].read_bytes()


@pytest.mark.parametrize("name", fast_first(["forest", "age", "cleaning"]))
def test_layout_pass_alone_gives_matplotlibs_bytes(tmp_path, monkeypatch, name):
    """Before each save the house figure runs the constrained layout alone, not matplotlib's
    whole draw with drawing switched off (figstyle._HouseFigure): one draw a format instead of
    two, and the PNG and PDF byte for byte what matplotlib's own layout pass gives."""
    calls = []
    real = Figure.draw

    def counted(self, renderer):
        calls.append(type(renderer).__name__)
        return real(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    ours = {"png": tmp_path / "ours.png", "pdf": tmp_path / "ours.pdf"}
    S.save_figure(make(name), ours, dpi=100)
    ours_draws, calls[:] = list(calls), []
    monkeypatch.setattr(S._HouseFigure, "draw", counted)  # matplotlib's own pass
    theirs = {"png": tmp_path / "theirs.png", "pdf": tmp_path / "theirs.pdf"}
    S.save_figure(make(name), theirs, dpi=100)
    assert len(ours_draws) == 2 and len(calls) == 4
    for fmt in ("png", "pdf"):
        assert ours[fmt].read_bytes() == theirs[fmt].read_bytes(), fmt


def test_pdf_font_subsets_made_once_a_process_give_the_same_bytes(tmp_path, monkeypatch):
    """A PDF's Type 42 font subsets are made once a process and reused (pdffonts.SUBSETS):
    the second figure's PDF is byte for byte what a process that never saw the first writes,
    the subsets stay Type 42 (CIDFontType2 with an embedded FontFile2), and matplotlib's own
    subsetting is back in place after each save."""
    from matplotlib.backends import _backend_pdf_ps as pdf_ps

    original = pdf_ps.get_glyphs_subset
    made = []

    def counted(fontfile, glyphs):
        made.append(frozenset(glyphs))
        return original(fontfile, glyphs)

    monkeypatch.setattr(pdf_ps, "get_glyphs_subset", counted)
    pdffonts.forget()
    S.save_figure(make("forest"), {"pdf": tmp_path / "warm1.pdf"}, dpi=100)
    first = len(made)
    S.save_figure(make("forest"), {"pdf": tmp_path / "warm2.pdf"}, dpi=100)
    assert first > 0 and len(made) == first  # the same glyphs: no subset made again
    assert pdf_ps.get_glyphs_subset is counted
    pdffonts.forget()  # a cold process
    S.save_figure(make("forest"), {"pdf": tmp_path / "cold.pdf"}, dpi=100)
    warm = (tmp_path / "warm2.pdf").read_bytes()
    assert warm == (tmp_path / "cold.pdf").read_bytes()
    assert b"/CIDFontType2" in warm and b"/FontFile2" in warm


def test_settings_change_the_figure(tmp_path):
    S.save_figure(make("cleaning"), {"png": tmp_path / "a.png"}, dpi=100)
    fig = F.cleaning_figure(D.cleaning_summary(), settings=FigureSettings.from_params({"width": 5.0, "dpi": 100}))
    assert fig.get_size_inches()[0] == 5.0
    S.save_figure(fig, {"png": tmp_path / "b.png"}, dpi=100)
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "b.png").read_bytes()


def test_run_figures_writes_every_format(tmp_path):
    from coprod.report.report import figure_names, report_settings

    paths = D.write_inputs(tmp_path)
    settings = report_settings(load_settings(D.config()))
    fs = FigureSettings.from_params(dict(settings["figures"], dpi=60))
    # every figure as PNG, the first in every format the schema offers too (embedding the
    # fonts in a PDF costs ~0.5 s a figure; the bundled run makes every figure's PDF)
    names = figure_names(ReportSettings.from_params(settings))
    outputs = {f"{s}_{f}": tmp_path / "fig" / f"{s}.{f}" for s in names
               for f in (["png", "pdf", "svg"] if s == names[0] else ["png"])}
    F.run_figures(prevalence=paths["prevalence"], coefficients=paths["coefficients"],
                  predictions=paths["predictions"], fit=paths["fit"],
                  cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
                  settings=fs, words=settings["words"], covariates=D.COVARIATES,
                  reference_levels=D.REFERENCE, levels=D.LEVELS, outputs=outputs)
    for path in outputs.values():
        assert path.stat().st_size > 1000, path


def test_every_model_failed_gives_notes_not_errors(tmp_path):
    from coprod.report.tables import read_results

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    coefs, preds = read_results(empty, "coefficients"), read_results(empty, "predictions")
    failed = [(o, s) for o in D.OUTCOMES for s in D.SAMPLES]
    fit = D.fit(failed=failed)
    forest = F.forest_figure(coefs, fit, sample="pooled", outcomes=D.OUTCOMES, **MODEL_KW)
    assert all("Model failed" in " ".join(t.get_text() for t in ax.texts)
               for ax in forest.axes)
    groups = F.groups_forest_figure(coefs, fit, samples=["UK", "FR"], outcomes=D.OUTCOMES,
                                       **MODEL_KW)
    assert all(len(ax.containers) == 0 for ax in groups.axes)
    age = F.prediction_figure(preds, fit, grid="age_by_gender", x="age", by="gender",
                              outcomes=D.OUTCOMES, sample="pooled")
    assert all(not ax.lines for ax in age.axes)


# -- any survey: long titles, one group, other group columns, the variance used --------------

def _inside(fig, artist):
    """Does ``artist`` lie within the figure (drawn, in pixels)?"""
    fig.canvas.draw()
    box, page = artist.get_window_extent(), fig.bbox
    return box.x0 >= page.x0 - 0.5 and box.x1 <= page.x1 + 0.5 and box.y1 <= page.y1 + 0.5


def test_a_long_title_wraps_within_the_figure():
    subject = ("participation in every kind of voluntary, civic and political activity "
               "reported by the respondents of the survey")
    fig = F.forest_figure(D.coefficients(), D.fit(), sample="pooled", outcomes=D.OUTCOMES,
                          settings=FigureSettings(subject=subject, width=5.0), **MODEL_KW)
    title = fig._suptitle
    assert title.get_text().count("\n") >= 1
    assert " ".join(title.get_text().split()) == \
        f"Correlates of {subject}: odds ratios, All countries (pooled)"
    assert _inside(fig, title)
    sub = next(t for t in fig.texts if t.get_gid() == "subtitle")
    assert _inside(fig, sub)
    assert sub.get_window_extent().y1 <= title.get_window_extent().y0 + 1  # below, no overlap
    short = make("forest")
    assert "\n" not in short._suptitle.get_text()  # a title that fits keeps one line
    matplotlib.pyplot.close("all")


def test_wrap_to_width_measures_the_font():
    lines = S.wrap_to_width("a " * 200, 2.0, 9)
    assert len(lines) > 3 and all(len(x) <= 2 * 40 for x in lines)
    assert S.wrap_to_width("n\u00a01,000 UK", 10.0, 9) == ["n\u00a01,000 UK"]
    assert S.wrap_to_width("", 5.0, 9) == [""]


def test_one_group_prevalence_is_not_by_group():
    fig = F.prevalence_figure(D.prevalence(groups=(("UK", 0.0),)), words=D.WORDS,
                              group_label="Region", settings=FigureSettings.from_params({"subject": "voting"}))
    assert fig._suptitle.get_text() == "Prevalence of voting, by domain"
    two = F.prevalence_figure(D.prevalence(), group_label="Region",
                              settings=FigureSettings.from_params({"subject": "voting"}))
    assert two._suptitle.get_text() == "Prevalence of voting, by region and domain"
    matplotlib.pyplot.close("all")


def test_the_whole_sample_comes_first_in_its_words_apart_from_the_groups():
    """The descriptives' whole-sample rows (group pooled) are drawn first, named by
    report.words and set apart by a line; the groups keep their own names."""
    fig = make("prevalence")
    ax = fig.axes[0]
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    assert ticks == [D.WORDS["pooled"], "UK", "FR"]
    assert f"{D.WORDS['pooled']}\u00a0990, UK\u00a0990" in S.subtitle(fig)  # its word
    assert [tuple(line.get_xdata()) for line in ax.get_lines() if line.get_linestyle() == ":"] \
        == [(0.5, 0.5)]
    dots = [c for c in ax.containers]  # one error bar per outcome kind, over the three samples
    assert len(dots[0].lines[0].get_xdata()) == 3
    alone = F.prevalence_figure(D.prevalence(groups=(("UK", 0.0),)), words=D.WORDS)
    assert [t.get_text() for t in alone.axes[0].get_xticklabels()] == ["UK"]
    assert not [line for line in alone.axes[0].get_lines() if line.get_linestyle() == ":"]
    matplotlib.pyplot.close("all")


def test_cleaning_figure_reads_any_group_column():
    summary = D.cleaning_summary().rename(columns={"country": "region"})
    fig = F.cleaning_figure(summary, group_label="Region")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["UK", "FR"]  # first on top
    assert ax.get_ylabel() == "Region"
    matplotlib.pyplot.close(fig)


def test_run_figures_with_a_region_survey_and_model_based_errors(tmp_path, monkeypatch):
    from coprod.report.report import figure_names, report_settings

    paths = D.write_inputs(tmp_path, group_column="region", group_label="Region")
    cfg = D.config()
    cfg["groups"] = {"column": "region", "label": "Region"}
    settings = report_settings(load_settings(cfg))
    made = {}
    real = F.save_figure

    def keep(fig, paths_, **kw):  # keep each figure's texts, then save as usual
        made[next(iter(paths_.values())).rsplit("/", 1)[-1]] = (fig._suptitle.get_text(),
                                                               S.subtitle(fig))
        real(fig, paths_, **kw)
    monkeypatch.setattr(F, "save_figure", keep)
    outputs = {f"{s}_png": str(tmp_path / "fig" / f"{s}.png") for s in figure_names(ReportSettings.from_params(settings))}
    F.run_figures(prevalence=paths["prevalence"], coefficients=paths["coefficients"],
                  predictions=paths["predictions"], fit=paths["fit"],
                  cleaning_summary=paths["cleaning_summary"], clean_table=paths["clean_table"],
                  settings=FigureSettings.from_params(dict(settings["figures"], dpi=50)),
                  words=settings["words"],
                  covariates=D.COVARIATES, reference_levels={"region": "UK"}, levels=D.LEVELS,
                  subject="voting", design=DesignSettings.from_params({"model_based": True}),
                  grouping=Grouping("region", "Region", True),
                  outputs=outputs)
    assert made["prevalence.png"][0] == "Prevalence of voting, by region and domain"
    assert "95% model-based confidence intervals" in made["prevalence.png"][1]
    assert made["forest_groups.png"][0] == "Correlates of voting by region: odds ratios"
    for path in outputs.values():
        assert (tmp_path / "fig" / path.rsplit("/", 1)[-1]).stat().st_size > 1000


def test_titles_can_be_left_to_the_caption():
    """report.figures.titles: false (journal export) draws no title or subtitle; the figure is
    shorter by the title band and keeps its panels."""
    from coprod.report.figstyle import new_figure, style_settings

    with_title, _ = new_figure(2.0, style_settings(None), "A title", "n = 10")
    bare, axes = new_figure(2.0, FigureSettings(titles=False), "A title", "n = 10")
    assert bare._suptitle is None and not [t for t in bare.texts if t.get_gid() == "subtitle"]
    assert bare.get_size_inches()[1] < with_title.get_size_inches()[1]
    assert axes.shape == (1, 1)


def test_per_units_must_name_a_numeric_covariate():
    from coprod.errors import ConfigError
    from coprod.report.report import report_settings

    cfg = D.config()
    cfg["report"] = {**cfg.get("report", {}), "per": {"gender": 10}}
    levels = {**D.LEVELS, "age": None, "self_efficacy": None}  # numbers have no levels
    with pytest.raises(ConfigError, match="report.per: 'gender' is not a numeric covariate"):
        report_settings(load_settings(cfg), levels=levels)
    cfg["report"]["per"] = {"age": 10}
    assert report_settings(load_settings(cfg), levels=levels)["figures"]["per"] == {"age": 10}


def test_dollar_signs_in_users_text_are_drawn_as_text_not_mathtext(tmp_path):
    """Labels, levels, words and group names are users' text: "Age ($ years $)" must not turn
    into italic mathtext, nor "$\\frac{" (not valid mathtext) stop the figure."""
    import io

    from matplotlib.text import Text

    labels = {**D.LABELS, "age": "Age ($ years $)", "gender": "Gender $\\frac{"}
    words = {**D.WORDS, "pooled": "All ($) countries $x$"}
    figs = [F.forest_figure(D.coefficients(), D.fit(), sample="pooled", outcomes=D.OUTCOMES,
                            covariates=D.COVARIATES, reference_levels=D.REFERENCE,
                            levels=D.LEVELS, labels=labels, words=words),
            F.prediction_figure(D.predictions(), D.fit(), grid="age_by_gender", x="age",
                                by="gender", outcomes=D.OUTCOMES, sample="pooled",
                                labels=labels, words=words),
            F.prevalence_figure(D.prevalence(groups=(("U$K$", 0.0), ("FR", -0.05))),
                                words=words, group_label="Country ($)")]
    for fig in figs:
        fig.savefig(io.BytesIO(), format="png", dpi=40)  # drawn: mathtext would raise here
        dollars = [t for t in fig.findobj(Text) if "$" in t.get_text()]
        assert dollars, "the test strings did not reach the figure"
        assert all(not t._preprocess_math(t.get_text())[1] for t in dollars), \
            [t.get_text() for t in dollars]
        matplotlib.pyplot.close(fig)
