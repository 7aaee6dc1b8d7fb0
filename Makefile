# The two commands of the README: `make run` and `make test` (plus `make lint` and `make bench`).
# `make run` serves with gunicorn, as production does (docs/DEVELOPING.md, «Concurrency»).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test lint bench bench-import print-check migration clean

$(BIN)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

# `make test` and `make lint` also install the test tools (requirements-dev.txt: pytest, ruff, Playwright for
# tests/e2e, which drives Debian's /usr/bin/chromium; `playwright install` is never run). `make run` installs
# requirements.txt only.
$(BIN)/.installed-dev: $(BIN)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

instance:
	mkdir -p instance

run: $(BIN)/.installed instance
	$(BIN)/flask db upgrade
	@if [ ! -f instance/demo-accounts.txt ]; then \
		$(BIN)/flask demo-data --accounts-file instance/demo-accounts.txt >/dev/null || exit 1; \
	fi
	@cat instance/demo-accounts.txt
	@echo "Откройте http://$(HOST):$(PORT)"
	$(BIN)/gunicorn --workers 2 --threads 4 --bind $(HOST):$(PORT) --access-logfile - 'app:create_app()'

test: $(BIN)/.installed-dev
	$(BIN)/python -m pytest -q

# ruff (ruff.toml) and the import graph of the product (tests/import_graph.py: no cycles, layers, private
# modules, demo data); both run, the target fails if either does.
lint: $(BIN)/.installed-dev
	@status=0; \
	$(BIN)/ruff check . || status=1; \
	$(BIN)/python -m tests.import_graph || status=1; \
	exit $$status

# The benchmark of issue 7 (bench/RESULTS.md); e.g. make bench BENCH_ARGS="--size tiny --db sqlite".
bench: $(BIN)/.installed
	$(BIN)/python -m bench.run $(BENCH_ARGS)

bench-import: $(BIN)/.installed
	$(BIN)/python -m bench.import_students

# Every report's print, looked at (issue 15.9): the demo school and college, each report's .xlsx converted by
# LibreOffice to PDF and its first pages to PNG in bench/out/prints (-r 60); open them and look. Needs
# libreoffice-calc and poppler-utils (apt-get install -y libreoffice-calc poppler-utils); not part of `make test`.
print-check: $(BIN)/.installed
	$(BIN)/python -m bench.print_check $(PRINT_CHECK_ARGS)

# The schema is released: a change is a NEW Alembic revision, never a rewrite of 0001_initial.
# make migration MSG="what changes" writes migrations/versions/<rev>_*.py from the models; read and
# edit it (data of real schools must survive the upgrade) before committing.
migration: $(BIN)/.installed
	@test -n "$(MSG)" || { echo 'Укажите описание: make migration MSG="..."'; exit 1; }
	@tmp=$$(mktemp -d) && \
	DATABASE_URL=sqlite:///$$tmp/m.db $(BIN)/flask db upgrade && \
	DATABASE_URL=sqlite:///$$tmp/m.db $(BIN)/flask db revision --autogenerate -m "$(MSG)" && \
	rm -rf $$tmp

clean:
	rm -rf $(VENV) instance/journal.db instance/journal.db-wal instance/journal.db-shm instance/demo-accounts.txt
