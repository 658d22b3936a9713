from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CreditsConfig(AppConfig):
    name = "credits"
    verbose_name = _("学分银行")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from cms.shared import pagecache

        from . import checks  # noqa: F401  (registers the deploy check)
        from .models import CreditRuleSet, ExportJob, export_jobs_changed
        from .rules import RULES_VERSION

        def rules_changed(**kwargs):
            pagecache.bump(RULES_VERSION)

        def export_job_changed(instance=None, **kwargs):
            export_jobs_changed(getattr(instance, "created_by_id", None))

        for signal in (post_save, post_delete):
            signal.connect(
                rules_changed,
                sender=CreditRuleSet,
                weak=False,  # a local function: kept alive by the signal
                dispatch_uid="credit-rules-version",
            )
            signal.connect(
                export_job_changed,
                sender=ExportJob,
                weak=False,
                dispatch_uid="export-jobs-version",
            )
