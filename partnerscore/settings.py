"""partnerscore settings: one module, every value from the environment (see README)."""

import datetime as dt
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from partnerscore.env import (
    check_redis_url,
    env_bool,
    env_int,
    env_list,
    env_str,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
PRODUCTION = env_bool("PARTNERSCORE_PRODUCTION", False)
# A local default keeps `make run` and the tests zero-config; production must set SECRET_KEY.
SECRET_KEY = env_str("SECRET_KEY") or ""
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when PARTNERSCORE_PRODUCTION=true")
    SECRET_KEY = "dev-only-insecure-key-set-SECRET_KEY-in-production"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", ["http://localhost", "http://127.0.0.1"])


# Both are required: the run and test entry points (scripts/dev.py, manage.py outside
# production, the pytest plugin partnerscore/embedded.py) start embedded servers and set them
# when they are missing; settings themselves only read the environment.
def _required(name: str) -> str:
    value = env_str(name)
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Set it, or start through `make run` / `make test` / manage.py, "
            "which start embedded servers for development."
        )
    return value


DATABASE_URL = _required("DATABASE_URL")
_database = parse_database_url("DATABASE_URL", DATABASE_URL)
DATABASES = {
    "default": _database,
    # Import progress is written on its own connection, visible while the import's
    # transaction is still open (kpis/imports/jobs.py). Tests share the default one.
    "progress": {**_database, "CONN_MAX_AGE": 0, "TEST": {"MIRROR": "default"}},
}
REDIS_URL = check_redis_url("REDIS_URL", _required("REDIS_URL"))
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "partnerscore",
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",  # runserver leaves /static/ to WhiteNoise (the same headers)
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "simple_history",  # the audit trail: who changed what, when, before and after
    "partners",
    "kpis",
    "assessments",
    "feedback",
    "partnerscore",  # no models: the seed_demo command (wiring that writes into every app)
    "axes",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # the audit trail's author: the request's user (API token users too: DRF sets the
    # request's user when it authenticates, before the view writes anything)
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a lockout into the lockout page
]

ROOT_URLCONF = "partnerscore.urls"
WSGI_APPLICATION = "partnerscore.wsgi.application"

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
                "partners.context_processors.role_flags",
                "feedback.context_processors.alerts",
            ],
        },
    },
]

# Brute force: django-axes counts failed sign-ins (pages, admin, API token) per username and
# address and locks that pair out for a while; a success resets the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# API tokens expire; a new one is issued at /api/v1/auth/token/ (partnerscore/auth.py).
API_TOKEN_HOURS = env_int("API_TOKEN_HOURS", 24 * 7, minimum=1)

# Scripts, styles, images and data from our own origin only; Plotly sets inline styles.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Behind TLS in production (check --deploy is clean with PARTNERSCORE_PRODUCTION=true).
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Password reset links (Django's token) last this long; invitations (partners/invitations.py)
# INVITATION_DAYS. Reset requests are limited per e-mail address and per client address.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_HOURS", 24, minimum=1) * 3600
PASSWORD_RESET_LIMIT_PER_HOUR = env_int("PASSWORD_RESET_LIMIT_PER_HOUR", 3, minimum=1)
INVITATION_DAYS = env_int("INVITATION_DAYS", 7, minimum=1)

# E-mail (invitations, password resets): printed on the console in development; SMTP in
# production, where EMAIL_HOST must be set (the password may come from EMAIL_HOST_PASSWORD_FILE).
EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST") or ""
if PRODUCTION and EMAIL_BACKEND.endswith("smtp.EmailBackend") and not EMAIL_HOST:
    raise ImproperlyConfigured("EMAIL_HOST must be set when PARTNERSCORE_PRODUCTION=true")
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "partnerscore <noreply@localhost>"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploaded import files; workers on other machines need the same directory (a shared volume).
UPLOAD_ROOT = Path(env_str("UPLOAD_ROOT") or BASE_DIR / "var" / "uploads")
MEDIA_ROOT = UPLOAD_ROOT  # the default storage holds only uploads; never served as media
# The vendor's programme name, at the top of the partner portal.
PROGRAMME_NAME = (env_str("PROGRAMME_NAME") or "").strip() or "Partner programme"
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 200 * 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]  # plotly.js is vendored there (static/vendor/plotly)
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
# "collected" (run and production): `collectstatic` copies every static file into STATIC_ROOT
# under a name carrying a hash of its content, with .gz (and .br) versions beside it; WhiteNoise
# serves those compressed, with a one-year immutable Cache-Control, so a repeat visit fetches no
# script or style again. `make run` and the Docker web service run collectstatic first.
# "source": files are served as they are in the source folders (no collectstatic; a changed
# file shows at once): the test suite's default (partnerscore/embedded_pytest.py).
STATIC_FILES = env_str("STATIC_FILES") or "collected"
if STATIC_FILES not in {"collected", "source"}:
    raise ImproperlyConfigured(f"STATIC_FILES={STATIC_FILES!r}: use 'collected' or 'source'")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "partnerscore.staticfiles.CollectedStaticFilesStorage"
        if STATIC_FILES == "collected"
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = STATIC_FILES == "source"
WHITENOISE_AUTOREFRESH = STATIC_FILES == "source" and DEBUG

