"""Walk the credit ledger's hash chain. Exits non-zero, naming the first bad
record, when any record was changed, removed, inserted or reordered out of band,
when the head row was changed or removed, or when the ledger was rolled back
past one of the signed checkpoints in LEDGER_CHECKPOINT_DIR."""

import time
from types import SimpleNamespace

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from credits.checkpoints import (
    CheckpointError,
    checkpoint_location,
    checkpoints_read,
)
from credits.ledger import ledger_walk
from credits.models import CreditRecord, LedgerHead

CHUNK = 20000


def _rows_by_seq(fields):
    last = None
    while True:
        rows = CreditRecord.objects.order_by("seq")
        if last is not None:
            rows = rows.filter(seq__gt=last)
        chunk = list(rows.values_list(*fields)[:CHUNK])
        yield from chunk
        if len(chunk) < CHUNK:
            return
        last = chunk[-1][fields.index("seq")]


class Command(BaseCommand):
    help = "Verify the credit ledger's hash chain."

    def _walk(self, fields, checkpoints, rows):
        # Plain rows rather than model instances: a million of them in seconds.
        records = (
            SimpleNamespace(**dict(zip(fields, row, strict=True))) for row in rows
        )
        return ledger_walk(
            records, LedgerHead.objects.filter(pk=1).first(), checkpoints
        )

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            checkpoints = checkpoints_read()
        except CheckpointError as exc:
            raise CommandError(f"ledger_verify: FAILED: {exc}") from None
        fields = [
            "pk",
            "seq",
            "teacher_id",
            "idempotency_key",
            "kind",
            "category",
            "source_type",
            "source_id",
            "source_title",
            "raw_hours",
            "hours",
            "credits",
            "earned_on",
            "rule_set_id",
            "recorded_by_id",
            "recorded_at",
            "reverses_id",
            "note",
            "prev_hash",
            "hash",
        ]
        if connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS") and (
            not connection.in_atomic_block
        ):
            # Behind PgBouncer in transaction mode there is no server-side
            # cursor: the records come in chunks by seq, all from one snapshot.
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                report = self._walk(fields, checkpoints, _rows_by_seq(fields))
        else:
            report = self._walk(
                fields,
                checkpoints,
                CreditRecord.objects.order_by("seq")
                .values_list(*fields)
                .iterator(chunk_size=CHUNK),
            )
        elapsed = time.monotonic() - started
        if not report.ok:
            where = f" (record id {report.record_id})" if report.record_id else ""
            raise CommandError(
                f"ledger_verify: FAILED after {report.checked} good records{where}: "
                f"{report.problem}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"ledger_verify: OK, {report.checked} records, chain intact, "
                f"{len(checkpoints)} signed checkpoints in {checkpoint_location()} reached "
                f"({elapsed:.1f} s)"
            )
        )
