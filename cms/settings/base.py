"""Settings shared by every environment. Everything that differs comes from the
environment (see README: "Configuration")."""

import datetime
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [
        item.strip() for item in (env(name, default) or "").split(",") if item.strip()
    ]


SECRET_KEY = env("SECRET_KEY")
DEBUG = False
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "cms.accounts",
    "cms.studios",
    "cms",
    "training",
    "training.courses",
    "credits",
    "badges",
    "training.recommendations",
    "portfolios",
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
    "treebeard",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
]

MIDDLEWARE = [
    # While PostgreSQL is unreachable: 503, Retry-After and a Chinese page.
    "cms.shared.reliability.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cms.middleware.SiteLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "cms.middleware.SiteAuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms.urls"

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
                "cms.context_processors.site_chrome",
            ],
        },
    },
]

WSGI_APPLICATION = "cms.wsgi.application"

# An embedded SQLite database unless DATABASE_URL points elsewhere.
# Several nodes (README "Running on several nodes"): DATABASE_POOLER=pgbouncer
# when DATABASE_URL (and DATABASE_REPLICA_URL) point at PgBouncer in
# transaction mode: no server-side cursors (a cursor would outlive the
# transaction PgBouncer lent its server connection for), and by default no
# persistent connections from Django (PgBouncer keeps the server ones).
# Django's psycopg backend already turns off prepared statements.
DATABASE_POOLER = (env("DATABASE_POOLER", "") or "").strip().lower()
if DATABASE_POOLER not in ("", "pgbouncer"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"DATABASE_POOLER must be empty or 'pgbouncer', not {DATABASE_POOLER!r}."
    )


def _database(url: str) -> dict:
    database = dj_database_url.parse(
        url,
        conn_max_age=int(
            env("DB_CONN_MAX_AGE", "0" if DATABASE_POOLER == "pgbouncer" else "60")
        ),
        # A connection left over from before a database restart is checked
        # (and replaced) before a request uses it, instead of failing it.
        conn_health_checks=True,
    )
    if DATABASE_POOLER == "pgbouncer":
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
    return database


DATABASES = {
    "default": _database(env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"))
}
# A PostgreSQL streaming replica for the heavy read pages (cms/shared/dbrouting.py);
# unset, everything reads and writes the primary.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = _database(DATABASE_REPLICA_URL)
    # Test runs use the primary's test database through this alias too.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["cms.shared.dbrouting.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("cms.shared.reliability.DatabaseUnavailableMiddleware") + 1,
        "cms.shared.dbrouting.ReplicaRoutingMiddleware",
    )
