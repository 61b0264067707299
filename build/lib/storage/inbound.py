"""Inbound events: stored once per (channel, dedupe key) before anything is done with them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_name
from storage.models import InboundEvent


@dataclass(frozen=True, slots=True)
class RawEvent:
    channel: str
    dedupe_key: str
    kind: str
    raw: dict[str, Any]


async def store_new(session: AsyncSession, events: Sequence[RawEvent], *, now: datetime) -> dict[tuple[str, str], int]:
    """Insert the events not seen before; return {(channel, dedupe key): id} for those inserted.

    A redelivered event is not in the answer: it was stored, and handled, the first time.
    """
    unique = {(e.channel, e.dedupe_key): e for e in events}
    events = list(unique.values())
    if not events:
        return {}
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    rows = [
        {"channel": e.channel, "dedupe_key": e.dedupe_key, "kind": e.kind, "raw": e.raw, "received_at": now}
        for e in events
    ]
    statement = (
        insert(InboundEvent)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["channel", "dedupe_key"])
        .returning(InboundEvent.id, InboundEvent.channel, InboundEvent.dedupe_key)
    )
    result = await session.execute(statement)
    return {(row.channel, row.dedupe_key): row.id for row in result}


async def unprocessed_ids(session: AsyncSession, *, limit: int = 1000) -> list[int]:
    result = await session.execute(
        select(InboundEvent.id).where(InboundEvent.processed_at.is_(None)).order_by(InboundEvent.id).limit(limit)
    )
    return list(result.scalars())


async def lock_unprocessed(session: AsyncSession, event_id: int) -> InboundEvent | None:
    """The event if nobody has processed it yet, locked for this transaction (skipped if another replica has it)."""
    query = select(InboundEvent).where(InboundEvent.id == event_id, InboundEvent.processed_at.is_(None))
    if dialect_name(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await session.execute(query)).scalar_one_or_none()


async def mark_processed(session: AsyncSession, event_id: int, *, now: datetime, error: str | None = None) -> None:
    await session.execute(update(InboundEvent).where(InboundEvent.id == event_id).values(processed_at=now, error=error))
