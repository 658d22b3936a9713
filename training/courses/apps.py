from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoursesConfig(AppConfig):
    name = "training.courses"
    label = "courses"
    verbose_name = _("课程与培训")

    def ready(self):
        from . import signals

        signals.connect(self)
