"""While the database is down or frozen, readers get a short 503 page and the log gets one line.

The tests break the real connection: the default connection's settings point at a place where no
database answers (a closed or silent local port on PostgreSQL, a file in a missing folder on
SQLite) until the test puts them back. These are transactional tests, since a test's own
transaction could not outlive its connection.
"""

import copy
import importlib.util
import logging
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DataError, InterfaceError, OperationalError, connection

from papers import views
from portal import middleware
from portal.settings import env_int

ROOT = Path(__file__).resolve().parent.parent
OUTAGE_PATHS = ["/", "/feeds/latest.rss", "/areas/LG/", "/search/?q=robot"]


def free_port():
    """A local port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Database:
    """Takes the default connection's database away and brings it back, as an outage would."""

    def __init__(self, tmp_path):
        self.saved = copy.deepcopy(connection.settings_dict)
        self.tmp_path = tmp_path
        self.aside = None
        self.silent = None

    def down(self, *, frozen=False):
        if connection.vendor == "sqlite":
            # The test database lives in memory and closing its last connection would delete it,
            # so the open connection is set aside (Django then connects anew, and fails).
            self.aside, connection.connection = connection.connection, None
            connection.settings_dict["NAME"] = str(self.tmp_path / "no-such-folder" / "db.sqlite3")
            return
        connection.close()
        port = free_port()
        if frozen:
            # Accepts TCP connections (the kernel does that) and never says a word, like a frozen server.
            self.silent = socket.create_server(("127.0.0.1", 0), backlog=64)
            port = self.silent.getsockname()[1]
        connection.settings_dict.update(HOST="127.0.0.1", PORT=str(port))

    def up(self):
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(copy.deepcopy(self.saved))
        if self.aside is not None:
            connection.connection, self.aside = self.aside, None
        if self.silent is not None:
            self.silent.close()
            self.silent = None


@pytest.fixture
def database(tmp_path, monkeypatch):
    # Each test starts with the process out of any outage an earlier test left it in.
    monkeypatch.setattr(middleware, "outage", middleware.DatabaseOutage())
    db = Database(tmp_path)
    try:
        yield db
    finally:
        db.up()  # whatever the test did, the next test has its database


@pytest.fixture
def outage_log(caplog):
    caplog.set_level(logging.INFO, logger="portal.middleware")
    return caplog


def logged(caplog):
    """What was logged besides the one line per request (portal.requests), which every request gets."""
    return [r for r in caplog.records if r.name != "portal.requests"]


def assert_outage_page(response, *, text="Temporarily unavailable"):
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert text in page
    # The site's own page (base.html: navigation, search, language switch), not a bare error.
    assert 'role="search"' in page and 'class="language-switch"' in page


@pytest.mark.django_db(transaction=True)
def test_database_down_answers_503_and_logs_one_line_per_outage(client, database, outage_log):
    assert client.get("/").status_code == 200
    database.down()
    for _round in range(3):
        for path in OUTAGE_PATHS:
            assert_outage_page(client.get(path))
        # A page that needs no database is served, and does not mean the database is back.
        assert client.get("/no-such-page/").status_code == 404

    ours = [(r.levelname, r.getMessage()) for r in logged(outage_log) if r.name == "portal.middleware"]
    others = [r.getMessage() for r in logged(outage_log) if r.name != "portal.middleware"]
    assert others == ["Not Found: /no-such-page/"] * 3  # and no line per 503 from Django's request log
    assert len(ours) == 1, ours
    level, message = ours[0]
    assert level == "WARNING"
    assert message.startswith("database unavailable: ") and message.endswith(
        "; answering 503 until it is back"
    )
    assert "\n" not in message
    assert not any(r.exc_info for r in outage_log.records)  # no traceback, from us or from Django

    # Back: the next request is served, nothing restarted, and the log says so once.
    database.up()
    outage_log.clear()
    assert client.get("/").status_code == 200
    assert client.get("/feeds/latest.rss").status_code == 200
    [back] = logged(outage_log)
    assert back.levelname == "INFO"
    assert re.fullmatch(r"database is back after \d+ s; answered 12 requests with 503", back.getMessage())

    # A second outage is a new outage: one more warning.
    outage_log.clear()
    database.down()
    for path in OUTAGE_PATHS:
        assert_outage_page(client.get(path))
    assert [r.levelname for r in logged(outage_log)] == ["WARNING"]


