# Everyday commands. The README's two commands are `make demo` and `make test`;
# both create .venv and install what they need on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint docs bench clean chromium dashboard audit

# setup.py compiles the per-mention path of places (processors/geo/native.py): an edit there rebuilds it
NATIVE_SOURCES := processors/geo/native.py processors/geo/resolve.py processors/geo/matching.py \
	processors/geo/records.py
$(STAMP): pyproject.toml setup.py $(NATIVE_SOURCES)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,docs,embedded]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/tocsin demo

test: $(STAMP) chromium
	$(BIN)/python -m pytest

# The dashboard's browser tests drive Debian's Chromium; installed here where we run as
# root or may sudo. Elsewhere those tests skip with the reason, except in CI (CI=true), where they fail.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=no; fi; \
	  if [ "$$sudo" != no ] && command -v apt-get >/dev/null; then \
	    $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null; \
	  else echo "make: $(CHROMIUM) is missing (apt-get install chromium); dashboard browser tests will skip" >&2; fi; }

# Rebuild the dashboard (api/web -> api/static; needs node and npm) and commit api/static.
dashboard:
	cd api/web && npm ci --no-audit --no-fund && npm run build

# ruff and mypy over every package, the tests, the benchmarks and the docs hooks.
LINTED := tocsin tocsin_launch tocsin_embedded collectors processors alerts api tests bench docs/hooks
lint: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/mypy $(LINTED)

# The manual (docs/, mkdocs.yml) into site/; --strict fails on any broken link or anchor,
# and docs/hooks/reference.py generates the configuration and CLI reference from the code.
docs: $(STAMP)
	$(BIN)/mkdocs build --strict --site-dir site

# Known vulnerabilities of the installed packages, from PyPI's JSON API (pip-audit). Says
# NOT AUDITED when that API does not answer; AUDIT_FLAGS=--strict makes that a failure.
audit: $(STAMP)
	$(BIN)/python -m tocsin.audit $(AUDIT_FLAGS)

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .tocsin .pytest_cache .mypy_cache .ruff_cache site build
	rm -f processors/geo/*.so processors/geo/compiled.sha256
