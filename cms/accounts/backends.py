"""Authentication backends: Django's and allauth's, loading the signed-in
user in one query (issue 16).

Every signed-in page needs, besides the user, her roles (the navigation, the
guards), her teacher profile (a teacher's own pages) and, for platform admins
and HR, whether she has an authenticator app (`RequireAdminMfaMiddleware`)
and her HR scopes (every HR page). Read one after the other they were up to
five queries before any page's own work; here they are one: the user row
joined to her teacher profile, with her role codes as an array, her HR
scopes' rows as JSON and an EXISTS for the authenticator (PostgreSQL). On other
databases the user is loaded as Django loads it and the rest is read lazily,
as before. What is read, and every check made on it (`is_active`, the
session's password hash), is unchanged.

Sessions made before these backends name Django's and allauth's own classes;
`cms.middleware.SiteAuthenticationMiddleware` moves them to these on their
next request instead of signing their users out."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.core.exceptions import ValidationError
from django.db import connection, connections, router

from cms.shared.rows import RowShape

from .models import Organisation, Role, RoleAssignment, TeacherProfile

# Sessions naming these backends are moved to ours (see the module docstring).
RENAMED = {
    "django.contrib.auth.backends.ModelBackend": "cms.accounts.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend": (
        "cms.accounts.backends.AuthenticationBackend"
    ),
}


@dataclass(frozen=True)
class _Statement:
    sql: str
    shape: RowShape  # the user's columns, then her teacher profile's
    scope_names: list  # her HR scopes' fields, as the JSON rows hold them
    params: list  # before the user's pk


@functools.cache
def _one_query_sql(vendor: str) -> _Statement:
    """The statement reading a user with her teacher profile, role codes,
    HR scopes and whether she has a TOTP app, written once from the models'
    own metadata (what the ORM would build for the same select_related and
    annotations, without building it on every request)."""
    from allauth.mfa.models import Authenticator

    User = get_user_model()
    q = connection.ops.quote_name
    shape = RowShape.of((User, "u"), (TeacherProfile, "t"))
    scope_fields = list(Organisation._meta.concrete_fields)
    role_table = q(RoleAssignment._meta.db_table)
    role_user = q(RoleAssignment._meta.get_field("user").column)
    role_code = q(RoleAssignment._meta.get_field("role").column)
    role_org = q(RoleAssignment._meta.get_field("organisation").column)
    app_table = q(Authenticator._meta.db_table)
    app_user = q(Authenticator._meta.get_field("user").column)
    app_type = q(Authenticator._meta.get_field("type").column)
    teacher_user = q(TeacherProfile._meta.get_field("user").column)
    org_table = q(Organisation._meta.db_table)
    org_pk = q(Organisation._meta.pk.column)
    org_path = q(Organisation._meta.get_field("path").column)
    user_pk = q(User._meta.pk.column)
    scope_row = ", ".join(f"o.{q(f.column)}" for f in scope_fields)
    sql = (
        f"SELECT {shape.columns()}, "  # noqa: S608 (names from model metadata)
        f"ARRAY(SELECT r.{role_code} FROM {role_table} r "
        f"WHERE r.{role_user} = u.{user_pk}), "
        # Her HR scopes as hr_scopes reads them: distinct, in tree order.
        f"(SELECT json_agg(json_build_array({scope_row}) ORDER BY o.{org_path}) "
        f"FROM {org_table} o WHERE o.{org_pk} IN (SELECT r.{role_org} "
        f"FROM {role_table} r WHERE r.{role_user} = u.{user_pk} "
        f"AND r.{role_code} = %s)), "
        f"EXISTS(SELECT 1 FROM {app_table} a "
        f"WHERE a.{app_user} = u.{user_pk} AND a.{app_type} = %s) "
        f"FROM {q(User._meta.db_table)} u "
        f"LEFT JOIN {q(TeacherProfile._meta.db_table)} t "
        f"ON t.{teacher_user} = u.{user_pk} "
        f"WHERE u.{user_pk} = %s"
    )
    return _Statement(
        sql=sql,
        shape=shape,
        scope_names=[f.attname for f in scope_fields],
        params=[str(Role.HR), str(Authenticator.Type.TOTP)],
    )


def load_signed_in_user(user_id):
    """The user with pk `user_id` (or None), her teacher profile attached and,
    on PostgreSQL, her roles, HR scopes and whether she has a TOTP app."""
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
    statement = _one_query_sql(db.vendor)
    with db.cursor() as cursor:
        cursor.execute(statement.sql, [*statement.params, pk])
        row = cursor.fetchone()
    if row is None:
        return None
    user, teacher = statement.shape.instances(row, alias, db)
    if teacher is not None:
        TeacherProfile.user.field.set_cached_value(teacher, user)
    # As select_related leaves it: no profile is known, not asked again.
    User.teacher_profile.related.set_cached_value(user, teacher)
    role_codes, scopes, has_app = row[statement.shape.width :]
    roles = set(role_codes or [])
    if user.is_superuser:
        roles.add(Role.PLATFORM_ADMIN)
    # What cms.accounts.scoping.user_roles and hr_scopes would read and keep.
    user._roles_cache = roles
    if isinstance(scopes, str):
        scopes = json.loads(scopes)
    user._hr_scopes_cache = (
        [Organisation.from_db(alias, statement.scope_names, v) for v in scopes or []]
        if Role.HR in roles
        else []
    )
    user._has_totp_app = has_app
    return user


class _OneQuery:
    def get_user(self, user_id):
        user = load_signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_OneQuery, DjangoModelBackend):
    """Django's username-and-password backend."""


class AuthenticationBackend(_OneQuery, AllauthBackend):
    """allauth's backend (sign-in by e-mail address or username)."""
