"""Reads for the catalogue, course pages, "my learning", grading and campaigns.
Each page reads in a fixed number of queries however many courses,
enrolments or submissions there are."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.accounts.models import CareerStage, Subject, TeacherProfile
from cms.shared.pageurls import share_site_root_paths
from credits.selectors import category_choices
from training.framework import FRAMEWORK_CODE
from training.selectors import competencies as framework_competencies

from .models import (
    Campaign,
    CourseLesson,
    CourseMode,
    CoursePage,
    CourseSession,
    Enrolment,
    LessonProgress,
    QuizAttempt,
    SessionRegistration,
    Submission,
)

FRAMEWORK = FRAMEWORK_CODE
# Choice labels looked up once: Django's get_FOO_display rebuilds the choices
# dictionary on every call, a fifth of the catalogue's time with 20 cards.
LABELS = {
    "mode": dict(CourseMode.choices),
    "category": dict(category_choices()),
    "subject": dict(Subject.choices),
    "career_stage": dict(CareerStage.choices),
}
PAGE_SIZE = 20
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


def _querystring(request) -> str:
    """The query string without the page number, for the pager's links."""
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@dataclass(frozen=True)
class LearningFilters:
    """What "my learning" was asked for: a status (or all) and a page."""

    status: str = ""
    page: str | None = None
    querystring: str = ""

    @classmethod
    def from_request(cls, request) -> LearningFilters:
        return cls(
            status=request.GET.get("status", ""),
            page=request.GET.get("page"),
            querystring=_querystring(request),
        )


@dataclass(frozen=True)
class GradingFilters:
    """What the grading queue was asked for: a status (waiting by default),
    a course id and a page."""

    status: str = "submitted"
    course: str = ""
    page: str | None = None
    querystring: str = ""

    @classmethod
    def from_request(cls, request) -> GradingFilters:
        return cls(
            status=request.GET.get("status", Submission.Status.SUBMITTED),
            course=request.GET.get("course", ""),
            page=request.GET.get("page"),
            querystring=_querystring(request),
        )


def course_detail(
    *, course: CoursePage, teacher: TeacherProfile | None, user=None
) -> dict:
    """The course page: its lessons by module, sessions and, for `teacher`,
    her enrolment, progress and what is missing; `user` (signed in or not)
    is asked whether she grades it. The page registers its cache dependency."""
    from . import services

    lessons = list(course.lessons.all())
    modules: list[dict] = []
    for lesson in lessons:
        name = lesson.module or _("课程内容")
        if not modules or modules[-1]["name"] != name:
            modules.append({"name": name, "lessons": []})
        modules[-1]["lessons"].append(lesson)
    sessions = list(course.sessions.all())
    enrolment = None
    done: set[int] = set()
    registered: dict[int, SessionRegistration] = {}
    submission = quiz = None
    missing: list[str] = []
    if teacher is not None:
        enrolment = Enrolment.objects.filter(course=course, teacher=teacher).first()
    if enrolment is not None:
        enrolment.course = course
        done = set(
            LessonProgress.objects.filter(
                enrolment=enrolment, completed_at__isnull=False
            ).values_list("lesson_id", flat=True)
        )
        registered = {
            r.session_id: r
            for r in SessionRegistration.objects.filter(
                teacher=teacher, session__course=course
            )
        }
        submission = Submission.objects.filter(enrolment=enrolment).first()
        quiz = QuizAttempt.objects.filter(enrolment=enrolment).first()
        missing = services.completion_missing(
            enrolment=enrolment, lesson_count=len(lessons)
        )
    seats_left = None
    if course.capacity is not None:
        seats_left = max(0, course.capacity - course.enrolments.count())
    from credits.selectors import credit_value

    return {
        "course": course,
        "credits": credit_value(
            kind=course_credit_kind(course),
            hours=course.hours,
            school=teacher.school if teacher is not None else None,
        ),
        "modules": modules,
        "lesson_count": len(lessons),
        "done": done,
        "question_count": course.questions.count(),
        "sessions": [
            {"session": s, "registration": registered.get(s.pk)} for s in sessions
        ],
        "indicators": list(
            course.indicators.select_related("parent__parent", "framework").order_by(
                "sort_key"
            )
        ),
        "teacher": teacher,
        "enrolment": enrolment,
        "submission": submission,
        "quiz": quiz,
        "missing": missing,
        "closed_reason": services.enrolment_open_reason(
            course=course, on=timezone.localdate()
        ),
        "seats_left": seats_left,
        "is_trainer": user is not None
        and user.is_authenticated
        and services.may_grade(user, course),
    }


def course_credit_kind(course: CoursePage) -> str:
    """The ledger's learning kind for a course's completion."""
    return "online_course" if course.mode == CourseMode.ONLINE else "offline_training"


