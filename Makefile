# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export DEBUG ?= 1
export PYTHONUNBUFFERED := 1

.PHONY: run test test-postgres install chromium migrate lint bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --no-input

## run: install, migrate, seed the demo data (once), and start the web server (daphne), workers and sweeper; Ctrl-C stops all
run: migrate
	$(BIN)/python manage.py seed_demo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

## chromium: Debian's Chromium for the browser tests (Playwright's own download cannot run here)
chromium: $(CHROMIUM)
$(CHROMIUM):
	$(SUDO) apt-get update
	$(SUDO) apt-get install -y chromium

## test: install and run every check: boundaries, lint, the whole suite, then the real-browser tests
## (a pytest session of their own: Playwright's event loop would break the async tests that follow)
test: install chromium
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/pytest -m "not browser"
	$(BIN)/pytest -m browser --screenshot only-on-failure --output test-artifacts/playwright

lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check .

## bench: messaging throughput and latency against raw django-q2 (see bench/)
bench: migrate
	$(BIN)/python bench/messaging_throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

## test-postgres: the whole suite again on a throw-away PostgreSQL (installed if missing)
test-postgres: install
	url=$$(.ci/postgres.sh start) && trap '.ci/postgres.sh stop' EXIT && DATABASE_URL=$$url $(MAKE) test
