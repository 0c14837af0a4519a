# The project's vocabulary: `make run` to try it, `make test` to prove it.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Where `make run` serves: `make run PORT=8123` when 8000 is taken, `HOST=0.0.0.0` to reach it from elsewhere.
HOST ?= 127.0.0.1
PORT ?= 8000
# The address people type: 0.0.0.0 listens everywhere, but a browser on this machine reaches it as 127.0.0.1.
BROWSE_HOST := $(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST))
# The embedded default: SQLite in var/, Celery tasks run in-process, e-mail printed to the console.
EMBEDDED = DEBUG=1 DATABASE_URL= REDIS_URL= ALLOWED_HOSTS=$(ALLOWED_HOSTS)
# Django answers only for these names; HOST is added, and `make run ALLOWED_HOSTS=...` can name others.
comma := ,
ALLOWED_HOSTS ?= 127.0.0.1,localhost$(if $(filter 0.0.0.0 127.0.0.1 localhost,$(HOST)),,$(comma)$(HOST))
# Tests run with production-like settings (DEBUG off) and whatever DATABASE_URL / REDIS_URL the caller exports.
TESTENV := SECRET_KEY=test-only-insecure-key SECURE_SSL_REDIRECT=0 STATIC_MANIFEST=0
# Test processes (pytest-xdist): each has its own PostgreSQL test database and cache key prefix.
# `make test TEST_WORKERS=0` runs in one process (easier to debug); `TEST_WORKERS=4` on a bigger machine.
TEST_WORKERS ?= auto

# Every dependency, pinned with hashes: requirements/dev.txt here (tests, lint, the moto demo), requirements/prod.txt
# in the image. `make lock` writes both from pyproject.toml; the venv re-installs when either changes.
LOCK := requirements/dev.txt
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes --quiet \
	--custom-compile-command "make lock"

.PHONY: install run test lint format bench lock clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

run: install
	$(EMBEDDED) $(BIN)/python manage.py setup_demo --url http://$(BROWSE_HOST):$(PORT)
	$(EMBEDDED) $(BIN)/python manage.py demo_evidence --serve $(HOST):$(PORT)

test: install
	$(TESTENV) $(BIN)/python manage.py makemigrations --check --dry-run
	$(TESTENV) $(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -c pyproject.toml -r reviewapp questionnaire checks
	$(TESTENV) $(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(TESTENV) $(BIN)/python -m bench

# After changing dependencies in pyproject.toml: re-pin both locks (keeping today's versions where they still fit).
lock: install
	$(UV_COMPILE) -o requirements/prod.txt
	$(UV_COMPILE) --extra dev -o requirements/dev.txt

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .mypy_cache
