import os

# Regenerate the bundled synthetic raw files (outside the default target):
#   snakemake --cores 1 simulate_raw


rule simulate_raw:
    output:
        sav=expand(
            "{outdir}/{country}_2008.sav",
            outdir=config.get("simulation", {}).get("outdir", "data/raw"),
            country=["UK", "FR", "DE", "DK", "CZ"],
        ),
    params:
        seed=config.get("simulation", {}).get("seed", 2008),
        outdir=lambda wildcards, output: os.path.dirname(output.sav[0]),
    log:
        "logs/simulate_raw.log",
    conda:
        ENV
    script:
        "../../scripts/simulate.py"
