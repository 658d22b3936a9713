"""Webhooks, end to end with a real Celery worker and a real receiving HTTP
server on 127.0.0.1 that fails twice and then accepts: the event is accepted
once, its signature checked by the receiver, after real (short) backoff."""

import datetime
import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from cms.api.models import WebhookDelivery, WebhookSubscription
from cms.api.webhooks import sign, subscription_secret
from cms.celery import app

ROOT = Path(__file__).resolve().parents[2]
BACKOFF = 0.6


class Receiver:
    """Answers 500 to the first `failures` posts, then checks the signature
    and accepts each event id once."""

    def __init__(self, failures: int = 2):
        self.failures, self.secret = failures, None
        self.posts, self.accepted, self.bad_signatures = [], [], 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append(
                    (time.monotonic(), {k.lower(): v for k, v in self.headers.items()})
                )
                if len(receiver.posts) <= receiver.failures:
                    return self._answer(500, b"busy")
                timestamp = int(self.headers["X-TDL-Timestamp"])
                expected = (
                    "sha256="
                    + hmac.new(
                        receiver.secret.encode(),
                        f"{timestamp}.".encode() + body,
                        hashlib.sha256,
                    ).hexdigest()
                )
                if not hmac.compare_digest(expected, self.headers["X-TDL-Signature"]):
                    receiver.bad_signatures += 1
                    return self._answer(401, b"bad signature")
                if abs(time.time() - timestamp) > 300:
                    return self._answer(401, b"stale")
                event = json.loads(body)
                if event["id"] not in {e["id"] for e in receiver.accepted}:
                    receiver.accepted.append(event)
                return self._answer(200, b'{"ok": true}')

            def _answer(self, code, text):
                self.send_response(code)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def webhook_settings(settings):
    settings.API_WEBHOOK_ALLOW_HTTP = True
    settings.API_WEBHOOK_ALLOW_PRIVATE = True
    settings.API_WEBHOOK_BACKOFF_SECONDS = BACKOFF
    return settings


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A real `celery worker` on the default queue of this run's Redis db."""
    if connection.vendor != "postgresql" or not os.environ.get("REDIS_URL"):
        pytest.skip(
            "needs DATABASE_URL (PostgreSQL) and REDIS_URL, as `make test` sets"
        )
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@"
        f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "API_WEBHOOK_ALLOW_HTTP": "1",
        "API_WEBHOOK_ALLOW_PRIVATE": "1",
        "API_WEBHOOK_BACKOFF_SECONDS": str(BACKOFF),
    }
    app.control.purge()
    log_path = tmp_path / "worker.log"
    log = open(log_path, "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            # The test settings run tasks eagerly; this worker must enqueue the
            # tasks it sends (a delivery's retries) like a production worker.
            "from cms.celery import app\n"
            "app.conf.task_always_eager = False\n"
            "app.worker_main(['worker', '--pool=solo', '--without-heartbeat',"
            " '--without-gossip', '--without-mingle', '--loglevel=INFO'])",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        yield log_path
    finally:
        app.conf.task_always_eager = previous
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.worker
def test_credit_event_is_delivered_once_after_two_failures(
    webhook_settings, receiver, worker, make_caller, district_tree, rules
):
    caller = make_caller(
        district_tree["dist_a"], allowed_kinds=["online_course"], provider_code="p1"
    )
    created = caller.post(
        "/api/v1/webhooks", {"url": receiver.url, "events": ["credit.recorded"]}
    )
    assert created.status_code == 201, created.content
    receiver.secret = created.json()["secret"]
    sub = WebhookSubscription.objects.get()
    assert receiver.secret == subscription_secret(sub)
    assert receiver.secret not in json.dumps(
        list(WebhookSubscription.objects.values()), default=str
    )

    teacher = district_tree["teachers"]["SA1"][0]
    response = caller.post(
        "/api/v1/credit-records",
        {
            "provider_record_id": "W-1",
            "teacher_staff_number": teacher.staff_number,
            "kind": "online_course",
            "category": "通识",
            "title": "数据素养",
            "hours": 3,
            "earned_on": str(datetime.date.today()),
        },
    )
    assert response.status_code == 201
    # The action did not wait for the receiver's failures and retries.
    assert len(receiver.posts) < 3
    assert wait_for(lambda: receiver.accepted), worker.read_text()[-3000:]
    time.sleep(3 * BACKOFF)  # nothing more arrives
    assert len(receiver.posts) == 3 and len(receiver.accepted) == 1
    assert receiver.bad_signatures == 0
    event = receiver.accepted[0]
    assert event["event"] == "credit.recorded"
    assert event["data"]["record_id"] == response.json()["record"]["record_id"]
    # Real backoff between the tries: BACKOFF, then 2 × BACKOFF.
    times = [t for t, _ in receiver.posts]
    assert times[1] - times[0] >= BACKOFF * 0.9
    assert times[2] - times[1] >= 2 * BACKOFF * 0.9
    # The same delivery id on every try, so a receiver can deduplicate.
    assert len({h["x-tdl-delivery"] for _, h in receiver.posts}) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.DELIVERED
    assert delivery.attempts == 3
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 500, 200]
    assert delivery.last_response == '{"ok": true}'


