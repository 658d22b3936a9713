"""Erasing a teacher's personal data on a granted deletion request (PIPL).

What goes: her portrait, goals, evidence (and files), reviews of it, share
links, the view log, assessment attempts and results, notifications; her
account is deactivated and her name and email replaced. What stays: ledger
records and transcripts (the credit bank is append-only and kept as the
record of public training obligations) and issued credentials (already in
other hands; they can be revoked by HR if needed)."""

from __future__ import annotations

from django.db import transaction


def teacher_data_erase(teacher) -> None:
    from cms.accounts.models import Notification
    from training.models import AssessmentAttempt, AssessmentResult
    from training.services import results_changed

    from .models import Evidence, Goal, Portrait, PortraitView, ShareLink

    with transaction.atomic():
        for evidence in Evidence.objects.filter(teacher=teacher):
            if evidence.file:
                evidence.file.delete(save=False)
        Evidence.objects.filter(teacher=teacher).delete()
        Goal.objects.filter(teacher=teacher).delete()
        ShareLink.objects.filter(teacher=teacher).delete()
        PortraitView.objects.filter(teacher=teacher).delete()
        Portrait.objects.filter(teacher=teacher).delete()
        AssessmentResult.objects.filter(teacher=teacher).delete()
        AssessmentAttempt.objects.filter(teacher=teacher).delete()
        # Aggregates cached over her results are recomputed without them.
        transaction.on_commit(results_changed)
        Notification.objects.filter(user=teacher.user).delete()
        user = teacher.user
        user.is_active = False
        user.email = f"erased-{user.pk}@invalid"
        user.first_name, user.last_name = "已注销", ""
        user.username = f"erased-{user.pk}"
        user.set_unusable_password()
        user.save()
        teacher.real_name = "已注销"
        teacher.save(update_fields=["real_name"])
