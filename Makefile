# Two commands on a fresh machine: `make run` (set up + main job) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

run: setup
	$(BIN)/warehouse-run

test: setup
	$(BIN)/pytest

clean:
	rm -rf $(VENV) target logs warehouse/*.duckdb* warehouse/tmp
