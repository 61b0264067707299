"""Keeping a file a person sent (from LINE, Telegram or the sandbox page): what it is by its first bytes, the name it
is kept under, the small copy LINE shows as its preview, and the media row served at /media/<token>. The webhook
pipeline and the sandbox's upload both call `keep_sent_file`, so a file is named and kept the same way from each."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.attachments import identify, preview_for
from storage import media

FILENAME_MAX = 255  # the media table's column
_SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


@dataclass(frozen=True, slots=True)
class KeptFile:
    token: str
    kind: str  # "image" or "document"
    content_type: str
    filename: str
    has_preview: bool


def sent_file_name(given: str | None, kind: str, content_type: str) -> str:
    """The name as sent, else a made-up one (photo.jpg, file.pdf); cut to the column, keeping the end (the type)."""
    name = given or f"{'photo' if kind == 'image' else 'file'}{_SUFFIXES.get(content_type, '')}"
    return name[-FILENAME_MAX:]


async def keep_sent_file(session: AsyncSession, data: bytes, *, given_name: str | None, now: datetime) -> KeptFile:
    found = identify(data)
    name = sent_file_name(given_name, found.kind, found.content_type)
    small = await asyncio.to_thread(preview_for, found.kind, data)  # Pillow: off the event loop
    token = await media.keep(session, data, content_type=found.content_type, filename=name, now=now, preview=small)
    return KeptFile(token, found.kind, found.content_type, name, small is not None)
