# coprod: correlates of citizen co-production of public services.
#   snakemake --cores 2            clean -> models -> report, on the data named in config/config.yaml
#   snakemake --cores 1 simulate_raw   regenerate the bundled synthetic raw files (not in the default target)
import sys

from snakemake.utils import min_version

from coprod.errors import CoprodError, console
from coprod.pipeline.runner import freeze_heap, params_checked_without_importing
from coprod.pipeline.startup import check_config_file

min_version("9.0")
# Snakemake no longer imports pandas here to look for data frames among the jobs' params
# (coprod.pipeline.runner.params_checked_without_importing): ~0.4 s before the first job
params_checked_without_importing()


# The bundled settings, unless --configfile names others: then those alone count (Snakemake
# would otherwise merge them key by key into these, mixing two surveys' settings).
# Read by coprod's YAML reader first (an alias bomb, duplicate keys, YTE templating that would
# run Python: coprod.pipeline.startup.check_config_file), before Snakemake's own reader sees it. Files
# given with --configfile are read by Snakemake before this file runs (config/README.md).
if not workflow.overwrite_configfiles:
    try:
        check_config_file("config/config.yaml")
    except CoprodError as exc:
        sys.exit(f"coprod error: {console(exc)}")

    configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/robustness.smk"


rule all:
    default_target: True
    input:
        all_targets(),


# every file a rule writes lies under the results folder (or the bundled run's logs/)
check_outputs_under_results(workflow.rules)
# the parsed workflow set aside from the garbage collector (coprod.pipeline.runner.freeze_heap)
freeze_heap()
