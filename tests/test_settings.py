"""Production settings are safe by default: `check --deploy` passes with only a key and a host name,
a plain-HTTP deployment switches HTTPS protections off by name, and nothing else is silenced."""

import importlib.util
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
YEAR = 365 * 24 * 3600
# The three switches of a plain-HTTP intranet (and of `make run`).
PLAIN_HTTP = {
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "DJANGO_SECURE_HSTS_SECONDS": "0",
    "DJANGO_SECURE_COOKIES": "0",
}
# What a deployment sets at the least; nothing else.
MINIMAL = {"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "papers.example.org"}


def clean_environment(env):
    """This environment and nothing the test run has set: no DJANGO_*, DATABASE_*, PORTAL_*, REDIS_URL
    (pytest-django's DJANGO_SETTINGS_MODULE would otherwise point manage.py at the test settings)."""
    kept = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "DATABASE_", "PORTAL_", "REDIS_"))
    }
    return {**kept, **env}


def deploy_check(env, *, settings_module="portal.settings", pythonpath=None):
    env = clean_environment(
        {"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), **env, "DJANGO_SETTINGS_MODULE": settings_module}
    )
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([str(pythonpath), str(ROOT)])
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def fresh_settings(monkeypatch, env):
    """portal/settings.py run anew with exactly these variables of its own."""
    for name in list(os.environ):
        if name.startswith(("DJANGO_", "DATABASE_", "PORTAL_", "REDIS_")):
            monkeypatch.delenv(name)
    for name, value in {"DJANGO_SECRET_KEY": "x" * 50, **env}.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location("fresh_settings", ROOT / "portal" / "settings.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_deploy_check_passes_with_nothing_but_a_key_and_a_host():
    result = deploy_check(MINIMAL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_deploy_check_passes_for_a_plain_http_intranet():
    result = deploy_check({**MINIMAL, **PLAIN_HTTP})
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_intranet_switches_silence_nothing_but_what_they_switch_off():
    # A short key is still a failure with every switch off: the silencing is not a blanket.
    result = deploy_check({**MINIMAL, **PLAIN_HTTP, "DJANGO_SECRET_KEY": "too-short"})
    assert result.returncode == 1
    assert "security.W009" in result.stderr
    assert "security.W008" not in result.stderr and "security.W004" not in result.stderr
    # So is DEBUG.
    result = deploy_check({**MINIMAL, **PLAIN_HTTP, "DJANGO_DEBUG": "1"})
    assert result.returncode == 1 and "security.W018" in result.stderr


def test_https_turned_off_without_its_switch_fails_the_deploy_check(tmp_path):
    """A settings module that drops the redirect behind the switches' back is not silenced."""
    (tmp_path / "no_redirect_settings.py").write_text(
        "from portal.settings import *  # noqa: F403\n"
        "SECURE_SSL_REDIRECT = False\n"
        "SESSION_COOKIE_SECURE = False\n"
    )
    result = deploy_check(MINIMAL, settings_module="no_redirect_settings", pythonpath=tmp_path)
    assert result.returncode == 1
    assert "security.W008" in result.stderr and "security.W012" in result.stderr
    assert "security.W016" not in result.stderr  # the CSRF cookie is still secure


def test_https_protections_are_on_by_default_when_debug_is_off(monkeypatch):
    settings = fresh_settings(monkeypatch, MINIMAL)
    assert settings.SECURE_SSL_REDIRECT is True
    assert settings.SECURE_HSTS_SECONDS == YEAR
    assert settings.SECURE_HSTS_INCLUDE_SUBDOMAINS is False and settings.SECURE_HSTS_PRELOAD is False
    assert settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE and settings.LANGUAGE_COOKIE_SECURE
    assert not hasattr(settings, "SECURE_PROXY_SSL_HEADER")  # X-Forwarded-Proto is trusted only when told
    # The subdomain and preload warnings are silenced because those two wait to be asked for.
    assert sorted(settings.SILENCED_SYSTEM_CHECKS) == ["security.W005", "security.W021"]


def test_each_switch_turns_off_its_protection_and_silences_its_warning(monkeypatch):
    plain = fresh_settings(monkeypatch, {**MINIMAL, **PLAIN_HTTP})
    assert plain.SECURE_SSL_REDIRECT is False and plain.SECURE_HSTS_SECONDS == 0
    assert not (plain.SESSION_COOKIE_SECURE or plain.CSRF_COOKIE_SECURE or plain.LANGUAGE_COOKIE_SECURE)
    assert sorted(plain.SILENCED_SYSTEM_CHECKS) == [
        "security.W004",
        "security.W008",
        "security.W012",
        "security.W016",
    ]
    redirect_only = fresh_settings(monkeypatch, {**MINIMAL, "DJANGO_SECURE_SSL_REDIRECT": "0"})
    assert redirect_only.SECURE_HSTS_SECONDS == YEAR and redirect_only.SESSION_COOKIE_SECURE
    assert sorted(redirect_only.SILENCED_SYSTEM_CHECKS) == ["security.W005", "security.W008", "security.W021"]


def test_hsts_follows_the_environment(monkeypatch):
    settings = fresh_settings(
        monkeypatch,
        {
            **MINIMAL,
            "DJANGO_SECURE_HSTS_SECONDS": "600",
            "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
            "DJANGO_SECURE_HSTS_PRELOAD": "yes",
        },
    )
    assert settings.SECURE_HSTS_SECONDS == 600
    assert settings.SECURE_HSTS_INCLUDE_SUBDOMAINS and settings.SECURE_HSTS_PRELOAD
    assert settings.SILENCED_SYSTEM_CHECKS == []


def test_debug_turns_the_https_protections_off(monkeypatch):
    settings = fresh_settings(monkeypatch, {"DJANGO_DEBUG": "1"})
    assert not settings.SECURE_SSL_REDIRECT and not settings.SECURE_HSTS_SECONDS
    assert not settings.SESSION_COOKIE_SECURE


def test_the_proxy_header_is_trusted_only_when_asked(monkeypatch):
    settings = fresh_settings(monkeypatch, {**MINIMAL, "DJANGO_BEHIND_PROXY": "1"})
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.parametrize(
    "name,value", [("DJANGO_SECURE_HSTS_SECONDS", "1y"), ("DJANGO_SECURE_SSL_REDIRECT", "maybe")]
)
def test_a_bad_switch_fails_loudly(monkeypatch, name, value):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=name):
        fresh_settings(monkeypatch, {**MINIMAL, name: value})
