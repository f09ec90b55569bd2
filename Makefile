# Two commands on a fresh machine: `make run` and `make test`. Both install what they need from uv.lock.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.synced
RUN_STAMP := $(VENV)/.synced-run
# The deployment checkers (checkov, yamllint, kubernetes-validate) live in their own environment and lock.
TOOLS_STAMP := tools/.venv/.synced

.PHONY: uv setup setup-run catalogues i18n tools local-services run test test-unit test-integration test-e2e chaos haproxy lint bench clean browser-deps validator-deps

uv:
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

# Everything, tests' tools included.
$(STAMP): pyproject.toml uv.lock | uv
	$(PYTHON) -m uv sync --frozen --python $(PYTHON)
	touch $(STAMP) $(RUN_STAMP)

# Only what the portal needs to run (no dev group); --inexact keeps a test set-up that is already there.
$(RUN_STAMP): pyproject.toml uv.lock | uv
	$(PYTHON) -m uv sync --frozen --no-dev --inexact --python $(PYTHON)
	touch $(RUN_STAMP)

$(TOOLS_STAMP): tools/pyproject.toml tools/uv.lock | uv
	$(PYTHON) -m uv sync --frozen --project tools --python $(PYTHON)
	touch $(TOOLS_STAMP)

setup: $(STAMP) catalogues

setup-run: $(RUN_STAMP) catalogues

# The words people read: gettext catalogues (.po, in git) compiled to .mo (not in git: no binary merges when two
# changes add strings; make rebuilds a .mo whenever its .po changes, the image build compiles its own).
PO_FILES := $(wildcard services/*/locale/*/LC_MESSAGES/*.po)
MO_FILES := $(PO_FILES:.po=.mo)

%.mo: %.po | $(RUN_STAMP)
	$(VENV)/bin/pybabel compile --statistics -i $< -o $@

catalogues: $(MO_FILES)

# After adding `_('new_key')` to a template or code: extract what the code uses (babel.cfg), add the new keys to
# every language's .po (untranslated, for you to write), then compile. The unit tests fail until both are written.
i18n: setup
	$(VENV)/bin/python -m portal.i18n
	$(MAKE) catalogues

tools: $(TOOLS_STAMP)

# The machine's PostgreSQL and RabbitMQ (with its management API), started or enabled when installed but off.
local-services:
	@tools/local-services

run: setup-run
	@tools/local-services rabbitmq
	$(VENV)/bin/portal up

# Three workers on two cores: much of a test's time is spent waiting (fsyncs, the broker, portals starting as
# processes). The tiers that run portals on fixed ports share one worker (tests/conftest.py); TEST_WORKERS=0 runs
# everything in one process.
TEST_WORKERS ?= 3

# The linters run beside the tests (mypy from a fresh clone takes a core for a minute or more; pytest mostly uses
# one): both must pass, and the linters' findings are printed after the tests'.
test: setup tools browser-deps validator-deps local-services
	@$(MAKE) --no-print-directory lint > .lint.log 2>&1 & lint=$$!; \
	$(VENV)/bin/pytest -q -rfEs --timeout=300 -n $(TEST_WORKERS) --dist loadgroup tests; tests=$$?; \
	wait $$lint; linted=$$?; cat .lint.log; rm -f .lint.log; \
	test $$tests = 0 -a $$linted = 0

# The browser tests' needs: Debian's Chromium (Playwright cannot download one here) and axe-core from the lock file.
browser-deps:
	@test -x /usr/bin/chromium || { if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
		else sudo apt-get update && sudo apt-get install -y chromium; fi; }
	@test -d tests/browser/node_modules/axe-core || (cd tests/browser && npm ci --no-audit --no-fund)

# The standards' own validators that run on Node (the AsyncAPI initiative's parser), from the lock file.
validator-deps:
	@test -d tests/validators/node_modules/@asyncapi/parser || (cd tests/validators && npm ci --no-audit --no-fund)

test-unit: setup tools validator-deps
	$(VENV)/bin/pytest -q tests/unit

test-integration: setup local-services
	$(VENV)/bin/pytest -q --timeout=300 tests/integration

test-e2e: setup validator-deps local-services
	$(VENV)/bin/pytest -q --timeout=300 tests/e2e

# Every fault of the chaos tier on SQLite and PostgreSQL (about 35 minutes); `make test` runs the quick ones.
# CLUSTER=3 runs the cluster mode (three nodes behind HAProxy).
chaos: setup local-services $(if $(filter-out 1,$(or $(CLUSTER),1)),haproxy)
	CHAOS=full CLUSTER=$(or $(CLUSTER),1) $(VENV)/bin/pytest -q -s -p no:cacheprovider --timeout=0 tests/chaos

# The cluster mode's load balancer (Debian's HAProxy), as the RabbitMQ cluster's Service balances in k8s.
haproxy:
	@command -v haproxy >/dev/null || test -x /usr/sbin/haproxy || { if [ "$$(id -u)" = 0 ]; then \
		apt-get update && apt-get install -y haproxy; else sudo apt-get update && sudo apt-get install -y haproxy; fi; }

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared services portal ministry_sdk
	$(VENV)/bin/lint-imports

bench: setup local-services
	$(VENV)/bin/python -m bench

clean:
	rm -rf .run $(VENV) tools/.venv
