from django.contrib import admin

from .models import CreditRecord, CreditRuleSet


@admin.register(CreditRuleSet)
class CreditRuleSetAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "effective_from")
    list_filter = ("region",)


@admin.register(CreditRecord)
class CreditRecordAdmin(admin.ModelAdmin):
    """Read-only: the ledger changes only through credits.services."""

    list_display = ("seq", "teacher", "source_title", "hours", "credits", "earned_on")
    list_select_related = ("teacher",)
    search_fields = ("teacher__real_name", "teacher__staff_number", "source_title")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
