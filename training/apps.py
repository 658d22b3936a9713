from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("培训与测评")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from cms.shared import pagecache, versioned

        from .models import RESULTS_VERSION, AssessmentResult, Instrument
        from .selectors import INSTRUMENT_VERSION

        versioned.watch(AssessmentResult, RESULTS_VERSION)

        def instrument_changed(**kwargs):
            pagecache.bump(INSTRUMENT_VERSION)

        for signal in (post_save, post_delete):
            signal.connect(
                instrument_changed,
                sender=Instrument,
                weak=False,  # a local function: kept alive by the signal
                dispatch_uid=f"instrument-version-{id(signal)}",
            )
