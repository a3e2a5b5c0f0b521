# Two commands a fresh clone needs: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader shells out to a bare `alembic`: the venv's bin must be on PATH for every call.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: demo test lint unit browser lab bench release clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version)); set PYTHON=python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m autograd_ref.demo

test: lint unit browser

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

browser: $(STAMP)
	@echo "browser suite: not written yet"

lab: $(STAMP)
	$(BIN)/jupyter lab

bench: $(STAMP)
	$(BIN)/python benchmarks/scalar_engine.py

clean:
	rm -rf $(VENV) grading .pytest_cache .hypothesis
