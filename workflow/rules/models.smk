# Stage 2: one job per sample fits the design-based logistic model of every outcome, then the
# sample's contrast test; a gather step writes the combined tables. Without outcomes
# (models.outcomes: []) no model is fitted: these rules are not defined.


if MODELS:

    rule fit_models:
        input:
            **design_inputs(),
            # the coprod modules this step runs: a change to them reruns it
            code=sources(
                "pipeline.models",
                "pipeline.io",
                shallow=("pipeline.stages", "pipeline.runner"),
            ),
            table=res("clean/survey.parquet"),
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
        conda:
            ENV
        threads: 1
        resources:
            # measured peak on 1,000,000 respondents (a 12 MB table): 1.2 GB, for the pooled sample
            mem_mb=lambda wc, input: 1000 + 150 * int(input.size_mb),
            runtime=lambda wc, input: 10 + (len(OUTCOMES) + 2) * int(input.size_mb) // 2,
        params:
            sample=sample_name,
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
        script:
            "../../scripts/fit_models.py"

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
