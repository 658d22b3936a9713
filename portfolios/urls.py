from django.urls import path

from . import dashboard, views

urlpatterns = [
    path("portrait/", views.my_portrait, name="my_portrait"),
    path("portrait/method/", views.method, name="portrait_method"),
    path("portrait/report.pdf", views.portrait_pdf, name="portrait_pdf"),
    path("portrait/goals/new/", views.goal_edit, name="goal_new"),
    path("portrait/goals/<int:pk>/", views.goal_edit, name="goal_edit"),
    path("portrait/goals/<int:pk>/delete/", views.goal_delete, name="goal_delete"),
    path("portrait/evidence/", views.evidence_list, name="evidence_list"),
    path(
        "portrait/evidence/<int:pk>/review/",
        views.evidence_request_review,
        name="evidence_request_review",
    ),
    path("portrait/evidence/<int:pk>/file/", views.evidence_file, name="evidence_file"),
    path("portrait/reviews/", views.review_queue, name="review_queue"),
    path("portrait/reviews/<int:pk>/", views.review_edit, name="review_edit"),
    path("portrait/share/", views.share_links, name="share_links"),
    path("portrait/share/<int:pk>/revoke/", views.share_revoke, name="share_revoke"),
    path("portrait/views/", views.view_log, name="portrait_views"),
    path("portrait/export.zip", views.export_zip, name="portrait_export"),
    path("portrait/delete/", views.deletion_request, name="portrait_deletion"),
    path("p/<str:token>/", views.shared_portrait, name="shared_portrait"),
    path("org/portraits/<int:teacher_id>/", views.org_portrait, name="org_portrait"),
    path("org/overview/", dashboard.org_overview, name="org_overview"),
    path(
        "org/overview.csv",
        dashboard.org_overview_export,
        {"fmt": "csv"},
        name="org_overview_csv",
    ),
    path(
        "org/overview.xlsx",
        dashboard.org_overview_export,
        {"fmt": "xlsx"},
        name="org_overview_xlsx",
    ),
]
