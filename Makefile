# rr-mmpose: `make demo` runs the main job, `make test` the test suite.
# Both set up .venv/ first (once; later runs reuse it).
VENV   ?= .venv
PYTHON := $(VENV)/bin/python

.PHONY: setup demo test test-slow test-all lint format benchmarks clean

setup:
	@bash tools/setup_env.sh

demo: setup
	$(PYTHON) tools/demo.py

# The suite without the tests marked slow (minutes on 2 cores).
test: setup
	$(PYTHON) -m pytest tests -m "not slow"

# The slow tests: they train models, start processes or build the wheel.
test-slow: setup
	$(PYTHON) -m pytest tests -m slow

# Both, as CI runs them.
test-all: test test-slow

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
