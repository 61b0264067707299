"""Checking files before anything is queued: the type by its first bytes, the size by the platforms' limits."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlparse

from PIL import Image

from core.model import Event

# LINE takes images up to 10 MB; Telegram photos up to 10 MB and files sent by URL up to 20 MB.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_PREVIEW_BYTES = 1024 * 1024  # LINE's previewImageUrl: a JPEG or PNG of at most 1 MB
PREVIEW_SIDE = 480
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
DOCUMENT_TYPES = {
    b"%PDF": ("application/pdf", ".pdf"),
    b"PK\x03\x04": ("application/zip", ".zip"),  # docx, xlsx and pptx are zip files
    b"\xd0\xcf\x11\xe0": ("application/vnd.ms-office", ".doc"),  # doc, xls and ppt of Office 97-2003
}
ANY_FILE = "application/octet-stream"


class AttachmentError(ValueError):
    """`code` picks the catalogue message."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True, slots=True)
class CheckedFile:
    kind: str  # "image" or "document"
    content_type: str


def image_type(data: bytes) -> str | None:
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def check_file(data: bytes, *, filename: str = "") -> CheckedFile:
    """An image (JPEG/PNG) or a document (PDF, Office) within the size limits; else AttachmentError."""
    if not data:
        raise AttachmentError("file_empty")
    image = image_type(data)
    if image is not None:
        if len(data) > MAX_IMAGE_BYTES:
            raise AttachmentError("file_too_large", limit_mb=MAX_IMAGE_BYTES // (1024 * 1024))
        return CheckedFile("image", image)
    for magic, (content_type, _) in DOCUMENT_TYPES.items():
        if data.startswith(magic):
            if len(data) > MAX_DOCUMENT_BYTES:
                raise AttachmentError("file_too_large", limit_mb=MAX_DOCUMENT_BYTES // (1024 * 1024))
            return CheckedFile("document", content_type)
    raise AttachmentError("file_wrong_type", name=filename or "?")


def identify(data: bytes) -> CheckedFile:
    """What a file someone sent is, for keeping it: any type is kept (the inbox forwards it as it came),
    an image too large to show as a picture becomes a document. Broadcasts are stricter: `broadcast_problem`."""
    image = image_type(data)
    if image is not None and len(data) <= MAX_IMAGE_BYTES:
        return CheckedFile("image", image)
    for magic, (content_type, _) in DOCUMENT_TYPES.items():
        if data.startswith(magic):
            return CheckedFile("document", content_type)
    return CheckedFile("document", image or ANY_FILE)


def broadcast_problem(kind: str, content_type: str | None, filename: str | None) -> AttachmentError | None:
    """A file kept from chat that may not go out in an announcement: only pictures and PDF/Office documents."""
    if kind == "image" or content_type in {t for t, _ in DOCUMENT_TYPES.values()}:
        return None
    return AttachmentError("file_wrong_type", name=filename or "?")


def preview_jpeg(data: bytes) -> bytes | None:
    """A small JPEG of a picture too large for LINE's preview; None when Pillow cannot read it."""
    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
            out = io.BytesIO()
            picture.convert("RGB").save(out, "JPEG", quality=80)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return out.getvalue()


def preview_for(kind: str, data: bytes) -> bytes | None:
    """LINE's small copy of a picture over its 1 MB preview limit; None when none is needed (or Pillow cannot
    read the picture: LINE then shows the picture itself as its preview)."""
    return preview_jpeg(data) if kind == "image" and len(data) > MAX_PREVIEW_BYTES else None


def problem_values(event: Event) -> dict[str, object]:
    """What the catalogue messages of a file that could not be kept need (`Event.file_problem`)."""
    name = event.file.name if event.file is not None else None
    return {"limit_mb": MAX_DOCUMENT_BYTES // (1024 * 1024), "name": name or "?"}


def check_image_url(url: str) -> str:
    """An https URL ending in .jpg/.jpeg/.png (LINE fetches images only over https)."""
    parsed = urlparse(url.strip())
    if parsed.scheme != "https" or not parsed.netloc:
        raise AttachmentError("url_not_https")
    if PurePosixPath(parsed.path).suffix.lower() not in IMAGE_SUFFIXES:
        raise AttachmentError("url_not_image")
    return url.strip()
