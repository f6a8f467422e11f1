"""Settings for the paper portal.

Everything that differs between a laptop and production comes from the environment; a typo in a
boolean fails loudly instead of silently meaning "off".
"""

import datetime
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name, default, *, minimum=0):
    """A whole number of at least `minimum` (seconds, milliseconds, counts); anything else fails at
    startup, naming the variable."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isascii() or not value.isdigit() or int(value) < minimum:
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a whole number of at least {minimum} (e.g. {default})"
        )
    return int(value)


def env_list(name, default):
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Set it in the environment (the Makefile's `run` target "
            "generates one into .secret_key for local use), or set DJANGO_DEBUG=1 for development."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # Before staticfiles so runserver serves static files the way production does.
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "papers",
    "readinglists",
]

MIDDLEWARE = [
    # First: it times everything and logs the final answer, redirects and error pages included.
    "portal.logs.RequestLogMiddleware",
    "portal.middleware.HeadWithoutBodyMiddleware",  # before CommonMiddleware, which sets Content-Length
    # Before everything a cached page or a 304 does not need (papers.pagecache): it answers them and
    # conditional GETs itself, and stores pages with the headers the middleware below add; it keys
    # them by the language LocaleMiddleware will choose. Before anything that could set a cookie.
    # Outside the page cache: it sets the visit cookie on a response the cache never stored.
    "papers.visits.VisitMiddleware",
    "papers.pagecache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETags (from the content) and 304s for every page the page cache did not answer.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, nearest the views: it answers their database errors with a 503 page.
    "portal.middleware.DatabaseOutageMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "papers.context_processors.interface",
                "papers.context_processors.vocabulary",
                "papers.context_processors.card_labels",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql"):
    # A database that is down or frozen must cost a request seconds, not a worker: without a connect
    # timeout a silent server holds every worker until gunicorn kills it (30 s). Keepalives (after
    # 10 s of silence, 3 probes 5 s apart) and the TCP user timeout (data unacknowledged for 20 s)
    # notice a server whose host or network went away, within gunicorn's 30 s. A frozen server
    # process on a live host is not noticed by either, since its kernel still answers for it; the
    # connect timeout is what bounds it, once gunicorn has replaced the stuck workers.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options.update(
        {
            "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 3),
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": 20000,
        }
    )
    # A statement timeout bounds what one web request can make the server do, but migrations and
    # load_digests run statements for minutes at 100,000 papers, so it is only for the web server.
    # portal/wsgi.py, which only the WSGI server imports (gunicorn; runserver imports it after the
    # settings, so the development server goes without), marks the process before settings load.
    # Settings decide rather than a connection_created hook, so the limit travels in the connection's
    # startup packet (libpq `options`) and costs no extra round trip per connection.
    statement_timeout = env_int("DATABASE_STATEMENT_TIMEOUT", 15000)  # milliseconds; 0 = none
    if os.environ.get("PORTAL_PROCESS") == "web" and statement_timeout:
        options["options"] = " ".join(
            filter(None, [options.get("options"), f"-c statement_timeout={statement_timeout}"])
        )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers keep reading while an import writes; a busy timeout instead of "database is locked".
    # An import inserts random keys (hashes, names) into big indexes: a 64 MB page cache keeps them off
    # the disk, and checkpointing every 64 MB instead of 4 MB lets rewrites of the same pages coalesce
    # (it cut commit time by 60% at 30,000 papers).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=16384;"
            ),
            "transaction_mode": "IMMEDIATE",
        }
    )

# The cache keeps answers that are costly to compute and cheap to recompute (facet counts). With
# REDIS_URL set, every worker of every web server shares one Redis, so an answer is computed once
# for all of them; without it each process keeps its own in memory (LocMemCache): right for one
# process, but each gunicorn worker then computes every answer itself. Redis that stops answering
# costs a request at most a second per cache call, not a worker.
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
CACHE_DEFAULTS = {"KEY_PREFIX": "portal", "TIMEOUT": 300}  # seconds, for a set() that names none
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, with an outage taken as a miss (portal/cache.py).
            "BACKEND": "portal.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            **CACHE_DEFAULTS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "portal",
            **CACHE_DEFAULTS,
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Security headers that cost nothing on plain HTTP.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS protections are on whenever DEBUG is off, so a deployment that forgets a variable is safe
# rather than silently open; a plain-HTTP intranet (and `make run` on 127.0.0.1, where they would
# lock a reader out) switches each one off by name. HSTS covers this host only: includeSubDomains
# would force HTTPS on every other host under the organisation's domain, and preloading is a
# promise to the browsers that takes months to take back, so both wait to be asked for.
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
# Probes ask over plain HTTP from inside the network (compose's healthcheck, a load balancer); a
# redirect to HTTPS would fail them. They still need an allowed Host.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
BEHIND_PROXY = env_bool("DJANGO_BEHIND_PROXY", False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# `manage.py check --deploy` warns about each of those that is off. Each warning is silenced only
# when its own protection was switched off above, so a deployment that chose plain HTTP passes the
# check, while anything else (a short secret key, DEBUG, a protection turned off some other way)
# still fails it.
SILENCED_SYSTEM_CHECKS = [
    check
    for check, switched_off in (
        ("security.W008", not SECURE_SSL_REDIRECT),
        ("security.W004", not SECURE_HSTS_SECONDS),
        ("security.W005", SECURE_HSTS_SECONDS and not SECURE_HSTS_INCLUDE_SUBDOMAINS),
        ("security.W021", SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD),
        ("security.W012", not SESSION_COOKIE_SECURE),
        ("security.W016", not CSRF_COOKIE_SECURE),
    )
    if switched_off
]

# Failed logins are throttled (django-axes, counted in the database; portal/logins.py): after
# PORTAL_LOGIN_FAILURE_LIMIT failures from one client address, or for one account name, logins from
# that address or to that account are refused for PORTAL_LOGIN_COOLOFF_MINUTES after the last failure,
# without checking the password. Refused attempts are not counted, so the lockout ends when it says.
INSTALLED_APPS += ["axes"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]  # last, as axes asks; it only reads a flag logins set
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out client before the hasher runs
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("PORTAL_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("PORTAL_LOGIN_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # each on its own: per client and per account
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "portal.logins.client_ip"
AXES_LOCKOUT_CALLABLE = "portal.logins.lockout_response"
AXES_DISABLE_ACCESS_LOG = True  # the throttle needs the failures only; a row per login would pile up

# Uploaded digests are read in memory and never written to disk (no temporary files either), so a
# request is capped here; the admin's import form refuses anything larger with a clear message.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]

# Shown in feed titles; the tag authority makes feed item ids (tag URIs) unique to this portal and
# must never change once readers have subscribed, or every item would look new.
PORTAL_NAME = os.environ.get("PORTAL_NAME", "Paper digests")
# Whole anonymous pages kept in the cache (papers.pagecache). Off only to measure what a first view
# costs (benchmarks/page_bench.py); pages are still marked cacheable for proxies, and conditional GETs
# still answered from the remembered validators (a 304 is never a first view).
PORTAL_PAGE_CACHE = env_bool("PORTAL_PAGE_CACHE", True)
# Rendered paper cards kept in the cache too (papers.cardcache), for the pages the page cache misses.
PORTAL_CARD_CACHE = env_bool("PORTAL_CARD_CACHE", True)
FEED_TAG_AUTHORITY = os.environ.get("PORTAL_FEED_TAG_AUTHORITY", "paper-portal.localhost")

# Logs go to stdout, one line per request and per imported file (portal/logs.py): readable text, or
# with DJANGO_LOG_FORMAT=json one JSON object a line for a log collector. Errors keep their
# traceback in the log; the page never shows it (DEBUG is off).
LOG_FORMAT = os.environ.get("DJANGO_LOG_FORMAT", "").strip().lower() or "text"
if LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"DJANGO_LOG_FORMAT={LOG_FORMAT!r} is not a log format (use text or json)")
PORTAL_LOG_LEVEL = os.environ.get("PORTAL_LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"()": "portal.logs.console_handler", "log_format": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    # The portal's own lines (requests, imports, an outage began, the database is back) are worth
    # reading; other libraries' only from WARNING.
    "loggers": {"portal": {"level": PORTAL_LOG_LEVEL}, "papers": {"level": PORTAL_LOG_LEVEL}},
}
