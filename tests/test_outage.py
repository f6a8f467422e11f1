"""While the database is down or frozen, readers get a short 503 page and the log gets one line.

The tests break the real connection: the default connection's settings point at a place where no
database answers (a closed or silent local port on PostgreSQL, a file in a missing folder on
SQLite) until the test puts them back. These are transactional tests, since a test's own
transaction could not outlive its connection.
"""

import copy
import logging
import re
import socket

import pytest
from django.db import DataError, InterfaceError, OperationalError, connection

from papers import views
from portal import middleware

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

    ours = [(r.levelname, r.getMessage()) for r in outage_log.records if r.name == "portal.middleware"]
    others = [r.getMessage() for r in outage_log.records if r.name != "portal.middleware"]
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
    [back] = outage_log.records
    assert back.levelname == "INFO"
    assert re.fullmatch(r"database is back after \d+ s; answered 12 requests with 503", back.getMessage())

    # A second outage is a new outage: one more warning.
    outage_log.clear()
    database.down()
    for path in OUTAGE_PATHS:
        assert_outage_page(client.get(path))
    assert [r.levelname for r in outage_log.records] == ["WARNING"]


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
    assert [r.getMessage() for r in outage_log.records] == [
        f"database unavailable: {reason}; answering 503 until it is back"
    ]


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
