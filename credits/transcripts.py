"""Transcripts (继续教育学时证明) as PDF, XLSX, CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from xml.sax.saxutils import escape

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cms.shared.pdf import cjk_font, qr_flowable

COLUMNS = ["序号", "获得日期", "学习内容", "学习类型", "类别", "学时", "学分", "备注"]


def verify_url(transcript) -> str:
    return settings.SITE_BASE_URL.rstrip("/") + reverse(
        "transcript_verify", args=[transcript.code]
    )


def _labels(choices) -> dict[str, str]:
    """A choices class's labels in the active language, translated once per
    transcript rather than once per row (as get_FOO_display would)."""
    return {value: str(label) for value, label in choices.choices}


def _rows(progress):
    from .models import CreditCategory, LearningKind

    kinds, categories = _labels(LearningKind), _labels(CreditCategory)
    for n, r in enumerate(progress["records"], start=1):
        yield [
            n,
            r.earned_on.isoformat(),
            r.source_title,
            kinds.get(r.kind, r.kind),
            categories.get(r.category, r.category),
            f"{r.hours}",
            f"{r.credits}",
            r.note,
        ]


def transcript_pdf_render(*, transcript, progress) -> bytes:
    font = cjk_font()
    teacher = transcript.teacher
    style = ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=11)
    title = ParagraphStyle("title", fontName=font, fontSize=17, leading=24, alignment=1)
    url = verify_url(transcript)
    head = Table(
        [
            [
                [
                    Paragraph("中小学教师继续教育学时证明", title),
                    Spacer(1, 3 * mm),
                    Paragraph(
                        f"姓名：{escape(teacher.real_name)}　　"
                        f"工号：{escape(teacher.staff_number)}<br/>"
                        f"单位：{escape(teacher.school.name)}<br/>"
                        f"周期：{transcript.cycle_start}—{transcript.cycle_end} 年"
                        f"（要求 {progress['required']} 学时）<br/>"
                        f"合计：{transcript.total_hours} 学时，{transcript.total_credits} 学分，"
                        f"共 {transcript.record_count} 条记录",
                        style,
                    ),
                ],
                [
                    qr_flowable(url, 28 * mm),
                    Paragraph(f"验证码 {transcript.code}", small),
                ],
            ]
        ],
        colWidths=[148 * mm, 34 * mm],
    )
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story = [head, Spacer(1, 4 * mm)]

    widths = [10 * mm, 20 * mm, 58 * mm, 24 * mm, 20 * mm, 13 * mm, 13 * mm, 24 * mm]

    def cell(text: str, column: int):
        # Paragraphs wrap but cost time: text that fits its column on one line
        # (after the cell's 6 pt left padding, and 2 pt to spare) goes in as a
        # plain string.
        if stringWidth(text, font, 8) <= widths[column] - 8:
            return text
        return Paragraph(escape(text), small)

    data = [COLUMNS] + [
        [n, d, cell(title_, 2), cell(k, 3), cell(c, 4), h, cr, cell(note, 7)]
        for n, d, title_, k, c, h, cr, note in _rows(progress)
    ]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), font, 8),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f7")),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#d9e2ec")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    story.append(Spacer(1, 4 * mm))
    totals = (
        "；".join(f"{c['label']} {c['hours']} 学时" for c in progress["categories"])
        or "无"
    )
    story.append(Paragraph(f"分类合计：{totals}", style))
    story.append(
        Paragraph(
            f"出具单位：{escape(settings.WAGTAIL_SITE_NAME)}　出具时间："
            f"{timezone.localtime(transcript.issued_at):%Y-%m-%d %H:%M}",
            style,
        )
    )
    story.append(
        Paragraph(
            f"扫描二维码或访问 {escape(url)} 输入验证码，可核验本证明与学分银行账本是否一致。",
            small,
        )
    )
    buffer = io.BytesIO()

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawString(
            14 * mm, 8 * mm, f"{teacher.real_name} · 验证码 {transcript.code}"
        )
        canvas.drawRightString(A4[0] - 14 * mm, 8 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title="继续教育学时证明",
        author=settings.WAGTAIL_SITE_NAME,
    ).build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def transcript_csv(*, progress) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(_rows(progress))
    return "\ufeff" + out.getvalue()


def transcript_xlsx(*, transcript, progress) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("学时明细")
    sheet.append(
        [
            f"{transcript.teacher.real_name}（{transcript.teacher.staff_number}）",
            transcript.teacher.school.name,
            f"{transcript.cycle_start}—{transcript.cycle_end}",
            f"验证码 {transcript.code}",
        ]
    )
    sheet.append(COLUMNS)
    for row in _rows(progress):
        sheet.append(row)
    sheet.append(
        [
            "合计",
            "",
            "",
            "",
            "",
            f"{transcript.total_hours}",
            f"{transcript.total_credits}",
        ]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def transcript_json(*, transcript, progress) -> str:
    """A plain JSON transcript; the credentials issue signs it as a CLR 2.0."""
    return json.dumps(
        {
            "type": "CreditTranscript",
            "code": transcript.code,
            "verify": verify_url(transcript),
            "teacher": {
                "name": transcript.teacher.real_name,
                "staffNumber": transcript.teacher.staff_number,
                "school": transcript.teacher.school.name,
            },
            "cycle": {
                "from": transcript.cycle_start,
                "to": transcript.cycle_end,
                "requiredHours": str(progress["required"]),
            },
            "totals": {
                "hours": str(transcript.total_hours),
                "credits": str(transcript.total_credits),
            },
            "records": [
                {
                    "seq": r.seq,
                    "earnedOn": r.earned_on.isoformat(),
                    "title": r.source_title,
                    "kind": r.kind,
                    "category": r.category,
                    "hours": str(r.hours),
                    "credits": str(r.credits),
                    "hash": r.hash,
                }
                for r in progress["records"]
            ],
            "issuedAt": transcript.issued_at.isoformat(),
        },
        ensure_ascii=False,
        indent=2,
    )
