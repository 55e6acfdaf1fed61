"""The data and model stages as functions: plain paths and settings in, files out (cleaning,
one sample's models, gathering the models' tables).

The report stages' functions live beside what they draw: ``descriptives.run_descriptives``,
``figures.run_figures``, ``tables.run_tables``, ``findings.run_findings`` and
``report.run_report``. The Snakemake adapters in ``scripts/`` only unpack
``snakemake.input/params/output`` and call one of these, so every stage runs and is tested
without Snakemake.
"""
from __future__ import annotations

import logging

from . import clean as _clean
from .codebook import load_codebook
from .io import RESULT_COLUMNS, write_csv, write_table, write_text

log = logging.getLogger("coprod.pipeline.stages")


def run_clean(*, codebook, threshold, table, log_csv, summary_csv, summary_md, root=".",
              invalid_weight="drop", group_column=_clean.GROUP, group_label=None):
    cb = load_codebook(codebook)
    data, clog = _clean.clean_survey(cb, root=root, threshold=threshold,
                                     invalid_weight=invalid_weight, group_column=group_column)
    summary = _clean.summarise_log(clog)
    if not summary["balanced"].all():  # cannot happen unless the cleaning code is wrong
        raise RuntimeError(f"row accounting does not balance:\n{summary}")
    write_csv(clog, log_csv)
    write_csv(summary, summary_csv)
    write_text(summary_md, _clean.summary_markdown(clog))
    write_table(data, table, _clean.table_metadata(cb, threshold, group_column, group_label))
    log.info("clean table: %d rows, %d columns", len(data), data.shape[1])
    for _, r in summary.iterrows():
        log.info("%s: read %d, kept %d", r[group_column], r["read"], r["kept"])


def run_models(*, table, sample, outcomes, covariates, reference_levels, design, conf_level,
               grids, contrast_outcomes, outputs: dict, contrast_output=None,
               group_effects=True, families=None, joint_tests=None):
    """Fit every outcome's model in one sample and write their tidy tables; then, when a pair
    of outcomes is configured, the contrast test for the sample.

    ``outputs``: {outcome: {table name: path}}. A model that cannot be estimated is marked
    failed (and said so on the console); the others are written as usual.
    """
    run_models_together(
        table=table, samples=[sample], outcomes=outcomes, covariates=covariates,
        reference_levels=reference_levels, design=design, conf_level=conf_level, grids=grids,
        contrast_outcomes=contrast_outcomes, outputs={sample: outputs},
        contrast_outputs={sample: contrast_output} if contrast_output else None,
        group_effects=group_effects, families=families, joint_tests=joint_tests)


def run_models_together(*, table, samples: list, outcomes, covariates, reference_levels, design,
                        conf_level, grids, contrast_outcomes, outputs: dict,
                        contrast_outputs: dict | None = None, group_effects=True, families=None,
                        joint_tests=None, combined: dict | None = None):
    """:func:`run_models` for each of ``samples`` in one job (config ``models.jobs``;
    :func:`coprod.pipeline.modelplan.fit_together`): the table is read and the design built
    once for all of them (a sample is a domain of the whole design). ``outputs``: {sample:
    {outcome: {table name: path}}}; ``contrast_outputs``: {sample: path}, or None.

    ``combined``: {table name: path} (and ``contrast``), the tables of every model as one, as
    :func:`run_gather` writes them from the files (outcome by outcome, each in the order of
    ``samples``), made here from the texts just written. Why here: when one job fits every
    sample, a gather job would only read back what this one wrote, and cost a job's start-up
    (~0.5 s of a bundled run's ~1 s gather job) and the scheduler's look at its ~800 inputs."""
    import sys

    from .io import read_table
    from .models import contrast_sample, fit_sample, job_design

    data = read_table(table)
    labels = data.attrs.get("labels", {})
    built = job_design(data, design, dict(reference_levels))  # once for every estimate
    log.info("design: %s", built.describe())
    settings = dict(outcomes=list(outcomes), covariates=list(covariates),
                    reference_levels=dict(reference_levels), design=design,
                    conf_level=conf_level, grids={k: dict(v) for k, v in dict(grids).items()},
                    labels=labels, built=built, group_effects=group_effects,
                    families=dict(families or {}),
                    joint_tests={k: list(v) for k, v in dict(joint_tests or {}).items()})
    written: dict = {}  # (table name, outcome, sample) -> the text written
    contrasts: dict = {}  # sample -> the text of its contrast test
    for sample in samples:
        results = fit_sample(data, sample=sample, **settings)
        for outcome, tables in results.items():
            status = tables["fit"]["status"].iloc[0]
            if status == "failed":
                print(f"coprod [fit_models] warning: {outcome} / {sample} could not be "
                      f"estimated: {tables['fit']['message'].iloc[0]}", file=sys.stderr)
            for name, path in outputs[sample][outcome].items():
                written[name, outcome, sample] = write_csv(tables[name], path)
            log.info("%s / %s: %s", outcome, sample, status)
        del results
        contrast_output = (contrast_outputs or {}).get(sample)
        if contrast_output:
            result = contrast_sample(data, sample=sample, outcomes=list(contrast_outcomes),
                                     covariates=list(covariates),
                                     reference_levels=dict(reference_levels), design=design,
                                     conf_level=conf_level, labels=labels, built=built,
                                     group_effects=group_effects)
            message = str(result["message"].iloc[0]) if "message" in result and len(result) \
                else ""
            if message.startswith("unexpected error"):
                print(f"coprod [fit_models] warning: the contrast test for {sample} failed: "
                      f"{message}", file=sys.stderr)
            contrasts[sample] = write_csv(result, contrast_output)
            log.info("contrast %s: %s", sample,
                     result["status"].iloc[0] if len(result) else "-")
    if combined:
        _write_combined(combined, written, contrasts, list(outcomes), list(samples))


