"""Personal data held by studios: her memberships (with her application
message) and activity registrations (with her reflection). Studios she leads
and pages she wrote are the region's content and stay."""

from __future__ import annotations

from cms.shared.personal_data import PersonalDataHook, linked_rows, register

from .models import Membership, Registration, StudioPage


def export_person(teacher, writer) -> None:
    writer.rows(linked_rows(StudioPage, teacher))
    writer.rows(linked_rows(Membership, teacher))
    writer.rows(linked_rows(Registration, teacher))


def erase_person(teacher) -> None:
    # Credited attendance stays in the ledger; the key there stops a second
    # record should the registration ever be made again.
    Registration.objects.filter(teacher=teacher).delete()
    Membership.objects.filter(teacher=teacher).delete()


register(
    PersonalDataHook(
        app="studios",
        export=export_person,
        erase=erase_person,
        erased=("studios.membership.teacher", "studios.registration.teacher"),
        kept={
            "studios.studiopage.leader": "a studio is the region's programme; its "
            "page stays, and her name on her account is replaced",
        },
    )
)
