"""Authentication backends: Django's and allauth's, loading the signed-in
user in one query (issue 16).

Every signed-in page needs, besides the user, her roles (the navigation, the
guards), her teacher profile (a teacher's own pages) and, for platform admins
and HR, whether she has an authenticator app (`RequireAdminMfaMiddleware`).
Read one after the other they were four queries before any page's own work;
here they are one: the user row joined to her teacher profile, with her role
codes as an array and an EXISTS for the authenticator (PostgreSQL). On other
databases the user is loaded as Django loads it and the rest is read lazily,
as before. What is read, and every check made on it (`is_active`, the
session's password hash), is unchanged.

Sessions made before these backends name Django's and allauth's own classes;
`cms.middleware.SiteAuthenticationMiddleware` moves them to these on their
next request instead of signing their users out."""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.db import connection

from .models import Role, RoleAssignment

# Sessions naming these backends are moved to ours (see the module docstring).
RENAMED = {
    "django.contrib.auth.backends.ModelBackend": "cms.accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": (
        "cms.accounts.backends.AuthenticationBackend"
    ),
}


def load_signed_in_user(user_id):
    """The user with pk `user_id` (or None), her teacher profile attached and,
    on PostgreSQL, her roles and whether she has a TOTP authenticator."""
    users = get_user_model()._default_manager.select_related("teacher_profile")
    postgres = connection.vendor == "postgresql"
    if postgres:
        from allauth.mfa.models import Authenticator
        from django.contrib.postgres.expressions import ArraySubquery
        from django.db.models import Exists, OuterRef

        users = users.annotate(
            _role_codes=ArraySubquery(
                RoleAssignment.objects.filter(user=OuterRef("pk")).values("role")
            ),
            _has_totp_app=Exists(
                Authenticator.objects.filter(
                    user=OuterRef("pk"), type=Authenticator.Type.TOTP
                )
            ),
        )
    try:
        user = users.get(pk=user_id)
    except (users.model.DoesNotExist, ValueError, TypeError):
        return None
    if postgres:
        roles = set(user._role_codes)
        if user.is_superuser:
            roles.add(Role.PLATFORM_ADMIN)
        # What cms.accounts.scoping.user_roles would read and keep.
        user._roles_cache = roles
    return user


class _OneQuery:
    def get_user(self, user_id):
        user = load_signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_OneQuery, DjangoModelBackend):
    """Django's username-and-password backend."""


class AuthenticationBackend(_OneQuery, AllauthBackend):
    """allauth's backend (sign-in by e-mail address or username)."""
