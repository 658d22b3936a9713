"""Small charts drawn on the server as SVG: nothing to install, nothing fetched
from a CDN, the same in every browser and readable without JavaScript.

Every chart is an `<svg role="img">` with a `<title>` and a `<desc>`; the
templates put the same numbers in a table next to it (in a `<details>`), so
screen-reader users and people who prefer reading get the figures too."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from django.utils.translation import gettext as _


def text_width(text: str, font_size: float) -> float:
    """Wide enough for CJK (one em a character) and Latin (about 0.6 em)."""
    return sum(font_size if ord(ch) > 0x2E80 else font_size * 0.6 for ch in text)


INK = "#1f2933"
MUTED = "#52606d"
GRID = "#d9e2ec"
# Five levels, light to dark, distinguishable in greyscale and for the usual
# colour-vision deficiencies (one hue, rising darkness).
LEVEL_COLOURS = ["#dbeafe", "#93c5fd", "#3b82f6", "#1d4ed8", "#1e3a8a"]
LEVEL_TEXT = ["#1f2933", "#1f2933", "#ffffff", "#ffffff", "#ffffff"]
BAR = "#0b5cad"
TARGET = "#a35c00"
FONT = 12


def _open(width: float, height: float, element_id: str, title: str, desc: str):
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'class="chart" role="img" aria-labelledby="{element_id}-t {element_id}-d" '
        f'id="{element_id}" font-size="{FONT}">',
        f'<title id="{element_id}-t">{escape(title)}</title>',
        f'<desc id="{element_id}-d">{escape(desc)}</desc>',
    ]


def _label_width(labels: Sequence[str]) -> float:
    return max((text_width(str(label), FONT) for label in labels), default=40) + 12


def stacked_levels_svg(
    *,
    rows: Sequence[tuple[str, Sequence[int]]],
    level_names: Sequence[str],
    title: str,
    desc: str,
    element_id: str,
    width: int = 440,
) -> str:
    """One 100 % bar per row (a dimension), split by level, with a legend."""
    label_w = _label_width([r[0] for r in rows])
    bar_w = max(120.0, width - label_w - 8)
    row_h, legend_h = 26, 26
    height = legend_h + row_h * len(rows) + 4
    parts = _open(label_w + bar_w + 8, height, element_id, title, desc)
    x = label_w
    for index, name in enumerate(level_names):
        colour = LEVEL_COLOURS[index % len(LEVEL_COLOURS)]
        parts.append(
            f'<rect x="{x:.1f}" y="4" width="12" height="12" fill="{colour}" '
            f'stroke="{MUTED}" stroke-width="0.5"/>'
            f'<text x="{x + 16:.1f}" y="14" fill="{INK}">{escape(str(name))}</text>'
        )
        x += 16 + text_width(str(name), FONT) + 14
    for r, (label, counts) in enumerate(rows):
        y = legend_h + r * row_h
        total = sum(counts) or 1
        parts.append(
            f'<text x="{label_w - 8:.1f}" y="{y + 15}" text-anchor="end" '
            f'fill="{INK}">{escape(str(label))}</text>'
        )
        x = label_w
        for index, count in enumerate(counts):
            if not count:
                continue
            w = bar_w * count / total
            share = round(count * 100 / total)
            parts.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" '
                f'fill="{LEVEL_COLOURS[index % 5]}"><title>{escape(str(level_names[index]))}'
                f"：{count}（{share}%）</title></rect>"
            )
            if w > 34:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 15}" text-anchor="middle" '
                    f'fill="{LEVEL_TEXT[index % 5]}">{share}%</text>'
                )
            x += w
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(
    *,
    rows: Sequence[tuple[str, float]],
    title: str,
    desc: str,
    element_id: str,
    maximum: float | None = None,
    unit: str = "",
    target: float | None = None,
    target_label: str = "",
    width: int = 440,
) -> str:
    """Horizontal bars with their value at the end; an optional target line."""
    label_w = _label_width([r[0] for r in rows])
    values = [float(v or 0) for _label, v in rows]
    top = max([maximum or 0, target or 0, *values, 1])
    value_w = text_width(f"{top:.1f}{unit}", FONT) + 10
    bar_w = max(120.0, width - label_w - value_w)
    row_h = 26
    extra = 18 if target is not None else 0
    height = row_h * len(rows) + 4 + extra
    parts = _open(label_w + bar_w + value_w, height, element_id, title, desc)
    for r, ((label, _v), value) in enumerate(zip(rows, values, strict=True)):
        y = r * row_h + extra
        w = bar_w * value / top
        shown = f"{value:g}" if value == int(value) else f"{value:.1f}"
        parts.append(
            f'<text x="{label_w - 8:.1f}" y="{y + 15}" text-anchor="end" '
            f'fill="{INK}">{escape(str(label))}</text>'
            f'<rect x="{label_w:.1f}" y="{y + 4}" width="{bar_w:.1f}" height="{row_h - 10}" '
            f'fill="#f1f5f9"/>'
            f'<rect x="{label_w:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 10}" '
            f'fill="{BAR}"/>'
            f'<text x="{label_w + w + 4:.1f}" y="{y + 15}" fill="{INK}">'
            f"{escape(shown)}{escape(unit)}</text>"
        )
    if target is not None:
        tx = label_w + bar_w * target / top
        parts.append(
            f'<line x1="{tx:.1f}" y1="{extra - 2}" x2="{tx:.1f}" y2="{height}" '
            f'stroke="{TARGET}" stroke-width="2" stroke-dasharray="4 3"/>'
            f'<text x="{tx:.1f}" y="12" text-anchor="middle" fill="{TARGET}">'
            f"{escape(target_label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def line_svg(
    *,
    points: Sequence[tuple[str, float]],
    title: str,
    desc: str,
    element_id: str,
    y_max: float = 5,
    width: int = 440,
    height: int = 220,
) -> str:
    """A line across terms, each point labelled with its value."""
    left, right, top, bottom = 36, 16, 16, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = _open(width, height, element_id, title, desc)
    for tick in range(int(y_max) + 1):
        y = top + plot_h * (1 - tick / y_max)
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{tick}</text>'
        )
    count = len(points)
    coords = []
    for i, (label, value) in enumerate(points):
        x = left + (plot_w * (i + 0.5) / count)
        y = top + plot_h * (1 - float(value or 0) / y_max)
        coords.append((x, y))
        parts.append(
            f'<text x="{x:.1f}" y="{height - 12}" text-anchor="middle" '
            f'fill="{INK}">{escape(str(label))}</text>'
        )
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(
            f'<polyline points="{path}" fill="none" stroke="{BAR}" stroke-width="2.5"/>'
        )
    for (x, y), (_label, value) in zip(coords, points, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{BAR}"/>'
            f'<text x="{x:.1f}" y="{y - 9:.1f}" text-anchor="middle" fill="{INK}">'
            f"{float(value or 0):.2f}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def level_chart(distribution, *, level_names: list[str], element_id: str) -> str:
    """Level distribution per dimension, from `level_distribution`; the level
    names come from the instrument in use (`training.selectors.level_names`)."""
    if not distribution or distribution["hidden"] or not distribution["table"]:
        return ""
    names = level_names or [str(n) for n in range(1, 6)]
    return stacked_levels_svg(
        rows=[(row["name"], row["levels"]) for row in distribution["table"]],
        level_names=names,
        title=_("各维度自我测评水平分布"),
        desc=_("%(n)s 位教师最近一次测评在五个维度上各水平的人数占比。")
        % {"n": distribution["total"]},
        element_id=element_id,
    )
