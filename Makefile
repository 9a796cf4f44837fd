# Two commands for a fresh machine with Python 3.11+: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check lint install screenshots

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Load the fictional London demo into SQLite and serve it on http://127.0.0.1:8000
demo: $(STAMP)
	$(BIN)/safebeds demo

## Lint, type-check, check the layering, and run every test
test: $(STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## Walk every page in Chromium at phone and desktop widths and keep the screenshots in docs/screenshots/
screenshots: $(STAMP)
	SAFEBEDS_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/browser/test_every_page.py
