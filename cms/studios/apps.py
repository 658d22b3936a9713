from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudiosConfig(AppConfig):
    name = "cms.studios"
    label = "studios"
    verbose_name = _("双名工作室")

    def ready(self):
        from . import signals

        signals.connect(self)
