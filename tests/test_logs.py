"""Logs: one line per request with its id, one per imported file, JSON lines that parse, tracebacks
in the log and never on the page. Lines are read from the handler the settings configure
(portal.logs.console_handler), writing to a buffer instead of stdout."""

import io
import json
import logging
import re

import pytest
from django.core.management import CommandError, call_command

from papers import views
from portal.logs import console_handler

from .builders import Entry, daily_digest
from .conftest import SEEDS
from .test_settings import fresh_settings


class Log:
    """The lines the production handler writes while the test runs, in one format."""

    def __init__(self, log_format):
        self.stream = io.StringIO()
        self.handler = console_handler(log_format, self.stream)

    def lines(self):
        text = self.stream.getvalue()
        self.stream.seek(0)
        self.stream.truncate()
        return text.splitlines()

    def records(self):
        return [json.loads(line) for line in self.lines()]


@pytest.fixture
def log_in(request):
    """log_in("json") or log_in("text"): start reading the production handler's lines."""
    root, attached = logging.getLogger(), []

    def start(log_format):
        log = Log(log_format)
        root.addHandler(log.handler)
        attached.append(log.handler)
        return log

    yield start
    for handler in attached:
        root.removeHandler(handler)


@pytest.mark.django_db
def test_a_request_is_one_json_line_with_its_id(client, seeded, log_in):
    log = log_in("json")
    response = client.get("/?area=LG")
    assert response.status_code == 200
    [line] = log.records()
    request_id = response["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    assert line["request_id"] == request_id
    assert line["logger"] == "portal.requests" and line["level"] == "INFO"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/", 200)  # the path, not the query
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["message"] == f"GET / 200 {line['duration_ms']:.1f}ms"


@pytest.mark.django_db
def test_a_request_is_one_text_line_with_its_id(client, seeded, log_in):
    log = log_in("text")
    response = client.get("/papers/999999/")
    assert response.status_code == 404
    # One line: Django's own "Not Found" warning would only repeat it.
    [line] = log.lines()
    assert re.fullmatch(
        rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}\+00:00 INFO portal\.requests "
        rf"\[{response['X-Request-ID']}\] GET /papers/999999/ 404 \d+\.\dms",
        line,
    ), line


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given,kept",
    [
        ("3f2a9c1e-proxy-id", True),
        ("Root=1-67891233-abcdef012345678912345678", True),
        ("forged\nERROR portal.requests a forged line", False),
        ("has space", False),
        ("x" * 129, False),
        ("", False),
    ],
)
def test_a_request_id_is_taken_from_the_request_only_when_it_is_safe(client, log_in, given, kept):
    log = log_in("text")
    response = client.get("/healthz", HTTP_X_REQUEST_ID=given)
    if kept:
        assert response["X-Request-ID"] == given
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert log.lines() == []  # a healthy probe is logged at DEBUG only


@pytest.mark.django_db  # the page cache reads the site version for every public path
def test_lines_stay_one_line_whatever_the_path(client, log_in):
    log = log_in("json")
    response = client.get("/no-such-page/%0AERROR%20forged/中文")
    assert response.status_code == 404
    [line] = log.lines()
    assert json.loads(line)["path"] == "/no-such-page/%0AERROR%20forged/%E4%B8%AD%E6%96%87"


@pytest.mark.django_db
def test_a_server_error_logs_its_traceback_and_the_page_shows_none(client, monkeypatch, log_in):
    def broken(request, **kwargs):
        raise ValueError("a detail only the log may see")

    monkeypatch.setattr(views, "render_paper_list", broken)
    client.raise_request_exception = False
    log = log_in("json")
    response = client.get("/")
    assert response.status_code == 500
    page = response.content.decode()
    assert "Server error" in page
    assert "Traceback" not in page and "a detail only the log may see" not in page and "views.py" not in page

    error, request_line = log.records()
    assert (error["logger"], error["level"]) == ("django.request", "ERROR")
    assert error["message"] == "Internal Server Error: /"
    assert error["request_id"] == request_line["request_id"] == response["X-Request-ID"]
    assert error["status_code"] == 500 and "request" not in error  # the request object is not a field
    assert error["traceback"].startswith("Traceback (most recent call last):")
    assert error["traceback"].endswith("ValueError: a detail only the log may see")
    assert request_line["status"] == 500


