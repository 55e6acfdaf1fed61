# Stage 1: raw per-group files -> one harmonised, validated table plus the cleaning log.


rule clean:
    input:
        # the coprod modules this step runs: a change to them reruns it
        code=sources("pipeline.clean", shallow=("pipeline.stages", "pipeline.runner")),
        codebook=config["data"]["codebook"],
        raw=raw_files(),
    output:
        table=res("clean/survey.parquet"),
        log_csv=res("clean/cleaning_log.csv"),
        summary_csv=res("clean/cleaning_summary.csv"),
        summary_md=res("clean/cleaning_summary.md"),
    log:
        logpath("clean.log"),
        timing=res("benchmarks/clean.tsv"),
    conda:
        ENV
    threads: 1
    resources:
        mem_mb=lambda wc, input: 1000 + 30 * int(input.size_mb),
        runtime=lambda wc, input: 10 + int(input.size_mb) // 5,
    params:
        threshold=config["cleaning"]["threshold"],
        invalid_weight=config["cleaning"]["invalid_weight"],
        group_column=GROUPING["column"],
        group_label=GROUPING["label"],
    script:
        "../../scripts/clean.py"
