# cxreport developer commands. `make demo` and `make test` work on a fresh Debian machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= out/demo
OUT_ZH ?= out/huayue

.PHONY: setup system demo demo-zh test bench docs i18n clean

system:
	@bash .ci/system-packages.sh

$(BIN)/cxreport: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

setup: system $(BIN)/cxreport

## Build the bundled Harbour Bank sample: HTML and PDF reports, paths printed at the end.
demo: setup
	$(BIN)/cxreport demo -o $(OUT)

## Build the Chinese sample (华悦零售, samples/huayue-retail): HTML and PDF, paths printed at the end.
demo-zh: setup
	$(BIN)/cxreport build samples/huayue-retail/cxreport.yaml -o $(OUT_ZH) --format html,pdf

## The whole test suite (what CI runs), on every core (at most 4); a module's tests stay on one
## worker, so its fixtures (sample builds) are made once.
test: setup
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4 --dist loadfile

## Benchmarks (figures go into docs/performance.md by hand).
bench: setup
	$(BIN)/python benchmarks/run_all.py

## Refresh the translation catalogs after changing report text (docs/languages.md):
## templates + Python → cxreport/locale/cxreport.pot → every language's .po; then check them.
i18n: setup
	$(BIN)/python -m cxreport.i18n extract
	$(BIN)/python -m cxreport.i18n update
	$(BIN)/python -m cxreport.i18n check

clean:
	rm -rf out build dist .pytest_cache *.egg-info
