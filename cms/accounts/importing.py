"""Reading and checking a teacher roster (CSV in UTF-8 or GB18030, or XLSX).

Nothing here writes: `roster_parse` turns a file into rows, `roster_validate`
turns rows into normalised records plus row-level errors in Chinese. The
service applies a roster only when it has no errors at all."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.db.models.functions import Lower
from django.utils import translation
from django.utils.translation import gettext as _

from cms.shared.tables import TableError, table_read

from .identity import national_id_hash, national_id_is_valid, national_id_normalise
from .models import (
    CareerStage,
    GradeBand,
    Organisation,
    OrganisationKind,
    ProfessionalTitle,
    Subject,
    TeacherProfile,
    User,
)

# Header aliases (Chinese as HR writes them, and English) -> field.
HEADERS = {
    "姓名": "real_name",
    "name": "real_name",
    "real_name": "real_name",
    "工号": "staff_number",
    "教师编号": "staff_number",
    "staff_number": "staff_number",
    "学校": "school",
    "school": "school",
    "邮箱": "email",
    "电子邮箱": "email",
    "email": "email",
    "任教学科": "subjects",
    "学科": "subjects",
    "subjects": "subjects",
    "任教学段": "grade_bands",
    "学段": "grade_bands",
    "grade_bands": "grade_bands",
    "职称": "professional_title",
    "professional_title": "professional_title",
    "发展阶段": "career_stage",
    "career_stage": "career_stage",
    "身份证号": "national_id",
    "身份证号码": "national_id",
    "national_id": "national_id",
}
_LIST_SPLIT = re.compile(r"[、,，;；/\n]+")
_STAFF_RE = re.compile(r"^[A-Za-z0-9-]{1,32}$")


RosterError = TableError  # the roster names it so


@dataclass
class RosterCheck:
    records: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def add_error(self, row: int, message: str) -> None:
        self.errors.append({"row": row, "message": message})


def roster_parse(*, name: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """Rows as (spreadsheet row number, {field: text}); the header is row 1."""
    return table_read(
        name=name,
        data=data,
        headers=HEADERS,
        required={"real_name": "姓名", "staff_number": "工号", "school": "学校"},
    )


@functools.cache
def accepted_values(choices: type[models.TextChoices]) -> dict[str, str]:
    """Every way the site writes a choice -> its stored code: the code itself and
    the label in each interface language (新任, 新任教师, New teacher), any case."""
    accepted: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for value, label in choices.choices:
                accepted.setdefault(str(label).strip().lower(), value)
    for value in choices.values:
        accepted[value.lower()] = value
    return accepted


def accepted_labels(choices: type[models.TextChoices]) -> str:
    """The labels as the site shows them, for error messages and the template."""
    return "、".join(str(label) for label in choices.labels)


def _choice(text: str, accepted: dict[str, str]) -> str | None:
    return accepted.get(" ".join(text.split()).lower())


def _split_choices(text: str, accepted: dict[str, str]) -> tuple[list[str], list[str]]:
    """Items separated by 、，; / or new lines; an item that is not a value as a
    whole is tried word by word ("数学 信息科技"), so English labels with
    spaces ("Information technology") still match."""
    picked: list[str] = []
    unknown: list[str] = []
    for item in _LIST_SPLIT.split(text):
        item = item.strip()
        if not item:
            continue
        value = _choice(item, accepted)
        if value is not None:
            picked.append(value)
            continue
        for word in item.split():
            value = _choice(word, accepted)
            if value is None:
                unknown.append(word)
            else:
                picked.append(value)
    return list(dict.fromkeys(picked)), unknown


def _unknown_message(label: str, items: list[str], choices) -> str:
    return _("%(label)s无法识别：%(items)s（可填：%(accepted)s）") % {
        "label": label,
        "items": "、".join(items),
        "accepted": accepted_labels(choices),
    }


def _choices(check, number, row, key, choices, label) -> list[str]:
    picked, unknown = _split_choices(row.get(key, ""), accepted_values(choices))
    if unknown:
        check.add_error(number, _unknown_message(label, unknown, choices))
    return picked


def _single_choice(check, number, row, key, choices, label, default) -> str:
    text = row.get(key, "")
    if not text:
        return default
    value = _choice(text, accepted_values(choices))
    if value is None:
        check.add_error(number, _unknown_message(label, [text], choices))
        return default
    return value


def may_set_first_email(user, *, has_addresses: bool) -> bool:
    """Only an account the import made itself and nobody ever used (no email,
    no password, never signed in) may get its first address from a roster."""
    return (
        not user.email
        and not has_addresses
        and not user.has_usable_password()
        and user.last_login is None
    )


def roster_validate(*, rows: list[tuple[int, dict]], schools) -> RosterCheck:
    """Check every row against the schools the importer may use.

    `schools` is the queryset of schools in the importer's scope: a school that
    exists elsewhere is reported the same as one that does not exist at all."""
    check = RosterCheck()
    by_name: dict[str, list[Organisation]] = {}
    by_code: dict[str, Organisation] = {}
    for school in schools.filter(kind=OrganisationKind.SCHOOL).only(
        "id", "name", "code"
    ):
        by_name.setdefault(school.name, []).append(school)
        if school.code:
            by_code[school.code] = school

    staff_numbers = [r.get("staff_number", "") for _, r in rows]
    emails = [r.get("email", "").lower() for _, r in rows if r.get("email")]
    # Staff numbers match only inside the importer's scope: a number held by a
    # teacher elsewhere is an error, never a takeover of that teacher.
    existing_by_staff = {
        p.staff_number: p
        for p in TeacherProfile.objects.filter(staff_number__in=staff_numbers)
        .select_related("user")
        .only(
            "id",
            "staff_number",
            "user_id",
            "school_id",
            "national_id_hash",
            "user__email",
            "user__password",
            "user__last_login",
        )
    }
    in_scope_staff = set(
        TeacherProfile.objects.filter(
            staff_number__in=staff_numbers, school__in=schools
        ).values_list("staff_number", flat=True)
    )
    users_by_email = {
        u.email.lower(): u.id
        for u in User.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .only("id", "email")
    }
    # Addresses any account holds (primary or not): one may not be given to
    # a second account.
    address_owners: dict[str, set[int]] = {}
    for address, user_id in (
        EmailAddress.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .values_list("email", "user_id")
    ):
        address_owners.setdefault(address.lower(), set()).add(user_id)
    existing_user_ids = [p.user_id for p in existing_by_staff.values()]
    users_with_addresses = set(
        EmailAddress.objects.filter(user_id__in=existing_user_ids).values_list(
            "user_id", flat=True
        )
    )
    profile_user_ids = dict(
        TeacherProfile.objects.filter(user_id__in=users_by_email.values()).values_list(
            "user_id", "staff_number"
        )
    )
    seen_staff: dict[str, int] = {}
    seen_email: dict[str, int] = {}
    seen_id: dict[str, int] = {}
    id_hashes: dict[int, str] = {}

    for number, row in rows:
        errors_before = len(check.errors)
        for key, label in (
            ("real_name", "姓名"),
            ("staff_number", "工号"),
            ("school", "学校"),
        ):
            if not row.get(key):
                check.add_error(number, _("%(field)s不能为空") % {"field": label})
        staff = row.get("staff_number", "")
        if staff and not _STAFF_RE.match(staff):
            check.add_error(number, _("工号只能包含字母、数字和连字符"))
        elif staff in seen_staff:
            check.add_error(
                number,
                _("工号 %(staff)s 与第 %(row)d 行重复")
                % {"staff": staff, "row": seen_staff[staff]},
            )
        elif staff:
            seen_staff[staff] = number
            if staff in existing_by_staff and staff not in in_scope_staff:
                check.add_error(number, _("工号已属于其他单位"))
        if len(row.get("real_name", "")) > 64:
            check.add_error(number, _("姓名过长"))

        school = None
        school_text = row.get("school", "")
        if school_text:
            candidates = (
                [by_code[school_text]]
                if school_text in by_code
                else by_name.get(school_text, [])
            )
            if not candidates:
                check.add_error(number, _("学校不存在"))
            elif len(candidates) > 1:
                check.add_error(number, _("学校名称不唯一，请填写机构代码"))
            else:
                school = candidates[0]

        email = row.get("email", "").lower()
        existing = existing_by_staff.get(staff) if staff in in_scope_staff else None
        if email:
            try:
                validate_email(email)
            except ValidationError:
                check.add_error(number, _("邮箱格式不正确"))
            else:
                if email in seen_email:
                    check.add_error(
                        number,
                        _("邮箱与第 %(row)d 行重复") % {"row": seen_email[email]},
                    )
                seen_email.setdefault(email, number)
                owner = users_by_email.get(email)
                holders = address_owners.get(email, set())
                if owner is not None:
                    owner_staff = profile_user_ids.get(owner)
                    if owner_staff is not None and owner_staff != staff:
                        check.add_error(number, _("邮箱已被其他教师使用"))
                    elif existing is not None and existing.user_id != owner:
                        check.add_error(number, _("邮箱已被其他账号使用"))
                    elif holders - {owner}:
                        check.add_error(number, _("邮箱已被其他账号使用"))
                elif holders and (existing is None or holders != {existing.user_id}):
                    check.add_error(number, _("邮箱已被其他账号使用"))
                elif existing is not None and not may_set_first_email(
                    existing.user,
                    has_addresses=existing.user_id in users_with_addresses,
                ):
                    # Never a new sign-in address for someone who already has
                    # an account: that would hand her password reset to the
                    # importer.
                    check.add_error(
                        number,
                        _(
                            "导入不会修改已有教师的邮箱；如需更换，请教师本人在"
                            "“账号设置”中修改"
                        ),
                    )

        record_subjects = _choices(
            check, number, row, "subjects", Subject, _("任教学科")
        )
        record_bands = _choices(
            check, number, row, "grade_bands", GradeBand, _("任教学段")
        )
        title = _single_choice(
            check,
            number,
            row,
            "professional_title",
            ProfessionalTitle,
            _("职称"),
            ProfessionalTitle.NONE,
        )
        stage = _single_choice(
            check,
            number,
            row,
            "career_stage",
            CareerStage,
            _("发展阶段"),
            CareerStage.GROWING,
        )

        id_hash, last4 = row.get("national_id_hash"), row.get("national_id_last4", "")
        raw_id = national_id_normalise(row.get("national_id", ""))
        if id_hash:
            seen_id.setdefault(id_hash, number)
            id_hashes[number] = id_hash
        elif raw_id:
            if not national_id_is_valid(raw_id):
                check.add_error(number, _("身份证号格式或校验位不正确"))
            else:
                id_hash = national_id_hash(raw_id)
                if id_hash in seen_id:
                    check.add_error(
                        number,
                        _("身份证号与第 %(row)d 行重复") % {"row": seen_id[id_hash]},
                    )
                seen_id.setdefault(id_hash, number)
                id_hashes[number] = id_hash
                last4 = raw_id[-4:]

        if len(check.errors) == errors_before:
            check.records.append(
                {
                    "row": number,
                    "real_name": row["real_name"],
                    "staff_number": staff,
                    "school_id": school.id,
                    "school_name": school.name,
                    "email": email,
                    "subjects": record_subjects,
                    "grade_bands": record_bands,
                    "professional_title": title,
                    "career_stage": stage,
                    "national_id_hash": id_hash,
                    "national_id_last4": last4 if id_hash else "",
                }
            )

    # A national ID already held by a different teacher.
    if id_hashes:
        held = dict(
            TeacherProfile.objects.filter(
                national_id_hash__in=id_hashes.values()
            ).values_list("national_id_hash", "staff_number")
        )
        by_row = {r["row"]: r for r in check.records}
        for number, id_hash in id_hashes.items():
            record = by_row.get(number)
            if record and held.get(id_hash) not in (None, record["staff_number"]):
                check.add_error(
                    number,
                    _("身份证号已属于工号为 %(s)s 的教师") % {"s": held[id_hash]},
                )
    check.errors.sort(key=lambda e: e["row"])
    return check


def roster_redact(row: dict) -> dict:
    """The row as it may be stored: a national ID becomes its keyed hash (or a
    mask when it is malformed, which the check reports anyway)."""
    raw_id = national_id_normalise(row.get("national_id", ""))
    if not raw_id:
        return row
    redacted = {k: v for k, v in row.items() if k != "national_id"}
    if national_id_is_valid(raw_id):
        redacted["national_id_hash"] = national_id_hash(raw_id)
        redacted["national_id_last4"] = raw_id[-4:]
    else:
        redacted["national_id"] = "*" * max(len(raw_id) - 4, 0) + raw_id[-4:]
    return redacted
