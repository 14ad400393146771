# One-command entry points. Everything installs into .venv from the pinned lock.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export DAA_HOME ?= $(CURDIR)/var
export AIRFLOW_HOME ?= $(CURDIR)/var/airflow

.PHONY: setup run test airflow bench clean

$(VENV)/.installed: requirements.txt
	@./scripts/setup_venv.sh "$(PYTHON)" "$(VENV)"
	@touch $@

setup: $(VENV)/.installed

run: setup
	@./scripts/run_demo.sh

test: setup
	@$(VENV)/bin/python -m pytest

airflow: setup
	@./scripts/airflow_standalone.sh

bench: setup
	@./scripts/run_benchmarks.sh

clean:
	rm -rf var .pytest_cache
