"""What to learn next for a set of indicators: catalogue courses, coming
studio activities, studio articles and resources, then curated resources, in
one shape for the assessment
report, its PDF and the portrait.

Reads courses, studios and the framework through their selectors; nothing
below imports this module (training.selectors reaches it through a hook)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.shared.pageurls import share_site_root_paths
from cms.studios.selectors import (
    activities_for_indicators,
    published_pages_for_indicators,
)
from training.courses.selectors import courses_for_indicators
from training.selectors import resource_kind_labels, resources_for_indicators


@dataclass(frozen=True)
class Recommendation:
    """Something she can open and act on (a catalogue course to enrol in, a
    studio activity to register for, something to read); `reasons` name the
    weak indicators it addresses ("3.3.2 应用数据分析模型进行学业数据分析")."""

    title: str
    kind_label: str
    url: str
    provider: str
    hours: Decimal | None
    indicator_codes: tuple[str, ...]
    reasons: tuple[str, ...] = ()
    action: str = ""


def recommendations_for(
    *, indicator_ids: list[int], teacher_id: int | None = None, limit: int = 6
) -> list[Recommendation]:
    """Catalogue courses aligned to the given indicators (open for enrolment,
    not already taken by the teacher), coming studio activities aligned to
    them, published studio articles and resources, then curated resources
    that have a link, those covering more of the indicators first. Nothing
    without a link is offered: it would lead nowhere."""
    if not indicator_ids:
        return []
    labels = resource_kind_labels()

    def item(obj, **fields) -> Recommendation:
        aligned = [i for i in obj.indicators.all() if i.pk in indicator_ids]
        return Recommendation(
            indicator_codes=tuple(i.code for i in aligned),
            reasons=tuple(f"{i.code} {i.name}" for i in aligned),
            **fields,
        )

    courses = courses_for_indicators(
        indicator_ids=indicator_ids, teacher_id=teacher_id, limit=limit - 2
    )
    share_site_root_paths(courses)
    out = [
        item(
            course,
            title=course.title,
            kind_label=labels["course"],
            url=course.url or "",
            provider=course.provider,
            hours=course.hours,
            action=_("查看并报名"),
        )
        for course in courses
        if course.url
    ]
    out += [
        item(
            activity,
            title=f"{activity.title}（{timezone.localtime(activity.starts_at):%m-%d}）",
            kind_label=labels["activity"],
            url=reverse("studio_activity", args=[activity.pk]),
            provider=activity.studio.title,
            hours=activity.hours,
            action=_("查看并报名活动"),
        )
        for activity in activities_for_indicators(
            indicator_ids=indicator_ids, teacher_id=teacher_id, limit=2
        )
    ]
    if len(out) < limit:
        pages = published_pages_for_indicators(
            indicator_ids=indicator_ids, per_kind=max(0, min(2, limit - len(out)))
        )
        share_site_root_paths(pages)
        out += [
            item(
                page,
                title=page.title,
                kind_label=labels["resource"],
                url=page.url or "",
                provider=page.kind,
                hours=None,
                action=_("打开阅读"),
            )
            for page in pages
            if page.url
        ][: limit - len(out)]
    if len(out) < limit:
        out += [
            item(
                r,
                title=r.title,
                kind_label=r.get_kind_display(),
                url=r.url,
                provider=r.provider,
                hours=r.hours,
                action=_("打开阅读"),
            )
            for r in resources_for_indicators(
                indicator_ids=indicator_ids,
                limit=limit - len(out),
                exclude_titles={r.title for r in out},
            )
        ]
    return out
