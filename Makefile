# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export DEBUG ?= 1
export PYTHONUNBUFFERED := 1

.PHONY: run test test-faults test-postgres install system-packages migrate lint bench clean

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

## system-packages: what the tests need from Debian, installed only if missing: Chromium for the
## browser tests (Playwright's own download cannot run here), Redis for the scale-out stream test
system-packages:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/bin/redis-server ] || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update && $(SUDO) apt-get install -y $$missing; fi

## test: install and run every check: boundaries, lint, the whole suite, the real-browser tests (a pytest
## session of their own: Playwright's event loop would break the async tests that follow), then the fault suite
test: install system-packages
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/pytest -m "not browser" --ignore=tests/faults
	$(BIN)/pytest -m browser --screenshot only-on-failure --output test-artifacts/playwright
	$(MAKE) --no-print-directory test-faults

## test-faults: the fault suite (real processes, injected faults, a ledger table); on PostgreSQL with a
## throw-away Redis as broker, cache and channel layer. SOAK=1 adds the longest scenarios (.ci/run does)
test-faults: install system-packages
	@if echo "$${DATABASE_URL:-}" | grep -q '^postgres'; then \
		url=$$(.ci/redis.sh start) && trap '.ci/redis.sh stop' EXIT && \
		REDIS_URL=$$url $(BIN)/pytest tests/faults -m "$(if $(SOAK),faults,faults and not soak)"; \
	else \
		$(BIN)/pytest tests/faults -m "$(if $(SOAK),faults,faults and not soak)"; \
	fi

lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check .

## bench: messaging throughput and latency against raw django-q2; the others are listed in the README
bench: install
	$(BIN)/python bench/messaging_throughput.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache

## test-postgres: the whole suite again on a throw-away PostgreSQL (installed if missing)
test-postgres: install
	url=$$(.ci/postgres.sh start) && trap '.ci/postgres.sh stop' EXIT && DATABASE_URL=$$url $(MAKE) test
