PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint typecheck pytest docs clean bench bench-quick bench-remote

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/supervise run examples/shop/tree.toml --for 3

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy --strict actors supervision

pytest: $(STAMP)
	$(BIN)/pytest

# The documentation site; --strict turns a broken link, snippet or reference into an error.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

test: lint typecheck pytest docs

# Benchmarks (benchmarks/, not part of `make test`): the runtime side by side with raw
# asyncio, pykka, thespian and xoscar. BENCH_ARGS passes options, e.g. "--json out.json".
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.costs
	$(BIN)/python -m benchmarks.features
	$(BIN)/python -m benchmarks.remote
	$(BIN)/python -m benchmarks.durable
	$(BIN)/python -m benchmarks.cluster_bus

# Remote actors and the cluster-wide bus against raw nats-py on one local nats-server
# (ratios in the same run).
bench-remote: $(STAMP)
	$(BIN)/python -m benchmarks.remote
	$(BIN)/python -m benchmarks.durable
	$(BIN)/python -m benchmarks.cluster_bus

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks.run --quick $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.features --quick

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis site
