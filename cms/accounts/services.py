"""Writes for people, organisations and roles.

Teacher imports are all-or-nothing: a roster with any bad row is rejected whole,
and applying one runs in a single transaction that re-checks every row first.
Re-importing a roster updates the teachers it already created (matched by staff
number) and creates no duplicates."""

from __future__ import annotations

import uuid

from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import scoping
from .importing import roster_parse, roster_redact, roster_validate
from .models import (
    Organisation,
    OrganisationKind,
    Role,
    RoleAssignment,
    TeacherImport,
    TeacherProfile,
    User,
)
from .signals import teacher_import_applied

_PROFILE_FIELDS = (
    "real_name",
    "school_id",
    "subjects",
    "grade_bands",
    "professional_title",
    "career_stage",
    "national_id_hash",
    "national_id_last4",
)
_PROGRESS_KEY = "teacher-import-progress:{}"


def role_grant(
    *, user: User, role: str, organisation: Organisation | None = None
) -> RoleAssignment:
    """Give a role (idempotent). HR roles need a school or district scope."""
    if role == Role.HR and (
        organisation is None
        or organisation.kind
        not in (
            OrganisationKind.SCHOOL,
            OrganisationKind.DISTRICT,
            OrganisationKind.CITY,
            OrganisationKind.CENTRE,
        )
    ):
        raise ValueError("An HR role needs an organisation to scope it.")
    assignment, _ = RoleAssignment.objects.get_or_create(
        user=user, role=role, organisation=organisation
    )
    return assignment


def teacher_import_create(*, user: User, name: str, data: bytes) -> TeacherImport:
    """Read and check an uploaded roster; the result is a preview, nothing applied.

    Raises RosterError when the file itself cannot be read."""
    rows = roster_parse(name=name, data=data)
    check = roster_validate(rows=rows, schools=scoping.organisations_visible_to(user))
    return TeacherImport.objects.create(
        created_by=user,
        file_name=name[:255],
        status=TeacherImport.Status.INVALID
        if check.errors
        else TeacherImport.Status.PREVIEW,
        rows=[dict(roster_redact(row), row=number) for number, row in rows],
        errors=check.errors,
        total_rows=len(rows),
    )


def teacher_import_confirm(*, teacher_import: TeacherImport) -> TeacherImport:
    """Queue a checked roster for applying (a second click queues nothing)."""
    from .tasks import teacher_import_apply_task

    with transaction.atomic():
        locked = TeacherImport.objects.select_for_update().get(pk=teacher_import.pk)
        if locked.status != TeacherImport.Status.PREVIEW:
            return locked
        locked.status = TeacherImport.Status.QUEUED
        locked.save(update_fields=["status"])
        teacher_import_apply_task.delay_on_commit(locked.pk)
    return locked


def teacher_import_progress(*, teacher_import: TeacherImport) -> int:
    """Rows applied so far (visible while the applying transaction is open)."""
    if teacher_import.status == TeacherImport.Status.DONE:
        return teacher_import.total_rows
    return int(cache.get(_PROGRESS_KEY.format(teacher_import.pk)) or 0)


def teacher_import_apply(*, import_id: int) -> TeacherImport:
    """Apply a confirmed roster in one transaction; idempotent under retries."""
    teacher_import = TeacherImport.objects.get(pk=import_id)
    if teacher_import.status not in (
        TeacherImport.Status.QUEUED,
        TeacherImport.Status.RUNNING,
    ):
        return teacher_import
    TeacherImport.objects.filter(pk=import_id).update(
        status=TeacherImport.Status.RUNNING
    )
    rows = [
        (row["row"], {k: v for k, v in row.items() if k != "row"})
        for row in teacher_import.rows
    ]
    try:
        with transaction.atomic():
            locked = TeacherImport.objects.select_for_update().get(pk=import_id)
            if locked.status == TeacherImport.Status.DONE:
                return locked
            check = roster_validate(
                rows=rows, schools=scoping.organisations_visible_to(locked.created_by)
            )
            if check.errors:
                locked.status = TeacherImport.Status.INVALID
                locked.errors = check.errors
                locked.finished_at = timezone.now()
                locked.save(update_fields=["status", "errors", "finished_at"])
                return locked
            counts = _apply_records(
                check.records, progress_key=_PROGRESS_KEY.format(import_id)
            )
            locked.status = TeacherImport.Status.DONE
            locked.created_count, locked.updated_count, locked.unchanged_count = counts
            locked.finished_at = timezone.now()
            locked.save()
            transaction.on_commit(
                lambda: teacher_import_applied.send(
                    sender=TeacherImport, import_id=import_id
                )
            )
            return locked
    finally:
        cache.delete(_PROGRESS_KEY.format(import_id))


