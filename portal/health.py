"""Liveness and readiness, for compose's healthcheck, a load balancer or an orchestrator.

`/healthz` says the process answers requests: it touches nothing, so a database outage never gets
a web server restarted (restarting would not bring the database back). `/readyz` says it can serve
readers: the database answers a `SELECT 1`, every migration is applied, and the cache answers
(Redis, when REDIS_URL is set). Each check catches its own failure, so readiness answers 503 naming
what failed, whatever failed, and never leans on DatabaseOutageMiddleware or Django's 500 page.

Both are plain text and never cached. A probe comes every few seconds, so readiness logs only
when it changes (not ready, and ready again), not once per probe.
"""

import logging
import os
import socket
import threading

from django.core.cache import cache
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpResponse

logger = logging.getLogger(__name__)


class NotReady(Exception):
    pass


def one_line(error, limit=200):
    """An exception as one short line (psycopg's messages span several)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:limit]


class Readiness:
    """What this process has learnt: whether migrations were seen applied, and its last answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.migrated = False  # once seen applied they stay so: a migration needs a new deploy
        self.failing = None  # the last answer's failures, to log changes only

    def changed(self, failures):
        with self.lock:
            before, self.failing = self.failing, failures
        if failures and failures != before:
            logger.warning("not ready: %s", "; ".join(failures))
        elif not failures and before:
            logger.info("ready again")


state = Readiness()
# One key per process, so replicas probing at once never read each other's value.
CACHE_KEY = f"readyz:{socket.gethostname()}:{os.getpid()}"


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_migrations():
    if state.migrated:
        return
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        first = plan[0][0]
        raise NotReady(f"{len(plan)} not applied (first {first.app_label}.{first.name})")
    state.migrated = True


def check_cache():
    token = os.urandom(8).hex()
    cache.set(CACHE_KEY, token, 30)
    if cache.get(CACHE_KEY) != token:
        raise NotReady("a value written was not read back")


def plain(text, status=200):
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def healthz(request):
    return plain("ok\n")


CHECKS = (("database", check_database), ("migrations", check_migrations), ("cache", check_cache))


def readyz(request):
    results, failures = [], []
    for name, check in CHECKS:
        if name == "migrations" and failures:  # the database failed: the same cause, not a second one
            results.append((name, "not checked"))
            continue
        try:
            check()
        except Exception as error:  # a probe must answer, whatever went wrong
            failures.append(f"{name}: {one_line(error)}")
            results.append((name, f"failed: {one_line(error)}"))
        else:
            results.append((name, "ok"))
    state.changed(failures)
    body = "".join(f"{name}: {result}\n" for name, result in results)
    response = plain(("not ready\n" if failures else "ready\n") + body, status=503 if failures else 200)
    # Django's request log would add an error line per probe; the change was logged above.
    response._has_been_logged = True
    return response
