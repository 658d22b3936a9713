from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, Sum, When
from django.db.models.functions import Substr
from django.utils import timezone
from wagtail.models import Page

from cms.accounts.models import Organisation, Subject
from training.framework import term_of

from .models import (
    Activity,
    Membership,
    Registration,
    StudioArticlePage,
    StudioKind,
    StudioPage,
    StudioResourcePage,
)


def studio_index(index, request) -> dict:
    studios = (
        StudioPage.objects.live()
        .child_of(index)
        .select_related("region", "leader__teacher_profile")
    )
    q = request.GET.get("q", "").strip()[:50]
    if q:
        # Chinese has no word boundaries: substring match on the fields people
        # search (a full-text config that cannot split Chinese would find nothing).
        studios = studios.filter(
            Q(title__icontains=q)
            | Q(research_direction__icontains=q)
            | Q(intro__icontains=q)
        )
    kind = request.GET.get("kind", "")
    if kind in StudioKind.values:
        studios = studios.filter(kind=kind)
    subject = request.GET.get("subject", "")
    if subject in Subject.values:
        studios = studios.filter(subject=subject)
    region = request.GET.get("region", "")
    if region.isdigit():
        org = Organisation.objects.filter(pk=int(region)).first()
        if org is not None:
            studios = studios.filter(region__path__startswith=org.path)
    page = Paginator(studios.order_by("title"), 20).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {
        "page": page,
        "q": q,
        "kinds": StudioKind.choices,
        "subjects": Subject.choices,
        "regions": Organisation.objects.filter(kind__in=["city", "district"])
        .order_by("path")
        .values_list("id", "name"),
        "querystring": params.urlencode(),
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


def studio_home(studio, request) -> dict:
    from cms.shared.pagecache import depends_on, studio_dependency

    from . import services

    depends_on(request, studio_dependency(studio.path))  # resource views

    user = request.user
    teacher = getattr(user, "teacher_profile", None) if user.is_authenticated else None
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
