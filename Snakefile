# coprod: correlates of citizen co-production of public services.
#   snakemake --cores 2            clean -> models -> report, on the data named in config/config.yaml
#   snakemake --cores 1 simulate_raw   regenerate the bundled synthetic raw files (not in the default target)
from snakemake.utils import min_version

min_version("9.0")


# The bundled settings, unless --configfile names others: then those alone count (Snakemake
# would otherwise merge them key by key into these, mixing two surveys' settings).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_targets(),
