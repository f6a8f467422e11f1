"""/healthz (the process answers) and /readyz (it can serve: database, migrations, cache)."""

import logging
import uuid

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from portal import health, middleware

from .test_cache import REDIS_URL, require_redis
from .test_outage import Database, free_port


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch):
    """Each test starts as a new process would: migrations not yet seen, no outage, no last answer."""
    monkeypatch.setattr(health, "state", health.Readiness())
    monkeypatch.setattr(middleware, "outage", middleware.DatabaseOutage())


@pytest.fixture
def database(tmp_path):
    db = Database(tmp_path)
    try:
        yield db
    finally:
        db.up()


def assert_plain_uncached(response):
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "no-store"


def test_healthz_answers_without_touching_the_database(client):
    # No django_db mark: pytest-django fails any database access in this test.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert_plain_uncached(response)


@pytest.mark.django_db
def test_readyz_says_ready_and_logs_nothing(client, caplog):
    caplog.set_level(logging.DEBUG)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.content.decode() == "ready\ndatabase: ok\nmigrations: ok\ncache: ok\n"
    assert_plain_uncached(response)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.django_db
def test_readyz_checks_migrations_once_per_process(client):
    with CaptureQueriesContext(connection) as first:
        assert client.get("/readyz").status_code == 200
    assert any("django_migrations" in q["sql"] for q in first.captured_queries)
    with CaptureQueriesContext(connection) as second:
        assert client.get("/readyz").status_code == 200
    assert [q["sql"] for q in second.captured_queries] == ["SELECT 1"]


@pytest.mark.django_db
def test_readyz_names_a_migration_not_applied(client):
    recorder = MigrationRecorder(connection)
    last = max(name for app, name in recorder.applied_migrations() if app == "papers")
    recorder.record_unapplied("papers", last)  # rolled back with the test
    response = client.get("/readyz")
    assert response.status_code == 503
    assert f"migrations: failed: 1 not applied (first papers.{last})\n" in response.content.decode()
    assert "database: ok\n" in response.content.decode()
    # Not applied is not remembered: once migrated, the same process says ready.
    recorder.record_applied("papers", last)
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_readyz_answers_503_while_the_database_is_unreachable(client, database, caplog):
    caplog.set_level(logging.INFO, logger="portal")
    assert client.get("/readyz").status_code == 200
    database.down()
    for _probe in range(3):
        response = client.get("/readyz")
        assert response.status_code == 503
        assert_plain_uncached(response)
        body = response.content.decode()
        assert body.startswith("not ready\ndatabase: failed: ")
        assert "migrations: not checked\ncache: ok\n" in body
        assert client.get("/healthz").status_code == 200  # alive: nothing to restart
    # Readiness handled the failure itself: no outage page, no traceback, one line for three probes.
    assert middleware.outage.since is None
    assert not any(r.exc_info for r in caplog.records)
    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warning.name == "portal.health"
    assert warning.getMessage().startswith("not ready: database: ")
    assert "\n" not in warning.getMessage()

    database.up()
    caplog.clear()
    assert client.get("/readyz").status_code == 200
    assert [(r.name, r.getMessage()) for r in caplog.records] == [("portal.health", "ready again")]


def redis_cache(url):
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": f"test-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.mark.django_db
def test_readyz_names_a_cache_that_does_not_answer(client):
    with override_settings(CACHES=redis_cache(f"redis://127.0.0.1:{free_port()}/0")):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.content.decode()
    assert "database: ok\nmigrations: ok\ncache: failed: " in body
    assert "refused" in body.lower()


@pytest.mark.django_db
def test_readyz_with_a_real_redis(client):
    require_redis().close()
    with override_settings(CACHES=redis_cache(REDIS_URL)):
        response = client.get("/readyz")
        assert response.status_code == 200, response.content
        assert "cache: ok\n" in response.content.decode()


@pytest.mark.django_db
def test_probes_keep_host_checking(client):
    for path in ("/healthz", "/readyz"):
        assert client.get(path, HTTP_HOST="attacker.example").status_code == 400


@pytest.mark.django_db
@override_settings(SECURE_SSL_REDIRECT=True)
def test_probes_are_answered_over_plain_http_when_pages_redirect(client):
    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
