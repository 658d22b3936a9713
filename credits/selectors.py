"""Reads of the credit bank: a teacher's records and cycle progress."""

from __future__ import annotations

import datetime
import hashlib
from collections import defaultdict
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from .models import (
    CreditCategory,
    CreditRecord,
    CreditRuleSet,
    CreditYearTotal,
    LearningKind,
    Transcript,
)
from .rules import cycle_bounds, rule_set_in_force

ZERO = Decimal(0)


def records_for(
    *, teacher, first_year: int | None = None, last_year: int | None = None
) -> QuerySet:
    records = CreditRecord.objects.filter(teacher=teacher).order_by("earned_on", "seq")
    if first_year is not None:
        records = records.filter(
            earned_on__year__gte=first_year, earned_on__year__lte=last_year
        )
    return records


def cycle_progress(*, teacher, on: datetime.date | None = None) -> dict:
    """Where the teacher stands in the current cycle: hours per year against the
    yearly minimum, per category against the quotas, in total against the
    requirement. Two queries."""
    on = on or timezone.localdate()
    rule_set = rule_set_in_force(school=teacher.school, on=on)
    config = rule_set.config
    cycle = config["cycle"]
    first, last = cycle_bounds(config, on)
    records = list(records_for(teacher=teacher, first_year=first, last_year=last))
    by_year: dict[int, Decimal] = defaultdict(lambda: ZERO)
    by_category: dict[str, Decimal] = defaultdict(lambda: ZERO)
    total_hours = total_credits = ZERO
    for record in records:
        by_year[record.earned_on.year] += record.hours
        by_category[record.category] += record.hours
        total_hours += record.hours
        total_credits += record.credits
    required = Decimal(str(cycle["hours"]))
    minimum = Decimal(str(cycle.get("min_hours_per_year", 0)))
    years = [
        {
            "year": year,
            "hours": by_year[year],
            "minimum": minimum,
            "met": by_year[year] >= minimum,
            "closed": year < on.year,
        }
        for year in range(first, last + 1)
    ]
    quotas = []
    for category, share in cycle.get("quotas", {}).items():
        needed = (required * Decimal(str(share))).quantize(Decimal("0.1"))
        quotas.append(
            {
                "category": category,
                "label": CreditCategory(category).label
                if category in CreditCategory.values
                else category,
                "hours": by_category[category],
                "required": needed,
                "met": by_category[category] >= needed,
            }
        )
    categories = [
        {"category": c.value, "label": c.label, "hours": by_category[c.value]}
        for c in CreditCategory
        if by_category[c.value]
    ]
    behind = [y for y in years if y["closed"] and not y["met"]]
    return {
        "rule_set": rule_set,
        "first_year": first,
        "last_year": last,
        "required": required,
        "total_hours": total_hours,
        "total_credits": total_credits,
        "percent": min(100, int(total_hours * 100 / required)) if required else 100,
        "years": years,
        "quotas": quotas,
        "categories": categories,
        "records": records,
        "on_track": not behind and (total_hours >= required or last >= on.year),
        "complete": total_hours >= required and all(q["met"] for q in quotas),
    }


def records_digest(records) -> str:
    """A digest of a set of records by their ledger hashes."""
    return hashlib.sha256("".join(r.hash for r in records).encode()).hexdigest()


