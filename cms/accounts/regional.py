"""Signing in through the region's unified identity (统一身份认证, OpenID Connect).

The first time someone signs in through the regional provider, her regional
account is linked to a teacher already on the platform (HR imports teachers
first), by one claim chosen in settings and never by name:

- OIDC_LINK_CLAIM = "staff_number" (the default): the staff-number claim
  (OIDC_STAFF_NUMBER_CLAIM) equals a teacher's 工号.
- OIDC_LINK_CLAIM = "email": the email claim equals a teacher's email address
  (one teacher only) and the provider says it verified it (email_verified is
  true). An unverified address links nothing.

When the provider asserts an organisation (OIDC_ORGANISATION_CLAIM, the
organisation's 机构代码 here), the teacher must belong to it (her school is that
organisation or under it); a claim matching a teacher elsewhere is refused and
nothing is linked. An organisation code the platform does not know is refused
too. Without an organisation claim a staff number is matched across the whole
platform, where it is unique (TeacherProfile.staff_number), and an email must
match exactly one teacher.

No match creates nobody: she is told to ask her school's HR to import her.
Later logins of a linked account are checked again against the organisation
the provider asserts (a teacher who moved is refused until HR moves her record).

Logging out ends the provider's session too: the login keeps the raw ID token
and the provider's end_session_endpoint in our session, and our logout sends
the browser there with id_token_hint (RP-initiated logout)."""

from __future__ import annotations

from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from cms.shared.errors import ApplicationError

from .models import Organisation, TeacherProfile

LINK_STAFF_NUMBER = "staff_number"
LINK_EMAIL = "email"
# The session keys: what a login through the provider brought (set by the
# callback, cms/accounts/regional_views.py) and what logout needs.
SESSION_PENDING = "regional_oidc_pending"
SESSION_KEY = "regional_oidc"


def _claim(claims: dict, name: str) -> str:
    value = claims.get(name)
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def claims_of(extra_data: dict) -> dict:
    """The claims of a login: the ID token's, with the userinfo response's
    over them (both come from the provider directly)."""
    if "userinfo" in extra_data or "id_token" in extra_data:
        return {
            **(extra_data.get("id_token") or {}),
            **(extra_data.get("userinfo") or {}),
        }
    return dict(extra_data)


def _asserted_organisation(claims: dict) -> Organisation | None:
    code = _claim(claims, settings.OIDC_ORGANISATION_CLAIM)
    if not code:
        return None
    organisation = Organisation.objects.filter(code=code).first()
    if organisation is None:
        raise ApplicationError(
            _(
                "统一身份认证给出的单位（机构代码 %(code)s）不在本平台，"
                "未能登录。请联系学校人事管理员。"
            )
            % {"code": code}
        )
    return organisation


def _in_organisation(teacher: TeacherProfile, organisation: Organisation) -> bool:
    return teacher.school.path.startswith(organisation.path)


def _cross_organisation(organisation: Organisation) -> ApplicationError:
    return ApplicationError(
        _(
            "统一身份认证表明您属于“%(organisation)s”，但与您的身份信息匹配的"
            "教师档案不属于该单位。未登录，也未关联任何账号。"
            "请联系学校人事管理员核对您的档案。"
        )
        % {"organisation": organisation.name}
    )


def _email_verified(claims: dict) -> bool:
    value = claims.get("email_verified")
    return value is True or (isinstance(value, str) and value.lower() == "true")


def teacher_for_claims(claims: dict) -> TeacherProfile:
    """The teacher a first login through the provider links to, or
    ApplicationError saying why none."""
    organisation = _asserted_organisation(claims)
    teachers = TeacherProfile.objects.select_related("school", "user")
    if settings.OIDC_LINK_CLAIM == LINK_EMAIL:
        email = _claim(claims, "email")
        if not email:
            raise ApplicationError(_("统一身份认证没有提供邮箱，无法关联教师档案。"))
        if not _email_verified(claims):
            raise ApplicationError(
                _(
                    "统一身份认证未确认邮箱 %(email)s 属于您，不能用它关联教师档案。"
                    "请先在统一身份认证平台验证邮箱，或联系学校人事管理员。"
                )
                % {"email": email}
            )
        addresses = EmailAddress.objects.filter(email__iexact=email).values("user_id")
        matches = list(
            teachers.filter(Q(user__email__iexact=email) | Q(user_id__in=addresses))
        )
        what = _("邮箱 %(email)s") % {"email": email}
    elif settings.OIDC_LINK_CLAIM == LINK_STAFF_NUMBER:
        number = _claim(claims, settings.OIDC_STAFF_NUMBER_CLAIM)
        if not number:
            raise ApplicationError(_("统一身份认证没有提供工号，无法关联教师档案。"))
        matches = list(teachers.filter(staff_number=number))
        what = _("工号 %(number)s") % {"number": number}
    else:  # a misconfiguration, told plainly rather than linking by guess
        raise ApplicationError(
            _("统一身份认证的关联方式（OIDC_LINK_CLAIM）设置有误，请联系平台管理员。")
        )
    if organisation is not None:
        inside = [t for t in matches if _in_organisation(t, organisation)]
        if matches and not inside:
            raise _cross_organisation(organisation)
        matches = inside
    if not matches:
        raise ApplicationError(
            _(
                "本平台没有与您的统一身份（%(what)s）匹配的教师档案，未登录。"
                "请联系学校人事管理员导入您的档案后再试。"
            )
            % {"what": what}
        )
    if len(matches) > 1:
        raise ApplicationError(
            _(
                "与您的统一身份（%(what)s）匹配的教师档案不止一份，无法确定关联哪一份。"
                "请联系学校人事管理员。"
            )
            % {"what": what}
        )
    return matches[0]


def check_linked_login(user, claims: dict) -> None:
    """A later login of a linked account: the teacher must still belong to
    the organisation the provider asserts."""
    organisation = _asserted_organisation(claims)
    teacher = TeacherProfile.objects.select_related("school").filter(user=user).first()
    if organisation is not None and teacher is not None:
        if not _in_organisation(teacher, organisation):
            raise _cross_organisation(organisation)


def end_session_url(info: dict, post_logout_redirect_uri: str) -> str | None:
    """Where our logout sends the browser so the provider's session ends too,
    or None if the provider has no end_session_endpoint."""
    endpoint = info.get("end_session_endpoint")
    if not endpoint:
        return None
    params = {"post_logout_redirect_uri": post_logout_redirect_uri}
    if info.get("id_token"):
        params["id_token_hint"] = info["id_token"]
    if info.get("client_id"):
        params["client_id"] = info["client_id"]
    separator = "&" if "?" in endpoint else "?"
    return f"{endpoint}{separator}{urlencode(params)}"
