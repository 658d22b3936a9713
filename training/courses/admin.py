from django.contrib import admin

from cms.shared.admin_base import ReadOnlyAdmin

from .models import Campaign, Enrolment, GradeChange, Submission


@admin.register(Enrolment)
class EnrolmentAdmin(admin.ModelAdmin):
    list_display = ["teacher", "course", "status", "enrolled_at", "completed_at"]
    list_filter = ["status"]
    search_fields = ["teacher__real_name", "teacher__staff_number", "course__title"]
    raw_id_fields = ["teacher", "course", "campaign"]
    readonly_fields = ["credit_record_id", "completed_at"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["enrolment", "status", "score", "passed", "submitted_at"]
    list_filter = ["status", "offline"]
    raw_id_fields = ["enrolment", "graded_by"]
    # Grades change only through the grading pages, which keep the audit trail.
    readonly_fields = [
        "status",
        "score",
        "passed",
        "criterion_scores",
        "graded_by",
        "graded_at",
    ]


@admin.register(GradeChange)
class GradeChangeAdmin(ReadOnlyAdmin):
    list_display = [
        "submission",
        "source",
        "old_score",
        "new_score",
        "new_status",
        "changed_by",
        "changed_at",
    ]
    list_filter = ["source"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "organisation",
        "status",
        "processed",
        "total",
        "created_at",
    ]
    readonly_fields = ["status", "total", "processed", "enrolled", "finished_at"]
