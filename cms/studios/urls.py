from django.urls import path

from . import views

urlpatterns = [
    path("studios/<int:pk>/join/", views.join, name="studio_join"),
    path("studios/<int:pk>/members/", views.members, name="studio_members"),
    path("studios/<int:pk>/write/<str:what>/", views.write, name="studio_write"),
    path("studios/<int:pk>/drafts/", views.drafts, name="studio_drafts"),
    path(
        "studios/<int:pk>/activities/new/",
        views.activity_new,
        name="studio_activity_new",
    ),
    path("studios/activities/<int:pk>/", views.activity, name="studio_activity"),
    path("studios/review/", views.review_queue, name="studio_review_queue"),
    path("studios/review/<int:state_id>/", views.review, name="studio_review"),
    path(
        "studios/resources/<int:pk>/download/",
        views.resource_download,
        name="studio_resource_download",
    ),
    path("org/studios/", views.org_studios, name="org_studios"),
]
