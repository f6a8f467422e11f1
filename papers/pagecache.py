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
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

from . import visits
from .models import SiteVersion

# Paths that are never cached: the admin, health checks and the language switch.
UNCACHED_PREFIXES = ("/admin/", "/i18n/", "/language/", "/healthz", "/readyz", "/static/")
# How long a proxy may keep a public page: short, since a change should reach readers soon.
PUBLIC_MAX_AGE = 60
# How long this cache keeps a page: any change already makes it unreachable, so this only bounds memory.
STORED_SECONDS = 600


def site_version():
    """The current site version, or None when the database cannot say (then nothing is cached)."""
    table = connection.ops.quote_name(SiteVersion._meta.db_table)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT version FROM {table} WHERE id = 1")
            row = cursor.fetchone()
    except DatabaseError:
        return None
    return row[0] if row else 0


def _anonymous_read(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith(UNCACHED_PREFIXES)
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "HTTP_AUTHORIZATION" not in request.META
    )


def _key(request, version):
    where = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    digest = hashlib.sha256(where.encode()).hexdigest()
    return f"page:{version}:{get_language()}:{visits.page_variant(request)}:{digest}"


class PageCacheMiddleware:
    """Serve anonymous public pages from the page cache; mark them cacheable for proxies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A response that moves the reader's visit cookie on is theirs alone: neither read nor stored.
        if not _anonymous_read(request) or visits.renews_cookie(request):
            return self.get_response(request)
        version = site_version() if settings.PORTAL_PAGE_CACHE else None
        key = _key(request, version) if version is not None else None
        stored = cache.get(key) if key else None
        if stored is not None:
            status, headers, content = stored
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if response.status_code == 200 and not response.cookies and not response.streaming:
            self._mark_public(response)
            if key and "no-store" not in response.get("Cache-Control", ""):
                headers = [(k, v) for k, v in response.items() if k.lower() != "x-page-cache"]
                cache.set(key, (response.status_code, headers, response.content), STORED_SECONDS)
        return response

    @staticmethod
    def _mark_public(response):
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        if "Cache-Control" not in response:
            patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
