"""The one settings file. Everything a deployment changes comes from the environment.

WAVETAG_HOME          folder for the SQLite database and the waveform store (./wavetag-data)
DATABASE_URL          postgres://user:pass@host:port/name; SQLite under WAVETAG_HOME when unset
WAVETAG_SECRET_KEY    secret for sessions and CSRF; a key is generated into WAVETAG_HOME if unset
WAVETAG_ALLOWED_HOSTS comma-separated host names (localhost,127.0.0.1 by default)
WAVETAG_CSRF_TRUSTED_ORIGINS comma-separated origins when served behind a proxy on another host
WAVETAG_DEBUG         1 to turn Django's debug mode on (never in production)
WAVETAG_STORE_DIR     where waveforms are stored (WAVETAG_HOME/store); may be a shared mount
WAVETAG_STORE_URL     s3://bucket/prefix: waveforms on S3-compatible object storage instead
                      (needs the s3 extra; credentials from AWS_ACCESS_KEY_ID,
                      AWS_SECRET_ACCESS_KEY, region from AWS_DEFAULT_REGION); unset: local files
WAVETAG_S3_ENDPOINT_URL the object store's address when it is not AWS (http://minio:9000)
WAVETAG_STORE_CACHE_MB size of the local read cache of an object store, MB (1024; 0: none),
                      under WAVETAG_HOME/store-cache, shared by the processes of a machine
WAVETAG_REDIS_URL     redis://host:6379/0: sessions cached there (still kept in the database);
                      needs the redis extra; unset: sessions in the database only
WAVETAG_SECURE        1 when served over HTTPS: secure cookies, HSTS
WAVETAG_EMAIL_URL     smtp://user:password@host:587 (STARTTLS) or smtps://...:465; console if unset
WAVETAG_EMAIL_FROM    sender of password-reset and invitation mail (wavetag@localhost)
WAVETAG_BASE_URL      the site's address for links in mail sent by commands (http://localhost:8000)
WAVETAG_MAX_BODY_MB   largest JSON or form body, MB (2.5); larger ones answer 413
WAVETAG_MAX_UPLOAD    largest upload of records or annotation files, bytes (4000000000);
                      counted while the body streams to disk, larger ones answer 413
WAVETAG_UPLOAD_INLINE_MAX uploads up to this many bytes are imported within the request
                      (100000000); larger ones by the worker, followed as an import job
WAVETAG_LOG_LEVEL     log level of the server (WARNING)
WAVETAG_TIME_ZONE     the site's IANA time zone (UTC): leaderboard days and periods; dates shown
WAVETAG_TRUSTED_PROXIES comma-separated addresses or networks (10.0.0.0/8) of reverse proxies
                      whose X-Forwarded-For is believed: log-in throttling then counts the
                      client's address, not the proxy's (none by default: the header is ignored)
WAVETAG_LOG_LEVEL     level of the log on standard error (WARNING); request lines are INFO on
                      their own logger, on whatever this is
WAVETAG_LOG_FORMAT    text (default) or json: one JSON object per log line
WAVETAG_LOG_REQUESTS  0 to stop logging one line per request (on by default)
WAVETAG_METRICS_TOKEN bearer token that may read /metrics (a Prometheus scrape job's
                      credentials); site admins' sessions may read it too
WAVETAG_METRICS_ALLOW comma-separated addresses or networks that may read /metrics without
                      the token (none by default; never list the reverse proxy itself)
WAVETAG_WORKER_DEAD_AFTER seconds without a heartbeat after which a running analysis is
                      taken to have lost its worker: it is failed and may be asked for again (60)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlparse

from wavetag.logs import logging_config


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def base_url(value: str) -> str:
    parsed = urlparse(value.strip())
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise ValueError(f"WAVETAG_BASE_URL: {value!r} is not an http:// or https:// address")
    if parsed.query or parsed.fragment:
        raise ValueError("WAVETAG_BASE_URL: no query or fragment, only scheme, host and path")
    return value.strip().rstrip("/")


def time_zone(name: str) -> str:
    """An IANA time zone name, checked: leaderboard days and periods follow it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"WAVETAG_TIME_ZONE: unknown time zone {name!r} (an IANA name, e.g. Asia/Shanghai)"
        ) from None
    return name


def store_url(value: str) -> str | None:
    """``s3://bucket/prefix`` checked (bucket name, no query), or None for local files."""
    value = value.strip()
    if not value:
        return None
    parsed = urlparse(value)
    if parsed.scheme != "s3":
        raise ValueError(
            f"WAVETAG_STORE_URL: {value!r} is not s3://bucket/prefix "
            "(leave it unset to keep waveforms in WAVETAG_STORE_DIR)"
        )
    import importlib.util

    if importlib.util.find_spec("boto3") is None:
        raise ValueError("WAVETAG_STORE_URL: an s3:// store needs boto3: pip install 'wavetag[s3]'")
    from wavetag.signal.s3storage import parse_url

    try:
        parse_url(value)
    except ValueError as exc:
        raise ValueError(f"WAVETAG_STORE_URL: {exc}") from None
    return value


