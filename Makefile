# The two commands README promises: `make run` (demo on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test bench lint clean messages assets

$(BIN)/motcua: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(BIN)/motcua

setup: $(BIN)/motcua

run: setup
	$(BIN)/motcua demo

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python bench/workcalendar.py
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/sql_floor.py
	$(BIN)/python bench/instructions.py
	$(BIN)/python bench/escalation.py
	$(BIN)/python bench/api.py
	$(BIN)/python bench/web.py
	$(BIN)/python bench/portal.py

# The workspace's messages: extract from the code and templates, merge into each catalog, compile (.mo
# files are committed, so a checkout runs without this step).
messages: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l --no-location --sort-output -o api/web/translations/messages.pot api/web
	$(BIN)/pybabel update -i api/web/translations/messages.pot -d api/web/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d api/web/translations --statistics

# The front-end files the workspace serves, from web-assets/package-lock.json (needs node and npm); the
# copies in api/web/static/vendor/ are committed, with manifest.json's hashes checked by a test.
assets:
	cd web-assets && npm ci --ignore-scripts --no-audit --no-fund && node build.mjs

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var *.egg-info
