"""Announcements: queue one (now or at a time) and cancel one. Chat's `/broadcast`, `phuankru broadcast` and the
console's composer all call these, so the role check, the audit row and the stored rows are the same from each."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.actor import Actor
from core.model import OutMessage
from handlers.office.acting import record, require
from handlers.office.audience_words import read_audience
from storage import broadcasts
from storage.broadcast_models import Broadcast
from storage.models import Role


async def announce(
    session: AsyncSession,
    actor: Actor,
    *,
    audience: Sequence[str],
    content: OutMessage,
    now: datetime,
    at: datetime | None = None,
) -> Broadcast:
    """Queue `content` for `audience` (specs such as "role:teacher", or the words people type: ครู, a school…),
    now or at `at`.

    Raises Refused (not staff), AudienceError or BroadcastError; nothing is queued then."""
    require(session, actor, "broadcast.create", Role.STAFF, now=now)
    created = await broadcasts.create(
        session,
        author=actor.name,
        author_contact_id=actor.contact_id,
        audience_texts=await read_audience(session, audience),
        content=content,
        now=now,
        at=at,
    )
    record(
        session,
        actor,
        "broadcast.create",
        f"broadcast:{created.id}",
        now=now,
        audience=created.audience,
        at=at.isoformat() if at else None,
    )
    return created


async def cancel_announcement(
    session: AsyncSession, actor: Actor, broadcast_id: int, *, now: datetime
) -> tuple[Broadcast, int]:
    """Stop what is not sent yet; returns the announcement and how many messages were stopped.

    Raises Refused or BroadcastError (unknown, or already finished)."""
    require(session, actor, "broadcast.cancel", Role.STAFF, now=now)
    cancelled, stopped = await broadcasts.cancel(session, broadcast_id, now=now)
    record(session, actor, "broadcast.cancel", f"broadcast:{cancelled.id}", now=now, stopped=stopped)
    return cancelled, stopped
