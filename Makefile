# The two commands README promises: `make run` (demo on SQLite) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test bench lint clean

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

lint: setup
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var *.egg-info
