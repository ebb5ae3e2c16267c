"""The one settings module. Every value comes from the environment.

Development defaults let a fresh checkout run; with DEBUG off, values that
must be chosen for production (SECRET_KEY, ALLOWED_HOSTS) are required and a
missing or malformed one stops start-up naming the variable.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from retainops.env import (
    env_bool,
    env_float,
    env_float_list,
    env_fraction,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("RETAINOPS_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", True)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-for-production-0123456789"
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET if DEBUG else None, required=not DEBUG)
if not DEBUG and SECRET_KEY == _DEV_SECRET:
    raise ImproperlyConfigured("SECRET_KEY must be changed from the development default.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is false.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves the API docs page's scripts from our static files, not a CDN
    "simple_history",
    "axes",
    "retainops.core",
    "retainops.clients",
    "retainops.messaging",
    "retainops.playbooks",
    "retainops.onboarding",
    "retainops.changes",
    "retainops.cadence",
    "retainops.complaints",
    "retainops.portfolio",
    "retainops.voice",
    "retainops.performance",
    "retainops.drops",
    "retainops.audience",
    "retainops.health",
    "retainops.home",
    "retainops.apps.RetainOpsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Links built while a page is answered follow its address unless SITE_URL is set.
    "retainops.core.site.RememberRequestOrigin",
    # Before any view: PostgreSQL cannot store U+0000, so no request carrying it goes on.
    "retainops.core.null_characters.RefuseNulCharacters",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "retainops.core.security_log.SecurityLogMiddleware",
    # Times on pages in the signed-in person's own time zone.
    "retainops.core.time_zones.ActivatePersonTimeZone",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into its answer (429).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "retainops.urls"
WSGI_APPLICATION = "retainops.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "src" / "retainops" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "retainops.core.context_processors.navigation",
            ],
        },
    },
]


def _database_from_url() -> dict:
    default_url = f"sqlite:///{VAR_DIR / 'retainops.sqlite3'}"
    url = env_str("DATABASE_URL", default_url)
    try:
        config = dict(dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 60)))
    except ValueError as error:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {error}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on the busy timeout instead of failing mid-way.
        # Connections persist between requests (DB_CONN_MAX_AGE, as on PostgreSQL):
        # opening one runs the PRAGMAs below on every request otherwise.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": env_int("SQLITE_BUSY_TIMEOUT_SECONDS", 20, minimum=1),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # One test database per test process, so two test runs on one checkout
        # cannot write into each other's file.
        config["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
    elif config["ENGINE"] == "django.db.backends.postgresql":
        config["CONN_HEALTH_CHECKS"] = True
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL names {config['ENGINE']}; RetainOps runs on SQLite or PostgreSQL."
        )
    return config


DATABASES = {"default": _database_from_url()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# The lockout backend comes first: it refuses a locked-out sign-in before any password
# is checked. Every sign-in must call authenticate() with the request (the login page
# and POST /api/v1/auth/token do; a test's client.login passes request=HttpRequest()).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Sign-in lockout (django-axes): after AXES_FAILURE_LIMIT wrong passwords for one username
# from one address, the login page and the token endpoint refuse that pair, even with the
# right password, until AXES_COOLOFF_MINUTES have passed since the last try (each try while
# locked out starts the wait again). A successful sign-in clears the count.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
_COOLOFF_MINUTES = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "retainops.core.api.answer_locked_out_sign_in"
AXES_COOLOFF_MESSAGE = (
    "Too many failed sign-ins for this username from your address: "
    f"try again in {_COOLOFF_MINUTES} minute{'s' if _COOLOFF_MINUTES != 1 else ''}."
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The base CSS framework comes from npm (package.json; `make install` runs `npm ci`);
# only the one built stylesheet the pages link is served (core/staticfinders.py).
VENDOR_STATIC_FILES = {
    "vendor/pico/pico.min.css": BASE_DIR / "node_modules/@picocss/pico/css/pico.min.css",
}
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "retainops.core.staticfinders.VendorFilesFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)

# HTTPS in production: redirect plain HTTP, and tell browsers to keep to HTTPS (HSTS).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)


def _proxy_ssl_header() -> tuple[str, str] | None:
    """Behind a TLS-terminating proxy: "X-Forwarded-Proto: https" marks a secure request."""
    raw = env_str("SECURE_PROXY_SSL_HEADER", "")
    if not raw:
        return None
    header, _, value = raw.partition(":")
    if not header.strip() or not value.strip():
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER={raw!r} must read 'Header-Name: value', "
            "e.g. 'X-Forwarded-Proto: https'."
        )
    return ("HTTP_" + header.strip().upper().replace("-", "_"), value.strip())


SECURE_PROXY_SSL_HEADER = _proxy_ssl_header()

# Content-Security-Policy on every page: scripts only from our own static files (no
# inline script anywhere); inline styles are allowed because the charts' SVG carries
# a <style> element and templates set a few widths.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Pagination of list pages and API lists.
PAGE_SIZE = env_int("PAGE_SIZE", 50, minimum=1)
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30, minimum=1)
# Uploaded spreadsheets: refused above these sizes before they are parsed (413).
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 50_000, minimum=1)
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int(
    "IMPORT_MAX_UNCOMPRESSED_BYTES", 100 * 1024 * 1024, minimum=1024
)
IMPORT_MAX_COMPRESSION_RATIO = env_int("IMPORT_MAX_COMPRESSION_RATIO", 100, minimum=2)
# A client, contract or performance import whose worker has not reported for this long
# is taken over by another (the first one's writes, never committed, are lost with it).
IMPORT_STALE_SECONDS = env_int("IMPORT_STALE_SECONDS", 300, minimum=30)


# Messages: SMTP configured with Django's variable names, as a MAILERS entry
# (Django 6.1's replacement for the EMAIL_* settings). With no EMAIL_HOST,
# e-mails are written as files under var/sent-mail so a newcomer sees them
# without a mail server.
def _mailers() -> dict:
    host = env_str("EMAIL_HOST", "")
    if not host and not DEBUG and not env_bool("EMAIL_TO_FILES", False):
        # Otherwise the outbox would mark as sent mail that only reached a folder.
        raise ImproperlyConfigured(
            "EMAIL_HOST must be set when DEBUG is false (or EMAIL_TO_FILES=true to write "
            "e-mails as files under var/sent-mail on purpose)."
        )
    if not host:
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
                "OPTIONS": {"file_path": str(VAR_DIR / "sent-mail")},
            }
        }
    use_tls, use_ssl = env_bool("EMAIL_USE_TLS", False), env_bool("EMAIL_USE_SSL", False)
    if use_tls and use_ssl:
        raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true.")
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": host,
                "port": env_int("EMAIL_PORT", 25, minimum=1),
                "username": env_str("EMAIL_HOST_USER", ""),
                "password": env_str("EMAIL_HOST_PASSWORD", ""),
                "use_tls": use_tls,
                "use_ssl": use_ssl,
                "timeout": env_int("EMAIL_TIMEOUT", 20, minimum=1),
            },
        }
    }


MAILERS = _mailers()
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "RetainOps <retainops@localhost>")
MESSAGE_ID_DOMAIN = env_str("MESSAGE_ID_DOMAIN", "retainops.local")
MESSAGE_MAX_ATTEMPTS = env_int("MESSAGE_MAX_ATTEMPTS", 8, minimum=1)
MESSAGE_RETRY_BASE_SECONDS = env_int("MESSAGE_RETRY_BASE_SECONDS", 30, minimum=1)
MESSAGE_CLAIM_LEASE_SECONDS = env_int("MESSAGE_CLAIM_LEASE_SECONDS", 300, minimum=5)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 10, minimum=1)
WORKER_POLL_SECONDS = env_int("WORKER_POLL_SECONDS", 2, minimum=1)
WORKER_BATCH_SIZE = env_int("WORKER_BATCH_SIZE", 20, minimum=1)
# A playbook reminder the worker reaches more than this late is recorded missed, not sent.
REMINDER_GRACE_HOURS = env_int("REMINDER_GRACE_HOURS", 6, minimum=0)
# The address links in e-mails start with (core/site.py). Empty: the address a page was
# asked at, and in the worker the one the server was started at (PORT, as `make run`).
# Required, and https, when DEBUG is false (a system check).
SITE_URL = env_str("SITE_URL", "")
SERVED_URL = f"http://127.0.0.1:{env_int('PORT', 8000, minimum=1)}"

# End-customer data: the agency's DuckDB file, uploads waiting for import, staging files.
DATA_DIR = Path(env_str("DATA_DIR", str(VAR_DIR / "data")))
AUDIENCE_LOCK_WAIT_SECONDS = env_int("AUDIENCE_LOCK_WAIT_SECONDS", 30, minimum=0)
AUDIENCE_UPLOAD_MAX_MB = env_int("AUDIENCE_UPLOAD_MAX_MB", 500, minimum=1)
# An import whose worker has not reported for this long is taken over by another.
AUDIENCE_IMPORT_STALE_SECONDS = env_int("AUDIENCE_IMPORT_STALE_SECONDS", 300, minimum=30)
# How long a client portal link works before the agency must send a new one.
PORTAL_LINK_DAYS = env_int("PORTAL_LINK_DAYS", 60, minimum=1)
# An onboarding program with no step done for this many days is marked stuck.
ONBOARDING_STUCK_DAYS = env_int("ONBOARDING_STUCK_DAYS", 5, minimum=1)
# How many pieces of work (tasks, planned contacts) one person can handle in a day.
CADENCE_DAILY_CAPACITY = env_int("CADENCE_DAILY_CAPACITY", 8, minimum=1)
# How far ahead the contact plans' occurrences are written as rows.
CADENCE_HORIZON_DAYS = env_int("CADENCE_HORIZON_DAYS", 35, minimum=7)
# The agency as its clients know it: the portal's header, the survey pages, the
# signature and greeting of client e-mails ({{ agency.name }}, {{ agency.logo_url }}).
# The logo is an address (https://... or a path under /static/); none shows the name alone.
AGENCY_NAME = env_str("AGENCY_NAME", "RetainOps")
AGENCY_LOGO_URL = env_str("AGENCY_LOGO_URL", "")
if AGENCY_LOGO_URL.startswith(("https://", "http://")):
    # The pages may show images from the logo's own site, and from no other.
    _logo = urlsplit(AGENCY_LOGO_URL)
    SECURE_CSP["img-src"] = [CSP.SELF, "data:", f"{_logo.scheme}://{_logo.netloc}"]

# Complaints: how long after its resolution a complaint may be reopened, and when a
# recurring theme counts as spreading (this many clients within this many days).
COMPLAINT_REOPEN_DAYS = env_int("COMPLAINT_REOPEN_DAYS", 14, minimum=0)
COMPLAINT_THEME_CLIENTS = env_int("COMPLAINT_THEME_CLIENTS", 3, minimum=2)
COMPLAINT_THEME_WINDOW_DAYS = env_int("COMPLAINT_THEME_WINDOW_DAYS", 30, minimum=1)
# Voice of the customer: how long a survey link lives, and when its one reminder goes.
VOICE_SURVEY_LINK_DAYS = env_int("VOICE_SURVEY_LINK_DAYS", 14, minimum=1)
VOICE_REMINDER_DAYS = env_int("VOICE_REMINDER_DAYS", 5, minimum=1)

# Portfolio: the yearly discount rate of the lifetime value, and the share of the value
# at stake a save credit should not exceed (the suggested ceiling on a change request).
PORTFOLIO_DISCOUNT_RATE = env_fraction("PORTFOLIO_DISCOUNT_RATE", 0.10)
PORTFOLIO_SAVE_CREDIT_SHARE = env_fraction("PORTFOLIO_SAVE_CREDIT_SHARE", 0.10)

# Performance: pacing bands (spend to date over budget to date), the monthly budget
# edges of the comparable-program bands, the currency amounts are reported in unless a
# program's terms say otherwise, and the day of the month the monthly report leaves.
PERFORMANCE_PACE_UNDER = env_float("PERFORMANCE_PACE_UNDER", 0.9, minimum=0)
PERFORMANCE_PACE_OVER = env_float("PERFORMANCE_PACE_OVER", 1.1, minimum=0)
if PERFORMANCE_PACE_UNDER >= PERFORMANCE_PACE_OVER:
    raise ImproperlyConfigured(
        "PERFORMANCE_PACE_UNDER must be below PERFORMANCE_PACE_OVER "
        f"({PERFORMANCE_PACE_UNDER:g} is not below {PERFORMANCE_PACE_OVER:g})."
    )
PERFORMANCE_BUDGET_BANDS = env_float_list(
    "PERFORMANCE_BUDGET_BANDS", [1000, 2500, 5000, 10000], ascending=True
)
PERFORMANCE_CURRENCY = env_str("PERFORMANCE_CURRENCY", "USD")
PERFORMANCE_REPORT_DAY = env_int("PERFORMANCE_REPORT_DAY", 3, minimum=1)
# Health: clients per snapshot batch (one transaction each), how often the worker
# retrains the churn model, and how many months of history it learns from.
HEALTH_SNAPSHOT_BATCH = env_int("HEALTH_SNAPSHOT_BATCH", 2000, minimum=1)
HEALTH_RETRAIN_DAYS = env_int("HEALTH_RETRAIN_DAYS", 30, minimum=1)
HEALTH_TRAINING_MONTHS = env_int("HEALTH_TRAINING_MONTHS", 24, minimum=3)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_refusal_tracebacks": {"()": "retainops.core.security_log.DropRefusalTracebacks"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        # 403 and 404 go to the security log as one line each (core/security_log.py).
        "django.request": {"filters": ["no_refusal_tracebacks"]},
        "django.security": {"filters": ["no_refusal_tracebacks"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