def compliance_list(
    *,
    teachers: QuerySet,
    config: dict,
    on: datetime.date,
    behind_only: bool = False,
    order: str = "hours",
) -> QuerySet:
    """Teachers annotated with their hours this cycle and this year, and whether
    they are behind: under the yearly minimum this year, or under the minimum
    for the cycle's past years. One query, whatever the number of teachers."""
    from django.db.models import BooleanField, Case, Q, Sum, Value, When
    from django.db.models.functions import Coalesce

    first, last = cycle_bounds(config, on)
    minimum = Decimal(str(config["cycle"].get("min_hours_per_year", 0)))
    past_minimum = minimum * (on.year - first)
    # Per-teacher yearly totals kept by the ledger: a few rows per teacher
    # rather than every record.
    in_cycle = Q(
        credit_year_totals__year__gte=first, credit_year_totals__year__lte=last
    )
    this_year = Q(credit_year_totals__year=on.year)
    rows = (
        teachers.select_related("school")
        .annotate(
            cycle_hours=Coalesce(
                Sum("credit_year_totals__hours", filter=in_cycle), Decimal(0)
            ),
            year_hours=Coalesce(
                Sum("credit_year_totals__hours", filter=this_year), Decimal(0)
            ),
        )
        .annotate(
            behind=Case(
                When(
                    Q(year_hours__lt=minimum) | Q(cycle_hours__lt=past_minimum),
                    then=Value(True),
                ),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )
    if behind_only:
        rows = rows.filter(behind=True)
    ordering = {
        "hours": ["cycle_hours", "real_name", "id"],
        "-hours": ["-cycle_hours", "real_name", "id"],
        "name": ["real_name", "id"],
        "school": ["school__path", "real_name", "id"],
    }.get(order, ["cycle_hours", "real_name", "id"])
    return rows.order_by(*ordering)


def credit_value(*, kind: str, hours: Decimal, school=None, on=None) -> Decimal | None:
    """The credits `hours` of `kind` earn under the rules in force for the
    school (the platform default without one), before any annual cap."""
    from .models import CreditRuleSet

    on = on or timezone.localdate()
    try:
        if school is not None:
            rule_set = rule_set_in_force(school=school, on=on)
        else:
            rule_set = (
                CreditRuleSet.objects.filter(
                    region__isnull=True, effective_from__lte=on
                )
                .order_by("-effective_from")
                .first()
            )
    except CreditRuleSet.DoesNotExist:
        return None
    if rule_set is None:
        return None
    rate = Decimal(str(rule_set.config.get("conversion", {}).get(kind, 0)))
    return (Decimal(hours) * rate).quantize(Decimal("0.01"))


def ledger_for_teachers(*, teachers) -> QuerySet:
    """The ledger records of the given teachers (a scoped queryset), in ledger
    order; the API's cursor and the provincial exchange read this."""
    return CreditRecord.objects.filter(teacher__in=teachers).order_by("seq")


def record_for_key(idempotency_key: str) -> CreditRecord | None:
    """The record appended under this idempotency key, if any."""
    return CreditRecord.objects.filter(idempotency_key=idempotency_key).first()


def category_choices() -> list[tuple[str, str]]:
    """Credit categories with their labels, for forms and model fields in
    other apps (the values are `credits.data.CreditCategory`)."""
    return list(CreditCategory.choices)


def record_origins(records) -> dict[int, str]:
    """Where each record's learning was recognised from, for records that did
    not come from this platform's own courses and activities: the outside
    issuer's name (a converted credential), or the provider a teacher named
    (recognition on evidence), keyed by the record's id (a reversal: by the id
    of the record it reverses). Records absent from the answer are the
    platform's own. One query."""
    from .data import SourceKind
    from .models import RecognitionRequest

    ids = [
        r.reverses_id or r.pk
        for r in records
        if r.source_type in (SourceKind.OUTSIDE, SourceKind.RECOGNITION)
    ]
    if not ids:
        return {}
    origins = {}
    for record_id, provider, issuer_name in RecognitionRequest.objects.filter(
        record_id__in=ids
    ).values_list("record_id", "provider", "outside__issuer_name"):
        origins[record_id] = issuer_name or provider
    return origins


def learning_kind_choices() -> list[tuple[str, str]]:
    """Learning kinds with their labels (the values are
    `credits.data.LearningKind`)."""
    return list(LearningKind.choices)


# Raised by `rule_set_in_force` (and so by `credits.services.transcript_issue`)
# when a teacher's region has no rule set in force.
NoRuleSet = CreditRuleSet.DoesNotExist


def ledger_records() -> QuerySet[CreditRecord]:
    """Every record in the ledger, for apps keyed on records (the credentials
    in `badges`) to narrow down by id, date or their own relation; reads only,
    the ledger is written through `credits.services`."""
    return CreditRecord.objects.all()


def record_intact(record: CreditRecord) -> bool:
    """Whether the record's stored hash still matches its content."""
    from .ledger import record_digest

    return record_digest(record) == record.hash


def transcript_by_code(code: str) -> Transcript | None:
    """The transcript with this verification code (as printed on it), with
    its teacher and school."""
    return (
        Transcript.objects.select_related("teacher__school")
        .filter(code=code.strip().upper())
        .first()
    )


def year_hours_for(*, teacher_ids, first_year: int):
    """(teacher id, year, hours) rows of the ledger's yearly totals from
    `first_year` on, for the given teachers."""
    return CreditYearTotal.objects.filter(
        teacher_id__in=teacher_ids, year__gte=first_year
    ).values_list("teacher_id", "year", "hours")


def cycle_rule(*, school, on: datetime.date) -> tuple[int, int, Decimal]:
    """(first year, last year, yearly minimum hours) of the cycle under the
    rule set in force for the school on that day."""
    config = rule_set_in_force(school=school, on=on).config
    first, last = cycle_bounds(config, on)
    minimum = Decimal(str(config["cycle"].get("min_hours_per_year", 0)))
    return first, last, minimum


def transcript_json(*, transcript, progress) -> str:
    """The transcript as the open API's JSON document."""
    from . import transcripts

    return transcripts.transcript_json(transcript=transcript, progress=progress)


def transcript_pdf(*, transcript, progress) -> bytes:
    """The transcript as a PDF with its QR code and verification code."""
    from . import transcripts

    return transcripts.transcript_pdf_render(transcript=transcript, progress=progress)


def recognition_requests_of(teacher) -> QuerySet:
    """Her requests for recognition of outside learning."""
    from .models import RecognitionRequest

    return RecognitionRequest.objects.filter(teacher=teacher)


def recognition_requests_visible_to(user) -> QuerySet:
    """Requests of the teachers `user` sees, her own left out (nobody decides
    her own request)."""
    from cms.accounts import scoping

    from .models import RecognitionRequest

    return RecognitionRequest.objects.filter(
        teacher__in=scoping.teachers_visible_to(user)
    ).exclude(teacher__user=user)
