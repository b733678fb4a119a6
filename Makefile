# The Co-production Register. `make serve` and `make test` do all the set-up; `make help`
# lists every target. Outputs are file targets, so an unchanged tree is not rebuilt.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PORT ?= 8001
HOST ?= 127.0.0.1
DB := build/register.db
EXTRACTS := build/extracts/SHA256SUMS
REPORT := build/reports/impact_report.html
# The repository whose datasets/ a target reads or writes (tests point it at a scratch copy).
ROOT ?= $(CURDIR)
# What staff type (make update-status NOTE="..." and the rest) must reach the scripts
# exactly as typed, whatever it holds: quotes, $, backticks, newlines, any bytes. So each
# such value given on the command line or in the environment becomes a simple variable
# holding its own text ($(value ...): make never expands a $( ) inside it), exported as
# make exports any command-line value: recipes read it as "$$NOTE", and no value is ever
# spliced into a shell line. A ROOT not given is this directory, the recipe's own.
STAFF_VARS := TABLE FILE ID STATUS NOTE DATE SOURCE SECTION OUT REBUILD ROOT \
  UPDATE LOG PARTNER VERDICT WORDS FIELD VALUE REASON PERSONAL_DATA ALLOW_DUPLICATES \
  PERIOD_START PERIOD_END HOST
$(foreach v,$(STAFF_VARS),$(if $(filter command environment,$(firstword $(origin $(v)))),\
  $(eval override $(v) := $$(value $(v)))$(eval export $(v))))
# An empty ROOT (set but blank in someone's shell) means this directory too. ($(value)
# here too: a ROOT holding $( ) is never expanded.)
ifeq ($(strip $(value ROOT)),)
override ROOT := $(CURDIR)
endif
root_arg = --root="$${ROOT:-$$PWD}"
# The address to serve on is passed the same way ("$$HOST"), the default too.
export HOST
INSTALLED := $(BIN)/.installed

# A port is a whole number from 1 to 65535: anything else given to a target that serves is
# said in one line, before anything is built. (Digits are checked in make itself, so the
# shell only ever sees digits.)
no_digits = $(subst 0,,$(subst 1,,$(subst 2,,$(subst 3,,$(subst 4,,$(subst 5,,$(subst 6,,$(subst 7,,$(subst 8,,$(subst 9,,$(1)))))))))))
port_ok = $(and $(filter 1,$(words $(1))),$(if $(call no_digits,$(1)),,$(shell test $(1) -ge 1 -a $(1) -le 65535 2>/dev/null && echo ok)))
ifneq ($(filter serve serve-national,$(MAKECMDGOALS)),)
ifeq ($(call port_ok,$(PORT)),)
$(error PORT= must be a port number from 1 to 65535, not "$(PORT)"; for example: make $(firstword $(filter serve serve-national,$(MAKECMDGOALS))) PORT=8080)
endif
endif
ifneq ($(filter lab,$(MAKECMDGOALS)),)
ifeq ($(call port_ok,$(LAB_PORT)),)
$(error LAB_PORT= must be a port number from 1 to 65535, not "$(LAB_PORT)"; for example: make lab LAB_PORT=8889)
endif
endif

