# Parcours — the two set-up commands are `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
RESULTS := var/test-results
PG_URL ?= postgresql://postgres@127.0.0.1:5432/parcours
TEST_DATABASE_URL ?=
XDIST ?= -n 2

.PHONY: install demo test test-sqlite test-postgres lint clean

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/parcours demo

test: install
	mkdir -p $(RESULTS)
	rm -f $(RESULTS)/*.xml
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite:
	PARCOURS_TESTING=1 DATABASE_URL= $(BIN)/pytest $(XDIST) -q --junitxml=$(RESULTS)/sqlite.xml

# PostgreSQL run: TEST_DATABASE_URL if set, else the local server when it answers.
test-postgres:
	@url="$(TEST_DATABASE_URL)"; [ -n "$$url" ] || url="$(PG_URL)"; \
	if $(BIN)/python -c "import sys,psycopg; u=sys.argv[1].rsplit('/',1)[0]+'/postgres'; psycopg.connect(u, connect_timeout=3).close()" "$$url" 2>/dev/null; then \
		echo "PostgreSQL run on $$url"; \
		PARCOURS_TESTING=1 DATABASE_URL="$$url" $(BIN)/pytest $(XDIST) -q --junitxml=$(RESULTS)/postgres.xml; \
	elif [ -n "$$PARCOURS_REQUIRE_POSTGRES" ]; then \
		echo "PostgreSQL does not answer on $$url and PARCOURS_REQUIRE_POSTGRES is set"; exit 1; \
	else \
		echo "PostgreSQL does not answer on $$url: PostgreSQL run SKIPPED"; \
	fi

# What CI runs before the tests: ruff's rules and format, mypy (django-stubs, pyproject.toml) at
# 0 errors, and import-linter's layer contract (pyproject.toml, docs/architecture.md). `ruff format parcours bench conftest.py` fixes the format.
lint: install
	$(BIN)/ruff check parcours bench conftest.py
	$(BIN)/ruff format --check parcours bench conftest.py
	PARCOURS_TESTING=1 $(BIN)/mypy parcours
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var
