"""Writes to the credit bank. The ledger is append-only: a correction is a new
reversing record, never an edit.

`credit_record_append` is idempotent on its key: the same completion, however
many retries or concurrent deliveries, yields one record. Appends are serialised
on the ledger head row, which also gives every record its place in the chain."""

from __future__ import annotations

import datetime
import io
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.shared.errors import ApplicationError

from .data import SourceKind, recognition_key, reversal_key
from .ledger import GENESIS, head_digest, record_digest
from .models import CreditRecord, LedgerHead
from .rules import rule_set_in_force
from .signals import credit_recorded

ONE_PLACE = Decimal("0.1")
TWO_PLACES = Decimal("0.01")


def _locked_head() -> LedgerHead:
    """The ledger head, locked for this transaction (created on first use)."""
    try:
        return LedgerHead.objects.select_for_update().get(pk=1)
    except LedgerHead.DoesNotExist:
        try:
            with transaction.atomic():
                # The insert waits for any concurrent first append, so once
                # it succeeds no other head exists, committed or not: records
                # here then mean the head was removed, and a second chain must
                # never start over them.
                LedgerHead.objects.create(
                    pk=1, seq=0, hash=GENESIS, mac=head_digest(0, GENESIS)
                )
                if CreditRecord.objects.exists():
                    raise RuntimeError(
                        "the ledger head row is missing: run `manage.py ledger_verify`"
                    )
        except IntegrityError:
            pass  # created by a concurrent first append
        return LedgerHead.objects.select_for_update().get(pk=1)


def _head_advance(head: LedgerHead, record: CreditRecord) -> None:
    head.seq, head.hash = record.seq, record.hash
    head.mac = head_digest(head.seq, head.hash)
    head.save(update_fields=["seq", "hash", "mac"])


def credit_record_append(
    *,
    teacher,
    kind: str,
    category: str,
    source_type: str,
    source_id: str = "",
    source_title: str,
    hours: Decimal,
    earned_on: datetime.date,
    idempotency_key: str,
    recorded_by=None,
    note: str = "",
) -> CreditRecord:
    """Append one record, valued by the rules in force when it was earned; a
    repeated key returns the existing record."""
    existing = CreditRecord.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    raw_hours = Decimal(hours).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)
    if raw_hours <= 0:
        raise ValueError("hours must be positive")
    try:
        with transaction.atomic():
            head = _locked_head()
            existing = CreditRecord.objects.filter(
                idempotency_key=idempotency_key
            ).first()
            if existing is not None:  # appended while we waited for the head
                return existing
            rule_set = rule_set_in_force(
                school=teacher.school, on=earned_on, cached=False
            )
            config = rule_set.config
            credited, capped = _apply_cap(
                teacher, category, earned_on, raw_hours, config
            )
            rate = Decimal(str(config["conversion"].get(kind, 0)))
            record = CreditRecord(
                teacher=teacher,
                seq=head.seq + 1,
                idempotency_key=idempotency_key,
                kind=kind,
                category=category,
                source_type=source_type,
                source_id=str(source_id),
                source_title=source_title[:200],
                raw_hours=raw_hours,
                hours=credited,
                credits=(credited * rate).quantize(TWO_PLACES, rounding=ROUND_HALF_UP),
                earned_on=earned_on,
                rule_set=rule_set,
                recorded_by=recorded_by,
                recorded_at=timezone.now(),
                note=(note or ("已达该类别年度学时上限" if capped else ""))[:200],
                prev_hash=head.hash,
            )
            record.hash = record_digest(record)
            record.save(force_insert=True)
            _add_to_totals(record)
            _head_advance(head, record)
            transaction.on_commit(
                lambda: credit_recorded.send(
                    sender=CreditRecord, record_id=record.pk, reverses_id=None
                )
            )
            return record
    except IntegrityError:
        # Another transaction committed the same key between our check and
        # insert (possible only outside the head lock); it is the record.
        return CreditRecord.objects.get(idempotency_key=idempotency_key)


