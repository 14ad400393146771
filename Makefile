# One-command entry points. Everything installs into .venv from the pinned lock.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export DAA_HOME ?= $(CURDIR)/var
export AIRFLOW_HOME ?= $(CURDIR)/var/airflow

.PHONY: setup lint equivalence faults run test airflow bench clean stack-test report compose-config schema-docs

$(VENV)/.installed: requirements.txt pyproject.toml
	@./scripts/setup_venv.sh "$(PYTHON)" "$(VENV)"
	@touch $@

setup: $(VENV)/.installed

# DAA_RUN_T0: the time before `setup`, so the final screen counts the install too.
RUN_T0 := $(shell date +%s)
run: setup
	@DAA_RUN_T0=$(RUN_T0) ./scripts/run_demo.sh

# The guardrails first (ruff, the import-layer contracts), then the suite.
test: setup lint
	@$(VENV)/bin/python -m pytest

# The daily run equals the backfill for every default portfolio over the whole history, at the
# dates where history reads, holidays and refits bite (the 2012-2016 subset runs in `make test`).
equivalence: setup
	@DAA_EQUIVALENCE=full $(VENV)/bin/python -m pytest -q -s --timeout 2400 tests/equivalence

# The fault suite's slow half (docs/faults.md): SIGKILL at every fault point, concurrent writers
# and readers, the planted-key runs, dates without data. Its fast half runs in `make test`.
faults: setup
	@DAA_FAULTS=1 $(VENV)/bin/python -m pytest -q tests/faults

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/lint-imports --no-cache >/dev/null || $(VENV)/bin/lint-imports --no-cache

airflow: setup
	@./scripts/airflow_standalone.sh

# The docker-compose topology run natively (PostgreSQL, Redis, Airflow api-server, scheduler,
# dag-processor, triggerer, two Celery workers) plus the report's headless-chromium check.
# Installs postgresql, redis-server and chromium with apt-get when missing (as root).
stack-test: setup
	@./scripts/stack_test.sh

# HTML reports of the warehouse under $(DAA_HOME)/reports/ (index.html and one page per portfolio).
report: setup
	@$(PY) -m pipelines report

# docs/schema.md from a freshly migrated warehouse (tables, columns, views, comments, writers).
schema-docs: setup
	@$(PY) -m pipelines.schema_docs

# Validate docker-compose.yml with the Compose v2 parser (needs a filled .env; see .env.example).
compose-config: setup
	@$(PY) -c "import compose, pathlib, subprocess, sys; sys.exit(subprocess.call([str(pathlib.Path(compose.__file__).with_name('docker-compose')), 'config', '--quiet']))" && echo "docker-compose.yml OK"

bench: setup
	@./scripts/run_benchmarks.sh

clean:
	rm -rf var .pytest_cache
