"""Settings, read from environment variables (see README's configuration table)."""

import base64
import os
import secrets
from pathlib import Path
from typing import Any

import csp.constants
import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
# Runtime state (SQLite file, generated secret key, mail, screenshots) lives in var/.
VAR_DIR = Path(os.environ.get("BOXOFFICE_VAR_DIR", Path.cwd() / "var")).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _dev_secret_key() -> str:
    # A development key generated once and kept in var/, so sessions survive restarts
    # without anyone committing a secret. Production sets SECRET_KEY.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = os.environ.get("SECRET_KEY") or _dev_secret_key()


def _dev_field_encryption_keys() -> list[str]:
    # Like the development SECRET_KEY: made once into var/. Production sets FIELD_ENCRYPTION_KEY
    # (`boxoffice check --deploy` insists), so backups of the database never travel with it.
    path = VAR_DIR / "field_encryption_key"
    if not path.exists():
        # A Fernet key: 32 random bytes, url-safe base64 (cryptography's Fernet.generate_key).
        path.write_text(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii"))
        path.chmod(0o600)
    # Comma-separated like the variable: `rotate-encryption-key --demo` keeps NEW,OLD here
    # until every value is re-encrypted.
    return [key.strip() for key in path.read_text().split(",") if key.strip()]


# Encrypts secrets at rest (common.encryption): comma-separated Fernet keys, the first one
# encrypts, all of them decrypt (so a key can be rotated: `boxoffice rotate-encryption-key`).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEY", "") or _dev_field_encryption_keys()
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "boxoffice.common",
    "boxoffice.accounts",
    "boxoffice.catalog",
    "boxoffice.orders",
    "boxoffice.payments",
    "boxoffice.documents",
    "boxoffice.jobs",
    "boxoffice.exports",
    "boxoffice.bulk",
    "boxoffice.notifications",
    "boxoffice.checkin",
    "boxoffice.webhooks",
    "boxoffice.api",
    "ninja",  # its bundled Swagger UI for /api/v1/docs (otherwise loaded from a CDN)
    "boxoffice.backoffice",
    "boxoffice.customer",
    "boxoffice.processes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "boxoffice.common.middleware.NoStoreMiddleware",
    # Every answer under /api/ in the API's error shape, Django's own included.
    "boxoffice.api.middleware.ApiErrorShapeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "boxoffice.backoffice.middleware.IdleTimeoutMiddleware",
    # After the password, the second code where the user has one or must have one.
    "boxoffice.backoffice.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "boxoffice.urls"
WSGI_APPLICATION = "boxoffice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "boxoffice.common.context_processors.platform",
            ],
        },
    },
]

conn_max_age = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'boxoffice.sqlite3'}",
        conn_max_age=conn_max_age,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE takes SQLite's write lock when a transaction starts, so two writers
        # serialize instead of both reading stale capacity and one failing on upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Tests use a file, not Django's shared in-memory database: live-server tests then give
    # each thread its own connection, as in production, instead of sharing one across threads.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
# A PostgreSQL read replica of the primary (streaming replication), optional: the order list and
# search, the API's order list and exports read there (common/replica.py says why only they).
# Every write, and every other read, goes to the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=conn_max_age
    )
    # Tests have one database: the replica's alias opens the primary's test database.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["boxoffice.common.replica.ReplicaRouter"]
# PostgreSQL binds the parameters itself and keeps a statement's plan once a connection has run
# it five times (psycopg's prepared statements): the workers and pages run the same few dozen
# statements all day, and parsing and planning each again was a third of PostgreSQL's CPU in
# `boxoffice bench event-cancel`. Off behind a pooler that cannot carry prepared statements
# across transactions (PgBouncer in transaction mode before 1.21): DATABASE_PREPARED_STATEMENTS=0.
for database in DATABASES.values():
    if database["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "DATABASE_PREPARED_STATEMENTS", default=True
    ):
        database.setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Django's password check; its per-request user read also brings the roles and second-factor