# The pages that read the replica, by URL name (GET only)...
REPLICA_READ_URL_NAMES = [
    "org_overview",
    "org_overview_csv",
    "org_overview_xlsx",
    "org_credits",
    "org_credits_csv",
    "org_credits_xlsx",
    "teacher_list",
    "teacher_export_csv",
    "teacher_export_xlsx",
]
# ... and by Wagtail page type (the course catalogue).
REPLICA_READ_PAGE_TYPES = ["courses.catalogueindexpage"]
# Never read from the replica, whatever the page: the credit ledger (written
# and verified only on the primary) and sessions.
REPLICA_NEVER_MODELS = [
    "credits.creditrecord",
    "credits.ledgerhead",
    "credits.transcript",
    "sessions.session",
]
# After a browser writes, all its reads go to the primary for this long
# (longer than the replica ever lags), on whichever node serves them.
REPLICA_PIN_COOKIE = "tdl_primary"
REPLICA_PIN_SECONDS = int(env("REPLICA_PIN_SECONDS", "30"))
# An anonymous page rendered from the replica is kept in the page cache this
# long at most (it may lag a change the cache's versions already count).
REPLICA_PAGE_CACHE_SECONDS = int(env("REPLICA_PAGE_CACHE_SECONDS", "10"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's and allauth's backends, loading the signed-in user with her roles
# and teacher profile in one query (cms/accounts/backends.py).
AUTHENTICATION_BACKENDS = [
    "cms.accounts.backends.ModelBackend",
    "cms.accounts.backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation."
        "UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# --- Internationalisation: Simplified Chinese by default, English available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static_collected"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Evidence and exports: never under MEDIA_ROOT, served only through views.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private_media")))
# Every uploaded or generated file goes through these storages
# (cms/shared/storage.py), so any app node or worker reads what another wrote:
# STORAGE_BACKEND=filesystem keeps them under MEDIA_ROOT and PRIVATE_MEDIA_ROOT
# (on several nodes: a shared mount), STORAGE_BACKEND=s3 in an S3-compatible
# object store (django-storages; AWS_* variables below).
STORAGE_BACKEND = env("STORAGE_BACKEND", "filesystem")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
if STORAGE_BACKEND == "s3":
    _S3 = {
        "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
        "endpoint_url": env("AWS_S3_ENDPOINT_URL"),  # e.g. a private object store
        "region_name": env("AWS_S3_REGION_NAME"),
        "addressing_style": env("AWS_S3_ADDRESSING_STYLE"),
        # Keys from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (boto3 reads them).
        "file_overwrite": False,  # a second upload of a name gets a new name
    }
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_S3,
            "location": env("AWS_MEDIA_PREFIX", "media"),
            # Public media: plain URLs (through AWS_S3_CUSTOM_DOMAIN, e.g. a CDN,
            # when set), readable by anyone as the media URL is today.
            "custom_domain": env("AWS_S3_CUSTOM_DOMAIN"),
            "querystring_auth": False,
        },
    }
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_S3,
            "bucket_name": env("AWS_PRIVATE_BUCKET_NAME", _S3["bucket_name"]),
            "location": env("AWS_PRIVATE_PREFIX", "private"),
            "default_acl": "private",
            "querystring_auth": True,  # never a public URL; views stream the file
        },
    }
    STORAGES["checkpoints"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            **_S3,
            # A bucket of its own with versioning or a retention lock, which
            # the database role has no way to reach.
            "bucket_name": env("AWS_CHECKPOINT_BUCKET_NAME", _S3["bucket_name"]),
            "location": env("AWS_CHECKPOINT_PREFIX", "ledger-checkpoints"),
            "default_acl": "private",
        },
    }
elif STORAGE_BACKEND != "filesystem":
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"STORAGE_BACKEND must be 'filesystem' or 's3', not {STORAGE_BACKEND!r}."
    )
# Wagtail documents are streamed through Wagtail's view, which checks a
# collection's privacy on every download, whatever the storage (with object
# storage Wagtail would otherwise redirect to the file's own, lasting URL).
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# Sessions in the database, which every app node shares (cms.W101 warns about
# engines that would keep them on one node).
# Django's database sessions, read with one plain statement.
SESSION_ENGINE = "cms.accounts.sessions"
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Cache and Celery: Redis when REDIS_URL is set, in-process otherwise.
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis, degrading to no cache (pages read the database) while
            # Redis is unreachable; see cms/shared/reliability.py.
            "BACKEND": "cms.shared.reliability.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 2},
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "tdl"),
        }
    }
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# A task whose worker process died is delivered again rather than dropped; one
# left unacknowledged by a worker killed outright comes back after the
# visibility timeout (and sooner from the job sweeper below).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(env("CELERY_VISIBILITY_TIMEOUT", "3600")),
    "socket_connect_timeout": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Long jobs (exports, campaigns, imports, credentials, portraits) report a
# heartbeat; the sweeper re-queues one whose heartbeat stopped for
# JOB_STALE_SECONDS, and marks it failed after JOB_MAX_ATTEMPTS tries.
JOB_STALE_SECONDS = int(env("JOB_STALE_SECONDS", "300"))
JOB_MAX_ATTEMPTS = int(env("JOB_MAX_ATTEMPTS", "3"))
JOB_SWEEP_SECONDS = int(env("JOB_SWEEP_SECONDS", "60"))
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE: dict = {
    # Before each year closes: remind teachers under the yearly minimum.
    "credit-compliance-reminders": {
        "task": "credits.tasks.compliance_reminders_task",
        "schedule": crontab(minute=0, hour=9, day_of_month=1, month_of_year="10,11,12"),
    },
    # Every night: recompute all teacher portraits (set-based, minutes at district scale).
    "portraits-recompute": {
        "task": "portfolios.recompute",
        "schedule": crontab(minute=30, hour=2),
    },
    # Jobs whose worker died: re-queue them, or mark them failed.
    "jobs-sweep": {
        "task": "cms.jobs_sweep",
        "schedule": datetime.timedelta(seconds=JOB_SWEEP_SECONDS),
    },
    # The ledger anchored outside the database (credits/checkpoints.py).
    "ledger-checkpoint": {
        "task": "credits.ledger_checkpoint",
        "schedule": datetime.timedelta(
            minutes=int(env("LEDGER_CHECKPOINT_MINUTES", "15"))
        ),
    },
}

