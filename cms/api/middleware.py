"""Every call to /api/ is logged with the client (or person) that made it."""

from __future__ import annotations

import time

from .models import ApiCall


class ApiCallLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        started = time.perf_counter()
        response = self.get_response(request)
        principal = getattr(request, "auth", None)
        client = getattr(principal, "client", None)
        user = getattr(principal, "user", None) if principal is not None else None
        ApiCall.objects.create(
            client=client,
            user=None if client is not None else user,
            method=request.method[:8],
            path=request.path[:300],
            status=response.status_code,
            duration_ms=int((time.perf_counter() - started) * 1000),
            ip=request.META.get("REMOTE_ADDR") or None,
        )
        return response
