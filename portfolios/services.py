"""Writes of the portrait: asking for an evidence review; erasing a teacher's
personal data on a granted deletion request (PIPL).

Each app erases what it holds about her through its hook (`<app>/privacy.py`,
see `cms.shared.personal_data`): what goes and what stays, with the reason, is
declared there. In short: her portrait, goals, evidence and files, assessment
attempts and results, course enrolments with submissions and their files,
studio memberships and registrations, notifications and sign-in data go; her
account is deactivated and her name, email, staff number and ID hash replaced.
Ledger records and transcripts stay (the credit bank is append-only and kept
as the record of public training obligations), as do issued credentials
(already in other hands; HR can revoke them)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from cms.shared.personal_data import person_erase

from .models import EvidenceReview


def evidence_review_request(*, evidence, reviewer) -> bool:
    """Ask `reviewer` to review the piece; False if she was already asked and
    the request is still open. Asking again someone who declined re-opens
    that request (one row per reviewer and piece, not a declined one and a
    new one)."""
    try:
        with transaction.atomic():
            reopened = EvidenceReview.objects.filter(
                evidence=evidence,
                reviewer=reviewer,
                status=EvidenceReview.Status.DECLINED,
            ).update(
                status=EvidenceReview.Status.REQUESTED,
                comment="",
                reviewed_at=None,
                requested_at=timezone.now(),
            )
            if not reopened:
                EvidenceReview.objects.create(evidence=evidence, reviewer=reviewer)
    except IntegrityError:
        return False
    return True


def teacher_data_erase(teacher) -> None:
    with transaction.atomic():
        person_erase(teacher)
