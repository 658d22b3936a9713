"""Writes for people, organisations and roles.

Teacher imports are all-or-nothing: a roster with any bad row is rejected whole,
and applying one runs in a single transaction that re-checks every row first.
Re-importing a roster updates the teachers it already created (matched by staff
number) and creates no duplicates."""

from __future__ import annotations

import logging
import uuid

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.shared import pagecache
from cms.shared.tables import table_check

from . import scopecache, scoping
from .importing import (
    RosterError,
    may_set_first_email,
    roster_parse,
    roster_redact,
    roster_validate,
)
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
log = logging.getLogger(__name__)


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

    Every size limit is applied here, within the request (cms/shared/tables.py; a
    file over a limit is refused in well under a second). A file of more
    than TABLE_BACKGROUND_ROWS rows is then read and checked by a worker: the
    import starts as "parsing" and the page follows it. Raises RosterError
    when the file itself cannot be read."""
    from .tasks import teacher_import_parse_task

    if table_check(name=name, data=data) <= settings.TABLE_BACKGROUND_ROWS:
        teacher_import = TeacherImport(created_by=user, file_name=name[:255])
        _check_roster(teacher_import, user=user, name=name, data=data)
        teacher_import.save()
        return teacher_import
    teacher_import = TeacherImport.objects.create(
        created_by=user,
        file_name=name[:255],
        status=TeacherImport.Status.PARSING,
        upload=data,
    )
    teacher_import_parse_task.delay_on_commit(teacher_import.pk)
    teacher_import.refresh_from_db()  # a worker in the same process is done
    return teacher_import


def _check_roster(
    teacher_import: TeacherImport, *, user: User, name: str, data: bytes
) -> None:
    rows = roster_parse(name=name, data=data)
    check = roster_validate(rows=rows, schools=scoping.organisations_visible_to(user))
    teacher_import.status = (
        TeacherImport.Status.INVALID if check.errors else TeacherImport.Status.PREVIEW
    )
    teacher_import.rows = [dict(roster_redact(row), row=number) for number, row in rows]
    teacher_import.errors = check.errors
    teacher_import.total_rows = len(rows)


def teacher_import_parse(*, import_id: int) -> TeacherImport:
    """Read and check a large roster in the background (idempotent)."""
    with transaction.atomic():
        teacher_import = (
            TeacherImport.objects.select_for_update()
            .select_related("created_by")
            .get(pk=import_id)
        )
        if teacher_import.status != TeacherImport.Status.PARSING:
            return teacher_import
        try:
            _check_roster(
                teacher_import,
                user=teacher_import.created_by,
                name=teacher_import.file_name,
                data=bytes(teacher_import.upload or b""),
            )
        except RosterError as exc:
            teacher_import.status = TeacherImport.Status.INVALID
            teacher_import.errors = [{"row": 0, "message": str(exc)}]
        teacher_import.upload = None
        teacher_import.save()
        return teacher_import


def teacher_import_confirm(*, teacher_import: TeacherImport) -> TeacherImport:
    """Queue a checked roster for applying (a second click queues nothing)."""
    from cms.shared import jobs

    with transaction.atomic():
        locked = TeacherImport.objects.select_for_update().get(pk=teacher_import.pk)
        if locked.status != TeacherImport.Status.PREVIEW:
            return locked
        locked.status = TeacherImport.Status.QUEUED
        locked.heartbeat_at = timezone.now()
        locked.save(update_fields=["status", "heartbeat_at"])
        jobs.job_send(jobs.IMPORT, locked.pk)
    locked.refresh_from_db()
    return locked


def teacher_import_progress(*, teacher_import: TeacherImport) -> int:
    """Rows applied so far (visible while the applying transaction is open)."""
    if teacher_import.status == TeacherImport.Status.DONE:
        return teacher_import.total_rows
    return int(cache.get(_PROGRESS_KEY.format(teacher_import.pk)) or 0)


def teacher_import_apply(*, import_id: int) -> TeacherImport:
    """Apply a confirmed roster in one transaction; idempotent under retries.
    While it applies, the transaction holds the import's row lock, which is
    what tells the job sweeper the worker is alive."""
    from cms.shared import jobs

    if not jobs.job_claim(jobs.IMPORT, import_id):
        return TeacherImport.objects.get(pk=import_id)
    teacher_import = TeacherImport.objects.get(pk=import_id)
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
                check.records,
                schools=scoping.organisations_visible_to(locked.created_by),
                progress_key=_PROGRESS_KEY.format(import_id),
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
    except Exception as exc:
        log.exception("teacher import %s failed", import_id)
        jobs.job_fail(
            jobs.IMPORT,
            import_id,
            _("导入失败（%(e)s），数据库未作任何改动，可点击“重试”。")
            % {"e": str(exc)[:200] or type(exc).__name__},
        )
        raise
    finally:
        cache.delete(_PROGRESS_KEY.format(import_id))


def _apply_records(
    records: list[dict], *, schools, progress_key: str
) -> tuple[int, int, int]:
    """Write checked records. Only teachers inside the importer's scope are
    matched (a staff number held elsewhere fails the unique constraint and
    rolls everything back); an existing account's email is never changed."""
    existing = {
        p.staff_number: p
        for p in TeacherProfile.objects.filter(
            staff_number__in=[r["staff_number"] for r in records], school__in=schools
        ).select_related("user")
    }
    with_addresses = set(
        EmailAddress.objects.filter(
            user_id__in=[p.user_id for p in existing.values()]
        ).values_list("user_id", flat=True)
    )
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
            if (
                record["email"]
                and profile.user.email.lower() != record["email"]
                and may_set_first_email(
                    profile.user, has_addresses=profile.user_id in with_addresses
                )
            ):
                # The first address of a never-used account the import made.
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
    # Only accounts this import made, or gave their first address, get a
    # verified address; an existing person's addresses are left alone.
    vouched = new_users + changed_users
    RoleAssignment.objects.bulk_create(
        [RoleAssignment(user=user, role=Role.TEACHER) for user in touched_users],
        ignore_conflicts=True,
        batch_size=1000,
    )
    # The school vouches for these addresses: they can reset a password at once.
    with_email = [u for u in vouched if u.email]
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
    if pending_profiles or changed_profiles or changed_users:
        # Bulk writes send no signal; names may show on public pages.
        transaction.on_commit(
            lambda: pagecache.bump(pagecache.CONTENT, scopecache.TEACHERS)
        )
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
