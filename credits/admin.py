from django.contrib import admin

from cms.shared.admin_base import ReadOnlyAdmin

from .models import (
    CreditRecord,
    CreditRuleSet,
    ExportJob,
    OutsideCredential,
    RecognitionRequest,
    Transcript,
)


@admin.register(CreditRuleSet)
class CreditRuleSetAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "effective_from")
    list_filter = ("region",)


@admin.register(CreditRecord)
class CreditRecordAdmin(ReadOnlyAdmin):
    """Read-only: the ledger changes only through credits.services."""

    list_display = ("seq", "teacher", "source_title", "hours", "credits", "earned_on")
    list_select_related = ("teacher",)
    search_fields = ("teacher__real_name", "teacher__staff_number", "source_title")


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    """The export log: who exported which organisation's transcripts, when."""

    list_display = ("created_at", "created_by", "scope", "status", "total")
    list_select_related = ("created_by", "scope")


@admin.register(RecognitionRequest)
class RecognitionRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "teacher",
        "title",
        "hours_claimed",
        "status",
        "reviewer",
    )
    list_filter = ("status",)
    list_select_related = ("teacher", "reviewer")


@admin.register(OutsideCredential)
class OutsideCredentialAdmin(ReadOnlyAdmin):
    """Credentials other platforms issued that teachers brought (read-only:
    they change only through credits.services)."""

    list_display = ("created_at", "teacher", "name", "issuer_name", "issuer_recognised")
    list_filter = ("issuer_recognised", "kind")
    list_select_related = ("teacher",)
    search_fields = ("teacher__real_name", "issuer_name", "credential_id")


@admin.register(Transcript)
class TranscriptAdmin(ReadOnlyAdmin):
    list_display = ("code", "teacher", "cycle_start", "total_hours", "issued_at")
    list_select_related = ("teacher",)
    search_fields = ("code", "teacher__real_name")
