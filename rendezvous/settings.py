"""Django settings: every knob comes from the environment (see README, "Configuration")."""

from __future__ import annotations

from pathlib import Path

from .config import (
    ConfigError,
    env_bool,
    env_choice,
    env_int,
    env_rate,
    env_str,
    env_url,
    load_or_create_secret_key,
    parse_database_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "data"))).resolve()

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if SECRET_KEY is None:
    if not DEBUG:
        raise ConfigError("SECRET_KEY: required when DEBUG is off (set DEBUG=true for development)")
    SECRET_KEY = load_or_create_secret_key(DATA_DIR)

BASE_URL = env_url("BASE_URL", "http://127.0.0.1:8000")
ALLOWED_HOSTS = [h.strip() for h in (env_str("ALLOWED_HOSTS", "") or "").split(",") if h.strip()]
_base_host = BASE_URL.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0]
ALLOWED_HOSTS += [_base_host, "127.0.0.1", "localhost"]
CSRF_TRUSTED_ORIGINS = [BASE_URL.split("/", 3)[0] + "//" + BASE_URL.split("/", 3)[2]]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "events",
    "mail",
    "notifications",
    "booking",
    "planner",
    "dav",
    "sources",
    "webhooks",
    "reminders",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    "api.middleware.ApiSpeaksEnglishMiddleware",
    # After the language is chosen (its refusal is translated), before any view.
    "rendezvous.input_boundary.InputBoundaryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, so that it sees a view's exception first: a dead capability link gets its
    # branded page even under DEBUG.
    "accounts.dead_links.DeadLinkMiddleware",
]

ROOT_URLCONF = "rendezvous.urls"
WSGI_APPLICATION = "rendezvous.wsgi.application"

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
            ],
        },
    },
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": parse_database_url(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'rendezvous.sqlite3'}") or ""
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "events:week"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 3
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The five languages our users read, each named in itself. Every catalogue is complete
# (scripts/check-messages, run by CI); .mo files are compiled at set-up, never committed.
LANGUAGES = [
    ("en", "English"),
    ("it", "Italiano"),
    ("pl", "Polski"),
    ("es", "Español"),
    ("de", "Deutsch"),
]
# Each app keeps its own catalogue; listing them here (before the project's own, which
# holds the shared templates) also tells makemessages which file's strings go where.
TRANSLATED_APPS = [
    "accounts",
    "api",
    "booking",
    "dav",
    "events",
    "mail",
    "notifications",
    "planner",
    "sources",
    "webhooks",
    "reminders",
]
LOCALE_PATHS = [BASE_DIR / app / "locale" for app in TRANSLATED_APPS] + [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "uploads"
# MEDIA_URL stays unset: uploads are never served as static files, only through views
# that check who may read them (events.attachment_views).
# The largest file one may attach to an event, in bytes (default 25 MB).
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 25 * 1024 * 1024, minimum=1)
# The first handler stops storing an upload once it passes ATTACHMENT_MAX_BYTES.
FILE_UPLOAD_HANDLERS = [
    "events.attachments.AttachmentSizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# The event form sends four fields per guest and allows 1,000 guests (events.guests).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 4200
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Outgoing mail: an SMTP relay when SMTP_HOST is set, otherwise .eml files in DATA_DIR/mail.
SMTP_HOST = env_str("SMTP_HOST")
SMTP_PORT = env_int("SMTP_PORT", 25, minimum=1, maximum=65535)
SMTP_USER = env_str("SMTP_USER")
SMTP_PASSWORD = env_str("SMTP_PASSWORD")
SMTP_SECURITY = env_choice("SMTP_SECURITY", ("none", "starttls", "tls"), "none")
SMTP_TIMEOUT = env_int("SMTP_TIMEOUT", 30, minimum=1, maximum=600)
MAIL_FILE_DIR = DATA_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"Rendezvous <noreply@{_base_host}>")
# Django's own mail API (send_mail, mail_admins, PasswordResetForm) also goes to the outbox.
EMAIL_BACKEND = "mail.backends.OutboxBackend"
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10, minimum=1, maximum=50)
OUTBOX_BACKOFF_SECONDS = env_int("OUTBOX_BACKOFF_SECONDS", 60, minimum=0, maximum=86400)

