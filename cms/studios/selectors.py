from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, QuerySet, Sum, When
from django.db.models.functions import Substr
from django.utils import timezone
from wagtail.models import Page

from cms.accounts.models import Organisation, Subject
from training.framework import term_of

from . import models
from .models import (
    Activity,
    Membership,
    Registration,
    StudioArticlePage,
    StudioKind,
    StudioPage,
    StudioResourcePage,
)


@dataclass(frozen=True)
class StudioFilters:
    """What the studio directory was asked for, read once from the query
    string by the page (`from_request`)."""

    q: str = ""
    kind: str = ""
    subject: str = ""
    region: str = ""
    page: str | None = None
    # The query string without the page number, for the pager's links.
    querystring: str = ""

    @classmethod
    def from_request(cls, request) -> StudioFilters:
        get = request.GET
        params = get.copy()
        params.pop("page", None)
        return cls(
            q=get.get("q", "").strip()[:50],
            kind=get.get("kind", ""),
            subject=get.get("subject", ""),
            region=get.get("region", ""),
            page=get.get("page"),
            querystring=params.urlencode(),
        )


def studio_index(index, filters: StudioFilters) -> dict:
    studios = (
        StudioPage.objects.live()
        .child_of(index)
        .select_related("region", "leader__teacher_profile")
    )
    q = filters.q
    if q:
        # Chinese has no word boundaries: substring match on the fields people
        # search (a full-text config that cannot split Chinese would find nothing).
        studios = studios.filter(
            Q(title__icontains=q)
            | Q(research_direction__icontains=q)
            | Q(intro__icontains=q)
        )
    kind = filters.kind
    if kind in StudioKind.values:
        studios = studios.filter(kind=kind)
    subject = filters.subject
    if subject in Subject.values:
        studios = studios.filter(subject=subject)
    region = filters.region
    if region.isdigit():
        org = Organisation.objects.filter(pk=int(region)).first()
        if org is not None:
            studios = studios.filter(region__path__startswith=org.path)
    page = Paginator(studios.order_by("title"), 20).get_page(filters.page)
    return {
        "page": page,
        "q": q,
        "kinds": StudioKind.choices,
        "subjects": Subject.choices,
        "regions": Organisation.objects.filter(kind__in=["city", "district"])
        .order_by("path")
        .values_list("id", "name"),
        "querystring": filters.querystring,
    }


def studios_figures(studios) -> dict[int, dict]:
    """What each studio achieves, for many studios in a fixed number of queries:
    members trained (current and past), teachers reached through activities,
    published articles and resources, resource views, activities per term."""
    studios = list(studios)
    if not studios:
        return {}
    ids = [s.pk for s in studios]
    by_path = {s.path: s.pk for s in studios}
    width = len(studios[0].path)  # studios are all children of the index
    out = {
        pk: {
            "members_trained": 0,
            "teachers_reached": 0,
            "resources": 0,
            "articles": 0,
            "resource_views": 0,
            "activities_per_term": [],
        }
        for pk in ids
    }
    for pk, n in (
        Membership.objects.filter(
            studio_id__in=ids,
            status__in=[Membership.Status.ACTIVE, Membership.Status.ENDED],
        )
        .values("studio_id")
        .annotate(n=Count("teacher", distinct=True))
        .values_list("studio_id", "n")
    ):
        out[pk]["members_trained"] = n
    for pk, n in (
        Registration.objects.filter(
            activity__studio_id__in=ids, checked_in_at__isnull=False
        )
        .values("activity__studio_id")
        .annotate(n=Count("teacher", distinct=True))
        .values_list("activity__studio_id", "n")
    ):
        out[pk]["teachers_reached"] = n
    for model, key in (
        (StudioResourcePage, "resources"),
        (StudioArticlePage, "articles"),
    ):
        rows = (
            model.objects.live()
            .filter(
                path__startswith=studios[0].path[: width - Page.steplen],
                depth=studios[0].depth + 1,
            )
            .annotate(parent=Substr("path", 1, width))
            .filter(parent__in=list(by_path))
            .values("parent")
            .annotate(
                n=Count("id"),
                **({"v": Sum("views")} if model is StudioResourcePage else {}),
            )
        )
        for row in rows:
            figures = out[by_path[row["parent"]]]
            figures[key] = row["n"]
            if "v" in row:
                figures["resource_views"] = row["v"] or 0
    terms: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    for pk, starts_at in Activity.objects.filter(studio_id__in=ids).values_list(
        "studio_id", "starts_at"
    ):
        term = term_of(timezone.localtime(starts_at).date())
        terms[pk][term] = terms[pk].get(term, 0) + 1
    for pk, counts in terms.items():
        out[pk]["activities_per_term"] = sorted(counts.items())
    return out


