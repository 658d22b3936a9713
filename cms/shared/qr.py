"""QR codes as inline SVG, for check-in screens."""

import io

import qrcode
import qrcode.image.svg


def qr_svg(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()