# Celery: Redis broker; results in Redis too (set here, not at runtime).
# kombu and Celery's backend name a unix socket "redis+socket://" where redis-py says "unix://".
CELERY_BROKER_URL = REDIS_URL.replace("unix://", "redis+socket://", 1)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged when it ends, and a pool process killed mid-task (SIGKILL, OOM) sends
# its message back to the queue. A whole worker killed leaves its message unacknowledged:
# Redis hands it out again after the visibility timeout, and recomputes do not wait for that:
# their period stays marked in PostgreSQL and the sweep sends them again (kpis/recompute.py).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 900, minimum=60),
    "socket_connect_timeout": 2,
    # how a sender (a web request) retries connecting: once, then give up (workers keep
    # reconnecting on their own, per broker_connection_retry)
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 0.5,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 1}}
# Redis down: a web request fails fast when it sends a task (the change is committed and
# marked; the sweep sends it later) instead of retrying for many seconds.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
RECOMPUTE_EVERY_MINUTES = env_int("RECOMPUTE_EVERY_MINUTES", 60, minimum=1)
# The sweep recomputes what changed inputs marked (a lost queue message waits at most this).
RECOMPUTE_SWEEP_SECONDS = env_int("RECOMPUTE_SWEEP_SECONDS", 60, minimum=5)

# Alerts, reminders and the e-mail digest (feedback/alerts.py, reminders.py, digest.py).
# SITE_URL: the address links in e-mails start with (no request to build them from).
SITE_URL = (env_str("SITE_URL") or "http://localhost:8000").rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r}: use http://host or https://host")
# A KPI "turning red" alerts when its weight is at least this share of its model's weights.
ALERT_KEY_WEIGHT_PERCENT = env_int("ALERT_KEY_WEIGHT_PERCENT", 20, minimum=1)
if ALERT_KEY_WEIGHT_PERCENT > 100:
    raise ImproperlyConfigured("ALERT_KEY_WEIGHT_PERCENT must be between 1 and 100")
REMIND_ASSESSMENT_DAYS = env_int("REMIND_ASSESSMENT_DAYS", 14, minimum=0)  # before period end
REMIND_SURVEY_DAYS = env_int("REMIND_SURVEY_DAYS", 7, minimum=1)  # unanswered this long
ALERT_DIGEST_EVERY_HOURS = env_int("ALERT_DIGEST_EVERY_HOURS", 24, minimum=1)
REMINDERS_EVERY_HOURS = env_int("REMINDERS_EVERY_HOURS", 24, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "partnerscore.auth.ExpiringTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": ["partnerscore.parsers.SafeJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "partnerscore.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "partnerscore API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # several models have a `kind`: each enum is named for its model
    "ENUM_NAME_OVERRIDES": {
        "AlertKindEnum": "feedback.models.alerts.AlertKind",
        "QuestionKindEnum": "feedback.models.surveys.QuestionKind",
        "MeetingKindEnum": "feedback.models.conversations.MeetingKind",
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
