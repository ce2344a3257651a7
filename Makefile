# One entry point for people and CI. Every target installs what it needs first.
#   make help                list these targets
#   make setup               install everything (Python venvs, Node 24, CDK CLI); run nothing
#   make synth               templates for every environment in cdk.out/ (offline, no credentials)
#   make test                ruff, mypy and the whole pytest suite (offline)
#   make lint                ruff and mypy only
#   make bench               synth and test timings (see scripts/bench.py)
#   make cdk ARGS="..."      the pinned CDK CLI with the project's Python and Node, e.g. ARGS="ls"
#   make bootstrap ENV=dev   cdk bootstrap of the environment's account and region (once)
#   make diff ENV=dev        what a deploy would change (rule packs on)
#   make deploy ENV=dev      deploy CodeInterpreter-dev; outputs to outputs/dev.json
#   make destroy ENV=dev     delete the stack; prod (and termination-protected) also need CONFIRM=prod
#   make deploy-access       the GitHub OIDC deploy role (needs `github` in cdk.json)
#   make smoke ENV=dev       post-deploy check: session, Python, shell, artifact upload
#   make verify ENV=dev      live interpreter vs cdk.json (drift) and orphans; DELETE_ORPHANS=1 CONFIRM=dev deletes tagged orphans
#   make output ENV=dev NAME=CodeInterpreterId   one output of the deployed stack (outputs/dev.json)
#   make mcp ENV=dev         stdio MCP server for agents
#   make constraints         re-pin constraints*.txt from the installed venvs
#   make clean               remove cdk.out and tool caches
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
ENV ?=
# `broadening` asks before widening IAM; pipelines pass APPROVAL=never.
APPROVAL ?= broadening
# `make destroy ENV=prod` also needs CONFIRM=prod.
CONFIRM ?=
# `make verify ENV=dev DELETE_ORPHANS=1 CONFIRM=dev` deletes the orphans that carry the stack's tag.
DELETE_ORPHANS ?=

