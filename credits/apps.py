from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditsConfig(AppConfig):
    name = "credits"
    verbose_name = _("学分银行")

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy check)
