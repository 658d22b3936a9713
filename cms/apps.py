from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CmsConfig(AppConfig):
    name = "cms"
    label = "cms"
    verbose_name = _("站点")

    def ready(self):
        from django.conf import settings

        from . import checks  # noqa: F401  (registers the deploy checks)
        from .shared import pagecache
        from .shared.i18n import flatten_fallbacks

        pagecache.connect()

        for code, _name in settings.LANGUAGES:
            flatten_fallbacks(code)
