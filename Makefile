# Everyday commands. Each target sets up what it needs from a clean clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
PYTEST_ARGS ?=
E2E_CHROMIUM ?= /usr/bin/chromium
export FLASK_APP := clinic

.PHONY: run test test-postgres e2e lint format install install-dev pdf-tools clean

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

# The PDF tests check every sheet with `qpdf --check`: Debian's package when
# it is missing (apt-get, as root or through sudo).
pdf-tools:
	@command -v qpdf >/dev/null || { \
	  echo "qpdf missing: installing Debian's qpdf"; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q qpdf; }

## run: upgrade the SQLite database and start the app on HOST:PORT (plain http)
run: install
	$(BIN)/flask db upgrade
	SESSION_COOKIE_SECURE=false $(BIN)/flask run --host $(HOST) --port $(PORT)

## test: the whole suite on SQLite (the browser journeys are `make e2e`)
test: install-dev pdf-tools
	$(BIN)/python -m pytest --ignore=tests/e2e $(PYTEST_ARGS)

## test-postgres: the same suite on a throwaway PostgreSQL database
test-postgres: install-dev pdf-tools
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python -m pytest --ignore=tests/e2e $(PYTEST_ARGS)

## e2e: browser journeys in Chromium against gunicorn, fresh SQLite + demo data
# Debian's chromium (apt-get, as root or through sudo) when it is missing;
# Playwright drives it, since `playwright install` cannot download browsers.
e2e: install-dev
	@if [ ! -x "$(E2E_CHROMIUM)" ]; then \
	  echo "$(E2E_CHROMIUM) missing: installing Debian's chromium"; \
	  if [ "$$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi; \
	  $$sudo apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -q chromium; \
	fi
	CLINIC_E2E=1 E2E_CHROMIUM=$(E2E_CHROMIUM) $(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

## bench: measure the app under gunicorn on large data sets (README, Performance);
## PostgreSQL when TEST_DATABASE_URL is set in the environment, else SQLite
bench: install
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
		&& apt-get install -y wrk >/dev/null 2>&1; } \
		|| echo "wrk is not installed (apt-get install wrk): using the Python load client"
	$(BIN)/python bench/run.py

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
