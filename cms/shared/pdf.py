"""Shared PDF plumbing: a CJK TrueType font that reportlab embeds as a subset,
so Chinese text in every PDF (reports, transcripts) is searchable and copyable.

This module sits with the identity layer at the bottom of the import order:
any app may use it, and it imports no app."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

FONT_NAME = "PlatformCJK"
_registered = False


def cjk_font() -> str:
    """Register the configured CJK font once and return its reportlab name."""
    global _registered
    if _registered:
        return FONT_NAME
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for candidate in settings.PDF_CJK_FONT_PATHS:
        path = Path(candidate)
        if path.exists():
            kwargs = {"subfontIndex": 0} if path.suffix.lower() == ".ttc" else {}
            pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), **kwargs))
            _registered = True
            return FONT_NAME
    raise ImproperlyConfigured(
        "No CJK TrueType font found for PDFs; install Debian's fonts-wqy-zenhei "
        "(make install does) or set PDF_CJK_FONT to a .ttf/.ttc file."
    )


def grid_table_style(
    font: str, *, header: str = "#eef2f7", size: float = 8.5, valign="TOP"
):
    """The platform's table look: a shaded header row and a light grid."""
    from reportlab.lib import colors
    from reportlab.platypus import TableStyle

    return TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), font, size),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(header)),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#d9e2ec")),
            ("VALIGN", (0, 0), (-1, -1), valign),
        ]
    )


def qr_flowable(text: str, size: float):
    """A QR code (error correction M, a quiet zone of four modules inside
    `size`) drawn straight onto the page as one filled path: no shape objects
    per module, so a bulk export of thousands of transcripts stays quick."""
    import itertools

    import qrcode
    from reportlab.lib import colors
    from reportlab.platypus import Flowable

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    modules = code.modules
    border = 4

    class QrCode(Flowable):
        def wrap(self, available_width, available_height):
            self.width = self.height = size
            return size, size

        def draw(self):
            # In module units (one unit a module), the dark runs of each row
            # as rectangles of one path, filled once.
            count = len(modules)
            runs = []
            for r, row in enumerate(modules):
                y = count + border - r - 1
                c = border
                for dark, run in itertools.groupby(row):
                    width = len(list(run))
                    if dark:
                        runs.append(f"{c} {y} {width} 1 re")
                    c += width
            canvas = self.canv
            canvas.saveState()
            canvas.scale(size / (count + 2 * border), size / (count + 2 * border))
            canvas.setFillColor(colors.black)
            canvas.addLiteral("\n".join(runs) + "\nf")
            canvas.restoreState()

    return QrCode()
