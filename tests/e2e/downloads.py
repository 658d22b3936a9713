"""Read what a browser journey downloaded, as the user would open it: a
PDF's text (pdftotext) and the QR code on its first page (pdftoppm and
zbarimg), a ZIP's members, a spreadsheet's rows."""

import io
import subprocess
import zipfile
from pathlib import Path

from openpyxl import load_workbook


def _pdf_file(data: bytes, folder: Path) -> Path:
    assert data.startswith(b"%PDF"), data[:40]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"download-{len(list(folder.iterdir()))}.pdf"
    path.write_bytes(data)
    return path


def pdf_text(data: bytes, folder: Path) -> str:
    path = _pdf_file(data, folder)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def pdf_qr(data: bytes, folder: Path) -> str:
    """The text of the QR code on the first page."""
    path = _pdf_file(data, folder)
    prefix = path.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(path), str(prefix)],
        check=True,
    )
    image = next(folder.glob(f"{prefix.name}*.png"))
    return subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(image)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def zip_members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def xlsx_rows(data: bytes) -> list[tuple]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    return [
        tuple("" if cell is None else cell for cell in row)
        for row in book.active.iter_rows(values_only=True)
    ]
