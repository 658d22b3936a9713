"""The exchange with the provincial continuing-education platform.

Per organisation (districts by default) and month, the credit records recorded
in that month are written as JSON lines and as CSV (docs/exchange.md), stored
as an ExchangeBatch with its SHA-256 and, when API_EXCHANGE_URL is set, POSTed
there; the far side's answer is the batch's receipt. The batch id and every
row's record_id are stable: a batch sent again carries the same ids, so the
far side upserts and never duplicates."""

from __future__ import annotations

import csv
import datetime
import hashlib
import hmac
import io
import json
import urllib.error
import urllib.request

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from badges import selectors as badge_selectors
from cms.accounts import scoping
from cms.accounts.models import Organisation
from credits import selectors as credit_selectors

from .models import ExchangeBatch

FORMAT_VERSION = "tdl-exchange/1"
CSV_COLUMNS = [
    ("record_id", "记录编号"),
    ("batch_id", "批次号"),
    ("organisation_code", "机构代码"),
    ("school_code", "学校代码"),
    ("school_name", "学校名称"),
    ("staff_number", "工号"),
    ("teacher_name", "姓名"),
    ("kind", "学习类型"),
    ("category", "学分类别"),
    ("title", "学习内容"),
    ("hours", "学时"),
    ("credits", "学分"),
    ("earned_on", "获得日期"),
    ("recorded_at", "记录时间"),
    ("reverses", "冲销记录编号"),
    ("hash", "记录哈希"),
    ("credential_id", "证书编号"),
]


def record_id(seq: int) -> str:
    return f"{settings.API_RECORD_ID_PREFIX}-{seq}"


def month_bounds(period: str | None) -> tuple[datetime.date, datetime.date]:
    """'2026-11' -> (2026-11-01, 2026-11-30); None -> the month just ended."""
    if period:
        year, month = (int(p) for p in period.split("-"))
        first = datetime.date(year, month, 1)
    else:
        this_month = timezone.localdate().replace(day=1)
        first = (this_month - datetime.timedelta(days=1)).replace(day=1)
    next_month = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, next_month - datetime.timedelta(days=1)


def batch_id_for(org: Organisation, start: datetime.date, end: datetime.date) -> str:
    return (
        f"{settings.API_RECORD_ID_PREFIX}-{org.code or f'org{org.pk}'}-"
        f"{start:%Y%m%d}-{end:%Y%m%d}"
    )


def batch_rows(
    org: Organisation, start: datetime.date, end: datetime.date, batch_id: str
) -> list[dict]:
    records = list(
        credit_selectors.ledger_for_teachers(
            teachers=scoping.teachers_in_organisation(org)
        )
        .filter(recorded_at__date__gte=start, recorded_at__date__lte=end)
        .select_related("teacher__school", "reverses")
    )
    credentials = badge_selectors.credential_ids_for_records(r.pk for r in records)
    return [
        {
            "format": FORMAT_VERSION,
            "record_id": record_id(r.seq),
            "batch_id": batch_id,
            "organisation_code": org.code or "",
            "school_code": r.teacher.school.code or "",
            "school_name": r.teacher.school.name,
            "staff_number": r.teacher.staff_number,
            "teacher_name": r.teacher.real_name,
            "kind": r.kind,
            "category": r.category,
            "title": r.source_title,
            "hours": str(r.hours),
            "credits": str(r.credits),
            "earned_on": r.earned_on.isoformat(),
            "recorded_at": timezone.localtime(r.recorded_at).isoformat(),
            "reverses": record_id(r.reverses.seq) if r.reverses_id else "",
            "hash": r.hash,
            "credential_id": credentials.get(r.pk, ""),
        }
        for r in records
    ]


def to_jsonl(rows: list[dict]) -> str:
    return "".join(
        json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows
    )


def to_csv(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for _, label in CSV_COLUMNS])
    for row in rows:
        writer.writerow([_cell(row[key]) for key, _ in CSV_COLUMNS])
    return out.getvalue()


