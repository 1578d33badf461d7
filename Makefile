# Everyday commands. Each target sets up what it needs from a clean clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=
export FLASK_APP := clinic

.PHONY: run test test-postgres lint format install install-dev clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(BIN)/.installed-dev: requirements.txt requirements-dev.txt $(BIN)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed
install-dev: $(BIN)/.installed-dev

## run: upgrade the SQLite database and start the app on HOST:PORT (plain http)
run: install
	$(BIN)/flask db upgrade
	SESSION_COOKIE_SECURE=false $(BIN)/flask run --host $(HOST) --port $(PORT)

## test: the whole suite on SQLite
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## test-postgres: the same suite on a throwaway PostgreSQL database
test-postgres: install-dev
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
