from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Count, Q, Sum
from django.utils import timezone

from cms.accounts.models import Organisation, Subject

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


def studio_figures(studio) -> dict:
    members = Membership.objects.filter(
        studio=studio, status__in=[Membership.Status.ACTIVE, Membership.Status.ENDED]
    )
    resources = StudioResourcePage.objects.live().child_of(studio)
    attended = Registration.objects.filter(
        activity__studio=studio, checked_in_at__isnull=False
    )
    per_term = {}
    for starts_at in Activity.objects.filter(studio=studio).values_list(
        "starts_at", flat=True
    ):
        local = timezone.localtime(starts_at)
        term = f"{local.year}-{'春' if local.month < 8 else '秋'}"
        per_term[term] = per_term.get(term, 0) + 1
    return {
        "members_trained": members.values("teacher").distinct().count(),
        "teachers_reached": attended.values("teacher").distinct().count(),
        "resources": resources.count(),
        "articles": StudioArticlePage.objects.live().child_of(studio).count(),
        "resource_views": resources.aggregate(v=Sum("views"))["v"] or 0,
        "activities_per_term": sorted(per_term.items()),
    }


def studio_home(studio, request) -> dict:
    from . import services

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
        .order_by("role", "teacher__real_name")[:60],
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
