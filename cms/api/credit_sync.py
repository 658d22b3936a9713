"""Credit records appended by a registered training provider."""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from credits import selectors as credit_selectors
from credits import services as credit_services
from credits.data import CreditCategory, LearningKind

from .models import ApiClient


class CreditRefused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def provider_key(client: ApiClient, provider_record_id: str) -> str:
    return f"provider:{client.provider_code or client.client_id}:{provider_record_id}"


def provider_credit_append(
    *,
    client: ApiClient,
    teacher,
    provider_record_id: str,
    kind: str,
    category: str,
    title: str,
    hours: Decimal,
    earned_on: datetime.date,
):
    """Append one record for a teacher the client may see; returns
    (record, created). The provider's own record id makes it idempotent: the
    same id again returns the first record, a different record under a used id
    is refused."""
    if kind not in {k.value for k in LearningKind}:
        raise CreditRefused(422, _("未知的学习类型：%(k)s") % {"k": kind})
    if kind not in (client.allowed_kinds or []):
        raise CreditRefused(
            403, _("本机构未登记“%(k)s”类学习，不能追加此类学分。") % {"k": kind}
        )
    if category not in {c.value for c in CreditCategory}:
        raise CreditRefused(422, _("未知的学分类别：%(c)s") % {"c": category})
    if earned_on > timezone.localdate():
        raise CreditRefused(422, _("获得日期不能晚于今天。"))
    raw_hours = Decimal(hours).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if raw_hours <= 0:
        raise CreditRefused(422, _("学时必须大于 0。"))
    key = provider_key(client, provider_record_id)
    existing = credit_selectors.record_for_key(key)
    if existing is not None:
        same = (
            existing.teacher_id == teacher.pk
            and existing.kind == kind
            and existing.category == category
            and existing.raw_hours == raw_hours
            and existing.earned_on == earned_on
        )
        if not same:
            raise CreditRefused(
                409,
                _("记录编号 %(id)s 已用于另一条记录。") % {"id": provider_record_id},
            )
        return existing, False
    value = credit_selectors.credit_value(
        kind=kind, hours=raw_hours, school=teacher.school, on=earned_on
    )
    if value is None:
        raise CreditRefused(422, _("该教师所在地区在获得日期没有生效的学分规则。"))
    if value <= 0:
        raise CreditRefused(
            422, _("按获得日期生效的学分规则，“%(k)s”类学习不计学分。") % {"k": kind}
        )
    record = credit_services.credit_record_append(
        teacher=teacher,
        kind=kind,
        category=category,
        source_type=f"provider:{client.provider_code or client.client_id}"[:60],
        source_id=provider_record_id,
        source_title=title,
        hours=raw_hours,
        earned_on=earned_on,
        idempotency_key=key,
        recorded_by=client.service_user,
    )
    return record, True
