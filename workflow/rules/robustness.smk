# Robustness: does the answer survive other choices? Multiple imputation of the missing values
# (imputation.analyses: both), the specification curve of each claim (report.specifications),
# and the cut of each scale (models.scales). Each block runs only when the config asks for it;
# the main models (models.smk) and the report (report.smk) do not depend on these rules unless
# it does. Included after report.smk: the settings the report rules share (MODEL_SETTINGS,
# ROBUST, ...) are defined there.


# Multiple imputation (imputation.analyses: both): chains of imputed cells, then one job fits
# every sample's models on each completed dataset and combines them by Rubin's rules.
if MI:

    rule impute:
        input:
            # the coprod modules this step runs: a change to them reruns it
            code=sources(
                "pipeline.impute",
                "pipeline.io",
                shallow=("pipeline.stages", "pipeline.runner"),
            ),
            table=res("clean/survey.parquet"),
        output:
            res("imputed/chain_{chain}.csv"),
        log:
            logpath("imputed/chain_{chain}.log"),
            timing=res("benchmarks/impute/chain_{chain}.tsv"),
        wildcard_constraints:
            chain="[0-9]+",
        priority: PRIORITY["impute"]
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=lambda wc, input: 1000 + 100 * int(input.size_mb),
            runtime=lambda wc, input: 10 + 5 * int(input.size_mb),
        params:
            variables=config["models"]["covariates"],
            auxiliary=IMPUTATION_AUXILIARY,
            group=GROUPING["column"],
            seed=lambda wc: int(config["imputation"]["seed"]) * 1000 + int(wc.chain),
            n_imputations=lambda wc: CHAINS[int(wc.chain)][1],
            first=lambda wc: CHAINS[int(wc.chain)][0],
            burn_in=config["imputation"]["burn_in"],
            skip=config["imputation"]["skip"],
        script:
            "../../scripts/impute.py"

    # one job for every sample: they share every input, so the split bought only start-ups
    rule fit_models_mi:
        input:
            **design_inputs(),
            # the coprod modules this step runs: a change to them reruns it
            code=sources(
                "pipeline.imputedmodels",
                "pipeline.impute",
                "pipeline.io",
                shallow=("pipeline.stages", "pipeline.runner"),
            ),
            table=res("clean/survey.parquet"),
            imputed=expand(res("imputed/chain_{chain}.csv"), chain=list(CHAINS)),
        output:
            # each sample's tables, in SAMPLES' order, and all samples' as one
            coefficients=expand(res("models/mi/{sample}.csv"), sample=SAMPLES),
            vcov=expand(res("models/mi/vcov/{sample}.csv"), sample=SAMPLES),
            effects=expand(res("models/mi/effects/{sample}.csv"), sample=SAMPLES),
            coefficients_all=res("models/coefficients_mi.csv"),
            vcov_all=res("models/vcov_mi.csv"),
            effects_all=res("models/effects_mi.csv"),
        log:
            logpath("models/mi.log"),
            timing=res("benchmarks/fit_models_mi.tsv"),
        priority: PRIORITY["fit_models_mi"]
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=lambda wc, input: 1000 + 150 * int(input.size_mb),
            runtime=lambda wc, input: 10
            + len(SAMPLES) * len(MI_OUTCOMES) * int(input.size_mb),
        params:
            samples=SAMPLE_LIST,
            outcomes=MI_OUTCOMES,
            families=PROJECT["families"],
            covariates=config["models"]["covariates"],
            reference_levels=config["models"]["reference_levels"],
            design=design_params(),
            group_effects=config["models"]["group_effects"],
            conf_level=config["models"]["conf_level"],
        script:
            "../../scripts/fit_models_mi.py"


