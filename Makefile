# frontdoor: the two commands are `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export DATABASE_URL ?= sqlite:///$(CURDIR)/instance/frontdoor.db

.PHONY: setup run test lint bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed web/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js

# GOV.UK Frontend, the bpmn-js viewer and axe-core (browser tests) from npm (exact versions in
# package-lock.json); python -m web.assets copies the first two into web/static/vendor/.
web/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js: package-lock.json | $(VENV)/.installed
	npm ci --no-audit --no-fund --ignore-scripts
	$(BIN)/python -m web.assets

run: setup
	mkdir -p instance
	$(BIN)/frontdoor db upgrade
	$(BIN)/frontdoor demo
	$(BIN)/frontdoor serve

lint: setup
	$(BIN)/ruff check .

# The suite runs as two pytest processes side by side, each with its own PostgreSQL cluster, browser and
# temporary files: the pages (browser, web, CLI, demo, insight, README) and everything else. On two cores
# it takes a little over half the time of one process; both must pass.
PAGES := tests/browser tests/web tests/cli tests/test_readme.py

test: setup lint
	mkdir -p instance
	$(BIN)/pytest -p no:cacheprovider $(PAGES) > instance/pytest-pages.log 2>&1 & pages=$$!; \
	$(BIN)/pytest -p no:cacheprovider $(addprefix --ignore=,$(PAGES)); rest=$$?; \
	wait $$pages; status=$$?; echo "---- the pages' tests: $(PAGES) ----"; cat instance/pytest-pages.log; \
	test $$status -eq 0 && test $$rest -eq 0

bench: setup
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
