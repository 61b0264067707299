"""Files PhuanKru hands to LINE and Telegram by URL (they fetch them from PHUANKRU_PUBLIC_URL/media/…)."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete as sa_delete
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.broadcast_models import Media
from storage.db import Database


async def store(
    session: AsyncSession,
    data: bytes,
    *,
    content_type: str,
    filename: str | None,
    now: datetime,
    token: str | None = None,
) -> str:
    """Keep the file; returns the unguessable token of its URL."""
    token = token or secrets.token_urlsafe(24)
    session.add(
        Media(token=token, content_type=content_type, filename=filename, size=len(data), data=data, created_at=now)
    )
    await session.flush()
    return token


async def keep(
    session: AsyncSession,
    data: bytes,
    *,
    content_type: str,
    filename: str | None,
    now: datetime,
    preview: bytes | None = None,
) -> str:
    """Keep a file someone sent, and its preview copy (a JPEG) when there is one; returns the file's token."""
    token = await store(session, data, content_type=content_type, filename=filename, now=now)
    if preview is not None:
        await store(session, preview, content_type="image/jpeg", filename=filename, now=now, token=preview_token(token))
    return token


def preview_token(token: str) -> str:
    """A picture's small copy (LINE's preview) lives under a token derived from the picture's, so it goes with it."""
    return f"{token}-preview"


async def delete(session: AsyncSession, tokens: Sequence[str]) -> None:
    """Files and their previews (erasure)."""
    every = [*tokens, *(preview_token(t) for t in tokens)]
    await session.execute(sa_delete(Media).where(Media.token.in_(every)))


async def fetch(session: AsyncSession, token: str) -> Media | None:
    return (await session.execute(select(Media).where(Media.token == token))).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class KeptFile:
    data: bytes
    content_type: str
    filename: str | None


MediaLoader = Callable[[str], Awaitable[KeptFile | None]]


def loader(db: Database) -> MediaLoader:
    """For senders that upload bytes instead of handing out a URL (Telegram)."""

    async def load(token: str) -> KeptFile | None:
        async with db.sessions() as session:
            found = await fetch(session, token)
        return None if found is None else KeptFile(found.data, found.content_type, found.filename)

    return load