def studio_figures(studio) -> dict:
    return studios_figures([studio])[studio.pk]


def studio_home(studio, *, user, teacher) -> dict:
    """A studio's home page: members, articles, resources, activities and
    figures; for `teacher` her membership, for `user` whether she edits or
    leads it. The page registers its cache dependency."""
    from . import services

    membership = (
        Membership.objects.filter(studio=studio, teacher=teacher)
        .order_by("-created_at")
        .first()
        if teacher
        else None
    )
    return {
        "members": Membership.objects.filter(
            studio=studio, status=Membership.Status.ACTIVE
        )
        .select_related("teacher__school")
        .order_by(
            Case(
                When(role=Membership.Role.LEADER, then=0),
                When(role=Membership.Role.BACKBONE, then=1),
                default=2,
            ),
            "teacher__real_name",
        )[:60],
        "articles": StudioArticlePage.objects.live()
        .child_of(studio)
        .order_by("-first_published_at")[:10],
        "resources": StudioResourcePage.objects.live()
        .child_of(studio)
        .order_by("-first_published_at")[:10],
        "activities": Activity.objects.filter(studio=studio)
        .annotate(registered=Count("registrations"))
        .order_by("-starts_at")[:10],
        "figures": studio_figures(studio),
        "membership": membership,
        "can_edit": services.is_editor(user, studio),
        "is_leader": services.is_leader(user, studio),
    }


def activities_for_indicators(
    *, indicator_ids: list[int], teacher_id: int | None = None, limit: int = 2
) -> list[Activity]:
    """Coming studio activities aligned to the given indicators that the
    teacher has not registered for, soonest first."""
    if not indicator_ids:
        return []
    activities = Activity.objects.filter(
        indicators__in=indicator_ids,
        starts_at__gte=timezone.now(),
        studio__live=True,
    ).select_related("studio")
    if teacher_id is not None:
        activities = activities.exclude(
            pk__in=Registration.objects.filter(teacher_id=teacher_id).values(
                "activity_id"
            )
        )
    return list(
        activities.distinct()
        .order_by("starts_at")
        .prefetch_related("indicators")[:limit]
    )


def activities_registered_among(*, teacher_id: int, activity_ids) -> set[int]:
    """Which of these activities the teacher has a registration for (any)."""
    if not activity_ids:
        return set()
    return set(
        Registration.objects.filter(
            teacher_id=teacher_id, activity_id__in=list(activity_ids)
        ).values_list("activity_id", flat=True)
    )


def published_pages_for_indicators(
    *, indicator_ids: list[int], per_kind: int = 2
) -> list:
    """Published, public studio articles and resources aligned to the given
    indicators, newest first (at most ``per_kind`` of each)."""
    if not indicator_ids or per_kind <= 0:
        return []
    found = []
    # The private sections are read once for both kinds (public() reads
    # them on each call).
    private = StudioArticlePage.objects.private_q()
    for model in (StudioArticlePage, StudioResourcePage):
        found += list(
            model.objects.live()
            .exclude(private)
            .filter(indicators__in=indicator_ids)
            .distinct()
            .order_by("-first_published_at")
            .prefetch_related("indicators")[:per_kind]
        )
    return found


# --- endorsements (badges asks who may endorse whom) ---------------------------


def studios_led_live(user) -> list[StudioPage]:
    """The studios this user leads (live ones only), by title."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(StudioPage.objects.live().filter(leader=user).order_by("title", "pk"))


def studios_where_leader_endorses(*, leader, teacher) -> list[StudioPage]:
    """The live studios ``leader`` leads in which ``teacher`` is a current
    member (never her own: a leader does not endorse herself)."""
    if not getattr(leader, "is_authenticated", False) or teacher.user_id == leader.pk:
        return []
    return list(
        StudioPage.objects.live()
        .filter(
            leader=leader,
            memberships__teacher=teacher,
            memberships__status=Membership.Status.ACTIVE,
        )
        .distinct()
        .order_by("title", "pk")
    )


def member_teacher_ids(*, studio) -> list[int]:
    """Teacher profile ids of the studio's current members, leader excluded."""
    return list(
        Membership.objects.filter(studio=studio, status=Membership.Status.ACTIVE)
        .exclude(teacher__user_id=studio.leader_id)
        .values_list("teacher_id", flat=True)
    )


