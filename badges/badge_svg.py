"""Badge images as SVG: a seal for courses and training, a rosette with ribbons
for awards (competitions, studio honours). Text is escaped; nothing external
is referenced, so the image renders the same offline."""

from __future__ import annotations

import hashlib
import math
from xml.sax.saxutils import escape

PALETTE = [
    ("#1f5fa8", "#e8f1fb"),
    ("#2e7d4f", "#e6f4ea"),
    ("#8a4b08", "#fff4e5"),
    ("#6a3d9a", "#f1ebf8"),
    ("#b0243a", "#fde8e7"),
    ("#00695c", "#e0f2f1"),
]
AWARD_TYPES = {"Award", "ext:StudioAward", "ext:StudioActivity"}


def _lines(text: str, width: int, limit: int) -> list[str]:
    """Wrap CJK-heavy text by character count (CJK glyphs are square)."""
    out, current, size = [], "", 0
    for ch in text:
        w = 1 if ord(ch) < 0x2E80 else 2
        if size + w > width:
            out.append(current)
            current, size = "", 0
        current += ch
        size += w
    if current:
        out.append(current)
    if len(out) > limit:
        out = out[:limit]
        out[-1] = out[-1][:-1] + "…"
    return out


def badge_svg(*, name: str, achievement_type: str, hours=None, slug: str = "") -> str:
    index = int(hashlib.sha256(slug.encode()).hexdigest(), 16) % len(PALETTE)
    ink, paper = PALETTE[index]
    award = achievement_type in AWARD_TYPES
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="280" '
        f'viewBox="0 0 240 280" role="img" aria-label="{escape(name, {chr(34): "&quot;"})}">',
        f"<title>{escape(name)}</title>",
    ]
    if award:
        parts.append(
            f'<path d="M80 190 L60 270 L90 252 L104 276 L118 200 Z" fill="{ink}" opacity=".85"/>'
            f'<path d="M160 190 L180 270 L150 252 L136 276 L122 200 Z" fill="{ink}" opacity=".85"/>'
        )
        points = []
        for i in range(48):
            r = 112 if i % 2 == 0 else 100
            a = math.pi * 2 * i / 48
            points.append(f"{120 + r * math.sin(a):.1f},{120 - r * math.cos(a):.1f}")
        parts.append(f'<polygon points="{" ".join(points)}" fill="{ink}"/>')
    else:
        parts.append(f'<circle cx="120" cy="120" r="112" fill="{ink}"/>')
    parts.append(f'<circle cx="120" cy="120" r="94" fill="{paper}"/>')
    parts.append(
        f'<circle cx="120" cy="120" r="88" fill="none" stroke="{ink}" stroke-width="2" '
        'stroke-dasharray="4 3"/>'
    )
    font = "font-family=\"'Noto Sans CJK SC','WenQuanYi Zen Hei',sans-serif\""
    lines = _lines(name, 14, 3)
    top = 120 - (len(lines) - 1) * 12 - (8 if hours is not None else 0)
    for n, line in enumerate(lines):
        parts.append(
            f'<text x="120" y="{top + n * 24:.0f}" text-anchor="middle" {font} '
            f'font-size="18" font-weight="700" fill="{ink}">{escape(line)}</text>'
        )
    if hours is not None:
        parts.append(
            f'<text x="120" y="{top + len(lines) * 24 + 6:.0f}" text-anchor="middle" {font} '
            f'font-size="15" fill="{ink}">{escape(str(hours))} 学时</text>'
        )
    parts.append(
        f'<text x="120" y="196" text-anchor="middle" {font} font-size="11" fill="{ink}">'
        "教师数字素养 · 学分银行</text>"
    )
    parts.append("</svg>")
    return "".join(parts)
