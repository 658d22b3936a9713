from django.urls import path

from . import views

urlpatterns = [
    path("teachers/", views.teacher_list, name="teacher_list"),
    path("teachers/<int:pk>/", views.teacher_detail, name="teacher_detail"),
    path(
        "teachers/export.csv",
        views.teacher_export,
        {"fmt": "csv"},
        name="teacher_export_csv",
    ),
    path(
        "teachers/export.xlsx",
        views.teacher_export,
        {"fmt": "xlsx"},
        name="teacher_export_xlsx",
    ),
    path("teachers/import/", views.teacher_import_upload, name="teacher_import_upload"),
    path(
        "teachers/import/template.csv",
        views.roster_template,
        name="teacher_import_template",
    ),
    path(
        "teachers/import/template.xlsx",
        views.roster_template_xlsx,
        name="teacher_import_template_xlsx",
    ),
    path(
        "teachers/import/<int:pk>/",
        views.teacher_import_detail,
        name="teacher_import_detail",
    ),
    path(
        "teachers/import/<int:pk>/confirm/",
        views.teacher_import_confirm,
        name="teacher_import_confirm",
    ),
    path(
        "teachers/import/<int:pk>/retry/",
        views.teacher_import_retry,
        name="teacher_import_retry",
    ),
    path(
        "teachers/import/<int:pk>/status/",
        views.teacher_import_status,
        name="teacher_import_status",
    ),
]
