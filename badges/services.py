"""Issuing and revoking credentials. Exactly one credential per ledger record
(and one CLR per transcript), whatever retries or concurrent workers do."""

from __future__ import annotations

import datetime
import logging
import uuid
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.shared.errors import ApplicationError
from credits.data import SourceKind
from credits.selectors import ledger_records
from credits.services import credit_record_reverse

if TYPE_CHECKING:
    from credits.models import CreditRecord

from . import compose, events, keys, proofs, statuslist
from .models import AchievementDefinition, Endorsement, IssuedCredential

log = logging.getLogger(__name__)


class NotRevocable(Exception):
    pass


def _definitions_for(records) -> dict:
    pairs = {(r.source_type, r.source_id) for r in records}
    if not pairs:
        return {}
    types = {p[0] for p in pairs}
    found = AchievementDefinition.objects.filter(
        source_type__in=types
    ).prefetch_related("competencies")
    return {
        (d.source_type, d.source_id): d
        for d in found
        if (d.source_type, d.source_id) in pairs
    }


def _issuable(record: CreditRecord) -> bool:
    # A reversal cancels a record; it earns nothing to certify (the original
    # credential is revoked instead).
    return record.reverses_id is None and record.hours > 0


def credentials_issue(record_ids: list[int]) -> int:
    """Issue the missing credentials of these records; returns how many were made.

    Records that already have one are skipped, so calling this again (a retried
    task, a second worker given the same ids) makes nothing twice: the unique
    record column settles any race, and the loser's whole batch is retried
    record by record."""
    records = list(
        ledger_records()
        .filter(pk__in=record_ids, credential__isnull=True)
        .select_related("teacher__user", "teacher__school")
        .order_by("seq")
    )
    records = [r for r in records if _issuable(r)]
    if not records:
        return 0
    definitions = _definitions_for(records)
    by_issuer: dict = {}
    schools = {r.teacher.school_id: r.teacher.school for r in records}
    school_issuers = keys.issuers_for_schools(schools.values())
    for record in records:
        issuer = school_issuers[record.teacher.school_id]
        by_issuer.setdefault(issuer.pk, (issuer, []))[1].append(record)
    made = 0
    for issuer, group in by_issuer.values():
        try:
            made += _issue_group(issuer, group, definitions)
        except IntegrityError:
            # Someone issued some of these meanwhile; do the rest one by one.
            for record in group:
                try:
                    made += _issue_group(issuer, [record], definitions)
                except IntegrityError:
                    pass
    return made


def _issue_group(issuer, records, definitions) -> int:
    key = keys.active_key(issuer)
    secret = keys.private_key(key)
    vm = keys.verification_method_id(key)
    issuer_id = keys.issuer_did(issuer)
    now = timezone.now()
    created = compose.iso(now)
    # Slots are reserved in a short transaction of their own, so workers
    # signing in parallel only queue on the list row for a moment. A slot
    # reserved by a batch that then loses a race stays unused, which is harmless.
    with transaction.atomic():
        slots = statuslist.allocate(issuer, len(records))
    rows = []
    for record, (status_list, index) in zip(records, slots, strict=True):
        uid = uuid.uuid4()
        unsigned, slug = compose.badge_credential(
            uid=uid,
            record=record,
            issuer_id=issuer_id,
            issuer_name=issuer.name,
            status=statuslist.status_entry(status_list, index),
            definition=definitions.get((record.source_type, record.source_id)),
        )
        rows.append(
            IssuedCredential(
                uid=uid,
                kind=IssuedCredential.Kind.BADGE,
                record=record,
                teacher_id=record.teacher_id,
                issuer=issuer,
                key=key,
                achievement_slug=slug,
                name=unsigned["name"][:240],
                status_list=status_list,
                status_index=index,
                document=proofs.sign(unsigned, secret, vm, created),
                issued_at=now,
            )
        )
    with transaction.atomic():
        IssuedCredential.objects.bulk_create(rows)
        ids = [row.pk for row in rows]
        transaction.on_commit(
            lambda: events.credential_issued.send(
                sender=IssuedCredential, credential_ids=ids
            )
        )
    return len(rows)