def lesson_counts() -> Subquery:
    return Coalesce(
        Subquery(
            CourseLesson.objects.filter(course=OuterRef("course"))
            .order_by()
            .values("course")
            .annotate(n=Count("pk"))
            .values("n"),
            output_field=IntegerField(),
        ),
        0,
    )


def my_learning(*, teacher: TeacherProfile, filters: LearningFilters) -> dict:
    """Her enrolments, one page, with progress; the page adds the courses'
    URLs (`rows[i]["url"]`)."""
    status = filters.status
    enrolments = Enrolment.objects.filter(teacher=teacher)
    counts = dict(enrolments.order_by().values_list("status").annotate(n=Count("pk")))
    if status in Enrolment.Status.values:
        enrolments = enrolments.filter(status=status)
    page = Paginator(
        enrolments.select_related("course")
        .annotate(lesson_total=lesson_counts())
        .order_by("status", "-enrolled_at"),
        PAGE_SIZE,
    ).get_page(filters.page)
    rows = []
    enrolments = list(page.object_list)
    # One look-up of the site root paths for all the links (a relative link
    # on a one-site install), not a Site query for the request's hostname.
    share_site_root_paths(e.course for e in enrolments)
    for enrolment in enrolments:
        total = enrolment.lesson_total
        rows.append(
            {
                "enrolment": enrolment,
                "course": enrolment.course,
                "percent": min(100, int(enrolment.lessons_done * 100 / total))
                if total
                else 0,
                "lesson_total": total,
            }
        )
    upcoming = list(
        SessionRegistration.objects.filter(
            teacher=teacher, session__ends_at__gte=timezone.now()
        )
        .select_related("session__course")
        .order_by("session__starts_at")[:5]
    )
    return {
        "page": page,
        "rows": rows,
        "status": status,
        "counts": {
            "all": sum(counts.values()),
            "enrolled": counts.get(Enrolment.Status.ENROLLED, 0),
            "completed": counts.get(Enrolment.Status.COMPLETED, 0),
        },
        "upcoming": upcoming,
        "querystring": filters.querystring,
    }


def courses_graded_by(user) -> QuerySet[CoursePage]:
    from cms.accounts.scoping import is_platform_admin

    if is_platform_admin(user):
        return CoursePage.objects.all()
    return CoursePage.objects.filter(trainers=user)


def submissions_for_grader(user) -> QuerySet[Submission]:
    """Submissions a trainer may open: those of courses she grades, only."""
    return Submission.objects.filter(
        enrolment__course__in=courses_graded_by(user).values("pk")
    )


def grading_queue(*, user, filters: GradingFilters) -> dict:
    status = filters.status
    submissions = submissions_for_grader(user).exclude(offline=True)
    if status in Submission.Status.values:
        submissions = submissions.filter(status=status)
    course = filters.course
    if course.isascii() and course.isdecimal():
        submissions = submissions.filter(enrolment__course_id=int(course))
    page = Paginator(
        submissions.select_related(
            "enrolment__teacher__school", "enrolment__course"
        ).order_by("submitted_at", "pk"),
        PAGE_SIZE,
    ).get_page(filters.page)
    return {
        "page": page,
        "status": status,
        "statuses": Submission.Status.choices,
        "courses": courses_graded_by(user).order_by("title").values_list("pk", "title"),
        "course": course,
        "waiting": submissions_for_grader(user)
        .filter(status=Submission.Status.SUBMITTED)
        .count(),
        "querystring": filters.querystring,
    }


def campaign_figures(*, campaign: Campaign) -> dict:
    """Completion per school for the campaign's courses among the teachers of
    its organisation, in three grouped queries."""
    org = campaign.organisation
    teachers = TeacherProfile.objects.filter(school__path__startswith=org.path)
    course_ids = list(campaign.courses.values_list("pk", flat=True))
    per_school = {
        row["school_id"]: {
            "name": row["school__name"],
            "teachers": row["n"],
            "enrolments": 0,
            "completed": 0,
        }
        for row in teachers.order_by()
        .values("school_id", "school__name")
        .annotate(n=Count("pk"))
    }
    enrolments = Enrolment.objects.filter(
        course_id__in=course_ids, teacher__school__path__startswith=org.path
    ).order_by()
    for row in enrolments.values("teacher__school_id").annotate(
        n=Count("pk"), done=Count("pk", filter=Q(status=Enrolment.Status.COMPLETED))
    ):
        school = per_school.get(row["teacher__school_id"])
        if school is not None:
            school["enrolments"], school["completed"] = row["n"], row["done"]
    per_course = defaultdict(lambda: {"enrolments": 0, "completed": 0})
    for row in enrolments.values("course_id").annotate(
        n=Count("pk"), done=Count("pk", filter=Q(status=Enrolment.Status.COMPLETED))
    ):
        per_course[row["course_id"]] = {
            "enrolments": row["n"],
            "completed": row["done"],
        }
    schools = sorted(per_school.values(), key=lambda s: s["name"])
    for school in schools:
        school["rate"] = (
            round(school["completed"] * 100 / school["enrolments"], 1)
            if school["enrolments"]
            else 0
        )
    courses = [
        {"course": c, **per_course[c.pk]}
        for c in CoursePage.objects.filter(pk__in=course_ids).order_by("title")
    ]
    for row in courses:
        row["rate"] = (
            round(row["completed"] * 100 / row["enrolments"], 1)
            if row["enrolments"]
            else 0
        )
    total = sum(s["enrolments"] for s in schools)
    completed = sum(s["completed"] for s in schools)
    return {
        "schools": schools,
        "courses": courses,
        "total": total,
        "completed": completed,
        "rate": round(completed * 100 / total, 1) if total else 0,
    }


