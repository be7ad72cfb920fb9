# Thin wrapper over `python -m generator` and the tools; every target creates .venv on first use.
.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV_VERSION := $(shell sed -n 's/^uv==//p' requirements.lock)
# pytest-xdist workers for `make test`: more than the 2 cores, as many tests wait on processes they start
# (measured on 2 cores: `.ci/run` on fresh clones, one after the other, took 370 s with 4 workers, 392 s with 6)
TEST_WORKERS ?= 4
PYTEST_ARGS ?=
# schemathesis generates its cases outside pytest-xdist's scheduling: the fuzz tests run in a process of their own
FUZZ_TESTS := tests/test_fuzz.py
TEST_ENV = AZURITE_BLOB=$(abspath $(AZURITE)) OIDC_PROVIDER_MODULES=$(abspath .npm/oidc/node_modules)
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8080
DATA_DIR ?= build/data
WORKERS ?=
DOCS_PORT ?= 8000
BASE ?= HEAD
FORMAT ?= text
EXAMPLES ?= 30
ADMIN ?= http://127.0.0.1:9090
AZURITE_VERSION := 3.37.0
AZURITE := .npm/node_modules/.bin/azurite-blob
OIDC_PROVIDER_VERSION := 9.13.3
OIDC_PROVIDER := .npm/oidc/node_modules/oidc-provider/package.json
OHIF_VERSION := 3.13.2
OHIF := .npm/ohif/package/dist/index.html
export NO_MKDOCS_2_WARNING := 1
# Compiled modules (and pytest's rewritten test modules) are kept under build/, so each run does not compile
# every module again: measured 7.5 s → 4.5 s of CPU per pytest process for collection alone.
unexport PYTHONDONTWRITEBYTECODE
export PYTHONPYCACHEPREFIX := $(abspath build/pycache)

.PHONY: help venv npm-tools generate check-generated lint-specs imports lint format check test loadtest serve mock docs docs-serve review bench fuzz clean
.PHONY: version-new version-release version-deprecate version-retire version-callers

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# uv installs the pinned tree in parallel (measured: 97 s with pip, 22 s with uv, from PyPI on a fresh clone),
# compiled into build/pycache here, so the test workers that start together do not each compile it.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python >= 3.11 is required ($(PYTHON))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(PY) -m uv pip install --quiet --compile-bytecode --python $(PY) -r requirements.lock
	$(PY) -m uv pip install --quiet --python $(PY) --no-deps --no-build-isolation -e .
	$(PY) -m compileall -q -j 0 dicom_service generator bench
	@touch $@

venv: $(STAMP) ## create .venv with the pinned dependencies


generate: $(STAMP) ## render the service stubs, served specs and doc pages from specs/
	$(PY) -m generator generate

check-generated: $(STAMP) ## fail when committed generated files differ from a fresh render
	$(PY) -m generator generate --check

lint-specs: $(STAMP) ## validate the registry and every spec (all errors at once)
	$(PY) -m generator lint

imports: $(STAMP) ## fail on an import circle in dicom_service or generator, or a hand-written module of them or bench over 400 lines
	$(PY) -m tests.imports
	$(PY) -m tests.module_sizes

lint: $(STAMP) ## ruff (lint + format check) and mypy on the hand-written code
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP) ## apply ruff's formatting and safe fixes
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

check: lint-specs check-generated lint imports ## the fast tier: spec lint, stale-output check, ruff + mypy, import circles, the unit tests (< 1 min)
	$(PY) -m pytest -m "not e2e" -n 2 --dist loadfile

# The suite's workers, the fuzz tests and ruff + mypy run side by side (the suite often waits on the processes
# it starts); the fuzz and lint output is printed once the suite ends, and any failure fails the target. Background
# jobs ignore Ctrl-C in a script: the trap stops them with the suite.
test: lint-specs check-generated imports $(AZURITE) $(OIDC_PROVIDER) $(OHIF) ## everything CI runs: spec lint, stale-output check, lint, the test suite, the fuzz tests
	@mkdir -p build/test; echo "make test: the suite starts $$(date -u +%T)"
	@$(MAKE) --no-print-directory lint > build/test/lint.log 2>&1 & lint=$$!; \
	$(TEST_ENV) $(PY) -m pytest $(FUZZ_TESTS) > build/test/fuzz.log 2>&1 & fuzz=$$!; \
	trap 'kill $$lint $$fuzz 2>/dev/null; exit 130' INT TERM; \
	$(TEST_ENV) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --ignore=$(FUZZ_TESTS) --durations=40 $(PYTEST_ARGS); suite=$$?; \
	wait $$lint; linted=$$?; wait $$fuzz; fuzzed=$$?; \
	echo "--- make lint (ruff + mypy): exit $$linted"; cat build/test/lint.log; \
	echo "--- $(FUZZ_TESTS): exit $$fuzzed"; tail -n 40 build/test/fuzz.log; \
	echo "--- the suite: exit $$suite"; \
	exit $$(( suite || linted || fuzzed ))

