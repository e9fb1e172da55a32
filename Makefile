# Canopy: `make run` serves the API and the scheduler, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export FLASK_APP := wsgi:app

.PHONY: run test lint typecheck venv venv-dev lock clean citus-up citus-down citus-status citus-probe

# Installs come from the lock files (exact versions, hashes checked); `make lock` refreshes them
# from pyproject.toml. The project itself is installed on top, without its dependencies.
venv: $(VENV)/.installed
venv-dev: $(VENV)/.installed-dev

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements-dev.lock pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.installed

lock: | $(BIN)/python
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile --quiet pyproject.toml --generate-hashes --python-version 3.11 \
		--universal -o requirements.lock
	$(BIN)/uv pip compile --quiet pyproject.toml --extra dev --generate-hashes \
		--python-version 3.11 --universal -o requirements-dev.lock

lint: venv-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory typecheck

# mypy at the strictness [tool.mypy] in pyproject.toml states, on the files it lists.
typecheck: venv-dev
	$(BIN)/mypy

test: lint
	CANOPY_TEST_DATABASE_URL= $(BIN)/pytest
	@if [ -n "$$CANOPY_TEST_DATABASE_URL" ]; then \
		echo "== PostgreSQL: $$CANOPY_TEST_DATABASE_URL"; \
		$(BIN)/pytest; \
	fi

run: venv
	$(BIN)/flask db-upgrade
	$(BIN)/flask seed
	PORT=$(PORT) $(BIN)/python -m api.server.supervisor

clean:
	rm -rf $(VENV) canopy.db

# A local Citus cluster (coordinator :9700, workers :9701-9702) under .citus/; see db/citus/.
citus-up:
	db/citus/cluster.sh up

citus-down:
	db/citus/cluster.sh down

citus-status:
	db/citus/cluster.sh status

# A fresh database on the cluster migrated to head (0026_citus distributes it), and its layout.
citus-probe: venv
	db/citus/probe.sh

# Adds a third worker (CITUS_WORKERS=3) and moves shards onto it with citus_rebalance_start.
.PHONY: citus-grow
citus-grow:
	db/citus/rebalance.sh
