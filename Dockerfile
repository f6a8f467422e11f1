# The portal's one image: the web servers, the one-shot migration and the inbox importer all run it.

# Dependencies are installed in a build stage, so pip, its caches and the wheels never reach the
# image. Every dependency ships a wheel for this Python (psycopg as its binary build), so no
# compiler is needed here either.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY pyproject.toml README.md /src/
COPY portal /src/portal
COPY papers /src/papers
COPY readinglists /src/readinglists
# Installing the project pulls in exactly pyproject.toml's dependencies; the project itself is then
# removed, because the code runs from /app next to its templates, static files and translations.
RUN /opt/venv/bin/pip install /src && /opt/venv/bin/pip uninstall --yes paper-portal

FROM python:3.11-slim
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 WEB_CONCURRENCY=3
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY manage.py ./
COPY portal portal
COPY papers papers
COPY readinglists readinglists
COPY templates templates
COPY static static
COPY locale locale
COPY seeds seeds
# Hashed, compressed static files for whitenoise, made once here; the key exists for this command only.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput --verbosity 0
# Not root. The code and static files stay root's, so the portal cannot change them; /inbox is the
# importer's (a named volume mounted there starts out with this owner).
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin portal \
    && mkdir /inbox && chown portal /inbox
USER portal
EXPOSE 8000
# No HEALTHCHECK: the migration and the importer run this image too and serve no HTTP. Compose
# gives the web service its own, on /readyz. gunicorn's access log stays off (the portal logs one
# line per request); X-Forwarded-Proto is the portal's to trust (DJANGO_BEHIND_PROXY), not gunicorn's;
# workers come from WEB_CONCURRENCY; heartbeats go to memory, not the container's disk; and no
# control socket, which gunicorn would make under a HOME the portal user does not have.
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--forwarded-allow-ips=", \
     "--worker-tmp-dir", "/dev/shm", "--no-control-socket"]
