"""Per-client request limits for public, unauthenticated endpoints (the
credential verifier, the transcript-code lookup), counted in the shared cache
so every web worker sees the same counts.

A fixed window per client address: ``PUBLIC_RATE_LIMITS = {bucket: (requests,
seconds)}`` in the settings. The address is read the way sign-in throttling
reads it (allauth's client address: ``X-Forwarded-For`` from as many trusted
proxies as ``TRUSTED_PROXY_COUNT`` says, else REMOTE_ADDR), so behind a reverse
proxy every client is counted on its own, not all as the proxy.
"""

from __future__ import annotations

import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _

DEFAULTS = {
    "credential_verify": (30, 60),
    "transcript_lookup": (60, 60),
}


def limit_for(bucket: str) -> tuple[int, int]:
    configured = getattr(settings, "PUBLIC_RATE_LIMITS", {}) or {}
    return tuple(configured.get(bucket, DEFAULTS[bucket]))


def client_id(request) -> str:
    from allauth.core.internal.httpkit import get_client_ip

    return get_client_ip(request) or "unknown"


def allow(bucket: str, request) -> tuple[bool, int]:
    """Count this request; (allowed, seconds until the window resets)."""
    limit, window = limit_for(bucket)
    now = time.time()
    slot = int(now // window)
    key = f"ratelimit:{bucket}:{client_id(request)}:{slot}"
    counter = getattr(cache, "count_in_window", None)  # Redis: one round trip
    if counter is not None:
        count = counter(key, window + 5)
        if count is None:  # Redis unreachable: fail open, as add() does
            count = 1
    elif cache.add(key, 1, window + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between the two calls
            cache.add(key, 1, window + 5)
            count = 1
    retry_after = max(1, int((slot + 1) * window - now) + 1)
    return count <= limit, retry_after


def message(retry_after: int) -> str:
    return _("请求过于频繁，请 %(n)s 秒后再试。") % {"n": retry_after}


def limited_page(bucket: str, methods=("GET", "POST"), when=None):
    """Decorator for an HTML view: over the limit, a 429 page in Chinese.
    Only requests with a method in ``methods`` (and for which ``when(request)``
    holds, if given) are counted."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method in methods and (when is None or when(request)):
                allowed, retry_after = allow(bucket, request)
                if not allowed:
                    response = render(
                        request,
                        "rate_limited.html",
                        {"message": message(retry_after)},
                        status=429,
                    )
                    response["Retry-After"] = str(retry_after)
                    return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