# Separate queues, so that a district's bulk ZIP never delays a teacher's
# credential: a worker per queue (`celery -A cms worker -Q credentials`, see
# README "Running on several nodes"); a worker started without -Q takes them
# all. Every task is routed by its name (tests/test_celery_routes.py checks).
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_QUEUES_ALL = ["credentials", "exports", "campaigns", "reminders", "default"]
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in CELERY_QUEUES_ALL]
CELERY_TASK_ROUTES = {
    name: {"queue": queue, "routing_key": queue}
    for queue, names in {
        # A teacher waits for these.
        "credentials": ["badges.issue_credentials", "badges.revoke_for_reversal"],
        # Bulk files and recomputations.
        "exports": [
            "credits.tasks.export_build_task",
            "api.exchange_export",
            "portfolios.recompute",
        ],
        # Bulk enrolment, rosters, re-checks after a course changes.
        "campaigns": [
            "training.courses.tasks.campaign_run_task",
            "training.courses.tasks.course_completions_recheck_task",
            "cms.accounts.tasks.teacher_import_apply_task",
            "cms.accounts.tasks.teacher_import_parse_task",
        ],
        "reminders": ["credits.tasks.compliance_reminders_task"],
        # Small and frequent: the sweeper, checkpoints, webhooks.
        "default": [
            "cms.jobs_sweep",
            "credits.ledger_checkpoint",
            "api.webhook_fanout",
            "api.webhook_deliver",
            "api.webhook_sweep",
        ],
    }.items()
    for name in names
}
# The beat schedule runs once however many nodes there are: exactly one
# `celery -A cms beat` process (or one worker with -B). A second beat started
# by mistake waits on a Redis lock instead of sending everything twice
# (cms/beat.py, CELERY_BEAT_LOCK_SECONDS).
CELERY_BEAT_LOCK_SECONDS = int(env("CELERY_BEAT_LOCK_SECONDS", "60"))
if REDIS_URL:
    CELERY_BEAT_SCHEDULER = "cms.beat:LockedScheduler"

# --- Email: console unless an SMTP server is configured.
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "教师数字素养平台 <noreply@localhost>")

# --- Accounts (django-allauth): email login, verification, TOTP, rate limits.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_USER_DISPLAY = "cms.accounts.models.user_display"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[教师数字素养平台] "
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "5/5m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "教师数字素养平台"
SOCIALACCOUNT_ONLY = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False

# A regional unified-identity provider (统一身份认证), off unless configured.
# A first login links to an existing teacher by OIDC_LINK_CLAIM ("staff_number"
# or "email", the latter only when email_verified is true), within the
# organisation the provider asserts in OIDC_ORGANISATION_CLAIM (its 机构代码);
# nobody is created. Logout ends the provider's session too. See
# cms/accounts/regional.py and the README.
OIDC_SERVER_URL = env("OIDC_SERVER_URL")
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID")
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET")
OIDC_SCOPES = env("OIDC_SCOPES", "openid profile email").split()
OIDC_LINK_CLAIM = env("OIDC_LINK_CLAIM", "staff_number")
OIDC_STAFF_NUMBER_CLAIM = env("OIDC_STAFF_NUMBER_CLAIM", "staff_number")
OIDC_ORGANISATION_CLAIM = env("OIDC_ORGANISATION_CLAIM", "org_code")
SOCIALACCOUNT_ADAPTER = "cms.accounts.adapter.SocialAccountAdapter"
# The provider vouches for who she is: no second email check after it.
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_PROVIDERS: dict = {}


