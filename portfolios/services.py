"""Erasing a teacher's personal data on a granted deletion request (PIPL).

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

from django.db import transaction

from cms.shared.personal_data import person_erase


def teacher_data_erase(teacher) -> None:
    with transaction.atomic():
        person_erase(teacher)
