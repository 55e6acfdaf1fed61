# Regenerate the bundled synthetic raw files (outside the default target):
#   snakemake --cores 1 simulate_raw
# The .sav files are written to simulation.outdir as a side effect, on purpose: were they this
# rule's outputs, Snakemake would quietly simulate any missing raw file instead of stopping.


rule simulate_raw:
    output:
        quirks=res("simulated/quirks.json"),
    log:
        logpath("simulate_raw.log"),
    conda:
        ENV
    params:
        seed=config["simulation"]["seed"],
        outdir=config["simulation"]["outdir"],
    script:
        "../../scripts/simulate.py"