# standing every back-office page asks for (one query instead of three).
AUTHENTICATION_BACKENDS = ["boxoffice.accounts.backends.UserWithRolesBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "backoffice:order_list"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "fi")
LANGUAGES = [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
FORMAT_MODULE_PATH = ["boxoffice.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/Helsinki")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns about a missing root even when unused
# Serve app static files straight from the package: no collectstatic step to forget.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
# Sessions are written to the database and read from the cache (Redis, or the workers' shared
# files): a page costs no session query. Logging out deletes both, so every worker sees it.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# A back-office session ends after this long without a request (backoffice/middleware.py).
SESSION_IDLE_TIMEOUT_SECONDS = int(os.environ.get("SESSION_IDLE_TIMEOUT_SECONDS", str(8 * 3600)))
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES")
# Served over HTTPS (SECURE_COOKIES=1): browsers are told to use nothing else for a year.
SECURE_HSTS_SECONDS = 31_536_000 if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# A strict Content-Security-Policy on every answer: scripts, styles, images and fonts only from
# this site's own files (no inline script, style attribute or event handler runs, so injected
# markup cannot act), no plugins, no <base> rewriting, and no page framed by another site.
# form-action is left open on purpose: the customer's "Pay" form is answered with a redirect to
# Paytrail's payment page, and browsers check form redirects against form-action.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.constants.SELF],
        "script-src": [csp.constants.SELF],
        "style-src": [csp.constants.SELF],
        # data: for the QR code of the second-factor enrolment, drawn inline as an image.
        "img-src": [csp.constants.SELF, "data:"],
        "object-src": [csp.constants.NONE],
        "base-uri": [csp.constants.NONE],
        "frame-ancestors": [csp.constants.NONE],
    }
}
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "boxoffice.notifications.eml_backend.EmlFileBackend"
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "tickets@boxoffice.localhost")

# The platform operator (the seed's "Liveto"): shown as funds manager and in support texts.
PLATFORM_NAME = os.environ.get("PLATFORM_NAME", "Boxoffice")
# The name an authenticator app shows next to the codes of this site.
OTP_TOTP_ISSUER = PLATFORM_NAME
PLATFORM_SUPPORT_EMAIL = os.environ.get("PLATFORM_SUPPORT_EMAIL", "support@boxoffice.localhost")
# Base of links sent to customers (the payment URL). Empty: taken from the request.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "").rstrip("/")
# Where this site answers, for links made outside a request (tasks, Paytrail callback URLs).
SITE_URL = PUBLIC_BASE_URL or f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"

# How long an unpaid online order holds its tickets, and when an invoice falls due.
ORDER_RESERVATION_MINUTES = int(os.environ.get("ORDER_RESERVATION_MINUTES", "30"))
ORDER_INVOICE_DUE_DAYS = int(os.environ.get("ORDER_INVOICE_DUE_DAYS", "14"))

