"""The console's announcements: the office actions chat's `/broadcast` and `phuankru broadcast` call too."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.auth import Principal
from core.model import OutMessage
from handlers.office.announcements import announce, cancel_announcement
from storage import broadcasts
from storage.broadcast_models import Broadcast


async def create(
    principal: Principal, audience_texts: list[str], content: OutMessage, *, at: datetime | None
) -> Broadcast:
    """Raises Refused, AudienceError or BroadcastError and changes nothing (the caller's transaction rolls back)."""
    return await announce(
        principal.session, principal.as_actor, audience=audience_texts, content=content, now=principal.now, at=at
    )


async def cancel(principal: Principal, broadcast_id: int) -> int:
    _, stopped = await cancel_announcement(principal.session, principal.as_actor, broadcast_id, now=principal.now)
    return stopped


async def status(session: AsyncSession, broadcast_id: int) -> broadcasts.Status | None:
    return await broadcasts.status(session, broadcast_id)


async def recent(session: AsyncSession, limit: int = 50) -> list[Broadcast]:
    return await broadcasts.recent(session, limit=limit)
