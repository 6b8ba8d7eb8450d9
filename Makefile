# modelfleet developer entry points. `make demo` and `make test` do all set-up on a fresh machine.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
RUN := $(UV) run --frozen
PYTEST_ARGS ?=

.PHONY: help install uv lint format test test-unit demo migrate db-upgrade db-shell db-reset bench

help: ## list targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

uv: ## bootstrap uv when it is missing
	@command -v uv >/dev/null 2>&1 || test -x $(HOME)/.local/bin/uv || \
		python3 -m pip install --user --quiet uv || python3 -m pip install --quiet uv

install: uv ## sync the whole workspace (all services + dev tools) from uv.lock
	$(UV) sync --frozen --all-packages

lint: install ## ruff check, ruff format --check, mypy on services/
	$(RUN) ruff check services tests benchmarks
	$(RUN) ruff format --check services tests benchmarks
	$(RUN) mypy services

format: install ## apply ruff fixes and formatting
	$(RUN) ruff check --fix services tests benchmarks
	$(RUN) ruff format services tests benchmarks

test: install ## all tests: unit, integration (real PostgreSQL + MLflow), e2e
	$(RUN) pytest $(PYTEST_ARGS)

test-unit: install ## fast tests without services (used by pre-commit)
	$(RUN) pytest -m "not integration and not e2e and not k8s" -q $(PYTEST_ARGS)

demo: install ## train on synthetic data and show the loop
	$(RUN) modelfleet demo

migrate db-upgrade: install ## apply Alembic migrations to MODELFLEET_DATABASE_URL
	$(RUN) modelfleet db upgrade

db-shell: install ## open psql/sqlite3 on MODELFLEET_DATABASE_URL
	$(RUN) modelfleet db shell

db-reset: install ## drop and recreate the schema (asks first)
	$(RUN) modelfleet db reset

bench: install ## run every benchmark (minutes; not part of the tests)
	for b in benchmarks/bench_*.py; do $(RUN) python $$b || exit 1; done
