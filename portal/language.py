"""Choosing the interface language with a plain link, so that no public page needs a CSRF token.

Django's set_language takes a POST with a CSRF token, and a token on every page gave every reader
a cookie and every page `Vary: Cookie`: nothing could be cached. A GET link that only sets the
reader's own language cookie changes nothing stored on the server; the worst a cross-site link can
do is switch someone's interface language, which the same link switches back. (The old POST at
/i18n/setlang/ keeps working.)
"""

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language


def choose_language(request, code):
    if code not in dict(settings.LANGUAGES) or not check_for_language(code):
        raise Http404("no such interface language")
    next_url = request.GET.get("next", "/")
    allowed = {request.get_host()}
    if not url_has_allowed_host_and_scheme(next_url, allowed, require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=365 * 24 * 60 * 60,
        samesite="Lax",
        secure=request.is_secure(),
    )
    # A choice is the reader's own: never stored by a cache.
    response["Cache-Control"] = "no-store"
    return response
