# Two commands on a fresh clone: `make lab` and `make test`. Both set up .venv first.
PYTHON   ?= python3
VENV     := .venv
PY       := $(VENV)/bin/python
STAMP    := $(VENV)/.installed-stamp
CHROMIUM := /usr/bin/chromium
NBVAL    := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup lab lite serve-lite floors test unit browser notebooks bench clean regen-notebooks

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lab,app]'
	touch $(STAMP)

setup: $(STAMP)

## Open the class notebooks in JupyterLab.
lab: setup
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root,) notebooks/

## The class notebooks as a static site in build/lite/: JupyterLite with Pyodide and every
## package served from the site itself (downloads cached in build/lite-cache/, each checked
## against its sha256 in tools/lite/; the build refuses any mismatch). Needs npm.
lite: setup
	$(PY) tools/lite/build.py

## Serve build/lite on http://127.0.0.1:8000/lab/index.html, as any static host would.
serve-lite:
	$(PY) tools/lite/serve.py --port 8000

## The unit tests with the oldest NumPy, ipywidgets and matplotlib pyproject.toml allows
## (in .venv/floors; deprecation warnings from those old releases are not errors here).
FLOORS := $(VENV)/floors
$(FLOORS)/.stamp: pyproject.toml
	rm -rf $(FLOORS) && $(PYTHON) -m venv $(FLOORS)
	$(FLOORS)/bin/python -m pip install --quiet pytest hypothesis \
		$$($(PYTHON) -c "import re; s = open('pyproject.toml').read(); s = s[s.index('dependencies = ['):]; \
		print(' '.join(n + '==' + v for n, v in re.findall(r'\"([A-Za-z0-9_.-]+)>=([0-9.]+)\"', s[:s.index(']')])))")
	touch $@

floors: $(FLOORS)/.stamp
	PYTHONPATH=$(CURDIR) $(FLOORS)/bin/python -m pytest -q -p no:cacheprovider -W ignore::DeprecationWarning \
		tests --ignore=tests/browser

# Debian's Chromium for the browser tests (never a browser download of Playwright's own).
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium; \
	else echo "The browser tests need Debian's chromium: apt-get install chromium"; exit 1; fi

## Every test: unit tests, real-browser tests, then the notebooks' printed numbers under nbval (strict).
## (Browser tests run in a pytest of their own: Playwright's event loop must not leak into the others.)
## (The browser tests include the static site's, tests/browser/test_lite.py: `lite` builds it first.)
test: setup $(CHROMIUM) lite
	$(PY) -m pytest -q tests --ignore=tests/browser
	$(MAKE) --no-print-directory floors
	$(PY) -m pytest -q tests/browser
	$(PY) -m pytest -q $(NBVAL) notebooks/

unit: setup
	$(PY) -m pytest -q tests --ignore=tests/browser

browser: setup $(CHROMIUM) lite
	$(PY) -m pytest -q tests/browser

notebooks: setup
	$(PY) -m pytest -q $(NBVAL) notebooks/

## Speed figures (not part of `make test`: timing on shared machines is noisy).
bench: setup $(CHROMIUM) lite
	$(PY) benchmarks/engine.py
	$(PY) benchmarks/slider.py
	$(PY) benchmarks/boundary.py
	$(PY) benchmarks/curve.py
	$(PY) benchmarks/load.py
	$(PY) benchmarks/browser.py
	$(PY) benchmarks/class.py
	$(PY) benchmarks/lite.py

## Rewrite the notebooks from tools/ and execute them (after changing a notebook's source).
regen-notebooks: setup
	for f in tools/make_notebook_*.py; do $(PY) $$f || exit 1; done
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.store_widget_state=False notebooks/*.ipynb
	$(PY) tools/strip_widget_views.py notebooks/*.ipynb

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info test-artifacts
