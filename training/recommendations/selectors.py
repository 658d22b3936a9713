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
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cms.shared import pagecache
from cms.shared.pageurls import share_site_root_paths
from cms.studios.selectors import (
    activities_for_indicators,
    activities_registered_among,
    published_pages_for_indicators,
)
from training.courses.selectors import courses_for_indicators, courses_taken_among
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


def _compute(
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


# Spare candidates kept beyond what is shown, for the courses and activities
# a teacher already has (left out at read time) and for the activities that
# begin while the list is cached.
SPARE = 20


def _item(obj, indicator_ids, **fields) -> Recommendation:
    aligned = [i for i in obj.indicators.all() if i.pk in indicator_ids]
    return Recommendation(
        indicator_codes=tuple(i.code for i in aligned),
        reasons=tuple(f"{i.code} {i.name}" for i in aligned),
        **fields,
    )


def _candidates(*, indicator_ids: list[int], limit: int) -> dict:
    """What `_compute` would choose from for anyone, with SPARE more courses,
    activities and resources than it shows: the same for every teacher, so
    kept in the cache (see recommendations_for)."""
    labels = resource_kind_labels()
    courses = courses_for_indicators(
        indicator_ids=indicator_ids, limit=limit - 2 + SPARE
    )
    share_site_root_paths(courses)
    activities = activities_for_indicators(indicator_ids=indicator_ids, limit=2 + SPARE)
    pages = published_pages_for_indicators(indicator_ids=indicator_ids, per_kind=2)
    share_site_root_paths(pages)
    page_groups: dict[str, list] = {}
    for page in pages:
        page_groups.setdefault(page._meta.label_lower, []).append(
            _item(
                page,
                indicator_ids,
                title=page.title,
                kind_label=labels["resource"],
                url=page.url or "",
                provider=page.kind,
                hours=None,
                action=_("打开阅读"),
            )
        )
    resources = resources_for_indicators(
        indicator_ids=indicator_ids, limit=limit + SPARE
    )
    return {
        "courses": [
            (
                course.pk,
                _item(
                    course,
                    indicator_ids,
                    title=course.title,
                    kind_label=labels["course"],
                    url=course.url or "",
                    provider=course.provider,
                    hours=course.hours,
                    action=_("查看并报名"),
                ),
            )
            for course in courses
        ],
        "courses_full": len(courses) == limit - 2 + SPARE,
        "activities": [
            (
                activity.pk,
                activity.starts_at,
                _item(
                    activity,
                    indicator_ids,
                    title=f"{activity.title}（{timezone.localtime(activity.starts_at):%m-%d}）",
                    kind_label=labels["activity"],
                    url=reverse("studio_activity", args=[activity.pk]),
                    provider=activity.studio.title,
                    hours=activity.hours,
                    action=_("查看并报名活动"),
                ),
            )
            for activity in activities
        ],
        "activities_full": len(activities) == 2 + SPARE,
        "page_groups": list(page_groups.values()),
        "resources": [
            _item(
                r,
                indicator_ids,
                title=r.title,
                kind_label=r.get_kind_display(),
                url=r.url,
                provider=r.provider,
                hours=r.hours,
                action=_("打开阅读"),
            )
            for r in resources
        ],
        "resources_full": len(resources) == limit + SPARE,
    }


def recommendations_for(
    *, indicator_ids: list[int], teacher_id: int | None = None, limit: int = 6
) -> list[Recommendation]:
    """What `_compute` recommends, from candidates kept in the cache.

    The candidates (courses open for enrolment, coming activities, published
    pages, curated resources, each with its reasons) are the same for every
    teacher with these weak indicators, in a given language and on a given
    day; they depend on the page cache's "content" version, which a save,
    publish, unpublish or delete of a course, studio, activity, page or
    resource bumps. Per request only what is hers is read: which of the
    candidate courses she takes and which activities she registered for.
    Should those (or activities that have begun since) use up the spare
    candidates, the answer is computed afresh, so it is always the same as
    `_compute`'s."""
    if not indicator_ids:
        return []
    if limit < 3:
        return _compute(indicator_ids=indicator_ids, teacher_id=teacher_id, limit=limit)
    ids = sorted(set(indicator_ids))
    key = "recommend:{}:{}:{}:{}".format(
        get_language(),
        timezone.localdate().isoformat(),
        limit,
        ",".join(map(str, ids)),
    )
    c = pagecache.cached(
        key,
        pagecache.CONTENT,
        lambda: _candidates(indicator_ids=ids, limit=limit),
    )
    taken: set[int] = set()
    registered: set[int] = set()
    if teacher_id is not None:
        taken = courses_taken_among(
            teacher_id=teacher_id, course_ids=[pk for pk, _r in c["courses"]]
        )
        registered = activities_registered_among(
            teacher_id=teacher_id, activity_ids=[pk for pk, _s, _r in c["activities"]]
        )
    courses = [r for pk, r in c["courses"] if pk not in taken]
    if c["courses_full"] and len(courses) < limit - 2:
        return _compute(indicator_ids=indicator_ids, teacher_id=teacher_id, limit=limit)
    now = timezone.now()
    activities = [
        r for pk, starts, r in c["activities"] if starts >= now and pk not in registered
    ]
    if c["activities_full"] and len(activities) < 2:
        return _compute(indicator_ids=indicator_ids, teacher_id=teacher_id, limit=limit)
    out = [r for r in courses[: limit - 2] if r.url]
    out += activities[:2]
    if len(out) < limit:
        per_kind = max(0, min(2, limit - len(out)))
        pages = [r for group in c["page_groups"] for r in group[:per_kind]]
        out += [r for r in pages if r.url][: limit - len(out)]
    if len(out) < limit:
        need = limit - len(out)
        titles = {r.title for r in out}
        resources = [r for r in c["resources"] if r.title not in titles]
        if c["resources_full"] and len(resources) < need:
            return _compute(
                indicator_ids=indicator_ids, teacher_id=teacher_id, limit=limit
            )
        out += resources[:need]
    return out
