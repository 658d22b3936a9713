"""Listen to the ledger: every committed record gets its credential. Listen to
the catalogue: a published course keeps its achievement definition (what its
credentials say was achieved) in step."""

from django.dispatch import receiver

from credits.models import CreditRecord
from credits.signals import credit_recorded


@receiver(credit_recorded, sender=CreditRecord, dispatch_uid="badges_issue_on_record")
def issue_on_record(sender, record_id: int, reverses_id=None, **kwargs):
    from .tasks import credentials_issue_task, revoke_for_reversal_task

    if reverses_id is None:
        credentials_issue_task.delay([record_id])
    else:
        revoke_for_reversal_task.delay(record_id)


def course_published(sender, instance, **kwargs):
    from .services import achievement_for_course

    achievement_for_course(course=instance)


def connect():
    from django.apps import apps
    from wagtail.signals import page_published

    # The sender by its label: badges listens to the catalogue without
    # importing its models (apps reach each other through services/selectors).
    page_published.connect(
        course_published,
        sender=apps.get_model("courses", "CoursePage"),
        dispatch_uid="badges_course_achievement",
    )
