from django.urls import path

from . import views, views_org, views_recognition

urlpatterns = [
    path("credits/", views.my_credits, name="my_credits"),
    path(
        "credits/transcript.pdf",
        views.my_transcript,
        {"fmt": "pdf"},
        name="my_transcript_pdf",
    ),
    path(
        "credits/transcript.xlsx",
        views.my_transcript,
        {"fmt": "xlsx"},
        name="my_transcript_xlsx",
    ),
    path(
        "credits/transcript.csv",
        views.my_transcript,
        {"fmt": "csv"},
        name="my_transcript_csv",
    ),
    path(
        "credits/transcript.json",
        views.my_transcript,
        {"fmt": "json"},
        name="my_transcript_json",
    ),
    path(
        "credits/recognition/",
        views_recognition.recognition_mine,
        name="recognition_mine",
    ),
    path(
        "credits/recognition/<int:pk>/evidence/",
        views_recognition.recognition_evidence,
        name="recognition_evidence",
    ),
    path(
        "credits/recognition/outside/<int:pk>/",
        views_recognition.outside_detail,
        name="outside_detail",
    ),
    path(
        "org/recognition/",
        views_recognition.recognition_queue,
        name="recognition_queue",
    ),
    path(
        "org/recognition/<int:pk>/",
        views_recognition.recognition_review,
        name="recognition_review",
    ),
    path("org/credits/", views_org.org_credits, name="org_credits"),
    path(
        "org/credits/export.csv",
        views_org.org_credits_export,
        {"fmt": "csv"},
        name="org_credits_csv",
    ),
    path(
        "org/credits/export.xlsx",
        views_org.org_credits_export,
        {"fmt": "xlsx"},
        name="org_credits_xlsx",
    ),
    path("org/credits/exports/", views_org.export_start, name="export_start"),
    path(
        "org/credits/exports/<int:pk>/retry/",
        views_org.export_retry,
        name="export_retry",
    ),
    path(
        "org/credits/exports/<int:pk>/", views_org.export_detail, name="export_detail"
    ),
    path(
        "org/credits/exports/<int:pk>/download/",
        views_org.export_download,
        name="export_download",
    ),
    path("verify/transcript/", views.transcript_lookup, name="transcript_lookup"),
]