def _write_combined(combined: dict, written: dict, contrasts: dict, outcomes: list,
                    samples: list) -> None:
    """The combined tables of :func:`run_models_together` (its ``combined``), joined from the
    parts' texts in :func:`run_gather`'s order: outcome-major, then sample."""
    for name, path in combined.items():
        if name == "contrast":
            texts = [contrasts[s] for s in samples if s in contrasts]
        else:
            texts = [written[name, o, s] for o in outcomes for s in samples]
        frame, header = gathered_texts(texts, RESULT_COLUMNS.get(name))
        write_csv(frame, path, columns=header)


def fit_output_paths(paths: list[str], outcomes: list[str], tables: list[str]) -> dict:
    """The fit_models rule's outputs (outcome-major, then table) as {outcome: {table: path}}."""
    paths = list(paths)
    if len(paths) != len(outcomes) * len(tables):
        raise ValueError(f"{len(paths)} output paths for {len(outcomes)} outcomes x "
                         f"{len(tables)} tables")
    it = iter(paths)
    return {o: {t: next(it) for t in tables} for o in outcomes}


def fit_output_paths_by_sample(paths: list[str], samples: list[str], outcomes: list[str],
                               tables: list[str]) -> dict:
    """The outputs of the fit_models rule that fits every sample (sample-major, then as
    :func:`fit_output_paths`) as {sample: {outcome: {table: path}}}."""
    paths, each = list(paths), len(outcomes) * len(tables)
    if len(paths) != len(samples) * each:
        raise ValueError(f"{len(paths)} output paths for {len(samples)} samples x "
                         f"{len(outcomes)} outcomes x {len(tables)} tables")
    return {s: fit_output_paths(paths[i * each:(i + 1) * each], outcomes, tables)
            for i, s in enumerate(samples)}


def run_gather(*, fits, contrast, tables, outputs: dict):
    """Combine per-model tables in the config's order, so reruns are byte-identical."""
    from .io import RESULT_COLUMNS

    for t in tables:
        frame, header = gathered([f for f in fits if f.endswith(f"/{t}.csv")],
                                 RESULT_COLUMNS.get(t))
        write_csv(frame, outputs[t], columns=header)
    if "contrast" not in outputs:  # intercept-only models: no contrast test, no file of it
        return
    frame, header = gathered(list(contrast), RESULT_COLUMNS["contrast"])
    write_csv(frame, outputs["contrast"], columns=header)


def _read_part(text: str):
    """One per-model table (the text of its file) as written (not read_results: its text
    columns would be rewritten)."""
    import io

    import pandas as pd

    from .csvsafe import restore_frame  # written again by the caller: read back as written

    return restore_frame(pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""]))


def gathered(paths: list, known: list[str] | None):
    """(the per-model tables at ``paths`` as one table, the header to write when it has no
    rows): what reading each part and concatenating them gives (:func:`_concat`,
    :func:`_header`), value for value and type for type.

    Why in one read: a bundled run gathers ~800 small files, and pandas' fixed cost per
    ``read_csv`` (~1 ms) was most of the gather job. Parts that share one header line (no
    quote in it) are joined as text, their headers dropped, and read once: the parser then
    infers each column's type from all its values, which is what concatenating the parts
    resolves their types to (int and float give float, anything with text gives text, an
    empty cell is missing). Parts whose headers differ are read one by one as before."""
    return gathered_texts([open(p, encoding="utf-8", newline="").read() for p in paths], known)


