# Two commands on a fresh clone: `make lab` and `make test`. Both set up .venv first.
PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed-stamp
CHROMIUM := /usr/bin/chromium
NBVAL    := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup lab test unit browser notebooks bench clean regen-notebooks

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lab,app]'
	touch $(STAMP)

setup: $(STAMP)

## Open the class notebooks in JupyterLab.
lab: setup
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root,) notebooks/

# Debian's Chromium for the browser tests (never a browser download of Playwright's own).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium; \
	else echo "The browser tests need Debian's chromium: apt-get install chromium"; exit 1; fi

## Every test: unit tests, real-browser tests, then the notebooks' printed numbers under nbval (strict).
## (Browser tests run in a pytest of their own: Playwright's event loop must not leak into the others.)
test: setup $(CHROMIUM)
	$(PY) -m pytest -q tests --ignore=tests/browser
	$(PY) -m pytest -q tests/browser
	$(PY) -m pytest -q $(NBVAL) notebooks/

unit: setup
	$(PY) -m pytest -q tests --ignore=tests/browser

browser: setup $(CHROMIUM)
	$(PY) -m pytest -q tests/browser

notebooks: setup
	$(PY) -m pytest -q $(NBVAL) notebooks/

## Speed figures (not part of `make test`: timing on shared machines is noisy).
bench: setup $(CHROMIUM)
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/slider.py
	$(PY) benchmarks/boundary.py
	$(PY) benchmarks/curve.py
	$(PY) benchmarks/load.py
	$(PY) benchmarks/browser.py

## Rewrite the notebooks from tools/ and execute them (after changing a notebook's source).
regen-notebooks: setup
	for f in tools/make_notebook_*.py; do $(PY) $$f || exit 1; done
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.store_widget_state=False notebooks/*.ipynb
	$(PY) tools/strip_widget_views.py notebooks/*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info test-artifacts
