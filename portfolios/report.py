"""The portrait report card (绿色成长报告) as one or two A4 pages."""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from cms.shared.pdf import cjk_font, grid_table_style
from cms.shared.radar import radar_drawing

GREEN = colors.HexColor("#2e7d4f")


def portrait_pdf_render(data: dict) -> bytes:
    font = cjk_font()
    style = {
        "title": ParagraphStyle(
            "t", fontName=font, fontSize=18, leading=24, textColor=GREEN
        ),
        "h2": ParagraphStyle(
            "h",
            fontName=font,
            fontSize=12.5,
            leading=17,
            spaceBefore=8,
            spaceAfter=3,
            textColor=GREEN,
        ),
        "body": ParagraphStyle("b", fontName=font, fontSize=9.5, leading=14),
        "small": ParagraphStyle(
            "s",
            fontName=font,
            fontSize=8,
            leading=11,
            textColor=colors.HexColor("#52606d"),
        ),
    }
    teacher = data["teacher"]
    portrait = data["portrait"]
    story = [
        Paragraph("教师数字素养成长报告", style["title"]),
        Paragraph(
            escape(
                f"{teacher.real_name} · {teacher.school.name} · 生成于 {timezone.localdate():%Y-%m-%d}"
            ),
            style["body"],
        ),
        Paragraph("五维画像", style["h2"]),
    ]
    rows = data.get("profile_rows") or []
    if portrait.self_dimensions:
        series = [[Decimal(r["self"] or 0) for r in rows]]
        if portrait.evidence_dimensions:
            series.append([Decimal(r["evidence"] or 0) for r in rows])
        chart = radar_drawing(
            labels=[r["name"] for r in rows], series=series, font_name=font
        )
        table = [["维度", "自评", "成果评价"]] + [
            [r["name"], r["self"] or "—", r["evidence"] or "—"] for r in rows
        ]
        story.append(
            Table(
                [
                    [
                        chart,
                        Table(
                            table,
                            style=grid_table_style(
                                font, header="#e6f4ea", size=9, valign="MIDDLE"
                            ),
                            colWidths=[42 * mm, 16 * mm, 20 * mm],
                        ),
                    ]
                ],
                colWidths=[90 * mm, 80 * mm],
            )
        )
        story.append(
            Paragraph(
                "实线为自评，虚线为成果评价（培训者、工作室主持人对成果的评价）。",
                style["small"],
            )
        )
    else:
        story.append(Paragraph("尚未完成自我测评。", style["body"]))

    credits = data.get("credits")
    if credits:
        story.append(Paragraph("学时学分", style["h2"]))
        story.append(
            Paragraph(
                escape(
                    f"{credits['first_year']}—{credits['last_year']} 周期已完成 {credits['total_hours']} / "
                    f"{credits['required']} 学时，{credits['total_credits']} 学分；"
                    + ("进度正常。" if credits["on_track"] else "进度落后。")
                ),
                style["body"],
            )
        )
        if credits["quotas"]:
            quota = [["类别", "已完成", "要求"]] + [
                [q["label"], str(q["hours"]), str(q["required"])]
                for q in credits["quotas"]
            ]
            story.append(
                Table(
                    quota,
                    style=grid_table_style(
                        font, header="#e6f4ea", size=9, valign="MIDDLE"
                    ),
                    colWidths=[50 * mm, 30 * mm, 30 * mm],
                )
            )

    highlights = []
    report = data.get("report")
    if report:
        strongest = sorted(
            report["indicators"], key=lambda r: (-r["score"], r["code"])
        )[:3]
        highlights += [
            f"优势指标：{r['code']} {r['name']}（{r['level_name']}）" for r in strongest
        ]
    if portrait.credentials:
        highlights.append(f"持有可验证学分证书 {portrait.credentials} 份")
    if portrait.evidence_reviews:
        highlights.append(f"成果获得评价 {portrait.evidence_reviews} 次")
    if highlights:
        story.append(Paragraph("亮点", style["h2"]))
        story += [Paragraph(escape("· " + h), style["body"]) for h in highlights]

    goals = data.get("goals") or []
    story.append(Paragraph("发展目标", style["h2"]))
    if goals:
        table = [["指标", "目标", "当前", "计划完成"]] + [
            [
                Paragraph(
                    escape(f"{g['goal'].indicator.code} {g['goal'].indicator.name}"),
                    style["body"],
                ),
                str(g["goal"].target_level),
                str(g["current"]),
                f"{g['goal'].due_on:%Y-%m-%d}",
            ]
            for g in goals
        ]
        story.append(
            Table(
                table,
                style=grid_table_style(font, header="#e6f4ea", size=9, valign="MIDDLE"),
                colWidths=[95 * mm, 18 * mm, 18 * mm, 28 * mm],
            )
        )
    else:
        story.append(Paragraph("尚未设定发展目标。", style["body"]))
    story.append(Spacer(1, 6 * mm))
    story.append(
        Paragraph(
            "本报告由教师数字素养平台生成，对标 JY/T 0646—2022《教师数字素养》。",
            style["small"],
        )
    )

    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title="教师数字素养成长报告",
        author=teacher.real_name,
    ).build(story)
    return buffer.getvalue()
