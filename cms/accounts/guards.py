"""The one guard for pages only teachers use: the signed-in user's teacher
profile, or a refusal."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from .models import TeacherProfile


def teacher_of(request, *, not_found: str = "") -> TeacherProfile:
    """Her teacher profile. Without one: 403, or 404 with `not_found` as the
    message where a page simply does not exist for non-teachers."""
    profile = getattr(request.user, "teacher_profile", None)
    if profile is None:
        if not_found:
            raise Http404(not_found)
        raise PermissionDenied
    return profile


def teacher_or_none(request) -> TeacherProfile | None:
    """Her teacher profile when she is signed in and has one."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "teacher_profile", None)


def teacher_required(view=None, *, not_found: str = ""):
    """Sign-in required, and a teacher profile: the view finds it as
    `request.teacher`. `@teacher_required` or `@teacher_required(not_found=...)`."""

    def decorate(func):
        @login_required
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            request.teacher = teacher_of(request, not_found=not_found)
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate
