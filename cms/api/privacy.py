"""Personal data held by the open API: her personal tokens (only their hashes
are kept, never shown) and the log of calls made with them."""

from __future__ import annotations

from cms.shared.personal_data import PersonalDataHook, linked_rows, register

from .models import AccessToken, ApiCall


def export_person(teacher, writer) -> None:
    writer.rows(linked_rows(AccessToken, teacher), secret={"token_hash"})
    writer.rows(linked_rows(ApiCall, teacher))


def erase_person(teacher) -> None:
    ApiCall.objects.filter(user_id=teacher.user_id).delete()
    AccessToken.objects.filter(user_id=teacher.user_id).delete()


register(
    PersonalDataHook(
        app="api",
        export=export_person,
        erase=erase_person,
        erased=("api.accesstoken.user", "api.apicall.user"),
        kept={
            "api.apiclient.service_user": "a system's service account (a district "
            "HR system, a training provider), made with its client; not a person",
        },
    )
)
