"""Credit rule sets and ledger records for tests.

Ledger records are appended through `credit_record_append`, as real use does
(the ledger is hash-chained and append-only), with the values of
`credits.data`, so tests write what the platform writes."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import factory

from credits.data import CreditCategory, LearningKind, SourceKind
from credits.models import CreditRecord, CreditRuleSet
from credits.rules import DEFAULT_CONFIG
from credits.services import credit_record_append

_keys = itertools.count(1)


class CreditRuleSetFactory(factory.django.DjangoModelFactory):
    """A rule set; by default the national one, in force since 2020."""

    class Meta:
        model = CreditRuleSet
        django_get_or_create = ("region", "effective_from")

    region = None
    name = "全国通用"
    effective_from = datetime.date(2020, 1, 1)
    config = factory.LazyFunction(lambda: DEFAULT_CONFIG)


def national_rules() -> CreditRuleSet:
    """The national rules (DEFAULT_CONFIG) most tests credit against."""
    return CreditRuleSetFactory()


def ledger_record(
    *,
    teacher,
    hours=12,
    title: str = "人工智能助力课堂教学",
    category: str = CreditCategory.IT,
    kind: str = LearningKind.ONLINE_COURSE,
    source_type: str = SourceKind.COURSE,
    source_id: str = "1",
    earned_on: datetime.date | None = None,
    key: str | None = None,
    **extra,
) -> CreditRecord:
    """One record for `teacher`, by default a completed online course."""
    return credit_record_append(
        teacher=teacher,
        kind=kind,
        category=category,
        source_type=source_type,
        source_id=str(source_id),
        source_title=title,
        hours=Decimal(hours),
        earned_on=earned_on or datetime.date.today(),
        idempotency_key=key or f"test-record:{next(_keys)}",
        **extra,
    )
