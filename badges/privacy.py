"""Personal data held by credentials: the credentials issued to her. They are
kept: issued documents are in other hands already and verifiers check them
against the status list; HR revoke one when needed."""

from __future__ import annotations

from cms.shared.personal_data import PersonalDataHook, linked_rows, register

from .models import Endorsement, IssuedCredential

KEPT = (
    "issued credentials are already in other hands; they stay verifiable or "
    "are revoked, never silently removed"
)


def export_person(teacher, writer) -> None:
    writer.rows(linked_rows(IssuedCredential, teacher))
    # Endorsements she made as a studio leader, and those of her credentials.
    writer.rows(
        linked_rows(Endorsement, teacher)
        | Endorsement.objects.filter(credential__teacher=teacher)
    )


def erase_person(teacher) -> None:
    """Nothing to erase: see the module docstring."""


register(
    PersonalDataHook(
        app="badges",
        export=export_person,
        erase=erase_person,
        kept={
            "badges.issuedcredential.teacher": KEPT,
            "badges.issuedcredential.revoked_by": "revocations she decided on "
            "other teachers' credentials",
            "badges.endorsement.endorser": "endorsements she signed as a studio "
            "leader are in other hands; she withdraws one to end it",
            "badges.endorsement.revoked_by": "endorsements she withdrew",
        },
    )
)
