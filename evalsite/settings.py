"""Settings for evalsite; deploy-varying values come from the environment."""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("EVALSITE_VAR_DIR", default=str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env(
    DJANGO_DEBUG=(bool, False),
    DJANGO_ALLOWED_HOSTS=(list, ["localhost", "127.0.0.1", "[::1]", "testserver"]),
)
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env("DJANGO_DEBUG")
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
DEMO_KEY_FILE = VAR_DIR / "secret_key"  # made once by scripts/demo.sh
if not SECRET_KEY and DEMO_KEY_FILE.is_file():
    # The demo's key, so that manage.py and `make worker` work beside it as is.
    SECRET_KEY = DEMO_KEY_FILE.read_text().strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set (nor var/secret_key, which scripts/demo.sh "
            "makes). Set it in the environment or in .env to a "
            "long random value, e.g. the output of: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))'. Only with DJANGO_DEBUG=true does "
            "evalsite start without one (development only)."
        )
    SECRET_KEY = "django-insecure-evalsite-development-only"
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# HTTPS. Off by default so that the demo runs on plain http://127.0.0.1; the production
# values (all on, behind a TLS-terminating proxy) are in docs/operations.md.
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
# The proxy sets X-Forwarded-Proto; only trust it when a proxy is known to set it.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False)
    else None
)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False
)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=False)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=False)
# How many proxies append to X-Forwarded-For in front of the app (0: use REMOTE_ADDR);
# the login throttle counts failures per client address.
EVALSITE_PROXY_COUNT = env.int("EVALSITE_PROXY_COUNT", default=0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "axes",
    "generations",
    "annotations",
    "judges",
    "consistency",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "evalsite.security.MethodNotAllowedPageMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its response.
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy: scripts and styles only from our own static files (no inline
# code), no plugins, no framing, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes) on the site and admin login: after
# EVALSITE_LOGIN_FAILURE_LIMIT failures from one username or one address, that username
# or address is refused until EVALSITE_LOGIN_COOLOFF_MINUTES pass without a failure.
AUTHENTICATION_BACKENDS = [
    "evalsite.security.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("EVALSITE_LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(
    minutes=env.int("EVALSITE_LOGIN_COOLOFF_MINUTES", default=15)
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "evalsite.security.client_ip_address"
AXES_RESET_ON_SUCCESS = True
# Failed attempts are recorded; successful logins are not (one row per login).
AXES_DISABLE_ACCESS_LOG = True

ROOT_URLCONF = "evalsite.urls"
WSGI_APPLICATION = "evalsite.wsgi.application"

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

DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'evalsite.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (web, worker) share the file: wait for locks, take them early.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {
        "NAME": env.str("SQLITE_TEST_NAME", default=str(VAR_DIR / "test.sqlite3"))
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Server-side parameters, and statements prepared after their second use on a
    # connection (Django's documented psycopg options): the annotator loop's
    # statements then skip PostgreSQL's parse and plan. Turn off behind a
    # transaction-mode pooler (PgBouncer before 1.21), which cannot keep them.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"]["OPTIONS"] = {
            **DATABASES["default"].get("OPTIONS", {}),
            "server_side_binding": True,
            "prepare_threshold": 2,
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis (redis://...); "file://" for files under var/cache, which every process of one
# machine shares with no server (the demo: its web processes and worker see the same
# background reports, import progress and token cache); otherwise process memory.
_cache_url = env.str("CACHE_URL", default="")
if _cache_url.startswith("redis"):
    _cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache"}
    _cache["LOCATION"] = _cache_url
elif _cache_url == "file://":
    _cache = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache"}
    _cache["LOCATION"] = str(VAR_DIR / "cache")
elif _cache_url:
    raise ImproperlyConfigured(
        f"CACHE_URL: use redis://host:port/db or file:// (not {_cache_url!r})"
    )
else:
    _cache = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
CACHES = {"default": _cache}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "annotations:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "evalsite" / "static"]
# Serve straight from the apps' static folders too, so no collectstatic is needed to run.
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Uploads: the import services read the whole file; cap it.
EVALSITE_MAX_UPLOAD_BYTES = env.int(
    "EVALSITE_MAX_UPLOAD_BYTES", default=50 * 1024 * 1024
)
DATA_UPLOAD_MAX_MEMORY_SIZE = EVALSITE_MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Uploads larger than this are stored and imported by a Celery task, with progress.
EVALSITE_BACKGROUND_IMPORT_BYTES = env.int(
    "EVALSITE_BACKGROUND_IMPORT_BYTES", default=5 * 1024 * 1024
)
# Where those uploads wait for their task: not under any served URL.
EVALSITE_IMPORT_DIR = Path(
    env.str("EVALSITE_IMPORT_DIR", default=str(VAR_DIR / "imports"))
)

REST_FRAMEWORK = {
    # Token first: DRF answers a request without (valid) credentials with the first
    # class's challenge, so 401 with "WWW-Authenticate: Token" rather than a 403
    # that a client could not tell from "forbidden".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "evalsite.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # drf-spectacular's, with DRF's 401, 403 and 415 (evalsite/schema.py).
    "DEFAULT_SCHEMA_CLASS": "evalsite.schema.AutoSchema",
    # DRF's handler, with a "code" beside a lone "detail" (evalsite/api_errors.py).
    "EXCEPTION_HANDLER": "evalsite.api_errors.exception_handler",
    "DEFAULT_PARSER_CLASSES": [
        "evalsite.parsers.JSONParser",  # a body nested too deeply is a 400
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # DRF's, with a ?format= no renderer takes a 400 naming it, not a 404.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "evalsite.query_parameters.FormatChecked",
    # DRF's JSON renderer, writing a lone surrogate it would echo as an escape
    # (evalsite/renderers.py), and its browsable API.
    "DEFAULT_RENDERER_CLASSES": [
        "evalsite.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "evalsite.query_parameters.PageNumbers",
    "PAGE_SIZE": 100,
    # Generous: an annotator clicking once a second makes about 60 requests a minute.
    "DEFAULT_THROTTLE_CLASSES": [
        "evalsite.security.AnonRateThrottle",
        "evalsite.security.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("EVALSITE_API_ANON_RATE", default="120/minute"),
        "user": env.str("EVALSITE_API_USER_RATE", default="1200/minute"),
    },
}
# Seconds an API token's user is remembered (evalsite/authentication.py); 0: never.
EVALSITE_TOKEN_CACHE_SECONDS = env.int("EVALSITE_TOKEN_CACHE_SECONDS", default=60)
SPECTACULAR_SETTINGS = {
    "TITLE": "evalsite API",
    "DESCRIPTION": "Pairwise human evaluation of chat language models.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files come from drf-spectacular-sidecar: /api/docs/ works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Request and response components apart: an upload's file is binary to send
    # (not a URI, as a response would show it).
    "COMPONENT_SPLIT_REQUEST": True,
    # Records' ids in paths (evalsite.converters.IdConverter) are integers.
    "PATH_CONVERTER_OVERRIDES": {"id": int},
    # The 400s and 404s a view does not document itself (evalsite/schema.py); the
    # 401s, 403s and 415s come from REST_FRAMEWORK's DEFAULT_SCHEMA_CLASS.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "evalsite.schema.add_refusals",
    ],
    # One enum for the two safety labels of a rating (safety_a, safety_b).
    "ENUM_NAME_OVERRIDES": {
        "SafetyEnum": "annotations.models.Rating.Safety",
        "JudgementStatusEnum": "judges.models.Judgement.Status",
        # Generation jobs and judge runs share one set of states.
        "JobStatusEnum": "judges.models.JudgeRun.Status",
        # Two fields named "action": an item's answer and an admin's flag review.
        "AnswerActionEnum": "annotations.services.assignments.Action",
        "FlagReviewActionEnum": "annotations.models.FlagReview.Action",
    },
}

# Celery: Redis when CELERY_BROKER_URL is set, otherwise a filesystem broker (no server).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery" / "queue"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "store_processed": False,
        # Broadcast (control) messages: kombu's default is ./control in the working
        # directory.
        "control_folder": str(VAR_DIR / "celery" / "control"),
    }
else:
    # A killed worker's unacknowledged tasks come back after the visibility timeout,
    # found by a sweep every interval x throttle seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
        "unacked_restore_interval": env.int("CELERY_RESTORE_INTERVAL", default=10),
        "unacked_restore_throttle": env.int("CELERY_RESTORE_THROTTLE", default=10),
        # A worker killed while scanning keeps the scan's mutex until it expires; kombu's
        # 300 s default would hold back every other restore for five minutes.
        "unacked_mutex_expire": env.int("CELERY_RESTORE_MUTEX_EXPIRE", default=60),
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env.int("CELERY_PREFETCH_MULTIPLIER", default=4)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery closes Django's database connections around every task unless told to reuse
# them; a new PostgreSQL connection per generation costs more than the generation.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=500)

# Opt-in: workers' PostgreSQL sessions commit without waiting for the WAL flush (a
# database crash can lose their last fraction of a second of commits; see
# docs/operations.md).
EVALSITE_WORKER_ASYNC_COMMIT = env.bool("EVALSITE_WORKER_ASYNC_COMMIT", default=False)
# Generation tasks: retries of transient inference errors (exponential backoff, jitter).
EVALSITE_GENERATION_MAX_RETRIES = env.int("EVALSITE_GENERATION_MAX_RETRIES", default=8)
EVALSITE_GENERATION_BACKOFF = env.float("EVALSITE_GENERATION_BACKOFF", default=5.0)
EVALSITE_GENERATION_BACKOFF_MAX = env.float(
    "EVALSITE_GENERATION_BACKOFF_MAX", default=600
)
EVALSITE_GENERATION_SOFT_TIME_LIMIT = env.int(
    "EVALSITE_GENERATION_SOFT_TIME_LIMIT", default=900
)
# A server slot held by a killed worker frees itself this many seconds after the
# request's connect and read timeouts.
EVALSITE_SERVER_SLOT_GRACE = env.float("EVALSITE_SERVER_SLOT_GRACE", default=30)

# Reports over at least this many ratings (counted at 1,000 resamples: ten times as
# many resamples weigh ten times as much) are computed by a Celery worker, not in the
# web request (the page shows progress; the API answers 202 with a status URL).
EVALSITE_REPORT_BACKGROUND_MIN_RATINGS = env.int(
    "EVALSITE_REPORT_BACKGROUND_MIN_RATINGS", default=50_000
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusals": {"()": "evalsite.log_filters.RefusalsWithoutTraceback"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["refusals"]}
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
