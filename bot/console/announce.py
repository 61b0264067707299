"""The console's announcements go through here only: the same storage functions `phuankru broadcast` calls.

When the office-action layer (handlers/office/…) lands, this module is the one place to re-point.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.console.auth import Principal
from core.model import OutMessage
from storage import broadcasts
from storage.broadcast_models import Broadcast


async def create(
    principal: Principal, audience_texts: list[str], content: OutMessage, *, at: datetime | None
) -> Broadcast:
    """Raises AudienceError/BroadcastError and changes nothing (the caller's transaction rolls back)."""
    created = await broadcasts.create(
        principal.session,
        author=principal.actor,
        author_contact_id=principal.contact.id,
        audience_texts=audience_texts,
        content=content,
        now=principal.now,
        at=at,
    )
    principal.audit(
        "broadcast.create",
        f"broadcast:{created.id}",
        audience=audience_texts,
        at=at.isoformat() if at else None,
        via="console",
    )
    return created


async def cancel(principal: Principal, broadcast_id: int) -> int:
    cancelled, stopped = await broadcasts.cancel(principal.session, broadcast_id, now=principal.now)
    principal.audit("broadcast.cancel", f"broadcast:{cancelled.id}", stopped=stopped, via="console")
    return stopped


async def status(session: AsyncSession, broadcast_id: int) -> broadcasts.Status | None:
    return await broadcasts.status(session, broadcast_id)


async def recent(session: AsyncSession, limit: int = 50) -> list[Broadcast]:
    return await broadcasts.recent(session, limit=limit)
