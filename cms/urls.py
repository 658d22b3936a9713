from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import views
from .accounts.regional_views import callback as regional_callback
from .shared import pagecache

# A database outage answers 503 with a Chinese page (cms/shared/reliability.py).
handler500 = "cms.shared.reliability.server_error"

urlpatterns = [
    path(
        "favicon.ico",
        RedirectView.as_view(url=f"{settings.STATIC_URL}favicon.svg", permanent=True),
    ),
    # The regional provider's callback, ahead of allauth's (same path and
    # name): it keeps the ID token for the provider's logout.
    path(
        "accounts/oidc/<str:provider_id>/login/callback/",
        regional_callback,
        name="openid_connect_callback",
    ),
    # allauth's sign-in page, kept for visitors (cms.views.sign_in).
    path("accounts/login/", views.sign_in, name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("i18n/switch/", views.switch_language, name="switch_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("org/", include("cms.accounts.urls")),
    path("", include("badges.urls")),
    # After badges: its POST /api/v1/credentials/verify stays where it is.
    path("", include("cms.api.urls")),
    path("", include("portfolios.urls")),
    path("", include("cms.studios.urls")),
    path("", include("training.urls")),
    path("", include("training.courses.urls")),
    path("", include("credits.urls")),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [
    # Wagtail's page serving with the route cached (cms/shared/pagecache.py); the
    # same pattern as Wagtail's own, which stays below for reversing.
    re_path(r"^((?:[\w\-]+/)*)$", pagecache.serve),
    path("", include(wagtail_urls)),
]