@pytest.mark.django_db(transaction=True)
def test_outage_page_speaks_the_readers_language(client, database):
    database.down()
    chinese = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert_outage_page(chinese, text="暂时无法访问")
    assert '<html lang="zh-Hans">' in chinese.content.decode()
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert_outage_page(english, text="Temporarily unavailable")
    assert '<html lang="en">' in english.content.decode()


@pytest.mark.django_db(transaction=True)
def test_logged_in_reader_gets_the_outage_page_too(reader_client, database):
    # The session and user are in the database: the page must render without either.
    database.down()
    assert_outage_page(reader_client.get("/"))
    database.up()
    assert reader_client.get("/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_frozen_database_answers_503_within_the_connect_timeout(client, database, outage_log):
    if connection.vendor != "postgresql":
        pytest.skip("a server that accepts connections and never answers is a network database's failure")
    assert connection.settings_dict["OPTIONS"]["connect_timeout"] == 3
    database.down(frozen=True)
    started = time.monotonic()
    assert_outage_page(client.get("/"))
    assert 2.5 < time.monotonic() - started < 10  # the 3 s connect timeout, not gunicorn's 30 s kill
    [warning] = [r for r in outage_log.records if r.name == "portal.middleware"]
    assert warning.getMessage() == (
        "database unavailable: connection timeout expired; answering 503 until it is back"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "error,reason",
    [
        (
            OperationalError("server closed the connection unexpectedly\n\tThis probably means..."),
            "server closed the connection unexpectedly This probably means...",
        ),
        (InterfaceError("connection already closed"), "connection already closed"),
    ],
)
def test_a_lost_connection_is_an_outage_too(client, monkeypatch, outage_log, error, reason):
    monkeypatch.setattr(middleware, "outage", middleware.DatabaseOutage())

    def lost(request, **kwargs):
        raise error

    monkeypatch.setattr(views, "render_paper_list", lost)
    assert_outage_page(client.get("/"))
    assert [r.getMessage() for r in logged(outage_log)] == [
        f"database unavailable: {reason}; answering 503 until it is back"
    ]


@pytest.mark.django_db(transaction=True)
def test_a_reader_never_sees_a_connection_the_database_dropped(client, monkeypatch):
    """The site version's read is the connection's health check (papers.pagecache.site_version):
    a kept connection the server dropped (a restart, an idle timeout) is replaced before the page
    is made, as Django's CONN_HEALTH_CHECKS would, without its round trip on every request."""
    if connection.vendor != "postgresql":
        pytest.skip("a connection a server drops: SQLite has no server")
    assert client.get("/").status_code == 200
    checks = []
    monkeypatch.setattr(connection, "is_usable", lambda: checks.append(1) or True)
    assert client.get("/").status_code == 200
    assert checks == []  # no `SELECT 1` before an anonymous read
    connection.connection.close()  # dropped under the kept connection
    assert client.get("/").status_code == 200
    assert client.get("/feeds/latest.rss").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("error", [ValueError("a bug"), DataError("bad value")])
def test_other_errors_stay_server_errors(client, monkeypatch, caplog, error):
    """Only an unreachable database is an outage; a bug is still a 500 with its traceback."""

    def broken(request, **kwargs):
        raise error

    monkeypatch.setattr(views, "render_paper_list", broken)
    client.raise_request_exception = False
    response = client.get("/")
    assert response.status_code == 500
    assert "Server error" in response.content.decode()
    assert any(r.exc_info and r.exc_info[1] is error for r in caplog.records)


# --- settings -------------------------------------------------------------------------------------

POSTGRES = {"DATABASE_URL": "postgres://portal@db.invalid:5432/portal"}


def fresh_settings(monkeypatch, env):
    """portal/settings.py run anew with these environment variables (it contacts no database)."""
    for name in list(os.environ):
        if name.startswith("DATABASE_") or name == "PORTAL_PROCESS":
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("fresh_settings", ROOT / "portal" / "settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.DATABASES["default"]


def test_postgresql_connections_time_out_and_keep_alive(monkeypatch):
    database = fresh_settings(monkeypatch, POSTGRES)
    assert database["CONN_HEALTH_CHECKS"] is True
    options = database["OPTIONS"]
    assert options["connect_timeout"] == 3
    assert options["keepalives"] == 1 and options["keepalives_idle"] > 0
    assert "options" not in options  # no statement timeout outside the web server
    custom = fresh_settings(monkeypatch, {**POSTGRES, "DATABASE_CONNECT_TIMEOUT": "7"})
    assert custom["OPTIONS"]["connect_timeout"] == 7


def test_statement_timeout_is_for_the_web_server_only(monkeypatch):
    web = {**POSTGRES, "PORTAL_PROCESS": "web"}
    assert fresh_settings(monkeypatch, web)["OPTIONS"]["options"] == "-c statement_timeout=15000"
    chosen = fresh_settings(monkeypatch, {**web, "DATABASE_STATEMENT_TIMEOUT": "2500"})
    assert chosen["OPTIONS"]["options"] == "-c statement_timeout=2500"
    assert "options" not in fresh_settings(monkeypatch, {**web, "DATABASE_STATEMENT_TIMEOUT": "0"})["OPTIONS"]
    # Options already in the URL are kept.
    url = {**web, "DATABASE_URL": POSTGRES["DATABASE_URL"] + "?options=-c%20search_path%3Dportal"}
    assert fresh_settings(monkeypatch, url)["OPTIONS"]["options"] == (
        "-c search_path=portal -c statement_timeout=15000"
    )


def test_the_wsgi_module_marks_the_web_server_before_settings_load():
    code = "import portal.wsgi; from django.conf import settings; print(settings.DATABASES['default'])"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "PORTAL_PROCESS"))}
    env.update(POSTGRES, DJANGO_SETTINGS_MODULE="portal.settings", DJANGO_SECRET_KEY="test")
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "'options': '-c statement_timeout=15000'" in result.stdout


