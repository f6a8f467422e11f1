# One command to serve the portal with the seed digests (`make run`), one to run every test (`make test`).
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Local runs get a per-checkout secret key; production sets DJANGO_SECRET_KEY itself.
MANAGE  = DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" $(PY) manage.py
# With DEBUG off the settings redirect to HTTPS, send HSTS and keep cookies to HTTPS; `make run`
# serves plain http://127.0.0.1, so it switches those off by name (the environment can still say 1).
PLAIN_HTTP = DJANGO_SECURE_SSL_REDIRECT="$${DJANGO_SECURE_SSL_REDIRECT:-0}" \
	DJANGO_SECURE_HSTS_SECONDS="$${DJANGO_SECURE_HSTS_SECONDS:-0}" \
	DJANGO_SECURE_COOKIES="$${DJANGO_SECURE_COOKIES:-0}"

.PHONY: install run dev test test-postgres smoke lint check bench bench-pages clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

.secret_key:
	$(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	chmod 600 $@

run: install .secret_key
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput --verbosity 0
	$(MANAGE) load_institutions
	$(MANAGE) load_digests seeds/
	@echo "Serving the portal at http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(PLAIN_HTTP) DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" $(VENV)/bin/gunicorn portal.wsgi \
		--bind $(HOST):$(PORT) --workers 2 --forwarded-allow-ips="" --no-control-socket

dev: install
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_institutions
	DJANGO_DEBUG=1 $(PY) manage.py load_digests seeds/
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test $(PY) -m pytest $(PYTEST_ARGS)

# The production path without containers (tests/smoke_production.py): needs PostgreSQL and Redis on 127.0.0.1.
smoke: install
	$(PY) tests/smoke_production.py

lint: install
	$(VENV)/bin/ruff check .
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

bench: install
	$(PY) benchmarks/import_bench.py

# Page speed against a bare Django view, at 1k/10k/100k papers (needs wrk); BENCH_ARGS="--sizes 1000,10000 --duration 5".
bench-pages: install
	$(PY) benchmarks/page_bench.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 db.sqlite3-* .pytest_cache .hypothesis
