"""Office-wide settings changed at run time, kept in the database (shared by every replica)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.inbox_models import Setting

INBOX_GROUP = "inbox.group"  # {"chat_id": int}: the staff group that receives the inbox


async def get(session: AsyncSession, key: str) -> dict[str, Any] | None:
    row = await session.get(Setting, key)
    return dict(row.value) if row is not None else None


async def put(session: AsyncSession, key: str, value: dict[str, Any], *, now: datetime) -> None:
    row = await session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now
