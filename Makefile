# Liaison — two commands from a fresh clone with only Python 3.11+ and make:
#   make demo   run Liaison with demo data on SQLite
#   make test   run the whole test suite (SQLite, and PostgreSQL where a server answers)
PYTHON ?= python3
VENV := .venv
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo $(VENV)/bin/uv)
STAMP := $(VENV)/.synced-stamp
DB ?= auto

export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON := $(VENV)/bin/python

.PHONY: demo test lint typecheck format check install clean bench bench-quick

$(VENV)/bin/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Liaison needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/bin/uv: | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(STAMP): pyproject.toml uv.lock | $(VENV)/bin/python $(if $(findstring $(VENV),$(UV)),$(VENV)/bin/uv)
	$(UV) sync --frozen --quiet
	@touch $@

install: $(STAMP)

demo: install
	$(VENV)/bin/liaison demo

test: install
	@tools/run-tests $(DB) $(ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy liaison

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

check: lint typecheck test

# Benchmarks against PostgreSQL (DATABASE_URL, or a liaison_bench_run database it creates): see docs/performance.md.
# `make bench` generates a million cases the first time (slow) and reuses them; `make bench-quick` checks the harness.
bench: install
	$(VENV)/bin/python bench/run.py $(ARGS)

bench-quick: install
	$(VENV)/bin/python bench/run.py --quick $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
