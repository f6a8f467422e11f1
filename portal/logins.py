"""Login throttling, the portal's side of it: who a client is, and what a locked-out login sees.

django-axes counts failed logins in the database (see the AXES_ settings). Its authentication backend
comes first and refuses a locked-out client before the password is checked, so guessing on costs a
hash no more. Only a login does any of this: on every other request the middleware looks at one
attribute that only a login sets.
"""

import ipaddress

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import ngettext


def client_ip(request):
    """The address failed logins are counted against (None if there is none, e.g. a Unix socket).

    Behind a reverse proxy (DJANGO_BEHIND_PROXY) every request comes from the proxy, so the client is
    the last address in X-Forwarded-For: the one the proxy appended. Earlier entries are whatever the
    client sent. Without a proxy the header is ignored: anyone could escape the throttle by sending a
    new one with each guess.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1].strip()
        if _is_ip(forwarded):
            return forwarded
    remote = request.META.get("REMOTE_ADDR", "")
    return remote if _is_ip(remote) else None


def _is_ip(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def cooloff_minutes():
    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


def lockout_message():
    minutes = cooloff_minutes()
    return ngettext(
        "Too many failed logins from this address or for this account. Try again in %(minutes)d minute.",
        "Too many failed logins from this address or for this account. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


class ThrottledLoginForm(AdminAuthenticationForm):
    """The admin's login form, saying so when a login was refused for too many failures."""

    def get_invalid_login_error(self):
        if getattr(self.request, "axes_locked_out", False):
            return ValidationError(lockout_message(), code="locked_out")
        return super().get_invalid_login_error()


def lockout_response(request, original_response=None, credentials=None):
    """Axes' answer to a locked-out login: the login page as rendered (with the form's message), 429."""
    response = original_response if original_response is not None else HttpResponse(lockout_message())
    response.status_code = 429
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
