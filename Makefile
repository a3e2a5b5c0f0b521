# Two commands a fresh clone needs: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader shells out to a bare `alembic`: the venv's bin must be on PATH for every call.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: demo test lint unit lectures-check lectures sandbox scale browser lab formgrader bench \
	bench-scale release clean site

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Python 3.11 or newer is needed (found $$($(PYTHON) --version)); set PYTHON=python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The pipeline on sample students (complete, partial, untouched, broken, crashing, flagged,
# missing) for every topic, in a temporary workspace; prints the gradebook.
demo: $(STAMP)
	$(BIN)/python -m autodiff_course demo

# Regenerate assignments/ from solutions/ (commit the result; tests/test_release.py checks it).
release: $(STAMP)
	$(BIN)/python -m autodiff_course release

test: lint unit lectures-check sandbox scale browser

lint: $(STAMP)
	$(BIN)/ruff check .

unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile

# The lectures are committed executed; strict nbval re-runs them and compares every text output
# with the stored one (cells tagged nbval-ignore-output: timings). After editing a lecture, run
# `make lectures` to store its fresh outputs.
NBVAL_STRICT := -o addopts="" -p no:cacheprovider --nbval --nbval-current-env \
	--nbval-sanitize-with tests/lectures-sanitize.cfg
lectures-check: $(STAMP)
	$(BIN)/python -m pytest $(NBVAL_STRICT) -n 2 --dist loadfile course

lectures: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.timeout=300 course/*.ipynb

# Attacks and honest work through the real grader, in bubblewrap (see docs/grading.md). Without
# bwrap it says so and succeeds, unless REQUIRE_SANDBOX=1 (set by .ci/run).
BWRAP := $(shell command -v bwrap 2>/dev/null)
sandbox: $(STAMP)
	@if [ -n "$(BWRAP)" ]; then \
		$(BIN)/python -m pytest -o addopts="" -ra -p no:cacheprovider -n 2 --dist loadfile \
			--durations=10 tests/sandbox; \
	elif [ "$(REQUIRE_SANDBOX)" = "1" ]; then \
		echo "sandbox suite: bwrap not found and REQUIRE_SANDBOX=1:" \
			"install it with 'apt-get install bubblewrap'"; exit 1; \
	else \
		echo "sandbox suite: NOT RUN, bwrap not found: the grader's defences were NOT tested" \
			"(install it with 'apt-get install bubblewrap'; REQUIRE_SANDBOX=1 makes this an error)"; \
	fi

# Grading past one machine: a real PostgreSQL gradebook (a throwaway server per test process,
# started by tests/scale/conftest.py) and real Dask clusters, kernels in bubblewrap. Debian keeps
# initdb off PATH, in /usr/lib/postgresql/<version>/bin. Without PostgreSQL or bwrap it says so
# and succeeds, unless REQUIRE_SCALE=1 (set by .ci/run).
INITDB := $(or $(shell command -v initdb 2>/dev/null),$(lastword $(sort $(wildcard /usr/lib/postgresql/*/bin/initdb))))
scale: $(STAMP)
	@if [ -n "$(BWRAP)" ] && [ -n "$(INITDB)" ]; then \
		$(BIN)/python -m pytest -o addopts="" -ra -p no:cacheprovider -n 2 --dist loadfile \
			--durations=10 tests/scale; \
	elif [ "$(REQUIRE_SCALE)" = "1" ]; then \
		echo "scale suite: PostgreSQL (initdb) or bwrap not found and REQUIRE_SCALE=1:" \
			"install them with 'apt-get install postgresql bubblewrap'"; exit 1; \
	else \
		echo "scale suite: NOT RUN, PostgreSQL (initdb) or bwrap not found: the PostgreSQL" \
			"gradebook and Dask grading were NOT tested (install them with 'apt-get install" \
			"postgresql bubblewrap'; REQUIRE_SCALE=1 makes this an error)"; \
	fi

# End-to-end suite in headless Chromium (Debian's package; see docs/browser-tests.md). Without
# /usr/bin/chromium it says so and succeeds, unless REQUIRE_BROWSER=1 (set by .ci/run).
CHROMIUM := /usr/bin/chromium
browser: $(STAMP)
	@if [ -x $(CHROMIUM) ]; then \
		$(BIN)/python -m pytest -o addopts="" -ra -p no:cacheprovider --durations=10 tests/browser; \
	elif [ "$(REQUIRE_BROWSER)" = "1" ]; then \
		echo "browser suite: $(CHROMIUM) not found and REQUIRE_BROWSER=1:" \
			"install it with 'apt-get install chromium'"; exit 1; \
	else \
		echo "browser suite: NOT RUN, $(CHROMIUM) not found" \
			"(install it with 'apt-get install chromium'; REQUIRE_BROWSER=1 makes this an error)"; \
	fi

# JupyterLab on the course: Jupyter config from jupyter-config/ (tracked), JupyterLab settings,
# workspaces and data in .jupyter-local/ (git-ignored); assignments released to the local
# exchange in grading/exchange/ first, so the Assignment List has something to fetch.
# `make lab PORT=8890 BROWSER=no`: another port (default 8888), no browser tab. BROWSER=no
# becomes --no-browser and is kept out of the environment: Python's webbrowser module (in the
# server, a notebook, a terminal) reads $BROWSER as the program to start.
PORT ?= 8888
ifeq ($(BROWSER),no)
unexport BROWSER
endif
NO_BROWSER := $(if $(filter no,$(BROWSER)),--no-browser)
LAB_STATE := $(CURDIR)/.jupyter-local
lab: $(STAMP)
	$(BIN)/python jupyter-config/prepare_lab.py --settings-dir $(LAB_STATE)/settings
	JUPYTER_CONFIG_DIR=$(CURDIR)/jupyter-config \
	JUPYTER_DATA_DIR=$(LAB_STATE)/data \
	JUPYTERLAB_SETTINGS_DIR=$(LAB_STATE)/settings \
	JUPYTERLAB_WORKSPACES_DIR=$(LAB_STATE)/workspaces \
	$(BIN)/jupyter lab --port=$(PORT) $(NO_BROWSER)

# nbgrader's Formgrader (grading written answers by hand) on a grading workspace, on loopback;
# afterwards `autodiff-course grades WORKSPACE` carries the hand grades to grades.csv
# (docs/manual-grading.md).
WORKSPACE ?= grading
formgrader: $(STAMP)
	$(BIN)/python -m autodiff_course formgrader $(WORKSPACE)

# The course website in build/site/ (python -m http.server -d build/site): the executed lectures
# and the released assignments, rendered by Sphinx + myst-nb (never re-run), with search and
# MathJax served from the site itself; it works offline. Fails on any Sphinx warning.
# See docs/site.md.
site: $(STAMP)
	$(BIN)/python site/make_site.py --out build/site

# The peers (HIPS autograd, JAX, micrograd) are installed into .venv here only: the library and
# its tests never need them.
bench: $(STAMP)
	$(BIN)/python benchmarks/scalar_engine.py
	$(BIN)/python benchmarks/tensor_mlp_step.py
	$(BIN)/python benchmarks/grading_sandbox.py
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/vs_peers.py

# Grading past one machine: Dask workers, a PostgreSQL class, re-runs, a killed worker (long:
# the class is graded several times; CLASS=100 for a quicker look).
CLASS ?= 600
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/grading_scale.py --class-size $(CLASS)

clean:
	rm -rf $(VENV) grading .pytest_cache .hypothesis
