# Two commands do everything on a fresh machine with Python 3.11:
#   make run    set up .venv from the lock and run the whole pipeline on the bundled data
#   make test   set up .venv from the lock and run the test suite
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
CORES  ?= 2

.PHONY: run test test-fast venv bytecode lint report clean-results lock simulate bench docs cluster

$(BIN)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] >= (3, 11), "coprod needs Python 3.11 or newer, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

venv: $(BIN)/.installed

# coprod's own modules compiled ahead (an editable install is not compiled by pip, and where
# PYTHONDONTWRITEBYTECODE is set, as in many containers, Python never caches them): every
# Snakemake job would otherwise compile the ~50 modules it imports, ~0.1 s each job; up-to-date
# files are skipped, so this costs a fraction of a second
bytecode: venv
	$(BIN)/python -m compileall -q src > /dev/null

# the SLURM executor plugin, for `snakemake --profile profiles/slurm` (docs/cluster.md): not in
# the lock, because Snakemake imports every installed executor plugin when it starts, and this
# one's import (pandas) added ~0.3 s to every snakemake command of a local run
cluster: venv
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-cluster.lock

run: bytecode
	$(BIN)/snakemake --cores $(CORES)

# two workers (pytest-xdist): most tests wait on Snakemake or numpy, one core each; a worker
# that runs out of tests takes some of the other's (worksteal)
test: bytecode
	$(BIN)/python -m pytest -n $(CORES) --dist worksteal

# the unit and golden tests alone (tests/unit, tests/golden; no Snakemake runs, no Monte-Carlo
# checks): the loop while editing code. tests/e2e holds the Snakemake runs.
test-fast: bytecode
	COPROD_TEST_FAST=1 $(BIN)/python -m pytest -q -n $(CORES) -m "not pipeline and not slow" tests/unit tests/golden

# ruff and mypy (settings in pyproject.toml) on the code; snakefmt and Snakemake's own lint
# on the workflow
lint: venv
	$(BIN)/ruff check src scripts tests tools benchmarks
	$(BIN)/mypy
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

report: run
	$(BIN)/snakemake --cores $(CORES) --report results/report.zip

simulate: venv
	$(BIN)/snakemake --cores 1 simulate_raw

bench: bytecode
	$(BIN)/python benchmarks/run.py

clean-results:
	rm -rf results .snakemake/log

# Re-resolve the lock from pyproject's ranges (needs the package registry): everything, i.e.
# coprod[all] (engine, pipeline, report), the test tools and the documentation's.
lock:
	rm -rf /tmp/coprod-lock && $(PYTHON) -m venv /tmp/coprod-lock
	/tmp/coprod-lock/bin/pip install --quiet ".[all,test,docs]" "setuptools>=68"
	{ echo "# Exact versions of every package of coprod[all,test,docs] (direct and transitive), Python 3.11."; \
	  echo "# Regenerate: make lock"; \
	  /tmp/coprod-lock/bin/pip freeze --all --exclude-editable | grep -v -e '^pip==' -e '^coprod'; } > requirements.lock
	$(PYTHON) tools/write_environment.py

# Regenerate the documentation that is generated from code (the tests check it is in step),
# then build the documentation site (docs/conf.py: Sphinx, numpydoc, the PyData theme) into
# docs/_build/html: the API reference from coprod.survey's docstrings, the page for R survey
# users and the pipeline's guides. Any warning fails the build (-W), after all are reported.
docs: venv
	$(BIN)/python tools/write_config_reference.py
	$(BIN)/python tools/write_catalogue_doc.py
	rm -rf docs/_build/html docs/_autosummary
	$(BIN)/sphinx-build -b html -W --keep-going -q docs docs/_build/html
