"""The embedded default for `make run`: SQLite, eager Celery, console email."""

from .base import *  # noqa: F403
from .base import env, env_list

DEBUG = True
# A development-only key; production refuses to start without its own.
SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")  # noqa: S105
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
IDENTITY_HASH_KEY = env("IDENTITY_HASH_KEY", "dev-only-identity-pepper")
LEDGER_HASH_KEY = env("LEDGER_HASH_KEY", "dev-only-ledger-key")
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
