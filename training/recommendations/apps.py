from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecommendationsConfig(AppConfig):
    """Suggestions of what to learn next: reads the framework, the course
    catalogue and studio activities, so it sits above courses and studios and
    neither imports the other. The self-assessment report asks for them through
    the hook in training.selectors, filled here (events run up)."""

    name = "training.recommendations"
    # The label of the top-level app it was, so nothing keyed on it changes.
    label = "recommendations"
    verbose_name = _("学习推荐")

    def ready(self):
        from training.selectors import recommender_register

        from .selectors import recommendations_for

        recommender_register(recommendations_for)
