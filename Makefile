# Two commands for a newcomer: `make demo` (set up, start the local stack, run the slice)
# and `make test` (ruff, mypy, cfn-lint and the whole pytest suite). See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV ?= .venv
BIN := $(VENV)/bin
# The Lambda runtime is python3.12: use 3.12 when the machine has it (pyenv or PATH).
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 python3; do \
	"$$p" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null && { echo "$$p"; break; }; done)
SAM_VENV ?= .venv-sam
SAM := $(SAM_VENV)/bin/sam
export SAM_CLI_TELEMETRY := 0

.PHONY: help setup demo local test lint typecheck unit bench sam-validate sam-build deploy clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(BIN)/.installed: pyproject.toml requirements-dev.txt layers/shared/requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or later is needed (pyenv install 3.12)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $@

setup: $(BIN)/.installed ## Create the virtualenv and install the project and its tools

demo: setup ## Start the local stack and run the slice end to end
	$(BIN)/reactivation demo

local: setup ## Run the local stack in the foreground (Ctrl-C stops it)
	$(BIN)/reactivation local up

test: setup lint typecheck unit ## Everything CI runs: ruff, cfn-lint, mypy, pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml

typecheck: setup
	$(BIN)/mypy layers/shared/reactivation functions tests bench

unit: setup
	$(BIN)/pytest

bench: setup ## Measure cold imports and the layer's size
	$(BIN)/python bench/cold_imports.py

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .local .mypy_cache .ruff_cache
