"""A radar chart of the five dimensions, drawn on the server.

`radar_geometry` computes the shapes once; `radar_svg` renders them for the page
and `radar_drawing` for reportlab, so the report and its PDF show one chart."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from html import escape

from cms.shared.charts import text_width

SCALE_MAX = 5


@dataclass
class RadarGeometry:
    size: int
    centre: float
    radius: float
    rings: list[list[tuple[float, float]]]
    spokes: list[tuple[float, float]]
    labels: list[tuple[float, float, str, str]]  # x, y, text, anchor
    series: list[list[tuple[float, float]]]


LABEL_FONT = 12


def label_lines(text: str, per_line: int = 6) -> list[str]:
    """A dimension name in at most two short lines ("数字技术知识" /
    "与技能"); Latin text breaks at spaces."""
    text = str(text)
    if " " in text:
        words, lines, line = text.split(), [], ""
        for word in words:
            if line and len(line) + 1 + len(word) > per_line * 2:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
        return lines[:2] if len(lines) <= 2 else [lines[0], " ".join(lines[1:])]
    if len(text) <= per_line:
        return [text]
    half = (len(text) + 1) // 2
    return [text[:half], text[half:]]


def _point(centre: float, radius: float, index: int, count: int, value: float):
    angle = -math.pi / 2 + 2 * math.pi * index / count
    r = radius * value / SCALE_MAX
    return (
        round(centre + r * math.cos(angle), 2),
        round(centre + r * math.sin(angle), 2),
    )


def radar_geometry(
    *, labels: list[str], series: list[list[Decimal | float]], size: int = 320
) -> RadarGeometry:
    count = len(labels)
    centre = size / 2
    radius = size * 0.32
    rings = [
        [_point(centre, radius, i, count, level) for i in range(count)]
        for level in range(1, SCALE_MAX + 1)
    ]
    spokes = [_point(centre, radius, i, count, SCALE_MAX) for i in range(count)]
    placed = []
    for i, text in enumerate(labels):
        x, y = _point(centre, radius * 1.2, i, count, SCALE_MAX)
        anchor = "middle" if abs(x - centre) < 1 else ("start" if x > centre else "end")
        placed.append((x, y, text, anchor))
    shapes = [
        [
            _point(centre, radius, i, count, float(value))
            for i, value in enumerate(values)
        ]
        for values in series
    ]
    return RadarGeometry(size, centre, radius, rings, spokes, placed, shapes)


def _points_attr(points) -> str:
    return " ".join(f"{x},{y}" for x, y in points)


SERIES_STYLES = [
    ("#0b5cad", "0.25"),  # the latest result
    ("#a35c00", "0.08"),  # an earlier result, for comparison
]


def _margins(g: RadarGeometry, font_size: float) -> tuple[float, float]:
    """How far labels reach beyond the square: (left/right, top/bottom)."""
    reach_x = reach_y = 4.0
    for x, y, text, anchor in g.labels:
        lines = label_lines(text)
        width = max(text_width(line, font_size) for line in lines)
        if anchor == "start":
            reach_x = max(reach_x, x + width - g.size)
        elif anchor == "end":
            reach_x = max(reach_x, width - x)
        else:
            reach_x = max(reach_x, width / 2 - x, x + width / 2 - g.size)
        height = font_size * 1.2 * len(lines)
        reach_y = max(reach_y, height / 2 - y, y + height / 2 - g.size)
    return reach_x + 6, reach_y + 6


def radar_svg(
    *,
    labels: list[str],
    series: list[list],
    title: str,
    series_names: list[str] | None = None,
    element_id: str = "radar-title",
) -> str:
    """Labels are wrapped and the viewBox widened so that none is clipped,
    on a phone or a desktop."""
    g = radar_geometry(labels=labels, series=series)
    mx, my = _margins(g, LABEL_FONT)
    width, height = g.size + 2 * mx, g.size + 2 * my
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="{-mx:.1f} {-my:.1f} {width:.1f} {height:.1f}" '
        f'role="img" aria-labelledby="{element_id}" class="radar">',
        f'<title id="{element_id}">{escape(title)}</title>',
    ]
    for ring in g.rings:
        parts.append(
            f'<polygon points="{_points_attr(ring)}" fill="none" stroke="#d9e2ec" />'
        )
    for x, y in g.spokes:
        parts.append(
            f'<line x1="{g.centre}" y1="{g.centre}" x2="{x}" y2="{y}" stroke="#d9e2ec" />'
        )
    for index, shape in reversed(list(enumerate(g.series))):
        colour, opacity = SERIES_STYLES[min(index, len(SERIES_STYLES) - 1)]
        dash = ' stroke-dasharray="4 3"' if index else ""
        name = escape(series_names[index]) if series_names else ""
        parts.append(
            f'<polygon points="{_points_attr(shape)}" fill="{colour}" fill-opacity="{opacity}" '
            f'stroke="{colour}" stroke-width="2"{dash}><title>{name}</title></polygon>'
        )
    for x, y, text, anchor in g.labels:
        lines = label_lines(text)
        first = y - LABEL_FONT * 1.2 * (len(lines) - 1) / 2
        spans = "".join(
            f'<tspan x="{x}" y="{first + LABEL_FONT * 1.2 * n:.1f}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        parts.append(
            f'<text text-anchor="{anchor}" dominant-baseline="middle" '
            f'font-size="{LABEL_FONT}" fill="#1f2933">{spans}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def radar_drawing(
    *, labels: list[str], series: list[list], font_name: str, size: int = 240
):
    """The same chart as a reportlab Drawing (y axis flipped for PDF)."""
    from reportlab.graphics.shapes import Drawing, Line, Polygon, String
    from reportlab.lib import colors

    g = radar_geometry(labels=labels, series=series, size=size)
    font_size = 8
    mx, my = _margins(g, font_size)

    def flip(points):
        return [coord for x, y in points for coord in (x + mx, size + my - y)]

    drawing = Drawing(size + 2 * mx, size + 2 * my)
    grey = colors.HexColor("#d9e2ec")
    for ring in g.rings:
        drawing.add(Polygon(flip(ring), strokeColor=grey, fillColor=None))
    for x, y in g.spokes:
        drawing.add(
            Line(
                g.centre + mx,
                size + my - g.centre,
                x + mx,
                size + my - y,
                strokeColor=grey,
            )
        )
    for index, shape in reversed(list(enumerate(g.series))):
        colour, opacity = SERIES_STYLES[min(index, len(SERIES_STYLES) - 1)]
        fill = colors.HexColor(colour)
        fill.alpha = float(opacity)
        drawing.add(
            Polygon(
                flip(shape),
                strokeColor=colors.HexColor(colour),
                strokeWidth=1.5,
                fillColor=fill,
                strokeDashArray=[3, 2] if index else None,
            )
        )
    anchors = {"start": "start", "end": "end", "middle": "middle"}
    for x, y, text, anchor in g.labels:
        lines = label_lines(text)
        first = y - font_size * 1.2 * (len(lines) - 1) / 2
        for n, line in enumerate(lines):
            drawing.add(
                String(
                    x + mx,
                    size + my - (first + font_size * 1.2 * n) - 3,
                    line,
                    fontName=font_name,
                    fontSize=font_size,
                    textAnchor=anchors[anchor],
                )
            )
    return drawing
