"""The cache: Redis shared by every process when REDIS_URL is set, else each process's own memory."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from .test_settings import clean_environment, fresh_settings

ROOT = Path(__file__).resolve().parent.parent
# Database 5 of the machine's Redis is this project's to use in tests; REDIS_URL can name another.
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5")


def test_redis_url_selects_the_shared_redis_cache(monkeypatch):
    settings = fresh_settings(monkeypatch, {"DJANGO_DEBUG": "0", "REDIS_URL": "redis://cache.internal:6379/2"})
    cache = settings.CACHES["default"]
    assert cache["BACKEND"] == "portal.cache.TolerantRedisCache"
    assert cache["LOCATION"] == "redis://cache.internal:6379/2"
    assert cache["KEY_PREFIX"] == "portal" and cache["TIMEOUT"] == 300
    # A Redis that stops answering must cost a request a second, not hang it.
    assert cache["OPTIONS"] == {"socket_connect_timeout": 1, "socket_timeout": 1}


def test_without_redis_each_process_keeps_its_own_cache(monkeypatch):
    cache = fresh_settings(monkeypatch, {"DJANGO_DEBUG": "0"}).CACHES["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert cache["KEY_PREFIX"] == "portal"


def require_redis():
    """A client of the test Redis, or the test is skipped saying why."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis answers at {REDIS_URL} ({error}); .ci/run starts one, or set REDIS_URL")
    return client


@pytest.fixture
def redis_server():
    client = require_redis()
    yield client
    client.close()


def in_portal_process(code):
    """Run `code` in a new process with the production settings and REDIS_URL; its output."""
    env = clean_environment(
        {"DJANGO_SETTINGS_MODULE": "portal.settings", "DJANGO_SECRET_KEY": "test", "REDIS_URL": REDIS_URL}
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_value_one_process_caches_another_process_reads(redis_server):
    key, value = f"test-cache-{uuid.uuid4().hex}", "计数 42"
    try:
        wrote = in_portal_process(
            "from django.core.cache import caches\n"
            f"caches['default'].set({key!r}, {value!r}, 60)\n"
            "print(type(caches['default']).__name__)\n"
        )
        assert wrote == "TolerantRedisCache"
        # In Redis itself, under the portal's prefix and with the timeout it was given.
        stored = f"portal:1:{key}"
        assert redis_server.exists(stored)
        assert 0 < redis_server.ttl(stored) <= 60
        read = in_portal_process(f"from django.core.cache import cache\nprint(cache.get({key!r}))\n")
        assert read == value
    finally:
        redis_server.delete(f"portal:1:{key}")


@pytest.mark.django_db
def test_pages_are_served_while_redis_is_down(client, caplog):
    """Pages and facet counts are cached, and a cache call that raised made every list page a 500."""
    from django.test import override_settings

    from papers.importing import import_digest
    from tests.builders import Entry, daily_digest

    import_digest(daily_digest([Entry("Served without a cache", "2301.00001")]), name="d.txt")
    unreachable = {
        "default": {
            "BACKEND": "portal.cache.TolerantRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    with override_settings(CACHES=unreachable), caplog.at_level("WARNING", logger="portal.cache"):
        for url in ("/", "/search/?q=served", "/feeds/latest.rss", "/areas/LG/"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert "Served without a cache" in response.content.decode(), url
    outages = [r for r in caplog.records if r.name == "portal.cache"]
    assert len(outages) == 1 and "cache unavailable" in outages[0].getMessage()
