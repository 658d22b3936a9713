"""A radar chart of the five dimensions, drawn on the server.

`radar_geometry` computes the shapes once; `radar_svg` renders them for the page
and `radar_drawing` for reportlab, so the report and its PDF show one chart."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from html import escape

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


def radar_svg(
    *,
    labels: list[str],
    series: list[list],
    title: str,
    series_names: list[str] | None = None,
) -> str:
    g = radar_geometry(labels=labels, series=series)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {g.size} {g.size}" '
        f'role="img" aria-labelledby="radar-title" class="radar">',
        f'<title id="radar-title">{escape(title)}</title>',
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
        parts.append(
            f'<text x="{x}" y="{y}" text-anchor="{anchor}" dominant-baseline="middle" '
            f'font-size="12" fill="#1f2933">{escape(text)}</text>'
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

    def flip(points):
        return [coord for x, y in points for coord in (x, size - y)]

    drawing = Drawing(size, size)
    grey = colors.HexColor("#d9e2ec")
    for ring in g.rings:
        drawing.add(Polygon(flip(ring), strokeColor=grey, fillColor=None))
    for x, y in g.spokes:
        drawing.add(Line(g.centre, size - g.centre, x, size - y, strokeColor=grey))
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
        drawing.add(
            String(
                x,
                size - y - 3,
                text,
                fontName=font_name,
                fontSize=8,
                textAnchor=anchors[anchor],
            )
        )
    return drawing
