# segmentkit developer commands. Everything runs inside .venv, created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export OMP_NUM_THREADS ?= 1

.PHONY: demo test check docs lint format bench bench-quality bench-database clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

## demo: install segmentkit and run bundled transactions -> RFM -> segments -> report
demo: $(VENV)/.installed
	$(BIN)/segmentkit demo --out demo-output

## test: install the dev extras and run the whole test suite
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

## check: formatting, lint, types and tests
check: $(VENV)/.installed-dev
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/python -m pytest

## docs: build the manual (docs/, MkDocs Material + API reference) into site/; any broken
## link or reference fails the build
docs: $(VENV)/.installed-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

## bench: the full default run at growing sizes (BENCH_SIZES), time and memory per size
## on every core of the machine (BENCH_JOBS), as a user's run would use them
## First, end to end in fresh processes: the floor (read, encode, one K-Means fit, write)
## and the notebook pipeline beside `segmentkit run`, with the ratios (BENCH_FLOOR_SIZES;
## 200 is the Mall file from ../shared when present)
BENCH_SIZES ?= 10000 100000 1000000
BENCH_FLOOR_SIZES ?= 200 10000 40000 1000000
BENCH_JOBS ?= $(shell nproc)
bench: $(VENV)/.installed
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=$(BENCH_JOBS) \
		$(BIN)/python bench/bench_floor.py $(BENCH_FLOOR_SIZES)
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=$(BENCH_JOBS) \
		$(BIN)/python bench/bench_scale.py $(BENCH_SIZES)

## bench-quality: does the default run choose the right segmentation? Labelled benchmark
## sets from ../shared (skipped when absent), planted data with distractors, real files
bench-quality: $(VENV)/.installed
	OMP_NUM_THREADS=1 $(BIN)/python bench/bench_quality.py --jobs $(BENCH_JOBS)

## bench-database: score 1,000,000 customers from a CSV and from a throw-away PostgreSQL
## server back into it (needs Debian's postgresql package), with the ratio
bench-database: $(VENV)/.installed-dev
	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=$(BENCH_JOBS) \
		$(BIN)/python bench/bench_database.py

format: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) demo-output segmentation-output site .pytest_cache .mypy_cache .ruff_cache
