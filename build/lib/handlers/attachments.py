"""Checking files before anything is queued: the type by its first bytes, the size by the platforms' limits."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlparse

# LINE takes images up to 10 MB; Telegram photos up to 10 MB and files sent by URL up to 20 MB.
MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
DOCUMENT_TYPES = {
    b"%PDF": ("application/pdf", ".pdf"),
    b"PK\x03\x04": ("application/zip", ".zip"),  # docx, xlsx and pptx are zip files
}


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


def check_image_url(url: str) -> str:
    """An https URL ending in .jpg/.jpeg/.png (LINE fetches images only over https)."""
    parsed = urlparse(url.strip())
    if parsed.scheme != "https" or not parsed.netloc:
        raise AttachmentError("url_not_https")
    if PurePosixPath(parsed.path).suffix.lower() not in IMAGE_SUFFIXES:
        raise AttachmentError("url_not_image")
    return url.strip()
