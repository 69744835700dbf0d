# Validated SageMaker ML platform as code. `make help` lists the targets.
#   TARGET=local (default: the embedded local AWS on 127.0.0.1) or TARGET=aws (normal AWS credential chain)

SHELL        := /bin/bash
PYTHON       ?= python3.11
VENV         := .venv
CHECKOV_VENV := .venv-checkov
PY           := $(VENV)/bin/python
TARGET       ?= local
HARNESS      := $(PY) -m harness
MODULES      := $(sort $(dir $(wildcard modules/*/main.tf)))
export TARGET

.DEFAULT_GOAL := help
FEATURES     ?= 72,1,0.85
PYTEST_JOBS  ?= 4
TF_TEST       = $(PY) -m harness.tfcheck test $(MODULES) terraform
PYTEST        = $(PY) -m pytest -n $(PYTEST_JOBS) --dist loadfile
.PHONY: help setup up down plan apply destroy output train features pipeline monitor traffic deploy invoke scan validate verify drift bench soak test test-fast lint fmt tf-fmt tf-validate tf-test pytest clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (Python 3.11+ is needed)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e . 2>/dev/null || $(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r requirements-checkov.txt
	@touch $@

setup: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## create .venv (harness) and .venv-checkov (checkov); idempotent

up: $(VENV)/.installed ## start the embedded local AWS (EMULATOR_PORT, default 4566)
	$(HARNESS) emulator start

down: $(VENV)/.installed ## stop the embedded local AWS (its state is lost)
	$(HARNESS) emulator stop

plan: $(VENV)/.installed ## show what apply would change on TARGET
	$(HARNESS) plan

apply: $(VENV)/.installed ## converge the platform on TARGET (starts the emulator for TARGET=local)
	$(HARNESS) apply

destroy: $(VENV)/.installed ## remove every resource of the platform from TARGET
	$(HARNESS) destroy

output: $(VENV)/.installed ## print the platform's outputs as JSON
	$(HARNESS) output

train: $(VENV)/.installed ## generate data (SOURCE=features: an Athena query over the feature store), train, register
	$(HARNESS) train --source $(or $(SOURCE),generator)

features: $(VENV)/.installed ## ingest the synthetic subjects into the feature group; returns once in both stores
	$(HARNESS) features ingest

pipeline: $(VENV)/.installed ## run the model's SageMaker pipeline (split, train, evaluate, criterion, register PendingManualApproval)
	$(HARNESS) pipeline

monitor: $(VENV)/.installed ## drift analysis (processing job) of the traffic captured since the previous one; prints the job and its violations
	$(HARNESS) monitor

traffic: $(VENV)/.installed ## score synthetic subjects on the endpoint: make traffic [REQUESTS=300] [SHIFT=0.3]
	$(HARNESS) traffic --requests "$(or $(REQUESTS),300)" --shift "$(or $(SHIFT),0)"

deploy: $(VENV)/.installed ## serve the latest approved model package on the endpoint (waits for InService)
	$(HARNESS) deploy

invoke: $(VENV)/.installed ## score one subject: make invoke FEATURES=72,1,0.85
	$(HARNESS) invoke --features "$(FEATURES)"

scan: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## checkov gate over the code and the plan (results in .run/)
	$(HARNESS) scan

validate: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## the whole IQ/OQ/PQ qualification -> signed evidence package (INSTALLED=1: as installed; BASELINE=evidence/<run>: drift baseline; FRESH_SCAN=1: scan even when inputs are unchanged)
	$(HARNESS) validate $(if $(INSTALLED),--installed) $(if $(BASELINE),--baseline "$(BASELINE)") $(if $(FRESH_SCAN),--fresh-scan)

verify: $(VENV)/.installed ## verify an evidence package offline: make verify PACKAGE=evidence/latest
	$(HARNESS) report verify "$(or $(PACKAGE),evidence/latest)"

drift: $(VENV)/.installed ## compare the live platform with its qualified baseline (BASELINE=evidence/<run> to choose)
	$(HARNESS) drift $(if $(BASELINE),--baseline "$(BASELINE)")

bench: $(VENV)/.installed ## inference/batch benchmark; BENCH_ARGS="--growth --cycle" for more (--cycle: beside the previous cycle; JSON in .run/)
	$(PY) -m harness.bench $(BENCH_ARGS)

soak: $(VENV)/.installed ## 16 clients, 100,000 invocations, bounded by LOAD_SOAK_SECONDS (900)
	LOAD_SOAK=1 $(PY) -m pytest tests/load -k soak -s -p no:cacheprovider

lint: $(VENV)/.installed ## ruff (lint and format check)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: $(VENV)/.installed ## format Python and Terraform in place
	$(VENV)/bin/ruff format .
	terraform fmt -recursive

tf-fmt: ## terraform fmt -check
	terraform fmt -check -recursive -diff

tf-validate: $(VENV)/.installed ## terraform validate of the root configuration (no backend, no credentials)
	$(PY) -m harness.tfcheck validate terraform

tf-test: $(VENV)/.installed ## terraform test in every module and the root's validated-environment guards (mock provider)
	$(TF_TEST)

pytest: $(VENV)/.installed ## harness unit, emulator and integration tests
	$(PYTEST)

test-fast: $(VENV)/.installed ## pytest without an emulator (not integration, not slow): the part to run while editing
	$(PYTEST) -m "not integration and not slow"

test: lint tf-fmt tf-validate ## everything CI runs (the module tests, niced, and pytest run side by side)
	@mkdir -p .run; echo "terraform test runs beside pytest; its output follows pytest's (log: .run/tf-test.log)"
	@nice -n 19 $(TF_TEST) > .run/tf-test.log 2>&1 & tf=$$!; \
	trap 'kill $$tf 2>/dev/null' INT TERM; \
	$(PYTEST); py=$$?; \
	wait $$tf; tf_rc=$$?; cat .run/tf-test.log; \
	if [ $$tf_rc -ne 0 ]; then echo "terraform test failed (make tf-test to run it alone)"; fi; \
	if [ $$py -ne 0 ]; then echo "pytest failed (make pytest to run it alone)"; fi; \
	test $$tf_rc -eq 0 -a $$py -eq 0

clean: ## remove caches and run folders (keeps state and evidence)
	rm -rf .cache .run .pytest_cache .ruff_cache
