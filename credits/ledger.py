"""The hash chain. Each record's hash is an HMAC (keyed by LEDGER_HASH_KEY, kept
out of the database) over its fields, its position and the previous record's
hash; someone who can write to the database but lacks the key cannot forge a
record that verifies."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass

from django.conf import settings

GENESIS = "0" * 64


def _utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_digest(record) -> str:
    payload = {
        "seq": record.seq,
        "teacher": record.teacher_id,
        "key": record.idempotency_key,
        "kind": record.kind,
        "category": record.category,
        "source": [record.source_type, record.source_id, record.source_title],
        "raw_hours": f"{record.raw_hours:.1f}",
        "hours": f"{record.hours:.1f}",
        "credits": f"{record.credits:.2f}",
        "earned_on": record.earned_on.isoformat(),
        "rule_set": record.rule_set_id,
        "recorded_by": record.recorded_by_id,
        "recorded_at": _utc(record.recorded_at),
        "reverses": record.reverses_id,
        "note": record.note,
        "prev": record.prev_hash,
    }
    message = json.dumps(
        payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )
    return hmac.digest(
        settings.LEDGER_HASH_KEY.encode(), message.encode(), "sha256"
    ).hex()


# What `ledger_verify` reads per record, in this order: the record's values as
# PostgreSQL renders them, the dates, times and decimals already as the text
# `record_digest` hashes (the decimal columns have exactly the scale it
# formats to, so their text is the same; a date or time PostgreSQL holds but
# Python cannot, such as infinity or a year BC, gives text no record was
# hashed over). Reading text saves building a million datetimes and Decimals
# only to format them again.
VERIFY_SQL_COLUMNS = (
    "id",
    "seq",
    "prev_hash",
    "hash",
    "teacher_id",
    "idempotency_key",
    "kind",
    "category",
    "source_type",
    "source_id",
    "source_title",
    "raw_hours::text",
    "hours::text",
    "credits::text",
    # A year BC would print as the same year AD: it is marked so as not to match.
    "to_char(earned_on, 'YYYY-MM-DD')"
    " || CASE WHEN earned_on < DATE '0001-01-01' THEN ' BC' ELSE '' END",
    "rule_set_id",
    "recorded_by_id",
    "to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    " || CASE WHEN recorded_at < TIMESTAMPTZ '0001-01-01 00:00:00+00'"
    " THEN ' BC' ELSE '' END",
    "reverses_id",
    "note",
)

_ROW_MESSAGE = (
    '{"category":%s,"credits":"%s","earned_on":"%s","hours":"%s","key":%s,'
    '"kind":%s,"note":%s,"prev":%s,"raw_hours":"%s","recorded_at":"%s",'
    '"recorded_by":%s,"reverses":%s,"rule_set":%s,"seq":%d,"source":[%s,%s,%s],'
    '"teacher":%s}'
)


def row_digester():
    """A function from a row of VERIFY_SQL_COLUMNS to its record's hash: the
    same bytes as `record_digest` (the JSON built directly, keys in sorted
    order; tests/credits compare the two), about ten times faster."""
    from json.encoder import encode_basestring as string

    key = settings.LEDGER_HASH_KEY.encode()
    message = _ROW_MESSAGE
    mac = hmac.digest

    def digest(row) -> str:
        (
            _pk,
            seq,
            prev,
            _hash,
            teacher,
            idempotency_key,
            kind,
            category,
            source_type,
            source_id,
            source_title,
            raw_hours,
            hours,
            credits,
            earned_on,
            rule_set,
            recorded_by,
            recorded_at,
            reverses,
            note,
        ) = row
        text = message % (
            string(category),
            credits,
            earned_on,
            hours,
            string(idempotency_key),
            string(kind),
            string(note),
            string(prev),
            raw_hours,
            recorded_at,
            "null" if recorded_by is None else int(recorded_by),
            "null" if reverses is None else int(reverses),
            "null" if rule_set is None else int(rule_set),
            seq,
            string(source_type),
            string(source_id),
            string(source_title),
            "null" if teacher is None else int(teacher),
        )
        return mac(key, text.encode(), "sha256").hex()

    return digest


def head_digest(seq: int, hash_: str) -> str:
    """The head row's seal: an HMAC over its position and hash, so the head
    cannot be moved back (or forward) to match a cut chain without the key."""
    message = f"ledger-head:{seq}:{hash_}"
    return hmac.new(
        settings.LEDGER_HASH_KEY.encode(), message.encode(), hashlib.sha256
    ).hexdigest()


@dataclass
class VerifyReport:
    checked: int
    problem: str | None = None
    record_id: int | None = None
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def ledger_walk(records, head, checkpoints=()) -> VerifyReport:
    """Walk records in seq order; stop at the first one that breaks the chain.

    `head` is the head row (None when it is missing); `checkpoints` are
    verified checkpoints (objects with seq, hash, name), each of which the
    chain must still reach with the same hash."""
    return ledger_walk_rows(
        ((r.pk, r.seq, r.prev_hash, r.hash, r) for r in records),
        head,
        checkpoints,
        digest=lambda row: record_digest(row[4]),
    )


def ledger_walk_rows(rows, head, checkpoints=(), *, digest=None) -> VerifyReport:
    """`ledger_walk` over rows that start (pk, seq, prev_hash, hash), in seq
    order; `digest` computes a row's hash (by default `row_digester()`, for
    rows of VERIFY_SQL_COLUMNS)."""
    digest = digest or row_digester()
    expected_seq, prev = 1, GENESIS
    checked = 0
    pinned = {}
    for checkpoint in checkpoints:
        pinned.setdefault(checkpoint.seq, checkpoint)
    furthest = max(pinned.values(), key=lambda c: c.seq, default=None)
    for row in rows:
        pk, seq, prev_hash, hash_ = row[0], row[1], row[2], row[3]
        if seq != expected_seq:
            return VerifyReport(
                checked,
                (
                    f"seq {expected_seq} is missing (the next record found is seq {seq}): "
                    "a record was removed or renumbered"
                ),
                pk,
                seq,
            )
        if prev_hash != prev:
            return VerifyReport(
                checked,
                (
                    f"seq {seq} does not follow the record before it "
                    "(its previous hash differs): a record was inserted, removed or reordered"
                ),
                pk,
                seq,
            )
        if digest(row) != hash_:
            return VerifyReport(
                checked,
                (
                    f"seq {seq} does not match its hash: its content was changed "
                    "or it was written outside the ledger"
                ),
                pk,
                seq,
            )
        if pinned:
            checkpoint = pinned.get(seq)
            if checkpoint is not None and checkpoint.hash != hash_:
                return VerifyReport(
                    checked,
                    (
                        f"seq {seq} differs from signed checkpoint {checkpoint.name}: "
                        "the ledger was rewritten after the checkpoint was taken"
                    ),
                    pk,
                    seq,
                )
        prev = hash_
        expected_seq += 1
        checked += 1
    last_seq = expected_seq - 1
    if furthest is not None and furthest.seq > last_seq:
        return VerifyReport(
            checked,
            (
                f"the ledger was rolled back past signed checkpoint {furthest.name} "
                f"(seq {furthest.seq}): it now ends at seq {last_seq}, so records "
                f"{last_seq + 1}..{furthest.seq} or more were removed"
            ),
            seq=last_seq + 1,
        )
    if head is None:
        if last_seq:
            return VerifyReport(
                checked,
                (
                    f"the ledger head row is missing (the chain ends at seq {last_seq}): "
                    "the head was deleted, perhaps to hide records removed from the end"
                ),
            )
        return VerifyReport(checked)
    if not head.mac or not hmac.compare_digest(
        head.mac, head_digest(head.seq, head.hash)
    ):
        return VerifyReport(
            checked,
            (
                f"the ledger head (seq {head.seq}) does not match its seal: "
                "it was changed outside the ledger"
            ),
        )
    if (head.seq, head.hash) != (last_seq, prev):
        return VerifyReport(
            checked,
            (
                f"the ledger ends at seq {last_seq} but its head says seq {head.seq}: "
                "records were removed from the end, or the head was changed"
            ),
            seq=last_seq + 1 if head.seq > last_seq else None,
        )
    return VerifyReport(checked)