def _add_to_totals(record: CreditRecord) -> None:
    """Keep CreditYearTotal in step (called under the ledger head lock)."""
    from django.db.models import F

    from .models import CreditYearTotal

    year = record.earned_on.year
    updated = CreditYearTotal.objects.filter(
        teacher_id=record.teacher_id, year=year
    ).update(hours=F("hours") + record.hours, credits=F("credits") + record.credits)
    if not updated:
        CreditYearTotal.objects.create(
            teacher_id=record.teacher_id,
            year=year,
            hours=record.hours,
            credits=record.credits,
        )
    _totals_changed(record)


def _totals_changed(record: CreditRecord) -> None:
    """Lists cached per organisation that show her totals are stale now (and
    again when this transaction commits)."""
    from cms.accounts import scopecache
    from cms.accounts.models import TeacherProfile

    teacher = record.teacher if CreditRecord.teacher.is_cached(record) else None
    if teacher is not None and TeacherProfile.school.is_cached(teacher):
        path = teacher.school.path
    else:
        path = (
            TeacherProfile.objects.filter(pk=record.teacher_id)
            .values_list("school__path", flat=True)
            .first()
        )
    if path is not None:
        scopecache.credits_changed(path)


def credit_totals_rebuild() -> int:
    """Recompute every CreditYearTotal from the ledger."""
    from django.db.models import Sum
    from django.db.models.functions import ExtractYear

    from .models import CreditYearTotal

    with transaction.atomic():
        _locked_head()
        CreditYearTotal.objects.all().delete()
        rows = (
            CreditRecord.objects.annotate(year=ExtractYear("earned_on"))
            .values("teacher_id", "year")
            .annotate(hours=Sum("hours"), credits=Sum("credits"))
            .order_by()
        )
        CreditYearTotal.objects.bulk_create(
            (CreditYearTotal(**row) for row in rows.iterator(chunk_size=10000)),
            batch_size=10000,
        )
        from cms.accounts import scopecache

        scopecache.all_credits_changed()
        return CreditYearTotal.objects.count()


def _apply_cap(teacher, category, earned_on, raw_hours, config) -> tuple[Decimal, bool]:
    cap = config.get("annual_caps", {}).get(category)
    if cap is None:
        return raw_hours, False
    used = CreditRecord.objects.filter(
        teacher=teacher, category=category, earned_on__year=earned_on.year
    ).aggregate(total=Sum("hours"))["total"] or Decimal(0)
    room = max(Decimal(str(cap)) - used, Decimal(0))
    return (raw_hours, False) if raw_hours <= room else (room, True)


def credit_record_reverse(
    *, record: CreditRecord, reason: str, recorded_by=None
) -> CreditRecord:
    """Cancel a record with a new record of the opposite sign (idempotent)."""
    if record.reverses_id is not None:
        raise ValueError("a reversing record cannot itself be reversed")
    key = reversal_key(record_id=record.pk)
    existing = CreditRecord.objects.filter(idempotency_key=key).first()
    if existing is not None:
        return existing
    with transaction.atomic():
        head = _locked_head()
        existing = CreditRecord.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
        reversal = CreditRecord(
            teacher_id=record.teacher_id,
            seq=head.seq + 1,
            idempotency_key=key,
            kind=record.kind,
            category=record.category,
            source_type=record.source_type,
            source_id=record.source_id,
            source_title=record.source_title,
            raw_hours=-record.raw_hours,
            hours=-record.hours,
            credits=-record.credits,
            earned_on=record.earned_on,
            rule_set_id=record.rule_set_id,
            recorded_by=recorded_by,
            recorded_at=timezone.now(),
            reverses=record,
            note=f"冲销：{reason}"[:200],
            prev_hash=head.hash,
        )
        reversal.hash = record_digest(reversal)
        reversal.save(force_insert=True)
        _add_to_totals(reversal)
        _head_advance(head, reversal)
        transaction.on_commit(
            lambda: credit_recorded.send(
                sender=CreditRecord, record_id=reversal.pk, reverses_id=record.pk
            )
        )
        return reversal


CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def transcript_issue(*, teacher, issued_by=None, on: datetime.date | None = None):
    """Issue (or reuse, when nothing changed) the transcript of the current cycle."""
    import secrets

    from .models import Transcript
    from .selectors import cycle_progress, records_digest

    progress = cycle_progress(teacher=teacher, on=on)
    records = progress["records"]
    digest = records_digest(records)
    last_seq = max((r.seq for r in records), default=0)
    existing = (
        Transcript.objects.filter(
            teacher=teacher,
            digest=digest,
            last_seq=last_seq,
            cycle_start=progress["first_year"],
        )
        .order_by("-issued_at")
        .first()
    )
    if existing is not None:
        return existing, progress
    transcript = Transcript.objects.create(
        teacher=teacher,
        code="".join(secrets.choice(CODE_ALPHABET) for _ in range(10)),
        cycle_start=progress["first_year"],
        cycle_end=progress["last_year"],
        record_count=len(records),
        last_seq=last_seq,
        total_hours=progress["total_hours"],
        total_credits=progress["total_credits"],
        digest=digest,
        issued_by=issued_by,
    )
    return transcript, progress


# The refusal services raise; the one application error under its old name.
NotAllowed = ApplicationError


def recognition_submit(
    *, teacher, title, provider, category, hours, earned_on, evidence
):
    from .models import RecognitionRequest

    return RecognitionRequest.objects.create(
        teacher=teacher,
        title=title,
        provider=provider,
        category=category,
        hours_claimed=hours,
        earned_on=earned_on,
        evidence=evidence,
        evidence_name=evidence.name[:200],
    )


def recognition_decide(
    *,
    request_id: int,
    reviewer,
    approve: bool,
    reason: str = "",
    hours: Decimal | None = None,
):
    """Approve (appending a ledger record valued by the rules) or reject. Only
    an administrator whose scope covers the teacher decides, never the teacher
    herself; deciding twice changes nothing."""
    from cms.accounts import scoping

    from .models import LearningKind, RecognitionRequest

    with transaction.atomic():
        req = (
            RecognitionRequest.objects.select_for_update()
            .select_related("teacher__school")
            .get(pk=request_id)
        )
        if not scoping.teachers_visible_to(reviewer).filter(
            pk=req.teacher_id
        ).exists() or (
            req.teacher.user_id == reviewer.pk
            or not scoping.can_administer_teachers(reviewer)
        ):
            raise NotAllowed(_("你无权处理这条认定申请。"))
        if req.status != RecognitionRequest.Status.PENDING:
            return req
        req.reviewer, req.reviewed_at, req.reason = (
            reviewer,
            timezone.now(),
            reason[:300],
        )
        if approve:
            hours = hours if hours is not None else req.hours_claimed
            source, note = SourceKind.RECOGNITION, "校外学习认定"
            if req.outside_id is not None:
                hours = _outside_hours_at_approval(req, hours)
                source = SourceKind.OUTSIDE
                note = f"校外证书：{req.provider}"
            req.status = RecognitionRequest.Status.APPROVED
            req.record = credit_record_append(
                teacher=req.teacher,
                kind=LearningKind.RECOGNITION,
                category=req.category,
                source_type=source,
                source_id=str(req.pk),
                source_title=f"{req.title}（{req.provider}）",
                hours=hours,
                earned_on=req.earned_on,
                idempotency_key=recognition_key(request_id=req.pk),
                recorded_by=reviewer,
                note=note,
            )
        else:
            req.status = RecognitionRequest.Status.REJECTED
        req.save()
        return req


