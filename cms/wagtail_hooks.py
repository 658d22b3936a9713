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