def test_signature_format():
    body = b'{"a": 1}'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, body) == "sha256=" + expected


def test_events_reach_only_subscribers_who_may_see_them(
    webhook_settings,
    make_caller,
    district_tree,
    rules,
    django_capture_on_commit_callbacks,
):
    """A district B subscriber gets nothing of a district A record."""
    from cms.api.webhooks import webhook_fanout
    from credits.services import credit_record_append

    a = make_caller(district_tree["dist_a"])
    b = make_caller(district_tree["dist_b"])
    for caller in (a, b):
        caller.post(
            "/api/v1/webhooks",
            {"url": "http://127.0.0.1:9/none", "events": ["credit.recorded"]},
        )
    record = credit_record_append(
        teacher=district_tree["teachers"]["SA1"][0],
        kind="online_course",
        category="通识",
        source_type="t",
        source_title="t",
        hours=2,
        earned_on=datetime.date.today(),
        idempotency_key="scope-hook",
    )
    webhook_fanout(event="credit.recorded", ids=[record.pk])
    subs = set(
        WebhookDelivery.objects.values_list("subscription__client_id", flat=True)
    )
    assert subs == {a.api_client.pk}


def test_private_receivers_refused_unless_allowed(make_caller, district_tree, settings):
    settings.API_WEBHOOK_ALLOW_HTTP = False
    settings.API_WEBHOOK_ALLOW_PRIVATE = False
    caller = make_caller(district_tree["dist_a"])
    plain = caller.post(
        "/api/v1/webhooks",
        {"url": "http://example.com/h", "events": ["credit.recorded"]},
    )
    assert plain.status_code == 422 and "https" in plain.json()["detail"]
    inside = caller.post(
        "/api/v1/webhooks",
        {"url": "https://127.0.0.1/h", "events": ["credit.recorded"]},
    )
    assert inside.status_code == 422 and "内部网络" in inside.json()["detail"]


def test_every_event_kind_is_announced_after_commit(
    webhook_settings,
    make_caller,
    district_tree,
    rules,
    django_capture_on_commit_callbacks,
):
    """Teacher imports, credit records, credentials issued and revoked each
    make a delivery for a subscriber who may see them (receiver down here:
    the deliveries stay pending, the actions succeed)."""
    from badges.models import IssuedCredential

    caller = make_caller(
        district_tree["dist_a"], allowed_kinds=["online_course"], provider_code="ev"
    )
    caller.post(
        "/api/v1/webhooks",
        {
            "url": "http://127.0.0.1:9/down",
            "events": [
                "credit.recorded",
                "credential.issued",
                "credential.revoked",
                "teacher.imported",
            ],
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        batch = caller.post(
            "/api/v1/teacher-batches",
            {
                "teachers": [
                    {"real_name": "钱七", "staff_number": "EV-1", "school": "SA1"}
                ]
            },
        )
    assert batch.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        appended = caller.post(
            "/api/v1/credit-records",
            {
                "provider_record_id": "E-1",
                "teacher_staff_number": "EV-1",
                "kind": "online_course",
                "category": "通识",
                "title": "数据素养",
                "hours": 2,
                "earned_on": str(datetime.date.today()),
            },
        )
    assert appended.status_code == 201
    credential = IssuedCredential.objects.get(record__source_id="E-1")
    with django_capture_on_commit_callbacks(execute=True):
        revoked = caller.post(
            f"/api/v1/credentials/{credential.uid}/revoke", {"reason": "测试"}
        )
    assert revoked.status_code == 200
    events = list(
        WebhookDelivery.objects.order_by("id").values_list("event", "payload")
    )
    kinds = [e for e, _ in events]
    assert kinds.count("teacher.imported") == 1
    assert kinds.count("credential.issued") == 1
    assert kinds.count("credential.revoked") == 1
    assert kinds.count("credit.recorded") == 2  # the record and its reversal
    imported = next(p for e, p in events if e == "teacher.imported")
    assert imported["data"]["staff_numbers"] == ["EV-1"]
    assert all(
        d.status == WebhookDelivery.Status.PENDING and d.last_error
        for d in WebhookDelivery.objects.all()
    )
