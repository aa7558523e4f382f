# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export DEBUG ?= 1
export PYTHONUNBUFFERED := 1

.PHONY: run dev-env test test-faults test-postgres install system-packages migrate lint bench clean
.PHONY: run-scaled stop-scaled scaled-env test-scaled

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --no-input

## run: install, migrate, seed the demo data (once), and start the web server (daphne), workers and sweeper; Ctrl-C stops all
run: migrate dev-env
	$(BIN)/python manage.py messaging_metrics_reset
	$(BIN)/python manage.py seed_demo
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start

## dev-env: with DEBUG=1 (make run's default), var/dev.env tells a `python manage.py ...` run by hand to use the same
## development settings (DEBUG and var/secret_key) as make run's processes; manage.py ignores it if DEBUG or
## SECRET_KEY is set
RUN_VAR = $(abspath $(or $(MARKETPLACE_VAR_DIR),var))
dev-env:
	@mkdir -p "$(RUN_VAR)"
	@if [ "$(DEBUG)" = 1 ]; then echo "DEBUG=1" > "$(RUN_VAR)/dev.env"; else rm -f "$(RUN_VAR)/dev.env"; fi

# run-scaled's servers, data and ports; each can be overridden (make run-scaled SCALED_WEB_PORTS="9000 9001").
SCALED_VAR = $(abspath $(or $(MARKETPLACE_VAR_DIR),var))
SCALED_WEB_PORTS ?= 8000 8001
SCALED_PG_PORT ?= 54330
SCALED_REDIS_PORT ?= 63791
comma := ,
SCALED_PORTS = $(subst $(comma), ,$(SCALED_WEB_PORTS))
SCALED_SERVERS = PGTEST_PORT=$(SCALED_PG_PORT) PGTEST_DATA=$(SCALED_VAR)/postgres PGTEST_DURABLE=1 \
	REDISTEST_PORT=$(SCALED_REDIS_PORT) REDISTEST_DATA=$(SCALED_VAR)/redis REDISTEST_DURABLE=1
SCALED_ENV = MARKETPLACE_VAR_DIR=$(SCALED_VAR) DATABASE_URL=postgres://postgres@127.0.0.1:$(SCALED_PG_PORT)/marketplace \
	REDIS_URL=redis://127.0.0.1:$(SCALED_REDIS_PORT)/0

## run-scaled: the scaled-out shape on one machine. PostgreSQL and Redis from the system's packages (installed if
## missing; data kept in var/postgres and var/redis), migrated and seeded as make run does, then under honcho two
## web processes (8000 and 8001), two worker clusters and two sweepers. Ctrl-C stops those; the servers run on
## until make stop-scaled
run-scaled: install
	@test -n "$(word 2,$(SCALED_PORTS))" || { echo "SCALED_WEB_PORTS needs two ports, e.g. \"8000 8001\"" >&2; exit 2; }
	$(SCALED_SERVERS) .ci/postgres.sh start >/dev/null
	$(SCALED_SERVERS) .ci/redis.sh start >/dev/null
	$(SCALED_ENV) $(BIN)/python manage.py migrate --no-input
	$(SCALED_ENV) $(BIN)/python manage.py messaging_metrics_reset
	$(SCALED_ENV) $(BIN)/python manage.py seed_demo
	@echo "Serving http://127.0.0.1:$(word 1,$(SCALED_PORTS))/ and http://127.0.0.1:$(word 2,$(SCALED_PORTS))/;" \
		"Ctrl-C stops the processes, make stop-scaled the servers"
	$(SCALED_ENV) SCALED_WEB_PORT_1=$(word 1,$(SCALED_PORTS)) SCALED_WEB_PORT_2=$(word 2,$(SCALED_PORTS)) \
		PATH="$(CURDIR)/$(BIN):$$PATH" exec $(BIN)/honcho -f Procfile.scaled start -c worker=2,sweeper=2

## stop-scaled: stop run-scaled's PostgreSQL and Redis; their data stays in var/ for the next make run-scaled
stop-scaled:
	$(SCALED_SERVERS) .ci/redis.sh stop
	$(SCALED_SERVERS) .ci/postgres.sh stop

## scaled-env: what points a shell's manage.py at run-scaled's servers: eval "$$(make -s scaled-env)"
scaled-env:
	@echo 'export PATH="$(CURDIR)/$(BIN):$$PATH" DEBUG=$(DEBUG) $(SCALED_ENV)'

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
	$(BIN)/pytest -m "not browser" --ignore=tests/faults --ignore=tests/scaled
	$(BIN)/pytest -m browser --screenshot only-on-failure --output test-artifacts/playwright
	$(MAKE) --no-print-directory test-faults
	@if echo "$${DATABASE_URL:-}" | grep -q '^postgres'; then \
		echo "test-scaled: left to the SQLite leg (make run-scaled brings its own PostgreSQL and Redis)"; \
	else $(MAKE) --no-print-directory test-scaled; fi

## test-scaled: make run-scaled for real, on ports and a var dir of its own: an order paid on one web process, its
## entries on the other's dashboard, then SIGTERM stops every process
test-scaled: install
	$(BIN)/pytest tests/scaled -m scaled

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
