"""Production: PostgreSQL, Redis, a real Celery worker and beat, gunicorn behind a
TLS-terminating reverse proxy. Refuses to start without its secrets."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import DATABASES, STORAGE_BACKEND, env, env_bool, env_list

DEBUG = False


def _required(name: str) -> str:
    value = env(name)
    if not value:
        raise ImproperlyConfigured(
            f"{name} must be set in the environment for production settings."
        )
    return value


SECRET_KEY = _required("SECRET_KEY")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the environment.")
IDENTITY_HASH_KEY = _required("IDENTITY_HASH_KEY")
LEDGER_HASH_KEY = _required("LEDGER_HASH_KEY")
_required("DATABASE_URL")
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("Production runs on PostgreSQL (DATABASE_URL).")
_required("REDIS_URL")
if STORAGE_BACKEND == "s3":
    _required("AWS_STORAGE_BUCKET_NAME")
# Credentials are signed only with keys put in place by an operator
# (CREDENTIAL_KEYS or CREDENTIAL_KEYS_FILE); none is ever made on the fly, and
# issuing without one fails with a message naming the missing key.
CREDENTIAL_AUTO_KEY = False
CREDENTIAL_KEYS_FILE = env("CREDENTIAL_KEYS_FILE", "")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# --- Hardening (issue 13.7): platform admins and HR must use two-factor
# authentication (MFA_REQUIRED_FOR_ADMINS=0 to switch off), and client
# addresses for login throttling come from the one reverse proxy in front.
MFA_REQUIRED_FOR_ADMINS = env_bool("MFA_REQUIRED_FOR_ADMINS", True)
ALLAUTH_TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "1"))
