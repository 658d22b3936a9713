"""The one place that decides what a user may see.

Every view, export and API call that lists or opens teachers goes through
`teachers_visible_to`; other apps scope their own records by joining to it
(`credits` filters ledger rows by `teacher__in=teachers_visible_to(user)`)."""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q, QuerySet

from .models import Organisation, Role, RoleAssignment, TeacherProfile


def user_roles(user) -> set[str]:
    """The roles a user holds; cached on the user object for the request."""
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_roles_cache", None)
    if cached is None:
        cached = set(
            RoleAssignment.objects.filter(user=user).values_list("role", flat=True)
        )
        if user.is_superuser:
            cached.add(Role.PLATFORM_ADMIN)
        user._roles_cache = cached
    return cached


def is_platform_admin(user) -> bool:
    return Role.PLATFORM_ADMIN in user_roles(user)


def hr_scopes(user) -> list[Organisation]:
    """The organisations whose teachers an HR user administers."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_hr_scopes_cache", None)
    if cached is None and Role.HR not in user_roles(user):
        # The same assignments as the roles read this request: no HR role,
        # no HR scope (saves a query on every page of everyone else).
        cached = user._hr_scopes_cache = []
    if cached is None:
        cached = list(
            Organisation.objects.filter(
                role_assignments__user=user, role_assignments__role=Role.HR
            ).distinct()
        )
        user._hr_scopes_cache = cached
    return cached


def can_administer_teachers(user) -> bool:
    return is_platform_admin(user) or bool(hr_scopes(user))


def organisations_visible_to(user) -> QuerySet[Organisation]:
    """Organisations an administrator may act on: her scopes and all below them."""
    if is_platform_admin(user):
        return Organisation.objects.all()
    scopes = hr_scopes(user)
    if not scopes:
        return Organisation.objects.none()
    return Organisation.objects.filter(
        reduce(or_, (Q(path__startswith=org.path) for org in scopes))
    )


def teachers_visible_to(user) -> QuerySet[TeacherProfile]:
    """Teacher profiles the user may see: all for platform admins, those under
    her scopes for HR, and her own profile for everyone else."""
    if not getattr(user, "is_authenticated", False):
        return TeacherProfile.objects.none()
    if is_platform_admin(user):
        return TeacherProfile.objects.all()
    condition = Q(user=user)
    for org in hr_scopes(user):
        condition |= Q(school__path__startswith=org.path)
    return TeacherProfile.objects.filter(condition)


def teachers_in_organisation(organisation: Organisation) -> QuerySet[TeacherProfile]:
    """Teachers at the organisation or any school below it (the exchange with
    the provincial platform reports per organisation, not per user)."""
    return TeacherProfile.objects.filter(school__path__startswith=organisation.path)
