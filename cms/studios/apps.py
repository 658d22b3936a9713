from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudiosConfig(AppConfig):
    name = "cms.studios"
    label = "studios"
    verbose_name = _("双名工作室")

    def ready(self):
        from cms.shared import versioned

        from . import signals
        from .models import PARTICIPATION_VERSION, Membership, Registration

        signals.connect(self)
        for model in (Membership, Registration):
            versioned.watch(model, PARTICIPATION_VERSION)
