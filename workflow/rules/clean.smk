# Stage 1: raw per-group files -> one harmonised, validated table plus the cleaning log.


rule clean:
    input:
        codebook=config["data"]["codebook"],
        raw=raw_files(),
    output:
        table="results/clean/survey.parquet",
        log_csv="results/clean/cleaning_log.csv",
        summary_csv="results/clean/cleaning_summary.csv",
        summary_md="results/clean/cleaning_summary.md",
    params:
        threshold=config["cleaning"]["threshold"],
        invalid_weight=config["cleaning"]["invalid_weight"],
    log:
        "logs/clean.log",
    conda:
        ENV
    script:
        "../../scripts/clean.py"
