# OpenAudience: `make demo` serves a seeded demo; `make test` runs every check.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/openaudience
PYTEST_WORKERS ?= 2

.PHONY: demo test lint bench install clean

# One install step from pyproject.toml. The venv is (re)made only when it lacks a Python 3.12+.
$(VENV)/.installed: pyproject.toml
	@if ! { [ -x $(PY) ] && $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; }; then \
	  python=$$(scripts/find-python.sh) || exit 1; \
	  echo "Creating $(VENV) with $$python"; \
	  rm -rf $(VENV) && $$python -m venv $(VENV) || exit 1; \
	fi
	@echo "Installing OpenAudience and its dependencies into $(VENV) (the first time takes a few minutes)"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $@

install: $(VENV)/.installed

# Uses DATABASE_URL / CELERY_BROKER_URL / REDIS_URL when set, else an embedded PostgreSQL and
# a filesystem broker under ./var. DEMO_PORT, DEMO_HOST and DEMO_PROFILES tune it.
demo: $(VENV)/.installed
	$(PY) manage.py demo

lint: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# pytest exits 5 when it collects no tests, and make fails on any non-zero exit: keep it so.
test: $(VENV)/.installed lint
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) manage.py check
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) manage.py makemigrations --check --dry-run
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m pytest -n $(PYTEST_WORKERS) -q

bench: $(VENV)/.installed
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(PY) -m tests.benchmarks

clean:
	@if [ -f var/pgdata/postmaster.pid ] && kill -0 $$(head -1 var/pgdata/postmaster.pid) 2>/dev/null; then \
	  echo "The embedded PostgreSQL in var/pgdata is running: stop the demo (Ctrl-C) first." >&2; exit 1; \
	fi
	rm -rf $(VENV) var