def _apply_records(records: list[dict], *, progress_key: str) -> tuple[int, int, int]:
    existing = {
        p.staff_number: p
        for p in TeacherProfile.objects.filter(
            staff_number__in=[r["staff_number"] for r in records]
        ).select_related("user")
    }
    emails = [r["email"] for r in records if r["email"]]
    users_by_email = {u.email.lower(): u for u in User.objects.filter(email__in=emails)}

    new_users: list[User] = []
    pending_profiles: list[tuple[dict, User]] = []
    changed_profiles: list[TeacherProfile] = []
    changed_users: list[User] = []
    unchanged = 0
    for index, record in enumerate(records, start=1):
        profile = existing.get(record["staff_number"])
        if profile is None:
            user = users_by_email.get(record["email"]) if record["email"] else None
            if user is None:
                user = User(
                    username=f"t{record['staff_number']}",
                    email=record["email"],
                    first_name=record["real_name"],
                )
                user.set_unusable_password()
                new_users.append(user)
            pending_profiles.append((record, user))
        else:
            dirty = False
            for name in _PROFILE_FIELDS:
                if name.startswith("national_id") and not record["national_id_hash"]:
                    continue  # a roster without ID numbers keeps the stored ones
                if getattr(profile, name) != record[name]:
                    setattr(profile, name, record[name])
                    dirty = True
            if record["email"] and profile.user.email.lower() != record["email"]:
                profile.user.email = record["email"]
                changed_users.append(profile.user)
                dirty = True
            if dirty:
                profile.updated_at = timezone.now()  # bulk_update skips auto_now
                changed_profiles.append(profile)
            else:
                unchanged += 1
        if index % 500 == 0:
            cache.set(progress_key, index // 2, 3600)

    # Usernames follow staff numbers, which are unique; a clash can only come
    # from an account that was renamed by hand, so make it unique again.
    taken = set(
        User.objects.filter(username__in=[u.username for u in new_users]).values_list(
            "username", flat=True
        )
    )
    for user in new_users:
        if user.username in taken:
            user.username = f"{user.username}-{uuid.uuid4().hex[:8]}"
    User.objects.bulk_create(new_users, batch_size=1000)
    cache.set(progress_key, len(records) * 3 // 4, 3600)
    TeacherProfile.objects.bulk_create(
        [
            TeacherProfile(
                user=user,
                staff_number=record["staff_number"],
                **{name: record[name] for name in _PROFILE_FIELDS},
            )
            for record, user in pending_profiles
        ],
        batch_size=1000,
    )
    if changed_profiles:
        TeacherProfile.objects.bulk_update(
            changed_profiles, [*_PROFILE_FIELDS, "updated_at"], batch_size=1000
        )
    if changed_users:
        User.objects.bulk_update(changed_users, ["email"], batch_size=1000)
    touched_users = [user for _, user in pending_profiles] + changed_users
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, role=Role.TEACHER) for user in touched_users],
        ignore_conflicts=True,
        batch_size=1000,
    )
    # The school vouches for these addresses: they can reset a password at once.
    with_email = [u for u in touched_users if u.email]
    known = set(
        EmailAddress.objects.filter(
            email__in=[u.email for u in with_email]
        ).values_list("email", flat=True)
    )
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=u, email=u.email, verified=True, primary=True)
            for u in with_email
            if u.email not in known
        ],
        batch_size=1000,
    )
    cache.set(progress_key, len(records), 3600)
    return len(pending_profiles), len(changed_profiles), unchanged


def notify(*, user, title: str, body: str = "", url: str = "", key: str = "") -> bool:
    """Leave an on-site message; with a key, only once per user and key.
    Returns whether a new message was created."""
    from .models import Notification

    if key:
        _, created = Notification.objects.get_or_create(
            user=user, key=key, defaults={"title": title, "body": body, "url": url}
        )
        return created
    Notification.objects.create(user=user, title=title, body=body, url=url)
    return True
