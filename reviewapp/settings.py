"""Settings for the review app: one file, configured by environment variables.

Every value comes from the environment through the small typed helpers below. A malformed value raises
ImproperlyConfigured at start-up instead of being guessed at, and secrets may come from `<NAME>_FILE`
(Docker and Kubernetes secrets) so they never have to sit in the process environment.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def envstr(name: str, default: str = "") -> str:
    """A string setting; `<name>_FILE` (a path) wins so secrets can be mounted as files."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (see .env.example)")
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105  # nosec B105
# Previous keys, still accepted for signatures (sessions, signed cookies) while a new SECRET_KEY rolls out.
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "reviewapp",
    "questionnaire",
    "checks",
]

MIDDLEWARE = [
    "reviewapp.middleware.RequestContextMiddleware",
    "reviewapp.lib.accesslog.AccessLogMiddleware",
    # Outermost after the request id, so every response gets CSP and friends: redirects, static, errors.
    "reviewapp.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Default deny: every view needs a signed-in user unless it opts out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Roles in MFA_REQUIRED_ROLES without an authenticator may only enrol one (or sign out).
    "reviewapp.middleware.MfaEnforcementMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "reviewapp.urls"
WSGI_APPLICATION = "reviewapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in var/ is the embedded first-run default; PostgreSQL (psycopg 3) in production and CI.
VAR_DIR = BASE_DIR / "var"
DATABASE_URL = envstr("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        # Persistent connections save a connect per request; health checks drop ones the server closed.
        conn_max_age=envint("DB_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(exist_ok=True)
    # Several threads (runserver, eager Celery) write to one file: wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # libpq waits forever for an unreachable server by default; fail the request (and /readyz) instead.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)
    # JIT compiles a costly plan with LLVM on every request: 1.3 s of the dashboard at 1,000 workloads for a
    # query that runs in 45 ms (docs/performance.md). It pays off on long analytics, never on a web request.
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "reviewapp.User"

# Redis is optional: without it Celery runs tasks in-process and the cache is per process.
REDIS_URL = envstr("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, but a Redis outage reads as a cache miss instead of a 500.
            "BACKEND": "reviewapp.lib.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "TIMEOUT": 300,
            # Fail fast when Redis is unreachable: a cache that waits is worse than no cache.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
# Without a broker, run reports and evidence collection in a background thread of the web process (the page
# polls their progress) instead of inside the request. reviewapp/lib/queue.py; tests switch it off.
JOB_THREADS = envbool("JOB_THREADS", not REDIS_URL)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2id first: memory-hard, so stolen hashes are expensive to crack; the others only verify old hashes.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in hardening (reviewapp/identity, docs/security.md).
# Fernet keys for stored secrets (TOTP seeds), comma-separated: the first encrypts, all decrypt.
FIELD_ENCRYPTION_KEYS = [key.strip() for key in envstr("FIELD_ENCRYPTION_KEY").split(",") if key.strip()]
# Organisation roles that must sign in with a TOTP second factor; MEMBER means users without an org role.
MFA_REQUIRED_ROLES = envlist("MFA_REQUIRED_ROLES", ["ADMIN", "SECURITY_LEAD"])
if set(MFA_REQUIRED_ROLES) - {"ADMIN", "SECURITY_LEAD", "MEMBER"}:
    raise ImproperlyConfigured(f"MFA_REQUIRED_ROLES={MFA_REQUIRED_ROLES!r}: use ADMIN, SECURITY_LEAD, MEMBER")
# The issuer name authenticator apps show next to the code.
MFA_ISSUER = envstr("MFA_ISSUER", "WA Security Reviews")
# Failures per username / per IP address within the window that pause sign-in for LOGIN_LOCKOUT_SECONDS.
LOGIN_FAILURE_LIMIT_USER = envint("LOGIN_FAILURE_LIMIT_USER", 5, minimum=1)
LOGIN_FAILURE_LIMIT_IP = envint("LOGIN_FAILURE_LIMIT_IP", 20, minimum=1)
LOGIN_FAILURE_WINDOW = envint("LOGIN_FAILURE_WINDOW", 15 * 60, minimum=60)
LOGIN_LOCKOUT_SECONDS = envint("LOGIN_LOCKOUT_SECONDS", 15 * 60, minimum=60)
# Optional OpenID Connect single sign-on (reviewapp/identity/oidc.py): on when OIDC_ISSUER is set.
OIDC_ISSUER = envstr("OIDC_ISSUER").rstrip("/")
OIDC_CLIENT_ID = envstr("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = envstr("OIDC_CLIENT_SECRET")
# E-mail domains whose people may sign in this way ("*": any); a public provider must not open the app to all.
OIDC_ALLOWED_DOMAINS = [domain.lower() for domain in envlist("OIDC_ALLOWED_DOMAINS", [])]
OIDC_CREATE_USERS = envbool("OIDC_CREATE_USERS", True)
OIDC_PROVIDER_NAME = envstr("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_SCOPES = envstr("OIDC_SCOPES", "openid email profile")
if OIDC_ISSUER and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET and OIDC_ALLOWED_DOMAINS):
    raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_ALLOWED_DOMAINS")
if OIDC_ISSUER and not re.match(r"^(https://|http://(127\.0\.0\.1|localhost)[:/])", OIDC_ISSUER):
    raise ImproperlyConfigured(f"OIDC_ISSUER={OIDC_ISSUER!r} must use https (plain http only on loopback)")

# Sessions live in the database so the site keeps working when Redis is down.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_COOKIES = envbool("SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Preloading is the decision of whoever owns the registrable domain (the list takes whole domains, not the
# host a self-hosted app runs on), so it stays opt-in and check --deploy does not nag about it.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto header only when told to.
if envbool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# Request size limits: nothing we accept legitimately is larger (lens files have their own 500,000-char cap).
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("DATA_UPLOAD_MAX_MEMORY_SIZE", 2 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "reviews@localhost")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = envstr("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Evidence files (docs/evidence-files.md): on the filesystem under EVIDENCE_FILES_ROOT, or in an S3 bucket
    # (any S3-compatible service) when EVIDENCE_S3_BUCKET is set. Never served by URL: downloads go through
    # access.py.
    "evidence": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": envstr("EVIDENCE_S3_BUCKET"),
                "endpoint_url": envstr("EVIDENCE_S3_ENDPOINT_URL") or None,
                "region_name": envstr("EVIDENCE_S3_REGION") or None,
                "location": envstr("EVIDENCE_S3_PREFIX"),
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }
        if envstr("EVIDENCE_S3_BUCKET")
        else {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": envstr("EVIDENCE_FILES_ROOT") or str(BASE_DIR / "var" / "evidence-files")
            },
        }
    ),
    # Hashed names let browsers cache static files forever; plain storage keeps tests free of collectstatic.
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if envbool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

REST_FRAMEWORK = {
    # Personal API tokens for automation; the browser's session (with CSRF) for the docs page and htmx.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "reviewapp.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "reviewapp.api.permissions.TokenScopeAllows",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON only, refused with a 400 beyond a sane nesting depth (reviewapp/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["reviewapp.api.parsers.DepthLimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "reviewapp.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": envstr("API_THROTTLE_USER", "600/minute"),
        "anon": envstr("API_THROTTLE_ANON", "60/minute"),
    },
    "EXCEPTION_HANDLER": "reviewapp.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "WA Security Reviews API",
    "DESCRIPTION": "Workloads, reviews, answers, improvement plans, milestones, evidence and lenses.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # One schema name per choice set that several fields share.
    "ENUM_NAME_OVERRIDES": {
        "TeamRoleEnum": "reviewapp.models.Role",
        "NotApplicableReasonEnum": "reviewapp.models.NotApplicableReason",
        "RiskEnum": "reviewapp.api.schema.RISK_CHOICES",
        "ItemStatusEnum": "reviewapp.models.ItemStatus",
        "FindingStatusEnum": "checks.models.FindingStatus",
        "RunStateEnum": "checks.models.RunState",
        "FindingSourceEnum": "checks.models.FindingSource",
        "EvidenceImportFormatEnum": "checks.imports.parsers.FORMAT_IDS",
        "LensKindEnum": "questionnaire.models.Lens.Kind",
        "ReportKindEnum": "reviewapp.models.ReportJob.Kind",
        "ReportStateEnum": "reviewapp.models.ReportJob.State",
        "ReportFormatEnum": "reviewapp.models.ReportJob.Format",
        "DashboardRiskEnum": "reviewapp.api.portfolio.DASHBOARD_RISKS",
        "ConsolidatedFormatEnum": "reviewapp.api.portfolio.CONSOLIDATED_FORMATS",
    },
}
# Personal API tokens: the longest lifetime a user may choose, and the key their stored HMAC uses. The key
# defaults to SECRET_KEY, so rotating SECRET_KEY without setting API_TOKEN_KEY invalidates every token.
API_TOKEN_MAX_DAYS = envint("API_TOKEN_MAX_DAYS", 365, minimum=1)
API_TOKEN_KEY = envstr("API_TOKEN_KEY") or SECRET_KEY


# The audit trail's keyed fingerprints (reviewapp/audit.py, docs/security.md). The key lives outside the
# database, so someone who can rewrite rows still cannot forge an entry. `<key id>:<secret>` pairs,
# comma-separated: the first signs, all verify (rotation). Unset, a key derived from SECRET_KEY is used.
def _audit_hmac_keys(raw: str) -> dict[str, str]:
    keys: dict[str, str] = {}
    for pair in (part.strip() for part in raw.split(",") if part.strip()):
        key_id, sep, secret = pair.partition(":")
        if not sep or not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", key_id) or len(secret) < 32:
            raise ImproperlyConfigured(
                "AUDIT_HMAC_KEY must be comma-separated '<key id>:<secret>' pairs: ids of 1-32 letters, digits, "
                "'_.-', secrets of at least 32 characters"
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"AUDIT_HMAC_KEY names the key id {key_id!r} twice")
        keys[key_id] = secret
    return keys


AUDIT_HMAC_KEYS = _audit_hmac_keys(envstr("AUDIT_HMAC_KEY")) or {"secret-key": f"audit-chain:{SECRET_KEY}"}
# Signed checkpoints of the chain's head, written by beat: always to the log (and the database); also appended to
# this file (ideally on another host or an append-only mount) and put in this S3 bucket (ideally with Object
# Lock), when set. `verify_audit_chain` reads them all back.
AUDIT_CHECKPOINT_INTERVAL = envint("AUDIT_CHECKPOINT_INTERVAL", 300, minimum=10)
AUDIT_CHECKPOINT_FILE = envstr("AUDIT_CHECKPOINT_FILE")
AUDIT_CHECKPOINT_S3_BUCKET = envstr("AUDIT_CHECKPOINT_S3_BUCKET")
AUDIT_CHECKPOINT_S3_PREFIX = envstr("AUDIT_CHECKPOINT_S3_PREFIX", "audit-checkpoints/")
AUDIT_CHECKPOINT_S3_ENDPOINT_URL = envstr("AUDIT_CHECKPOINT_S3_ENDPOINT_URL")

# JSON lines (one object per line, with the request id) for log collectors; text for a developer's terminal.
LOG_FORMAT = envstr("LOG_FORMAT", "text" if DEBUG else "json").strip().lower()
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not one of: json, text")
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "reviewapp.lib.jsonlog.ContextFilter"},
        "redact": {"()": "reviewapp.lib.jsonlog.RedactFilter"},
    },
    "formatters": {
        "json": {"()": "reviewapp.lib.jsonlog.JsonFormatter"},
        "text": {"()": "reviewapp.lib.jsonlog.TextFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context", "redact"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # gunicorn's worker-side messages in the same format (its own handler would print them twice).
        "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# The lens the app loads on setup, and which lens new reviews use by default.
DEFAULT_LENS_SLUG = "wellarchitected-security"
# AWS accepts notes of up to 2,084 characters per answer; we keep the same limit so exports round-trip.
ANSWER_NOTES_MAX_LENGTH = 2084

# Improvement plans: the furthest ahead a risk acceptance may expire, and the site address for links in
# e-mails (reminders carry no links when it is unset, rather than pointing at a guessed host).
RISK_ACCEPTANCE_MAX_DAYS = envint("RISK_ACCEPTANCE_MAX_DAYS", 365, minimum=1)
# Risk acceptance needs approval (reviewapp/acceptance): how long an acceptance may last depends on the risk of
# the practice left out (never beyond RISK_ACCEPTANCE_MAX_DAYS), a justification has a minimum length, and
# team OWNERs may approve the levels listed here (security leads and administrators approve every level).
RISK_ACCEPTANCE_MAX_DAYS_BY_LEVEL = {
    "HIGH": min(envint("RISK_ACCEPTANCE_MAX_DAYS_HIGH", 90, minimum=1), RISK_ACCEPTANCE_MAX_DAYS),
    "MEDIUM": min(envint("RISK_ACCEPTANCE_MAX_DAYS_MEDIUM", 180, minimum=1), RISK_ACCEPTANCE_MAX_DAYS),
    "LOW": min(envint("RISK_ACCEPTANCE_MAX_DAYS_LOW", 365, minimum=1), RISK_ACCEPTANCE_MAX_DAYS),
}
RISK_ACCEPTANCE_MIN_JUSTIFICATION = envint("RISK_ACCEPTANCE_MIN_JUSTIFICATION", 40, minimum=1)
RISK_ACCEPTANCE_OWNER_APPROVES = envlist("RISK_ACCEPTANCE_OWNER_APPROVES", ["MEDIUM", "LOW"])
if not set(RISK_ACCEPTANCE_OWNER_APPROVES) <= {"HIGH", "MEDIUM", "LOW"}:
    raise ImproperlyConfigured("RISK_ACCEPTANCE_OWNER_APPROVES lists levels: HIGH, MEDIUM, LOW")


# The longest a workload may be shared with another team in one go (docs/sharing.md); renewing is one click.
SHARE_MAX_DAYS = envint("SHARE_MAX_DAYS", 365, minimum=1)
SITE_URL = envstr("SITE_URL").rstrip("/")

# Daily plan upkeep (reviewapp/tasks.py), run by `celery beat`. Merged into any schedule another area defined
# above, so each area adds its own entries without replacing the others'.
from celery.schedules import crontab  # noqa: E402

CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "plan-expire-risk-acceptances": {
        "task": "reviewapp.tasks.expire_risk_acceptances",
        "schedule": crontab(hour=1, minute=15),
    },
    "plan-send-reminders": {
        "task": "reviewapp.tasks.send_item_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
}

# Evidence collection (checks/). The app never stores AWS keys: workers call sts:AssumeRole into each connected
# account with their own identity from the environment (instance or task role, AWS_PROFILE, AWS_ACCESS_KEY_ID).
# A local AWS emulator (moto server) for tests and the demo; empty means the real AWS endpoints.
AWS_ENDPOINT_URL = envstr("AWS_ENDPOINT_URL")
# The app's own principal, which customers' read-only roles trust (it goes into the CloudFormation template).
AWS_APP_PRINCIPAL_ARN = envstr("AWS_APP_PRINCIPAL_ARN")
if AWS_APP_PRINCIPAL_ARN and not AWS_APP_PRINCIPAL_ARN.startswith(("arn:aws:iam::", "arn:aws-us-gov:iam::")):
    raise ImproperlyConfigured(
        f"AWS_APP_PRINCIPAL_ARN={AWS_APP_PRINCIPAL_ARN!r} is not an IAM role or user ARN"
    )
# The reaper fails a run still active after this many seconds, or one with a task running but no heartbeat for
# the heartbeat timeout (its worker was lost), so the next run can start. Running tasks beat every 15 seconds
# and beat runs the reaper every 30, so a lost worker is noticed within timeout + 30 s (default: 90 s).
EVIDENCE_RUN_TIME_LIMIT = envint("EVIDENCE_RUN_TIME_LIMIT", 3600, minimum=60)
EVIDENCE_HEARTBEAT_TIMEOUT = envint("EVIDENCE_HEARTBEAT_TIMEOUT", 60, minimum=30)
# How many days a finding counts as evidence once collected (a check may set a shorter lifetime of its own), and
# imported scanner findings from the time the scanner last saw them. Older evidence is shown as stale and never
# suggests an answer; scheduled collections renew it.
EVIDENCE_VALID_DAYS = envint("EVIDENCE_VALID_DAYS", 30, minimum=1)
EVIDENCE_IMPORT_VALID_DAYS = envint("EVIDENCE_IMPORT_VALID_DAYS", EVIDENCE_VALID_DAYS, minimum=1)
# The largest scanner output file (Prowler OCSF JSON or CSV, Security Hub ASFF) an import reads; files are parsed
# as a stream, so this bounds time and disk, not memory per finding.
EVIDENCE_IMPORT_MAX_BYTES = envint("EVIDENCE_IMPORT_MAX_BYTES", 50 * 1024 * 1024, minimum=10_000)
# The largest evidence file (PDF, PNG, JPEG, TXT, CSV, JSON) a person may attach to a practice.
EVIDENCE_FILE_MAX_BYTES = envint("EVIDENCE_FILE_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "evidence-reap-stale-runs": {"task": "checks.tasks.reap_stale_runs", "schedule": 30.0},
    "evidence-scheduled-collections": {"task": "checks.tasks.run_scheduled_collections", "schedule": 900.0},
}

# Reports (reviewapp/reports/): the longest a PDF may take to render, the largest file a report may produce,
# the most free text (notes, justifications) one report may carry, PDFs rendered at once per process, and the
# largest review JSON file an import accepts. Anything beyond these is refused with a reason, never truncated.
REPORT_RENDER_TIMEOUT = envint("REPORT_RENDER_TIMEOUT", 30, minimum=1)
REPORT_MAX_BYTES = envint("REPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=100_000)
REPORT_MAX_TEXT_CHARS = envint("REPORT_MAX_TEXT_CHARS", 400_000, minimum=10_000)
REPORT_MAX_CONCURRENT = envint("REPORT_MAX_CONCURRENT", 2, minimum=1)
# The most workloads one consolidated (portfolio) report may cover; a wider choice is refused with a reason.
CONSOLIDATED_MAX_WORKLOADS = envint("CONSOLIDATED_MAX_WORKLOADS", 2000, minimum=1)
REPORT_IMPORT_MAX_BYTES = envint("REPORT_IMPORT_MAX_BYTES", 2 * 1024 * 1024, minimum=10_000)
# The plan export across workloads (dashboard plan.csv / plan.xlsx): up to this many items it is served at once
# (CSV streamed row by row); above it the person is offered a background job with progress and a download link.
# Items are read and joined with the catalogue EXPORT_CHUNK_ROWS at a time, a fixed number of queries each.
EXPORT_INLINE_MAX_ROWS = envint("EXPORT_INLINE_MAX_ROWS", 20_000, minimum=1)
EXPORT_CHUNK_ROWS = envint("EXPORT_CHUNK_ROWS", 1000, minimum=1)
# Files the app keeps (Django's default storage): the PDFs of milestones, rendered once and kept by snapshot hash
# (reports/archive.py). Point several worker containers at one shared volume so each renders a milestone once.
MEDIA_ROOT = envstr("MEDIA_ROOT", str(VAR_DIR / "media"))
# WeasyPrint logs every layout step at INFO; keep its warnings (such as a refused URL) and drop the chatter.
LOGGING["loggers"]["weasyprint.progress"] = {"level": "WARNING"}

# Improvement items in Jira (reviewapp/jira, docs/jira.md): the timeout of each call to Jira, how often the
# schedule brings linked issues in step, how many links one scheduled run handles, and the failed attempts after
# which automatic retries stop (the item shows the error; "Retry" tries again).
JIRA_TIMEOUT = envint("JIRA_TIMEOUT", 10, minimum=1)
JIRA_SYNC_INTERVAL = envint("JIRA_SYNC_INTERVAL", 900, minimum=60)
JIRA_SYNC_BATCH = envint("JIRA_SYNC_BATCH", 200, minimum=1)
JIRA_MAX_ATTEMPTS = envint("JIRA_MAX_ATTEMPTS", 8, minimum=1)
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "jira-sync": {"task": "reviewapp.tasks.jira_sync_due", "schedule": 300.0},
}
CELERY_BEAT_SCHEDULE = {
    **globals().get("CELERY_BEAT_SCHEDULE", {}),
    "audit-checkpoint": {
        "task": "reviewapp.tasks.audit_checkpoint",
        "schedule": float(AUDIT_CHECKPOINT_INTERVAL),
    },
}
