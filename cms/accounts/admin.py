"""Platform admins edit the organisation tree and roles in the Django admin."""

import allauth.mfa.admin  # noqa: F401  (registers Authenticator; replaced below)
from allauth.mfa.models import Authenticator
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Organisation, RoleAssignment, TeacherProfile, TwoFactorDevice, User


@admin.register(Organisation)
class OrganisationAdmin(TreeAdmin):
    form = movenodeform_factory(Organisation)
    list_display = ("name", "kind", "code")
    search_fields = ("name", "code")


class RoleInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    autocomplete_fields = ("organisation",)


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    inlines = [RoleInline]
    search_fields = ("username", "email", "teacher_profile__real_name")


@admin.register(TeacherProfile)
class TeacherProfileAdmin(admin.ModelAdmin):
    list_display = ("real_name", "staff_number", "school", "professional_title")
    search_fields = ("real_name", "staff_number")
    list_select_related = ("school",)
    autocomplete_fields = ("school", "user")
    readonly_fields = ("national_id_last4",)


admin.site.unregister(Authenticator)


@admin.register(TwoFactorDevice)
class TwoFactorDeviceAdmin(admin.ModelAdmin):
    raw_id_fields = ("user",)
    list_display = ("owner", "kind", "created", "last_used")
    list_filter = ("type",)

    @admin.display(description=_("用户"), ordering="user")
    def owner(self, obj):
        return obj.user

    @admin.display(description=_("类型"), ordering="type")
    def kind(self, obj):
        return obj.get_type_display()

    @admin.display(description=_("创建时间"), ordering="created_at")
    def created(self, obj):
        return obj.created_at

    @admin.display(description=_("最近使用"), ordering="last_used_at")
    def last_used(self, obj):
        return obj.last_used_at
