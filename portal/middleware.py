import logging
import threading
import time

from django.db import InterfaceError, OperationalError, connection
from django.shortcuts import render

logger = logging.getLogger(__name__)

# Seconds a reader or feed reader is asked to wait before trying again during a database outage.
RETRY_AFTER_SECONDS = 60

# The public pages need no inline script or style, so they get a strict policy. The admin ships a
# few inline style attributes of its own, so it is allowed those and nothing more.
PUBLIC_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
ADMIN_POLICY = PUBLIC_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class ContentSecurityPolicyMiddleware:
    """Send a Content-Security-Policy header (Django 5.2 has none built in)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/admin/"

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            is_admin = request.path.startswith(self.admin_prefix)
            response["Content-Security-Policy"] = ADMIN_POLICY if is_admin else PUBLIC_POLICY
        return response


class HeadWithoutBodyMiddleware:
    """Answer HEAD with GET's headers and no body.

    Django's views write the body for HEAD too and leave dropping it to the server; gunicorn drops
    it, and logs a warning each time: a second log line for every HEAD request, which uptime
    monitors and link checkers send all day. Before CommonMiddleware in MIDDLEWARE, so the
    Content-Length it set, GET's, stays.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method == "HEAD" and not response.streaming and response.content:
            response.content = b""
        return response


class DatabaseOutage:
    """Whether this process is in a database outage: one log line when it starts, one when it ends."""

    def __init__(self):
        self.lock = threading.Lock()  # gunicorn's threaded workers share one process
        self.since = None
        self.answered = 0

    def failed(self, exception):
        with self.lock:
            self.answered += 1
            if self.since is not None:
                return
            self.since = time.monotonic()
        # One line, even for psycopg's multi-line messages; the traceback would say nothing more.
        reason = " ".join(str(exception).split())[:300] or type(exception).__name__
        logger.warning("database unavailable: %s; answering 503 until it is back", reason)

    def served(self):
        with self.lock:
            if self.since is None:
                return
            seconds, answered = time.monotonic() - self.since, self.answered
            self.since, self.answered = None, 0
        logger.info("database is back after %.0f s; answered %d requests with 503", seconds, answered)


outage = DatabaseOutage()


class DatabaseOutageMiddleware:
    """Answer 503 while the database cannot be reached, instead of a 500 and a traceback per request.

    A view that cannot reach the database raises OperationalError (refused, timed out, server gone
    away, statement cancelled) or InterfaceError (connection already closed). Unhandled, each request
    was a 500 with a full traceback in the log: 2,383 of them in 11 s with PostgreSQL down. Readers
    now get a short page in the site's style that says to try again, with Retry-After for feed
    readers and no-store so no cache keeps it, and the log gets one warning per outage. The page
    comes from base.html, which needs no database: no query, no session, no user.

    The outage is over when a request is served with a database connection open: Django closes a
    connection that failed at the end of its request, so an open one was made since, and worked.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if outage.since is not None and not getattr(response, "database_outage", False):
            if connection.connection is not None:
                outage.served()
        return response

    def process_exception(self, request, exception):
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None  # anything else is a bug: Django's 500 and its traceback
        outage.failed(exception)
        response = render(request, "503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        response.database_outage = True
        # Django's request logger would log every 4xx/5xx response as an error: a line per request.
        response._has_been_logged = True
        return response
