# Stage 2: one design-based logistic model per (outcome, sample), each its own job; the contrast
# test per sample; a gather step that writes the combined tables.


rule fit_model:
    input:
        table="results/clean/survey.parquet",
    output:
        **{t: f"results/models/fits/{{outcome}}/{{sample}}/{t}.csv" for t in MODEL_TABLES},
    params:
        sample=sample_name,
        covariates=config["models"]["covariates"],
        reference_levels=config["models"]["reference_levels"],
        design=design_params(),
        conf_level=config["models"]["conf_level"],
        grids=config["models"]["predictions"],
    threads: 1
    resources:
        mem_mb=lambda wc, input: 1000 + 150 * int(input.size_mb),
        runtime=lambda wc, input: 10 + int(input.size_mb),
    benchmark:
        "results/benchmarks/fit_model/{outcome}/{sample}.tsv"
    log:
        "logs/models/{outcome}/{sample}.log",
    wildcard_constraints:
        outcome="[^/]+",
        sample="[^/]+",
    conda:
        ENV
    script:
        "../../scripts/fit_model.py"


rule contrast:
    input:
        table="results/clean/survey.parquet",
    output:
        "results/models/contrast/{sample}.csv",
    params:
        sample=sample_name,
        outcomes=config["models"].get("contrast", []),
        covariates=config["models"]["covariates"],
        reference_levels=config["models"]["reference_levels"],
        design=design_params(),
        conf_level=config["models"]["conf_level"],
    threads: 1
    resources:
        mem_mb=lambda wc, input: 1000 + 250 * int(input.size_mb),
        runtime=lambda wc, input: 10 + 2 * int(input.size_mb),
    benchmark:
        "results/benchmarks/contrast/{sample}.tsv"
    log:
        "logs/contrast/{sample}.log",
    wildcard_constraints:
        sample="[^/]+",
    conda:
        ENV
    script:
        "../../scripts/contrast.py"


rule gather_models:
    input:
        fits=expand(
            "results/models/fits/{outcome}/{sample}/{table}.csv",
            outcome=OUTCOMES,
            sample=SAMPLES,
            table=MODEL_TABLES,
        ),
        contrast=expand("results/models/contrast/{sample}.csv", sample=CONTRAST_SAMPLES),
    output:
        **{t: f"results/models/{t}.csv" for t in MODEL_TABLES},
        contrast="results/models/contrast.csv",
    params:
        tables=MODEL_TABLES,
    threads: 1
    resources:
        mem_mb=1000,
        runtime=10,
    benchmark:
        "results/benchmarks/gather_models.tsv"
    log:
        "logs/gather_models.log",
    conda:
        ENV
    script:
        "../../scripts/gather_models.py"