INBOUND_DOMAIN = env_str("INBOUND_DOMAIN")
INBOUND_SMTP_HOST = env_str("INBOUND_SMTP_HOST", "127.0.0.1")
INBOUND_SMTP_PORT = env_int("INBOUND_SMTP_PORT", 2525, minimum=1, maximum=65535)

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# Booking links: the video room of a booked meeting ("{room}" becomes a random name; "none":
# no video link), per-client-address limits on the public pages/API, and how many reverse
# proxies in front of us append to X-Forwarded-For (0: use the socket's address).
BOOKING_VIDEO_URL_TEMPLATE = env_str("BOOKING_VIDEO_URL_TEMPLATE", "https://meet.jit.si/{room}")
if BOOKING_VIDEO_URL_TEMPLATE != "none" and (
    not BOOKING_VIDEO_URL_TEMPLATE.startswith(("https://", "http://"))
    or "{room}" not in BOOKING_VIDEO_URL_TEMPLATE
):
    raise ConfigError(
        "BOOKING_VIDEO_URL_TEMPLATE: expected an http(s) URL containing {room}, or none, "
        f"got {BOOKING_VIDEO_URL_TEMPLATE!r}"
    )
BOOKING_SLOTS_RATE = env_rate("BOOKING_SLOTS_RATE", "60/m")
BOOKING_BOOKINGS_RATE = env_rate("BOOKING_BOOKINGS_RATE", "20/h")
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=10)
# Failed sign-ins and password-reset requests, per e-mail typed and per client address
# (accounts.throttle); past them the form asks to wait.
SIGNIN_FAILURES_PER_ACCOUNT = env_rate("SIGNIN_FAILURES_PER_ACCOUNT", "10/h")
SIGNIN_FAILURES_PER_ADDRESS = env_rate("SIGNIN_FAILURES_PER_ADDRESS", "50/h")
# Calendar apps (CalDAV, app passwords): a phone with a revoked password keeps polling
# every few minutes, so the per-account budget is a little wider than the web's.
DAV_FAILURES_PER_ACCOUNT = env_rate("DAV_FAILURES_PER_ACCOUNT", "20/h")
DAV_FAILURES_PER_ADDRESS = env_rate("DAV_FAILURES_PER_ADDRESS", "100/h")
# Busy sources (sources/): outside calendars read by the worker.
OUTBOUND_ALLOW_PRIVATE = env_bool("OUTBOUND_ALLOW_PRIVATE", False)
ENCRYPTION_KEY = env_str("ENCRYPTION_KEY")
if ENCRYPTION_KEY is None:
    if not DEBUG:
        raise ConfigError(
            "ENCRYPTION_KEY: required when DEBUG is off (32 or more random characters; "
            "it encrypts stored calendar credentials)"
        )
    ENCRYPTION_KEY = "derived-for-development:" + SECRET_KEY
elif len(ENCRYPTION_KEY.split(",")[0].strip()) < 32:
    raise ConfigError("ENCRYPTION_KEY: at least 32 characters")
SOURCE_REFRESH_MINUTES = env_int("SOURCE_REFRESH_MINUTES", 10, minimum=1, maximum=1440)
SOURCE_STALE_MINUTES = env_int("SOURCE_STALE_MINUTES", 60, minimum=5, maximum=10080)
SOURCE_FAILURES_BEFORE_MAIL = env_int("SOURCE_FAILURES_BEFORE_MAIL", 3, minimum=1, maximum=100)
# Webhooks (webhooks/): a receiver failing for this long is switched off, its admins told.
WEBHOOK_DISABLE_AFTER_HOURS = env_int("WEBHOOK_DISABLE_AFTER_HOURS", 72, minimum=1, maximum=720)
PASSWORD_RESETS_PER_ACCOUNT = env_rate("PASSWORD_RESETS_PER_ACCOUNT", "5/h")
PASSWORD_RESETS_PER_ADDRESS = env_rate("PASSWORD_RESETS_PER_ADDRESS", "20/h")

_cache_url = env_str("CACHE_URL")
if _cache_url is None:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
elif _cache_url.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": _cache_url,
        }
    }
else:
    raise ConfigError(f"CACHE_URL: expected redis://host:port/db, got {_cache_url!r}")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