def _outside_accept(req) -> None:
    """Accept at once a converted credential whose issuer the registry
    recognises and whose every check passed, where the rule set says so
    (``outside.accept_trusted``): the ledger record is appended now, valued
    by the rules like any other, and HR see it as accepted by the rule."""
    from .models import LearningKind, RecognitionRequest

    req.status = RecognitionRequest.Status.APPROVED
    req.reviewed_at = timezone.now()
    req.reason = str(_("签发方已获本平台认可、各项核验均通过，按本地区规则直接认定。"))[
        :300
    ]
    req.record = credit_record_append(
        teacher=req.teacher,
        kind=LearningKind.RECOGNITION,
        category=req.category,
        source_type=SourceKind.OUTSIDE,
        source_id=str(req.pk),
        source_title=f"{req.title}（{req.provider}）",
        hours=req.hours_claimed,
        earned_on=req.earned_on,
        idempotency_key=recognition_key(request_id=req.pk),
        note=f"校外证书：{req.provider}",
    )
    req.save(update_fields=["status", "reviewed_at", "reason", "record"])


def _outside_hours_at_approval(req, hours: Decimal) -> Decimal:
    """The hours HR approve for a converted outside credential, cut again to
    what the category cap and the yearly ceiling leave now (others may have
    been approved since it was submitted). Runs under the request's lock."""
    from cms.shared.errors import ApplicationError

    from . import conversion

    rule_set = rule_set_in_force(
        school=req.teacher.school, on=req.earned_on, cached=False
    )
    rules = conversion.outside_rules(rule_set.config)
    category_room, ceiling_room = conversion.room(
        teacher=req.teacher,
        rules=rules,
        category=req.category,
        year=req.earned_on.year,
        pending=False,
    )
    granted, steps = conversion.limit(
        Decimal(hours),
        rules=rules,
        category=req.category,
        category_room=category_room,
        ceiling_room=ceiling_room,
    )
    if granted <= 0:
        raise ApplicationError(
            _("该教师本年度的校外证书转换学时已达上限，不能再记入；请选择不予认定。")
        )
    req.conversion = {
        **(req.conversion or {}),
        "approved_hours": str(granted),
        "approval_steps": steps,
    }
    return granted


OUTSIDE_REFUSED = "outside-refused"


def _already_counted(*, teacher, credential_id: str, content_hash: str) -> str | None:
    """Where a credential was already brought, in words the teacher may see:
    her own request, a colleague's in the same school (by name), or "another
    organisation" (no name, no school)."""
    from .models import RecognitionRequest

    existing = (
        RecognitionRequest.objects.filter(
            Q(credential_id=credential_id) | Q(content_hash=content_hash)
        )
        .select_related("teacher__school")
        .first()
    )
    if existing is None:
        return None
    when = timezone.localtime(existing.created_at).date().isoformat()
    status = existing.get_status_display()
    if existing.teacher_id == teacher.pk:
        return _("您已于 %(d)s 提交过这份证书（%(s)s），同一证书只计入一次。") % {
            "d": when,
            "s": status,
        }
    if existing.teacher.school_id == teacher.school_id:
        return _(
            "这份证书已由本校 %(n)s 老师于 %(d)s 提交（%(s)s），同一证书只计入一次。"
        ) % {"n": existing.teacher.real_name, "d": when, "s": status}
    return _(
        "这份证书已在其他单位的教师名下提交（%(s)s），同一证书只计入一次；如有疑问请联系学校人事管理员。"
    ) % {"s": status}


