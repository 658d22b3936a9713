from celery import shared_task

from .services import teacher_import_apply, teacher_import_parse


@shared_task(
    acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5
)
def teacher_import_apply_task(import_id: int) -> None:
    teacher_import_apply(import_id=import_id)


@shared_task(
    acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5
)
def teacher_import_parse_task(import_id: int) -> None:
    teacher_import_parse(import_id=import_id)