# The pinned Node 24 and CDK CLI from node_modules come first, so jsii never runs on an
# end-of-life Node; the venv's Python runs app.py.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
# Quiet and offline: no telemetry, version or notice look-ups.
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Offline targets never ask the EC2 metadata endpoint for credentials (on a machine without it,
# that costs a timeout). Targets that reach AWS keep it: an instance profile is a fine source.
synth test lint bench: export AWS_EC2_METADATA_DISABLED := true
# Some shells set PYTHONDONTWRITEBYTECODE; the test run starts many Python processes (workers,
# make and app.py subprocesses), each of which would then compile every module again.
test bench: export PYTHONDONTWRITEBYTECODE :=

PY_DEPS := $(VENV)/.deps-app
PY_DEV_DEPS := $(VENV)/.deps-dev
CHECKOV_VENV := .venv-checkov
CHECKOV_DEPS := $(CHECKOV_VENV)/.deps
NODE_DEPS := node_modules/.deps
CDK := cdk
# Whatever heads for AWS passes AWS's rule packs (cdk-nag) first: an unacknowledged finding
# fails the synth inside diff and deploy. `make test` checks them too; plain synth skips them.
NAG := -c agentcore:nag=true

UV := $(VENV)/bin/uv
SAY := @printf '==> %s\n'

.PHONY: help setup synth test lint bench cdk diff deploy destroy bootstrap smoke verify mcp constraints clean \
	check-env check-destroy check-aws check-github deploy-access output

help:
	@grep -E '^#   make' Makefile | sed 's/^#   //'

$(VENV)/bin/python:
	$(SAY) "Creating the Python virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)

$(UV): requirements-tools.txt | $(VENV)/bin/python
	$(SAY) "Installing the pinned installer (uv) into $(VENV)"
	$(VENV)/bin/pip install --quiet -r requirements-tools.txt
	touch $@

$(PY_DEPS): requirements.txt constraints.txt $(UV)
	$(SAY) "Installing the app's Python packages (requirements.txt)"
	$(UV) pip install --quiet --compile-bytecode --python $(VENV)/bin/python -r requirements.txt -c constraints.txt
	touch $@

$(PY_DEV_DEPS): $(PY_DEPS) requirements-dev.txt requirements-agent.txt requirements-agent-strands.txt \
		constraints.txt
	$(SAY) "Installing the test, lint and agent packages (requirements-dev.txt)"
	$(UV) pip install --quiet --compile-bytecode --python $(VENV)/bin/python -r requirements-dev.txt -c constraints.txt
	touch $@

$(CHECKOV_DEPS): requirements-checkov.txt constraints-checkov.txt $(UV)
	$(SAY) "Installing checkov into its own environment $(CHECKOV_VENV)"
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(UV) pip install --quiet --compile-bytecode --python $(CHECKOV_VENV)/bin/python \
		-r requirements-checkov.txt -c constraints-checkov.txt
	touch $@

$(NODE_DEPS): package.json package-lock.json
	$(SAY) "Installing Node 24 and the CDK CLI (package-lock.json)"
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(PY_DEV_DEPS) $(CHECKOV_DEPS) $(NODE_DEPS)

synth: $(PY_DEPS) $(NODE_DEPS)
	$(SAY) "Synthesizing every environment of cdk.json into cdk.out/ (offline)"
	rm -rf cdk.out
	$(CDK) synth --quiet
	@ls cdk.out/*.template.json

# --dist worksteal: a worker that runs out of tests takes queued ones from the other, so a slow
# session fixture (a synth, checkov) does not leave a core idle at the end of the run.
test: $(PY_DEV_DEPS) $(CHECKOV_DEPS) $(NODE_DEPS)
	$(SAY) "ruff"
	ruff check .
	ruff format --check .
	$(SAY) "mypy (strict)"
	mypy
	$(SAY) "pytest"
	pytest -n auto --maxprocesses 4 --dist worksteal

lint: $(PY_DEV_DEPS)
	ruff check .
	ruff format --check .
	mypy

bench: $(PY_DEV_DEPS) $(CHECKOV_DEPS) $(NODE_DEPS)
	$(VENV)/bin/python scripts/bench.py

# The CDK CLI as the other targets run it: pinned, on Node 24, with the venv's Python for app.py.
cdk: $(PY_DEPS) $(NODE_DEPS)
	$(CDK) $(ARGS)

# First prerequisite of every ENV= target: a bad ENV stops before anything is installed.
check-env: | $(VENV)/bin/python
	@$(VENV)/bin/python scripts/check_env.py "$(ENV)"

# Credentials and a region, before the CLI needs them (and says only "Unable to resolve AWS
# account"). No AWS call is made.
check-aws: | $(VENV)/bin/python
	@$(VENV)/bin/python scripts/check_aws.py $(ENV)

bootstrap: check-env check-aws $(PY_DEPS) $(NODE_DEPS)
	$(CDK) bootstrap -c env=$(ENV)

diff: check-env check-aws $(PY_DEPS) $(NODE_DEPS)
	$(CDK) diff $(NAG) -c env=$(ENV) CodeInterpreter-$(ENV)

# A failed deploy leaves no empty outputs/ behind.
deploy: check-env check-aws $(PY_DEPS) $(NODE_DEPS)
	$(SAY) "Deploying CodeInterpreter-$(ENV); its outputs go to outputs/$(ENV).json"
	mkdir -p outputs
	$(CDK) deploy $(NAG) -c env=$(ENV) CodeInterpreter-$(ENV) \
		--require-approval $(APPROVAL) --outputs-file outputs/$(ENV).json \
		|| { rmdir outputs 2>/dev/null || true; exit 1; }

# Checked first, before anything is installed: prod needs CONFIRM=prod as well as ENV=prod.
check-destroy: | $(VENV)/bin/python
	@$(VENV)/bin/python scripts/check_env.py "$(ENV)" --destroy --confirm "$(CONFIRM)"

destroy: check-destroy check-aws $(PY_DEPS) $(NODE_DEPS)
	$(CDK) destroy -c env=$(ENV) CodeInterpreter-$(ENV)

check-github: | $(VENV)/bin/python
	@$(VENV)/bin/python scripts/check_env.py --github

# Once per account, before the first deployment from CI.
deploy-access: check-github check-aws $(PY_DEPS) $(NODE_DEPS)
	$(CDK) deploy $(NAG) CodeInterpreter-DeployAccess --require-approval $(APPROVAL)

smoke: check-env check-aws $(PY_DEV_DEPS)
	$(VENV)/bin/python -m agent.smoke --env $(ENV) --outputs-file outputs/$(ENV).json

# Read-only unless DELETE_ORPHANS is set; scripts/verify.py refuses that without CONFIRM=<env>
# before any AWS call.
verify: check-env check-aws $(PY_DEV_DEPS)
	$(SAY) "Comparing the live interpreter of CodeInterpreter-$(ENV) with cdk.json; looking for orphans"
	$(VENV)/bin/python scripts/verify.py "$(ENV)" --outputs-file outputs/$(ENV).json \
		$(if $(DELETE_ORPHANS),--delete-orphans --confirm "$(CONFIRM)")

# Reads outputs/<env>.json only: no AWS call, nothing to install but the venv.
output: check-env
	@$(VENV)/bin/python scripts/stack_output.py "$(ENV)" "$(NAME)"

mcp: check-env $(PY_DEV_DEPS)
	$(VENV)/bin/python -m agent.mcp_server --env $(ENV)

constraints: $(PY_DEV_DEPS) $(CHECKOV_DEPS)
	( echo "# Exact versions of every Python package, direct and transitive, that the suite was run with."; \
	  echo "# Regenerate with: make constraints"; \
	  $(VENV)/bin/pip freeze --exclude-editable ) > constraints.txt
	( echo "# Every package of .venv-checkov, pinned. Regenerate with: make constraints"; \
	  $(CHECKOV_VENV)/bin/pip freeze --exclude-editable ) > constraints-checkov.txt

clean:
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache
