# ERFlow: `make run` (set up, migrate, seed the demo, serve) and `make test` (set up, then every test stage).
# Each set-up step leaves a stamp file, so a repeated run only redoes what changed.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000

PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
VENDOR_STAMP := app/static/vendor/.installed
PO_FILES := $(shell find app -path '*/translations/*/LC_MESSAGES/*.po' 2>/dev/null)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: help install system-deps translations run serve-prod test lint bench clean migration

help:
	@echo "make run          set up, migrate instance/erflow.sqlite3, deploy bpmn/, seed demo data, serve on $(HOST):$(PORT)"
	@echo "make serve-prod   gunicorn (sync workers) + 2 timer workers + PostgreSQL (DATABASE_URL, else a throwaway demo cluster)"
	@echo "make test         set up (incl. Debian packages), ruff, pytest on SQLite and PostgreSQL, browser tests"
	@echo "make install      venv + requirements, npm ci, vendor assets, compiled translations"
	@echo "make system-deps  apt-get install postgresql chromium chromium-driver fonts-noto-cjk, Pango (PDF) when absent"
	@echo "make migration m=\"what changed\"   autogenerate an Alembic revision from the models (review it!)"
	@echo "make lint | bench | clean"

install: $(PY_STAMP) $(NPM_STAMP) $(VENDOR_STAMP) translations

$(PY_STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# --ignore-scripts: no package needs an install script; the assets are plain files.
$(NPM_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR_STAMP): $(NPM_STAMP) scripts/vendor.sh $(wildcard app/static/js/modeler/*)
	bash scripts/vendor.sh
	touch $@

# Every app/**/translations catalogue (they are merged at run time); .mo files are git-ignored.
translations: $(MO_FILES)

%.mo: %.po scripts/compile_po.py | $(PY_STAMP)
	$(BIN)/python scripts/compile_po.py $< $@

system-deps:
	bash scripts/system-deps.sh

run: install
	$(FLASK) db upgrade
	$(FLASK) erflow deploy bpmn/
	$(FLASK) erflow seed-demo
	@echo "ERFlow on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	ERFLOW_INPROCESS_WORKER=1 $(FLASK) run --host $(HOST) --port $(PORT) --no-reload

# Production topology on this machine; see scripts/serve_prod.sh and docs/operations.md.
serve-prod: install
	bash scripts/serve_prod.sh

test: system-deps install
	bash scripts/test.sh

lint: $(PY_STAMP)
	$(BIN)/ruff check app tests

# A new revision in migrations/versions from the difference between the models and the migrations,
# computed on a scratch SQLite database upgraded to head (so your instance/ database does not matter).
migration: $(PY_STAMP)
	@test -n "$(m)" || { echo 'usage: make migration m="what changed"' >&2; exit 1; }
	@set -e; scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	export DATABASE_URL="sqlite:///$$scratch/head.sqlite3"; \
	$(FLASK) db upgrade; $(FLASK) db migrate -m "$(m)"

# Every bench/*.py except helpers (bench/_*.py); each prints its own figures.
bench: install
	@set -e; shopt -s nullglob; files=(bench/*.py); \
	[ $${#files[@]} -gt 0 ] || { echo "no benchmarks in bench/"; exit 0; }; \
	for f in "$${files[@]}"; do case "$$f" in bench/_*) continue;; esac; \
	  echo "==> $$f"; PYTHONPATH=. $(BIN)/python "$$f"; done

# Leaves instance/ (your database and uploads) alone.
clean:
	rm -rf $(VENV) node_modules app/static/vendor tests/e2e/screens .pytest_cache .ruff_cache bench/out
	find app -name '*.mo' -path '*/translations/*' -delete
	find . -name __pycache__ -type d -not -path './node_modules/*' -prune -exec rm -rf {} +
