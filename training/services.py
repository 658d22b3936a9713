"""Writes for frameworks, instruments and self-assessments.

Taking the assessment: `attempt_start` opens (or resumes) an attempt on the
current instrument version, `answer_save` records answers as the teacher goes,
and `attempt_submit` scores it exactly once, however often it is called."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from cms.shared import pagecache

from .framework import next_term_start, term_of
from .models import (
    RESULTS_VERSION,
    AssessmentAnswer,
    AssessmentAttempt,
    AssessmentResult,
    Competency,
    Framework,
    Instrument,
    InstrumentItem,
)
from .scoring import IncompleteAnswers, score_answers


class RetakeNotYet(Exception):
    def __init__(self, available_on: datetime.date):
        super().__init__(f"next attempt available on {available_on}")
        self.available_on = available_on


class AttemptClosed(Exception):
    """The attempt was already submitted; answers can no longer change."""


@transaction.atomic
def framework_load(*, data: dict) -> Framework:
    """Create or update a framework and its competencies from nested data
    (the format of training/data/<FRAMEWORK_CODE>.json). Idempotent."""
    framework, _ = Framework.objects.update_or_create(
        code=data["code"],
        defaults={
            "name": data["name"],
            "standard_number": data.get("standard_number", ""),
            "publisher": data.get("publisher", ""),
            "issued": data.get("issued"),
            "source": data.get("source", ""),
            "description": data.get("description", ""),
        },
    )

    def load(nodes, parent, level):
        for node in nodes:
            competency, _ = Competency.objects.update_or_create(
                framework=framework,
                code=node["code"],
                defaults={
                    "parent": parent,
                    "level": level,
                    "name": node["name"],
                    "name_en": node.get("name_en", ""),
                    "description": node.get("description", ""),
                },
            )
            load(node.get("children", []), competency, level + 1)

    load(data["dimensions"], None, Competency.Level.DIMENSION)
    return framework


@transaction.atomic
def instrument_load(*, data: dict, family: str = "self-assessment") -> Instrument:
    """Create an instrument version from data (training/data/instrument-v1.json);
    loading the same version again returns the existing one unchanged."""
    existing = Instrument.objects.filter(family=family, version=data["version"]).first()
    if existing:
        return existing
    framework = Framework.objects.get(code=data["framework"])
    indicators = {
        c.code: c
        for c in framework.competencies.filter(level=Competency.Level.INDICATOR)
    }
    Instrument.objects.filter(family=family, is_current=True).update(is_current=False)
    instrument = Instrument.objects.create(
        framework=framework,
        family=family,
        version=data["version"],
        title=data["title"],
        instructions=data.get("instructions", ""),
        levels=data["levels"],
        scoring=data["scoring"],
        is_current=True,
    )
    InstrumentItem.objects.bulk_create(
        InstrumentItem(
            instrument=instrument,
            indicator=indicators[item["indicator"]],
            position=position,
            prompt=item["prompt"],
            descriptors=item["levels"],
        )
        for position, item in enumerate(data["items"], start=1)
    )
    return instrument


@transaction.atomic
def instrument_revise(
    *,
    instrument: Instrument,
    changes: dict | None = None,
    item_changes: dict[int, dict] | None = None,
) -> Instrument:
    """Apply edits. An instrument nobody has started is edited in place; once
    any attempt exists the edits go into a new version (which becomes current),
    leaving earlier results and their reports exactly as they were."""
    changes = changes or {}
    item_changes = item_changes or {}
    if instrument.attempts.exists():
        items = list(instrument.items.all())
        latest = (
            Instrument.objects.select_for_update()
            .filter(family=instrument.family)
            .order_by("-version")
            .first()
        )
        Instrument.objects.filter(family=instrument.family).update(is_current=False)
        target = Instrument.objects.create(
            framework=instrument.framework,
            family=instrument.family,
            version=latest.version + 1,
            title=instrument.title,
            instructions=instrument.instructions,
            levels=instrument.levels,
            scoring=instrument.scoring,
            is_current=True,
        )
        InstrumentItem.objects.bulk_create(
            InstrumentItem(
                instrument=target,
                indicator_id=item.indicator_id,
                position=item.position,
                prompt=item.prompt,
                descriptors=item.descriptors,
            )
            for item in items
        )
    else:
        target = instrument
    for field, value in changes.items():
        setattr(target, field, value)
    target.save()
    for position, fields in item_changes.items():
        item = target.items.get(position=position)
        for field, value in fields.items():
            setattr(item, field, value)
        item.save()
    return target


def retake_available_on(*, last_submitted: datetime.datetime) -> datetime.date:
    """When a teacher may start again after a submission: the next term by
    default, or after ASSESSMENT_RETAKE_DAYS days when that is set."""
    day = timezone.localdate(last_submitted)
    days = getattr(settings, "ASSESSMENT_RETAKE_DAYS", None)
    if days is not None:
        return day + datetime.timedelta(days=int(days))
    return next_term_start(day)


def attempt_start(*, teacher) -> AssessmentAttempt:
    """Resume the open attempt, or open one on the current instrument.

    Raises RetakeNotYet inside the retake interval, and Instrument.DoesNotExist
    when no instrument is published."""
    open_attempt = AssessmentAttempt.objects.filter(
        teacher=teacher, status=AssessmentAttempt.Status.IN_PROGRESS
    ).first()
    if open_attempt:
        return open_attempt
    last = (
        AssessmentResult.objects.filter(teacher=teacher)
        .order_by("-submitted_at")
        .first()
    )
    if last is not None:
        available = retake_available_on(last_submitted=last.submitted_at)
        if timezone.localdate() < available:
            raise RetakeNotYet(available)
    instrument = Instrument.objects.get(is_current=True, family="self-assessment")
    try:
        with transaction.atomic():
            return AssessmentAttempt.objects.create(
                teacher=teacher, instrument=instrument
            )
    except IntegrityError:  # a parallel request opened it first
        return AssessmentAttempt.objects.get(
            teacher=teacher, status=AssessmentAttempt.Status.IN_PROGRESS
        )


def answers_save(
    *, attempt: AssessmentAttempt, answers: dict[int, int], step: int | None = None
) -> int:
    """Record answers (item id -> level); returns how many were stored."""
    if attempt.status != AssessmentAttempt.Status.IN_PROGRESS:
        raise AttemptClosed
    valid_items = set(attempt.instrument.items.values_list("id", flat=True))
    rows = [
        AssessmentAnswer(attempt=attempt, item_id=item_id, value=value)
        for item_id, value in answers.items()
        if item_id in valid_items and 1 <= value <= 5
    ]
    with transaction.atomic():
        AssessmentAnswer.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["attempt", "item"],
            update_fields=["value", "updated_at"],
        )
        if step is not None and step != attempt.step:
            attempt.step = step
            attempt.save(update_fields=["step"])
    return len(rows)


# In one round trip: claim the attempt (in progress -> submitted), and only
# if that succeeded, take "latest" from the teacher's previous result and read
# the answers. No row when the attempt was not in progress; one row of nulls
# when it has no answers. Params: the submission time, the attempt id, the
# teacher id. (The statuses are those of AssessmentAttempt.Status; the tests
# of submitting fail if they change.) Raw SQL bumps no version: the new
# result created in the same transaction does (models.RESULTS_VERSION).
_CLAIM_AND_READ_ANSWERS = (
    "WITH claimed AS ("
    " UPDATE training_assessmentattempt SET status = 'submitted', submitted_at = %s"
    " WHERE id = %s AND status = 'in_progress' RETURNING id),"
    " previous AS ("
    " UPDATE training_assessmentresult SET is_latest = false"
    " WHERE teacher_id = %s AND is_latest AND EXISTS (SELECT 1 FROM claimed))"
    " SELECT answer.item_id, answer.value FROM claimed"
    " LEFT JOIN training_assessmentanswer answer ON answer.attempt_id = claimed.id"
)


def _claim_and_read_answers(attempt: AssessmentAttempt, now) -> dict | None:
    """Claim the attempt, take "latest" from her previous result and read the
    answers ({item id: value}); None when the attempt was not in progress.
    One statement on PostgreSQL; the same in three on the embedded SQLite,
    which has no UPDATE inside WITH."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                _CLAIM_AND_READ_ANSWERS, [now, attempt.pk, attempt.teacher_id]
            )
            rows = cursor.fetchall()
        if not rows:
            return None
        return {item_id: value for item_id, value in rows if item_id is not None}
    claimed = AssessmentAttempt.objects.filter(
        pk=attempt.pk, status=AssessmentAttempt.Status.IN_PROGRESS
    ).update(status=AssessmentAttempt.Status.SUBMITTED, submitted_at=now)
    if not claimed:
        return None
    AssessmentResult.objects.filter(
        teacher_id=attempt.teacher_id, is_latest=True
    ).update(is_latest=False)
    return dict(
        AssessmentAnswer.objects.filter(attempt_id=attempt.pk).values_list(
            "item_id", "value"
        )
    )


