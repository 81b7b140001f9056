"""Settings shared by every environment.

Everything that differs between a laptop and production is read from the
environment; without it the embedded defaults apply (SQLite, in-process Celery,
local-memory cache, console SMS and e-mail).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("DOCREGISTRY_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
DEBUG = os.environ.get("DEBUG", "0") == "1"
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "docregistry.accounts",
    "docregistry.registrations",
    "docregistry.public",
    "qualifications",
    "physicians",
    "institutions",
    "authority",
    "publicregister",
]

MIDDLEWARE = [
    "docregistry.logging.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "docregistry.middleware.ChosenLanguageMiddleware",
    "docregistry.security.BadInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "docregistry.security.StaffIdleTimeoutMiddleware",
    "docregistry.accounts.twofactor.StaffTwoFactorMiddleware",
    "docregistry.replica.ReportsOnReplicaMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "docregistry.security.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the lockout page
]

ROOT_URLCONF = "docregistry.urls"
WSGI_APPLICATION = "docregistry.wsgi.application"

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
                "django.template.context_processors.i18n",
                "docregistry.accounts.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait for a writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
# A read replica (PostgreSQL streaming replication) for the report page and its exports; see docregistry/replica.py.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=int(os.environ.get("CONN_MAX_AGE", "0"))
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # tests read the primary's test database
DATABASE_ROUTERS = ["docregistry.replica.ReplicaRouter"]
REPLICA_VIEWS = ["authority:reports", "authority:report_csv", "authority:report_xlsx"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "home"
AUTHENTICATION_BACKENDS = [
    "docregistry.accounts.throttle.PortalAxesBackend",  # refuses a locked username or address before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (docregistry/accounts/throttle.py): 5 failures lock a username, 50 a client address,
# for AXES_COOLOFF_MINUTES; an admin unlocks under 访问尝试 (Access attempts).
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_IP_FAILURE_LIMIT = int(os.environ.get("AXES_IP_FAILURE_LIMIT", "50"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "docregistry.accounts.throttle.PortalAxesHandler"
AXES_CLIENT_IP_CALLABLE = "docregistry.accounts.throttle.axes_client_ip"
AXES_LOCKOUT_CALLABLE = "docregistry.accounts.throttle.lockout"
AXES_RESET_ON_SUCCESS = False  # a success from one account must not clear an address's count
AXES_DISABLE_ACCESS_LOG = True  # no row per successful login; failures are AccessAttempt rows
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Uploaded documents live outside the web root and are served only by views
# that check who is asking; there is deliberately no MEDIA_URL route.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "private"))
# Stateless web nodes: with STORAGE_URL (s3://bucket/optional/prefix) or AWS_STORAGE_BUCKET_NAME, uploads
# (documents, roster files) live in object storage through django-storages' S3 backend, so every web
# node and worker reads the same files; credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
# (or the instance's role), AWS_S3_ENDPOINT_URL names a non-AWS server (MinIO, Ceph, a cloud's OSS).


def object_storage(environ) -> dict | None:
    """The S3 storage the environment names, or None for the local folder."""
    url = environ.get("STORAGE_URL", "")
    if not url and not environ.get("AWS_STORAGE_BUCKET_NAME"):
        return None
    bucket, _, prefix = (url.removeprefix("s3://") or environ["AWS_STORAGE_BUCKET_NAME"]).partition("/")
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "location": prefix.strip("/") or environ.get("AWS_LOCATION", ""),
            "endpoint_url": environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": environ.get("AWS_S3_REGION_NAME") or None,
            "file_overwrite": False,  # a generated name never replaces another upload
            "querystring_auth": True,  # files are served only through views that check who asks
        },
    }


STORAGES["default"] = object_storage(os.environ) or STORAGES["default"]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Redis: broker for Celery and the shared cache. Without REDIS_URL tasks run
# in-process (eagerly) and the cache is local memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # A Redis outage must fail fast, not hang requests.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Publishing (in a web request) tries the broker once and gives up at once: the
# outbox row stays pending and dispatch_pending sends it later. The worker and
# beat reconnect for ever (max retries None) when Redis comes back.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 0}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_IGNORE_RESULT = True
# The queue tasks go to and the worker reads (-Q); another name isolates installations sharing a Redis DB.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "celery")
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # our LOGGING (one line per task) applies in the worker too
CELERY_BEAT_SCHEDULE = {
    "dispatch-pending-notifications": {"task": "docregistry.registrations.tasks.dispatch_pending", "schedule": 60.0},
    "remind-institutions": {
        "task": "docregistry.registrations.tasks.remind_institutions",
        "schedule": crontab(hour=9, minute=0),
    },
    "remind-authorities": {
        "task": "docregistry.registrations.tasks.remind_authorities",
        "schedule": crontab(hour=9, minute=10),
    },
    "warn-two-year-line": {
        "task": "docregistry.registrations.tasks.warn_two_year_line",
        "schedule": crontab(hour=10, minute=0),
    },
    "refresh-reports": {"task": "docregistry.registrations.tasks.refresh_reports", "schedule": 240.0},
    "lift-expired-suspensions": {
        "task": "docregistry.registrations.tasks.lift_expired_suspensions",
        "schedule": crontab(hour=0, minute=10),
    },
    "end-expired-filings": {
        "task": "docregistry.registrations.tasks.end_expired_filings",
        "schedule": crontab(hour=0, minute=20),
    },
    "cancel-after-departures": {
        "task": "docregistry.registrations.tasks.cancel_after_departures",
        "schedule": crontab(hour=0, minute=30),
    },
    "purge-expired-sms-codes": {
        "task": "docregistry.registrations.tasks.purge_expired_sms_codes",
        "schedule": crontab(hour=3, minute=30),
    },
}

# How long the authority's report figures are kept (beat refreshes them every 4 minutes); 0: always computed.
REPORT_CACHE_SECONDS = int(os.environ.get("REPORT_CACHE_SECONDS", "300"))

# Render each review form PDF in the background when its application changes, so that
# institutions print from the cache. Worth it only with a real worker (REDIS_URL).
# Processes a batch of review forms is rendered in; empty: the CPUs, at most 4; 1 renders in the request's process.
REVIEW_FORM_WORKERS = int(os.environ["REVIEW_FORM_WORKERS"]) if os.environ.get("REVIEW_FORM_WORKERS") else None
REVIEW_FORM_PRERENDER = os.environ.get("REVIEW_FORM_PRERENDER", "1" if REDIS_URL else "0") == "1"

# Where the site is reached from outside: the QR codes on printed documents point here (/v/<token>/).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# The key and certificate (PEM files) that sign electronic practice certificates (PAdES);
# `python manage.py make_signing_pair` writes a self-signed pair for development (make run does).
CERTIFICATE_SIGNING_KEY = os.environ.get("CERTIFICATE_SIGNING_KEY", str(VAR_DIR / "signing" / "key.pem"))
CERTIFICATE_SIGNING_CERT = os.environ.get("CERTIFICATE_SIGNING_CERT", str(VAR_DIR / "signing" / "cert.pem"))
CERTIFICATE_SIGNING_PASSPHRASE = os.environ.get("CERTIFICATE_SIGNING_PASSPHRASE", "")
# FHIR identifier systems are this base and a name: urn:docregistry:practice-certificate-code, …
FHIR_IDENTIFIER_BASE = os.environ.get("FHIR_IDENTIFIER_BASE", "urn:docregistry")

# The public lookup and the FHIR API: at most N requests per client address in a window of S seconds.
PUBLIC_THROTTLE = {
    "lookup": (int(os.environ.get("PUBLIC_LOOKUP_PER_MINUTE", "20")), 60),
    "fhir": (int(os.environ.get("FHIR_REQUESTS_PER_MINUTE", "120")), 60),
}

# Security headers (docregistry/security.py). No inline script or style anywhere: every script and
# stylesheet is a file under static/; images may be data: URIs (the enrolment QR code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
)
# Two-factor sign-in for institution staff, clerks and admins (docregistry/accounts/twofactor.py): a TOTP
# code after the password; physicians keep password + SMS. The issuer is what authenticator apps show.
STAFF_TWO_FACTOR = os.environ.get("STAFF_TWO_FACTOR", "1") == "1"
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "医师电子化注册")
# The admin may delete (reset) a device, never read its key, QR code or recovery codes.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Institution staff, clerks and admins are signed out after this many seconds without a request.
STAFF_IDLE_TIMEOUT = int(os.environ.get("STAFF_IDLE_TIMEOUT", "1800"))
# /healthz answers only ok/fail; with ?token=… or the X-Health-Token header equal to this, the details too.
HEALTHZ_TOKEN = os.environ.get("HEALTHZ_TOKEN", "")
# seed_demo writes demo accounts with a known password: never under the production settings.
DEMO_DATA_ALLOWED = True

# Behind a reverse proxy that appends the client address to X-Forwarded-For.
USE_X_FORWARDED_FOR = os.environ.get("USE_X_FORWARDED_FOR", "0") == "1"

# SMS codes (docregistry/accounts/sms_limits.py): besides a number's own limits (1 a minute, 5 an hour),
# at most this many per client address an hour, per account a day, and for the whole site a day.
SMS_LIMITS = {
    "address_per_hour": int(os.environ.get("SMS_PER_ADDRESS_PER_HOUR", "10")),
    "account_per_day": int(os.environ.get("SMS_PER_ACCOUNT_PER_DAY", "10")),
    "site_per_day": int(os.environ.get("SMS_PER_DAY", "50000")),
}
# A sealed outbox text (code, one-time password) can be opened by the sender for this many seconds.
OUTBOX_SEAL_TTL = int(os.environ.get("OUTBOX_SEAL_TTL", "86400"))

# SMS: a pluggable backend, like Django's e-mail backends.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "docregistry.accounts.sms.console.SmsBackend")
SMS_FILE_PATH = Path(os.environ.get("SMS_FILE_PATH", VAR_DIR / "sms"))
SMS_SIGN_NAME = os.environ.get("SMS_SIGN_NAME", "医师电子化注册")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@docregistry.local")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "docregistry.logging.ContextFilter"}},
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s task=%(task_id)s] %(message)s"},
        "json": {"()": "docregistry.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": os.environ.get("LOG_FORMAT", "line"),
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint and fontTools narrate every render at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # a line per failed login at WARNING is enough
    },
}
