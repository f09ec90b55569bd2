# Two commands on a fresh machine: `make run` and `make test`. Both install what they need from uv.lock.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
STAMP := $(VENV)/.synced

.PHONY: setup run test test-unit test-integration test-e2e lint bench clean

$(UV):
	$(PYTHON) -m pip install --quiet --user uv || $(PYTHON) -m pip install --quiet uv

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(VENV)/bin/portal up

test: setup
	$(VENV)/bin/pytest -q --timeout=300 tests

test-unit: setup
	$(VENV)/bin/pytest -q tests/unit

test-integration: setup
	$(VENV)/bin/pytest -q --timeout=300 tests/integration

test-e2e: setup
	$(VENV)/bin/pytest -q --timeout=300 tests/e2e

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared services portal
	$(VENV)/bin/lint-imports

bench: setup
	$(VENV)/bin/python -m bench

clean:
	rm -rf .run $(VENV)