def regional_provider(
    server_url: str, client_id: str, secret: str, scopes: list[str] | None = None
) -> dict:
    """SOCIALACCOUNT_PROVIDERS for one regional OpenID Connect provider."""
    return {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": env("OIDC_PROVIDER_ID", "regional"),
                    "name": env("OIDC_PROVIDER_NAME", "统一身份认证"),
                    "client_id": client_id,
                    "secret": secret,
                    "settings": {
                        "server_url": server_url,
                        "scope": scopes or OIDC_SCOPES,
                        "oauth_pkce_enabled": True,
                    },
                }
            ]
        }
    }


if OIDC_SERVER_URL and OIDC_CLIENT_ID:
    SOCIALACCOUNT_PROVIDERS = regional_provider(
        OIDC_SERVER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET or ""
    )

# --- Wagtail
WAGTAIL_SITE_NAME = "教师数字素养平台"
# No avatars fetched from gravatar.com: the admin shows its own placeholder
# (nothing about our users leaves the site, and nothing is loaded from outside).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# Nor does the admin ask releases.wagtail.org for upgrades (upgrades come
# through pyproject.toml).
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAILADMIN_BASE_URL = env("SITE_BASE_URL", "http://127.0.0.1:8000")
# Studio articles are approved by their studio's leader or a district reviewer.
WAGTAIL_FINISH_WORKFLOW_ACTION = "cms.studios.workflows.publish_approved"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = [
    "csv",
    "docx",
    "key",
    "odt",
    "pdf",
    "pptx",
    "rtf",
    "txt",
    "xlsx",
    "zip",
]

# --- Platform
SITE_BASE_URL = WAGTAILADMIN_BASE_URL
# Verifiable credentials (badges/). Private signing keys never go in the
# database: CREDENTIAL_KEYS holds them as JSON, or CREDENTIAL_KEYS_FILE names a
# secret file ({"issuer-slug": {"key-id": "z..."}}); `manage.py
# credential_key_generate` makes one. Outside production a key is made on
# first use (CREDENTIAL_AUTO_KEY) into the file.
CREDENTIAL_KEYS = env("CREDENTIAL_KEYS", "")
CREDENTIAL_KEYS_FILE = env(
    "CREDENTIAL_KEYS_FILE", str(BASE_DIR / "var" / "credential-keys.json")
)
CREDENTIAL_AUTO_KEY = True
# A studio's issuer key (for its leader's endorsements) is made on the studio's
# first endorsement and written to CREDENTIAL_KEYS_FILE, in production too.
CREDENTIAL_STUDIO_AUTO_KEY = env_bool("CREDENTIAL_STUDIO_AUTO_KEY", True)
# The did:web host (defaults to SITE_BASE_URL's host, port as %3A).
CREDENTIAL_DID_HOST = env("CREDENTIAL_DID_HOST", "")
# Credentials other platforms issued (badges/outside.py): their did:web
# documents and status lists are fetched over https from public addresses only;
# hosts listed here may also be plain http and private/loopback (tests).
OUTSIDE_CREDENTIAL_INSECURE_HOSTS = [
    h for h in env("OUTSIDE_CREDENTIAL_INSECURE_HOSTS", "").split(",") if h
]
# Pepper for the keyed hash of national ID numbers; never stored with the data.
IDENTITY_HASH_KEY = env("IDENTITY_HASH_KEY")
# A TrueType CJK font for PDFs (embedded as a subset); the first that exists.
PDF_CJK_FONT_PATHS = [
    p
    for p in [
        env("PDF_CJK_FONT"),
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/arphic/uming.ttc",
    ]
    if p
]
# Self-assessment retakes: once per term unless a number of days is set.
ASSESSMENT_RETAKE_DAYS = env("ASSESSMENT_RETAKE_DAYS")
TEACHER_IMPORT_MAX_ROWS = 20000
TEACHER_IMPORT_MAX_BYTES = 10 * 1024 * 1024
# --- Upload limits for every spreadsheet import (cms/shared/tables.py), checked while
# streaming, before a parser sees the file (issue 13.4). The two above are the
# file size and row limits.
TABLE_MAX_COLUMNS = 50
# XML elements in all members: a cell is 2 to 4 (c, v or is/t), so this is
# about 20,000 rows of 25 columns.
TABLE_XLSX_MAX_ELEMENTS = 2_000_000
TABLE_XLSX_MAX_UNCOMPRESSED = 40 * 1024 * 1024  # all zip members, unpacked
TABLE_XLSX_MAX_RATIO = 100  # unpacked / packed, for members over 1 MB
TABLE_XLSX_MAX_MEMBERS = 200
# A file with more rows than this is read and checked by a Celery worker,
# the page showing progress; smaller ones are checked during the upload.
TABLE_BACKGROUND_ROWS = 2000
# Set by the benchmark harness: add an X-Query-Count header to every response.
QUERY_COUNT_HEADER = env_bool("QUERY_COUNT_HEADER")
if QUERY_COUNT_HEADER:
    MIDDLEWARE.insert(0, "cms.middleware.QueryCountHeaderMiddleware")

