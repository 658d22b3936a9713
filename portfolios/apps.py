from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfoliosConfig(AppConfig):
    name = "portfolios"
    verbose_name = _("一师一像")

    def ready(self):
        from cms.shared import versioned

        from .models import PORTRAITS_VERSION, Portrait

        versioned.watch(Portrait, PORTRAITS_VERSION)
