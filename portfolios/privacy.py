"""Personal data held by the portrait: the portrait itself, goals, evidence
(with files and the reviews of it), share links, who looked at her portrait,
and her deletion request (kept as the record that erasure was asked for)."""

from __future__ import annotations

from cms.shared.personal_data import (
    PersonalDataHook,
    delete_with_files,
    linked_rows,
    register,
)

from .models import (
    DeletionRequest,
    Evidence,
    EvidenceReview,
    Goal,
    Portrait,
    PortraitView,
    ShareLink,
)


def export_person(teacher, writer) -> None:
    for model in (Portrait, Goal, ShareLink, PortraitView, DeletionRequest):
        writer.rows(linked_rows(model, teacher))
    evidence = linked_rows(Evidence, teacher)
    writer.rows(evidence)
    writer.files(evidence, "file")
    writer.rows(EvidenceReview.objects.filter(evidence__teacher=teacher))
    writer.rows(linked_rows(EvidenceReview, teacher))


def erase_person(teacher) -> None:
    delete_with_files(Evidence.objects.filter(teacher=teacher), "file")  # reviews
    Goal.objects.filter(teacher=teacher).delete()
    ShareLink.objects.filter(teacher=teacher).delete()
    PortraitView.objects.filter(teacher=teacher).delete()
    Portrait.objects.filter(teacher=teacher).delete()


register(
    PersonalDataHook(
        app="portfolios",
        export=export_person,
        erase=erase_person,
        erased=(
            "portfolios.portrait.teacher",
            "portfolios.goal.teacher",
            "portfolios.evidence.teacher",
            "portfolios.sharelink.teacher",
            "portfolios.portraitview.teacher",
        ),
        kept={
            "portfolios.deletionrequest.teacher": "the record that she asked for "
            "erasure and when it was carried out",
            "portfolios.evidencereview.reviewer": "her reviews of other teachers' "
            "evidence belong to their portraits",
            "portfolios.portraitview.viewer": "the other teacher's log of who "
            "looked at her portrait",
        },
    )
)