# --- Hardening (issue 13.7), grouped for merging: NUL bytes in URLs answer 400,
# CSP and Permissions-Policy headers, two-factor authentication required of
# platform admins and HR (on in production), login throttling per account and
# per (account, address) pair, and a 503 page when mail cannot be sent.
MIDDLEWARE.insert(0, "cms.security.SecurityHeadersMiddleware")
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "cms.security.RejectNulBytesMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("allauth.account.middleware.AccountMiddleware") + 1,
    "cms.security.RequireAdminMfaMiddleware",
)
MIDDLEWARE.append("cms.security.MailUnavailableMiddleware")
# Scripts only from this site or inline with the request's nonce; styles from
# this site (style attributes allowed); pictures may be data: URIs (QR codes);
# video embeds in course pages may frame other https sites.
# Public media in an object store (STORAGE_BACKEND=s3) is served from its host:
# pictures and the video lessons are allowed from there.
MEDIA_ORIGIN = env("MEDIA_ORIGIN", "")
if STORAGE_BACKEND == "s3" and not MEDIA_ORIGIN:
    from urllib.parse import urlsplit as _urlsplit

    if env("AWS_S3_CUSTOM_DOMAIN"):
        MEDIA_ORIGIN = f"https://{env('AWS_S3_CUSTOM_DOMAIN')}"
    elif env("AWS_S3_ENDPOINT_URL"):
        _parts = _urlsplit(env("AWS_S3_ENDPOINT_URL"))
        MEDIA_ORIGIN = f"{_parts.scheme}://{_parts.netloc}"
    else:
        MEDIA_ORIGIN = "https://*.amazonaws.com"
_MEDIA = f" {MEDIA_ORIGIN}" if MEDIA_ORIGIN else ""
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
    "style-src 'self'; style-src-attr 'unsafe-inline'; "
    f"img-src 'self' data: blob:{_MEDIA}; media-src 'self' blob:{_MEDIA}; "
    "font-src 'self' data:; "
    "connect-src 'self'; frame-src 'self' https:; frame-ancestors 'self'; "
    "object-src 'none'; base-uri 'self'"
)
# The Wagtail and Django admins run inline scripts and styles of their own.
CSP_ADMIN_PATHS = ["/admin/", "/django-admin/"]
CONTENT_SECURITY_POLICY_ADMIN = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; "
    "media-src 'self' blob: https:; font-src 'self' data:; connect-src 'self'; "
    "frame-src 'self' https:; frame-ancestors 'self'; object-src 'none'; "
    "base-uri 'self'"
)
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), "
    "geolocation=(), gyroscope=(), magnetometer=(), microphone=(), midi=(), "
    "payment=(), usb=(), fullscreen=(self)"
)
MFA_REQUIRED_FOR_ADMINS = env_bool("MFA_REQUIRED_FOR_ADMINS", False)
# Pages an administrator without two-factor authentication may still open:
# the account pages (set-up, re-authentication, sign-out) and static files.
MFA_SETUP_OPEN_PATHS = ["/accounts/", "/static/", "/media/", "/i18n/"]
ACCOUNT_ADAPTER = "cms.accounts.adapter.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    **ACCOUNT_RATE_LIMITS,
    # One address (a whole school) may fail often; one account from all
    # addresses a little; one account from one address five times.
    "login_failed": "200/5m/ip,20/15m/key",
    "login_failed_pair": "5/5m/key",
}
# Clients' addresses come from the reverse proxy's X-Forwarded-For (production
# sets 1); without a proxy leave 0, or anyone could pick their address.
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "10"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # Every page save logs a line from Wagtail and each of its background index
    # updates two more; keep those for when something goes wrong.
    "loggers": {
        name: {"level": env("WAGTAIL_LOG_LEVEL", "WARNING")}
        for name in ("wagtail", "django.tasks", "django_tasks", "modelsearch")
    },
}

