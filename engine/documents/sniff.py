"""What a file is, from its bytes (never its name): PDF, JPEG or PNG; and how many pages it has."""
from __future__ import annotations

from pathlib import Path

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
ALLOWED = (PDF, JPEG, PNG)
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}


class Unsupported(Exception):
    """Not one of the allowed types."""


class Unreadable(Exception):
    """Of an allowed type by its first bytes, but it cannot be read (a broken PDF)."""


def media_type(head: bytes) -> str:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    raise Unsupported("the file is not a PDF, JPEG or PNG (its content says so, whatever its name)")


def pdf_pages(path: Path) -> int:
    """The page count of a PDF; Unreadable when it cannot be parsed."""
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        with path.open("rb") as fh:
            reader = PdfFileReader(fh, strict=False)
            count = int(reader.root["/Pages"]["/Count"])
            if count < 1:
                raise Unreadable("the PDF has no pages")
            reader.root["/Pages"]["/Kids"][0].get_object()  # the page tree is there, not only its count
            return count
    except Unreadable:
        raise
    except (PdfError, KeyError, IndexError, TypeError, ValueError, AttributeError, OSError) as exc:
        raise Unreadable(f"the PDF cannot be read: {exc}") from None
    except Exception as exc:  # pyHanko's parser raises several kinds on damaged files
        raise Unreadable(f"the PDF cannot be read: {type(exc).__name__}") from None


def check(path: Path, head: bytes) -> tuple[str, int]:
    """(media type, pages) of a staged file; Unsupported or Unreadable."""
    kind = media_type(head)
    if kind == PDF:
        return kind, pdf_pages(path)
    with path.open("rb") as fh:  # an image cut short (an interrupted scan) lacks its end marker
        fh.seek(max(0, path.stat().st_size - 1024))
        tail = fh.read()
    if kind == PNG and (head[12:16] != b"IHDR" or not tail.endswith(b"IEND\xaeB`\x82")):
        raise Unreadable("the PNG file is damaged or cut short (no IHDR or IEND chunk)")
    if kind == JPEG and b"\xff\xd9" not in tail:
        raise Unreadable("the JPEG file is cut short (no end-of-image marker)")
    return kind, 1
