"""Reads for people and organisations; every list starts from the scoping helper."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from . import scoping
from .models import Organisation, OrganisationKind, TeacherProfile


def teacher_list(
    *, user, query: str = "", school_id: int | None = None
) -> QuerySet[TeacherProfile]:
    """The teachers a user may see, filtered, with what a list row shows."""
    teachers = scoping.teachers_visible_to(user).select_related("school")
    if query:
        teachers = teachers.filter(
            Q(real_name__icontains=query)
            | Q(staff_number__icontains=query)
            | Q(user__email__icontains=query)
        )
    if school_id:
        teachers = teachers.filter(school_id=school_id)
    return teachers.order_by("school__path", "real_name", "id")


def schools_visible_to(user) -> QuerySet[Organisation]:
    return (
        scoping.organisations_visible_to(user)
        .filter(kind=OrganisationKind.SCHOOL)
        .order_by("path")
    )


def school_choices(user) -> list[tuple[int, str]]:
    """(id, name) of the schools she may see, in tree order: a select's
    options. Kept per user and scope until an organisation changes."""
    from cms.shared import pagecache

    from . import scopecache

    return pagecache.cached(
        f"school-choices:{scopecache.scope_key(user)}",
        scopecache.teacher_dependencies(),
        lambda: list(schools_visible_to(user).values_list("id", "name")),
    )


def scope_choices(user, *, limit: int = 200) -> list[tuple[int, str, str]]:
    """(id, name, kind) of the schools, districts and cities she may act on,
    in tree order, at most `limit`; kept like `school_choices`."""
    from cms.shared import pagecache

    from . import scopecache

    return pagecache.cached(
        f"scope-choices:{scopecache.scope_key(user)}:{limit}",
        scopecache.teacher_dependencies(),
        lambda: list(
            scoping.organisations_visible_to(user)
            .filter(kind__in=["school", "district", "city"])
            .order_by("path")
            .values_list("pk", "name", "kind")[:limit]
        ),
    )


def organisation_summary(*, user) -> dict:
    """Counts for an administrator's dashboard, in two queries; kept per user
    and scope until a teacher or an organisation changes."""
    from cms.shared import pagecache

    from . import scopecache

    return pagecache.cached(
        f"organisation-summary:{scopecache.scope_key(user)}",
        scopecache.teacher_dependencies(),
        lambda: _organisation_summary(user),
    )


def _organisation_summary(user) -> dict:
    visible = scoping.organisations_visible_to(user)
    kinds = dict(
        visible.order_by()
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return {
        "teachers": scoping.teachers_visible_to(user).count(),
        "schools": kinds.get(OrganisationKind.SCHOOL, 0),
        "districts": kinds.get(OrganisationKind.DISTRICT, 0),
    }
