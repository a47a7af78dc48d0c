"""OpenAudience settings: one module, every value from the environment."""

from __future__ import annotations

from celery.schedules import crontab

from config.env import envbool, envint, envlist, envstr
from config.services import (
    BASE_DIR,
    VAR_DIR,
    broker_settings,
    database_from_url,
    embedded_database_url,
    redis_answers,
)

DEBUG = envbool("DEBUG", False)
SECRET_KEY = envstr("SECRET_KEY") or ("insecure-development-key" if DEBUG else None)
if SECRET_KEY is None:
    # A fixed key for local runs, but never silently in production: set SECRET_KEY there.
    SECRET_KEY = envstr("OPENAUDIENCE_LOCAL_SECRET_KEY", "openaudience-local-only-secret-key-change-me")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "accounts",
    "audiences",
    "outputs",
    "connections",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.LoginRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.CurrentWorkspaceMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.current",
                "audiences.context_processors.download_notices",
            ],
        },
    },
]

DATABASE_URL = envstr("DATABASE_URL") or embedded_database_url()
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = envstr("REDIS_URL", "redis://127.0.0.1:6379/0")
if redis_answers(REDIS_URL):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing folder
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "media"},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    # htmx and the API docs inject small <style> blocks; scripts stay strict.
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
}

MAILERS = {"default": {"BACKEND": envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")}}
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "openaudience@localhost")

# Partner credentials are encrypted with this key (derived from SECRET_KEY when unset).
OUTPUTS_ENCRYPTION_KEY = envstr("OUTPUTS_ENCRYPTION_KEY")

# Forwarding: retries with exponential backoff and full jitter, then a fault.
FORWARDING_MAX_ATTEMPTS = envint("FORWARDING_MAX_ATTEMPTS", 8)
FORWARDING_BACKOFF_BASE_SECONDS = float(envint("FORWARDING_BACKOFF_BASE_MS", 1000)) / 1000
FORWARDING_BACKOFF_CAP_SECONDS = float(envint("FORWARDING_BACKOFF_CAP_MS", 300_000)) / 1000

# Events API limits (documented in docs/events-api.md).
EVENTS_MAX_BATCH_BYTES = envint("EVENTS_MAX_BATCH_BYTES", 256 * 1024)
EVENTS_MAX_BULK_BYTES = envint("EVENTS_MAX_BULK_BYTES", 16 * 1024 * 1024)
EVENTS_MAX_BULK_BATCHES = 100
EVENTS_FUTURE_SKEW_SECONDS = envint("EVENTS_FUTURE_SKEW_SECONDS", 24 * 3600)
DATA_UPLOAD_MAX_MEMORY_SIZE = EVENTS_MAX_BULK_BYTES + 1024

CELERY_BROKER_URL, CELERY_BROKER_TRANSPORT_OPTIONS = broker_settings()
# Tests give each run its own queue on a shared broker; deployments keep Celery's default.
CELERY_TASK_DEFAULT_QUEUE = envstr("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE = {
    "drop-expired-events": {
        "task": "audiences.tasks.drop_expired_events",
        "schedule": crontab(minute=7),
    },
    "evaluate-pending-users": {
        # A safety net: ingestion wakes the evaluator itself after each commit.
        "task": "audiences.tasks.evaluate_pending",
        "schedule": 5.0,
    },
    "sweep-moving-windows": {
        "task": "audiences.tasks.sweep_clock",
        "schedule": 30.0,
    },
    "forward-due-connections": {
        "task": "connections.tasks.forward_due",
        "schedule": 2.0,
    },
    "delete-downstream": {
        "task": "connections.tasks.delete_downstream",
        "schedule": 30.0,
    },
    "purge-erased-profiles": {
        "task": "audiences.tasks.purge_erased_profiles",
        "schedule": crontab(minute=17, hour=3),
    },
    "prepare-event-partitions": {
        "task": "audiences.tasks.prepare_event_partitions",
        "schedule": crontab(minute=3),
    },
    "remove-expired-downloads": {
        "task": "audiences.tasks.remove_expired_downloads",
        "schedule": crontab(minute=27),
    },
    "requeue-stalled-standard-calculations": {
        "task": "audiences.tasks.requeue_stalled_standard_calculations",
        "schedule": 60.0,
    },
    "expire-standard-audiences": {
        "task": "audiences.tasks.expire_standard_audiences",
        "schedule": 60.0,
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