def attempt_submit(*, attempt: AssessmentAttempt) -> AssessmentResult:
    """Score and close an attempt. Submitting again returns the same result.

    Raises IncompleteAnswers listing the unanswered item ids.

    The attempt is claimed by a conditional update (in progress -> submitted):
    a second submit waits on the row until the first commits, then finds it
    submitted and returns its result. A refusal for missing answers rolls the
    claim back. Teacher and instrument are fixed when the attempt is opened,
    so the caller's copy supplies them."""
    now = timezone.now()
    with transaction.atomic():
        answers = _claim_and_read_answers(attempt, now)
        if answers is None:
            return AssessmentResult.objects.get(attempt_id=attempt.pk)
        instrument, items, parents = instrument_for_scoring(
            instrument_id=attempt.instrument_id, answered=answers.keys()
        )
        scores = score_answers(
            items=items,
            answers=answers,
            parents=parents,
            scoring=instrument.scoring,
        )
        result = AssessmentResult.objects.create(
            attempt_id=attempt.pk,
            teacher_id=attempt.teacher_id,
            instrument=instrument,
            overall_score=Decimal(scores["overall"]["score"]),
            overall_level=scores["overall"]["level"],
            scores=scores,
            term=term_of(timezone.localdate(now)),
            submitted_at=now,
        )
    attempt.status, attempt.submitted_at = AssessmentAttempt.Status.SUBMITTED, now
    return result


