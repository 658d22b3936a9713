"""The provincial exchange: a period's records per district in JSON lines and
CSV, each row with its hash and credential id; a receipt per batch; sending a
batch again never duplicates on the far side (it upserts by record_id)."""

import csv
import datetime
import io
import json
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from badges.models import IssuedCredential
from badges.services import credentials_issue
from cms.api.exchange import exchange_build, exchange_run, month_bounds
from cms.api.models import ExchangeBatch
from cms.api.tasks import exchange_export_task
from credits.services import credit_record_append, credit_record_reverse


class FarSide:
    """A provincial platform that upserts rows by record_id."""

    def __init__(self):
        self.rows: dict[str, dict] = {}
        self.batches: list[str] = []
        far = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                far.batches.append(self.headers["X-TDL-Batch"])
                new = 0
                for line in body.decode().splitlines():
                    row = json.loads(line)
                    new += row["record_id"] not in far.rows
                    far.rows[row["record_id"]] = row
                answer = json.dumps({"accepted": new, "total": len(far.rows)}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/exchange"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def far_side(settings):
    far = FarSide()
    settings.API_EXCHANGE_URL = far.url
    yield far
    far.server.shutdown()


@pytest.fixture
def month_of_records(district_tree, rules):
    records = []
    for code, teachers in district_tree["teachers"].items():
        for n, teacher in enumerate(teachers):
            records.append(
                credit_record_append(
                    teacher=teacher,
                    kind="online_course",
                    category="学科",
                    source_type="test",
                    source_title=f"=课程{n}",
                    hours=Decimal(5),
                    earned_on=datetime.date.today(),
                    idempotency_key=f"x:{code}:{n}",
                )
            )
    credentials_issue([r.pk for r in records])
    credit_record_reverse(record=records[1], reason="重复")
    return records


def this_month() -> str:
    return timezone.localdate().strftime("%Y-%m")


def test_batch_rows_carry_hash_and_credential_id(month_of_records, district_tree):
    start, end = month_bounds(this_month())
    batch = exchange_build(organisation=district_tree["dist_a"], start=start, end=end)
    rows = [json.loads(line) for line in batch.jsonl.splitlines()]
    assert batch.record_count == len(rows) == 5  # four records and one reversal
    by_hash = {r.hash: r for r in month_of_records}
    for row in rows:
        assert row["record_id"].startswith("tdl-")
        assert row["batch_id"] == batch.batch_id
        if row["reverses"]:
            assert row["credential_id"] == ""
            continue
        record = by_hash[row["hash"]]
        credential = IssuedCredential.objects.get(record=record)
        assert row["credential_id"] == f"urn:uuid:{credential.uid}"
    assert {r["school_code"] for r in rows} <= {"SA1", "SA2"}
    table = list(csv.reader(io.StringIO(batch.csv)))
    assert table[0][0] == "记录编号" and table[0][-2:] == ["记录哈希", "证书编号"]
    assert len(table) == 6
    # A title that starts like a formula is quoted for spreadsheets.
    assert all(not row[9].startswith("=") for row in table[1:])


def test_resending_never_duplicates_on_the_far_side(month_of_records, far_side):
    batches = exchange_run(period=this_month())
    assert {b.status for b in batches} == {ExchangeBatch.Status.SENT}
    assert len(far_side.rows) == 7  # six records and one reversal, two districts
    dist_a = next(b for b in batches if b.organisation.code == "DA")
    assert dist_a.receipt["status"] == 200
    assert dist_a.receipt["answer"]["accepted"] == 5
    # The scheduled task again: accepted batches are not sent again.
    exchange_export_task(this_month())
    assert len(far_side.batches) == 2
    # Sent again by hand: same record ids, so nothing new on the far side.
    from cms.api.exchange import exchange_send

    again = exchange_send(batch=ExchangeBatch.objects.get(pk=dist_a.pk))
    assert again.sends == 2
    assert again.receipt["answer"]["accepted"] == 0
    assert len(far_side.rows) == 7
    # The batch itself is stable.
    rebuilt = exchange_build(
        organisation=dist_a.organisation,
        start=dist_a.period_start,
        end=dist_a.period_end,
    )
    assert rebuilt.pk == dist_a.pk and rebuilt.sha256 == dist_a.sha256


def test_without_an_endpoint_a_local_receipt_is_kept(month_of_records, settings):
    settings.API_EXCHANGE_URL = ""
    batches = exchange_run(period=this_month())
    assert all(b.receipt["local"] and b.status == "built" for b in batches)
    assert sum(b.record_count for b in batches) == 7
