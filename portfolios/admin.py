from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import DeletionRequest
from .services import teacher_data_erase


@admin.register(DeletionRequest)
class DeletionRequestAdmin(admin.ModelAdmin):
    list_display = ["teacher", "requested_at", "status", "handled_at"]
    list_filter = ["status"]
    readonly_fields = ["teacher", "reason", "requested_at", "status", "handled_at"]
    actions = ["erase"]

    @admin.action(
        description=gettext_lazy("删除所选教师的个人数据（账本记录依法保留）")
    )
    def erase(self, request, queryset):
        for item in queryset.filter(status=DeletionRequest.Status.PENDING):
            teacher_data_erase(item.teacher)
            item.status = DeletionRequest.Status.DONE
            item.handled_at = timezone.now()
            item.save(update_fields=["status", "handled_at"])
        messages.success(request, _("已处理。"))
