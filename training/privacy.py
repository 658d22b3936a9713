"""Personal data held by the self-assessment: her attempts (with answers)
and results."""

from __future__ import annotations

from django.db import transaction

from cms.shared.personal_data import PersonalDataHook, linked_rows, register

from .models import AssessmentAnswer, AssessmentAttempt, AssessmentResult
from .services import results_changed


def export_person(teacher, writer) -> None:
    writer.rows(linked_rows(AssessmentAttempt, teacher))
    writer.rows(AssessmentAnswer.objects.filter(attempt__teacher=teacher))
    writer.rows(linked_rows(AssessmentResult, teacher))


def erase_person(teacher) -> None:
    AssessmentResult.objects.filter(teacher=teacher).delete()
    AssessmentAttempt.objects.filter(teacher=teacher).delete()
    # Aggregates cached over her results are recomputed without them.
    transaction.on_commit(results_changed)


register(
    PersonalDataHook(
        app="training",
        export=export_person,
        erase=erase_person,
        erased=(
            "training.assessmentattempt.teacher",
            "training.assessmentresult.teacher",
        ),
    )
)
