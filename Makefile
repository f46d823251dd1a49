# One command surface for people and CI.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
export SIGNALPOST_DATABASE_URL ?= sqlite:///$(CURDIR)/signalpost.db

.PHONY: run test lint typecheck bench install dev browser clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/pip install --quiet -r requirements-dev.lock
	@$(MAKE) --no-print-directory browser
	touch $@

## make browser: Debian's Chromium for the browser tests (Playwright drives it; it downloads none)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium; fi; }

install: $(STAMP)

dev: $(DEV_STAMP)

## make run: install, migrate, and serve with SQLite and the carrier simulator
run: $(STAMP)
	$(BIN)/signalpost migrate
	@echo
	@echo "  Signalpost is starting on http://$${SIGNALPOST_HOST:-127.0.0.1}:$${SIGNALPOST_PORT:-8080}"
	@echo "  Create an organization and its API key (in another terminal):"
	@echo "      SIGNALPOST_DATABASE_URL=$(SIGNALPOST_DATABASE_URL) $(CURDIR)/$(BIN)/signalpost org create \"My Company\""
	@echo "  Then send:  curl -X POST http://127.0.0.1:$${SIGNALPOST_PORT:-8080}/v1/messages \\"
	@echo "      -H 'Authorization: Bearer <api_key>' -d '{\"to\": [\"+14155551234\"], \"text\": \"Hello\"}'"
	@echo "  API docs:   http://127.0.0.1:$${SIGNALPOST_PORT:-8080}/docs"
	@echo
	$(BIN)/signalpost serve --no-migrate

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

## make test: lint, type checks and the whole suite (PostgreSQL tests need SIGNALPOST_TEST_PG_URL)
## in TEST_WORKERS processes; most of its time is spent waiting on servers and sockets, so
## more workers than cores pays. Each module's tests on one backend stay in one worker.
## The suite starts a few hundred Python processes (servers, workers, commands): it runs with
## bytecode caches even where PYTHONDONTWRITEBYTECODE is set, or each of them would compile
## the project's modules again (about half a second of CPU apiece).
TEST_WORKERS ?= 4
test: browser lint typecheck
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadscope

## make bench: throughput and latency figures, each beside a reference measured in the same run
bench: $(DEV_STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
