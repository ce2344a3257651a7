# One entry point for people and CI. Every target installs what it needs first.
#   make synth              templates for every environment in cdk.out/ (offline, no credentials)
#   make test               ruff, mypy and the whole pytest suite
#   make diff|deploy|destroy ENV=dev
#   make destroy ENV=prod CONFIRM=prod   prod (and termination-protected envs) need CONFIRM
#   make deploy-access       the GitHub OIDC deploy role (needs `github` in cdk.json)
#   make smoke ENV=dev       post-deploy check: session, Python, shell, artifact upload
#   make output ENV=dev NAME=CodeInterpreterId   one output of the deployed stack (outputs/dev.json)
#   make mcp ENV=dev         stdio MCP server for agents
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

# The pinned Node 24 and CDK CLI from node_modules come first, so jsii never runs on an
# end-of-life Node; the venv's Python runs app.py.
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
# Offline and quiet: no telemetry, no version or notice look-ups, and never the EC2 metadata
# endpoint when the CLI looks for default credentials on a machine that has none.
export CDK_DISABLE_CLI_TELEMETRY := true
export CDK_DISABLE_VERSION_CHECK := true
export AWS_EC2_METADATA_DISABLED := true
export PIP_DISABLE_PIP_VERSION_CHECK := 1

PY_DEPS := $(VENV)/.deps-app
PY_DEV_DEPS := $(VENV)/.deps-dev
CHECKOV_VENV := .venv-checkov
CHECKOV_DEPS := $(CHECKOV_VENV)/.deps
NODE_DEPS := node_modules/.deps
CDK := cdk
# Whatever heads for AWS passes AWS's rule packs (cdk-nag) first: an unacknowledged finding
# fails the synth inside diff and deploy. `make test` checks them too; plain synth skips them.
NAG := -c agentcore:nag=true

.PHONY: help setup synth test lint bench diff deploy destroy bootstrap smoke mcp constraints clean check-env \
	check-destroy deploy-access output

help:
	@grep -E '^#   make' Makefile | sed 's/^#   //'

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(PY_DEPS): requirements.txt constraints.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -r requirements.txt -c constraints.txt
	touch $@

$(PY_DEV_DEPS): $(PY_DEPS) requirements-dev.txt requirements-agent.txt constraints.txt
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

$(CHECKOV_DEPS): requirements-checkov.txt constraints-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt -c constraints-checkov.txt
	touch $@

$(NODE_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(PY_DEV_DEPS) $(CHECKOV_DEPS) $(NODE_DEPS)

synth: $(PY_DEPS) $(NODE_DEPS)
	rm -rf cdk.out
	$(CDK) synth --quiet
	@ls cdk.out/*.template.json

test: $(PY_DEV_DEPS) $(CHECKOV_DEPS) $(NODE_DEPS)
	ruff check .
	ruff format --check .
	mypy
	pytest

lint: $(PY_DEV_DEPS)
	ruff check .
	ruff format --check .
	mypy

bench: $(PY_DEV_DEPS) $(CHECKOV_DEPS) $(NODE_DEPS)
	$(VENV)/bin/python scripts/bench.py

# First prerequisite of every ENV= target: a bad ENV stops before anything is installed.
check-env: | $(VENV)/bin/python
	@$(VENV)/bin/python scripts/check_env.py "$(ENV)"

bootstrap: check-env $(PY_DEPS) $(NODE_DEPS)
	$(CDK) bootstrap -c env=$(ENV)

diff: check-env $(PY_DEPS) $(NODE_DEPS)
	$(CDK) diff $(NAG) -c env=$(ENV) CodeInterpreter-$(ENV)

deploy: check-env $(PY_DEPS) $(NODE_DEPS)
	mkdir -p outputs
	$(CDK) deploy $(NAG) -c env=$(ENV) CodeInterpreter-$(ENV) \
		--require-approval $(APPROVAL) --outputs-file outputs/$(ENV).json

# Checked first, before anything is installed: prod needs CONFIRM=prod as well as ENV=prod.
check-destroy: | $(VENV)/bin/python
	@$(VENV)/bin/python scripts/check_env.py "$(ENV)" --destroy --confirm "$(CONFIRM)"

destroy: check-destroy $(PY_DEPS) $(NODE_DEPS)
	$(CDK) destroy -c env=$(ENV) CodeInterpreter-$(ENV)

# Once per account, before the first deployment from CI.
deploy-access: $(PY_DEPS) $(NODE_DEPS)
	$(CDK) deploy $(NAG) CodeInterpreter-DeployAccess --require-approval $(APPROVAL)

smoke: check-env $(PY_DEV_DEPS)
	$(VENV)/bin/python -m agent.smoke --env $(ENV) --outputs-file outputs/$(ENV).json

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