def credential_for_record(record: CreditRecord) -> IssuedCredential | None:
    credentials_issue([record.pk])
    return IssuedCredential.objects.filter(record=record).first()


def credential_revoke(
    *, credential: IssuedCredential, by, reason: str
) -> IssuedCredential:
    """Revoke: the status bit is set and the ledger gets the reversing record,
    in one transaction. Revoking twice changes nothing."""
    reason = (reason or "").strip()
    if not reason:
        raise NotRevocable("请填写撤销原因。")
    with transaction.atomic():
        credential = IssuedCredential.objects.select_for_update().get(pk=credential.pk)
        if credential.revoked_at is not None:
            return credential
        if credential.record_id is not None:
            credit_record_reverse(
                record=credential.record, reason=reason, recorded_by=by
            )
        statuslist.revoke_slot(credential.status_list_id, credential.status_index)
        credential.revoked_at = timezone.now()
        credential.revoked_by = by
        credential.revoke_reason = reason[:200]
        credential.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        _announce_revoked(credential.pk)
    return credential


def _announce_revoked(credential_id: int) -> None:
    transaction.on_commit(
        lambda: events.credential_revoked.send(
            sender=IssuedCredential, credential_id=credential_id
        )
    )


def revoke_for_reversal(reversal_id: int) -> None:
    """A record reversed in the ledger by other means: its credential goes too."""
    reversal = ledger_records().filter(pk=reversal_id).first()
    if reversal is None or reversal.reverses_id is None:
        return
    with transaction.atomic():
        credential = (
            IssuedCredential.objects.select_for_update()
            .filter(record_id=reversal.reverses_id, revoked_at__isnull=True)
            .first()
        )
        if credential is None:
            return
        statuslist.revoke_slot(credential.status_list_id, credential.status_index)
        credential.revoked_at = timezone.now()
        credential.revoked_by = reversal.recorded_by
        credential.revoke_reason = reversal.note[:200]
        credential.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        _announce_revoked(credential.pk)


def transcript_clr(*, transcript) -> IssuedCredential:
    """The signed CLR of a transcript (made once; a transcript never changes)."""
    existing = IssuedCredential.objects.filter(transcript=transcript).first()
    if existing is not None:
        return existing
    from credits import selectors

    teacher = transcript.teacher
    records = list(
        selectors.records_for(
            teacher=teacher,
            first_year=transcript.cycle_start,
            last_year=transcript.cycle_end,
        ).filter(seq__lte=transcript.last_seq)
    )
    credentials_issue([r.pk for r in records])
    inner = [
        c.document
        for c in IssuedCredential.objects.filter(
            record__in=records, revoked_at__isnull=True
        ).order_by("record__seq")
    ]
    issuer = keys.issuer_for_school(teacher.school)
    key = keys.active_key(issuer)
    now = timezone.now()
    uid = uuid.uuid4()
    try:
        with transaction.atomic():
            ((status_list, index),) = statuslist.allocate(issuer, 1)
            unsigned = compose.clr_credential(
                uid=uid,
                transcript=transcript,
                teacher=teacher,
                issuer_id=keys.issuer_did(issuer),
                issuer_name=issuer.name,
                credentials=inner,
                issued_at=now,
                status=statuslist.status_entry(status_list, index),
            )
            return IssuedCredential.objects.create(
                uid=uid,
                kind=IssuedCredential.Kind.CLR,
                transcript=transcript,
                teacher=teacher,
                issuer=issuer,
                key=key,
                name=unsigned["name"][:240],
                status_list=status_list,
                status_index=index,
                document=proofs.sign(
                    unsigned,
                    keys.private_key(key),
                    keys.verification_method_id(key),
                    compose.iso(now),
                ),
                issued_at=now,
            )
    except IntegrityError:
        return IssuedCredential.objects.get(transcript=transcript)


