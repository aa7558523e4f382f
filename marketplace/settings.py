"""Settings for Marketplace, read from the environment.

Embedded default: SQLite in WAL mode and django-q2's ORM broker, no services.
Scale-out: set DATABASE_URL (PostgreSQL) and REDIS_URL (broker, cache, channel layer).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MARKETPLACE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use 1/0, true/false).")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def development_secret_key() -> str:
    # Web and worker processes must share the key (it signs the outbox), so a
    # development key is generated once and kept on disk, never hard-coded.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is not set. Set SECRET_KEY, or DEBUG=1 for local development.")
    SECRET_KEY = development_secret_key()
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
# Where the site is reached from outside: links in e-mails (sent by workers, which have no request) start here.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")  # check --deploy
CURRENCY = os.environ.get("CURRENCY", "EUR")  # ISO 4217 code of every price in the store
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "messaging",  # before django_q: its qcluster command (django-q2's, supervised) wins
    "django_q",
    "django_htmx",
    "orders",
    "vendors",
    "marketplace",
    "marketplace.lab",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "messaging.middleware.TracingMiddleware",  # only when tracing is on (see "Observing it in production")
    "messaging.middleware.CorrelationMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "marketplace.error_pages.SiteErrorPagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "marketplace.busy.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "marketplace.urls"
WSGI_APPLICATION = "marketplace.wsgi.application"
ASGI_APPLICATION = "marketplace.asgi.application"

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

# --- Database --------------------------------------------------------------
# A process is a web process (daphne: marketplace/asgi.py says so) or a worker (qcluster, messaging_sweeper,
# any other manage.py command). A worker keeps one persistent connection per process. A web process runs sync
# views and database_sync_to_async calls in threads, and a persistent connection belongs to its thread, so on
# PostgreSQL the web process borrows connections from a psycopg pool instead, for one request at a time; a
# request that finds the pool empty waits DB_POOL_TIMEOUT seconds, then answers 503 "busy, try again".
# The README's "Deploying" adds up the connections of every process.
MARKETPLACE_PROCESS = os.environ.get("MARKETPLACE_PROCESS", "worker")
if MARKETPLACE_PROCESS not in {"web", "worker"}:
    raise ImproperlyConfigured(f"MARKETPLACE_PROCESS={MARKETPLACE_PROCESS!r} is neither 'web' nor 'worker'.")
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=600,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and MARKETPLACE_PROCESS == "web":
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections; Django refuses both at once
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # the pool checks a connection before lending it
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "2")),
        "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "8")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
    }
SQLITE_BUSY_TIMEOUT = 20  # seconds a writer waits for SQLite's one write lock before "busy, try again"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so two writers queue
    # instead of deadlocking. The wait is ``timeout`` alone: a busy_timeout pragma here would override it.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": SQLITE_BUSY_TIMEOUT,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, broker and channel layer ---------------------------------------
# The cache is shared by all processes: django-q2 keeps cluster stats in it.
if REDIS_URL:
    # A Redis that stops answering fails a cache call in seconds rather than hanging it (and a probe) for good.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 5, "socket_timeout": 5},
        }
    }
    # Redis pub/sub: a consumer's channel ends with its socket. The list-based RedisChannelLayer keeps a queue
    # for every channel a frame reached after its consumer left, for good (channels_redis#384): daphne's memory
    # grew with every dashboard connection.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# django-q2 only wakes workers; attempts, backoff and dead letters live in
# messaging's own rows. Tuned per ../shared/ECOSYSTEM.md: keep no successful
# results, persistent connections, a short poll for low latency.
Q_CLUSTER = {
    "name": "marketplace",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 60,
    "retry": 90,
    "max_attempts": 3,
    "ack_failures": True,
    "save_limit": -1,
    "bulk": 10,
    "poll": 0.1,
    "recycle": 1000,
    "max_rss": 300_000,
    "catch_up": False,
    "log_level": "WARNING",
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# Messaging tunables (see messaging/runtime/conf.py for meaning and defaults).
MESSAGING = {}

# The dashboard's live stream (marketplace/dashboard/): how often each web process's journal tail polls, and
# how much one client may leave unacked before it is closed as too slow (4408).
DASHBOARD_TAIL_INTERVAL = float(os.environ.get("DASHBOARD_TAIL_INTERVAL", "0.2"))
DASHBOARD_MAX_UNACKED = 5000
DASHBOARD_MAX_UNACKED_BYTES = 4 * 1024 * 1024

# --- Auth, i18n, static ----------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/vendors/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["marketplace.formats"]  # the admin writes times as our pages do (marketplace_time)

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))  # filled by collectstatic
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# No STATICFILES_DIRS: marketplace/static is the marketplace app's, found as such (listed twice, every file
# was collected twice).
WHITENOISE_USE_FINDERS = DEBUG
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

# --- HTTPS: behind a proxy that ends TLS and says so in X-Forwarded-Proto ----------------------------------
# BEHIND_TLS_PROXY=1 trusts that header (the proxy must set it, overwriting the client's), sends plain-HTTP
# requests to HTTPS and keeps session and CSRF cookies to HTTPS. HSTS is a promise browsers remember for
# SECURE_HSTS_SECONDS, to every subdomain with SECURE_HSTS_INCLUDE_SUBDOMAINS: off until set.
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", BEHIND_TLS_PROXY)
# Probes come over plain HTTP from inside (a kubelet, a load balancer): redirected, they would read "passed".
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = BEHIND_TLS_PROXY
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# --- Observing it in production: metrics, traces, logs, probes (README, "Observing it in production") ---
# /metrics answers only with this bearer token, and 404 without one. Every process that has it records metrics
# (workers, sweepers, web), into files under METRICS_DIR that any web process on the host adds up at a scrape
# (prometheus-client's multiprocess mode, which reads PROMETHEUS_MULTIPROC_DIR when it is first imported).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_DIR = Path(os.environ.get("METRICS_DIR", VAR_DIR / "metrics"))
if METRICS_TOKEN:
    os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(METRICS_DIR))
# Traces: off unless the standard OpenTelemetry variables ask for them (OTEL_TRACES_EXPORTER=otlp, or an
# OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT; OTEL_SDK_DISABLED=true wins). The flow view links a correlation's
# trace when given a template such as "http://jaeger:16686/trace/{trace_id}".
TRACE_URL_TEMPLATE = os.environ.get("TRACE_URL_TEMPLATE", "")
# /readyz says "not ready" when no sweeper beat this recently, or the oldest due delivery waits longer.
READY_SWEEPER_SEEN_SECONDS = float(os.environ.get("READY_SWEEPER_SEEN_SECONDS", "60"))
READY_OLDEST_DUE_SECONDS = float(os.environ.get("READY_OLDEST_DUE_SECONDS", "300"))

# --- Logging: every line carries the message's correlation and causation --
# LOG_FORMAT=json: one JSON object a line (for a log shipper); the default, readable text.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"correlation": {"()": "messaging.logging.CorrelationFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [corr=%(correlation_id)s cause=%(causation_id)s] %(message)s"
        },
        "json": {"()": "messaging.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["correlation"], "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django-q": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}
