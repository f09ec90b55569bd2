# Two commands on a fresh machine: `make run` and `make test`. Both install what they need from uv.lock.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.synced

.PHONY: setup run test test-unit test-integration test-e2e lint bench clean

$(STAMP): pyproject.toml uv.lock
	$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv sync --frozen --python $(PYTHON)
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
	$(VENV)/bin/mypy shared services portal ministry_sdk
	$(VENV)/bin/lint-imports

bench: setup
	$(VENV)/bin/python -m bench

clean:
	rm -rf .run $(VENV)
