from django.urls import path

from . import views

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
    path("verify/transcript/", views.transcript_lookup, name="transcript_lookup"),
    path(
        "verify/transcript/<str:code>/",
        views.transcript_verify,
        name="transcript_verify",
    ),
]
