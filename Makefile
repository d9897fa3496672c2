# Tongxin — the two commands: `make run` and `make test`. Every install step lives here.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export TONGXIN_DATA_DIR ?= $(CURDIR)/var

.PHONY: run test test-pg lint format bench messages browser-deps clean serve worker

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $(STAMP)

# Debian's Chromium for the browser tests (never a browser download by a tool).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; fi; }

run: $(STAMP)
	TONGXIN_STATIC_MANIFEST=1 $(BIN)/tongxin collectstatic --noinput -v0
	$(BIN)/tongxin migrate -v0
	$(BIN)/tongxin demo
	@echo "同心 Tongxin: http://127.0.0.1:8000/  (Ctrl-C stops the web server and the worker)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/tongxin worker --interval 1 & \
	  TONGXIN_STATIC_MANIFEST=1 $(BIN)/tongxin runserver 127.0.0.1:8000 --noreload

test: $(STAMP) browser-deps
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=tests.settings PYTHONPATH=$(CURDIR) $(BIN)/tongxin makemigrations --check --dry-run -v0
	TONGXIN_DATA_DIR=$(CURDIR)/var/test $(BIN)/pytest -n 2

# The same suite against PostgreSQL (127.0.0.1:5432, user postgres, trust auth).
test-pg: $(STAMP) browser-deps
	TONGXIN_DATA_DIR=$(CURDIR)/var/test TONGXIN_DATABASE_URL=$${TONGXIN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/tongxin_ci} $(BIN)/pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff check --fix src tests
	$(BIN)/ruff format src tests

# Regenerate the translation catalogue (zh-Hans msgids → English) and compile it.
messages: $(STAMP)
	cd src/tongxin && ../../$(BIN)/tongxin makemessages -l en --ignore=static -v0 && msgfmt --check -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po

# The register import benchmark (docs/performance.md). Default: 100,000 rows as XLSX on SQLite and PostgreSQL
# (127.0.0.1:5432, throwaway databases tongxin_bench*); e.g. `make bench BENCH_ARGS="--rows 1000000 --db postgres"`.
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python -c "import import_export, psutil, gunicorn, redis" 2>/dev/null || $(BIN)/pip install --quiet -e ".[dev,bench]"
	$(BIN)/python -m tongxin.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var/test .pytest_cache
