"""The lists a browser made: their edit tokens, in a first-party cookie, most recent first.

The cookie is the owner's key ring, so it is HttpOnly (no script reads it), SameSite=Lax (a
cross-site POST does not carry it), Secure whenever the site's cookies are (DJANGO_SECURE_COOKIES),
and its path is /lists/: it travels only to this app's pages, never to the public pages, which stay
the same for every reader and keep coming from the page cache and from proxies.

The first token is the *current* list, the one the Save control adds to. It is not signed: each
token is a credential of its own, and one that opens no list is dropped the next time the cookie is
written.
"""

from django.conf import settings

from . import tokens

COOKIE_NAME = "reading_lists"
COOKIE_PATH = "/lists/"
# Cookies are capped near 4 KB; 50 tokens of 32 characters (and separators) stay well under it.
MAX_REMEMBERED = 50
MAX_AGE = 365 * 24 * 60 * 60
_SEPARATOR = "."


def edit_tokens(request):
    """The edit tokens this browser holds, most recent first, well-formed ones only."""
    raw = request.COOKIES.get(COOKIE_NAME, "")
    found = [t for t in raw.split(_SEPARATOR) if tokens.is_token(t)]
    return list(dict.fromkeys(found))[:MAX_REMEMBERED]


def remember(request, response, edit_token):
    """Make a list the browser's current one (first), keeping the others."""
    _write(response, [edit_token, *(t for t in edit_tokens(request) if t != edit_token)])


def forget(request, response, edit_token, *, keep=None):
    """Drop one list (or, with `keep`, every token not in it) from the browser."""
    held = [t for t in edit_tokens(request) if t != edit_token and (keep is None or t in keep)]
    _write(response, held)


def _write(response, held):
    if not held:
        response.delete_cookie(COOKIE_NAME, path=COOKIE_PATH, samesite="Lax")
        return
    response.set_cookie(
        COOKIE_NAME,
        _SEPARATOR.join(held[:MAX_REMEMBERED]),
        max_age=MAX_AGE,
        path=COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