def _cell(value: str) -> str:
    # A spreadsheet must not read a title as a formula.
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def exchange_build(
    *, organisation: Organisation, start: datetime.date, end: datetime.date
) -> ExchangeBatch:
    """The batch of one organisation and period (built once; the ledger is
    append-only, so the period's records never change after it ends)."""
    batch_id = batch_id_for(organisation, start, end)
    existing = ExchangeBatch.objects.filter(batch_id=batch_id).first()
    if existing is not None:
        return existing
    rows = batch_rows(organisation, start, end, batch_id)
    jsonl = to_jsonl(rows)
    with transaction.atomic():
        batch, _ = ExchangeBatch.objects.get_or_create(
            batch_id=batch_id,
            defaults={
                "organisation": organisation,
                "period_start": start,
                "period_end": end,
                "record_count": len(rows),
                "last_seq": max(
                    (int(r["record_id"].rsplit("-", 1)[1]) for r in rows), default=0
                ),
                "jsonl": jsonl,
                "csv": to_csv(rows),
                "sha256": hashlib.sha256(jsonl.encode()).hexdigest(),
                "status": ExchangeBatch.Status.BUILT,
            },
        )
    return batch


def exchange_send(*, batch: ExchangeBatch) -> ExchangeBatch:
    """POST the batch's JSON lines to the provincial endpoint and keep its
    receipt. Without an endpoint the receipt is the local one (counts and
    digest), and the files wait in the admin for upload by hand."""
    url = getattr(settings, "API_EXCHANGE_URL", "")
    now = timezone.now()
    if not url:
        receipt = {
            "local": True,
            "batch_id": batch.batch_id,
            "records": batch.record_count,
            "sha256": batch.sha256,
            "at": now.isoformat(),
        }
        ExchangeBatch.objects.filter(pk=batch.pk).update(receipt=receipt)
        batch.refresh_from_db()
        return batch
    body = batch.jsonl.encode()
    key = (getattr(settings, "API_EXCHANGE_KEY", "") or "").encode()
    headers = {
        "Content-Type": "application/x-ndjson; charset=utf-8",
        "X-TDL-Batch": batch.batch_id,
        "X-TDL-Format": FORMAT_VERSION,
        "X-TDL-Records": str(batch.record_count),
        "X-TDL-SHA256": batch.sha256,
    }
    if key:
        headers["X-TDL-Signature"] = (
            "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        )
    request = urllib.request.Request(  # noqa: S310 (an admin-set https URL)
        url, data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            status, text = response.status, response.read(20000).decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read(20000).decode(errors="replace")
    except OSError as exc:
        status, text = None, str(exc)
    try:
        answer = json.loads(text)
    except ValueError:
        answer = {"text": text[:2000]}
    ok = status is not None and 200 <= status < 300
    ExchangeBatch.objects.filter(pk=batch.pk).update(
        status=ExchangeBatch.Status.SENT if ok else ExchangeBatch.Status.FAILED,
        sends=batch.sends + 1,
        sent_at=now if ok else batch.sent_at,
        receipt={"status": status, "answer": answer, "at": now.isoformat()},
    )
    batch.refresh_from_db()
    return batch


def exchange_organisations():
    kinds = getattr(settings, "API_EXCHANGE_ORGANISATION_KINDS", ["district"])
    return Organisation.objects.filter(kind__in=kinds).order_by("path")


def exchange_run(*, period: str | None = None) -> list[ExchangeBatch]:
    """Build and send the period's batch of every exchanging organisation;
    a batch already accepted is not sent again."""
    start, end = month_bounds(period)
    batches = []
    for org in exchange_organisations():
        batch = exchange_build(organisation=org, start=start, end=end)
        if batch.status != ExchangeBatch.Status.SENT:
            batch = exchange_send(batch=batch)
        batches.append(batch)
    return batches
