"""The page cache: whole anonymous public responses, kept in the configured cache (Redis in
production) and keyed by the site version, so every change shows on every page and feed at once.

A page is cached under (site version, interface language, the reader's previous visit day when they
asked for "new" marks (papers.visits), scheme and host, path and query). The
site version (models.SiteVersion) moves with every write to the tables pages are made of, by
database triggers, so a change made by any process (an import on the command line, a curator in
another worker) makes every older entry unreachable at once; old entries simply expire. Reading the
version is one primary-key lookup per request.

Only what is the same for every anonymous reader is cached: GET or HEAD, no session cookie (a
logged-in curator always gets a fresh page), a 200 that sets no cookie. Cached or not, such a
response is marked `Cache-Control: public` with a short max-age and `Vary: Accept-Language, Cookie`
(the language comes from either), so a reverse proxy or CDN may keep it too.

A conditional GET is answered here too, before the view and every middleware after this one: each
public answer's validators (ETag, Last-Modified) are remembered under the same key as its page, so
a feed reader polling with If-None-Match costs the site-version lookup and one cache read. They are
remembered even with PORTAL_PAGE_CACHE off (a 304 is never a first view), and move with the site
version like the pages do, so a change is never hidden behind a 304.
"""

import contextvars
import functools
import hashlib
from importlib import import_module
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.template.loader import get_template
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import parse_http_date_safe
from django.utils.translation import get_language_from_request

from . import visits
from .models import SiteVersion

# Paths that are never cached: the admin, health checks and the language switch.
UNCACHED_PREFIXES = ("/admin/", "/i18n/", "/language/", "/healthz", "/readyz", "/static/")
# How long a proxy may keep a public page: short, since a change should reach readers soon.
PUBLIC_MAX_AGE = 60
# How long this cache keeps a page: any change already makes it unreachable, so this only bounds memory.
STORED_SECONDS = 600


def site_version():
    """The current site version, or None when the database cannot say (then nothing is cached).

    Its query is the request's first, and stands in for the connection's health check
    (CONN_HEALTH_CHECKS): on PostgreSQL that check is a `SELECT 1` round trip before every
    request's first query, as much as this read itself. Here a kept connection that fails is
    closed and the read tried once more on a new one, which is what the check would have done."""
    table = connection.ops.quote_name(SiteVersion._meta.db_table)
    retry = connection.connection is not None and not connection.in_atomic_block
    if retry:
        connection.health_check_done = True
    try:
        return _read_version(table)
    except DatabaseError:
        if not retry:
            return None
    connection.close()
    try:
        return _read_version(table)
    except DatabaseError:
        return None


def _read_version(table):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT version FROM {table} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else 0


# The version the current request read, so what it caches besides pages (papers.filters' facets)
# is keyed by it without reading it again.
_request_version = contextvars.ContextVar("site_version", default=None)


def known_site_version():
    """The site version the current request read already, or None (not an anonymous read): for what
    is worth caching only when it costs no query of its own (papers.cardcache)."""
    return _request_version.get()


def request_site_version():
    """The site version the current request read (PageCacheMiddleware), else site_version()."""
    version = _request_version.get()
    return version if version is not None else site_version()


def versioned(name, compute, *, read_version=False):
    """compute(), kept in the cache under `name` and the current request's site version, which moves
    with every write to the tables it is made of, so it is never stale: for what every page of a kind
    reads alike (facet counts, the area list) and costs more than a cache read.

    Computed afresh, and not kept, when the request read no site version (a curator's), unless
    `read_version`: then the version is read (one query), for what costs much more than that."""
    version = request_site_version() if read_version else known_site_version()
    if version is None:
        return compute()
    key = f"kept:{version}:{_schema()}:{name}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, STORED_SECONDS)
    return value


@functools.cache
def code_digest(templates=(), modules=(), extra=()):
    """A digest of the sources of `templates` and `modules` (names), and of `extra` strings, for the
    keys of what is kept of them: a deploy that changes what makes a kept thing makes the old ones
    unreachable (Redis outlives processes)."""
    sources = [get_template(name).template.source for name in templates]
    sources += [Path(import_module(name).__file__).read_text() for name in modules]
    return hashlib.sha256("\0".join([*sources, *extra]).encode()).hexdigest()[:12]


@functools.cache
def _schema():
    # Kept model instances are pickles of their fields: after a deploy that migrates, none is reachable.
    names = sorted(path.name for path in Path(settings.BASE_DIR).glob("*/migrations/[0-9]*.py"))
    return hashlib.sha256("\0".join(names).encode()).hexdigest()[:8]


def _anonymous_read(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith(UNCACHED_PREFIXES)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _key(request, version, kind="page"):
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(where.encode()).hexdigest()
    # The language LocaleMiddleware (after this one) will choose: from the cookie or Accept-Language.
    # And the reader's previous visit day, when they asked for "new" marks (papers.visits).
    return f"{kind}:{version}:{get_language_from_request(request)}:{visits.page_variant(request)}:{digest}"


# What a 304 carries of its 200 (RFC 9110 15.4.5, as django.utils.cache sends them).
VALIDATOR_HEADERS = ("ETag", "Last-Modified", "Cache-Control", "Vary", "Expires", "Content-Location")


def _not_modified(request, headers):
    """A 304 when the request's If-None-Match / If-Modified-Since match `headers` ({name: value}),
    else None."""
    etag, last_modified = headers.get("ETag"), headers.get("Last-Modified")
    if not etag and not last_modified:
        return None
    given = HttpResponse(headers={k: v for k, v in headers.items() if k in VALIDATOR_HEADERS})
    response = get_conditional_response(
        request, etag=etag, last_modified=parse_http_date_safe(last_modified or ""), response=given
    )
    return response if response.status_code == 304 else None


def _directives(response):
    return {d.strip().split("=")[0] for d in response.get("Cache-Control", "").split(",")}


def _conditional(request):
    return "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META


class PageCacheMiddleware:
    """Serve anonymous public pages from the page cache; mark them cacheable for proxies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A response that moves the reader's visit cookie on is theirs alone: neither read nor stored.
        if not _anonymous_read(request) or visits.renews_cookie(request):
            return self.get_response(request)
        version = site_version()
        token = _request_version.set(version)
        try:
            return self._respond(request, version)
        finally:
            _request_version.reset(token)

    def _respond(self, request, version):
        validators_key = _key(request, version, "validators") if version is not None else None
        key = _key(request, version) if version is not None and settings.PORTAL_PAGE_CACHE else None
        if validators_key and _conditional(request):
            remembered = cache.get(validators_key)
            if remembered is not None and (response := _not_modified(request, remembered)) is not None:
                response["X-Page-Cache"] = "validated"
                return response
        stored = cache.get(key) if key else None
        if stored is not None:
            status, headers, content = stored
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response["X-Page-Cache"] = "hit"
            return _not_modified(request, dict(headers)) or response
        response = self.get_response(request)
        if response.status_code in (200, 304) and not response.cookies and not response.streaming:
            self._mark_public(response)
            cacheable = not {"no-store", "private"} & _directives(response)
            if validators_key and cacheable:
                remembered = {k: response[k] for k in VALIDATOR_HEADERS if k in response}
                if "ETag" in remembered or "Last-Modified" in remembered:
                    cache.set(validators_key, remembered, STORED_SECONDS)
            if key and cacheable and response.status_code == 200:
                headers = [(k, v) for k, v in response.items() if k.lower() != "x-page-cache"]
                cache.set(key, (response.status_code, headers, response.content), STORED_SECONDS)
        return response

    @staticmethod
    def _mark_public(response):
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        if "Cache-Control" not in response:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