def campaigns_visible_to(user) -> QuerySet[Campaign]:
    from cms.accounts.scoping import organisations_visible_to

    return Campaign.objects.filter(
        organisation__in=organisations_visible_to(user)
    ).select_related("organisation", "created_by")


def session_attendance(*, session: CourseSession) -> list[SessionRegistration]:
    return list(
        session.registrations.select_related("teacher__school").order_by(
            "checked_in_at", "teacher__real_name"
        )
    )


def course_achievement_facts(*, course: CoursePage) -> dict:
    """What a credential for completing this course says about it."""
    rules = []
    if course.require_lessons:
        rules.append(_("学完全部课时"))
    if course.require_quiz:
        rules.append(_("课程测验达到 %(p)d%%") % {"p": course.quiz_pass_percent})
    if course.require_assignment:
        rules.append(_("作业经培训者按量规评定合格"))
    if course.min_sessions:
        rules.append(_("线下或直播出勤 %(n)d 次") % {"n": course.min_sessions})
    return {
        "name": course.title,
        "description": course.summary or course.title,
        "criteria": _("完成课程“%(t)s”（%(h)s 学时）：%(r)s。")
        % {"t": course.title, "h": course.hours, "r": "；".join(rules)},
        "hours": course.hours,
        "indicator_ids": list(course.indicators.values_list("pk", flat=True)),
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


def learning_events(*, teacher, limit: int) -> list[dict]:
    """Her enrolments and completions, for the portrait's timeline."""
    events = []
    enrolments = list(
        Enrolment.objects.filter(teacher=teacher)
        .select_related("course")
        .order_by("-enrolled_at")[:limit]
    )
    share_site_root_paths(e.course for e in enrolments)
    for e in enrolments:
        url = e.course.url or ""
        events.append(
            {
                "when": e.enrolled_at,
                "kind": "course",
                "title": _("报名课程：%(t)s") % {"t": e.course.title},
                "detail": e.course.get_mode_display(),
                "url": url,
            }
        )
        if e.completed_at:
            events.append(
                {
                    "when": e.completed_at,
                    "kind": "course",
                    "title": _("结业：%(t)s") % {"t": e.course.title},
                    "detail": _("%(h)s 学时") % {"h": e.course.hours},
                    "url": url,
                }
            )
    return events


def courses_published() -> QuerySet[CoursePage]:
    """The live, public courses of the catalogue, for the API."""
    return CoursePage.objects.live().public()


def enrolments_for_teachers(*, teachers) -> QuerySet[Enrolment]:
    """Enrolments of the given teachers (a scoped queryset)."""
    return Enrolment.objects.filter(teacher__in=teachers)


def trained_by(user) -> list[CoursePage]:
    """Her live courses as a trainer, each with `waiting`: the online
    submissions waiting for a grade."""
    return list(
        CoursePage.objects.live()
        .filter(trainers=user)
        .annotate(
            waiting=Count(
                "enrolments__submission",
                filter=Q(
                    enrolments__submission__status=Submission.Status.SUBMITTED,
                    enrolments__submission__offline=False,
                ),
            )
        )
        .order_by("title")
    )


def sessions_soon(*, courses, now) -> list[CourseSession]:
    """The next ten sessions of these courses (those that ended in the last
    12 hours included, up to 30 days ahead): the trainer's check-in screens."""
    import datetime

    return list(
        CourseSession.objects.filter(
            course__in=courses,
            ends_at__gte=now - datetime.timedelta(hours=12),
            starts_at__lte=now + datetime.timedelta(days=30),
        )
        .select_related("course")
        .order_by("starts_at")[:10]
    )


def courses_taken_among(*, teacher_id: int, course_ids) -> set[int]:
    """Which of these courses the teacher takes or took (any enrolment)."""
    if not course_ids:
        return set()
    return set(
        Enrolment.objects.filter(
            teacher_id=teacher_id, course_id__in=list(course_ids)
        ).values_list("course_id", flat=True)
    )
