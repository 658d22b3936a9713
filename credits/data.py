"""The credit bank's public data: the values other apps write into the ledger
and the idempotency keys they write them under.

Import nothing here but the standard library (after openedx/credentials'
`data.py`): any app at any layer may import this module. The labelled Django
choices (`credits.models.CreditCategory`, `LearningKind`) are built from these
values; use `credits.selectors.category_choices()` where a form or a model
field needs the labels."""

from __future__ import annotations

from enum import StrEnum


class CreditCategory(StrEnum):
    """What the hours count towards in a cycle's requirements (学分类别)."""

    GENERAL = "通识"
    SUBJECT = "学科"
    ETHICS = "思政师德"
    MENTAL_HEALTH = "心理健康"
    IT = "信息技术应用"
    OTHER = "其他"


class LearningKind(StrEnum):
    """How the learning was done (学习形式); rules value hours per kind."""

    ONLINE_COURSE = "online_course"
    OFFLINE_TRAINING = "offline_training"
    STUDIO_ACTIVITY = "studio_activity"
    SCHOOL_BASED = "school_based"
    COMPETITION = "competition"
    RECOGNITION = "recognition"


class SourceKind(StrEnum):
    """What a ledger record was earned by: `source_type` of a record, and of
    the achievement definition its credential certifies. Only these values are
    written by the platform."""

    COURSE = "courses.course"
    STUDIO_ACTIVITY = "studios.activity"
    RECOGNITION = "credits.recognition"
    # A credential another platform issued, converted by the rule set.
    OUTSIDE = "credits.outside"


def course_completion_key(*, course_id: int, teacher_id: int) -> str:
    """One record per teacher and course, however often completion is checked."""
    return f"course-completion:{course_id}:{teacher_id}"


def studio_attendance_key(*, activity_id: int, teacher_id: int) -> str:
    """One record per teacher and studio activity."""
    return f"studio-activity:{activity_id}:{teacher_id}"


def recognition_key(*, request_id: int) -> str:
    """One record per approved recognition request."""
    return f"recognition:{request_id}"


def outside_content_hash(document: dict) -> str:
    """SHA-256 of a credential without its id and proof: the same achievement
    re-signed under another id has the same hash."""
    import hashlib
    import json

    body = {k: v for k, v in document.items() if k not in ("id", "proof")}
    text = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reversal_key(*, record_id: int) -> str:
    """One reversing record per record."""
    return f"reverse:{record_id}"
