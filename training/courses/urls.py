from django.urls import path

from . import views

urlpatterns = [
    path("learn/", views.my_learning, name="my_learning"),
    path("learn/courses/<int:pk>/enrol/", views.enrol, name="course_enrol"),
    path(
        "learn/courses/<int:pk>/lessons/<int:lesson_pk>/",
        views.lesson,
        name="course_lesson",
    ),
    path(
        "learn/courses/<int:pk>/lessons/<int:lesson_pk>/progress/",
        views.lesson_progress,
        name="course_lesson_progress",
    ),
    path("learn/courses/<int:pk>/quiz/", views.quiz, name="course_quiz"),
    path(
        "learn/courses/<int:pk>/assignment/", views.assignment, name="course_assignment"
    ),
    path(
        "learn/submissions/<int:pk>/file/",
        views.submission_file,
        name="submission_file",
    ),
    path(
        "learn/sessions/<int:pk>/register/",
        views.session_register,
        name="session_register",
    ),
    path(
        "learn/sessions/<int:pk>/check-in/",
        views.session_check_in,
        name="session_check_in",
    ),
    path(
        "learn/sessions/<int:pk>/screen/", views.session_screen, name="session_screen"
    ),
    path(
        "learn/sessions/<int:pk>/attendance.csv",
        views.session_attendance_csv,
        name="session_attendance_csv",
    ),
    path("grading/", views.grading_queue, name="grading_queue"),
    path("grading/import/", views.scores_import, name="scores_import"),
    path("grading/import/template.xlsx", views.scores_template, name="scores_template"),
    path("grading/<int:pk>/", views.grade, name="grade_submission"),
    path("org/campaigns/", views.campaign_list, name="campaign_list"),
    path("org/campaigns/new/", views.campaign_new, name="campaign_new"),
    path("org/campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path(
        "org/campaigns/<int:pk>/status/", views.campaign_status, name="campaign_status"
    ),
    path(
        "org/campaigns/<int:pk>/restart/",
        views.campaign_restart,
        name="campaign_restart",
    ),
]
