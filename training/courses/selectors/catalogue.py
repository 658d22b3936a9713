"""The catalogue: its filters, one page of courses, the search, the courses
the recommendations and the API read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.accounts.models import CareerStage, Subject, TeacherProfile
from credits.selectors import category_choices
from training.selectors import competencies as framework_competencies

from ..models import (
    CourseMode,
    CoursePage,
    Enrolment,
)
from ._common import FRAMEWORK, PAGE_SIZE

# Choice labels looked up once: Django's get_FOO_display rebuilds the choices
# dictionary on every call, a fifth of the catalogue's time with 20 cards.
LABELS = {
    "mode": dict(CourseMode.choices),
    "category": dict(category_choices()),
    "subject": dict(Subject.choices),
    "career_stage": dict(CareerStage.choices),
}
SORTS = {
    "new": ("-first_published_at", "-pk"),
    "hours": ("hours", "pk"),
    "-hours": ("-hours", "pk"),
    "title": ("title", "pk"),
}


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value)
    except (ArithmeticError, ValueError):
        return None
    return number if number.is_finite() and 0 <= number < 10000 else None


def course_search(courses: QuerySet, q: str) -> QuerySet:
    """Substring match on title, summary, body and provider. Chinese has no
    word boundaries, so a full-text configuration that splits on spaces would
    find nothing for 数据 inside 数据驱动的精准教学; a substring match does."""
    for term in q.split()[:5]:
        courses = courses.filter(search_text__icontains=term)
    return courses


@dataclass(frozen=True)
class CatalogueFilters:
    """What a visitor asked the catalogue for, read once from the query
    string by the page (`from_request`); the selector never sees the request."""

    q: str = ""
    dimension: str = ""
    indicator: str = ""
    mode: str = ""
    subject: str = ""
    career_stage: str = ""
    hours_min: str = ""
    hours_max: str = ""
    sort: str = "new"
    page: str | None = None
    # The query string without the page number, for the pager's links.
    querystring: str = ""

    FIELDS = (
        "q",
        "dimension",
        "indicator",
        "mode",
        "subject",
        "career_stage",
        "hours_min",
        "hours_max",
    )

    @classmethod
    def from_request(cls, request) -> CatalogueFilters:
        get = request.GET
        params = get.copy()
        params.pop("page", None)
        sort = get.get("sort", "new")
        return cls(
            q=get.get("q", "").strip()[:50],
            **{name: get.get(name, "") for name in cls.FIELDS if name != "q"},
            sort=sort if sort in SORTS else "new",
            page=get.get("page"),
            querystring=params.urlencode(),
        )

    @property
    def filtered(self) -> bool:
        return any(getattr(self, name) for name in self.FIELDS)


def catalogue(
    *, index, filters: CatalogueFilters, teacher: TeacherProfile | None
) -> dict:
    """One page of the catalogue under `index`, filtered and sorted; each card
    says whether `teacher` has enrolled. Cards carry the course; the page adds
    its URL."""
    f = filters
    # child_of lets PostgreSQL read the courses by their path prefix instead of
    # scanning every page of the site (30,000 studio pages at district scale).
    courses = CoursePage.objects.live().child_of(index)
    if f.q:
        courses = course_search(courses, f.q)
    aligned = CoursePage.indicators.through.objects
    if f.indicator:
        courses = courses.filter(
            pk__in=aligned.filter(
                competency__code=f.indicator, competency__framework__code=FRAMEWORK
            ).values("coursepage_id")
        )
    elif f.dimension:
        courses = courses.filter(
            pk__in=aligned.filter(
                competency__parent__parent__code=f.dimension,
                competency__framework__code=FRAMEWORK,
            ).values("coursepage_id")
        )
    for field, choices in (
        ("mode", CourseMode.values),
        ("subject", Subject.values),
        ("career_stage", CareerStage.values),
    ):
        value = getattr(f, field)
        if value in choices:
            # Courses for every subject or stage (left blank) suit everyone.
            courses = (
                courses.filter(mode=value)
                if field == "mode"
                else courses.filter(Q(**{field: value}) | Q(**{field: ""}))
            )
    low, high = _decimal(f.hours_min), _decimal(f.hours_max)
    if low is not None:
        courses = courses.filter(hours__gte=low)
    if high is not None:
        courses = courses.filter(hours__lte=high)
    sort = f.sort if f.sort in SORTS else "new"
    page = Paginator(
        courses.order_by(*SORTS[sort]).prefetch_related("indicators"), PAGE_SIZE
    ).get_page(f.page)
    mine = set()
    if teacher is not None and page.object_list:
        mine = set(
            Enrolment.objects.filter(
                teacher=teacher, course__in=[c.pk for c in page.object_list]
            ).values_list("course_id", flat=True)
        )
    competencies = list(
        framework_competencies(framework_code=FRAMEWORK, levels=[1, 3]).only(
            "code", "name", "level"
        )
    )
    return {
        "page": page,
        "courses": [
            {
                "course": c,
                "enrolled": c.pk in mine,
                "facts": [
                    LABELS["mode"].get(c.mode, c.mode),
                    _("%(h)s 学时") % {"h": c.hours},
                    LABELS["category"].get(c.category, c.category),
                    *(
                        LABELS[field][getattr(c, field)]
                        for field in ("subject", "career_stage")
                        if getattr(c, field) in LABELS[field]
                    ),
                    *([c.provider] if c.provider else []),
                ],
            }
            for c in page.object_list
        ],
        "q": f.q,
        "sort": sort,
        "sorts": [
            ("new", _("最新上架")),
            ("hours", _("学时从少到多")),
            ("-hours", _("学时从多到少")),
            ("title", _("按名称")),
        ],
        "dimensions": [c for c in competencies if c.level == 1],
        "indicators": [c for c in competencies if c.level == 3],
        "modes": CourseMode.choices,
        "subjects": Subject.choices,
        "stages": CareerStage.choices,
        "filtered": f.filtered,
        "querystring": f.querystring,
    }


def courses_for_indicators(
    *, indicator_ids: list[int], teacher_id: int | None = None, limit: int = 6
) -> list[CoursePage]:
    """Live courses aligned to the given indicators, those covering more of
    them first, leaving out courses the teacher already takes or finished and
    courses whose enrolment has closed."""
    if not indicator_ids:
        return []
    today = timezone.localdate()
    courses = (
        CoursePage.objects.live()
        .filter(indicators__in=indicator_ids)
        .exclude(enrol_closes__lt=today)
    )
    if teacher_id is not None:
        courses = courses.exclude(
            pk__in=Enrolment.objects.filter(teacher_id=teacher_id).values("course_id")
        )
    return list(
        courses.annotate(matches=Count("indicators"))
        .order_by("-matches", "hours", "title")
        .prefetch_related("indicators")[:limit]
    )


def courses_published() -> QuerySet[CoursePage]:
    """The live, public courses of the catalogue, for the API."""
    return CoursePage.objects.live().public()
