"""Files PhuanKru hands to LINE and Telegram by URL (they fetch them from PHUANKRU_PUBLIC_URL/media/…)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.broadcast_models import Media


async def store(session: AsyncSession, data: bytes, *, content_type: str, filename: str | None, now: datetime) -> str:
    """Keep the file; returns the unguessable token of its URL."""
    token = secrets.token_urlsafe(24)
    session.add(
        Media(token=token, content_type=content_type, filename=filename, size=len(data), data=data, created_at=now)
    )
    await session.flush()
    return token


async def fetch(session: AsyncSession, token: str) -> Media | None:
    return (await session.execute(select(Media).where(Media.token == token))).scalar_one_or_none()
