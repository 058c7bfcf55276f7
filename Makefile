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

setup: $(VENV)/.installed web/static/vendor/govuk-frontend/govuk-frontend.min.css

# GOV.UK Frontend from npm (exact versions in package-lock.json), copied into web/static/vendor/.
web/static/vendor/govuk-frontend/govuk-frontend.min.css: package-lock.json | $(VENV)/.installed
	npm ci --no-audit --no-fund
	$(BIN)/python -m web.assets

run: setup
	$(BIN)/frontdoor db upgrade
	$(BIN)/frontdoor deploy workflows/bpmn forms --as setup
	$(BIN)/frontdoor processes

lint: setup
	$(BIN)/ruff check .

test: setup lint
	$(BIN)/pytest

bench: setup
	$(BIN)/python bench/engine.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
