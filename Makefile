# The two commands of the Quick start: `make run` and `make test`.
# Both create or reuse .venv and install what they need first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
SQLITE_URL ?= sqlite+aiosqlite:///:memory:

.PHONY: run test lint typecheck test-sqlite test-postgres install locales clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/binhdang run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy bot handlers scheduler storage web

test-sqlite: $(STAMP)
	BINHDANG_TEST_DATABASE_URL='$(SQLITE_URL)' $(BIN)/pytest -q -p no:cacheprovider

test-postgres: $(STAMP)
	BINHDANG_TEST_DATABASE_URL='$(PG_URL)' $(BIN)/pytest -q -p no:cacheprovider -m 'not sqlite_only'

test: lint typecheck test-sqlite test-postgres

# Re-extract message ids from the code into both catalogues (see docs/i18n.md).
locales: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords -k t -k N_ -k ngettext:1,2 --no-location --sort-output -o locales/messages.pot bot handlers scheduler storage web
	$(BIN)/python scripts/sync_locales.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
