"""National ID numbers (居民身份证号码): validated, then kept only as a keyed hash."""

import hashlib
import hmac
import re

from django.conf import settings

_ID_RE = re.compile(r"^\d{17}[\dX]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def national_id_normalise(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def national_id_is_valid(value: str) -> bool:
    """GB 11643-1999: 18 characters whose last is a mod-11 check character."""
    if not _ID_RE.match(value):
        return False
    total = sum(int(d) * w for d, w in zip(value[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == value[17]


def national_id_hash(value: str) -> str:
    key = settings.IDENTITY_HASH_KEY
    if not key:
        raise RuntimeError("IDENTITY_HASH_KEY is not configured")
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
