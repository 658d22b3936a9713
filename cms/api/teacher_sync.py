"""Teacher batches through the API, applied exactly like an uploaded roster:
the same checks (cms.accounts.importing), the same all-or-nothing apply in one
transaction (cms.accounts.services), recorded as a TeacherImport."""

from __future__ import annotations

from dataclasses import dataclass, field

from cms.accounts import scoping
from cms.accounts.importing import roster_redact, roster_validate
from cms.accounts.models import TeacherImport
from cms.accounts.services import teacher_import_apply

BATCH_NAME = "接口批量写入"


@dataclass
class BatchResult:
    import_id: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict] = field(default_factory=list)


def _row(item: dict) -> dict[str, str]:
    """A JSON teacher as the roster reader would have read it from a file."""
    row = {}
    for key, value in item.items():
        if isinstance(value, list):
            value = "、".join(str(v).strip() for v in value if str(v).strip())
        value = str(value or "").strip()
        if value:
            row[key] = value
    return row


def teacher_batch_apply(*, user, items: list[dict]) -> BatchResult:
    """Check the batch against the caller's scope and apply it whole, or
    return the row errors (rows numbered from 1 in request order)."""
    rows = [(number, _row(item)) for number, item in enumerate(items, start=1)]
    check = roster_validate(rows=rows, schools=scoping.organisations_visible_to(user))
    if check.errors:
        return BatchResult(errors=check.errors)
    teacher_import = TeacherImport.objects.create(
        created_by=user,
        file_name=BATCH_NAME,
        status=TeacherImport.Status.QUEUED,
        rows=[dict(roster_redact(row), row=number) for number, row in rows],
        total_rows=len(rows),
    )
    # Applied now, in this request: the caller gets the outcome in its answer.
    # The apply re-checks every row under its transaction.
    done = teacher_import_apply(import_id=teacher_import.pk)
    if done.status != TeacherImport.Status.DONE:
        return BatchResult(import_id=done.pk, errors=list(done.errors))
    return BatchResult(
        import_id=done.pk,
        created=done.created_count,
        updated=done.updated_count,
        unchanged=done.unchanged_count,
    )
