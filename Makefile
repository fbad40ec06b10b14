# Dandang — two commands: `make run` (demo county on SQLite) and `make test` (every gate, SQLite
# and PostgreSQL).  Everything installs into .venv from the pinned lock files in requirements/.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
DATABASE_URL_PG ?= postgres://postgres@127.0.0.1:5432/dandang
PYTEST_WORKERS ?= 2

.PHONY: run test install install-dev lint typecheck layers migrations-check openapi-check openapi \
        pytest-sqlite pytest-postgres messages bench load fuzz worker demo clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==0.13.9

$(VENV)/.base-installed: requirements/base.txt | $(PY)
	$(UV) pip install --quiet --python $(PY) -r requirements/base.txt
	touch $@

$(VENV)/.dev-installed: requirements/base.txt requirements/dev.txt | $(PY)
	$(UV) pip install --quiet --python $(PY) -r requirements/base.txt -r requirements/dev.txt
	touch $@ $(VENV)/.base-installed

install: $(VENV)/.base-installed
install-dev: $(VENV)/.dev-installed

messages: install
	$(PY) manage.py compilemessages --ignore=.venv --ignore=var -v 0

## make run: migrate the embedded SQLite database, load the demo county if empty, serve :8000
run: install messages
	mkdir -p var
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py demo --if-empty
	$(PY) manage.py demo_logins
	$(PY) manage.py runserver 127.0.0.1:8000

worker: install
	$(PY) manage.py db_worker

## make test: every gate, then pytest on SQLite and on PostgreSQL
test: install-dev messages lint typecheck layers migrations-check openapi-check pytest-sqlite pytest-postgres

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	$(VENV)/bin/mypy dandang config

layers: install-dev
	$(VENV)/bin/lint-imports

migrations-check: install-dev
	mkdir -p var
	$(PY) manage.py makemigrations --check --dry-run -v 1

openapi: install-dev
	$(PY) manage.py export_openapi > docs/openapi.json

openapi-check: install-dev
	mkdir -p var
	$(PY) manage.py export_openapi > var/openapi.generated.json
	diff -u docs/openapi.json var/openapi.generated.json || (echo "docs/openapi.json is stale: run 'make openapi' and commit it" && exit 1)

pytest-sqlite: install-dev
	DATABASE_URL=sqlite:///var/test.sqlite3 $(PY) -m pytest -n $(PYTEST_WORKERS) -m "not postgres_only and not browser" -p no:cacheprovider

pytest-postgres: install-dev
	DATABASE_URL=$(DATABASE_URL_PG) $(PY) -m pytest -n $(PYTEST_WORKERS) -p no:cacheprovider --cov=dandang --cov-report=term:skip-covered --cov-fail-under=85

bench: install-dev
	$(PY) -m bench

## make fuzz: the API fuzzing of `make test` (tests/fuzz, schemathesis) with FUZZ_EXAMPLES random cases
## per operation instead of 20, on PostgreSQL; prints requests and statuses per operation.
FUZZ_EXAMPLES ?= 200
fuzz: install-dev messages
	DATABASE_URL=$(DATABASE_URL_PG) POSTGRES_TEST_NAME=$${POSTGRES_TEST_NAME:-test_dandang_fuzz} \
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest tests/fuzz -n $(PYTEST_WORKERS) -p no:cacheprovider -p tests.fuzz.report

## make load: 50 users for 60 s (locust) against gunicorn on the PostgreSQL database dandang_load;
## prints requests/s, p50/p95/p99 and errors, fails when the target (0 errors, p95 < 500 ms) is missed
load: install-dev messages
	DATABASE_URL=$(DATABASE_URL_PG) $(PY) bench/load/run.py

demo: install
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py demo

clean:
	rm -rf var/test.sqlite3 var/openapi.generated.json .pytest_cache .mypy_cache .ruff_cache