def outside_credential_submit(
    *,
    teacher,
    kind: str,
    credential_id: str,
    name: str,
    issuer: dict,
    verification: dict,
    document: dict,
    raw: bytes,
    items: list[dict],
    flags: list[str],
):
    """Record a verified credential another platform issued and make one
    recognition request per achievement in it, prefilled as the credential
    states it and converted by the rule set in force where the teacher works.

    ``issuer``: did, name, recognised, registry_name. ``items``: one per
    achievement credential: credential_id, content_hash, title, provider,
    achievement_type, amount, categories (the words it states), indicators,
    earned_on. ``flags``: why HR must look closer (empty for a recognised
    issuer whose every check passed). Refuses, with where it was counted, a
    credential any teacher already brought."""
    from django.core.files.base import ContentFile

    from cms.shared.errors import ApplicationError

    from . import conversion
    from .models import OutsideCredential, RecognitionRequest

    if not items:
        raise ApplicationError(_("证书中没有可认定的学习成果（成就）。"))
    for item in items:
        where = _already_counted(
            teacher=teacher,
            credential_id=item["credential_id"],
            content_hash=item["content_hash"],
        )
        if where:
            raise ApplicationError(where, {"reason": "duplicate"})
    try:
        with transaction.atomic():
            outside = OutsideCredential.objects.create(
                teacher=teacher,
                kind=kind,
                credential_id=credential_id[:500],
                name=(name or "")[:200],
                issuer_did=issuer["did"][:300],
                issuer_name=(issuer.get("name") or issuer["did"])[:200],
                registry_name=(issuer.get("registry_name") or "")[:200],
                issuer_recognised=bool(issuer.get("recognised")),
                verification=verification,
                document=document,
            )
            extra: dict = {}
            accept: list = []
            for item in items:
                rule_set = rule_set_in_force(
                    school=teacher.school, on=item["earned_on"], cached=False
                )
                rules = conversion.outside_rules(rule_set.config)
                category = conversion.category_of(item.get("categories") or [], rules)
                result = conversion.convert(
                    teacher=teacher,
                    rules=rules,
                    item={**item, "category": category},
                    extra=extra,
                )
                result["rule_set"] = str(rule_set)
                result["flags"] = flags
                counted = result["counted"]
                req = RecognitionRequest(
                    teacher=teacher,
                    title=item["title"][:200],
                    provider=(item.get("provider") or outside.issuer_name)[:120],
                    category=category,
                    hours_claimed=Decimal(result["hours"]) if counted else Decimal(0),
                    earned_on=item["earned_on"],
                    evidence_name=f"{(name or 'credential')[:150]}.json",
                    status=(
                        RecognitionRequest.Status.PENDING
                        if counted
                        else RecognitionRequest.Status.REJECTED
                    ),
                    reason="" if counted else "；".join(result["steps"][-1:])[:300],
                    reviewed_at=None if counted else timezone.now(),
                    outside=outside,
                    credential_id=item["credential_id"][:500],
                    content_hash=item["content_hash"],
                    indicators=item.get("indicators") or [],
                    conversion=result,
                    flagged=bool(flags),
                )
                req.evidence.save("credential.json", ContentFile(raw), save=False)
                req.save()
                if (
                    counted
                    and not flags
                    and issuer.get("recognised")
                    and rules.get("accept_trusted") is True
                ):
                    accept.append(req)
            # After every item is converted (the conversion already counted
            # what earlier items of this submission took).
            for req in accept:
                _outside_accept(req)
            return outside
    except IntegrityError:
        # Brought at the same moment by someone else: the constraint holds.
        for item in items:
            where = _already_counted(
                teacher=teacher,
                credential_id=item["credential_id"],
                content_hash=item["content_hash"],
            )
            if where:
                raise ApplicationError(where, {"reason": "duplicate"}) from None
        raise


