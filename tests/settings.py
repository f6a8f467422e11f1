"""The real settings, plus the two things a test run needs: a throwaway key and fast password hashing."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")

from portal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Pages render {% static %} without a collectstatic run (the manifest storage needs one).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# No collectstatic in a test run: whitenoise would warn on every request about the missing folder.
STATIC_ROOT = None
# The test client speaks plain HTTP; the other HTTPS protections stay as production has them
# (HSTS is only sent over HTTPS, and the test client sends secure cookies either way).
SECURE_SSL_REDIRECT = False
# Between tests the cache is cleared, and clearing a RedisCache is FLUSHDB of its whole database:
# the suite never uses a Redis the environment names (tests/test_cache.py starts processes that do).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": "portal"}}
