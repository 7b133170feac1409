# Two commands on a fresh machine: `make run` (set up + main job) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup manifest run test clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# the dbt manifest Dagster loads (never parsed at import)
manifest: setup
	$(BIN)/dbt parse --quiet --project-dir . --profiles-dir .

run: manifest
	$(BIN)/warehouse-run

test: manifest
	$(BIN)/pytest

clean:
	rm -rf $(VENV) target logs warehouse/*.duckdb* warehouse/tmp
