# Two commands on a fresh machine: `make run` (set up + main job) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup manifest run dagster test test-slow test-fast test-spark lint format clean sample doc-figures

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# the dbt manifest Dagster loads (never parsed at import); parsed again only when the dbt
# project or the environment changed (the folders too: a removed file changes its folder)
DBT_SOURCES := dbt_project.yml profiles.yml $(shell find models macros seeds tests/dbt 2>/dev/null)
manifest: target/manifest.json

target/manifest.json: $(VENV)/.installed $(DBT_SOURCES)
	$(BIN)/dbt parse --quiet --project-dir . --profiles-dir .

run: manifest
	$(BIN)/warehouse-run --history-months 1

# the Dagster UI on the warehouse home's instance: it shows warehouse-run's runs too
dagster: manifest
	DAGSTER_HOME=$$($(BIN)/python -m orchestration.instance) $(BIN)/dagster dev

# pytest-xdist: one worker more than cores (a worker waiting for a dbt process to start, a file
# lock or the disk leaves its core to another); a test file stays on one worker (its module
# fixtures are built once); builds shared by several files are made once per run
# (tests/conftest.py: shared). Files are handed out in tests/conftest.py's order (heaviest
# first), not by their test count.
PYTEST_WORKERS ?= $(shell $(PYTHON) -c "import os; print((os.cpu_count() or 1) + 1)")
XDIST := -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

# the suite without the scenarios over several builds or nights; lint first, so a style slip
# fails in seconds
test: lint manifest
	$(BIN)/pytest $(XDIST) -m "not slow and not spark"

# the scenarios over several builds or nights (CI runs them after `make test`)
test-slow: manifest
	$(BIN)/pytest $(XDIST) -m "slow and not spark"

# the quick tier for every change: unit tests, dbt unit tests and one small build
test-fast: manifest
	$(BIN)/pytest $(XDIST) -m fast

# the Spark tier (CI, after `make test`): the sample on a local Spark equals DuckDB's build
# (its own temp folder: pytest keeps only the last three of the default ones)
test-spark: manifest
	$(BIN)/pytest -m spark --basetemp=warehouse/pytest-spark tests/test_spark.py

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --processes 0 models tests/dbt macros

format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix models tests/dbt macros

# everything generated: the environment, dbt's output, builds, served files, history, reports
clean:
	rm -rf $(VENV) target logs warehouse/* gx/uncommitted .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

# the bundled sample: a profitable company whose top fifth of buyers earns about twice the profit
sample: setup
	$(BIN)/warehouse-generate --customers 3000 --seed 7 --out sample/landing --force

# the sample's figures quoted in docs/, rewritten from a build of the sample
doc-figures: manifest
	$(BIN)/python -m devtools.doc_figures
