"""The role-aware landing page after login."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

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
    return render(request, "dashboard.html", context)
