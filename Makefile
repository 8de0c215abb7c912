# Two commands do all the set-up: `make study` opens the app on the bundled decks,
# `make test` runs the checks CI runs. Both create the virtual environment when missing.
PYTHON ?= python3.11
VENV ?= .venv
# On these machines torch==2.13.0 resolves to a local CPU wheel; an unpinned torch would
# pull several GB of CUDA packages. On a machine with a GPU, `make TORCH=torch ...`.
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin

.PHONY: study test lint typecheck unit bench clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

study: $(BIN)/.installed
	$(BIN)/quizapp

test: $(BIN)/.installed lint typecheck unit

lint: $(BIN)/.installed
	$(BIN)/ruff check engine quizapp tests benchmarks
	$(BIN)/ruff format --check engine quizapp tests benchmarks

typecheck: $(BIN)/.installed
	$(BIN)/mypy --strict engine quizapp

unit: $(BIN)/.installed
	$(BIN)/python -m pytest -n 2 -q

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/check_latency.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