@pytest.mark.django_db
def test_a_refused_host_is_one_warning_without_a_traceback(client, log_in):
    log = log_in("json")
    assert client.get("/", HTTP_HOST="attacker.example").status_code == 400
    warning, request_line = log.records()
    assert warning["logger"] == "django.security.DisallowedHost" and warning["level"] == "WARNING"
    assert "attacker.example" in warning["message"] and "traceback" not in warning
    assert request_line["status"] == 400


def test_text_lines_keep_tracebacks_on_the_lines_after(log_in):
    log = log_in("text")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("portal.test").exception("it failed")
    first, *rest = log.lines()
    assert first.endswith(" ERROR portal.test it failed")
    assert rest[0] == "Traceback (most recent call last):" and rest[-1] == "RuntimeError: boom"


@pytest.mark.django_db
def test_an_import_logs_one_line_per_file(tmp_path, log_in):
    for seed in sorted(SEEDS.glob("*.txt"))[:2]:
        (tmp_path / seed.name).write_bytes(seed.read_bytes())
    (tmp_path / "zz-not-a-digest.txt").write_text("hello\n")
    log = log_in("json")
    with pytest.raises(CommandError):
        call_command("load_digests", str(tmp_path), stdout=io.StringIO(), stderr=io.StringIO())
    first, second, failed = log.records()
    for line, seed in zip((first, second), sorted(SEEDS.glob("*.txt"))[:2], strict=True):
        assert line["logger"] == "papers.imports" and line["level"] == "INFO"
        assert (line["file"], line["status"]) == (seed.name, "imported")
        assert line["entries"] > 0 and 0 <= line["seconds"] < 30
    assert (failed["file"], failed["status"], failed["level"]) == ("zz-not-a-digest.txt", "failed", "WARNING")
    assert "zz-not-a-digest.txt" in failed["error"] and "\n" not in failed["error"]

    # Again: the same files are unchanged, and a dry run says it wrote nothing.
    (tmp_path / "zz-not-a-digest.txt").unlink()
    (tmp_path / "new.txt").write_bytes(daily_digest([Entry("A paper", "2302.00001")]))
    call_command("load_digests", "--dry-run", str(tmp_path), stdout=io.StringIO())
    assert [(line["file"], line["status"]) for line in log.records()] == [
        (first["file"], "unchanged"),
        (second["file"], "unchanged"),
        ("new.txt", "would_import"),
    ]


def test_the_log_format_follows_the_environment(monkeypatch):
    handler = fresh_settings(monkeypatch, {"DJANGO_LOG_FORMAT": "json"}).LOGGING["handlers"]["console"]
    assert handler == {"()": "portal.logs.console_handler", "log_format": "json"}
    default = fresh_settings(monkeypatch, {}).LOGGING["handlers"]["console"]
    assert default["log_format"] == "text"
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="DJANGO_LOG_FORMAT='xml'"):
        fresh_settings(monkeypatch, {"DJANGO_LOG_FORMAT": "xml"})


@pytest.mark.django_db
def test_head_gets_the_headers_and_no_body_from_the_real_handler(seeded):
    """The test client drops HEAD bodies itself, so this asks Django's WSGI handler, as gunicorn does
    (which otherwise drops the body with a warning: a second log line per HEAD request)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    def fetch(method):
        environ = getattr(RequestFactory(), method)("/feeds/latest.rss").environ
        started = {}
        body = b"".join(WSGIHandler()(environ, lambda status, headers: started.update(headers=dict(headers))))
        return started["headers"], body

    get_headers, get_body = fetch("get")
    head_headers, head_body = fetch("head")
    assert len(get_body) > 1000 and head_body == b""
    assert head_headers["Content-Length"] == get_headers["Content-Length"] == str(len(get_body))
    assert head_headers["Content-Type"] == get_headers["Content-Type"]