def results_changed() -> None:
    """Invalidate the figures kept over many teachers' results. Every write
    through the model bumps their version already (models.RESULTS_VERSION);
    call this after raw SQL on the results."""
    pagecache.bump(RESULTS_VERSION)


def current_instrument_or_none() -> Instrument | None:
    return Instrument.objects.filter(is_current=True, family="self-assessment").first()


_SCORING: dict[int, tuple[Instrument, list[tuple[int, str]], dict[str, str]]] = {}


def instrument_for_scoring(
    *, instrument_id: int, answered
) -> tuple[Instrument, list[tuple[int, str]], dict[str, str]]:
    """An instrument version with its items (id, indicator code) and the
    parents of its competencies, read once per process. Safe to keep: a
    version with attempts is frozen (revising it makes a new version, see
    `instrument_revise`), and only attempts are scored. An entry that lacks
    an answered item is read afresh (a database rebuilt under a running
    process)."""
    found = _SCORING.get(instrument_id)
    if found is None or not set(answered) <= {item_id for item_id, _ in found[1]}:
        instrument = Instrument.objects.get(pk=instrument_id)
        found = (
            instrument,
            list(instrument.items.values_list("id", "indicator__code")),
            competency_parents(instrument.framework_id),
        )
        if len(_SCORING) >= 64:
            _SCORING.clear()
        _SCORING[instrument_id] = found
    return found


def competency_parents(framework_id: int) -> dict[str, str]:
    rows = Competency.objects.filter(framework_id=framework_id, parent__isnull=False)
    return dict(rows.values_list("code", "parent__code"))


__all__ = [
    "AttemptClosed",
    "IncompleteAnswers",
    "RetakeNotYet",
    "answers_save",
    "attempt_start",
    "attempt_submit",
    "framework_load",
    "instrument_load",
    "instrument_revise",
]
