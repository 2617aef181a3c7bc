# Two commands on a fresh clone: `make lab` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup lab test unit notebooks bench clean regen-notebooks

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lab]'
	touch $(STAMP)

setup: $(STAMP)

## Open the class notebooks in JupyterLab.
lab: setup
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root,) notebooks/

## Every test: unit tests, then the notebooks' printed numbers under nbval (strict).
test: setup
	$(PY) -m pytest -q tests
	$(PY) -m pytest -q --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/

unit: setup
	$(PY) -m pytest -q tests

notebooks: setup
	$(PY) -m pytest -q --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg notebooks/

## Speed figures (not part of `make test`: timing on shared machines is noisy).
bench: setup
	$(PY) benchmarks/engine.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info

## Rewrite the notebooks from tools/ and execute them (after changing a notebook's source).
regen-notebooks: setup
	for f in tools/make_notebook_*.py; do $(PY) $$f || exit 1; done
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace notebooks/*.ipynb
