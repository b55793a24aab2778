# Two entry points for people: `make demo` and `make test`. Both create their own venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := biaskit/data/samples/sample-article.txt

.PHONY: demo test test-all lint notebooks bench clean install

# the package itself is reinstalled (as a wheel, not -e) on every run so tests see current code
install: $(BIN)/biaskit
	$(BIN)/python -m pip install --quiet --no-deps --force-reinstall .

$(BIN)/biaskit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet ".[test,notebooks,dask]"
	touch $@

## demo: install, then segment and analyse the shipped sample article
demo: install
	$(BIN)/biaskit segment $(SAMPLE)
	$(BIN)/biaskit analyze $(SAMPLE)
	$(BIN)/biaskit analyze --attributions $(SAMPLE)

## test: install the package (a real wheel install, not -e) and run the default test suite + lint
test: install
	$(BIN)/ruff check --output-format concise .
	cd tests && ../$(BIN)/python -m pytest -q -p no:cacheprovider ..

## test-all: the default suite plus slow tests (what CI runs)
test-all: install
	$(BIN)/ruff check --output-format concise .
	cd tests && ../$(BIN)/python -m pytest -q -p no:cacheprovider -m "slow or not slow" ..

## notebooks: run every notebook top to bottom (papermill, cwd notebooks/); executed copies and HTML in notebooks/_build/
notebooks: install
	$(BIN)/python tests/test_notebooks.py notebooks/_build

lint: $(BIN)/biaskit
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build dist *.egg-info

## corpus-readme: rebuild corpora/gold/*.jsonl and the statistics in corpora/README.md
corpus-readme: install
	$(BIN)/biaskit corpus validate
	$(BIN)/biaskit corpus build
	$(BIN)/python -m biaskit.corpus readme

## model: retrain the shipped default model from corpora/ (deterministic)
model: install
	$(BIN)/biaskit train --corpus corpora --out biaskit/data/models/default.skops
