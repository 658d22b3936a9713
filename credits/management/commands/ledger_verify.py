"""Walk the credit ledger's hash chain. Exits non-zero, naming the first bad
record, when any record was changed, removed, inserted or reordered out of band,
when the head row was changed or removed, or when the ledger was rolled back
past one of the signed checkpoints in LEDGER_CHECKPOINT_DIR."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from credits.checkpoints import (
    CheckpointError,
    checkpoint_location,
    checkpoints_read,
)
from credits.ledger import VERIFY_SQL_COLUMNS, ledger_walk, ledger_walk_rows
from credits.models import CreditRecord, LedgerHead

CHUNK = 20000


def _select(where: str = "") -> str:
    # Constants only (the columns, the table, a fixed WHERE); values go as params.
    return (
        f"SELECT {', '.join(VERIFY_SQL_COLUMNS)} FROM {CreditRecord._meta.db_table}"  # noqa: S608
        f"{where} ORDER BY seq"
    )


def _rows_by_seq():
    """Chunks by seq (no server-side cursor), in the caller's snapshot."""
    last = None
    with connection.cursor() as cursor:
        while True:
            if last is None:
                cursor.execute(_select() + f" LIMIT {CHUNK}")
            else:
                cursor.execute(_select(" WHERE seq > %s") + f" LIMIT {CHUNK}", [last])
            chunk = cursor.fetchall()
            yield from chunk
            if len(chunk) < CHUNK:
                return
            last = chunk[-1][1]


def _rows_streamed():
    """One server-side cursor over the whole ledger, read in large batches."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(_select())
        while chunk := cursor.fetchmany(CHUNK):
            yield from chunk


class Command(BaseCommand):
    help = "Verify the credit ledger's hash chain."

    def handle(self, *args, **options):
        started = time.monotonic()
        try:
            checkpoints = checkpoints_read()
        except CheckpointError as exc:
            raise CommandError(f"ledger_verify: FAILED: {exc}") from None
        if connection.vendor != "postgresql":
            # The embedded SQLite (make run): records through the ORM, the
            # same check record by record (the text-row path reads
            # PostgreSQL's own renderings of dates and decimals).
            with transaction.atomic():
                report = ledger_walk(
                    CreditRecord.objects.order_by("seq").iterator(chunk_size=CHUNK),
                    LedgerHead.objects.filter(pk=1).first(),
                    checkpoints,
                )
            return self._report(report, started, checkpoints)
        outermost = not connection.in_atomic_block
        with transaction.atomic():
            if outermost:
                # The head and every record from one snapshot, so records
                # appended while the walk runs are neither half seen nor
                # taken for a cut tail.
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            head = LedgerHead.objects.filter(pk=1).first()
            # Behind PgBouncer in transaction mode there is no server-side
            # cursor: the records come in chunks by seq, from the same snapshot.
            rows = (
                _rows_by_seq()
                if connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
                else _rows_streamed()
            )
            # Plain rows of text rather than model instances: a million in seconds.
            report = ledger_walk_rows(rows, head, checkpoints)
        return self._report(report, started, checkpoints)

    def _report(self, report, started, checkpoints):
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
