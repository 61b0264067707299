"""Inbound events: stored once per (channel, dedupe key) before anything is done with them."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_name
from storage.models import InboundEvent

# A JSON "\u0000" not preceded by an escaping backslash (an odd number of backslashes before "u0000" is the escape).
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def without_nul(raw: dict[str, Any]) -> dict[str, Any]:
    """The payload with every NUL character in its strings (keys too) replaced by U+FFFD.

    PostgreSQL can store no NUL in JSONB or text: an update carrying one was refused at every delivery (503, so the
    platform retried it for ever) on PostgreSQL while SQLite took it. No person means a NUL, so it is replaced, on
    both databases alike, and the rest of the event is handled as usual.
    """
    dumped = json.dumps(raw)
    if _NUL_ESCAPE.search(dumped) is None:
        return raw
    cleaned: dict[str, Any] = json.loads(_NUL_ESCAPE.sub(r"\1\\ufffd", dumped))
    return cleaned


@dataclass(frozen=True, slots=True)
class RawEvent:
    channel: str
    dedupe_key: str
    kind: str
    raw: dict[str, Any]
    # True when the adapter saw the body had no "\u0000" escape at all (so no NUL): the check is skipped.
    nul_free: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        # Here rather than only when storing: the copy handled from memory is then the same as the stored one.
        if not self.nul_free:
            object.__setattr__(self, "raw", without_nul(self.raw))


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
        {
            "channel": e.channel,
            "dedupe_key": e.dedupe_key,
            "kind": e.kind,
            "raw": e.raw,  # without NUL characters (RawEvent removed them)
            "received_at": now,
        }
        for e in events
    ]
    # One statement, its rows as parameters: SQLAlchemy compiles it once and caches it ("insertmanyvalues"
    # batches the rows into multi-row INSERTs itself), where .values(rows) compiled anew for every batch size.
    statement = (
        insert(InboundEvent)
        .on_conflict_do_nothing(index_elements=["channel", "dedupe_key"])
        .returning(InboundEvent.id, InboundEvent.channel, InboundEvent.dedupe_key)
    )
    result = await session.execute(statement, rows)
    return {(row.channel, row.dedupe_key): row.id for row in result}


async def unprocessed_ids(session: AsyncSession, *, limit: int = 1000) -> list[int]:
    result = await session.execute(
        select(InboundEvent.id).where(InboundEvent.processed_at.is_(None)).order_by(InboundEvent.id).limit(limit)
    )
    return list(result.scalars())


async def lock_unprocessed(session: AsyncSession, event_id: int) -> bool:
    """Whether nobody has processed the event yet; it is then locked for this transaction (on PostgreSQL, an
    event another replica holds is skipped). Only the id is read: the handler has the payload already."""
    query = select(InboundEvent.id).where(InboundEvent.id == event_id, InboundEvent.processed_at.is_(None))
    if dialect_name(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return (await session.execute(query)).scalar_one_or_none() is not None


async def mark_processed(session: AsyncSession, event_id: int, *, now: datetime, error: str | None = None) -> None:
    await session.execute(update(InboundEvent).where(InboundEvent.id == event_id).values(processed_at=now, error=error))
