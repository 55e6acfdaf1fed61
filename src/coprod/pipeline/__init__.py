"""coprod.pipeline: the co-production workflow on top of the engine (:mod:`coprod.survey`).

The config and codebook are read once into frozen, typed settings
(:func:`~coprod.pipeline.settings.load_settings`) and checked at start-up
(:mod:`~coprod.pipeline.startup`) before any job runs; the raw
files cleaned into one validated table (:mod:`~coprod.pipeline.clean`), the models fitted per
outcome and sample (:mod:`~coprod.pipeline.models`, run by :mod:`~coprod.pipeline.stages`), the
claims judged (:mod:`~coprod.pipeline.findings`) and the specifications varied
(:mod:`~coprod.pipeline.speccurve`). Imports :mod:`coprod.survey`, never :mod:`coprod.report`.
The Snakemake adapters in ``scripts/`` call these modules through
:func:`~coprod.pipeline.runner.run_rule`.
"""