def endpoint_url(value: str) -> str | None:
    value = value.strip()
    if not value:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.hostname:
        raise ValueError(
            f"WAVETAG_S3_ENDPOINT_URL: {value!r} is not an http:// or https:// address"
        )
    return value


def redis_url(value: str) -> str | None:
    """``redis://`` or ``rediss://`` URL, checked, or None (no Redis)."""
    value = value.strip()
    if not value:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in {"redis", "rediss", "unix"} or not (parsed.hostname or parsed.path):
        raise ValueError(f"WAVETAG_REDIS_URL: {value!r} is not a redis://host:port/db URL")
    import importlib.util

    if importlib.util.find_spec("redis") is None:
        raise ValueError("WAVETAG_REDIS_URL: needs the redis client: pip install 'wavetag[redis]'")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def networks(name: str) -> list[object]:
    """Addresses and networks from a comma-separated variable, each checked."""
    import ipaddress

    out: list[object] = []
    for item in env_list(name, ""):
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{name}: {item!r} is not an address or network") from None
    return out


def database_from_url(url: str) -> dict[str, object]:
    """Turn ``postgres://user:password@host:port/name?sslmode=require`` into Django's dict."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ValueError(f"DATABASE_URL: unsupported scheme {parsed.scheme!r} (use postgres://)")
    name = unquote(parsed.path.lstrip("/"))
    if not name:
        raise ValueError("DATABASE_URL: no database name after the host")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parsed.username or ""),
        "PASSWORD": unquote(parsed.password or ""),
        "HOST": parsed.hostname or "",
        "PORT": str(parsed.port or ""),
        "OPTIONS": dict(parse_qsl(parsed.query)),
        # Persistent connections: a window request should not pay a connect.
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def email_from_url(url: str) -> dict[str, object]:
    """Turn ``smtp://user:password@host:587`` (STARTTLS) or ``smtps://...:465`` (TLS from
    the start) into Django's EMAIL_* settings; ``console:`` prints mail to the log."""
    parsed = urlparse(url)
    if parsed.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parsed.scheme not in {"smtp", "smtps"}:
        raise ValueError(
            f"WAVETAG_EMAIL_URL: unsupported scheme {parsed.scheme!r} (smtp, smtps or console)"
        )
    if not parsed.hostname:
        raise ValueError("WAVETAG_EMAIL_URL: no host name")
    ssl = parsed.scheme == "smtps"
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed.hostname,
        "EMAIL_PORT": parsed.port or (465 if ssl else 587),
        "EMAIL_HOST_USER": unquote(parsed.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parsed.password or ""),
        "EMAIL_USE_SSL": ssl,
        # Credentials never travel in clear: plain smtp:// means STARTTLS.
        "EMAIL_USE_TLS": not ssl,
        "EMAIL_TIMEOUT": 20,
    }


BASE_DIR = Path(__file__).resolve().parent
HOME = Path(os.environ.get("WAVETAG_HOME") or "wavetag-data").resolve()
STORE_DIR = Path(os.environ.get("WAVETAG_STORE_DIR") or HOME / "store").resolve()
# Object storage, when set, replaces STORE_DIR; records being imported are staged on local
# disk and read blocks are cached there (wavetag.records.storage).
STORE_URL = store_url(os.environ.get("WAVETAG_STORE_URL") or "")
S3_ENDPOINT_URL = endpoint_url(os.environ.get("WAVETAG_S3_ENDPOINT_URL") or "")
STORE_CACHE_MB = float(os.environ.get("WAVETAG_STORE_CACHE_MB") or "1024")


def _secret_key() -> str:
    key = os.environ.get("WAVETAG_SECRET_KEY")
    if key:
        return key
    # A laptop install should just work, so keep a generated key beside the data;
    # a server sets WAVETAG_SECRET_KEY so that every process shares it.
    path = HOME / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        HOME.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key


SECRET_KEY = _secret_key()
DEBUG = env_bool("WAVETAG_DEBUG")
ALLOWED_HOSTS = env_list("WAVETAG_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("WAVETAG_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # django-ninja as an app: its docs page then loads Swagger UI from our own static
    # files, not from a public CDN (hospitals run offline; no third-party code on our origin)
    "ninja",
    "wavetag.accounts",
    "wavetag.records",
    "wavetag.projects",
    "wavetag.annotations",
    "wavetag.analysis",
    "wavetag.web",
    "wavetag.backups",
    "wavetag.reports",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # outermost: a request id for every log line, and the time and status of everything
    "wavetag.web.monitoring.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # outermost but security: every error under /api/ leaves as JSON
    "wavetag.api.errors.JsonApiErrorsMiddleware",
    # whitenoise, plus immutable caching of the viewer's versioned URLs
    "wavetag.web.assets.VersionedStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # the language of the switch's cookie, else the browser's Accept-Language
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # a user's saved language and time zone win over the browser's
    "wavetag.accounts.preferences.PreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "wavetag.accounts.throttle.DeviceCookieMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "wavetag.urls"
WSGI_APPLICATION = "wavetag.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
            ],
        },
    },
]

