from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BadgesConfig(AppConfig):
    name = "badges"
    verbose_name = _("可验证证书")

    def ready(self):
        from . import checks, signals  # noqa: F401

        signals.connect()
