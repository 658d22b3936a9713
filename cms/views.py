"""The role-aware landing page after login, and the language switcher."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language
from django.views.decorators.http import require_GET

from training.selectors import latest_result_of

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
        context["latest_result"] = latest_result_of(teacher=context["profile"])
    if context["is_admin"] or context["is_hr"]:
        context["summary"] = selectors.organisation_summary(user=user)
    context.update(_work_of(user, roles))
    return render(request, "dashboard.html", context)


def _work_of(user, roles) -> dict:
    """Where a trainer's and a studio leader's work starts: her courses with
    what waits for grading, her sessions' check-in screens, her studios."""
    from cms.studios.selectors import studios_led_by
    from portfolios.selectors import reviews_waiting_for
    from training.courses.selectors import sessions_soon, trained_by

    out = {}
    reviews = reviews_waiting_for(user)
    courses = trained_by(user)
    if Role.TRAINER in roles or courses:
        out["trainer"] = {
            "courses": courses,
            "waiting": sum(c.waiting for c in courses),
            "sessions": sessions_soon(courses=courses, now=timezone.now()),
            "reviews": reviews,
        }
    studios = studios_led_by(user, now=timezone.now())
    if studios:
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
