# The Co-production Register. `make serve` and `make test` do all the set-up.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8001
HOST ?= 127.0.0.1
DB := build/register.db
# The repository whose datasets/ a target reads or writes (tests point it at a scratch copy).
ROOT ?= $(CURDIR)

.PHONY: help install browser validate build serve test clean lock append add update-status template extracts report bench publish

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
	$(BIN)/python -m scripts.validate --root "$(ROOT)"

build: install
	$(BIN)/python -m scripts.build --root "$(ROOT)"

# Datasette's settings live in scripts/serve.py, shared with the tests.
serve: build extracts report
	$(BIN)/python -m scripts.serve --host $(HOST) --port $(PORT)

# Staff workflows (see README, "Adding records"). Values are passed to the scripts
# single-quoted and unexpanded ($(call sq,NAME)), so a NOTE or a file name holding
# quotes, $ or backticks reaches the script as typed and is never run by the shell.
# ROOT= points them at another copy of the repository (the tests use scratch copies).
sq = '$(subst ','\'',$(value $(1)))'
root_arg = --root '$(subst ','\'',$(ROOT))'

append: install
	@$(BIN)/python -m scripts.append --table $(call sq,TABLE) --file $(call sq,FILE) $(root_arg) \
	  $(if $(filter no,$(REBUILD)),--no-build)

add: install
	@$(BIN)/python -m scripts.add --table $(call sq,TABLE) $(root_arg)

update-status: install
	@$(BIN)/python -m scripts.update_status --id $(call sq,ID) --status $(call sq,STATUS) --note $(call sq,NOTE) \
	  $(if $(DATE),--date $(call sq,DATE)) --source $(call sq,SOURCE) --section $(call sq,SECTION) $(root_arg)

template: install
	@$(BIN)/python -m scripts.template --table $(call sq,TABLE) $(if $(OUT),--out $(call sq,OUT)) $(root_arg)

# Downloads for journalists and analysts: build/extracts/.
extracts: build
	$(BIN)/python -m scripts.extracts

# The impact report: build/reports/impact_report.html.
report: build
	$(BIN)/python -m scripts.report $(if $(PERIOD_START),--start "$(PERIOD_START)") $(if $(PERIOD_END),--end "$(PERIOD_END)")

# Print (or, with RUN=1, run) the `datasette publish` command for TARGET=cloudrun|fly.
publish: extracts report
	$(BIN)/python -m scripts.publish $(or $(TARGET),cloudrun) $(if $(RUN),--run)

# Heavy measurements: never part of `make test`.
bench: install
	$(BIN)/python -m scripts.bench

# axe-core for the browser accessibility tests, pinned in package-lock.json (npm ci installs
# exactly that; touch, because npm keeps the tarball's old file dates).
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

test: install browser node_modules/axe-core/axe.min.js
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
