"""What to learn next for a set of indicators: catalogue courses, coming
studio activities, then curated resources, in one shape for the assessment
report, its PDF and the portrait.

Reads courses, studios and the framework through their selectors; nothing
below imports this module (training.selectors reaches it through a hook)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse

from cms.studios.selectors import activities_for_indicators
from training.courses.selectors import courses_for_indicators
from training.selectors import resource_kind_labels, resources_for_indicators


@dataclass(frozen=True)
class Recommendation:
    """A course from the catalogue, a studio activity or a curated resource."""

    title: str
    kind_label: str
    url: str
    provider: str
    hours: Decimal | None
    indicator_codes: tuple[str, ...]


def recommendations_for(
    *, indicator_ids: list[int], teacher_id: int | None = None, limit: int = 6
) -> list[Recommendation]:
    """Catalogue courses aligned to the given indicators (open for enrolment,
    not already taken by the teacher), coming studio activities aligned to
    them, then curated resources, those covering more of the indicators
    first."""
    if not indicator_ids:
        return []
    labels = resource_kind_labels()

    def codes(indicators) -> tuple[str, ...]:
        return tuple(i.code for i in indicators if i.pk in indicator_ids)

    out = [
        Recommendation(
            title=course.title,
            kind_label=labels["course"],
            url=course.url or "",
            provider=course.provider,
            hours=course.hours,
            indicator_codes=codes(course.indicators.all()),
        )
        for course in courses_for_indicators(
            indicator_ids=indicator_ids, teacher_id=teacher_id, limit=limit - 2
        )
    ]
    out += [
        Recommendation(
            title=f"{activity.title}（{activity.starts_at:%m-%d}）",
            kind_label=labels["activity"],
            url=reverse("studio_activity", args=[activity.pk]),
            provider=activity.studio.title,
            hours=activity.hours,
            indicator_codes=codes(activity.indicators.all()),
        )
        for activity in activities_for_indicators(
            indicator_ids=indicator_ids, teacher_id=teacher_id, limit=2
        )
    ]
    if len(out) < limit:
        out += [
            Recommendation(
                title=r.title,
                kind_label=r.get_kind_display(),
                url=r.url,
                provider=r.provider,
                hours=r.hours,
                indicator_codes=codes(r.indicators.all()),
            )
            for r in resources_for_indicators(
                indicator_ids=indicator_ids, limit=limit - len(out)
            )
        ]
    return out