def achievement_for_course(*, course) -> AchievementDefinition:
    """The achievement a course's completions certify, kept in step with the
    published course (name, description, criteria, hours, indicators). Its
    slug and id stay fixed, so earlier credentials keep pointing at it."""
    from django.utils import translation

    from training.courses.selectors import course_achievement_facts

    with translation.override("zh-hans"):  # credentials speak Chinese
        facts = course_achievement_facts(course=course)
    definition, _created = AchievementDefinition.objects.update_or_create(
        source_type=SourceKind.COURSE,
        source_id=str(course.pk),
        defaults={
            "name": facts["name"],
            "description": facts["description"],
            "criteria": facts["criteria"],
            "achievement_type": "Course",
            "credits_available": facts["hours"],
        },
        create_defaults={
            "slug": f"course-{course.pk}",
            "name": facts["name"],
            "description": facts["description"],
            "criteria": facts["criteria"],
            "achievement_type": "Course",
            "credits_available": facts["hours"],
        },
    )
    definition.competencies.set(facts["indicator_ids"])
    return definition


def credentials_requeue_lost(*, older_than: datetime.datetime) -> int:
    """Records whose credential message was lost (a Redis outage, a killed
    worker): queue them again. Issuing skips any credential already made."""
    before = older_than
    ids = list(
        ledger_records()
        .filter(
            credential__isnull=True,
            reverses__isnull=True,
            hours__gt=0,
            recorded_at__lt=before,
            recorded_at__gte=before - datetime.timedelta(days=2),
        )
        .order_by("seq")
        .values_list("pk", flat=True)[:2000]
    )
    from .tasks import credentials_issue_task, revoke_for_reversal_task

    for start in range(0, len(ids), 200):
        credentials_issue_task.delay(ids[start : start + 200])
    # Reversals whose credential revocation was lost.
    reversals = list(
        ledger_records()
        .filter(
            reverses__isnull=False,
            reverses__credential__isnull=False,
            reverses__credential__revoked_at__isnull=True,
            recorded_at__lt=before,
            recorded_at__gte=before - datetime.timedelta(days=2),
        )
        .values_list("pk", flat=True)[:2000]
    )
    for pk in reversals:
        revoke_for_reversal_task.delay(pk)
    if ids or reversals:
        log.warning(
            "%s records without a credential, %s unrevoked reversals; queued again",
            len(ids),
            len(reversals),
        )
    return len(ids) + len(reversals)


# --- endorsements -----------------------------------------------------------

ENDORSEMENT_COMMENT_MAX = 1000
SUPERSEDED = "由同一主持人新的背书意见取代"


def endorsement_studios(*, user, credential: IssuedCredential) -> list:
    """The studios through which ``user`` may endorse ``credential``: those
    she leads in which its holder is a current member. Only credit
    credentials (badges) are endorsed, and only while not revoked."""
    from cms.studios.selectors import studios_where_leader_endorses

    if credential.kind != IssuedCredential.Kind.BADGE or credential.revoked_at:
        return []
    return studios_where_leader_endorses(leader=user, teacher=credential.teacher)


def _person_name(user) -> str:
    profile = getattr(user, "teacher_profile", None)
    if profile is not None and profile.real_name:
        return profile.real_name
    return user.get_full_name() or user.get_username()


