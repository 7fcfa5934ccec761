# Guildhall: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
VAR_DIR ?= var
export PORT VAR_DIR

.PHONY: run test lint format check messages bench clean venv

# The venv is rebuilt only when pyproject.toml changes: a second `make run` starts in seconds.
$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
	$(BIN)/python -m pip install --quiet ".[dev]" 2>&1 | { grep -v "^WARNING: Location" || true; }
	touch $@

venv: $(BIN)/.installed

run: venv
	$(BIN)/python scripts/run.py

test: venv
	bash scripts/ensure-system-deps.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: venv
	$(BIN)/python manage.py check

# Search and listing-page latency on a throwaway PostgreSQL: BENCH_SCALE=small|default|large|<number> (bench/README.md).
bench: venv
	bash scripts/ensure-system-deps.sh
	BENCH_SCALE="$(BENCH_SCALE)" $(BIN)/python -m bench.run

messages: venv
	$(BIN)/python manage.py makemessages -l es --ignore=.venv --ignore=var --ignore=tests --ignore=test-artifacts
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) $(VAR_DIR) .pytest_cache test-artifacts
