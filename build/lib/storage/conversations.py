"""Conversation state: which step of which flow a person is in, with what they answered so far.

Written at every step in the event's own transaction, so a restart never loses a conversation and a
crash never leaves one half-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Conversation

DEFAULT_TTL = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class State:
    flow: str
    step: str
    data: dict[str, Any]


async def get(session: AsyncSession, contact_id: int, *, now: datetime) -> State | None:
    row = await session.get(Conversation, contact_id)
    if row is None:
        return None
    if row.expires_at <= now:
        await session.delete(row)
        return None
    return State(row.flow, row.step, dict(row.data))


async def put(
    session: AsyncSession, contact_id: int, state: State, *, now: datetime, ttl: timedelta = DEFAULT_TTL
) -> None:
    row = await session.get(Conversation, contact_id)
    if row is None:
        row = Conversation(contact_id=contact_id)
        session.add(row)
    row.flow, row.step, row.data = state.flow, state.step, dict(state.data)
    row.updated_at, row.expires_at = now, now + ttl


async def clear(session: AsyncSession, contact_id: int) -> None:
    await session.execute(delete(Conversation).where(Conversation.contact_id == contact_id))