def endorsement_issue(
    *, credential: IssuedCredential, studio, by, comment: str
) -> Endorsement:
    """The studio's leader endorses a member's credential: an
    EndorsementCredential signed by the studio's issuer, with a revocation
    slot. One live endorsement per leader and credential: a new comment
    withdraws the previous one and issues a new document (a signed document
    never changes); the same comment again changes nothing."""
    comment = (comment or "").strip()
    if not comment:
        raise ApplicationError(_("请填写背书意见。"))
    if len(comment) > ENDORSEMENT_COMMENT_MAX:
        raise ApplicationError(
            _("背书意见不能超过 %(n)s 字。") % {"n": ENDORSEMENT_COMMENT_MAX}
        )
    if credential.kind != IssuedCredential.Kind.BADGE:
        raise ApplicationError(_("只能为单份学分证书背书。"))
    if credential.revoked_at is not None:
        raise ApplicationError(_("这份证书已被撤销，不能背书。"))
    allowed = endorsement_studios(user=by, credential=credential)
    if studio is None or studio.pk not in {s.pk for s in allowed}:
        raise ApplicationError(
            _("只有证书持有人所在工作室的主持人可以为这份证书背书。")
        )
    issuer = keys.studio_issuer(studio)
    try:
        key = keys.active_key(issuer)
        secret = keys.private_key(key)
    except keys.SigningKeyMissing:
        log.exception("studio issuer %s cannot sign", issuer.slug)
        raise ApplicationError(
            _("工作室的签名密钥暂不可用，无法背书；请联系平台管理员。")
        ) from None
    endorser_name = _person_name(by)
    with transaction.atomic():
        # One writer per credential at a time: two clicks cannot both be live.
        locked = (
            IssuedCredential.objects.select_for_update()
            .only("pk", "revoked_at")
            .get(pk=credential.pk)
        )
        if locked.revoked_at is not None:  # revoked meanwhile
            raise ApplicationError(_("这份证书已被撤销，不能背书。"))
        previous = (
            Endorsement.objects.select_for_update()
            .filter(credential=credential, endorser=by, revoked_at__isnull=True)
            .first()
        )
        if (
            previous is not None
            and previous.comment == comment
            and previous.studio_id == studio.pk
        ):
            return previous
        if previous is not None:
            _withdraw(previous, by=by, reason=SUPERSEDED)
        now = timezone.now()
        uid = uuid.uuid4()
        ((status_list, index),) = statuslist.allocate(issuer, 1)
        unsigned = compose.endorsement_credential(
            uid=uid,
            endorsed_id=f"urn:uuid:{credential.uid}",
            endorsed_name=credential.name,
            comment=comment,
            endorser_name=endorser_name,
            issuer_id=keys.issuer_did(issuer),
            issuer_name=issuer.name,
            issued_at=now,
            status=statuslist.status_entry(status_list, index),
        )
        endorsement = Endorsement.objects.create(
            uid=uid,
            credential=credential,
            endorsed_id=unsigned["credentialSubject"]["id"],
            studio=studio,
            endorser=by,
            issuer=issuer,
            key=key,
            comment=comment,
            status_list=status_list,
            status_index=index,
            document=proofs.sign(
                unsigned,
                secret,
                keys.verification_method_id(key),
                compose.iso(now),
            ),
            issued_at=now,
        )
        teacher_user = credential.teacher.user
        transaction.on_commit(
            lambda: _notify_endorsed(teacher_user, endorsement, issuer.name)
        )
    return endorsement


def _notify_endorsed(user, endorsement: Endorsement, studio_name: str) -> None:
    from cms.accounts.services import notify

    notify(
        user=user,
        title=_("%(studio)s为您的证书背书") % {"studio": studio_name},
        body=endorsement.comment[:200],
        url=endorsement.get_absolute_url(),
    )


def endorsement_may_withdraw(*, user, endorsement: Endorsement) -> bool:
    """The leader who endorsed, or the studio's leader now."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.pk in (endorsement.endorser_id, endorsement.studio.leader_id)


def _withdraw(endorsement: Endorsement, *, by, reason: str) -> None:
    statuslist.revoke_slot(endorsement.status_list_id, endorsement.status_index)
    endorsement.revoked_at = timezone.now()
    endorsement.revoked_by = by
    endorsement.revoke_reason = reason[:200]
    endorsement.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])


def endorsement_withdraw(
    *, endorsement: Endorsement, by, reason: str = ""
) -> Endorsement:
    """Withdraw (revoke) an endorsement: its status bit is set, so every
    verifier reads it as revoked. Withdrawing twice changes nothing."""
    if not endorsement_may_withdraw(user=by, endorsement=endorsement):
        raise ApplicationError(_("只有作出背书的工作室主持人可以撤回这条背书。"))
    with transaction.atomic():
        endorsement = Endorsement.objects.select_for_update().get(pk=endorsement.pk)
        if endorsement.revoked_at is None:
            _withdraw(
                endorsement, by=by, reason=(reason or "").strip() or _("主持人撤回")
            )
    return endorsement