npm-tools: $(AZURITE) $(OIDC_PROVIDER) $(OHIF) ## install what `make test` needs from npm (Azurite, oidc-provider, OHIF), once

$(AZURITE): ## Azurite, the Azure Storage emulator the export tests write to (npm, pinned, once)
	npm install --prefix .npm --no-save --no-audit --no-fund --loglevel=error azurite@$(AZURITE_VERSION)

$(OIDC_PROVIDER): ## oidc-provider, the OpenID Connect issuer the token tests get real tokens from (npm, pinned, once)
	npm install --prefix .npm/oidc --no-save --no-audit --no-fund --loglevel=error oidc-provider@$(OIDC_PROVIDER_VERSION)

$(OHIF): ## OHIF Viewer's prebuilt dist/ for the browser test (npm pack, pinned, once; its npm install fails)
	rm -rf .npm/ohif && mkdir -p .npm/ohif
	cd .npm/ohif && npm pack --silent --loglevel=error @ohif/app@$(OHIF_VERSION) >/dev/null \
	  && tar -xzf ohif-app-$(OHIF_VERSION).tgz && rm ohif-app-$(OHIF_VERSION).tgz
	@test -f $@ && touch $@

loadtest: $(STAMP) $(AZURITE) ## several clients against 2 service processes on PostgreSQL + Azurite, one killed midway
	AZURITE_BLOB=$(abspath $(AZURITE)) $(PY) -m tests.load

serve: $(STAMP) ## run the DICOMweb service on 127.0.0.1:$(PORT) (WORKERS processes), data under $(DATA_DIR)
	DATA_DIR=$(DATA_DIR) WORKERS=$(WORKERS) $(PY) -m dicom_service.serve --host 127.0.0.1 --port $(PORT)

mock: $(STAMP) ## run the example-answering mock service on 127.0.0.1:$(PORT)
	$(PY) -m uvicorn dicom_service.app:mock --host 127.0.0.1 --port $(PORT)

docs: $(STAMP) ## build the doc site into build/site with mkdocs --strict
	$(PY) -m mkdocs build --strict

docs-serve: $(STAMP) ## serve the doc site on 127.0.0.1:$(DOCS_PORT)
	$(PY) -m mkdocs serve --strict --dev-addr 127.0.0.1:$(DOCS_PORT)

review: $(STAMP) ## classify spec changes between BASE (a git ref) and the working tree (FORMAT=text|markdown|json)
	@$(PY) -m generator review --format $(FORMAT) $(BASE) specs; code=$$?; case $$code in \
	  0) ;; \
	  1) echo "review: exit 1: a breaking change the versioning policy does not allow" >&2 ;; \
	  2) echo "review: exit 2: input that cannot be read (see above)" >&2 ;; \
	  *) echo "review: exit $$code" >&2 ;; \
	esac; exit $$code

version-new: $(STAMP) ## add API version NAME as a prerelease, its spec copied from FROM's (NAME=3 FROM=2 [PRERELEASE=1] [DRY_RUN=1])
	$(PY) -m generator version new $(NAME) --from $(FROM) $(if $(PRERELEASE),--prerelease) $(if $(DRY_RUN),--dry-run)

version-release: $(STAMP) ## promote prerelease NAME to released (NAME=3 [DATE=2027-01-15] [DRY_RUN=1])
	$(PY) -m generator version release $(NAME) $(if $(DATE),--date $(DATE)) $(if $(DRY_RUN),--dry-run)

version-deprecate: $(STAMP) ## deprecate version NAME with its SUNSET date (NAME=1 SUNSET=2028-06-30 [DEPRECATION=...] [DRY_RUN=1])
	$(PY) -m generator version deprecate $(NAME) --sunset $(SUNSET) $(if $(DEPRECATION),--deprecation $(DEPRECATION)) $(if $(DRY_RUN),--dry-run)

version-retire: $(STAMP) ## stop serving version NAME after its sunset (NAME=1.0-prerelease [BEFORE_SUNSET=1] [DRY_RUN=1])
	$(PY) -m generator version retire $(NAME) $(if $(BEFORE_SUNSET),--before-sunset) $(if $(DRY_RUN),--dry-run)

version-callers: $(STAMP) ## who still calls version NAME, per client, from a running service's metrics (NAME=1.0-prerelease ADMIN=http://127.0.0.1:9090)
	$(PY) -m dicom_service.ops.callers --admin $(ADMIN) $(NAME)

fuzz: $(STAMP) ## schemathesis against the mock and the service, every version (EXAMPLES=30 per operation)
	$(PY) -m tests.fuzz_run --examples $(EXAMPLES)

bench: $(STAMP) ## measure the service, the generator and the review engine against their peers
	$(PY) -m bench

clean: ## remove the virtual environment and build output
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
