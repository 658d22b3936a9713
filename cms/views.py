"""The role-aware landing page after login, and the language switcher."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_GET

from training.models import AssessmentResult

from .accounts import scoping, selectors
from .accounts.models import Role, RoleAssignment


@login_required
def dashboard(request):
    user = request.user
    roles = scoping.user_roles(user)
    assignments = (
        RoleAssignment.objects.filter(user=user)
        .select_related("organisation")
        .order_by("role")
    )
    context = {
        "roles": roles,
        "assignments": assignments,
        "profile": getattr(user, "teacher_profile", None),
        "is_admin": Role.PLATFORM_ADMIN in roles,
        "is_hr": bool(scoping.hr_scopes(user)),
        "hr_scopes": scoping.hr_scopes(user),
    }
    notifications = list(user.notifications.filter(read_at__isnull=True)[:5])
    context["notifications"] = notifications
    if notifications:
        user.notifications.filter(pk__in=[n.pk for n in notifications]).update(
            read_at=timezone.now()
        )
    if context["profile"] is not None:
        context["latest_result"] = (
            AssessmentResult.objects.filter(teacher=context["profile"])
            .order_by("-submitted_at")
            .first()
        )
    if context["is_admin"] or context["is_hr"]:
        context["summary"] = selectors.organisation_summary(user=user)
    context.update(_work_of(user, roles))
    return render(request, "dashboard.html", context)


def _work_of(user, roles) -> dict:
    """Where a trainer's and a studio leader's work starts: her courses with
    what waits for grading, her sessions' check-in screens, her studios."""
    import datetime

    from cms.studios.models import Activity, Membership, StudioPage
    from portfolios.models import EvidenceReview
    from training.courses.models import CoursePage, CourseSession, Submission

    out = {}
    reviews = EvidenceReview.objects.filter(
        reviewer=user, status=EvidenceReview.Status.REQUESTED
    ).count()
    courses = list(
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
    if Role.TRAINER in roles or courses:
        now = timezone.now()
        out["trainer"] = {
            "courses": courses,
            "waiting": sum(c.waiting for c in courses),
            "sessions": list(
                CourseSession.objects.filter(
                    course__in=courses,
                    ends_at__gte=now - datetime.timedelta(hours=12),
                    starts_at__lte=now + datetime.timedelta(days=30),
                )
                .select_related("course")
                .order_by("starts_at")[:10]
            ),
            "reviews": reviews,
        }
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
    if studios:
        now = timezone.now()
        for studio in studios:
            studio.upcoming = list(
                Activity.objects.filter(
                    studio=studio, ends_at__gte=now - datetime.timedelta(hours=12)
                ).order_by("starts_at")[:5]
            )
        out["leader"] = {"studios": studios, "reviews": reviews}
    return out


@require_GET
def switch_language(request):
    """The header's language switcher: a plain link-like GET, so that the
    pages carrying it hold no CSRF token and can be cached for visitors who
    are not signed in. It only sets the language cookie (as Django's
    set_language does) and goes back to `next` when that is on this site."""
    code = request.GET.get("language", "")
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if code in dict(settings.LANGUAGES) and check_for_language(code):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response
