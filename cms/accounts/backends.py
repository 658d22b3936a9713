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

import functools

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError
from django.db import connection, connections, router

from .models import Role, RoleAssignment, TeacherProfile

# Sessions naming these backends are moved to ours (see the module docstring).
RENAMED = {
    "django.contrib.auth.backends.ModelBackend": "cms.accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": (
        "cms.accounts.backends.AuthenticationBackend"
    ),
}


@functools.cache
def _one_query_sql(vendor: str):
    """The statement reading a user with her teacher profile, role codes and
    whether she has a TOTP app, written once from the models' own metadata
    (what the ORM would build for the same select_related and annotations,
    without building it on every request)."""
    from allauth.mfa.models import Authenticator

    User = get_user_model()
    q = connection.ops.quote_name
    user_fields = [f for f in User._meta.concrete_fields]
    teacher_fields = [f for f in TeacherProfile._meta.concrete_fields]
    columns = [f"u.{q(f.column)}" for f in user_fields] + [
        f"t.{q(f.column)}" for f in teacher_fields
    ]
    role_table = q(RoleAssignment._meta.db_table)
    role_user = q(RoleAssignment._meta.get_field("user").column)
    role_code = q(RoleAssignment._meta.get_field("role").column)
    app_table = q(Authenticator._meta.db_table)
    app_user = q(Authenticator._meta.get_field("user").column)
    app_type = q(Authenticator._meta.get_field("type").column)
    teacher_user = q(TeacherProfile._meta.get_field("user").column)
    user_pk = q(User._meta.pk.column)
    sql = (
        f"SELECT {', '.join(columns)}, "
        f"ARRAY(SELECT r.{role_code} FROM {role_table} r "
        f"WHERE r.{role_user} = u.{user_pk}), "
        f"EXISTS(SELECT 1 FROM {app_table} a "
        f"WHERE a.{app_user} = u.{user_pk} AND a.{app_type} = %s) "
        f"FROM {q(User._meta.db_table)} u "
        f"LEFT JOIN {q(TeacherProfile._meta.db_table)} t "
        f"ON t.{teacher_user} = u.{user_pk} "
        f"WHERE u.{user_pk} = %s"
    )
    # The fields' conversions from what the driver returns (JSON text to
    # lists, ...), as the ORM applies them.
    converters = []
    for n, f in enumerate(user_fields + teacher_fields):
        col = f.get_col(f.model._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(
            connection
        )
        if found:
            converters.append((n, col, found))
    return (
        sql,
        [f.attname for f in user_fields],
        [f.attname for f in teacher_fields],
        converters,
        str(Authenticator.Type.TOTP),
    )


def load_signed_in_user(user_id):
    """The user with pk `user_id` (or None), her teacher profile attached and,
    on PostgreSQL, her roles and whether she has a TOTP authenticator."""
    User = get_user_model()
    alias = router.db_for_read(User)
    db = connections[alias]
    if db.vendor != "postgresql":
        try:
            return User._default_manager.select_related("teacher_profile").get(
                pk=user_id
            )
        except (User.DoesNotExist, ValueError, TypeError):
            return None
    try:
        pk = User._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    sql, user_names, teacher_names, converters, totp = _one_query_sql(db.vendor)
    with db.cursor() as cursor:
        cursor.execute(sql, [totp, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    for n, col, found in converters:
        for convert in found:
            row[n] = convert(row[n], col, db)
    n = len(user_names)
    user = User.from_db(alias, user_names, row[:n])
    teacher_values = row[n : n + len(teacher_names)]
    teacher = None
    if teacher_values[teacher_names.index("id")] is not None:
        teacher = TeacherProfile.from_db(alias, teacher_names, teacher_values)
        TeacherProfile.user.field.set_cached_value(teacher, user)
    # As select_related leaves it: no profile is known, not asked again.
    User.teacher_profile.related.set_cached_value(user, teacher)
    roles = set(row[-2] or [])
    if user.is_superuser:
        roles.add(Role.PLATFORM_ADMIN)
    # What cms.accounts.scoping.user_roles would read and keep.
    user._roles_cache = roles
    user._has_totp_app = row[-1]
    return user


class _OneQuery:
    def get_user(self, user_id):
        user = load_signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_OneQuery, DjangoModelBackend):
    """Django's username-and-password backend."""


class AuthenticationBackend(_OneQuery, AllauthBackend):
    """allauth's backend (sign-in by e-mail address or username)."""
