"""A teacher's credits and transcripts, and the public transcript verify page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from cms.accounts.guards import teacher_required
from cms.shared import pagecache
from cms.shared.ratelimit import limited_page

from . import selectors, services, transcripts
from .models import CreditCategory, LearningKind, Transcript
from .rules import RULES_VERSION

# Pages that exist only for teachers answer others with this.
NOT_A_TEACHER = gettext_lazy("只有教师有学分账户。")


@teacher_required(not_found=NOT_A_TEACHER)
def my_credits(request):
    teacher = request.teacher
    # Her cycle is a pure function of her records, the rules and the date:
    # kept rendered until any of them changes (cms/shared/pagecache.py).
    body = pagecache.fragment(
        ("my_credits", teacher.pk),
        [*pagecache.teacher_pages_dependencies(teacher), RULES_VERSION],
        lambda: render_to_string(
            "credits/_my_credits_body.html", {"p": _my_progress(teacher)}
        ),
    )
    return render(
        request,
        "credits/my_credits.html",
        {"teacher": teacher, "body": mark_safe(body)},  # noqa: S308
    )


def _my_progress(teacher) -> dict:
    progress = selectors.cycle_progress(teacher=teacher)
    origins = selectors.record_origins(progress["records"])
    for record in progress["records"]:
        record.origin = origins.get(record.reverses_id or record.pk, "")
    # The rows' labels from one translated table each, not a choices look-up
    # (and a translation) per cell.
    kinds = {k: str(v) for k, v in LearningKind.choices}
    categories = {k: str(v) for k, v in CreditCategory.choices}
    for record in progress["records"]:
        record.kind_label = kinds.get(record.kind, record.kind)
        record.category_label = categories.get(record.category, record.category)
    return progress


@teacher_required(not_found=NOT_A_TEACHER)
def my_transcript(request, fmt: str):
    teacher = request.teacher
    transcript, progress = services.transcript_issue(
        teacher=teacher, issued_by=request.user
    )
    name = f"transcript-{teacher.staff_number}-{transcript.cycle_start}-{transcript.cycle_end}"
    if fmt == "pdf":
        body = transcripts.transcript_pdf_render(
            transcript=transcript, progress=progress
        )
        response = HttpResponse(body, content_type="application/pdf")
    elif fmt == "xlsx":
        body = transcripts.transcript_xlsx(transcript=transcript, progress=progress)
        response = HttpResponse(
            body,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    elif fmt == "csv":
        response = HttpResponse(
            transcripts.transcript_csv(progress=progress),
            content_type="text/csv; charset=utf-8",
        )
    else:
        response = HttpResponse(
            transcripts.transcript_json(transcript=transcript, progress=progress),
            content_type="application/json; charset=utf-8",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@limited_page(
    "transcript_lookup", methods=("GET",), when=lambda r: bool(r.GET.get("code"))
)
def transcript_lookup(request):
    code = request.GET.get("code", "").strip().upper()
    context = {"code": code}
    if code:
        if Transcript.objects.filter(code=code).exists():
            return redirect("transcript_verify", code=code)
        context["not_found"] = True
    return render(request, "credits/transcript_lookup.html", context)
