from django.conf import settings
from django.utils.translation import gettext as _

from .accounts import scoping


def site_chrome(request):
    """Role flags for the navigation; computed once per request."""
    user = getattr(request, "user", None)
    roles = scoping.user_roles(user) if user is not None else set()
    return {
        "SITE_NAME": settings.WAGTAIL_SITE_NAME,
        # The separator between list items: 、 in Chinese, a comma in English.
        "list_sep": _("、"),
        "user_roles": roles,
        "can_administer_teachers": bool(user) and scoping.can_administer_teachers(user),
    }
