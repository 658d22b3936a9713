from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem


class SuperuserMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_admin_menu_item")
def register_organisations_menu_item():
    return SuperuserMenuItem(
        _("组织机构与角色"),
        reverse("admin:accounts_organisation_changelist"),
        icon_name="group",
        order=10000,
    )


@hooks.register("before_serve_page")
def replica_reads_for_heavy_pages(page, request, serve_args, serve_kwargs):
    """The catalogue's listing reads the replica, when there is one
    (cms/shared/dbrouting.py; the page itself was found on the primary)."""
    from cms.shared import dbrouting

    if dbrouting.replica_configured() and dbrouting.page_reads_replica(page):
        dbrouting.replica_reads_allow(request)
    return None
