from celery import shared_task

from .services import export_build


@shared_task(acks_late=True)
def export_build_task(job_id: int) -> None:
    export_build(job_id=job_id)