def export_build(*, job_id: int) -> None:
    """Build an HR bulk export: a transcript PDF per teacher of the chosen
    organisation that the requester may see, and an XLSX summary, in one ZIP.
    Progress is saved as it goes; a finished job is not built again."""
    import tempfile
    import zipfile

    from django.core.files import File
    from openpyxl import Workbook

    from cms.accounts import scoping
    from cms.shared import jobs

    from .models import ExportJob
    from .transcripts import transcript_pdf_render

    if not jobs.job_claim(jobs.EXPORT, job_id):
        return  # done, failed, or another worker is on it
    job = ExportJob.objects.select_related("created_by", "scope").get(pk=job_id)
    teachers = list(
        scoping.teachers_visible_to(job.created_by)
        .filter(school__path__startswith=job.scope.path)
        .select_related("school")
        .order_by("school__path", "staff_number")
    )
    jobs.job_beat(jobs.EXPORT, job.pk, total=len(teachers), done=0)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("汇总")
    sheet.append(["姓名", "工号", "学校", "周期", "学时", "学分", "记录数", "验证码"])
    try:
        with tempfile.NamedTemporaryFile(suffix=".zip") as tmp:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for n, teacher in enumerate(teachers, start=1):
                    transcript, progress = transcript_issue(
                        teacher=teacher, issued_by=job.created_by
                    )
                    archive.writestr(
                        f"{teacher.school.name}/{teacher.staff_number}-{teacher.real_name}.pdf",
                        transcript_pdf_render(transcript=transcript, progress=progress),
                    )
                    sheet.append(
                        [
                            teacher.real_name,
                            teacher.staff_number,
                            teacher.school.name,
                            f"{transcript.cycle_start}-{transcript.cycle_end}",
                            float(transcript.total_hours),
                            float(transcript.total_credits),
                            transcript.record_count,
                            transcript.code,
                        ]
                    )
                    if n % 10 == 0 or n == len(teachers):
                        jobs.job_beat(jobs.EXPORT, job.pk, done=n)
                summary = io.BytesIO()
                book.save(summary)
                archive.writestr("汇总.xlsx", summary.getvalue())
            tmp.seek(0)
            job.refresh_from_db()
            job.file.save(f"export-{job.pk}.zip", File(tmp), save=False)
        job.status, job.finished_at = ExportJob.Status.DONE, timezone.now()
        job.save(update_fields=["file", "status", "finished_at"])
    except Exception as exc:
        jobs.job_fail(jobs.EXPORT, job.pk, str(exc) or type(exc).__name__)
        raise


def compliance_reminders_send(*, on: datetime.date | None = None) -> int:
    """Remind every teacher under this year's minimum, by email and on the site,
    once per month. Run by Celery beat in the last months of the year."""
    from django.conf import settings
    from django.core.mail import send_mail

    from cms.accounts.models import TeacherProfile
    from cms.accounts.services import notify

    from .rules import rule_set_in_force
    from .selectors import compliance_list

    on = on or timezone.localdate()
    sent = 0
    rule_sets: dict[int, object] = {}
    for school_id in TeacherProfile.objects.values_list(
        "school_id", flat=True
    ).distinct():
        from cms.accounts.models import Organisation

        school = Organisation.objects.get(pk=school_id)
        rule_set = rule_set_in_force(school=school, on=on)
        rule_sets[school_id] = rule_set
        minimum = rule_set.config["cycle"].get("min_hours_per_year", 0)
        behind = compliance_list(
            teachers=TeacherProfile.objects.filter(school_id=school_id).select_related(
                "user"
            ),
            config=rule_set.config,
            on=on,
        ).filter(year_hours__lt=minimum)
        for teacher in behind:
            title = f"{on.year} 年继续教育学时提醒"
            body = (
                f"{teacher.real_name}老师：您 {on.year} 年已记入 {teacher.year_hours} 学时，"
                f"年度最低要求为 {minimum} 学时，请在年底前完成。"
            )
            if notify(
                user=teacher.user,
                title=title,
                body=body,
                url="/credits/",
                key=f"credit-reminder:{on:%Y-%m}",
            ):
                if teacher.user.email:
                    send_mail(
                        title,
                        body,
                        settings.DEFAULT_FROM_EMAIL,
                        [teacher.user.email],
                        fail_silently=True,
                    )
                sent += 1
    return sent
