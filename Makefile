# The README's commands. Each sets up .venv itself, so they work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOME_DIR ?= .smartloop
export UV_PYTHON_DOWNLOADS := never
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: demo build app test test-spark test-unit stress lint format docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

## demo: set up, build the embedded YouTube Spam demo and serve the dashboard on localhost:8501
demo: $(VENV)/.installed
	$(BIN)/smartloop demo --home $(HOME_DIR)

## build: build LANDING (default: the demo) into HOME_DIR without starting the dashboard
build: $(VENV)/.installed
	$(BIN)/smartloop build --home $(HOME_DIR) $(if $(LANDING),--landing $(LANDING))

## app: serve the dashboard on the last published build
app: $(VENV)/.installed
	$(BIN)/smartloop app --home $(HOME_DIR)

## test: set up and run every test layer (package, dbt data and unit tests, CLI, app)
## in TEST_WORKERS processes (pytest-xdist; a file's tests stay in one process)
TEST_WORKERS ?= 2
test: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

$(VENV)/.installed-spark: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,spark]'
	touch $@

## test-spark: build the demo on DuckDB and on a local Apache Spark (dbt-spark, pyspark,
## Java 17), assert the marts are equal and every SQL model compiled for Spark is portable
test-spark: $(VENV)/.installed-spark
	$(BIN)/python -m pytest -m spark tests/spark

test-unit: $(VENV)/.installed
	$(BIN)/python -m pytest tests/unit tests/app -m "not dbt"

## stress: 200 review saves and app reads while 20 builds run (~10 minutes; not part of test)
stress: $(VENV)/.installed
	$(BIN)/python -m pytest -m stress tests/stress -s

## lint: sqlfluff (dbt templater) on the SQL, ruff on the Python
lint: $(VENV)/.installed
	mkdir -p $(HOME_DIR)/lint
	SMARTLOOP_WAREHOUSE=$(HOME_DIR)/lint/warehouse.duckdb $(BIN)/sqlfluff lint models tests/dbt
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## docs: generate dbt docs for the demo into HOME_DIR/target
docs: $(VENV)/.installed
	$(BIN)/smartloop docs --home $(HOME_DIR)

clean:
	rm -rf $(HOME_DIR) target logs .pytest_cache .ruff_cache

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	touch $@

## bench: build synthetic data of 10k, 100k and 1M items, compare with cleanlab's Datalab at 100k, write bench/results.md (not part of test)
SIZES ?= 10000,100000,1000000
bench: $(VENV)/.installed-bench
	$(BIN)/smartloop bench --sizes $(SIZES) --with-cleanlab
