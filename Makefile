# Two commands on a fresh machine: `make run` and `make test`. Both install what they need from uv.lock.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.synced

.PHONY: setup run test test-unit test-integration test-e2e lint bench clean browser-deps

$(STAMP): pyproject.toml uv.lock
	$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv sync --frozen --python $(PYTHON)
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(VENV)/bin/portal up

test: setup browser-deps lint
	$(VENV)/bin/pytest -q --timeout=300 tests

# The browser tests' needs: Debian's Chromium (Playwright cannot download one here) and axe-core from the lock file.
browser-deps:
	@test -x /usr/bin/chromium || { if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
		else sudo apt-get update && sudo apt-get install -y chromium; fi; }
	@test -d tests/browser/node_modules/axe-core || (cd tests/browser && npm ci --no-audit --no-fund)

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
