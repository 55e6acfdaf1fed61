"""The prediction figure's lines stay apart for a reader with deuteranopia (issue 27: Men and
Women were #009E73 and #CC79A7, ΔE 17.9 once simulated, and lay on top of each other).

The measure: the line colours are simulated with the deuteranopia matrix of Machado, Oliveira
and Fernandes (2009, severity 1; applied to linear RGB) and compared in CIELAB (D65) as
ΔE*ab (CIE 1976). Two lines of one panel must
  1. differ in line style AND in marker (told apart in grey print too),
  2. differ by ΔE*ab >= 40 once simulated (2.3 is a just-noticeable difference; the old pair
     was 17.9, the new one, black and #CC79A7, is 63.4),
  3. each be named at its right end, in its own colour (no legend to match colours to).
"""
import _report_data as D
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.colors import to_rgb

from coprod.report import figures as F
from coprod.report.figstyle import Concepts

#: Machado, Oliveira & Fernandes (2009), deuteranopia, severity 1.0 (linear RGB)
DEUTERANOPIA = np.array([[0.367322, 0.860646, -0.227968],
                         [0.280085, 0.672501, 0.047413],
                         [-0.011820, 0.042940, 0.968881]])
#: the smallest simulated colour difference two lines of one panel may have
MIN_DELTA_E = 40.0

SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                        [0.2126729, 0.7151522, 0.0721750],
                        [0.0193339, 0.1191920, 0.9503041]])
D65 = np.array([0.95047, 1.0, 1.08883])


def linear(rgb):
    rgb = np.asarray(rgb, float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def encoded(rgb):
    rgb = np.clip(rgb, 0, 1)
    return np.where(rgb <= 0.0031308, 12.92 * rgb, 1.055 * rgb ** (1 / 2.4) - 0.055)


def deuteranopia(colour) -> np.ndarray:
    """The sRGB colour a reader with deuteranopia sees (Machado et al. 2009)."""
    return encoded(DEUTERANOPIA @ linear(to_rgb(colour)))


def lab(rgb) -> np.ndarray:
    t = SRGB_TO_XYZ @ linear(rgb) / D65
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e_deuteranopia(a, b) -> float:
    return float(np.linalg.norm(lab(deuteranopia(a)) - lab(deuteranopia(b))))


def test_the_measure_tells_the_old_pair_from_the_new():
    """The simulation reproduces the issue's figure (ΔE about 18 for the old pair), which the
    measure refuses, and passes the pair the figures use now."""
    assert delta_e_deuteranopia("#009E73", "#CC79A7") == pytest.approx(17.9, abs=0.1)
    assert delta_e_deuteranopia("#009E73", "#CC79A7") < MIN_DELTA_E
    c = Concepts()
    assert delta_e_deuteranopia(c.level(0)[0], c.level(1)[0]) >= MIN_DELTA_E
    # a colour simulated twice does not move (the matrix keeps what a deuteranope sees)
    grey = deuteranopia("#777777")
    assert np.allclose(grey, to_rgb("#777777"), atol=0.01)


def _data_lines(ax):
    return [ln for ln in ax.get_lines() if not str(ln.get_label()).startswith("_")]


@pytest.mark.parametrize("by", ["gender", None])
def test_prediction_lines_are_distinguishable_under_deuteranopia(by):
    """The figure as the report draws it: one panel per outcome with a line per gender, and
    one panel with a line per outcome."""
    fig = F.prediction_figure(D.predictions(), D.fit(), grid="age_by_gender" if by else
                              "self_efficacy", x="age" if by else "self_efficacy", by=by,
                              outcomes=D.OUTCOMES, sample="pooled", labels=D.LABELS,
                              words=D.WORDS)
    panels = [ax for ax in fig.axes if _data_lines(ax)]
    assert panels
    for ax in panels:
        lines = _data_lines(ax)
        assert len(lines) == 2
        a, b = lines
        assert a.get_linestyle() != b.get_linestyle()
        assert a.get_marker() != b.get_marker()
        delta = delta_e_deuteranopia(a.get_color(), b.get_color())
        assert delta >= MIN_DELTA_E, f"{ax.get_title()}: ΔE {delta:.1f} under deuteranopia"
        named = {t.get_text(): t.get_color() for t in ax.texts if t.get_gid() == "direct-label"}
        for line in lines:
            assert named.get(line.get_label()) == line.get_color(), named
    plt.close(fig)


def test_direct_labels_of_lines_that_meet_do_not_overlap():
    """Two lines ending at the same height (the Collective panel of the bundled figure): their
    names are pushed apart, each still led to its own line."""
    preds = D.predictions()
    at = preds["grid"] == "age_by_gender"
    same = preds[at].groupby(["outcome", "sample", "age"])["predicted"].transform("mean")
    preds.loc[at, "predicted"] = same
    fig = F.prediction_figure(preds, D.fit(), grid="age_by_gender", x="age", by="gender",
                              outcomes=D.OUTCOMES, sample="pooled", labels=D.LABELS,
                              words=D.WORDS)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "direct-label"]
        assert len(boxes) == 2
        assert not boxes[0].overlaps(boxes[1])
        assert any(ln.get_gid() == "direct-leader" for ln in ax.get_lines())
    plt.close(fig)
