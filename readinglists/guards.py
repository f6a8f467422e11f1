"""Who may change something without a CSRF token, and how often anyone may.

The Save control sits on every public page, and public pages are the same bytes for every reader
(they come from the page cache), so it cannot carry a per-reader CSRF token. Its POST is protected
instead by where it comes from: browsers send `Origin` with every POST (and `Sec-Fetch-Site`, where
they support it), and a page on another site cannot forge either. A request is refused (403) unless
its Origin is this site's own (scheme and host, as Django's CSRF check reads them, so it works the
same behind the proxy), or one of CSRF_TRUSTED_ORIGINS, and unless Sec-Fetch-Site, when sent, says
"same-origin". A POST without Origin is refused too: no browser still in use omits it, and a script
can send one. The list cookie's SameSite=Lax is the second fence: a cross-site POST would not even
carry the reader's lists. Only views that do this check are CSRF-exempt; every other form of the
app carries Django's CSRF token (their pages are private to their owner and never cached).

Rates are fixed windows per client address (portal.logins.client_ip: REMOTE_ADDR, or the address
the proxy appended when DJANGO_BEHIND_PROXY is on), counted in the configured cache: with Redis
(REDIS_URL) one count for every worker; without it each process counts alone, so a client gets the
rate once per gunicorn worker. A fixed window lets a client spend two windows' worth across a
boundary, which is fine for a limit meant to stop floods, not to meter. A cache that does not
answer counts nothing and refuses no one (as portal.cache takes an outage as a miss).
"""

import functools
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from redis.exceptions import RedisError

from portal.logins import client_ip


def own_origin(request):
    return f"{request.scheme}://{request.get_host()}"


def is_same_origin(request):
    fetch_site = request.META.get("HTTP_SEC_FETCH_SITE")
    if fetch_site is not None and fetch_site != "same-origin":
        return False
    origin = request.META.get("HTTP_ORIGIN")
    return origin is not None and (origin == own_origin(request) or origin in settings.CSRF_TRUSTED_ORIGINS)


def same_origin_post(view):
    """A POST-only view protected by its Origin instead of a CSRF token (see the module's docstring)."""

    @csrf_exempt
    @functools.wraps(view)
    def checked(request, *args, **kwargs):
        if request.method != "POST":
            return refusal(request, 405, _("Saving a paper takes a form's POST."), allow="POST")
        if not is_same_origin(request):
            return refusal(request, 403, _("This request came from another site, so nothing was saved."))
        return view(request, *args, **kwargs)

    return checked


@dataclass(frozen=True)
class Rate:
    """At most `limit` requests per client in each window of `seconds`."""

    name: str
    limit: int
    seconds: int

    def retry_after(self, client):
        """None while the client is within the rate; else how many seconds until its window ends."""
        window = int(time.time()) // self.seconds
        key = f"rate:{self.name}:{client or '-'}:{window}"
        if cache.add(key, 1, self.seconds + 1):
            return None
        try:
            count = cache.incr(key)
        except ValueError:  # the entry expired between add and incr: a new window
            cache.set(key, 1, self.seconds + 1)
            return None
        except RedisError:  # an outage: see the module's docstring
            return None
        if count <= self.limit:
            return None
        return (window + 1) * self.seconds - int(time.time()) or 1


# Generous for a reader, tight for a script: a lab saving a conference's worth of papers in a
# minute is fine, a flood is not.
CREATE_LISTS = Rate("lists-create", limit=20, seconds=3600)
ADD_PAPERS = Rate("lists-add", limit=60, seconds=60)


def throttled(request, rate):
    """A 429 page with Retry-After if this client went past the rate, else None (and counts the request)."""
    wait = rate.retry_after(client_ip(request))
    if wait is None:
        return None
    response = refusal(
        request,
        429,
        _("Too many changes from your address in a short time. Please wait and try again."),
        wait=wait,
    )
    response["Retry-After"] = str(wait)
    return response


def refusal(request, status, message, *, wait=None, allow=None, back=None):
    """A short page in the site's style saying why nothing was done; `back` links to the list."""
    context = {"message": message, "wait": wait, "back": back}
    response = render(request, "readinglists/refused.html", context, status=status)
    response["Cache-Control"] = "private, no-store"
    if allow:
        response["Allow"] = allow
    return response
