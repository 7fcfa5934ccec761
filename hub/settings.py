"""Guildhall settings, read only from environment variables (django-environ).

Unset, every variable gives the embedded default: SQLite under VAR_DIR, an in-memory channel layer, Celery on a
filesystem broker, local-memory cache, offline payments and email written to files. Set, they select the
production stack. `.env.example` documents each one.
"""

import json
import os
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)
# Production secrets have no default: with DEBUG off a missing SECRET_KEY stops start-up.
SECRET_KEY = env("SECRET_KEY") if not DEBUG else env("SECRET_KEY", default="insecure-embedded-default-key")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://localhost:{}".format(env("PORT", default="8000")))

VAR_DIR = Path(env("VAR_DIR", default=str(BASE_DIR / "var"))).resolve()
VAR_DIR.mkdir(parents=True, exist_ok=True)

INSTALLED_APPS = [
    "daphne",
    "hub",
    "community",
    "mentoring",
    "playbooks",
    "cohorts",
    "listings",
    "orders",
    "dashboards",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "allauth",
    "allauth.account",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Days visited for trust levels, and suspended members kept to their standing page (community/middleware.py).
    "community.middleware.MemberActivityMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "hub.urls"
WSGI_APPLICATION = "hub.wsgi.application"
ASGI_APPLICATION = "hub.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hub.context_processors.site_chrome",
                "community.context_processors.navigation",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'guildhall.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process, the Celery worker and beat read while one of them writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, channel layer, Celery broker -------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Several processes (or pytest-xdist workers) may share one Redis: a prefix keeps their keys apart.
REDIS_PREFIX = env("REDIS_PREFIX", default="guildhall")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
    # redis: channels-redis's default layer (lists per channel); redis-pubsub: its pub/sub layer, which delivers a
    # group broadcast to many sockets faster (bench/README.md, "A live room").
    CHANNEL_LAYER = env("CHANNEL_LAYER", default="redis")
    CHANNEL_LAYER_BACKENDS = {
        "redis": "channels_redis.core.RedisChannelLayer",
        "redis-pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    }
    if CHANNEL_LAYER not in CHANNEL_LAYER_BACKENDS:
        raise ImproperlyConfigured(f"CHANNEL_LAYER must be one of {sorted(CHANNEL_LAYER_BACKENDS)}")
    # redis-py's default socket timeout (5 s) equals channels-redis's blocking read (BZPOPMIN, 5 s): on a busy
    # machine an idle socket's read timed out first and the consumer died ("Timeout reading from ..."), closing
    # the websocket. The socket timeout has to outlast the blocking read.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": CHANNEL_LAYER_BACKENDS[CHANNEL_LAYER],
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 15}], "prefix": f"{REDIS_PREFIX}:asgi"},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_PREFIX}:celery:"}
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_PREFIX}:celery:"}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "celery" / "broker"
    for _sub in ("queue", "processed"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
    (VAR_DIR / "celery" / "results").mkdir(parents=True, exist_ok=True)
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery' / 'results'}"
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 300
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celery" / "beat-schedule")
CELERY_TIMEZONE = "UTC"
# Periodic tasks (Celery beat). Each task is idempotent: a missed or doubled run does no harm.
CELERY_BEAT_SCHEDULE = {
    "listings-search-vocabulary": {
        "task": "listings.search_terms_rebuild",
        "schedule": 24 * 60 * 60,  # nightly: document counts for typo corrections, archived words dropped
    },
    # Orders: the timeouts (orders/timeouts.py) and the retries of refunds and payouts.
    "orders-requests-expire": {"task": "orders.requests_expire", "schedule": 5 * 60},
    "orders-payments-abandon": {"task": "orders.payments_abandon", "schedule": 10 * 60},
    "orders-bookings-fulfil": {"task": "orders.bookings_fulfil", "schedule": 5 * 60},
    "orders-complete": {"task": "orders.orders_complete", "schedule": 15 * 60},
    "orders-reminders": {"task": "orders.reminders_send", "schedule": 10 * 60},
    "orders-gateway-retries": {"task": "orders.gateway_calls_retry", "schedule": 10 * 60},
    "orders-disputes-escalate": {"task": "orders.disputes_escalate", "schedule": 15 * 60},
    "orders-reviews-publish": {"task": "orders.reviews_publish", "schedule": 60 * 60},
    # Payouts: every Monday morning, each seller's available balance above PAYOUT_MINIMUM (or on request any time).
    "orders-payouts-weekly": {"task": "orders.payouts_scheduled", "schedule": crontab(hour=5, minute=0, day_of_week=1)},
    # Live sessions: reminders 24 h and 1 h before (each claimed once), and ending/archiving past sessions.
    "live-reminders": {"task": "community.live.reminders_send", "schedule": 5 * 60},
    "live-sessions-finish": {"task": "community.live.sessions_finish", "schedule": 10 * 60},
    # Notifications: yesterday's digest, once per member per day (community.notifications.services).
    "community-notifications-digest": {
        "task": "community.notifications_digest_send",
        "schedule": crontab(hour=6, minute=0),
    },
}

# --- Accounts -----------------------------------------------------------------------------------------------
AUTH_USER_MODEL = "community.Member"
# Django's and allauth's backends, loading the member with their profile and roles (community/auth_backends.py).
AUTHENTICATION_BACKENDS = [
    "community.auth_backends.MemberBackend",
    "community.auth_backends.MemberAuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "community:profile_edit"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# Login, signup and password reset answer the same whether or not an email is registered.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Guildhall] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="http" if DEBUG else "https")
ACCOUNT_FORMS = {"signup": "community.forms.MemberSignupForm"}
ACCOUNT_ADAPTER = "community.adapters.MemberAccountAdapter"
# Rate limits at least as strict as Discourse's defaults (6 logins a minute and 30 an hour per IP; 3 password
# resets a minute and 6 an hour per IP; 3 new accounts an hour per IP). Keys: ip, key (the email), user.
ACCOUNT_RATE_LIMITS = {
    "login": "6/m/ip,30/h/ip",
    "login_failed": "5/m/ip,5/5m/key",
    "signup": "3/m/ip,10/h/ip",
    "reset_password": "3/m/ip,6/h/ip,3/h/key",
    "reset_password_from_key": "6/m/ip",
    "confirm_email": "1/3m/key",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}

# The same proxy count for allauth's per-IP limits (0: REMOTE_ADDR only).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("NUM_PROXIES", default=0)

SMS_BACKEND = env("SMS_BACKEND", default="community.sms.ConsoleSMSBackend")

# --- REST API -----------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "hub.api.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "hub.api.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "hub.api.exception_handler",
    # How many proxies in front of the site append to X-Forwarded-For; 0 trusts only REMOTE_ADDR, so a client cannot
    # dodge throttles with a forged header.
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/min"),
        "user": env("API_THROTTLE_USER", default="600/min"),
        "auth_token": env("API_THROTTLE_AUTH_TOKEN", default="6/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Guildhall API",
    "DESCRIPTION": "The marketplace and community API. Authenticate with `Authorization: Bearer <token>`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "PREPROCESSING_HOOKS": ["hub.api.schema_public_endpoints"],
    # Several apps have a `kind` field with different choices: each enum gets a stable, meaningful name.
    "ENUM_NAME_OVERRIDES": {
        "ListingKindEnum": "listings.models.ListingKind",
        "TopicKindEnum": "community.models.forums.TopicKind",
        "OrderPartyEnum": ["buyer", "seller"],
        "EmailDeliveryEnum": "community.models.notifications.EmailDelivery",
        "NotificationKindEnum": "community.models.notifications.NotificationKind",
    },
    # Swagger UI is served from our own static files, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Internationalisation -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "hub" / "static"]
MEDIA_URL = env("MEDIA_URL", default="/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Django serves local media itself on the embedded default; in production a proxy or the storage's CDN does.
SERVE_MEDIA = env.bool("SERVE_MEDIA", default=DEBUG)
# Identity documents never share the public media storage: staff read them through an authorised view.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
STORAGES = {
    # Any Django storage, S3-compatible ones included: MEDIA_STORAGE_BACKEND plus its OPTIONS as JSON.
    "default": {
        "BACKEND": env("MEDIA_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(env("MEDIA_STORAGE_OPTIONS", default="{}")),
    },
    "private": {
        "BACKEND": env("PRIVATE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(
            env("PRIVATE_STORAGE_OPTIONS", default=json.dumps({"location": str(PRIVATE_MEDIA_ROOT)}))
        ),
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage",
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
AVATAR_MAX_BYTES = 5 * 1024 * 1024
AVATAR_MAX_PIXELS = 25_000_000
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024

# --- Email --------------------------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Guildhall <no-reply@guildhall.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = str(VAR_DIR / "mail")
if "EMAIL_URL" in os.environ:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"

# --- Payments -----------------------------------------------------------------------------------------------
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY", default="")  # for Stripe.js on the pay page
STRIPE_API_BASE = env("STRIPE_API_BASE", default="")  # only for a fake Stripe server in tests
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="stripe" if STRIPE_SECRET_KEY else "offline")

# --- Messaging -----------------------------------------------------------------------------------------------
# community must not import orders: it asks these two functions whether a paid order joins two members (then
# contact details pass unmasked) and who an order's parties are (for a thread about an order).
MESSAGING_PAID_ORDER_CHECK = "orders.hooks.paid_order_exists"
# Trust levels count completed orders and good reviews through this function (community/trust.py).
TRUST_MARKETPLACE_COUNTS = "orders.hooks.member_marketplace_counts"
MESSAGING_ORDER_PARTIES = "orders.hooks.order_parties"
# Stripe signs the Connect endpoint's events (sellers' accounts: account.updated, payout.paid) with its own secret.
STRIPE_CONNECT_WEBHOOK_SECRET = env("STRIPE_CONNECT_WEBHOOK_SECRET", default="")
# Celery tasks outside an app's tasks.py (apps' tasks.py modules are found by autodiscovery).
CELERY_IMPORTS = ["orders.webhooks", "orders.connect", "community.live.tasks", "community.trust"]
CELERY_BEAT_SCHEDULE["orders-stripe-events-retry"] = {"task": "orders.stripe_events_retry", "schedule": 10 * 60}
# Trust levels: nightly promotion and demotion (community/trust.py, which holds the task).
CELERY_BEAT_SCHEDULE["community-trust-levels-refresh"] = {
    "task": "community.trust_levels_refresh",
    "schedule": 24 * 60 * 60,
}

# --- Wagtail ------------------------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Guildhall"
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAIL_I18N_ENABLED = False
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "txt", "xlsx"]
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000

# --- Security -----------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie; Django's default.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if env.bool("BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SILENCED_SYSTEM_CHECKS = [
    # W021 asks for HSTS preload; preloading is a one-way decision for the operator's domain, so it is opt-in
    # through SECURE_HSTS_PRELOAD.
    "security.W021",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        "wagtail": {"level": "WARNING"},
    },
}
