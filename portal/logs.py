"""Logs for production: one line per request with its id, as readable text or as JSON lines.

DJANGO_LOG_FORMAT=json writes each record as one JSON object on one line (a traceback is a field of
it), for a log collector; otherwise lines are text for a person. Every line written while a request
is served carries that request's id, so a traceback is found from the request line and back.

The id is the request's X-Request-ID when it looks like an id (a proxy or a client made it), else a
new one; either way it is sent back in the response's X-Request-ID, so a reader reporting a problem
can quote it. Anything else in the header is not trusted: it could forge log lines.
"""

import contextvars
import datetime
import json
import logging
import re
import sys
import time
import uuid

from django.utils.encoding import escape_uri_path

current_request_id = contextvars.ContextVar("current_request_id", default=None)
REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=/-]{1,128}")
# Healthy probes come every few seconds from every replica; they are logged at DEBUG only.
PROBES = {"/healthz", "/readyz"}

request_logger = logging.getLogger("portal.requests")


class RequestLogMiddleware:
    """One line per request: method, path, status, duration and the request id. First in MIDDLEWARE,
    so it times everything and sees the final answer, redirects and error pages included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        given = request.headers.get("X-Request-ID", "")
        request.id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        token = current_request_id.set(request.id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.id
            milliseconds = (time.perf_counter() - started) * 1000
            path = escape_uri_path(request.path)  # one token: no space or line break can get in
            healthy_probe = request.path in PROBES and response.status_code == 200
            request_logger.log(
                logging.DEBUG if healthy_probe else logging.INFO,
                "%s %s %s %.1fms",
                request.method,
                path,
                response.status_code,
                milliseconds,
                extra={
                    "method": request.method,
                    "path": path,
                    "status": response.status_code,
                    "duration_ms": round(milliseconds, 1),
                },
            )
            return response
        finally:
            current_request_id.reset(token)


class ClientErrorsFilter(logging.Filter):
    """Django logs client errors on its own: django.request a warning per 404 or 403 (the request line
    already says so), django.security an error with a traceback per bad Host header or oversized form
    (a scanner makes hundreds). The first are dropped; the others keep their one-line message, as a
    warning without the traceback, which is about Django's code, not ours."""

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if status is None or status >= 500:
            return True
        if record.name == "django.request":
            return False
        if record.name.startswith("django.security."):
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def timestamp(record):
    return datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds")


def request_id(record):
    return getattr(record, "request_id", None) or current_request_id.get()


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [request id] message`, then the traceback, if any, on the lines after."""

    def format(self, record):
        line = f"{timestamp(record)} {record.levelname} {record.name} "
        rid = request_id(record)
        line += (f"[{rid}] " if rid else "") + record.getMessage()
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


# What every LogRecord has; anything else on a record was given as `extra` and is a field of its own.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}
_JSON_VALUES = (str, int, float, bool, type(None), list, dict)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, the record's own fields
    (e.g. status, duration_ms), and the traceback as one string."""

    def format(self, record):
        entry = {
            "time": timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id(record)
        if rid:
            entry["request_id"] = rid
        for key, value in vars(record).items():
            # Django adds the request object itself; it is no field (the request line has its parts).
            if key not in _STANDARD and not key.startswith("_") and isinstance(value, _JSON_VALUES):
                entry.setdefault(key, value)
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)  # ASCII-only: safe on any stdout encoding


FORMATS = {"text": TextFormatter, "json": JsonFormatter}


def console_handler(log_format="text", stream=None):
    """The one handler the settings configure: stdout, in the chosen format, client errors filtered."""
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(FORMATS[log_format]())
    handler.addFilter(ClientErrorsFilter())
    return handler
