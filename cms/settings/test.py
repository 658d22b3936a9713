"""Test settings. The suite runs against PostgreSQL and Redis (DATABASE_URL and
REDIS_URL, set by `make test` to this machine's services); Celery stays eager in
process unless a test starts a real worker itself."""

import os
import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = "test-only-key"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
IDENTITY_HASH_KEY = "test-only-identity-pepper"
LEDGER_HASH_KEY = "test-only-ledger-key"
DEBUG = False
# Eager in process; a server a test starts with real workers (the fault
# suite) turns it off.
CELERY_TASK_ALWAYS_EAGER = env("CELERY_TASK_ALWAYS_EAGER", "1") == "1"
CELERY_BROKER_URL = env("REDIS_URL", "memory://")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# Rate limits are exercised by their own test with a real cache; the rest of
# the suite logs in many times from one address.
ACCOUNT_RATE_LIMITS = {  # noqa: F405
    **ACCOUNT_RATE_LIMITS,  # noqa: F405
    "login_failed": "100/m/ip",
    "login_failed_pair": "100/m/key",
}

# Uploaded and generated files of the test run go to throwaway folders, shared
# with any web node or Celery worker a test starts (they inherit the
# environment), as a shared mount is on several nodes.
MEDIA_ROOT = Path(
    env("TDL_TEST_MEDIA_ROOT", "") or tempfile.mkdtemp(prefix="tdl-media-")
)
PRIVATE_MEDIA_ROOT = Path(
    env("TDL_TEST_PRIVATE_MEDIA_ROOT", "") or tempfile.mkdtemp(prefix="tdl-private-")
)
os.environ["TDL_TEST_MEDIA_ROOT"] = str(MEDIA_ROOT)
os.environ["TDL_TEST_PRIVATE_MEDIA_ROOT"] = str(PRIVATE_MEDIA_ROOT)
if STORAGE_BACKEND == "filesystem":  # noqa: F405
    STORAGES["private"] = {  # noqa: F405
        **STORAGES["private"],  # noqa: F405
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    }

# Signing keys of the test run: a throwaway secret file, shared with any Celery
# worker a test starts (it inherits the environment).
CREDENTIAL_KEYS_FILE = env("CREDENTIAL_KEYS_FILE", "") or str(
    Path(tempfile.mkdtemp(prefix="tdl-keys-")) / "credential-keys.json"
)
os.environ["CREDENTIAL_KEYS_FILE"] = CREDENTIAL_KEYS_FILE

# Ledger checkpoints of the test run: a throwaway folder (tests set their own).
LEDGER_CHECKPOINT_DIR = env("LEDGER_CHECKPOINT_DIR", "") or tempfile.mkdtemp(
    prefix="tdl-checkpoints-"
)
