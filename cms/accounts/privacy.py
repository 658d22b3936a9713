"""Personal data held by accounts: her user row and teacher profile, roles,
notifications, sign-in addresses, two-factor and third-party logins.

Erasure deactivates the account and replaces what identifies her (name, email,
staff number, the national ID hash) rather than deleting it: the ledger's
records keep pointing at the profile (see credits.privacy). It runs last."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount, SocialToken

from cms.shared.personal_data import PersonalDataHook, linked_rows, register

from . import scopecache
from .models import Notification, RoleAssignment, TeacherImport, TeacherProfile, User

ERASED_NAME = "已注销"


def export_person(teacher, writer) -> None:
    writer.rows(User.objects.filter(pk=teacher.user_id), secret={"password"})
    writer.rows(TeacherProfile.objects.filter(pk=teacher.pk))
    for model in (RoleAssignment, Notification, TeacherImport, EmailAddress):
        writer.rows(linked_rows(model, teacher))
    writer.rows(linked_rows(Authenticator, teacher), secret={"data"})
    writer.rows(linked_rows(SocialAccount, teacher), secret={"extra_data"})
    writer.rows(
        SocialToken.objects.filter(account__user_id=teacher.user_id),
        secret={"token", "token_secret"},
    )


def erase_person(teacher) -> None:
    user_id = teacher.user_id
    Notification.objects.filter(user_id=user_id).delete()
    RoleAssignment.objects.filter(user_id=user_id).delete()
    EmailAddress.objects.filter(user_id=user_id).delete()
    Authenticator.objects.filter(user_id=user_id).delete()
    SocialAccount.objects.filter(user_id=user_id).delete()  # tokens go with it
    user = User.objects.get(pk=user_id)
    user.is_active = False
    user.email = f"erased-{user.pk}@invalid"
    user.first_name, user.last_name = ERASED_NAME, ""
    user.username = f"erased-{user.pk}"
    user.set_unusable_password()
    user.save()
    TeacherProfile.objects.filter(pk=teacher.pk).update(
        real_name=ERASED_NAME,
        staff_number=f"erased-{teacher.pk}",
        national_id_hash=None,
        national_id_last4="",
    )
    scopecache.teachers_changed()  # an update(): no signal
    teacher.refresh_from_db()


register(
    PersonalDataHook(
        app="accounts",
        export=export_person,
        erase=erase_person,
        erased=(
            "accounts.roleassignment.user",
            "accounts.notification.user",
            "account.emailaddress.user",
            "mfa.authenticator.user",
            "socialaccount.socialaccount.user",
        ),
        kept={
            "accounts.teacherprofile.user": "the profile stays, deactivated, with "
            "her name, staff number and ID hash replaced: ledger records point at it",
            "accounts.teacherimport.created_by": "an organisation's import job "
            "run by an administrator, about other teachers",
        },
        order=100,
    )
)
