# Stage 2: the design-based models of every outcome in each sample, then the sample's contrast
# test, and the combined tables. One job a sample, and a gather step that combines their
# tables; or one job for all samples, which writes the combined tables itself (config
# models.jobs; auto: one job for a small survey, see coprod.pipeline.modelplan.fit_together).
# Without outcomes (models.outcomes: []) no model is fitted: these rules are not defined.


if MODELS:
    # what every fit_models job takes, whichever the split (passed as params: a change reruns)
    FIT_PARAMS = dict(
        outcomes=OUTCOMES,
        families=PROJECT["families"],
        joint_tests=config["models"]["joint_tests"],
        tables=MODEL_TABLES,
        contrast=config["models"].get("contrast", []),
        covariates=config["models"]["covariates"],
        reference_levels=config["models"]["reference_levels"],
        design=design_params(),
        group_effects=config["models"]["group_effects"],
        conf_level=config["models"]["conf_level"],
        grids=config["models"]["predictions"],
    )
    FIT_INPUT = dict(
        **design_inputs(),
        # the coprod modules this step runs: a change to them reruns it
        code=sources(
            "pipeline.models",
            "pipeline.io",
            shallow=("pipeline.stages", "pipeline.runner"),
        ),
        table=res("clean/survey.parquet"),
    )

if MODELS and FIT_TOGETHER:

    rule fit_models:
        input:
            **FIT_INPUT,
        output:
            **(
                {
                    "contrast": expand(
                        res("models/contrast/{sample}.csv"), sample=CONTRAST_SAMPLES
                    )
                }
                if CONTRAST_SAMPLES
                else {}
            ),
            # every model's tables combined, as gather_models combines them from the files
            **{f"combined_{t}": res(f"models/{t}.csv") for t in MODEL_TABLES},
            **(
                {"combined_contrast": res("models/contrast.csv")}
                if CONTRAST_FILE
                else {}
            ),
            # every sample's tables (sample-major, then outcome, then table)
            fits=expand(
                res("models/fits/{outcome}/{sample}/{table}.csv"),
                sample=SAMPLES,
                outcome=OUTCOMES,
                table=MODEL_TABLES,
            ),
        log:
            logpath("models/all_samples.log"),
            timing=res("benchmarks/fit_models/all_samples.tsv"),
        priority: PRIORITY["fit_models"]
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=lambda wc, input: 1000 + 150 * int(input.size_mb),
            runtime=lambda wc, input: 10
            + len(SAMPLES) * (len(OUTCOMES) + 2) * int(input.size_mb) // 2,
        params:
            **FIT_PARAMS,
            samples=SAMPLE_LIST,
        script:
            "../../scripts/fit_models.py"

elif MODELS:

    rule fit_models:
        input:
            **FIT_INPUT,
        output:
            **(
                {"contrast": res("models/contrast/{sample}.csv")}
                if CONTRAST_SAMPLES
                else {}
            ),
            # every outcome's tables (outcome-major, then table), and the sample's contrast test
            fits=expand(
                res("models/fits/{outcome}/{{sample}}/{table}.csv"),
                outcome=OUTCOMES,
                table=MODEL_TABLES,
            ),
        log:
            logpath("models/{sample}.log"),
            timing=res("benchmarks/fit_models/{sample}.tsv"),
        wildcard_constraints:
            sample="[^/]+",
        priority: PRIORITY["fit_models"]
        conda:
            ENV
        threads: 1
        resources:
            # measured peak on 1,000,000 respondents (a 12 MB table): 1.2 GB, for the pooled sample
            mem_mb=lambda wc, input: 1000 + 150 * int(input.size_mb),
            runtime=lambda wc, input: 10 + (len(OUTCOMES) + 2) * int(input.size_mb) // 2,
        params:
            **FIT_PARAMS,
            sample=sample_name,
        script:
            "../../scripts/fit_models.py"


if MODELS and not FIT_TOGETHER:

    rule gather_models:
        input:
            # the coprod modules this step runs: a change to them reruns it
            code=sources("pipeline.io", shallow=("pipeline.stages", "pipeline.runner")),
            fits=expand(
                res("models/fits/{outcome}/{sample}/{table}.csv"),
                outcome=OUTCOMES,
                sample=SAMPLES,
                table=MODEL_TABLES,
            ),
            contrast=expand(
                res("models/contrast/{sample}.csv"), sample=CONTRAST_SAMPLES
            ),
        output:
            **{t: res(f"models/{t}.csv") for t in MODEL_TABLES},
            # the contrast test's (with the full models)
            **({"contrast": res("models/contrast.csv")} if CONTRAST_FILE else {}),
        log:
            logpath("gather_models.log"),
            timing=res("benchmarks/gather_models.tsv"),
        priority: PRIORITY["gather_models"]
        # only joins small result tables: on a cluster it runs where Snakemake runs
        localrule: True
        conda:
            ENV
        threads: 1
        resources:
            mem_mb=1000,
            runtime=10,
        params:
            tables=MODEL_TABLES,
        script:
            "../../scripts/gather_models.py"
