"""Teacher administration for HR and platform admins: list, detail, export, import.

Every view takes its teachers from `scoping.teachers_visible_to`; a teacher
outside the caller's scope is a 404, exactly like one that does not exist."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cms.shared import pagecache
from cms.shared.exports import XLSX_TYPE, table_response
from cms.shared.html import options_html

from . import scopecache, scoping, selectors, services
from .forms import RosterUploadForm, TeacherFilterForm
from .importing import RosterError, accepted_labels
from .models import (
    CareerStage,
    GradeBand,
    ProfessionalTitle,
    Subject,
    TeacherImport,
)

EXPORT_COLUMNS = [
    "姓名",
    "工号",
    "学校",
    "邮箱",
    "任教学科",
    "任教学段",
    "职称",
    "发展阶段",
]


def _require_admin(user) -> None:
    if not scoping.can_administer_teachers(user):
        raise PermissionDenied


def _filtered_teachers(request):
    form = TeacherFilterForm(
        request.GET or None, schools=selectors.school_choices(request.user)
    )
    if form.is_bound and not form.is_valid():
        # A school outside the caller's scope is not a choice: show nobody
        # rather than silently dropping the filter.
        return form, selectors.teacher_list(user=request.user).none()
    query = form.cleaned_data["q"] if form.is_bound else ""
    school_id = form.cleaned_data["school"] if form.is_bound else None
    return form, selectors.teacher_list(
        user=request.user, query=query, school_id=school_id
    )


def _canonical_school(value: str) -> int | None:
    """The school filter's id if `value` is how the select sends one ("" for
    none: 0), else None (such a value is validated by the form, uncached)."""
    if value == "":
        return 0
    try:
        number = int(value)
    except ValueError:
        return None
    return number if str(number) == value and number > 0 else None


def _teacher_list_body(form, page, querystring: str) -> str:
    # The school filter's options as plain tuples: a city has hundreds of
    # schools, and the form widget renders a template per option.
    chosen = str(form["school"].value() or "")
    return render_to_string(
        "accounts/_teacher_list_body.html",
        {
            "form": form,
            "school_options": options_html(form.fields["school"].choices, chosen),
            "page": page,
            "querystring": querystring,
            "list_sep": _("、"),
        },
    )


def _teacher_list_kept(request, school: int, number: int) -> str:
    """The unfiltered or school-filtered list: the list's order over a city's
    20,000 teachers (a sort of them all, and a count) kept per user, scope
    and school, and the page rendered from it."""
    data = {"q": "", "school": str(school)} if school else None
    form = TeacherFilterForm(data, schools=selectors.school_choices(request.user))
    if form.is_bound and not form.is_valid():
        # A school outside the caller's scope is not a choice: show nobody
        # rather than silently dropping the filter.
        teachers = selectors.teacher_list(user=request.user).none()
        page = Paginator(teachers, 50).get_page(number)
    else:
        teachers = selectors.teacher_list(user=request.user, school_id=school or None)
        ids = scopecache.cached_order(
            f"teacher-list:{scopecache.scope_key(request.user)}:{school or ''}",
            scopecache.teacher_dependencies(),
            teachers,
        )
        page = scopecache.page_of(ids, teachers, number)
    querystring = f"school={school}" if school else ""
    return _teacher_list_body(form, page, querystring)


@login_required
def teacher_list(request):
    """The unfiltered and school-filtered pages are kept rendered per user and
    scope, school, page and language until a teacher or an organisation
    changes (`scopecache.TEACHERS`: names, schools, subjects and titles shown,
    the school choices); searches are run afresh (they match e-mail
    addresses, which that does not track). Authorising runs on every request."""
    _require_admin(request.user)
    school = _canonical_school(request.GET.get("school", ""))
    if request.GET.get("q", "") == "" and school is not None:
        number = scopecache.page_number(request.GET.get("page"))
        body = pagecache.fragment(
            (
                "teacher_list",
                get_script_prefix(),
                scopecache.scope_key(request.user),
                school,
                number,
            ),
            scopecache.teacher_dependencies(),
            lambda: _teacher_list_kept(request, school, number),
        )
    else:
        form, teachers = _filtered_teachers(request)
        page = Paginator(teachers, 50).get_page(request.GET.get("page"))
        params = request.GET.copy()
        params.pop("page", None)
        body = _teacher_list_body(form, page, params.urlencode())
    return render(
        request,
        "accounts/teacher_list.html",
        {"body": mark_safe(body)},  # noqa: S308  (a rendered template)
    )


@login_required
def teacher_detail(request, pk: int):
    teacher = get_object_or_404(
        scoping.teachers_visible_to(request.user).select_related("school", "user"),
        pk=pk,
    )
    return render(request, "accounts/teacher_detail.html", {"teacher": teacher})


def _export_rows(teachers):
    for t in teachers.select_related("user").iterator(chunk_size=2000):
        yield [
            t.real_name,
            t.staff_number,
            t.school.name,
            t.user.email,
            "、".join(t.subjects),
            "、".join(t.grade_bands),
            t.professional_title,
            t.career_stage,
        ]


@login_required
def teacher_export(request, fmt: str):
    _require_admin(request.user)
    _, teachers = _filtered_teachers(request)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return table_response(
        header=EXPORT_COLUMNS,
        rows=_export_rows(teachers),
        fmt=fmt,
        filename=f"teachers-{stamp}",
        sheet="教师",
    )


@login_required
def teacher_import_upload(request):
    _require_admin(request.user)
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            teacher_import = services.teacher_import_create(
                user=request.user, name=upload.name, data=upload.read()
            )
        except RosterError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("teacher_import_detail", pk=teacher_import.pk)
    recent = TeacherImport.objects.filter(created_by=request.user).defer(
        "rows", "errors", "upload"
    )[:10]
    return render(
        request,
        "accounts/teacher_import_upload.html",
        {"form": form, "recent": recent, "accepted": _accepted_value_rows()},
    )


def _own_import(request, pk: int) -> TeacherImport:
    _require_admin(request.user)
    return get_object_or_404(
        TeacherImport.objects.defer("upload"), pk=pk, created_by=request.user
    )


@login_required
def teacher_import_detail(request, pk: int):
    teacher_import = _own_import(request, pk)
    preview = Paginator(teacher_import.rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "accounts/teacher_import_detail.html",
        {
            "imp": teacher_import,
            "preview": preview,
            "progress": services.teacher_import_progress(teacher_import=teacher_import),
        },
    )


@login_required
@require_POST
def teacher_import_confirm(request, pk: int):
    teacher_import = _own_import(request, pk)
    if teacher_import.status != TeacherImport.Status.PREVIEW:
        messages.error(request, _("该名单不能再次导入。"))
    else:
        teacher_import = services.teacher_import_confirm(teacher_import=teacher_import)
        if teacher_import.status == TeacherImport.Status.FAILED:
            messages.error(request, teacher_import.error)
        else:
            messages.info(request, _("已开始导入，请稍候。"))
    return redirect("teacher_import_detail", pk=pk)


@login_required
@require_POST
def teacher_import_retry(request, pk: int):
    from cms.shared import jobs

    teacher_import = _own_import(request, pk)
    if jobs.job_retry(jobs.IMPORT, teacher_import):
        teacher_import.refresh_from_db()
        if teacher_import.status == TeacherImport.Status.FAILED:
            messages.error(request, teacher_import.error)
        else:
            messages.info(request, _("已重新开始导入；已导入的教师不会重复。"))
    else:
        messages.error(request, _("该导入没有失败，无需重试。"))
    return redirect("teacher_import_detail", pk=pk)


@login_required
def teacher_import_status(request, pk: int):
    teacher_import = _own_import(request, pk)
    return JsonResponse(
        {
            "status": teacher_import.status,
            "status_label": teacher_import.get_status_display(),
            "total": teacher_import.total_rows,
            "processed": services.teacher_import_progress(
                teacher_import=teacher_import
            ),
            "created": teacher_import.created_count,
            "updated": teacher_import.updated_count,
            "unchanged": teacher_import.unchanged_count,
        }
    )


TEMPLATE_HEADER = [
    "姓名",
    "工号",
    "学校",
    "邮箱",
    "任教学科",
    "任教学段",
    "职称",
    "发展阶段",
    "身份证号",
]
TEMPLATE_EXAMPLE = [
    "张老师",
    "T0001",
    "示例学校",
    "zhang@example.com",
    "数学、信息科技",
    "初中",
    "一级教师",
    "骨干教师",
    "",
]


def _accepted_value_rows() -> list[list[str]]:
    """One line per column with a fixed list: what the import accepts."""
    return [
        [_("任教学科"), accepted_labels(Subject), _("可填多个，用顿号分隔")],
        [_("任教学段"), accepted_labels(GradeBand), _("可填多个，用顿号分隔")],
        [_("职称"), accepted_labels(ProfessionalTitle), _("留空为 未定级")],
        [_("发展阶段"), accepted_labels(CareerStage), _("留空为 成长期教师")],
        [_("学校"), _("学校全称或机构代码"), _("必填")],
        [_("身份证号"), _("18 位，只保存加密摘要"), _("可留空")],
    ]


def roster_template(request):
    """An example roster with the accepted headers, for HR to fill in (CSV)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(TEMPLATE_HEADER)
    writer.writerow(TEMPLATE_EXAMPLE)
    response = HttpResponse(
        "\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        'attachment; filename="teacher-roster-template.csv"'
    )
    return response


def roster_template_xlsx(request):
    """The roster template as XLSX: the roster on the first sheet (the one the
    import reads) and every accepted value on a second sheet."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = _("教师名单")
    sheet.append(TEMPLATE_HEADER)
    sheet.append(TEMPLATE_EXAMPLE)
    values = book.create_sheet(_("可填写的值"))
    values.append([_("列"), _("可填写的值"), _("说明")])
    for row in _accepted_value_rows():
        values.append([str(cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        'attachment; filename="teacher-roster-template.xlsx"'
    )
    return response
