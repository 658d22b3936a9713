"""The self-assessment report as an A4 PDF, with the same radar chart as the page."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table

from cms.shared.pdf import cjk_font, grid_table_style
from cms.shared.radar import radar_drawing


def report_pdf_render(
    *, report: dict, teacher_name: str, school_name: str, link_base: str = ""
) -> bytes:
    """`link_base` (the site's address) makes each recommendation a link."""
    font = cjk_font()
    styles = {
        "title": ParagraphStyle(
            "title", fontName=font, fontSize=18, leading=24, spaceAfter=6
        ),
        "h2": ParagraphStyle(
            "h2", fontName=font, fontSize=13, leading=18, spaceBefore=10, spaceAfter=4
        ),
        "body": ParagraphStyle("body", fontName=font, fontSize=9.5, leading=14),
        "small": ParagraphStyle(
            "small",
            fontName=font,
            fontSize=8,
            leading=11,
            textColor=colors.HexColor("#52606d"),
        ),
    }
    result = report["result"]
    story = [
        Paragraph("教师数字素养自我测评报告", styles["title"]),
        Paragraph(
            f"{teacher_name} · {school_name} · {result.term} 学期 · "
            f"提交于 {timezone.localtime(result.submitted_at):%Y-%m-%d}",
            styles["body"],
        ),
        Paragraph(
            f"总体水平：{report['overall_level_name']}（{result.overall_score} / 5）",
            styles["h2"],
        ),
    ]
    labels = [row["name"] for row in report["dimensions"]]
    series = [[row["score"] for row in report["dimensions"]]]
    if report["previous"]:
        series.append([row["previous"] or 0 for row in report["dimensions"]])
    chart = radar_drawing(labels=labels, series=series, font_name=font)
    dim_rows = [["维度", "得分", "水平", "较上次"]] + [
        [
            row["name"],
            f"{row['score']}",
            row["level_name"],
            "—" if row["delta"] is None else f"{row['delta']:+}",
        ]
        for row in report["dimensions"]
    ]
    dim_table = Table(dim_rows, colWidths=[46 * mm, 14 * mm, 14 * mm, 16 * mm])
    dim_table.setStyle(grid_table_style(font))
    story.append(Table([[chart, dim_table]], colWidths=[90 * mm, 92 * mm]))
    story.append(Paragraph("最需要提升的三个指标", styles["h2"]))
    for row in report["weakest"]:
        story.append(
            Paragraph(
                f"<b>{row['code']} {row['name']}</b>（{row['level_name']}）：下一水平“"
                f"{row['next_level_name'] or '—'}”——{row['next_descriptor'] or '已达最高水平'}",
                styles["body"],
            )
        )
    if report["recommendations"]:
        story.append(Paragraph("推荐学习", styles["h2"]))
        for resource in report["recommendations"]:
            url = resource.url
            if url.startswith("/"):
                url = link_base.rstrip("/") + url
            title = escape(resource.title)
            if url.startswith(("http://", "https://")):
                title = f'<a href="{escape(url)}" color="#1d4ed8">{title}</a>'
            story.append(
                Paragraph(
                    f"{escape(resource.kind_label)} · {title}"
                    + (f"（{escape(resource.provider)}）" if resource.provider else "")
                    + (
                        f"<br/>推荐理由：对应待提升的指标 {escape('、'.join(resource.reasons))}"
                        if resource.reasons
                        else ""
                    )
                    + (f"<br/>{escape(url)}" if url else ""),
                    styles["body"],
                )
            )
    story.append(Paragraph("各指标水平", styles["h2"]))
    rows = [["编号", "指标", "水平", "下一水平的样子"]]
    for row in report["indicators"]:
        rows.append(
            [
                row["code"],
                Paragraph(row["name"], styles["small"]),
                row["level_name"],
                Paragraph(row["next_descriptor"] or "已达最高水平", styles["small"]),
            ]
        )
    table = Table(rows, colWidths=[14 * mm, 58 * mm, 14 * mm, 96 * mm], repeatRows=1)
    table.setStyle(grid_table_style(font))
    story.append(table)
    story.append(Spacer(1, 6 * mm))
    story.append(
        Paragraph(
            f"依据 JY/T 0646—2022《教师数字素养》 · {report['instrument'].title} 第 "
            f"{report['instrument'].version} 版 · 自评结果仅反映本人对自身实践的判断。",
            styles["small"],
        )
    )
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=14 * mm,
        title="教师数字素养自我测评报告",
        author="教师数字素养平台",
    )
    doc.build(story, onFirstPage=_footer(font), onLaterPages=_footer(font))
    return buffer.getvalue()


def _footer(font: str):
    def draw(canvas, doc):
        canvas.saveState()
        canvas.setFont(font, 8)
        canvas.drawRightString(A4[0] - 14 * mm, 8 * mm, f"第 {doc.page} 页")
        canvas.restoreState()

    return draw