# The specification curve: each claim under every combination of config specifications; the
# specifications of a sample are shared among `chunks` jobs (no Python start-up per one).
if SPEC_CLAIMS:

    rule specifications:
        input:
            **design_inputs(),
            # the coprod modules this step runs: a change to them reruns it
            code=sources("pipeline.speccurve", shallow=("pipeline.runner",)),
            table=res("clean/survey.parquet"),
            codebook=config["data"]["codebook"],
            findings=config["report"]["findings"],
            imputed=(
                expand(res("imputed/chain_{chain}.csv"), chain=list(CHAINS))
                if MI
                else []
            ),
        output:
            res("models/specifications/{sample}_{chunk}.csv"),
        log:
            logpath("models/specifications/{sample}_{chunk}.log"),
            timing=res("benchmarks/specifications/{sample}_{chunk}.tsv"),
        wildcard_constraints:
            sample="[^/]+",
            chunk="[0-9]+",
        priority: PRIORITY["specifications"]
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=lambda wc, input: 1000 + 150 * int(input.size_mb),
            runtime=lambda wc, input: 20 + 10 * int(input.size_mb),
        params:
            sample=sample_name,
            dims=SPEC_DIMS,
            n_imputations=config["specifications"]["imputations"],
            chunk=lambda wc: wc.chunk,
            chunks=len(SPEC_CHUNKS),
            covariates=config["models"]["covariates"],
            reference_levels=config["models"]["reference_levels"],
            design=design_params(),
            conf_level=config["models"]["conf_level"],
            threshold=config["cleaning"]["threshold"],
            scales=PROJECT["scales"],
            families=PROJECT["families"],
            outcomes=BINARY_OUTCOMES,
            samples=SAMPLE_LIST,
            levels=PROJECT["levels"],
            group=GROUPING["column"],
        script:
            "../../scripts/specifications.py"

    rule gather_specifications:
        input:
            # the coprod modules this step runs: a change to them reruns it
            code=sources("pipeline.io", shallow=("pipeline.stages", "pipeline.runner")),
            parts=expand(
                res("models/specifications/{sample}_{chunk}.csv"),
                sample=SPEC_SAMPLES,
                chunk=SPEC_CHUNKS,
            ),
        output:
            res("models/specifications.csv"),
        log:
            logpath("gather_specifications.log"),
        priority: PRIORITY["gather_specifications"]
        # only joins small result tables: on a cluster it runs where Snakemake runs
        localrule: True
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        script:
            "../../scripts/gather_specifications.py"


# only when models.scales pairs 0/1 outcomes with their ordinal and count versions
if SCALES:

    rule robustness:
        input:
            # the coprod modules this step runs: a change to them reruns it
            code=sources("report.robustness", shallow=("pipeline.runner",)),
            coefficients=res("models/coefficients.csv"),
            fit=res("models/fit.csv"),
            cuts=res("models/cuts.csv"),
            tests=res("models/tests.csv"),
            table=res("clean/survey.parquet"),
        output:
            **{
                f"{s}_{f}": table_file(s, f)
                for s in ROBUST["tables"]
                for f in TABLE_FORMATS
            },
            **{
                f"{s}_{f}": res(f"figures/{s}.{f}")
                for s in ROBUST["figures"]
                for f in FIGURE_FORMATS
            },
        log:
            logpath("report/robustness.log"),
            timing=res("benchmarks/robustness.tsv"),
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            **MODEL_SETTINGS,
            scales=SCALES,
            families=PROJECT["families"],
            sample=REPORT["figures"]["forest_sample"],
            conf_level=config["models"]["conf_level"],
            digits=REPORT["tables"]["digits"],
            figure_settings=REPORT["figures"],
            latex=REPORT["tables"]["latex"],
        script:
            "../../scripts/robustness.py"


# only with multiple imputation (imputation.analyses: both)
if MI:

    rule mi_table:
        input:
            # the coprod modules this step runs: a change to them reruns it
            code=sources("report.robustness", shallow=("pipeline.runner",)),
            coefficients=res("models/coefficients.csv"),
            fit=res("models/fit.csv"),
            coefficients_mi=res("models/coefficients_mi.csv"),
            table=res("clean/survey.parquet"),
        output:
            **{f"imputation_{f}": table_file("imputation", f) for f in TABLE_FORMATS},
        log:
            logpath("report/mi_table.log"),
            timing=res("benchmarks/mi_table.tsv"),
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            **{
                k: MODEL_SETTINGS[k]
                for k in ("words", "covariates", "reference_levels", "levels")
            },
            outcomes=MI_OUTCOMES,
            sample=REPORT["figures"]["forest_sample"],
            conf_level=config["models"]["conf_level"],
            digits=REPORT["tables"]["digits"],
            m=config["imputation"]["m"],
            notice=REPORT["notice"],
            per=REPORT["tables"]["per"],
            latex=REPORT["tables"]["latex"],
        script:
            "../../scripts/mi_table.py"


if SPEC_CLAIMS:

    rule speccurve:
        input:
            # the coprod modules this step runs: a change to them reruns it
            code=sources("report.speccurve", shallow=("pipeline.runner",)),
            table=res("models/specifications.csv"),
        output:
            **{
                f"spec_{c}_{f}": res(f"figures/spec_{c}.{f}")
                for c in SPEC_CLAIMS
                for f in FIGURE_FORMATS
            },
        log:
            logpath("report/speccurve.log"),
            timing=res("benchmarks/speccurve.tsv"),
        priority: PRIORITY["speccurve"]
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            claims=SPEC_CLAIMS,
            settings={**REPORT["figures"], "conf_level": config["models"]["conf_level"]},
        script:
            "../../scripts/speccurve.py"
