"""Login throttling: failed admin logins are counted per client address and per account (django-axes)."""

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import F
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
# The defaults, unless the environment sets PORTAL_LOGIN_FAILURE_LIMIT / PORTAL_LOGIN_COOLOFF_MINUTES.
LIMIT = getattr(settings, "AXES_FAILURE_LIMIT", 5)
COOLOFF = getattr(settings, "AXES_COOLOFF_TIME", datetime.timedelta(minutes=15))


def log_in(username, password, *, ip="203.0.113.7", **headers):
    """One login attempt from a fresh browser at `ip`; the response, and whether it got in."""
    client = Client()
    response = client.post(
        LOGIN, {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip, **headers
    )
    return response, "_auth_user_id" in client.session


@pytest.fixture
def hashes(monkeypatch):
    """How many times a password hasher ran (tests hash with MD5; production's PBKDF2 costs far more)."""
    calls = []
    for name in ("verify", "encode"):
        original = getattr(MD5PasswordHasher, name)

        def counted(self, *args, _original=original, **kwargs):
            calls.append(1)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(MD5PasswordHasher, name, counted)
    return calls


def fail(username, times, **kwargs):
    for _ in range(times):
        _response, logged_in = log_in(username, "wrong password", **kwargs)
        assert not logged_in


def test_the_right_password_is_refused_after_too_many_wrong_ones(curator, hashes):
    assert log_in("curator", PASSWORD)[1]  # the account works
    fail("curator", LIMIT)
    hashes.clear()

    response, logged_in = log_in("curator", PASSWORD)

    assert not logged_in
    assert response.status_code == 429
    assert int(response["Retry-After"]) == COOLOFF.total_seconds()
    # The admin's own login page, saying why and for how long.
    assert response.templates[0].name == "admin/login.html"
    minutes = int(COOLOFF.total_seconds() // 60)
    message = f"Too many failed logins from this address or for this account. Try again in {minutes} minutes."
    assert message in response.content.decode()
    # Refused before any password is checked: guessing on costs the server nothing.
    assert hashes == []


def test_failures_count_per_address_and_per_account(curator, admin_user):
    fail("curator", LIMIT, ip="203.0.113.7")

    # The same account from another address, and another account from the same address: refused.
    assert not log_in("curator", PASSWORD, ip="198.51.100.1")[1]
    assert not log_in("admin", "password", ip="203.0.113.7")[1]
    # Another client with another account is not held up by someone else's guessing.
    response, logged_in = log_in("admin", "password", ip="198.51.100.2")
    assert logged_in and response.status_code == 302


def test_guessing_many_accounts_from_one_address_is_throttled(curator):
    for n in range(LIMIT):
        fail(f"nobody-{n}", 1)
    assert not log_in("curator", PASSWORD)[1]


def test_the_lockout_ends_after_the_cool_off(curator):
    from axes.models import AccessAttempt

    fail("curator", LIMIT)
    assert not log_in("curator", PASSWORD)[1]
    # As if the cool-off had passed since the last failure.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - COOLOFF - datetime.timedelta(seconds=1))

    response, logged_in = log_in("curator", PASSWORD)

    assert logged_in and response.status_code == 302


def test_a_wrong_password_below_the_limit_says_only_that(curator):
    response, logged_in = log_in("curator", "wrong password")
    assert not logged_in and response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()


def test_x_forwarded_for_is_ignored_unless_behind_a_proxy(curator):
    fail("nobody", LIMIT, ip="203.0.113.7")
    # A client cannot escape the throttle by making up a new forwarded address with each guess.
    assert not log_in("curator", PASSWORD, ip="203.0.113.7", HTTP_X_FORWARDED_FOR="198.51.100.9")[1]


@override_settings(BEHIND_PROXY=True)
def test_behind_a_proxy_the_client_is_the_address_the_proxy_added(curator):
    proxy = "10.0.0.2"
    fail("nobody", LIMIT, ip=proxy, HTTP_X_FORWARDED_FOR="192.0.2.50, 203.0.113.7")

    # The guesser is locked out, whatever it puts in front of the address the proxy appended.
    assert not log_in("curator", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.7")[1]
    # Another reader behind the same proxy is not.
    assert log_in("curator", PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="198.51.100.3")[1]


def test_public_pages_do_no_login_work():
    """The throttle's middleware adds no query and no cookie (no session) to a reader's page."""
    assert "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE
    without = [m for m in settings.MIDDLEWARE if m != "axes.middleware.AxesMiddleware"]
    Client().get("/")  # caches warmed for both runs
    with override_settings(MIDDLEWARE=without), CaptureQueriesContext(connection) as plain:
        plain_response = Client().get("/")

    with CaptureQueriesContext(connection) as throttled:
        response = Client().get("/")

    assert response.status_code == 200
    assert [q["sql"] for q in throttled] == [q["sql"] for q in plain]
    assert set(response.cookies) == set(plain_response.cookies)  # the language form's CSRF cookie
    assert settings.SESSION_COOKIE_NAME not in response.cookies


def test_login_settings_must_be_whole_numbers(monkeypatch):
    from portal.settings import env_int

    monkeypatch.setenv("PORTAL_LOGIN_FAILURE_LIMIT", " 7 ")
    assert env_int("PORTAL_LOGIN_FAILURE_LIMIT", 5, minimum=1) == 7
    monkeypatch.delenv("PORTAL_LOGIN_FAILURE_LIMIT")
    assert env_int("PORTAL_LOGIN_FAILURE_LIMIT", 5, minimum=1) == 5
    for bad in ("five", "2.5", "0", "-3"):
        monkeypatch.setenv("PORTAL_LOGIN_FAILURE_LIMIT", bad)
        with pytest.raises(ImproperlyConfigured, match=f"PORTAL_LOGIN_FAILURE_LIMIT={bad!r}"):
            env_int("PORTAL_LOGIN_FAILURE_LIMIT", 5, minimum=1)


def test_the_lockout_message_speaks_the_readers_language(curator):
    fail("curator", LIMIT)
    response, _logged_in = log_in("curator", PASSWORD, HTTP_ACCEPT_LANGUAGE="zh-Hans")
    assert "此地址或此账号登录失败次数过多" in response.content.decode()
