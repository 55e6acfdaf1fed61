"""coprod.report: presentation of the pipeline's results: the words
(:mod:`~coprod.report.wording`), the tables (:mod:`~coprod.report.tables`), the figures
(:mod:`~coprod.report.figures`) and the page (:mod:`~coprod.report.report`, a model of
sections :mod:`~coprod.report.pagemodel` rendered by the template of
:mod:`~coprod.report.page`, opened by the answer box :mod:`~coprod.report.answer`).

Reads result tables and the pipeline's settings (:mod:`coprod.pipeline`); never imports the
engine (:mod:`coprod.survey`): every number it shows was computed by a pipeline step (written
to a result table, or handed over by the rule's adapter: the findings' verdicts, the
calibration's weights).
"""


def __getattr__(name: str) -> object:
    """The flat module ``coprod.report``'s names (``run_report``, ``report_settings``), found
    where they are now, with a DeprecationWarning (:mod:`coprod.compat`)."""
    from ..compat import old_package_name

    return old_package_name(__name__, name)
