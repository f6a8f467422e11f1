# One command to serve the portal with the seed digests (`make run`), one to run every test (`make test`).
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Local runs get a per-checkout secret key; production sets DJANGO_SECRET_KEY itself.
MANAGE  = DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" $(PY) manage.py

.PHONY: install run dev test test-postgres lint check bench bench-pages clean

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
	$(MANAGE) load_digests seeds/
	@echo "Serving the portal at http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat .secret_key)}" $(VENV)/bin/gunicorn portal.wsgi \
		--bind $(HOST):$(PORT) --workers 2 --access-logfile - --forwarded-allow-ips=""

dev: install
	DJANGO_DEBUG=1 $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=1 $(PY) manage.py load_digests seeds/
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=postgres://postgres@127.0.0.1:5432/test $(PY) -m pytest $(PYTEST_ARGS)

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
