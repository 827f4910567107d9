# conken-intake — the two commands of the README, and their helpers.
#   make demo   install everything, then run the main job on the embedded defaults
#   make test   install everything, then run the whole test suite
# Both are idempotent: a second run installs nothing and says so.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
CONKEN  := $(VENV)/bin/conken
STAMPS  := .stamps

# Debian packages the project needs at run time and in tests.
# IPAex Mincho/Gothic print letters and certificates; IPAmj Mincho the characters of names
# beyond them (𠮷 and the rest of the family register's).
APT_PACKAGES := tesseract-ocr tesseract-ocr-jpn tesseract-ocr-eng poppler-utils \
                fonts-noto-cjk fonts-ipafont-gothic fonts-ipafont-mincho fonts-klee fonts-kiloji \
                fonts-morisawa-bizud-gothic fonts-morisawa-bizud-mincho fonts-ipaexfont \
                fonts-mplus fonts-vlgothic fonts-takao fonts-ipamj-mincho \
                chromium chromium-driver

# Prefect must never try to phone home: this machine has no internet.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export OMP_THREAD_LIMIT := 1

.PHONY: help install system-deps venv demo test lint format clean-runtime

help:
	@echo "make demo   - install everything and run the nightly job once on sample data"
	@echo "make test   - install everything and run the whole test suite"
	@echo "make lint   - ruff check, format check and mypy"

install: system-deps venv

system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then \
	  echo "system packages: all present, nothing to install"; \
	else \
	  echo "system packages: installing$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "error: run as root to install:$$missing" >&2; exit 1; fi; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq >/dev/null; \
	  apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# The venv is rebuilt only when pyproject.toml changed since the last install
# (compared by hash, so a fresh clone's file times do not matter).
venv:
	@mkdir -p $(STAMPS); \
	want=$$(sha256sum pyproject.toml | cut -d' ' -f1); \
	have=$$(cat $(STAMPS)/venv 2>/dev/null || true); \
	if [ -x $(PY) ] && [ "$$want" = "$$have" ]; then \
	  echo "python venv: up to date, nothing to install"; \
	else \
	  if [ ! -x $(PY) ]; then echo "python venv: creating $(VENV)"; $(PYTHON) -m venv $(VENV); fi; \
	  echo "python venv: installing the project and its dev extras"; \
	  ( $(PY) -m pip install -q --disable-pip-version-check --upgrade pip setuptools wheel && \
	    $(PY) -m pip install -q --disable-pip-version-check -e '.[dev,bench]' ) > $(STAMPS)/pip.log 2>&1 \
	    || { cat $(STAMPS)/pip.log >&2; echo "error: pip install failed (log above)" >&2; exit 1; }; \
	  $(PY) -c "import pipeline, pytesseract, cv2, prefect" ; \
	  echo "$$want" > $(STAMPS)/venv; \
	fi

demo: install
	@$(PY) -m pipeline.demo

# One pytest worker per core (pytest-xdist): every test has its own temporary
# directory, SQLite file, PostgreSQL database, port and Prefect server, so the
# workers share nothing; on this 2-core machine the suite takes 4-5 minutes.
test: install
	@$(PY) -m pytest -q -p no:cacheprovider -n auto

lint: install
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy

format: install
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .
