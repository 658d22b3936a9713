from django.conf import settings

from .accounts import scoping


def site_chrome(request):
    """Role flags for the navigation; computed once per request."""
    user = getattr(request, "user", None)
    roles = scoping.user_roles(user) if user is not None else set()
    return {
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
        "user_roles": roles,
        "can_administer_teachers": bool(user) and scoping.can_administer_teachers(user),
    }
