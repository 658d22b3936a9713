"""Listen to the ledger: every committed record gets its credential. Listen to
the catalogue: a published course keeps its achievement definition (what its
credentials say was achieved) in step."""

import logging

from django.dispatch import receiver

from credits.signals import credit_recorded, record_sender

log = logging.getLogger(__name__)


@receiver(
    credit_recorded, sender=record_sender(), dispatch_uid="badges_issue_on_record"
)
def issue_on_record(sender, record_id: int, reverses_id=None, **kwargs):
    from .tasks import credentials_issue_task, revoke_for_reversal_task

    # The record is committed already: a broker outage must not turn the
    # request into an error. The job sweeper (cms/shared/jobs.py) queues credentials
    # that were never issued once the broker is back.
    try:
        if reverses_id is None:
            credentials_issue_task.delay([record_id])
        else:
            revoke_for_reversal_task.delay(record_id)
    except Exception as exc:
        log.error(
            "could not queue the credential work of record %s: %s", record_id, exc
        )


def course_published(sender, instance, **kwargs):
    from .services import achievement_for_course

    achievement_for_course(course=instance)


def issuer_saved(sender, **kwargs):
    from .keys import forget_issuer_dids

    forget_issuer_dids()


def connect():
    from django.apps import apps
    from django.db.models.signals import post_save
    from wagtail.signals import page_published

    from .models import Issuer

    post_save.connect(issuer_saved, sender=Issuer, dispatch_uid="badges_issuer_dids")
    # The sender by its label: badges listens to the catalogue without
    # importing its models (apps reach each other through services/selectors).
    page_published.connect(
        course_published,
        sender=apps.get_model("courses", "CoursePage"),
        dispatch_uid="badges_course_achievement",
    )