if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": database_from_url(os.environ["DATABASE_URL"])}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": HOME / "wavetag.sqlite3",
            # WAL lets readers (window requests) run while an import writes.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # Persistent, as on PostgreSQL: opening the file and running the pragmas took
            # about 2 ms of every window request. One connection per server thread.
            "CONN_MAX_AGE": 600,
            "CONN_HEALTH_CHECKS": True,
        }
    }

# Background jobs (automatic analysis) are rows in the database, run by `wavetag worker`
# (or the worker `wavetag serve` starts): no broker to install.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A running job touches its heartbeat every WORKER_DEAD_AFTER / 12 seconds; one silent
# for WORKER_DEAD_AFTER lost its worker (see wavetag.analysis.workers).
WORKER_DEAD_AFTER = float(os.environ.get("WAVETAG_WORKER_DEAD_AFTER") or "60")
if not WORKER_DEAD_AFTER >= 1:
    raise ValueError("WAVETAG_WORKER_DEAD_AFTER: at least 1 (seconds)")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Every page, message and e-mail, and the viewer's strings (the djangojs domain), in both.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = time_zone(os.environ.get("WAVETAG_TIME_ZONE") or "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Only needed for `wavetag collectstatic` behind a separate web server.
STATIC_ROOT = os.environ.get("WAVETAG_STATIC_ROOT") or None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve the package's static files straight from their app folders: no collectstatic
# step for a laptop install.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Mail (password reset, invitations) is printed to the server's log until a server is configured.
_EMAIL = email_from_url(os.environ.get("WAVETAG_EMAIL_URL") or "console:")
EMAIL_BACKEND = _EMAIL["EMAIL_BACKEND"]
EMAIL_HOST = _EMAIL.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _EMAIL.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _EMAIL.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _EMAIL.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _EMAIL.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _EMAIL.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _EMAIL.get("EMAIL_TIMEOUT")
DEFAULT_FROM_EMAIL = os.environ.get("WAVETAG_EMAIL_FROM") or "wavetag@localhost"
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600
# Pages and the API build links from the request; a command has no request.
BASE_URL = base_url(os.environ.get("WAVETAG_BASE_URL") or "http://localhost:8000")

TRUSTED_PROXIES = networks("WAVETAG_TRUSTED_PROXIES")

# Largest request body read into memory (JSON, forms), MB; uploaded files are streamed to
# disk and are not counted here. A larger body answers 413 naming the limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = round(float(os.environ.get("WAVETAG_MAX_BODY_MB") or "2.5") * 1e6)

# Uploaded files go to disk under WAVETAG_HOME as they arrive (never held in memory beyond
# one chunk), counted against WAVETAG_MAX_UPLOAD by wavetag.records.upload_handlers.
MAX_UPLOAD = int(os.environ.get("WAVETAG_MAX_UPLOAD") or 4_000_000_000)
UPLOAD_INLINE_MAX = int(os.environ.get("WAVETAG_UPLOAD_INLINE_MAX") or 100_000_000)
if MAX_UPLOAD < 1 or UPLOAD_INLINE_MAX < 0:
    raise ValueError("WAVETAG_MAX_UPLOAD: at least 1; WAVETAG_UPLOAD_INLINE_MAX: at least 0")
FILE_UPLOAD_MAX_MEMORY_SIZE = 0
FILE_UPLOAD_HANDLERS = ["wavetag.records.upload_handlers.LimitedUploadHandler"]
# Django's default (100 files a request) is less than a PhysioNet database's files; each
# file costs one open temporary file while the request is read.
DATA_UPLOAD_MAX_NUMBER_FILES = 1000
UPLOAD_DIR = HOME / "uploads"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions live in the database; with Redis they are also cached there, which spares the
# shared database a query per browser request (wavetag.accounts.sessions, measured in
# bench/RESULTS.md). The cache "preferences" holds the stamp of each user's last saved
# language and time zone (wavetag.accounts.preferences), read by every server process: in
# Redis too, else in files under WAVETAG_HOME (one machine's processes share them).
REDIS_URL = redis_url(os.environ.get("WAVETAG_REDIS_URL") or "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "preferences": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(HOME / "cache" / "preferences"),
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}
if REDIS_URL:
    CACHES = {
        name: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "wavetag",
            # a Redis that stops answering must not hold requests: the database answers
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
        for name in ("default", "preferences")
    }
    SESSION_ENGINE = "wavetag.accounts.sessions"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# A failed check shows the reader a page in their language saying the form expired.
CSRF_FAILURE_VIEW = "wavetag.web.csrf.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("WAVETAG_SECURE"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# One line per request and every error, each with its request id (see wavetag.logs).
LOGGING = logging_config(
    (os.environ.get("WAVETAG_LOG_FORMAT") or "text").strip().lower(),
    os.environ.get("WAVETAG_LOG_LEVEL", "WARNING"),
    requests=env_bool("WAVETAG_LOG_REQUESTS", True),
)

# /metrics: a Prometheus scrape job with this bearer token, a client from these
# addresses, or a site admin's session (see wavetag.web.monitoring).
METRICS_TOKEN = os.environ.get("WAVETAG_METRICS_TOKEN") or ""
METRICS_ALLOW = networks("WAVETAG_METRICS_ALLOW")
