# Two commands do all set-up: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PORT
# The demo, the tests and the benchmarks pay through the bundled Paytrail sandbox. A deployment
# sets PAYTRAIL_MERCHANT_ID and PAYTRAIL_SECRET instead (`boxoffice serve` refuses to start
# without them when the sandbox is off).
PAYTRAIL_SANDBOX ?= 1
export PAYTRAIL_SANDBOX

.PHONY: run test test-fast browser bench-pages bench-documents bench-scale lint format messages install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed

## Serve the demo on http://127.0.0.1:$(PORT) (migrates and seeds on first run).
run: install
	$(BIN)/boxoffice migrate --noinput
	$(BIN)/boxoffice demo
	$(BIN)/boxoffice serve --port $(PORT)

## The whole test suite (browser tests included; they install Debian's chromium if missing),
## on one process per core (pytest-xdist; TEST_WORKERS=0 runs it in this process). Work-stealing
## keeps the other cores busy while one runs the long money state machine.
TEST_WORKERS ?= auto
test: install
	@command -v chromium >/dev/null 2>&1 || $(MAKE) --no-print-directory browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist worksteal

## Everything but the browser tests, for the edit-test loop: the money state machine runs 200
## random sequences here instead of the 2,000 of `make test` (set MONEY_PROPERTY_EXAMPLES).
test-fast: install
	MONEY_PROPERTY_EXAMPLES=$${MONEY_PROPERTY_EXAMPLES:-200} $(BIN)/pytest -m "not e2e"

browser:
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	else echo "chromium is missing: install Debian's 'chromium' package for the browser tests"; fi

## Time the back-office pages on the demo database (p50/p95 ms and queries per page).
bench-pages: install
	$(BIN)/boxoffice migrate --noinput -v0
	$(BIN)/boxoffice demo >/dev/null
	$(BIN)/python bench/pages.py

## Ticket rendering speed: tickets/s on one core and the time of one 500-ticket PDF.
bench-documents: install
	$(BIN)/python bench/documents.py

## Scale benchmark on PostgreSQL (DATABASE_URL): seed BENCH_ORDERS orders by COPY into it and
## 100,000 into <database>_100k (each skipped if already seeded), time searches, lists and
## details over HTTP in both, and print them side by side.
BENCH_ORDERS ?= 1000000
BENCH_REQUESTS ?= 200
bench-scale: install
	@case "$$DATABASE_URL" in postgres*) ;; *) echo "bench-scale needs DATABASE_URL=postgres://..."; exit 1;; esac
	$(BIN)/boxoffice migrate --noinput -v0
	$(BIN)/boxoffice bench scale --orders $(BENCH_ORDERS) --requests $(BENCH_REQUESTS) --explain

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests

## Recompile translations after editing src/boxoffice/locale/*/LC_MESSAGES/django.po
messages: install
	cd src/boxoffice && ../../$(BIN)/boxoffice makemessages -l fi -l sv -l en --no-obsolete
	cd src/boxoffice && ../../$(BIN)/boxoffice compilemessages

clean:
	rm -rf $(VENV) var