# Background jobs: a task enqueued inside a service's transaction is a row in that transaction
# (a durable outbox); `boxoffice worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Periodic jobs the worker runs itself (seconds between runs).
PERIODIC_JOB_INTERVAL_SECONDS = int(os.environ.get("PERIODIC_JOB_INTERVAL_SECONDS", "60"))
# Workers say they are alive this often; one quiet for WORKER_DEAD_AFTER_SECONDS is taken for
# dead and its tasks are queued again (processes.fleet). A job's worker must record a chunk
# within JOB_LEASE_SECONDS or another takes the job over (jobs.runner).
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "10"))
WORKER_DEAD_AFTER_SECONDS = float(os.environ.get("WORKER_DEAD_AFTER_SECONDS", "60"))
JOB_LEASE_SECONDS = float(os.environ.get("JOB_LEASE_SECONDS", "120"))
# How many workers may share one job of many orders (an event's cancellation, a bulk action):
# its task is enqueued this many times when it starts (jobs.items).
JOB_WORKERS_PER_JOB = int(os.environ.get("JOB_WORKERS_PER_JOB", "4"))
# Emails untouched this long past their due time are sent again (e.g. after a worker crash).
EMAIL_RECONCILE_STALE_SECONDS = float(os.environ.get("EMAIL_RECONCILE_STALE_SECONDS", "300"))
# Webhooks: each POST's timeout, attempts before a delivery is failed, the backoff between them
# (base x 4 per attempt, capped), when a delivery left unfinished is picked up again, and how
# many active endpoints one organizer may have.
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_MAX_ATTEMPTS = int(os.environ.get("WEBHOOK_MAX_ATTEMPTS", "8"))
WEBHOOK_RETRY_BASE_SECONDS = float(os.environ.get("WEBHOOK_RETRY_BASE_SECONDS", "60"))
WEBHOOK_RETRY_MAX_SECONDS = float(os.environ.get("WEBHOOK_RETRY_MAX_SECONDS", "21600"))
WEBHOOK_RECONCILE_STALE_SECONDS = float(os.environ.get("WEBHOOK_RECONCILE_STALE_SECONDS", "300"))
WEBHOOK_MAX_ENDPOINTS = int(os.environ.get("WEBHOOK_MAX_ENDPOINTS", "20"))
# Webhook URLs on localhost or private addresses: off in production (the worker would call into
# our own network); on for development and the tests' local receiver.
WEBHOOK_ALLOW_LOCAL_URLS = env_bool("WEBHOOK_ALLOW_LOCAL_URLS")

# Paytrail (../shared/specs/paytrail.md). The bundled sandbox (a fake Paytrail served at
# /paytrail-sandbox/, signing with Paytrail's public test merchant) runs only when asked for:
# PAYTRAIL_SANDBOX=1 (`make run` and the tests set it) or DEBUG=1. Anyone can sign a callback
# with the public test secret, so outside the sandbox the platform's own merchant account is
# required: `boxoffice serve`, `worker` and `check --deploy` refuse to start without it
# (payments/checks.py), and the test credentials are refused wherever they turn up
# (payments.paytrail.credentials).
PAYTRAIL_SANDBOX = env_bool("PAYTRAIL_SANDBOX", default=DEBUG)
if PAYTRAIL_SANDBOX:
    # The development tools come with the sandbox and only with it: the fake Paytrail (its
    # tables included), the demo that pays through it, and the benchmark that seeds like the
    # demo. A production database has none of their tables and no `demo` or `bench` command.
    INSTALLED_APPS += ["boxoffice.paytrail_sandbox", "boxoffice.demo", "boxoffice.benchmark"]
PAYTRAIL_API_URL = os.environ.get("PAYTRAIL_API_URL", "").rstrip("/") or (
    f"{SITE_URL}/paytrail-sandbox" if PAYTRAIL_SANDBOX else "https://services.paytrail.com"
)
PAYTRAIL_MERCHANT_ID = os.environ.get("PAYTRAIL_MERCHANT_ID", "375917" if PAYTRAIL_SANDBOX else "")
PAYTRAIL_SECRET = os.environ.get("PAYTRAIL_SECRET", "SAIPPUAKAUPPIAS" if PAYTRAIL_SANDBOX else "")
# The sandbox answers every API call this much later, as the real service takes its time (~150
# ms): the event-cancel benchmark sets it so that refunds wait on Paytrail as they would live.
PAYTRAIL_SANDBOX_LATENCY_MS = float(os.environ.get("PAYTRAIL_SANDBOX_LATENCY_MS", "0"))
PAYTRAIL_TIMEOUT_SECONDS = float(os.environ.get("PAYTRAIL_TIMEOUT_SECONDS", "10"))
PAYTRAIL_PLATFORM_NAME = "boxoffice"
# Refund sending: backoff base for retries, how long to wait for a callback before looking the
# refund up, when to hand an unconfirmed refund to a person, and when a refund counts as stuck.
PAYTRAIL_RETRY_BASE_SECONDS = float(os.environ.get("PAYTRAIL_RETRY_BASE_SECONDS", "10"))
PAYTRAIL_REFUND_CONFIRM_SECONDS = float(os.environ.get("PAYTRAIL_REFUND_CONFIRM_SECONDS", "120"))
PAYTRAIL_REFUND_GIVE_UP_SECONDS = float(os.environ.get("PAYTRAIL_REFUND_GIVE_UP_SECONDS", "86400"))
PAYTRAIL_REFUND_STALE_SECONDS = float(os.environ.get("PAYTRAIL_REFUND_STALE_SECONDS", "300"))
# Reconciliation (`boxoffice reconcile-paytrail`, daily in the worker) looks at the Paytrail
# payments and refunds of this many days back.
PAYTRAIL_RECONCILE_DAYS = int(os.environ.get("PAYTRAIL_RECONCILE_DAYS", "30"))

