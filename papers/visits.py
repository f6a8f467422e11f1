""" "New since your last visit", kept in a first-party cookie without defeating the page cache.

The cookie holds only days (papers.windows.read_visit says which and how they move), so a page
depends on one of them, the previous visit day: the page cache keys pages by it (page_variant), and
every reader with the same previous visit day shares one cached page. The cookie changes at most
once a day, on the reader's first request of a new day; that one response sets the cookie, is
marked private and is left out of the page cache, both reading and storing (renews_cookie).

Readers ask for it with a plain link (remember / forget, like the language switch in
portal/language.py): a reader without the cookie gets exactly the page everyone else gets, cached,
and with no cookie. Setting one on a first visit would make every cookieless request (crawlers,
feed readers, private windows) a new reader whose response sets a cookie, so nothing could be
cached. A cross-site link can at worst switch a reader's marks on or off, which the same links undo.
"""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme

from . import windows

COOKIE_NAME = "visits"
MAX_AGE = 365 * 24 * 60 * 60


def read(request):
    """The request's Visit (papers.windows.Visit), or None without a valid cookie; read once.

    Days are the site's (settings.TIME_ZONE), like the digests' dates.
    """
    if not hasattr(request, "_visit"):
        request._visit = windows.read_visit(request.COOKIES.get(COOKIE_NAME), today=timezone.localdate())
    return request._visit


def previous_visit(request):
    visit = read(request)
    return visit.previous if visit else None


def page_variant(request):
    """The part of the page-cache key a page's "new" marks depend on ("" for every reader without them)."""
    visit = read(request)
    return visit.page_variant if visit else ""


def renews_cookie(request):
    visit = read(request)
    return bool(visit and visit.renewed)


def _set_cookie(response, value):
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=settings.SESSION_COOKIE_SECURE,
    )


class VisitMiddleware:
    """Moves a reader's visit cookie on to a new day, on the first request of that day."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        visit = read(request)
        if visit and visit.renewed and request.method in ("GET", "HEAD") and response.status_code == 200:
            _set_cookie(response, visit.renewed)
            patch_cache_control(response, private=True)
        return response


def _back(request):
    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    # A choice is the reader's own: never stored by a cache.
    response["Cache-Control"] = "no-store"
    return response


def remember(request):
    """/visits/remember/: from the next visit day on, mark the papers that are new since the last one."""
    response = _back(request)
    if read(request) is None:  # a reader who already has it keeps their previous visit day
        _set_cookie(response, windows.start_visits(timezone.localdate()))
    return response


def forget(request):
    """/visits/forget/: no more marks, and no cookie."""
    response = _back(request)
    response.delete_cookie(COOKIE_NAME, samesite="Lax")
    return response
