# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# This machine's services; override for another environment.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tdl
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tdl_bench

.PHONY: install system-deps test-deps run test lint messages bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# The embedded default: SQLite, eager Celery, console email. Public links (QR
# codes, credential ids, status lists, did:web) name the address it serves on.
SITE_BASE_URL ?= http://$(HOST):$(PORT)
run: install system-deps
	$(PY) manage.py migrate --noinput
	SITE_BASE_URL=$(SITE_BASE_URL) $(PY) manage.py seed_demo
	SITE_BASE_URL=$(SITE_BASE_URL) $(PY) manage.py runserver $(HOST):$(PORT)

# Debian packages the project uses, installed when missing and we may (root):
# a TrueType CJK font for PDFs; for the tests also Chromium for the browser
# journeys, a CJK screen font, poppler's pdftotext to read PDFs back, and
# PgBouncer for the several-nodes test (tests/multinode).
APT_RUN := fonts-wqy-zenhei
APT_TEST := $(APT_RUN) chromium fonts-noto-cjk poppler-utils zbar-tools pgbouncer
define apt_ensure
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Missing Debian packages:$$missing (install them; some features or tests will be skipped)"; fi; \
	fi
endef

system-deps:
	$(call apt_ensure,$(APT_RUN))

# The reference JavaScript credential verifier the interop tests run (Node.js
# and npm from the machine; exact versions from tests/interop/package-lock.json).
INTEROP := tests/interop
$(INTEROP)/node_modules/.installed: $(INTEROP)/package-lock.json
	cd $(INTEROP) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# axe-core for the accessibility checks of the browser journeys.
AXE := tests/e2e/axe
$(AXE)/node_modules/.installed: $(AXE)/package-lock.json
	cd $(AXE) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# A real OpenID Connect provider (the oidc-provider package) the tests start on
# 127.0.0.1 for the regional sign-in (tests/oidc).
OIDC := tests/oidc
$(OIDC)/node_modules/.installed: $(OIDC)/package-lock.json
	cd $(OIDC) && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

test-deps: $(INTEROP)/node_modules/.installed $(AXE)/node_modules/.installed $(OIDC)/node_modules/.installed
	$(call apt_ensure,$(APT_TEST))

# The whole suite, against this machine's PostgreSQL and Redis. A skipped
# browser, interop, worker or PostgreSQL-only test fails the run
# (TDL_REQUIRE_ALL, see tests/skip_guard.py; CI=true does the same).
test: install test-deps
	TDL_REQUIRE_ALL=1 \
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# Rebuild the compiled translations after editing locale/*/django.po.
messages: install
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=tests --ignore=bench --ignore=static_collected --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

# District-scale benchmarks against PostgreSQL and gunicorn (see bench/README.md),
# then the read-heavy pages on one node and on two (a replica, PgBouncer).
bench: install
	$(call apt_ensure,pgbouncer)
	BENCH_DATABASE_URL=$${BENCH_DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) bench/run.py $(BENCH_ARGS)
	BENCH_DATABASE_URL=$${BENCH_DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) bench/run.py --nodes 2 $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 static_collected .pytest_cache $(INTEROP)/node_modules $(AXE)/node_modules $(OIDC)/node_modules