# The attention list (payments.attention): a manual refund in the platform's queue longer than
# this needs a person, and so does a cancelled order still holding refundable money.
MANUAL_REFUND_WARN_DAYS = float(os.environ.get("MANUAL_REFUND_WARN_DAYS", "5"))
UNREFUNDED_WARN_DAYS = float(os.environ.get("UNREFUNDED_WARN_DAYS", "3"))

# The cache holds copies of sessions, login locks and, with Redis, the rate-limit counters
# (nothing that cannot be lost).
# Files in var/ are shared by the gunicorn workers of one machine; several machines share Redis
# (REDIS_URL).
CACHES: dict[str, dict[str, Any]]
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "boxoffice",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            # Past this many files a third is dropped at random (a counter then restarts).
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
# Where the rate limits count hits (common.counters): Redis when the site has it, else a table
# of the database (UNLOGGED on PostgreSQL). Either is shared by every worker and machine.
RATE_LIMIT_STORE = os.environ.get(
    "RATE_LIMIT_STORE", "cache" if os.environ.get("REDIS_URL") else "database"
)
# Requests per client address (or per hashed email) and window: {scope: (limit, seconds)}.
# Read on every request (boxoffice.common.ratelimit), so a deployment can tune them here.
RATE_LIMITS: dict[str, tuple[int, int]] = {
    "customer_page": (60, 60),  # customer order pages (secret links)
    "customer_write": (20, 60),  # customer actions (pay, ask for a return)
    "resend_link_ip": (10, 3600),  # "resend my link" requests from one address
    "resend_link_email": (3, 3600),  # ... and for one email address
    "checkin_ip": (1200, 60),  # door scanners' JSON endpoint, per client address
    "checkin_device": (300, 60),  # ... and per scanner device (a scan every 0.2 s)
    "api_token": (600, 60),  # REST API requests per token (api/throttle.py)
}
# Retention (processes/retention.py, daily): finished webhook deliveries and the content of
# sent emails after so many days; the door's scan log so many days after its event ended.
# Idempotency keys go after 24 hours (api/idempotency.py).
WEBHOOK_DELIVERY_RETENTION_DAYS = int(os.environ.get("WEBHOOK_DELIVERY_RETENTION_DAYS", "90"))
EMAIL_RETENTION_DAYS = int(os.environ.get("EMAIL_RETENTION_DAYS", "90"))
SCAN_RETENTION_DAYS = int(os.environ.get("SCAN_RETENTION_DAYS", "30"))
# Password guessing (accounts/login_throttle.py): this many wrong passwords for one account, or
# from one address, within the window lock it for the window.
LOGIN_ACCOUNT_FAILURES = int(os.environ.get("LOGIN_ACCOUNT_FAILURES", "10"))
LOGIN_ADDRESS_FAILURES = int(os.environ.get("LOGIN_ADDRESS_FAILURES", "50"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("LOGIN_FAILURE_WINDOW_SECONDS", "900"))
# How many reverse proxies in front of us append to X-Forwarded-For. 0: REMOTE_ADDR is the
# client (a header the client sent is not believed).
TRUSTED_PROXY_HOPS = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))
# Behind a proxy that terminates TLS, its X-Forwarded-Proto says whether the client used HTTPS.
if TRUSTED_PROXY_HOPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Plain-HTTP requests are redirected to HTTPS by the app only when asked for: usually the proxy
# does it, and an app redirect without a trusted proxy header would loop.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
