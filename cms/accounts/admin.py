"""Platform admins edit the organisation tree and roles in the Django admin."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from treebeard.admin import TreeAdmin
from treebeard.forms import movenodeform_factory

from .models import Organisation, RoleAssignment, TeacherProfile, User


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
