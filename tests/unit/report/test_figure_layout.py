"""Where things land in the figures, measured on the drawn figure (issue 27): notes below the
panels, never over them; panel titles and group names that do not run into each other; a
column-wide variant with no text under 7 pt; one colour per concept; no empty row at the end
of a forest plot."""
import _report_data as D
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import fast_first
from matplotlib.colors import to_hex

from coprod.pipeline.reportsettings import FigureSettings
from coprod.report import figstyle as S
from coprod.report import figures as F
from coprod.report import forest as FO
from coprod.report.speccurve import spec_curve_figure

MODEL_KW = dict(covariates=D.COVARIATES, reference_levels=D.REFERENCE, levels=D.LEVELS,
                labels=D.LABELS, words=D.WORDS)
LONG = {**D.WORDS, "UK": "non-Hispanic white", "FR": "non-Hispanic black"}


def drawn(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def notes_text(fig):
    return next(t for t in fig.texts if t.get_gid() == "notes")


def test_flag_notes_lie_below_every_panel_and_legend():
    """A flagged model (UK, Individual) and a failed one (FR, Collective): the reasons are at
    the figure's foot, below every panel and the key, whole (no word cut at a panel's edge)."""
    for fig in (F.forest_figure(D.coefficients(), D.fit(), sample="UK", outcomes=D.OUTCOMES,
                                **MODEL_KW),
                F.forest_figure(D.coefficients(), D.fit(), sample="FR", outcomes=D.OUTCOMES,
                                **MODEL_KW),
                F.groups_forest_figure(D.coefficients(), D.fit(), samples=["UK", "FR"],
                                       outcomes=D.OUTCOMES, group_label="Country",
                                       **MODEL_KW)):
        r = drawn(fig)
        note = notes_text(fig)
        assert "lonely_psu: strata with a single PSU" in note.get_text() or \
            "Model failed" in note.get_text()
        box = note.get_window_extent(r)
        for ax in fig.axes:
            assert box.y1 <= ax.get_tightbbox(r).y0 + 1, "a note reaches into a panel"
            assert not any("lonely_psu" in t.get_text() for t in ax.texts)
        for leg in fig.legends:
            assert box.y1 <= leg.get_window_extent(r).y0 + 1
        assert box.x1 <= fig.bbox.x1 and box.y0 >= fig.bbox.y0  # inside the figure
        plt.close(fig)


def test_a_flagged_prediction_model_is_noted_at_the_foot_not_in_the_panel():
    fig = F.prediction_figure(D.predictions(), D.fit(flagged=(("individual_any", "pooled"),)),
                              grid="age_by_gender", x="age", by="gender", outcomes=D.OUTCOMES,
                              sample="pooled", labels=D.LABELS, words=D.WORDS)
    assert "Flagged (Individual co-production, any domain): lonely_psu" in S.notes(fig) or \
        "Flagged (" in S.notes(fig)
    assert fig.axes[0].get_title().endswith("(flagged)")
    assert not any("lonely_psu" in t.get_text() for ax in fig.axes for t in ax.texts)
    plt.close(fig)


def test_a_term_not_estimated_is_marked_inside_its_panel():
    """issue 27: "not estimated" ran into the next panel; now an x at the panel's left edge,
    explained in the notes."""
    coefs = D.coefficients()
    gone = (coefs["sample"] == "UK") & (coefs["term"] == "education[T.medium]")
    coefs.loc[gone, [c for c in coefs.columns if c in (
        "estimate", "conf_low", "conf_high", "odds_ratio", "or_conf_low", "or_conf_high")]] = \
        np.nan
    fig = F.groups_forest_figure(coefs, D.fit(), samples=["UK", "FR"], outcomes=D.OUTCOMES,
                                 group_label="Country", **MODEL_KW)
    r = drawn(fig)
    uk = fig.axes[0]
    marks = [ln for ln in uk.get_lines() if ln.get_gid() == "not-estimated"]
    assert len(marks) == 2  # both outcomes of UK
    panel = uk.get_window_extent(r)
    for ln in marks:
        box = ln.get_window_extent(r)
        assert panel.x0 <= box.x0 and box.x1 <= panel.x1
    assert "could not estimate" in S.notes(fig)
    assert not any("not estimated" in t.get_text() for ax in fig.axes for t in ax.texts)
    plt.close(fig)


@pytest.mark.parametrize("width", fast_first(["column", "full"]))
def test_long_group_names_do_not_collide(width):
    """NHANES' groups ("non-Hispanic white", "non-Hispanic black"): panel titles and the
    prevalence figure's group names wrap and never overlap their neighbours."""
    s = FigureSettings(width=width)
    groups = F.groups_forest_figure(D.coefficients(), D.fit(), samples=["UK", "FR", "pooled"],
                                    outcomes=D.OUTCOMES, group_label="Race", settings=s,
                                    **{**MODEL_KW, "words": LONG})
    r = drawn(groups)
    titles = [ax._left_title.get_window_extent(r) for ax in groups.axes if ax.get_visible()]
    for a, b in zip(titles, titles[1:]):
        assert not a.overlaps(b)
    prev = D.prevalence(groups=(("non-Hispanic white", 0.0), ("non-Hispanic black", -0.05),
                                ("Hispanic", 0.02), ("other", 0.01)))
    fig = F.prevalence_figure(prev, words=D.WORDS, group_label="Race", settings=s)
    r = drawn(fig)
    for ax in fig.axes:
        ticks = [t.get_window_extent(r) for t in ax.get_xticklabels() if t.get_text()]
        for a, b in zip(ticks, ticks[1:]):
            assert not a.overlaps(b)
    plt.close("all")


@pytest.mark.parametrize("width", fast_first(["column", "full"]))
def test_a_long_name_of_the_whole_sample_stands_upright_alone(width):
    """The whole sample's word with a word too long for its slot ("Gesamtstichprobe") stands
    upright while the groups' names stay level; the figure grows by it, so the panels keep
    the height they have with a short word, and no name overlaps another."""
    s = FigureSettings(width=width)
    heights, rotations = {}, {}
    prev = D.prevalence(groups=(("UK", 0.0), ("FR", -0.05), ("DE", 0.02), ("DK", 0.03)))
    for whole in ("all", "Gesamtstichprobe (alle L\u00e4nder)"):
        fig = F.prevalence_figure(prev, words={**D.WORDS, "pooled": whole}, settings=s)
        r = drawn(fig)
        ax = fig.axes[0]
        heights[whole] = ax.get_window_extent(r).height / fig.dpi
        rotations[whole] = [t.get_rotation() for t in ax.get_xticklabels()]
        ticks = [t.get_window_extent(r) for t in ax.get_xticklabels()]
        for a, b in zip(ticks, ticks[1:]):
            assert not a.overlaps(b)
    assert list(rotations.values()) == [[0] * 5, [90] + [0] * 4]
    short, long = heights.values()
    assert long == pytest.approx(short, rel=0.05)
    plt.close("all")


def _all_figures(settings):
    specs = pd.DataFrame({"claim": "c", "verdict": ["supported", "contradicted", "inconclusive"],
                          "estimate": [0.2, -0.1, 0.05], "conf_low": [0.1, -0.2, -0.05],
                          "conf_high": [0.3, -0.01, 0.15], "threshold": ["often", "sometimes",
                                                                         "often"]})
    return {
        "prevalence": F.prevalence_figure(D.prevalence(), words=D.WORDS, settings=settings),
        "forest": F.forest_figure(D.coefficients(), D.fit(), sample="FR", outcomes=D.OUTCOMES,
                                  settings=settings, **MODEL_KW),
        "groups": F.groups_forest_figure(D.coefficients(), D.fit(), samples=["UK", "FR"],
                                         outcomes=D.OUTCOMES, settings=settings, **MODEL_KW),
        "age": F.prediction_figure(D.predictions(), D.fit(), grid="age_by_gender", x="age",
                                   by="gender", outcomes=D.OUTCOMES, sample="pooled",
                                   labels=D.LABELS, words=D.WORDS, settings=settings),
        "cleaning": F.cleaning_figure(D.cleaning_summary(), settings=settings),
        "spec": spec_curve_figure(specs, claim="A claim", settings=settings),
    }


def test_the_column_variant_is_column_wide_with_legible_text():
    """report.figures.width: column -- 3.5 in wide, every text at least 7 pt at print size and
    inside the figure; full (the default) stays 7 in."""
    for name, fig in _all_figures(FigureSettings(width="column")).items():
        r = drawn(fig)
        assert fig.get_size_inches()[0] == pytest.approx(3.5), name
        texts = [t for t in fig.findobj(lambda a: hasattr(a, "get_fontsize")
                                        and hasattr(a, "get_text"))
                 if t.get_visible() and t.get_text().strip()]
        assert texts
        small = [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < 7]
        assert small == [], f"{name}: {small[:5]}"
        drawn_boxes = [(ax.get_title(), ax.get_tightbbox(r)) for ax in fig.axes
                       if ax.get_visible()]  # what each panel drew: ticks, labels, texts
        drawn_boxes += [(t.get_text(), t.get_window_extent(r)) for t in fig.texts]
        drawn_boxes += [("legend", leg.get_window_extent(r)) for leg in fig.legends]
        for what, box in drawn_boxes:
            assert box.x0 >= fig.bbox.x0 - 2 and box.x1 <= fig.bbox.x1 + 2, \
                f"{name}: {what!r} runs off the figure"
        plt.close(fig)
    assert _all_figures(FigureSettings())["forest"].get_size_inches()[0] == pytest.approx(7.0)
    plt.close("all")


def test_one_colour_per_concept():
    """The outcomes' colours mean the outcomes in every figure; the lines of a second
    variable, the cuts of a scale and the verdicts take colours of their own."""
    c = S.Concepts()
    outcome = {to_hex(x) for x in c.outcomes[:2]}
    prev = F.prevalence_figure(D.prevalence(), words=D.WORDS)
    forest = F.forest_figure(D.coefficients(), D.fit(), sample="pooled", outcomes=D.OUTCOMES,
                             **MODEL_KW)
    lines = F.prediction_figure(D.predictions(), D.fit(), grid="self_efficacy",
                                x="self_efficacy", outcomes=D.OUTCOMES, sample="pooled",
                                labels=D.LABELS, words=D.WORDS)
    first = {to_hex(prev.axes[0].containers[0].lines[0].get_color()),
             to_hex(forest.axes[0].containers[0].lines[0].get_color()),
             to_hex([ln for ln in lines.axes[0].get_lines()
                     if ln.get_label() == "Individual"][0].get_color())}
    assert first == {to_hex(c.outcomes[0])}
    others = {to_hex(x) for x in (*c.levels[:2], *c.cuts, *(v for _, v in c.verdicts))}
    assert not others & outcome
    assert len({to_hex(v) for k, v in c.verdicts if k in ("supported", "contradicted")}
               | {to_hex(x) for x in c.levels[:2]}) == 4
    plt.close("all")


def test_no_empty_row_ends_a_forest_plot():
    fig = F.forest_figure(D.coefficients(), D.fit(), sample="pooled", outcomes=D.OUTCOMES,
                          **MODEL_KW)
    ax = fig.axes[0]
    ticks = ax.get_yticks()
    lo, hi = ax.get_ylim()
    assert ticks.min() - lo == pytest.approx(hi - ticks.max())  # as much room below as above
    assert ticks.min() - lo < 1 and all(t.get_text() for t in ax.get_yticklabels())
    plt.close(fig)


def test_row_labels_wrap_in_a_column_wide_figure():
    rows = FO.term_rows(D.coefficients(), D.COVARIATES, D.REFERENCE, D.LEVELS,
                        {**D.LABELS, "education": "Highest level of education completed"},
                        reference_rows=False)
    wrapped = FO.wrapped_labels(rows, FigureSettings(width="column"))
    assert any("\n" in lab for lab in wrapped)
    assert all(S.text_width(line, 7.0) <= 0.4 * 3.5 + 1e-9
               for lab in wrapped for line in lab.split("\n") if " " in line)
