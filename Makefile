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

.PHONY: install browser run test lint messages bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# The embedded default: SQLite, eager Celery, console email.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST):$(PORT)

# Browser journeys use Debian's chromium; install it when missing and we may.
browser:
	@if ! command -v chromium >/dev/null 2>&1 && [ -z "$$CHROMIUM_PATH" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium not found: the browser journeys will be skipped"; fi; \
	fi

# The whole suite, against this machine's PostgreSQL and Redis.
test: install browser
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .

# Rebuild the compiled translations after editing locale/*/django.po.
messages: install
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=tests --ignore=bench --ignore=static_collected --no-obsolete
	$(PY) manage.py compilemessages -l en --ignore=.venv

# District-scale benchmarks against PostgreSQL and gunicorn (see bench/README.md).
bench: install
	BENCH_DATABASE_URL=$${BENCH_DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 static_collected .pytest_cache
