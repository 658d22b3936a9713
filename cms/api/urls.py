from django.urls import path, re_path

from . import views
from .api import api

urlpatterns = [
    path("api/v1/docs/", views.reference, name="api_reference"),
    path("api/tokens/", views.personal_tokens, name="api_personal_tokens"),
    path("api/v1/", api.urls),
    re_path(r"^api/(?P<rest>.*)$", views.not_found),
]
