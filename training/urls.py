from django.urls import path

from . import views, views_org

urlpatterns = [
    path("framework/", views.framework_index, name="framework_index"),
    path(
        "framework/<slug:framework_code>/",
        views.framework_detail,
        name="framework_detail",
    ),
    path(
        "framework/<slug:framework_code>/<str:code>/",
        views.competency_detail,
        name="competency_detail",
    ),
    path("assessment/", views.assessment_home, name="assessment_home"),
    path("assessment/model/", views.scoring_model, name="assessment_model"),
    path("assessment/start/", views.assessment_start, name="assessment_start"),
    path("assessment/step/<int:step>/", views.assessment_step, name="assessment_step"),
    path("assessment/autosave/", views.assessment_autosave, name="assessment_autosave"),
    path("assessment/review/", views.assessment_review, name="assessment_review"),
    path(
        "assessment/results/<int:pk>/",
        views.assessment_result,
        name="assessment_result",
    ),
    path(
        "assessment/results/<int:pk>/report.pdf",
        views.assessment_result_pdf,
        name="assessment_result_pdf",
    ),
    path("org/assessment/", views_org.org_assessment, name="org_assessment"),
    path(
        "org/assessment/export.csv",
        views_org.org_assessment_export,
        {"fmt": "csv"},
        name="org_assessment_csv",
    ),
    path(
        "org/assessment/export.xlsx",
        views_org.org_assessment_export,
        {"fmt": "xlsx"},
        name="org_assessment_xlsx",
    ),
]