# What a build, the extracts and the report are made from.
CODE := pyproject.toml $(shell find src/register -name '*.py' -o -name '*.sql' 2>/dev/null)
DATA := datapackage.json metadata.yml publisher.yml $(wildcard schemas/*.json schemas/views/*.json schemas/codelists/*.json datasets/*.csv datasets/codelists/*.csv)
NOTEBOOKS := $(wildcard notebooks/*.py notebooks/report_template/*)

.PHONY: help install browser libreoffice faketime validate build serve serve-ready test test-unit test-integration test-browser \
        lint format clean clean-releases lock lab append add update-status attest correct template extracts report bench publish \
        national serve-national

help: ## list the targets
	@grep -hE '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)/  make \1\t\2/' | expand -t 26

# A fresh machine's python3 may be too old, or (Debian, Ubuntu) unable to make a virtual
# environment: said in one line with what to do, before anything is installed.
$(INSTALLED): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  v=$$($(PYTHON) --version 2>/dev/null); echo "The register needs Python 3.11 or newer, and $(PYTHON) is" \
	  "$${v:-not found}. Install a newer Python, or name it: make $(or $(MAKECMDGOALS),serve) PYTHON=python3.12" >&2; exit 2; }
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { echo "$(PYTHON) cannot make a virtual environment" \
	  "(it has no ensurepip): on Debian or Ubuntu, install it with: sudo apt-get install python3-venv" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

install: $(INSTALLED) ## make the virtual environment in .venv (from the pinned requirements.txt)

browser: ## install Debian's chromium for the browser tests (test tools cannot download their own)
	@command -v chromium >/dev/null || scripts/install-chromium

faketime: ## install Debian's faketime (libfaketime) for the moved-clock test
	@command -v faketime >/dev/null || scripts/install-faketime

libreoffice: ## install Debian's headless LibreOffice Calc for the Excel-download tests
	@command -v soffice >/dev/null || scripts/install-libreoffice

validate: $(INSTALLED) ## check datasets/ against the schemas and rules (ROOT= another package; FORMAT=github)
	$(if $(filter-out github text,$(FORMAT)),$(error FORMAT= must be github or text, not $(FORMAT)))
	@$(PY) -m register.checks.validate $(root_arg) $(if $(FORMAT),--format=$(FORMAT))

ifeq ($(ROOT),$(CURDIR))
$(DB): $(INSTALLED) $(CODE) $(DATA)
	@$(PY) -m register.database.build $(root_arg)
	@touch $@
build: $(DB) ## validate, then write build/register.db (only when its inputs changed; ROOT= another package)
else
build: $(INSTALLED)
	@$(PY) -m register.database.build $(root_arg)
endif

PERIOD_ARGS = $(if $(PERIOD_START),--start="$$PERIOD_START") $(if $(PERIOD_END),--end="$$PERIOD_END")

$(EXTRACTS): $(DB)
	$(PY) -m register.publishing.extracts
$(REPORT): $(DB) $(EXTRACTS) $(NOTEBOOKS)
	$(PY) -m register.publishing.report

ifeq ($(ROOT),$(CURDIR))
extracts: $(EXTRACTS) ## the downloads for journalists and analysts, in build/extracts/ (ROOT= another package)
ifeq ($(PERIOD_START)$(PERIOD_END),)
report: $(REPORT) ## the impact report, build/reports/impact_report.html (PERIOD_START=, PERIOD_END=; ROOT=)
else
# A period's report is written over the whole register's, then marked out of date so that
# the next `make serve` or `make report` writes the whole register's again.
report: $(DB)
	$(PY) -m register.publishing.report $(PERIOD_ARGS)
	touch -d '2000-01-01' $(REPORT)
endif
serve: serve-ready $(DB) $(EXTRACTS) $(REPORT) ## install, validate, build and serve on http://127.0.0.1:8001/ (PORT= overrides; ROOT= another package)
	$(PY) -m register.site.serve --host="$$HOST" --port $(PORT)
else
# Another publisher's package (ROOT=publishers/north-cumbria): its own build/, downloads
# and impact report, always made afresh.
extracts: build
	@$(PY) -m register.publishing.extracts $(root_arg)
report: build
	$(PY) -m register.publishing.report $(root_arg) $(PERIOD_ARGS)
serve: serve-ready extracts
	@$(PY) -m register.publishing.report $(root_arg)
	$(PY) -m register.site.serve --build-dir="$$ROOT/build" $(root_arg) --host="$$HOST" --port $(PORT)
endif

# A port in use, a mistyped HOST= or REGISTER_* value: said before a minute of building.
serve-ready: $(INSTALLED)
	@$(PY) -m register.site.serve --before-build $(root_arg) --host="$$HOST" --port $(PORT)

# The national register (docs/national.md): every publisher in REGISTRY= fetched, checked and
# merged into build/national/, which the same site serves, with its downloads and impact
# report written from what was merged (as `make serve` writes a register's), so that the
# site's /downloads and its report never speak of an earlier merge. Last good copies are
# kept in build/national/state/ between runs.
NATIONAL := build/national
national: $(INSTALLED) ## build the national register, its downloads and report, from the publishers in REGISTRY=<csv> into build/national/
	@test -n "$$REGISTRY" || { echo "Say which registry of publishers: make national REGISTRY=path/to/registry.csv" >&2; exit 2; }
	@$(PY) -m register.national.build --registry="$$REGISTRY" --out="$(NATIONAL)"
	@$(PY) -m register.publishing.extracts --root="$(NATIONAL)/package" --build-dir="$(NATIONAL)"
	@$(PY) -m register.publishing.report --root="$(NATIONAL)/package" --db="$(NATIONAL)/register.db" --out="$(NATIONAL)/reports"

serve-national: serve-ready ## serve the national register built by `make national` (PORT= overrides)
	@test -f "$(NATIONAL)/register.db" || { echo "There is no national register in $(NATIONAL)/ yet: build it first with" \
	  "make national REGISTRY=path/to/registry.csv (docs/national.md)" >&2; exit 2; }
	$(PY) -m register.site.serve --build-dir $(NATIONAL) --no-rebuild --host="$$HOST" --port $(PORT)

# Staff workflows (docs/staff-guide.md). Every value comes from the environment (see
# STAFF_VARS above), so a NOTE or a file name holding quotes, $, backticks or a newline
# reaches the script as typed and is never run by the shell. ROOT= points them at another
# copy of the repository (the tests use scratch copies).
# A record that repeats an existing one in everything but its id is refused unless
# ALLOW_DUPLICATES=yes says it is meant. Yes/no values (ALLOW_DUPLICATES, REBUILD,
# PERSONAL_DATA) reach the script as typed: it takes yes or no in any capitals and
# refuses anything else, rather than guess.
allow_arg = --allow-duplicates="$$ALLOW_DUPLICATES"
append: $(INSTALLED) ## add the records in FILE= (CSV or .xlsx) to TABLE=, all or nothing [REBUILD=no] [ALLOW_DUPLICATES=yes]
	@$(PY) -m register.staff.append --table="$$TABLE" --file="$$FILE" $(root_arg) \
	  --rebuild="$$REBUILD" $(allow_arg)

add: $(INSTALLED) ## add one record to TABLE= by answering questions [ALLOW_DUPLICATES=yes]
	@$(PY) -m register.staff.add --table="$$TABLE" $(root_arg) $(allow_arg)

update-status: $(INSTALLED) ## record a new status of a "You said" item: ID= STATUS= NOTE= SOURCE= SECTION= [DATE=] [ALLOW_DUPLICATES=yes]
	@$(PY) -m register.staff.update_status --id="$$ID" --status="$$STATUS" --note="$$NOTE" \
	  $(if $(DATE),--date="$$DATE") --source="$$SOURCE" --section="$$SECTION" $(root_arg) $(allow_arg)

attest: $(INSTALLED) ## a partner's verdict: UPDATE=|LOG= PARTNER= VERDICT= WORDS= SOURCE= [SECTION=] [DATE=] [ALLOW_DUPLICATES=yes]
	@$(PY) -m register.staff.attest --update="$$UPDATE" --log="$$LOG" --partner="$$PARTNER" \
	  --verdict="$$VERDICT" --words="$$WORDS" --date="$$DATE" --source="$$SOURCE" --section="$$SECTION" $(root_arg) \
	  $(allow_arg)

correct: $(INSTALLED) ## correct one field of a published record, in public: ID= FIELD= VALUE= REASON= [PERSONAL_DATA=yes]
	@$(PY) -m register.staff.correct --id="$$ID" --field="$$FIELD" --value="$$VALUE" --reason="$$REASON" \
	  --personal-data="$$PERSONAL_DATA" $(root_arg)

template: $(INSTALLED) ## an Excel workbook to fill in for TABLE= [OUT=path]
	@$(PY) -m register.staff.template --table="$$TABLE" $(if $(OUT),--out="$$OUT") $(root_arg)

# A TARGET= that is not a host is said before the build, the extracts and the report are made.
ifneq ($(filter publish,$(MAKECMDGOALS)),)
ifneq ($(filter-out cloudrun fly,$(or $(TARGET),cloudrun)),)
$(error TARGET= must be cloudrun or fly, not $(TARGET); for example: make publish TARGET=fly)
endif
endif
publish: $(EXTRACTS) $(REPORT) ## print (RUN=1: run) the deployment command for TARGET=cloudrun|fly
	$(PY) -m register.publishing.publish $(or $(TARGET),cloudrun) $(if $(RUN),--run)

# JupyterLab opens notebooks/*.py (jupytext's paired text notebooks) as notebooks; the
# settings file makes that the default for .py files in this environment only.
LAB_PORT ?= 8888
# The whole suite runs test files on every core (pytest-xdist): most tests wait on servers,
# LibreOffice or chromium, so two workers on two cores finish well before one.
TEST_WORKERS ?= auto
lab: $(DB) $(EXTRACTS) ## JupyterLab with the notebooks and the built register (LAB_PORT=8888)
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@cp notebooks/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) --ServerApp.port_retries=0 \
	  --ServerApp.root_dir="$(CURDIR)" --LabApp.default_url=/lab/tree/notebooks/impact_report.py \
	  $(if $(filter true 1,$(CI)),--no-browser) $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(INSTALLED) ## heavy measurements at national scale, printed as a table (never in make test)
	$(if $(filter 0,$(BENCH_LIGHTHOUSE)),,scripts/install-lighthouse)
	$(PY) -m register.bench.bench

# axe-core for the browser accessibility tests, pinned in package-lock.json (npm ci installs
# exactly that; touch, because npm keeps the tarball's old file dates). Lighthouse and pa11y,
# the optional dependencies, are for `make bench` only (scripts/install-lighthouse).
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@command -v npm >/dev/null || { echo "The browser tests need Node's npm, to install axe-core as pinned in" \
	  "package-lock.json: on Debian or Ubuntu, install it with: sudo apt-get install npm" >&2; exit 2; }
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --omit=optional
	touch $@

lint: $(INSTALLED) ## ruff (lint and format check), the import-layer contract and the GitHub workflows (check-jsonschema)
	$(BIN)/ruff check src tests notebooks plugins
	$(BIN)/ruff format --check src tests notebooks plugins
	$(BIN)/lint-imports
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml

format: $(INSTALLED) ## apply ruff's fixes and formatting
	$(BIN)/ruff check --fix src tests notebooks plugins
	$(BIN)/ruff format src tests notebooks plugins

test: lint browser libreoffice faketime node_modules/axe-core/axe.min.js ## the whole suite: lint, unit, integration and browser tests
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

test-unit: $(INSTALLED) ## the fast tests: imports only, no make targets or servers
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-integration: $(INSTALLED) ## make targets, builds and real servers
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test-browser: $(INSTALLED) browser node_modules/axe-core/axe.min.js ## Debian's chromium through Playwright
	$(PY) -m pytest tests/browser $(PYTEST_ARGS)

lock: ## re-pin every dependency from requirements.in into requirements.txt
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/pip install --quiet -r requirements.in
	{ echo "# Pinned lock of requirements.in, as tested (regenerate with: make lock)."; \
	  .venv-lock/bin/pip freeze --all | grep -v '^pip=='; } > requirements.txt
	rm -rf .venv-lock

clean: ## remove build/, except the citable releases in build/releases/ (make clean-releases removes those)
	@if [ -d build ]; then find build -mindepth 1 -maxdepth 1 ! -name releases -exec rm -rf {} +; fi
	@if [ -d build/releases ]; then echo "Kept build/releases/: links people cited go on working. make clean-releases removes them."; fi

clean-releases: ## remove the citable releases kept in build/releases/: links to them stop working here
	rm -rf build/releases