# The key of the credit ledger's hash chain (HMAC); kept out of the database so
# that rows written around the application cannot be made to verify.
LEDGER_HASH_KEY = env("LEDGER_HASH_KEY")

# Public, unauthenticated endpoints: requests per client address and window
# (seconds), counted in the cache (cms.shared.ratelimit). 429 with a Chinese message.
PUBLIC_RATE_LIMITS = {
    # verify page (POST) and API
    "credential_verify": (int(env("RATE_LIMIT_VERIFY_PER_MINUTE", "30")), 60),
    # transcript-code lookup and its result page
    "transcript_lookup": (int(env("RATE_LIMIT_TRANSCRIPT_PER_MINUTE", "60")), 60),
}

# Signed checkpoints of the ledger head go here, write-once; in production a
# directory (or a mounted object-storage bucket) the database role cannot touch.
LEDGER_CHECKPOINT_DIR = env(
    "LEDGER_CHECKPOINT_DIR", str(BASE_DIR / "var" / "ledger-checkpoints")
)

# --- Open API (/api/v1/), webhooks and the provincial exchange (cms/api) ---
INSTALLED_APPS.insert(INSTALLED_APPS.index("cms"), "cms.api")
MIDDLEWARE.append("cms.api.middleware.ApiCallLogMiddleware")
# Public pages answered from the cache for visitors not signed in, while
# nothing they show has changed (cms/shared/pagecache.py).
MIDDLEWARE.append("cms.shared.pagecache.AnonymousPageCacheMiddleware")
# Lifetime of a client-credentials access token, in seconds.
API_TOKEN_SECONDS = int(env("API_TOKEN_SECONDS", "3600"))
API_PERSONAL_RATE_LIMIT = int(env("API_PERSONAL_RATE_LIMIT", "120"))  # per minute
# The prefix of every ledger record's global id in the API and the exchange.
API_RECORD_ID_PREFIX = env("API_RECORD_ID_PREFIX", "tdl")
# Webhook signing secrets are derived from this key (default SECRET_KEY).
API_WEBHOOK_KEY = env("API_WEBHOOK_KEY", "")
API_WEBHOOK_BACKOFF_SECONDS = float(env("API_WEBHOOK_BACKOFF_SECONDS", "30"))
API_WEBHOOK_MAX_ATTEMPTS = int(env("API_WEBHOOK_MAX_ATTEMPTS", "8"))
# Receivers on http:// or on private addresses only where explicitly allowed.
API_WEBHOOK_ALLOW_HTTP = env_bool("API_WEBHOOK_ALLOW_HTTP")
API_WEBHOOK_ALLOW_PRIVATE = env_bool("API_WEBHOOK_ALLOW_PRIVATE")
# The provincial platform's batch endpoint (empty: batches are kept for upload
# by hand) and the HMAC key that signs what is sent there.
API_EXCHANGE_URL = env("API_EXCHANGE_URL", "")
API_EXCHANGE_KEY = env("API_EXCHANGE_KEY", "")
API_EXCHANGE_ORGANISATION_KINDS = env_list("API_EXCHANGE_ORGANISATION_KINDS") or [
    "district"
]
CELERY_BEAT_SCHEDULE["api-webhook-sweep"] = {
    "task": "api.webhook_sweep",
    "schedule": 60.0,
}
# On the 2nd of each month: last month's credit records to the province.
CELERY_BEAT_SCHEDULE["api-provincial-exchange"] = {
    "task": "api.exchange_export",
    "schedule": crontab(minute=0, hour=3, day_of_month=2),
}
