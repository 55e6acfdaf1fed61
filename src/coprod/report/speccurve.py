"""The specification curves drawn: one figure per claim from the gathered specifications
(:mod:`coprod.pipeline.speccurve` fits them), and the sentence that counts them.
"""
from __future__ import annotations

from ..pipeline.estimable import SPEC_COUNTS, count_phrase
from ..pipeline.io import group_outputs, read_results
from .figures import save_figure, spec_curve_figure


def spec_sentence(row) -> str:
    """'supported in 24 of 48 estimable specifications (16 not estimable), contradicted in
    8'."""
    return count_phrase(*(int(row[k]) for k in SPEC_COUNTS[1:]), noun="specifications")


def run_speccurve(*, table, figures: dict, claims: dict, settings: dict) -> None:
    """Draw each claim's specification curve from the gathered table."""
    specs = read_results(table)
    for stem, paths in group_outputs(figures).items():
        cid = stem.removeprefix("spec_")
        fig = spec_curve_figure(specs[specs["claim"] == claims[cid]["id"]] if len(specs)
                                else specs, claim=claims[cid]["claim"],
                                settings=dict(settings))
        save_figure(fig, paths, dpi=int(settings["dpi"]), settings=dict(settings))
