# rr-mmpose: `make demo` runs the main job, `make test` the test suite.
# Both set up .venv/ first (once; later runs reuse it).
VENV   ?= .venv
PYTHON := $(VENV)/bin/python

.PHONY: setup demo test test-fast lint format benchmarks clean

setup:
	@bash tools/setup_env.sh

demo: setup
	$(PYTHON) tools/demo.py

test: setup
	$(PYTHON) -m pytest tests

# Without the tests marked slow: no training, no multi-process run, no wheel build.
test-fast: setup
	$(PYTHON) -m pytest tests -m "not slow"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

benchmarks: setup
	$(PYTHON) -m tools.benchmarks.run_all

clean:
	rm -rf work_dirs .pytest_cache .ruff_cache
