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

.PHONY: help setup demo local test test-fast lint typecheck unit layer-check chromium bench report-screenshot train-replies sam-validate sam-build deploy clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

# requirements-dev.lock: every package, with the sha256 of its files (scripts/lock.py writes
# it from requirements-dev.txt): what was tested is what installs. pip installs uv (hash-locked
# too, requirements-bootstrap.lock), and uv installs the rest: the same hash checks, in
# seconds where pip took two minutes. --compile-bytecode: uv, unlike pip, writes no .pyc by
# default, and where PYTHONDONTWRITEBYTECODE is set nothing ever does: every process (each
# test worker, each function of the local stack) would compile boto3, moto and pydantic again.
UV := $(BIN)/uv pip install --quiet --python $(BIN)/python
$(BIN)/.installed: pyproject.toml tools/pyproject.toml requirements-dev.lock requirements-bootstrap.lock
	@test -n "$(PYTHON)" || { echo "Python 3.12 or later is needed (pyenv install 3.12)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-bootstrap.lock
	$(UV) --compile-bytecode --require-hashes -r requirements-dev.lock
	$(UV) --no-deps -e . -e tools
	@touch $@

setup: $(BIN)/.installed ## Create the virtualenv and install the project and its tools

demo: setup ## Start the local stack and run the slice end to end
	$(BIN)/reactivation demo

local: setup ## Run the local stack in the foreground (Ctrl-C stops it)
	$(BIN)/reactivation local up

# The checks that read the code run side by side on the two cores (each one's output printed
# whole when it ends), then pytest, which takes both.
test: setup chromium ## Everything CI runs: ruff, cfn-lint, bandit, mypy, the layer check, pytest
	@$(MAKE) --no-print-directory -j 2 --output-sync=target lint typecheck layer-check
	@$(MAKE) --no-print-directory unit

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint --include-checks I -- template.yaml  # the informational rules too
	$(BIN)/bandit -q -r layers/shared/reactivation tools/reactivation_tools functions scripts  # each skip has its reason beside it

typecheck: setup
	$(BIN)/mypy layers/shared/reactivation tools/reactivation_tools functions tests bench

# pytest-xdist: one worker per core (each provisions moto once; e2e stacks take free ports)
PYTEST_WORKERS ?= 2

# Our own modules compiled once (only those changed since), for the hundreds of processes the
# suite starts (each local stack's functions): PYTHONDONTWRITEBYTECODE would have each compile
# them again.
BYTECODE := $(BIN)/python -m compileall -q -j 0 layers/shared/reactivation tools/reactivation_tools functions

unit: setup
	$(BYTECODE)
	$(BIN)/pytest -n $(PYTEST_WORKERS)

# The staff inbox's browser test drives Debian's Chromium (Playwright is in requirements-dev;
# `playwright install` is never run): installed from apt where it is missing.
chromium: ## Install Debian's chromium when missing (the staff inbox's browser test)
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; } \
		|| { sudo apt-get update -qq && sudo apt-get install -y -qq chromium; } \
		|| echo "chromium could not be installed: the staff inbox's browser test will be skipped"

test-fast: setup ## The inner loop: unit and handler tests, not the end-to-end ones
	$(BYTECODE)
	$(BIN)/pytest -n $(PYTEST_WORKERS) -m "not e2e"

layer-check: setup ## Build the layer as sam build does and import every handler from it alone
	bash scripts/layer_check.sh

bench: setup ## Measure cold imports, the classifier, AWS requests, import and preview speed
	$(BIN)/python bench/cold_imports.py
	$(BIN)/python bench/classifier_accuracy.py
	$(BIN)/python bench/aws_requests.py
	$(BIN)/python bench/send_cost.py
	$(BIN)/python bench/inbound_endpoint.py
	$(BIN)/python bench/load_run.py  # 10,000 jobs and 2,000 replies: about 37 minutes on moto
	$(BIN)/python bench/segment_requests.py
	$(BIN)/python bench/preview_throughput.py
	$(BIN)/python bench/import_throughput.py --mode parse
	$(BIN)/python bench/import_throughput.py --mode stack  # about 16 minutes on moto

# Debian's Chromium (apt) and Playwright (requirements-screenshot.txt) only here, not in CI.
report-screenshot: setup ## Render the demo's weekly reports in headless Chromium: layout check, screenshots
	@test -f .local/outbox/weekly-report-lakeside-dental.html || { echo "run make demo first"; exit 1; }
	command -v chromium >/dev/null || apt-get install -y chromium || sudo apt-get install -y chromium
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-screenshot.txt
	$(BIN)/python scripts/report_screenshot.py .local/outbox/weekly-report*.html

# scikit-learn (requirements-train.txt) only here: the layer scores the exported model in plain
# Python, and CI tests the shipped model file.
train-replies: setup ## Retrain the reply model on the corpus's training writers (then: make bench)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-train.txt
	$(BIN)/python -m reactivation_tools.train_replies
	$(BIN)/python bench/classifier_accuracy.py

# The SAM CLI lives in its own virtualenv: its pins are not the project's.
$(SAM):
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --disable-pip-version-check aws-sam-cli==1.170.0

sam-validate: $(SAM) ## sam validate --lint (cfn-lint with SAM's own checks)
	$(SAM) validate --lint --region us-east-1

# No Docker: SAM builds with the python3.12 it finds on PATH (the SAM virtualenv's) and
# fetches the manylinux aarch64 wheels of the layer's requirements for arm64.
sam-build: $(SAM) ## sam build for AWS (arm64, python3.12), without Docker
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" $(SAM) build

deploy: sam-build ## sam deploy --guided (asks for the parameters once)
	$(SAM) deploy --guided

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .local .mypy_cache .ruff_cache
