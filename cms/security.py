"""Site-wide hardening in one place (issue 13.7): requests carrying NUL bytes,
the Content-Security-Policy and Permissions-Policy headers, two-factor
authentication required of administrators, and a clear answer when mail
cannot be sent. Each is a small middleware configured in settings."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from cms.shared.errors import MailUnavailable


class RejectNulBytesMiddleware:
    """A NUL byte in the path or the query string answers 400 with a reason.

    PostgreSQL cannot store or compare text containing NUL, so every view
    that put a query parameter into a filter failed with a 500; refusing such
    requests here covers every URL at once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            reason = _("链接中含有无效字符（空字符 %00），请检查链接后重试。")
            if request.path.startswith("/api/"):
                # API clients get the API's own error shape.
                return JsonResponse({"detail": reason}, status=400)
            return render(
                request,
                "400.html",
                {"reason": reason},
                status=400,
            )
        return self.get_response(request)


def _has_nul(request) -> bool:
    if "\x00" in request.path:
        return True
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in query or "%00" in query:
        return True
    return any("\x00" in key for key in request.GET) or any(
        "\x00" in value for values in request.GET.lists() for value in values[1]
    )


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response.

    The site's own pages get a strict policy: scripts only from this origin
    or inline with the per-request nonce (`{{ request.csp_nonce }}`). The
    Wagtail and Django admins (CSP_ADMIN_PATHS) run inline scripts of their
    own, so they get CONTENT_SECURITY_POLICY_ADMIN, which still refuses other
    origins' scripts and framing by other sites."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if request.path.startswith(tuple(settings.CSP_ADMIN_PATHS)):
            policy = settings.CONTENT_SECURITY_POLICY_ADMIN
        else:
            policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy.replace(
                "{nonce}", request.csp_nonce
            )
        if settings.PERMISSIONS_POLICY and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = settings.PERMISSIONS_POLICY
        return response


class RequireAdminMfaMiddleware:
    """With MFA_REQUIRED_FOR_ADMINS on (production's default), a platform
    admin or HR user without an authenticator app is sent to set one up
    before any other page; account pages (sign-out, the set-up itself,
    re-authentication) stay open."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.MFA_REQUIRED_FOR_ADMINS and _needs_mfa_setup(request):
            if request.method == "GET":
                messages.warning(
                    request,
                    _(
                        "你的账号可以管理教师数据，按平台规定须先开启两步验证"
                        "（身份验证器应用），才能继续使用。"
                    ),
                )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


def _needs_mfa_setup(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    if request.path.startswith(tuple(settings.MFA_SETUP_OPEN_PATHS)):
        return False
    from allauth.mfa.models import Authenticator

    from cms.accounts.models import Role
    from cms.accounts.scoping import user_roles

    if not user_roles(user) & {Role.PLATFORM_ADMIN, Role.HR}:
        return False
    # Read with the user on PostgreSQL (cms.accounts.backends).
    has_app = getattr(user, "_has_totp_app", None)
    if has_app is not None:
        return not has_app
    return not Authenticator.objects.filter(
        user=user, type=Authenticator.Type.TOTP
    ).exists()


class MailUnavailableMiddleware:
    """Mail that cannot be sent (password reset, sign-up confirmation) is a
    503 page that says so, never a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, MailUnavailable):
            return render(
                request,
                "503_mail.html",
                {"back": request.get_full_path()},
                status=503,
            )
        return None
