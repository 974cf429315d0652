# Letterbook: `make run` sets everything up and serves; `make test` runs the whole suite.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PYTHON ?= python3
# This machine's pip configuration names local package folders that may not exist; pip warns about
# each on every install. Keep the output to what matters.
QUIET_PIP := grep -v "is ignored: it is neither a file nor a directory" || true
VENV ?= .venv
PY := $(VENV)/bin/python
DEV_ENV := DEBUG=1
RUN_ADDR ?= 127.0.0.1:8000

.PHONY: install run samples test lint format bench chromium clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip 2>&1 | { $(QUIET_PIP); }
	$(PY) -m pip install -q -r requirements-dev.txt 2>&1 | { $(QUIET_PIP); }
	touch $@

install: $(VENV)/.installed

samples: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput -v0
	$(DEV_ENV) $(PY) manage.py import_volume fixtures/frus1969-76v33 --volume frus1969-76v33 --publish
	$(DEV_ENV) $(PY) manage.py import_volume fixtures/frus1981-88v04 --volume frus1981-88v04 \
		--title "Foreign Relations of the United States, 1981–1988, Volume IV, Soviet Union, January 1983–March 1985" --publish
	$(DEV_ENV) $(PY) manage.py import_volume fixtures/frus1969-76v33-excerpt.xml fixtures/frus1944Quebec-excerpt.xml --publish

# The web server, and beside it a worker for the import jobs (stopped with the server).
run: samples
	$(DEV_ENV) $(PY) manage.py ensure_dev_admin
	@$(DEV_ENV) $(PY) manage.py db_worker --no-reload -v0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	echo "import worker started (pid $$worker)"; \
	$(DEV_ENV) $(PY) manage.py runserver $(RUN_ADDR)

# Browser tests drive Debian's Chromium; install it when we can (root, as on CI), else they skip.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
		(apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null) || \
		echo "chromium not installed: browser tests will be skipped"; }

test: install chromium
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks (bench/run.py): sample scale by default; e.g. make bench BENCH_ARGS="--sizes 10k,100k
# --database-prefix lb_scale --duration 20 --write-results" for the scale databases (bench/build_scale_db.py).
BENCH_ARGS ?=
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) letterbook.sqlite3 letterbook.sqlite3-wal letterbook.sqlite3-shm staticfiles

# Beyond one machine, on loopback (root; not in CI): replica, pgbouncer, haproxy, two app servers, Redis.
.PHONY: loopback
loopback: install
	$(PY) bench/loopback.py
