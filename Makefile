# The Co-production Register. `make serve` and `make test` do all the set-up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8001
HOST ?= 127.0.0.1
DB := build/register.db

# Settings for a public site: no suggested facets (they dominate page time on big
# tables), bounded SQL and facet time, capped result sizes, long cache lifetimes
# because the database is immutable between builds.
DATASETTE_SETTINGS := \
	--setting suggest_facets off \
	--setting sql_time_limit_ms 1000 \
	--setting facet_time_limit_ms 300 \
	--setting max_returned_rows 1000 \
	--setting default_page_size 50 \
	--setting default_cache_ttl 300 \
	--setting truncate_cells_html 0
DATASETTE_ARGS := -i $(DB) --inspect-file build/inspect.json -m build/metadata.json \
	--plugins-dir plugins --template-dir templates --static static:static $(DATASETTE_SETTINGS)

.PHONY: help install browser validate build serve test clean lock

help:
	@echo "make serve     install, validate, build and serve on http://$(HOST):$(PORT)/"
	@echo "make test      run the whole test suite"
	@echo "make validate  check datasets/ against the schemas and rules"
	@echo "make build     validate, then write $(DB)"

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(BIN)/.installed

# Debian's chromium, for the browser tests (test tools cannot download their own here).
browser:
	@command -v chromium >/dev/null || scripts/install-chromium

validate: install
	$(BIN)/python -m scripts.validate

build: install
	$(BIN)/python -m scripts.build

serve: build
	@echo "Serving the register on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(BIN)/datasette serve $(DATASETTE_ARGS) -h $(HOST) -p $(PORT)

test: install browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Re-pin every dependency from requirements.in into requirements.txt.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Pinned lock of requirements.in, as tested (regenerate with: make lock)."; \
	  .venv-lock/bin/pip freeze; } > requirements.txt
	rm -rf .venv-lock

clean:
	rm -rf build