def test_sqlite_gets_no_postgresql_options(monkeypatch):
    options = fresh_settings(monkeypatch, {"DATABASE_URL": "sqlite:///x.sqlite3", "PORTAL_PROCESS": "web"})
    assert not {"connect_timeout", "keepalives", "options"} & set(options["OPTIONS"])


@pytest.mark.parametrize(
    "name,value", [("DATABASE_CONNECT_TIMEOUT", "3s"), ("DATABASE_STATEMENT_TIMEOUT", "-1")]
)
def test_a_bad_number_in_the_environment_fails_loudly(monkeypatch, name, value):
    with pytest.raises(ImproperlyConfigured, match=re.escape(f"{name}={value!r}")):
        fresh_settings(monkeypatch, {**POSTGRES, name: value})


def test_env_int(monkeypatch):
    monkeypatch.delenv("PORTAL_TEST_NUMBER", raising=False)
    assert env_int("PORTAL_TEST_NUMBER", 5) == 5
    for value, expected in (("", 5), (" 12 ", 12), ("0", 0)):
        monkeypatch.setenv("PORTAL_TEST_NUMBER", value)
        assert env_int("PORTAL_TEST_NUMBER", 5) == expected
    for value in ("twelve", "1.5", "-3", "1e3"):
        monkeypatch.setenv("PORTAL_TEST_NUMBER", value)
        with pytest.raises(ImproperlyConfigured, match=f"PORTAL_TEST_NUMBER={value!r}"):
            env_int("PORTAL_TEST_NUMBER", 5)


@pytest.mark.django_db
def test_statement_timeout_on_web_connections_not_management_commands():
    """The real server's view: SHOW statement_timeout from the web server's settings and a command's."""
    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL setting")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    show = (
        "from django.db import connection\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SHOW statement_timeout')\n"
        "    print(cursor.fetchone()[0])\n"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_SECRET_KEY": "test",
    }
    env.pop("DATABASE_STATEMENT_TIMEOUT", None)

    def run(*args):
        result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert run(sys.executable, "-c", "import portal.wsgi\n" + show) == "15s"
    assert run(sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", show) == "0"
    with connection.cursor() as cursor:  # this test run is no web server either
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"