def gathered_texts(texts: list[str], known: list[str] | None):
    """:func:`gathered` of the parts' texts (each the whole of a file :func:`write_csv` wrote,
    as it returned it): the job that writes the parts combines them without reading its own
    files back."""
    import pandas as pd

    heads = {t.split("\n", 1)[0] for t in texts}
    if len(heads) != 1 or any(c in next(iter(heads)) for c in "\"\r") \
            or not all(t.endswith("\n") for t in texts):
        parts = [_read_part(t) for t in texts]
        return _concat(parts), _header(parts, known)
    head = heads.pop()
    body = "".join(t.split("\n", 1)[1] if "\n" in t else "" for t in texts)
    if not body:  # no part has a row: the parts' own header (all alike), as _header gives it
        return pd.DataFrame(), _header([_read_part(texts[0])], known)
    frame = _read_part(head + "\n" + body)
    return frame, _header([frame], known)


def _concat(parts: list):
    """The parts with rows, as one table (an empty frame when none has rows)."""
    import pandas as pd

    full = [p for p in parts if len(p)]
    return pd.concat(full, ignore_index=True) if full else pd.DataFrame()


def _header(parts: list, known: list[str] | None) -> list[str] | None:
    """The header of a gathered table whose parts have no rows: the first part's own header,
    else the columns known for the kind of table (an empty result keeps its header)."""
    return next((list(p.columns) for p in parts if len(p.columns)), known)


def run_impute(*, table, output, variables, auxiliary, group, seed, n_imputations, first,
               burn_in, skip):
    """One imputation chain: the imputed cells of ``n_imputations`` completed datasets."""
    from .impute import impute_chain
    from .io import read_table

    data = read_table(table)
    variables = [v for v in variables if v in data.columns]
    auxiliary = [a for a in auxiliary if a in data.columns and a not in variables]
    imputed = impute_chain(data, variables=variables, auxiliary=auxiliary, group=group,
                           n_imputations=int(n_imputations), seed=int(seed),
                           burn_in=int(burn_in), skip=int(skip), first=int(first))
    write_csv(imputed, output)
    cells = imputed[imputed["imputation"] == first] if len(imputed) else imputed
    log.info("chain from imputation %d: %d datasets, %d cells each (%s)", first,
             int(n_imputations), len(cells),
             ", ".join(f"{v}: {n}" for v, n in cells["variable"].value_counts().items())
             if len(cells) else "nothing missing")


def run_models_mi(*, table, imputed: list, sample, outcomes, covariates, reference_levels,
                  design, conf_level, output, vcov_output, families=None, group_effects=True,
                  effects_output=None):
    """Every outcome's model in one sample on each imputed dataset, combined by Rubin's rules."""
    data, cells = _mi_inputs(table, imputed)
    _models_mi(data, cells, sample=sample, outcomes=outcomes, covariates=covariates,
               reference_levels=reference_levels, design=design, conf_level=conf_level,
               output=output, vcov_output=vcov_output, families=families,
               group_effects=group_effects, effects_output=effects_output)


def run_models_mi_samples(*, table, imputed: list, samples: list, outcomes, covariates,
                          reference_levels, design, conf_level, outputs: dict, gathered: dict,
                          families=None, group_effects=True):
    """:func:`run_models_mi` for every sample in one job, then the samples' tables as one
    (as :func:`run_gather_mi` would). ``outputs``: {sample: {"coefficients", "vcov", "effects":
    path}}; ``gathered``: the same three for all samples.

    Why one job: the samples' imputed models share every input (the clean table, the imputed
    cells, the settings), so a change reruns all of them anyway; as one job per sample, each
    paid a Python start-up and a read of the table and the imputations (~0.5 s a job on the
    bundled data, a quarter of its CPU), and the gathering a job of its own. The samples'
    tables are gathered from the frames just written, not by reading those files back: the
    same text (write_csv writes each float's shortest repr, which reads back to the same
    float), without parsing the job's own output."""
    from .models import job_design

    data, cells = _mi_inputs(table, imputed)
    built = job_design(data, design, dict(reference_levels))  # every sample's own
    data, datasets = _shared_datasets(data, cells, outcomes, covariates)
    frames: dict[str, list] = {"coefficients": [], "vcov": [], "effects": []}
    for sample in samples:
        paths = outputs[sample]
        tables = _models_mi(data, cells, sample=sample, outcomes=outcomes,
                            covariates=covariates, reference_levels=reference_levels,
                            design=design, conf_level=conf_level,
                            output=paths["coefficients"], vcov_output=paths["vcov"],
                            families=families, group_effects=group_effects,
                            effects_output=paths["effects"], built=built, datasets=datasets)
        for name, frame in zip(("coefficients", "vcov", "effects"), tables):
            frames[name].append(frame)
    write_gathered(frames["coefficients"], gathered["coefficients"])
    write_gathered(frames["vcov"], gathered["vcov"])
    write_gathered(frames["effects"], gathered["effects"], columns=RESULT_COLUMNS["effects"])