# Reads for the portrait, the 驾驶舱 and the role dashboards.


def teacher_contributions(teacher) -> dict:
    """Her studio roles and contributions: memberships over time, what she
    published (and how it was used), activities she led or attended."""
    resources = StudioResourcePage.objects.live().filter(owner=teacher.user)
    usage = resources.aggregate(
        n=Count("pk"), views=Sum("views"), downloads=Sum("downloads")
    )
    return {
        "memberships": list(
            Membership.objects.filter(teacher=teacher)
            .exclude(status=Membership.Status.DECLINED)
            .select_related("studio")
            .order_by("-created_at")[:20]
        ),
        "articles": StudioArticlePage.objects.live().filter(owner=teacher.user).count(),
        "resources": usage["n"],
        "resource_views": usage["views"] or 0,
        "resource_downloads": usage["downloads"] or 0,
        "led": Activity.objects.filter(studio__leader=teacher.user).count(),
        "attended": Registration.objects.filter(
            teacher=teacher, checked_in_at__isnull=False
        ).count(),
    }


def memberships_of(*, teacher) -> QuerySet[Membership]:
    """Her studio memberships, in any status."""
    return Membership.objects.filter(teacher=teacher)


def studios_joined(*, teacher) -> QuerySet[Membership]:
    """Her active memberships of live studios she does not lead, with the
    leaders, by studio title (whom she may ask for a review)."""
    return (
        Membership.objects.filter(
            teacher=teacher,
            status=Membership.Status.ACTIVE,
            studio__live=True,
        )
        .exclude(studio__leader=teacher.user)
        .select_related("studio__leader")
        .order_by("studio__title")
    )


def members_in(teachers) -> int:
    """Teachers who are current members of a studio."""
    return (
        Membership.objects.filter(teacher__in=teachers, status="active")
        .values("teacher")
        .distinct()
        .count()
    )


# Version of what counts many teachers' memberships and check-ins (the
# 驾驶舱): bumped by any write to either.
PARTICIPATION_VERSION = models.PARTICIPATION_VERSION


def checked_in_teacher_ids() -> QuerySet:
    """Ids of teachers checked in at a studio activity (a subquery)."""
    return Registration.objects.filter(checked_in_at__isnull=False).values("teacher_id")


def live_studios_with_leader(leader):
    """Live studios that `leader` leads (a user, or an OuterRef to one in a
    subquery)."""
    return StudioPage.objects.live().filter(leader=leader)


def studios_led_by(user, *, now) -> list[StudioPage]:
    """Her live studios with the applications waiting and, on each, the next
    five activities (those that ended in the last 12 hours included)."""
    import datetime

    studios = list(
        StudioPage.objects.live()
        .filter(leader=user)
        .annotate(
            applications=Count(
                "memberships",
                filter=Q(memberships__status=Membership.Status.APPLIED),
            )
        )
        .order_by("title")
    )
    for studio in studios:
        studio.upcoming = list(
            Activity.objects.filter(
                studio=studio, ends_at__gte=now - datetime.timedelta(hours=12)
            ).order_by("starts_at")[:5]
        )
    return studios


def studio_members(studio: StudioPage) -> QuerySet[Membership]:
    """The studio's members page: applications waiting first, then current
    members by role, then the rest."""
    return (
        Membership.objects.filter(studio=studio)
        .select_related("teacher__school")
        .order_by(
            # Applications waiting first, then current members by role, then the rest.
            Case(
                When(status=Membership.Status.APPLIED, then=0),
                When(status=Membership.Status.ACTIVE, then=1),
                When(status=Membership.Status.ENDED, then=2),
                default=3,
            ),
            Case(
                When(role=Membership.Role.LEADER, then=0),
                When(role=Membership.Role.BACKBONE, then=1),
                default=2,
            ),
            "created_at",
        )
    )


def studio_of(page) -> StudioPage | None:
    """The studio a page (an article, a resource) belongs to."""
    return StudioPage.objects.ancestor_of(page).first()


def registration_of(*, activity: Activity, teacher) -> Registration | None:
    """Her registration for the activity, or None."""
    return Registration.objects.filter(activity=activity, teacher=teacher).first()
