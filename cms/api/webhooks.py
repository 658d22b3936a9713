"""Webhooks: listen to the apps' events, fan out to the subscriptions that may
see the object, and deliver signed POSTs with retries (Celery).

Nothing here runs inside the action that caused an event: the apps send their
signals after commit, and the receivers only enqueue a task.

Signature: X-TDL-Signature: sha256=<hex HMAC-SHA256(secret, f"{timestamp}.{body}")>
with X-TDL-Timestamp the Unix time of the attempt; receivers should refuse a
timestamp more than five minutes away from their clock."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cms.accounts import scoping

from .models import (
    ApiClient,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)


class UnsafeUrl(ValueError):
    pass


def subscription_secret(subscription: WebhookSubscription) -> str:
    """Derived from the server key and the subscription id, never stored."""
    key = (getattr(settings, "API_WEBHOOK_KEY", "") or settings.SECRET_KEY).encode()
    return hmac.new(key, f"webhook:{subscription.uid}".encode(), "sha256").hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def check_url(url: str) -> None:
    """Only http(s) to public addresses (private ones only when the settings
    allow them, as in development and tests)."""
    parts = urlsplit(url)
    allow_http = getattr(settings, "API_WEBHOOK_ALLOW_HTTP", False)
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise UnsafeUrl(_("接收地址必须使用 https。"))
    if not parts.hostname:
        raise UnsafeUrl(_("接收地址不完整。"))
    if getattr(settings, "API_WEBHOOK_ALLOW_PRIVATE", False):
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrl(_("接收地址的主机名无法解析。")) from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise UnsafeUrl(_("接收地址不能指向内部网络。"))


def subscription_create(
    *, client: ApiClient, url: str, events: list[str]
) -> tuple[WebhookSubscription, str]:
    check_url(url)
    sub = WebhookSubscription.objects.create(
        client=client, url=url, events=sorted(set(events))
    )
    return sub, subscription_secret(sub)


# --- events ------------------------------------------------------------------


def _subscriptions(event: str) -> list[WebhookSubscription]:
    return [
        sub
        for sub in WebhookSubscription.objects.filter(
            active=True, client__active=True
        ).select_related("client__service_user")
        if event in sub.events
    ]


def _enqueue_fanout(event: str, ids: list[int]) -> None:
    from .tasks import webhook_fanout_task

    # One cheap query in the action's path; the rest runs in a worker.
    if ids and any(event in sub for sub in _subscribed_events()):
        webhook_fanout_task.delay_on_commit(event, ids)


def _subscribed_events() -> list[list[str]]:
    return list(
        WebhookSubscription.objects.filter(active=True, client__active=True)
        .values_list("events", flat=True)
        .distinct()
    )


def on_credit_recorded(sender, record_id: int, reverses_id=None, **kwargs):
    _enqueue_fanout(WebhookEvent.CREDIT_RECORDED, [record_id])


def on_credential_issued(sender, credential_ids: list[int], **kwargs):
    _enqueue_fanout(WebhookEvent.CREDENTIAL_ISSUED, list(credential_ids))


def on_credential_revoked(sender, credential_id: int, **kwargs):
    _enqueue_fanout(WebhookEvent.CREDENTIAL_REVOKED, [credential_id])


def on_teacher_import(sender, import_id: int, **kwargs):
    _enqueue_fanout(WebhookEvent.TEACHER_IMPORTED, [import_id])


def connect() -> None:
    from badges.events import credential_issued, credential_revoked
    from cms.accounts.signals import teacher_import_applied
    from credits.signals import credit_recorded

    credit_recorded.connect(on_credit_recorded, dispatch_uid="api_webhook_credit")
    credential_issued.connect(on_credential_issued, dispatch_uid="api_webhook_issued")
    credential_revoked.connect(
        on_credential_revoked, dispatch_uid="api_webhook_revoked"
    )
    teacher_import_applied.connect(on_teacher_import, dispatch_uid="api_webhook_import")


# --- fan-out -----------------------------------------------------------------


def _payloads(event: str, ids: list[int], sub: WebhookSubscription) -> list[dict]:
    """What this subscriber may see of the objects, scoped like the API."""
    from . import api as api_views

    teachers = scoping.teachers_visible_to(sub.client.service_user)
    if event == WebhookEvent.CREDIT_RECORDED:
        from credits import selectors as credit_selectors

        records = (
            credit_selectors.ledger_for_teachers(teachers=teachers)
            .filter(pk__in=ids)
            .select_related("teacher", "reverses")
        )
        return [api_views._record(r) for r in records]
    if event in (WebhookEvent.CREDENTIAL_ISSUED, WebhookEvent.CREDENTIAL_REVOKED):
        from badges import selectors as badge_selectors

        found = (
            badge_selectors.credentials_for_teachers(teachers=teachers)
            .filter(pk__in=ids)
            .select_related("teacher", "record")
            .defer("document")
        )
        return [api_views._credential(c) for c in found]
    if event == WebhookEvent.TEACHER_IMPORTED:
        from cms.accounts.models import TeacherImport

        out = []
        for imp in TeacherImport.objects.filter(pk__in=ids):
            staff = [row.get("staff_number", "") for row in imp.rows]
            visible = sorted(
                teachers.filter(staff_number__in=staff).values_list(
                    "staff_number", flat=True
                )
            )
            if visible:
                out.append(
                    {
                        "import_id": imp.pk,
                        "finished_at": imp.finished_at,
                        "staff_numbers": visible,
                    }
                )
        return out
    return []


def webhook_fanout(*, event: str, ids: list[int]) -> list[int]:
    """Create one delivery per subscriber and object it may see; returns the
    delivery ids (each is then sent by its own task)."""
    created = []
    for sub in _subscriptions(event):
        for data in _payloads(event, ids, sub):
            event_id = uuid.uuid4()
            payload = json.loads(
                json.dumps(
                    {
                        "id": str(event_id),
                        "event": event,
                        "created_at": timezone.now(),
                        "data": data,
                    },
                    cls=DjangoJSONEncoder,
                    ensure_ascii=False,
                )
            )
            delivery = WebhookDelivery.objects.create(
                subscription=sub, event_id=event_id, event=event, payload=payload
            )
            created.append(delivery.pk)
    return created


# --- delivery ----------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def backoff_seconds(attempt: int) -> float:
    """Exponential: base, 2×base, 4×base … capped at an hour."""
    base = float(getattr(settings, "API_WEBHOOK_BACKOFF_SECONDS", 30))
    return min(base * 2 ** max(attempt - 1, 0), 3600.0)


def webhook_attempt(*, delivery_id: int) -> WebhookDelivery:
    """One try: POST the signed body and record the answer. The row stays
    locked while sending, so a duplicate task waits and then sends nothing;
    once delivered, a redelivered task sends nothing either."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("subscription")
            .get(pk=delivery_id)
        )
        if delivery.status != WebhookDelivery.Status.PENDING:
            return delivery
        delivery.attempts += 1
        delivery.last_attempt_at = timezone.now()
        status, text, error = _post(delivery)
        WebhookAttempt.objects.create(
            delivery=delivery, status_code=status, response=text, error=error
        )
        max_attempts = int(getattr(settings, "API_WEBHOOK_MAX_ATTEMPTS", 8))
        delivery.last_status_code = status
        delivery.last_response = text
        delivery.last_error = error
        if status is not None and 200 <= status < 300:
            delivery.status = WebhookDelivery.Status.DELIVERED
            delivery.delivered_at = timezone.now()
        elif delivery.attempts >= max_attempts:
            delivery.status = WebhookDelivery.Status.FAILED
        delivery.save()
    return delivery


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    sub = delivery.subscription
    body = json.dumps(delivery.payload, ensure_ascii=False).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "tdl-webhooks/1",
        "X-TDL-Event": delivery.event,
        "X-TDL-Delivery": str(delivery.event_id),
        "X-TDL-Timestamp": str(timestamp),
        "X-TDL-Signature": sign(subscription_secret(sub), timestamp, body),
    }
    try:
        check_url(sub.url)
        request = urllib.request.Request(  # noqa: S310 (scheme checked above)
            sub.url, data=body, headers=headers, method="POST"
        )
        with _opener.open(request, timeout=5) as response:
            return response.status, response.read(4000).decode(errors="replace"), ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(4000).decode(errors="replace"), ""
    except (UnsafeUrl, OSError, ValueError) as exc:
        return None, "", str(exc)[:300]


def deliveries_due() -> list[int]:
    """Pending deliveries whose next try is due (by their own backoff), and
    never-tried ones older than a minute."""
    import datetime

    now = timezone.now()
    due = []
    pending = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING
    ).only("id", "attempts", "last_attempt_at", "created_at")
    for delivery in pending.iterator(chunk_size=500):
        if delivery.last_attempt_at is None:
            if now - delivery.created_at > datetime.timedelta(minutes=1):
                due.append(delivery.pk)
        elif now - delivery.last_attempt_at >= datetime.timedelta(
            # well past the retry the worker scheduled itself
            seconds=2 * backoff_seconds(delivery.attempts) + 60
        ):
            due.append(delivery.pk)
    return due