_SHARED_BYTES = 256 * 2 ** 20  # the completed datasets kept for all samples, at most


def _shared_datasets(data, cells, outcomes, covariates):
    """(table, datasets) for every sample's imputed models: the table's model columns
    (outcomes, covariates, the group; imputed cells of other variables are not filled in)
    and a dict in which :func:`coprod.pipeline.imputedmodels.fit_sample_mi` keeps each
    completed dataset for the next sample; or the whole table and None (each sample
    completes its own) when the M datasets would take more than ``_SHARED_BYTES``.

    Why: every sample's models are fitted on the same M completed datasets; completing them
    once instead of once a sample (and only the columns the models read) was a tenth of the
    job. The design is built from the whole table beforehand."""
    from .io import group_column

    cols = list(dict.fromkeys(c for c in [*outcomes, *covariates, group_column(data)]
                              if c and c in data.columns))
    n_sets = max(int(cells["imputation"].nunique()) if len(cells) else 1, 1)
    if len(data) * len(cols) * 8 * n_sets > _SHARED_BYTES:
        return data, None
    model = data[cols]
    model.attrs = data.attrs
    return model, {}


def _mi_inputs(table, imputed: list):
    """The clean table and the imputed cells of every chain, as one frame."""
    import pandas as pd

    from .io import read_results, read_table

    data = read_table(table)
    parts = [read_results(p) for p in imputed]
    cells = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(
        len(p) for p in parts) else pd.DataFrame(columns=["imputation", "row", "variable",
                                                          "value"])
    return data, cells


def _models_mi(data, cells, *, sample, outcomes, covariates, reference_levels, design,
               conf_level, output, vcov_output, families=None, group_effects=True,
               effects_output=None, built=None, datasets=None):
    """One sample's imputed models, written; the three tables (coefficients, vcov, effects)
    returned as written. ``built``, ``datasets``: the design and the completed datasets
    shared by the samples of a job (:func:`_shared_datasets`)."""
    from .imputedmodels import fit_sample_mi

    out, vcov, effects = fit_sample_mi(data, cells, outcomes=list(outcomes), sample=sample,
                        covariates=list(covariates), reference_levels=dict(reference_levels),
                        design=design, conf_level=conf_level,
                        labels=data.attrs.get("labels", {}), group_effects=group_effects,
                        families=dict(families or {}), effects=effects_output is not None,
                        built=built, datasets=datasets)
    write_csv(out, output)
    write_csv(vcov, vcov_output)
    if effects_output is not None:
        write_csv(effects, effects_output)
    log.info("%s: %d outcomes on %d imputations", sample, len(outcomes),
             cells["imputation"].nunique())
    return out, vcov, effects


def run_gather_mi(*, parts: list, output, vcov_parts: list, vcov_output,
                  effects_parts: list | None = None, effects_output=None):
    run_gather_tables(parts=parts, output=output)
    run_gather_tables(parts=vcov_parts, output=vcov_output)
    if effects_output is not None:
        run_gather_tables(parts=list(effects_parts or []), output=effects_output,
                          columns=RESULT_COLUMNS["effects"])


def run_gather_tables(*, parts: list, output, columns: list | None = None):
    """Per-job tables of the same columns, in the order given, as one (byte-identical reruns);
    ``columns``: the header when no part has one."""
    from .io import read_results

    write_gathered([read_results(p) for p in parts], output, columns=columns)


def write_gathered(frames: list, output, columns: list | None = None):
    """Tables of the same columns, in the order given, as one file (the parts with rows;
    ``columns``: the header when no part has one)."""
    write_csv(_concat(frames), output, columns=_header(frames, columns))
